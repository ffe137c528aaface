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
