"""The warm-start rules that compare the request with one parent tuning job.

Each check reads the parent's DescribeHyperParameterTuningJob response and the request
defensively and returns Violations naming the parent. They never raise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from . import codes
from ._access import (as_dict, format_int, get_dict, get_list, is_empty, is_int,
                      is_nonempty_str, quote, show, text)
from .errors import Violation
from .hyperparameters import (Change, count_changes, extract, set_difference,
                              training_job_definition, type_changes)
from .limits import (EARLIEST_PARENT_CREATION, IDENTICAL_DATA_AND_ALGORITHM, MAX_CHANGES,
                     TERMINAL_STATUSES)

# TrainingJobStatusCounters keys: every training job a parent launched is in one of them.
COUNTER_KEYS = ("Completed", "InProgress", "RetryableError", "NonRetryableError", "Stopped")

# The TrainingJobDefinition fields SageMaker lets a warm start change (its own error
# message lists them). Everything else must be equal to the parent's.
MUTABLE_FIELDS = frozenset({
    "AlgorithmSpecification", "InputDataConfig", "OutputDataConfig", "StaticHyperParameters",
    "RoleArn", "ResourceConfig", "StoppingCondition", "VpcConfig", "EnableManagedSpotTraining",
    "CheckpointConfig",
})
# Fields of the multi-algorithm form (TrainingJobDefinitions). They are not used with a
# single TrainingJobDefinition; ranges and objective are compared by their own rules.
MULTI_DEFINITION_FIELDS = frozenset({"HyperParameterRanges", "TuningObjective", "DefinitionName"})

_MAX_NESTING = 32  # deeper than any real definition; keeps normalisation bounded
_ISO_FRACTION = re.compile(r"\.(\d+)")


@dataclass
class ParentFindings:
    """What the checks found about one parent, and the facts the report shows."""

    name: str
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Violation] = field(default_factory=list)
    status: str | None = None
    creation_time: datetime | None = None
    training_jobs_launched: int = 0
    completed_training_jobs: int = 0
    changes: list[Change] = field(default_factory=list)

    def violation(self, code: str, message: str) -> None:
        self.violations.append(Violation(code, message, self.name))

    def warning(self, code: str, message: str) -> None:
        self.warnings.append(Violation(code, message, self.name))


def check_parent(name: str, parent: Mapping[str, Any], request: Any, warm_start_type: Any,
                 listed_parents: Collection[str], failed_parent_policy: str) -> ParentFindings:
    """Run every per-parent rule; all of them, even when an early one already failed."""
    findings = ParentFindings(name)
    _count_training_jobs(parent, findings)
    _check_status(parent, failed_parent_policy, findings)
    _check_creation_time(parent, findings)
    _check_objective(parent, request, findings)
    _check_hyperparameters(parent, request, findings)
    if warm_start_type == IDENTICAL_DATA_AND_ALGORITHM:
        _check_algorithm(parent, request, findings)
        _check_data(parent, request, findings)
    _check_immutable_fields(parent, request, findings)
    _warn_unlisted_parents(parent, listed_parents, findings)
    return findings


# --- training jobs and status ----------------------------------------------------------

@dataclass(frozen=True)
class TrainingJobCounts:
    """A tuning job's training jobs, from its TrainingJobStatusCounters."""

    launched: int
    completed: int
    unreadable: tuple[str, ...]  # counters that were missing or not a count (read as 0)


def count_training_jobs(job: Any) -> TrainingJobCounts:
    """Training jobs a tuning job launched (the sum of its counters) and completed.

    ``job`` is a Describe response or a ListHyperParameterTuningJobs summary: both carry
    TrainingJobStatusCounters. The one place that counts them, so the training-job limit,
    automatic parent selection and resume agree.
    """
    counters = as_dict(job).get("TrainingJobStatusCounters")
    unreadable = [] if isinstance(counters, Mapping) else ["TrainingJobStatusCounters"]
    counters = as_dict(counters)
    launched = 0
    for key in COUNTER_KEYS:
        value = counters.get(key, 0)
        if is_int(value) and value >= 0:
            launched += value
        else:
            unreadable.append(f"TrainingJobStatusCounters.{key}")
    completed = counters.get("Completed")
    return TrainingJobCounts(launched, completed if is_int(completed) and completed >= 0 else 0,
                             tuple(unreadable))


def nothing_to_transfer(status: Any, completed_training_jobs: int) -> bool:
    """A Failed job without one completed training job: SageMaker accepts it as a parent,
    but a warm start would learn nothing from it."""
    return status == "Failed" and completed_training_jobs == 0


def _count_training_jobs(parent: Mapping[str, Any], findings: ParentFindings) -> None:
    counts = count_training_jobs(parent)
    findings.training_jobs_launched = counts.launched
    findings.completed_training_jobs = counts.completed
    if counts.unreadable:
        findings.warning(codes.PARENT_TRAINING_JOB_COUNTS_UNKNOWN,
                         f"parent {quote(findings.name)}: {', '.join(counts.unreadable)} missing or "
                         "not a count; its training jobs are counted as 0 towards the training-job "
                         "limit")


def _check_status(parent: Mapping[str, Any], policy: str, findings: ParentFindings) -> None:
    status = parent.get("HyperParameterTuningJobStatus")
    findings.status = status if isinstance(status, str) else None
    label = quote(findings.name)
    if not isinstance(status, str) or status not in TERMINAL_STATUSES:
        findings.violation(codes.PARENT_NOT_TERMINAL,
                           f"parent {label} is {text(status)}; a parent must be "
                           f"{', '.join(TERMINAL_STATUSES[:-1])} or {TERMINAL_STATUSES[-1]}")
        return
    if nothing_to_transfer(status, findings.completed_training_jobs):
        reason = (f"parent {label} Failed without any completed training job, so it has "
                  "nothing to transfer")
        if policy == "warn":
            findings.warning(codes.PARENT_FAILED_WITHOUT_COMPLETED_JOBS,
                             f"{reason}; accepted because failed_parent_policy is 'warn'")
        else:
            findings.violation(codes.PARENT_NOT_TERMINAL,
                               f"{reason}; remove it from the parents, or set "
                               "failed_parent_policy to 'warn' to accept it anyway")


# --- creation time ---------------------------------------------------------------------

def parse_creation_time(value: Any) -> datetime | None:
    """CreationTime as an aware UTC datetime, or None when missing or unreadable.

    Accepts a datetime (naive means UTC, as boto3 never returns naive ones), an ISO-8601
    string (``Z`` or an offset) or epoch seconds.
    """
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
        elif is_int(value) or (isinstance(value, float) and math.isfinite(value)):
            moment = datetime.fromtimestamp(value, tz=timezone.utc)
        elif isinstance(value, str) and len(value) <= 64:
            moment = datetime.fromisoformat(_normalise_iso(value.strip()))
        else:
            return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError, TypeError):
        return None


def _normalise_iso(value: str) -> str:
    # Python 3.10's fromisoformat knows neither "Z" nor fractions other than 3 or 6
    # digits, both of which JSON serialisers (Step Functions among them) produce.
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    return _ISO_FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], value, count=1)


def _check_creation_time(parent: Mapping[str, Any], findings: ParentFindings) -> None:
    raw = parent.get("CreationTime")
    findings.creation_time = parse_creation_time(raw)
    label = quote(findings.name)
    earliest = EARLIEST_PARENT_CREATION.date().isoformat()
    if findings.creation_time is None:
        state = "missing" if raw is None else "unreadable"
        findings.warning(codes.PARENT_CREATION_TIME_UNKNOWN,
                         f"parent {label}: CreationTime {state} ({show(raw)}); could not check "
                         f"that it was created on or after {earliest}")
    elif findings.creation_time < EARLIEST_PARENT_CREATION:
        findings.violation(codes.PARENT_TOO_OLD,
                           f"parent {label} was created {findings.creation_time.isoformat()}; "
                           f"tuning jobs created before {earliest} cannot be warm-start parents")


# --- objective and hyperparameters -----------------------------------------------------

def _objective(job: Any) -> Mapping[str, Any]:
    objective = get_dict(get_dict(job, "HyperParameterTuningJobConfig"),
                         "HyperParameterTuningJobObjective")
    # The multi-algorithm form keeps the objective in its (single) definition.
    return objective or get_dict(training_job_definition(job), "TuningObjective")


def _check_objective(parent: Mapping[str, Any], request: Any, findings: ParentFindings) -> None:
    wanted = _objective(request)
    if not (is_nonempty_str(wanted.get("Type")) and is_nonempty_str(wanted.get("MetricName"))):
        return  # malformed or missing: already INVALID_REQUEST, a mismatch would only echo it
    had = _objective(parent)
    if (had.get("Type"), had.get("MetricName")) != (wanted.get("Type"), wanted.get("MetricName")):
        findings.violation(codes.OBJECTIVE_MISMATCH,
                           f"objective differs from parent {quote(findings.name)}: request "
                           f"{_show_objective(wanted)}, parent {_show_objective(had)}; a warm "
                           "start must use the parents' objective metric and type")


def _show_objective(objective: Mapping[str, Any]) -> str:
    if not objective:
        return "none"
    return f"{text(objective.get('Type'))} {text(objective.get('MetricName'))}"


def _check_hyperparameters(parent: Mapping[str, Any], request: Any,
                           findings: ParentFindings) -> None:
    label = quote(findings.name)
    had, wanted = extract(parent), extract(request)
    missing, extra = set_difference(had, wanted)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing from the request: {', '.join(map(quote, missing))}")
        if extra:
            parts.append(f"not in the parent: {', '.join(map(quote, extra))}")
        findings.violation(codes.HYPERPARAMETER_SET_MISMATCH,
                           f"hyperparameter names (static + tunable) differ from parent {label}: "
                           f"{'; '.join(parts)}")
    changed = type_changes(had, wanted)
    if changed:
        listed = ", ".join(f"{quote(n)} {before} -> {after}" for n, before, after in changed)
        findings.violation(codes.HYPERPARAMETER_TYPE_CHANGED,
                           f"hyperparameter type changed vs parent {label}: {listed}; a tunable "
                           "hyperparameter keeps its type (Continuous, Integer, Categorical)")
    findings.changes = count_changes(had, wanted)
    total = sum(change.count for change in findings.changes)
    if total > MAX_CHANGES:
        listed = "; ".join(f"{quote(c.hyper_parameter)} {c.before} -> {c.after} ({c.count})"
                           for c in findings.changes)
        findings.violation(codes.TOO_MANY_CHANGES,
                           f"{format_int(total)} changes vs parent {label}, more than "
                           f"{MAX_CHANGES} (tunable -> static counts 1, or its number of values "
                           f"for a Categorical; a static value change counts 2): {listed}")


# --- IdenticalDataAndAlgorithm ---------------------------------------------------------

def _check_algorithm(parent: Mapping[str, Any], request: Any, findings: ParentFindings) -> None:
    wanted = get_dict(training_job_definition(request), "AlgorithmSpecification")
    had = get_dict(training_job_definition(parent), "AlgorithmSpecification")
    differences = [
        f"{key} {text(had.get(key))} -> {text(wanted.get(key))}"
        for key in ("TrainingImage", "AlgorithmName")
        # Compare what either side names: an image on one side only is a change too.
        if (key in had or key in wanted) and had.get(key) != wanted.get(key)
    ]
    if differences:
        findings.violation(codes.ALGORITHM_CHANGED,
                           f"algorithm differs from parent {quote(findings.name)}: "
                           f"{'; '.join(differences)}; IdenticalDataAndAlgorithm needs the "
                           "parents' training image/algorithm (use TransferLearning otherwise)")


def channels(job: Any) -> dict[str, str | None]:
    """Input channel name -> data location (S3 URI, or file system id + directory)."""
    found: dict[str, str | None] = {}
    for channel in get_list(training_job_definition(job), "InputDataConfig"):
        name = as_dict(channel).get("ChannelName")
        if not isinstance(name, str) or name in found:
            continue
        source = get_dict(channel, "DataSource")
        s3_uri = get_dict(source, "S3DataSource").get("S3Uri")
        file_system = get_dict(source, "FileSystemDataSource")
        if isinstance(s3_uri, str):
            found[name] = s3_uri
        elif file_system:
            found[name] = f"{_plain(file_system.get('FileSystemId'))}:" \
                          f"{_plain(file_system.get('DirectoryPath'))}"
        else:
            found[name] = None
    return found


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else show(value)


def _check_data(parent: Mapping[str, Any], request: Any, findings: ParentFindings) -> None:
    had, wanted = channels(parent), channels(request)
    added = sorted(set(wanted) - set(had))
    removed = sorted(set(had) - set(wanted))
    changed = sorted(n for n in set(had) & set(wanted) if had[n] != wanted[n])
    if not (added or removed or changed):
        return
    parts = []
    if added:
        parts.append(f"added {', '.join(map(quote, added))}")
    if removed:
        parts.append(f"removed {', '.join(map(quote, removed))}")
    parts.extend(f"changed {quote(n)}: {text(had[n])} -> {text(wanted[n])}" for n in changed)
    findings.violation(codes.DATA_CHANGED,
                       f"input data channels differ from parent {quote(findings.name)}: "
                       f"{'; '.join(parts)}; IdenticalDataAndAlgorithm needs the parents' data "
                       "(use TransferLearning for new data)")


# --- immutable TrainingJobDefinition fields --------------------------------------------

def _normalise(value: Any, depth: int = 0) -> Any:
    """Value with empty parts dropped: Describe returns False/{}/[] for unset fields."""
    if depth > _MAX_NESTING:
        return show(value)
    if isinstance(value, Mapping):
        pairs = ((k, _normalise(v, depth + 1)) for k, v in value.items())
        return {k: v for k, v in pairs if not is_empty(v)}
    if isinstance(value, (list, tuple)):
        return [_normalise(v, depth + 1) for v in value]
    return value


def _check_immutable_fields(parent: Mapping[str, Any], request: Any,
                            findings: ParentFindings) -> None:
    had, wanted = training_job_definition(parent), training_job_definition(request)
    keys = {k for k in (*had, *wanted) if isinstance(k, str)}
    keys -= MUTABLE_FIELDS | MULTI_DEFINITION_FIELDS
    changed = []
    for key in sorted(keys):
        before, after = _normalise(had.get(key)), _normalise(wanted.get(key))
        if is_empty(before) and is_empty(after):
            continue
        if before != after:
            changed.append(f"{key} ({_show_field(before)} -> {_show_field(after)})")
    if changed:
        findings.violation(codes.IMMUTABLE_FIELD_CHANGED,
                           f"TrainingJobDefinition fields that a warm start cannot change differ "
                           f"from parent {quote(findings.name)}: {', '.join(changed)}; only "
                           f"{', '.join(sorted(MUTABLE_FIELDS))} may change")


def _show_field(value: Any) -> str:
    return "unset" if is_empty(value) else text(value)


# --- warm start is not recursive -------------------------------------------------------

def _warn_unlisted_parents(parent: Mapping[str, Any], listed: Collection[str],
                           findings: ParentFindings) -> None:
    names = []
    for entry in get_list(get_dict(parent, "WarmStartConfig"), "ParentHyperParameterTuningJobs"):
        name = as_dict(entry).get("HyperParameterTuningJobName")
        if isinstance(name, str) and name not in listed and name not in names:
            names.append(name)
    if names:
        findings.warning(codes.PARENT_HAS_UNLISTED_PARENTS,
                         f"parent {quote(findings.name)} was itself warm-started from "
                         f"{', '.join(map(quote, names))}; warm start is not recursive, so "
                         "their results are not used unless you list them as parents directly")

