"""SageMaker's warm-start limits and API spellings (dependency-free: everyone imports them)."""

from __future__ import annotations

from datetime import datetime, timezone

WARM_START_TYPES: tuple[str, ...] = ("IdenticalDataAndAlgorithm", "TransferLearning")
IDENTICAL_DATA_AND_ALGORITHM, TRANSFER_LEARNING = WARM_START_TYPES
TERMINAL_STATUSES: tuple[str, ...] = ("Completed", "Stopped", "Failed")

# The seed's figure. The current quotas page says 750, and accounts can differ: the
# limit is a setting (training_job_limit), this is only its default.
DEFAULT_TRAINING_JOB_LIMIT = 500
# Upper bound of the setting: the largest integer JSON carries exactly (Step Functions,
# JavaScript). Beyond it the report could not even be serialised by the Lambda.
MAX_TRAINING_JOB_LIMIT = 2**53 - 1
MAX_CHANGES = 10
MAX_PARENTS = 5
EARLIEST_PARENT_CREATION = datetime(2018, 10, 1, tzinfo=timezone.utc)

# What to do with a Failed parent that has no completed training job (nothing to
# transfer): "reject" it (PARENT_NOT_TERMINAL) or accept it with a warning.
FAILED_PARENT_POLICIES: tuple[str, ...] = ("reject", "warn")
DEFAULT_FAILED_PARENT_POLICY = "reject"

# --- tags ---------------------------------------------------------------------------
# The one place the tag budget is defined. SageMaker allows 50 tags on a job (TagList
# maximum). Step Functions puts 2 tags of its own on every job a .sync task starts
# (AWS_STEP_FUNCTIONS_EXECUTION_ARN, MANAGED_BY_AWS), and they count against the 50.
# What is left goes to the library's own tags and the user's.
SAGEMAKER_MAX_TAGS = 50
STEP_FUNCTIONS_SYNC_TAGS = 2
TAGS_LEFT_FOR_REQUEST = SAGEMAKER_MAX_TAGS - STEP_FUNCTIONS_SYNC_TAGS
# How many tags planner._with_tags adds to every request (warm-start-tuning:execution
# and the run-key tag warm-start-tuning:run-key). A test compares it with what the
# planner really adds.
LIBRARY_TAGS = 2


def user_tag_budget(library_tags: int = LIBRARY_TAGS) -> int:
    """How many tags a user may give when the library adds ``library_tags`` of its own."""
    return TAGS_LEFT_FOR_REQUEST - library_tags


# --- what the Step Functions integration carries ---------------------------------------
# The parameters Step Functions' optimized integration documents for
# createHyperParameterTuningJob (Step Functions developer guide, "Create and manage Amazon
# SageMaker AI jobs with Step Functions"). A field it does not know fails the state with
# States.Runtime, which no Catch sees: SageMaker's Autotune and TrainingJobDefinitions
# cannot be sent through it.
DOCUMENTED_TUNING_PARAMETERS: tuple[str, ...] = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobConfig",
    "TrainingJobDefinition",
    "WarmStartConfig",
    "Tags",
)


def undocumented_tuning_parameter(parameter: str) -> str:
    """Why ``parameter`` cannot be sent through the optimized integration."""
    return (
        f"{parameter} is not among the parameters Step Functions' optimized SageMaker "
        f"integration documents for createHyperParameterTuningJob "
        f"({', '.join(DOCUMENTED_TUNING_PARAMETERS)}); Step Functions would fail the state "
        "with States.Runtime, which no Catch sees, so it is refused instead of being sent "
        "or silently dropped"
    )


# --- hyperparameters --------------------------------------------------------------------
# SageMaker's ParameterRanges: "the sum of the number of hyperparameters for all the
# ranges can't exceed the maximum number specified" (30; API reference, ParameterRanges).
MAX_TUNABLE_HYPERPARAMETERS = 30
