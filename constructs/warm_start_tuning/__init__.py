"""cdk-warm-start-tuning: AWS CDK constructs for SageMaker warm-start hyperparameter tuning.

Public API:

- :class:`WarmStartTuningPipeline`: the whole state machine, secure by default.
- :class:`WarmStartTuning`: the same steps as a fragment for a larger workflow.
- :class:`SageMakerCreateHyperParameterTuningJob`: Step Functions task (REQUEST_RESPONSE, RUN_JOB).
- :class:`WaitForTuningJobs`: waits for 1 to 5 tuning jobs to be terminal.
- :class:`WarmStartValidator`: the validator Lambda, one per stack.
- :class:`WarmStartType`, and the rule engine in :mod:`warm_start_tuning.rules`.
"""

from .pipeline import WarmStartTuning, WarmStartTuningPipeline, WarmStartType
from .tasks import SageMakerCreateHyperParameterTuningJob
from .validator import WarmStartValidator
from .waiter import WaitForTuningJobs

__all__ = [
    "SageMakerCreateHyperParameterTuningJob",
    "WaitForTuningJobs",
    "WarmStartTuning",
    "WarmStartTuningPipeline",
    "WarmStartType",
    "WarmStartValidator",
]
