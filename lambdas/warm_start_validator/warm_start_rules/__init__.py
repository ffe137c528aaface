"""The warm-start rule engine: pure Python (standard library only, no boto3).

One engine serves the validator Lambda (imported top-level as ``warm_start_rules``),
synth-time checks of the constructs and the command line (imported as
``warm_start_tuning.lambdas.warm_start_validator.warm_start_rules`` or
``warm_start_tuning.rules``). There is no second copy of any rule.
"""

from __future__ import annotations

from typing import Any

from .codes import (ALGORITHM_CHANGED, ALL_CODES, DATA_CHANGED, HYPERPARAMETER_SET_MISMATCH,
                    HYPERPARAMETER_TYPE_CHANGED, IMMUTABLE_FIELD_CHANGED, INVALID_REQUEST,
                    OBJECTIVE_MISMATCH, PARENT_COUNT, PARENT_CREATION_TIME_UNKNOWN,
                    PARENT_FAILED_WITHOUT_COMPLETED_JOBS, PARENT_HAS_UNLISTED_PARENTS,
                    PARENT_NOT_FOUND, PARENT_NOT_TERMINAL, PARENT_TOO_OLD,
                    PARENT_TRAINING_JOB_COUNTS_UNKNOWN, TOO_MANY_CHANGES, TRAINING_JOB_LIMIT,
                    WARNING_CODES)
from .engine import check_parent_names, check_static, evaluate, max_training_jobs
from .errors import INTERNAL_ERROR_MARKER, Violation, WarmStartValidationError
from .limits import (DEFAULT_FAILED_PARENT_POLICY, DEFAULT_TRAINING_JOB_LIMIT,
                     DOCUMENTED_TUNING_PARAMETERS, EARLIEST_PARENT_CREATION,
                     FAILED_PARENT_POLICIES, IDENTICAL_DATA_AND_ALGORITHM, MAX_CHANGES,
                     MAX_PARENTS, MAX_TRAINING_JOB_LIMIT, MAX_TUNABLE_HYPERPARAMETERS,
                     SAGEMAKER_MAX_TAGS, STEP_FUNCTIONS_SYNC_TAGS, TERMINAL_STATUSES,
                     TRANSFER_LEARNING, WARM_START_TYPES, undocumented_tuning_parameter,
                     user_tag_budget)
from .parent_checks import parse_creation_time
from .polling import (MAX_TIMEOUT_SECONDS, PollSettings, cumulative_wait_seconds,
                      next_wait_seconds, poll_settings_from_event, timed_out,
                      worst_case_iterations)
from .request_checks import (JOB_NAME_MAX_LENGTH, MAX_JOB_NAME_PREFIX_LENGTH, check_job_name,
                             check_request, job_name_prefix_problem, job_name_problem)

# The planner imports the engine, so importing it here eagerly would make the package
# depend on its import order; these names (the planner's and the run-level flows built
# on it) are resolved on first use instead.
_PLANNER_NAMES = ("plan", "tuning_job_name")
_LAZY_NAMES = {
    **{name: "planner" for name in _PLANNER_NAMES},
    "prepare_run": "run_input",
    "select_automatically": "parent_selection",
    "resume_from": "resume",
    "next_round": "rounds",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY_NAMES:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALGORITHM_CHANGED", "ALL_CODES", "DATA_CHANGED", "DEFAULT_FAILED_PARENT_POLICY",
    "DEFAULT_TRAINING_JOB_LIMIT", "DOCUMENTED_TUNING_PARAMETERS", "EARLIEST_PARENT_CREATION", "FAILED_PARENT_POLICIES",
    "HYPERPARAMETER_SET_MISMATCH", "HYPERPARAMETER_TYPE_CHANGED", "IDENTICAL_DATA_AND_ALGORITHM",
    "IMMUTABLE_FIELD_CHANGED", "INTERNAL_ERROR_MARKER", "INVALID_REQUEST", "JOB_NAME_MAX_LENGTH",
    "MAX_CHANGES", "MAX_JOB_NAME_PREFIX_LENGTH", "MAX_PARENTS", "MAX_TIMEOUT_SECONDS",
    "MAX_TRAINING_JOB_LIMIT", "MAX_TUNABLE_HYPERPARAMETERS", "SAGEMAKER_MAX_TAGS",
    "STEP_FUNCTIONS_SYNC_TAGS", "undocumented_tuning_parameter", "user_tag_budget",
    "OBJECTIVE_MISMATCH", "PARENT_COUNT", "PARENT_CREATION_TIME_UNKNOWN",
    "PARENT_FAILED_WITHOUT_COMPLETED_JOBS", "PARENT_HAS_UNLISTED_PARENTS", "PARENT_NOT_FOUND",
    "PARENT_NOT_TERMINAL", "PARENT_TOO_OLD", "PARENT_TRAINING_JOB_COUNTS_UNKNOWN",
    "PollSettings", "TERMINAL_STATUSES", "TOO_MANY_CHANGES", "TRAINING_JOB_LIMIT",
    "TRANSFER_LEARNING", "Violation", "WARM_START_TYPES", "WARNING_CODES",
    "WarmStartValidationError", "check_job_name", "check_parent_names", "check_request",
    "check_static", "cumulative_wait_seconds", "evaluate", "job_name_prefix_problem",
    "job_name_problem", "max_training_jobs", "next_wait_seconds", "parse_creation_time",
    "poll_settings_from_event", "timed_out", "worst_case_iterations",
    *_LAZY_NAMES,
]
