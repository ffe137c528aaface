"""The warm-start verdict: every rule, every violation at once, and the report.

``check_static`` is what can be known without AWS (synth time); ``evaluate`` adds the
parents' Describe responses (the Lambda and the command line).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import codes
from ._access import format_int, get_dict, get_int, quote, show, text
from .errors import Violation, WarmStartValidationError, internal_error
from .limits import (DEFAULT_FAILED_PARENT_POLICY, DEFAULT_TRAINING_JOB_LIMIT,
                     FAILED_PARENT_POLICIES, MAX_CHANGES, MAX_PARENTS,
                     LIBRARY_TAGS, MAX_TRAINING_JOB_LIMIT, SAGEMAKER_MAX_TAGS,
                     STEP_FUNCTIONS_SYNC_TAGS, WARM_START_TYPES, user_tag_budget)
from .parent_checks import ParentFindings, check_parent
from .request_checks import (GRID, check_request, grid_combinations, job_name_prefix_problem,
                             job_name_problem)

# The SageMaker Python SDK spells the types as enum names; the API does not.
_SDK_SPELLINGS = {"IDENTICAL_DATA_AND_ALGORITHM": "IdenticalDataAndAlgorithm",
                  "TRANSFER_LEARNING": "TransferLearning"}


def check_static(request: Any, warm_start_type: Any, parents: Any | None = None, *,
                 training_job_limit: Any = DEFAULT_TRAINING_JOB_LIMIT,
                 job_name_prefix: Any | None = None) -> list[Violation]:
    """Everything knowable without AWS; used at synth time. Never raises.

    ``parents`` is the list of parent names when known (None: decided per execution).
    """
    try:
        violations = check_request(request)
        violations += _check_warm_start_type(warm_start_type)
        limit = _checked_limit(training_job_limit, violations)
        if parents is not None:
            violations += check_parent_names(parents)[0]
        if job_name_prefix is not None:
            problem = job_name_prefix_problem(job_name_prefix)
            if problem:
                violations.append(Violation(codes.INVALID_REQUEST, f"jobNamePrefix: {problem}"))
        violations += _check_user_tags(request)
        new_maximum = max_training_jobs(request)
        if limit is not None and new_maximum is not None and new_maximum > limit:
            violations.append(Violation(
                codes.TRAINING_JOB_LIMIT,
                f"MaxNumberOfTrainingJobs {format_int(new_maximum)} > training-job limit "
                f"{format_int(limit)} even before the parents' training jobs are counted"))
        return violations
    except Exception as error:  # the promise is: never raise
        return [internal_error(error)]


def _check_user_tags(request: Any) -> list[Violation]:
    """The user's tags must leave room for the library's and Step Functions' (limits.py)."""
    tags = request.get("Tags") if isinstance(request, Mapping) else None
    budget = user_tag_budget()
    if not isinstance(tags, list) or len(tags) <= budget:
        return []
    return [Violation(codes.INVALID_REQUEST, (
        f"Tags: {len(tags)} tags; at most {budget} fit: SageMaker allows {SAGEMAKER_MAX_TAGS} "
        f"per job, Step Functions adds {STEP_FUNCTIONS_SYNC_TAGS} to every job a .sync task "
        f"starts and the library adds {LIBRARY_TAGS}"))]


def evaluate(parent_names: Any, parents: Mapping[str, Mapping[str, Any] | None] | Any,
             request: Any, warm_start_type: Any, *,
             training_job_limit: Any = DEFAULT_TRAINING_JOB_LIMIT,
             failed_parent_policy: Any = DEFAULT_FAILED_PARENT_POLICY) -> dict[str, Any]:
    """The report when the warm start would be accepted.

    ``parents`` maps each name to its DescribeHyperParameterTuningJob response, None when
    not found. Raises WarmStartValidationError with every violation (and the report,
    ``accepted: false``) otherwise; never raises anything else.
    """
    try:
        violations, report = _evaluate(parent_names, parents, request, warm_start_type,
                                       training_job_limit, failed_parent_policy)
    except Exception as error:  # the promise is: nothing but our error
        raise WarmStartValidationError([internal_error(error)]) from None
    if violations:
        raise WarmStartValidationError(violations, report)
    return report


def check_parent_names(parent_names: Any) -> tuple[list[Violation], list[str]]:
    """PARENT_COUNT (and malformed names); returns the unique well-formed names too."""
    if not isinstance(parent_names, (list, tuple)):
        return [Violation(codes.PARENT_COUNT, f"parents: expected a list of 1 to {MAX_PARENTS} "
                                              f"tuning job names, got {show(parent_names)}")], []
    violations: list[Violation] = []
    if not 1 <= len(parent_names) <= MAX_PARENTS:
        violations.append(Violation(codes.PARENT_COUNT,
                                    f"parents: expected 1 to {MAX_PARENTS} parent tuning jobs, "
                                    f"got {len(parent_names)}"))
    names: list[str] = []
    counts: dict[str, int] = {}
    for index, name in enumerate(parent_names):
        if not isinstance(name, str) or not name:
            violations.append(Violation(codes.PARENT_COUNT, f"parents[{index}]: expected a "
                                        f"non-empty tuning job name, got {show(name)}"))
            continue
        counts[name] = counts.get(name, 0) + 1
        problem = job_name_problem(name)
        if problem:
            # It cannot exist: SageMaker never accepted such a name.
            violations.append(Violation(codes.INVALID_REQUEST, f"parents[{index}]: {problem}"))
        elif counts[name] == 1:
            names.append(name)
    for name, count in counts.items():
        if count > 1:
            violations.append(Violation(codes.PARENT_COUNT, f"parents: {quote(name)} is listed "
                                        f"{count} times; list each parent once", name))
    return violations, names


def max_training_jobs(request: Any) -> int | None:
    """The request's MaxNumberOfTrainingJobs when it is a valid count, else None."""
    config = get_dict(request, "HyperParameterTuningJobConfig")
    value = get_int(get_dict(config, "ResourceLimits"), "MaxNumberOfTrainingJobs")
    if value is None and config.get("Strategy") == GRID:
        return grid_combinations(config)  # Grid without a maximum: one job per combination
    return value if value is not None and value >= 1 else None


def _evaluate(parent_names: Any, parents: Any, request: Any, warm_start_type: Any,
              training_job_limit: Any, failed_parent_policy: Any
              ) -> tuple[list[Violation], dict[str, Any]]:
    violations = check_request(request)
    violations += _check_warm_start_type(warm_start_type)
    limit = _checked_limit(training_job_limit, violations)
    policy = _checked_policy(failed_parent_policy, violations)
    name_violations, names = check_parent_names(parent_names)
    violations += name_violations
    if parents is None:
        parents = {}  # nothing described: every parent is reported as not found
    if not isinstance(parents, Mapping):
        violations.append(Violation(codes.INVALID_REQUEST, "parents: expected a mapping of "
                                    "parent name -> DescribeHyperParameterTuningJob response, "
                                    f"got {show(parents)}"))
        names = []

    findings: list[ParentFindings] = []
    warnings: list[Violation] = []
    for name in names:
        described = parents.get(name)
        if described is None:
            violations.append(Violation(codes.PARENT_NOT_FOUND, f"parent {quote(name)} does not "
                                        "exist (DescribeHyperParameterTuningJob found no such "
                                        "tuning job in this account and region)", name))
            findings.append(ParentFindings(name))
        elif not isinstance(described, Mapping):
            violations.append(Violation(codes.INVALID_REQUEST, f"parents[{quote(name)}]: expected "
                                        "a DescribeHyperParameterTuningJob response, got "
                                        f"{show(described)}", name))
            findings.append(ParentFindings(name))
        else:
            found = check_parent(name, described, request, warm_start_type, names, policy)
            violations += found.violations
            warnings += found.warnings
            findings.append(found)

    used = sum(f.training_jobs_launched for f in findings)
    new_maximum = max_training_jobs(request)
    if limit is not None and new_maximum is not None and used + new_maximum > limit:
        per_parent = ", ".join(f"{quote(f.name)}: {format_int(f.training_jobs_launched)}"
                               for f in findings)
        violations.append(Violation(
            codes.TRAINING_JOB_LIMIT,
            f"training jobs launched by the parents ({per_parent or 'none'}; "
            f"{format_int(used)} in all) + MaxNumberOfTrainingJobs {format_int(new_maximum)} = "
            f"{format_int(used + new_maximum)} > limit {format_int(limit)}; lower "
            "MaxNumberOfTrainingJobs or use fewer parents"))

    report = _report(warm_start_type, violations, findings, warnings, used, new_maximum, limit)
    return violations, report


def _check_warm_start_type(warm_start_type: Any) -> list[Violation]:
    if isinstance(warm_start_type, str) and warm_start_type in WARM_START_TYPES:
        return []
    hint = ""
    if isinstance(warm_start_type, str) and warm_start_type in _SDK_SPELLINGS:
        hint = f" (the SageMaker Python SDK's {warm_start_type} is " \
               f"{_SDK_SPELLINGS[warm_start_type]} in the API)"
    return [Violation(codes.INVALID_REQUEST,
                      f"WarmStartConfig.WarmStartType: expected {' or '.join(WARM_START_TYPES)}, "
                      f"got {text(warm_start_type)}{hint}")]


def _checked_limit(limit: Any, violations: list[Violation]) -> int | None:
    if isinstance(limit, int) and not isinstance(limit, bool) \
            and 1 <= limit <= MAX_TRAINING_JOB_LIMIT:
        return limit
    violations.append(Violation(codes.INVALID_REQUEST, "training_job_limit (settings."
                                "trainingJobLimit): expected an integer from 1 to "
                                f"{MAX_TRAINING_JOB_LIMIT}, got {show(limit)}"))
    return None  # unknown limit: TRAINING_JOB_LIMIT cannot be judged


def _checked_policy(policy: Any, violations: list[Violation]) -> str:
    if isinstance(policy, str) and policy in FAILED_PARENT_POLICIES:
        return policy
    expected = " or ".join(map(quote, FAILED_PARENT_POLICIES))
    violations.append(Violation(codes.INVALID_REQUEST, "failed_parent_policy (settings."
                                f"failedParentPolicy): expected {expected}, got {text(policy)}"))
    return DEFAULT_FAILED_PARENT_POLICY


def _report(warm_start_type: Any, violations: list[Violation], findings: list[ParentFindings],
            warnings: list[Violation], used: int, new_maximum: int | None,
            limit: int | None) -> dict[str, Any]:
    """JSON-safe summary: what the Lambda returns and the command line prints."""
    return {
        "warmStartType": warm_start_type if warm_start_type in WARM_START_TYPES else None,
        "accepted": not violations,
        "parents": [
            {
                "name": f.name,
                "status": f.status,
                "creationTime": f.creation_time.isoformat() if f.creation_time else None,
                "trainingJobsLaunched": f.training_jobs_launched,
                "completedTrainingJobs": f.completed_training_jobs,
                "changes": {"count": sum(c.count for c in f.changes),
                            "details": [c.to_dict() for c in f.changes]},
            }
            for f in findings
        ],
        "changes": {"max": max((sum(c.count for c in f.changes) for f in findings), default=0),
                    "limit": MAX_CHANGES},
        "trainingJobs": {
            "usedByParents": used,
            "newMaximum": new_maximum,
            "total": used + new_maximum if new_maximum is not None else None,
            "limit": limit,
        },
        "warnings": [w.to_dict() for w in warnings],
    }

