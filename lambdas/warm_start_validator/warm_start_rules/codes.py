"""Rule codes. They are API: Step Functions Catch rules, alarms and users match on them.

Never rename a code; add new ones instead.
"""

from __future__ import annotations

# --- Violations: any one of them rejects the warm start -------------------------------
PARENT_COUNT = "PARENT_COUNT"
PARENT_NOT_FOUND = "PARENT_NOT_FOUND"
PARENT_NOT_TERMINAL = "PARENT_NOT_TERMINAL"
PARENT_TOO_OLD = "PARENT_TOO_OLD"
OBJECTIVE_MISMATCH = "OBJECTIVE_MISMATCH"
HYPERPARAMETER_SET_MISMATCH = "HYPERPARAMETER_SET_MISMATCH"
HYPERPARAMETER_TYPE_CHANGED = "HYPERPARAMETER_TYPE_CHANGED"
TOO_MANY_CHANGES = "TOO_MANY_CHANGES"
TRAINING_JOB_LIMIT = "TRAINING_JOB_LIMIT"
ALGORITHM_CHANGED = "ALGORITHM_CHANGED"
DATA_CHANGED = "DATA_CHANGED"
IMMUTABLE_FIELD_CHANGED = "IMMUTABLE_FIELD_CHANGED"
INVALID_REQUEST = "INVALID_REQUEST"
# The execution input asks for what the trust model forbids (DESIGN.md, "Trust model").
OVERRIDE_NOT_ALLOWED = "OVERRIDE_NOT_ALLOWED"

ALL_CODES: tuple[str, ...] = (
    PARENT_COUNT,
    PARENT_NOT_FOUND,
    PARENT_NOT_TERMINAL,
    PARENT_TOO_OLD,
    OBJECTIVE_MISMATCH,
    HYPERPARAMETER_SET_MISMATCH,
    HYPERPARAMETER_TYPE_CHANGED,
    TOO_MANY_CHANGES,
    TRAINING_JOB_LIMIT,
    ALGORITHM_CHANGED,
    DATA_CHANGED,
    IMMUTABLE_FIELD_CHANGED,
    INVALID_REQUEST,
    OVERRIDE_NOT_ALLOWED,
)

# --- Warnings: reported, never a rejection ---------------------------------------------
# Warm start is not recursive: a grandparent only helps when listed as a parent itself.
PARENT_HAS_UNLISTED_PARENTS = "PARENT_HAS_UNLISTED_PARENTS"
# A Failed parent without a completed training job, accepted under failed_parent_policy="warn".
PARENT_FAILED_WITHOUT_COMPLETED_JOBS = "PARENT_FAILED_WITHOUT_COMPLETED_JOBS"
# CreationTime missing or unreadable: the 2018-10-01 rule could not be checked.
PARENT_CREATION_TIME_UNKNOWN = "PARENT_CREATION_TIME_UNKNOWN"
# TrainingJobStatusCounters missing or unreadable: the training-job total is a lower bound.
PARENT_TRAINING_JOB_COUNTS_UNKNOWN = "PARENT_TRAINING_JOB_COUNTS_UNKNOWN"

WARNING_CODES: tuple[str, ...] = (
    PARENT_HAS_UNLISTED_PARENTS,
    PARENT_FAILED_WITHOUT_COMPLETED_JOBS,
    PARENT_CREATION_TIME_UNKNOWN,
    PARENT_TRAINING_JOB_COUNTS_UNKNOWN,
)
