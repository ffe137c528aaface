"""Step Functions tasks that aws-cdk-lib does not have."""

from .create_tuning_job import (
    SUPPORTED_INTEGRATION_PATTERNS,
    TUNING_JOB_EVENTS_RULE_NAME,
    SageMakerCreateHyperParameterTuningJob,
)

__all__ = [
    "SUPPORTED_INTEGRATION_PATTERNS",
    "TUNING_JOB_EVENTS_RULE_NAME",
    "SageMakerCreateHyperParameterTuningJob",
]
