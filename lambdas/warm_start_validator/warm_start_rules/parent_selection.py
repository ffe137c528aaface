"""Automatic parent selection: when a run names no parents, take the pipeline's own jobs.

Scheduled retraining starts runs with an empty input; each run then warm-starts from the
newest earlier job of the same pipeline (its jobs all start with the job-name prefix).
Warm start is not recursive (a grandparent helps only when listed as a parent), so the
newest job's lineage is flattened: its own parents, their parents... are listed directly,
up to SageMaker's five. Parents that would push the training-job total over the limit
are dropped, oldest first. Every decision is reported, in order, as a sentence.

Pure: the AWS calls are injected (``list_jobs(prefix)`` -> ListHyperParameterTuningJobs
summaries, ``describe(name)`` -> DescribeHyperParameterTuningJob or None), so the Lambda,
the command line and tests share it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ._access import as_dict, as_list, format_int, get_dict, get_list, quote
from .codes import INVALID_REQUEST
from .errors import Violation, WarmStartValidationError
from .input_policy import in_name_space
from .limits import MAX_PARENTS, TERMINAL_STATUSES
from .parent_checks import TrainingJobCounts, count_training_jobs, nothing_to_transfer, parse_creation_time
from .request_checks import job_name_problem

ListJobs = Callable[[str], Sequence[Mapping[str, Any]]]
Describe = Callable[[str], "Mapping[str, Any] | None"]

#: Selection modes, as reported (``selection.mode``).
MODES = ("input", "defaults", "automatic", "resume")

# Bounds the Describe calls of one selection: the validator Lambda has 30 seconds, and a
# lineage has at most 5 useful members however wide it is.
MAX_DESCRIBES = 25

# Sorts jobs whose CreationTime is unreadable as the oldest: never picked over a dated job,
# first to go when the limit is tight.
_UNKNOWN_TIME = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class Selection:
    """How a run's parents were chosen: what the prepare action reports as ``selection``."""

    mode: str
    chosen: list[str]
    reasons: list[str] = field(default_factory=list)
    # Training jobs the chosen parents launched + the new MaxNumberOfTrainingJobs: the
    # figure compared with the limit. None when the parents were not described (named in
    # the input or the defaults: the validation counts them once they are terminal).
    used: int | None = None
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "chosen": list(self.chosen),
            "reasons": list(self.reasons),
            "trainingJobs": {"used": self.used, "limit": self.limit},
        }


@dataclass(frozen=True)
class Job:
    """A described tuning job, with what selection needs of it."""

    name: str
    described: Mapping[str, Any]
    created: datetime | None
    counts: TrainingJobCounts

    @classmethod
    def of(cls, name: str, described: Mapping[str, Any]) -> "Job":
        return cls(name, described, parse_creation_time(described.get("CreationTime")),
                   count_training_jobs(described))

    @property
    def status(self) -> Any:
        return self.described.get("HyperParameterTuningJobStatus")

    def label(self) -> str:
        """``name (Status, created ...)`` for the reasons."""
        created = self.created.isoformat() if self.created else "creation time unknown"
        return f"{self.name} ({_status_text(self.status)}, created {created})"


def _status_text(status: Any) -> str:
    return status if isinstance(status, str) and len(status) <= 40 else "status unknown"


def unusable_because(job: Mapping[str, Any]) -> str | None:
    """Why ``job`` (a summary or Describe response) cannot be an automatic parent, or None.

    Terminal only; a Failed job only with a completed training job (otherwise it has
    nothing to transfer). Same status spellings and rule as the engine's checks.
    """
    status = job.get("HyperParameterTuningJobStatus")
    if status not in TERMINAL_STATUSES:
        return _status_text(status)  # InProgress or Stopping: not finished yet
    if nothing_to_transfer(status, count_training_jobs(job).completed):
        return "Failed without a completed training job"
    return None


def _newest_first(created: datetime | None, name: str) -> tuple[datetime, str]:
    # Ties (same second) fall back to the name, so the choice is deterministic.
    return (created or _UNKNOWN_TIME, name)


def select_automatically(prefix: str, list_jobs: ListJobs, describe: Describe, *,
                         new_maximum: int | None, training_job_limit: int,
                         may_use: Callable[[str], bool] = lambda _name: True,
                         own_job: str | None = None) -> Selection:
    """Choose the parents among the pipeline's earlier jobs (names in its name space,
    ``<prefix>-...``; ``imgcls`` never picks ``imgcls2-...``). Ancestors the run may not
    use (``may_use``, the input policy's parent prefixes) are left out, never described.

    ``new_maximum`` is the new job's MaxNumberOfTrainingJobs (after overrides; None when
    invalid: the request checks report that). Raises WarmStartValidationError
    (INVALID_REQUEST) when there is no usable earlier job; AWS errors propagate.

    ``own_job``: the job this run creates (its name comes from the run key), never its
    own parent: a duplicate delivery of a trigger event that runs after the first one's
    job ended then chooses what the first one chose, and attaches to that job.
    """
    selection = Selection("automatic", [], limit=training_job_limit)
    newest = _pick_newest(prefix, list_jobs, describe, selection.reasons, own_job)
    chosen = [newest]
    _add_lineage(newest, describe, chosen, selection.reasons, may_use)
    selection.used = _fit_limit(chosen, new_maximum, training_job_limit, selection.reasons)
    selection.chosen = [job.name for job in chosen]
    return selection


def _pick_newest(prefix: str, list_jobs: ListJobs, describe: Describe, reasons: list[str],
                 own_job: str | None = None) -> Job:
    candidates: list[tuple[datetime | None, str, Mapping[str, Any]]] = []
    for summary in as_list(list_jobs(prefix)):
        name = as_dict(summary).get("HyperParameterTuningJobName")
        # NameContains also matches other pipelines' jobs that merely contain the prefix.
        if in_name_space(name, prefix) and job_name_problem(name) is None:
            candidates.append((parse_creation_time(summary.get("CreationTime")), name, summary))
    candidates.sort(key=lambda c: _newest_first(c[0], c[1]), reverse=True)
    for _created, name, summary in candidates:
        if name == own_job:
            reasons.append(f"skipped {name} (this run's own job: a duplicate delivery of its trigger event)")
            continue
        why = unusable_because(summary)
        if why is not None:
            reasons.append(f"skipped {name} ({why})")
            continue
        described = describe(name)
        if not isinstance(described, Mapping):
            reasons.append(f"skipped {name} (listed, but DescribeHyperParameterTuningJob found nothing)")
            continue
        job = Job.of(name, described)
        reasons.append(f"picked {job.label()}: the newest finished job named {prefix}-*")
        return job
    found = f"{len(candidates)} job(s) with that prefix, none usable" if candidates else "none found"
    raise WarmStartValidationError([Violation(
        INVALID_REQUEST,
        f"no parents given and no earlier terminal job named {quote(prefix + '-')}* ({found}; a parent "
        "must be Completed, Stopped, or Failed with a completed training job): name parents in the "
        "input (\"parents\"), or give the pipeline default parents")])


def _warm_start_parents(described: Mapping[str, Any]) -> list[str]:
    entries = get_list(get_dict(described, "WarmStartConfig"), "ParentHyperParameterTuningJobs")
    names = (as_dict(entry).get("HyperParameterTuningJobName") for entry in entries)
    return [n for n in names if isinstance(n, str)]


def _add_lineage(newest: Job, describe: Describe, chosen: list[Job], reasons: list[str],
                 may_use: Callable[[str], bool]) -> None:
    """Breadth-first through WarmStartConfig parents, each generation newest first, until
    MAX_PARENTS are chosen. Unusable ancestors are skipped but still searched through:
    their own parents may hold results."""
    seen = {newest.name}
    level = [newest]
    describes = 1
    while level and len(chosen) < MAX_PARENTS:
        found: list[tuple[Job, str]] = []
        for child in level:
            for name in _warm_start_parents(child.described):
                if name in seen:
                    continue
                seen.add(name)
                if job_name_problem(name) is not None:
                    reasons.append(f"skipped ancestor {quote(name)} of {child.name} (not a valid tuning job name)")
                elif not may_use(name):
                    reasons.append(f"left out ancestor {name} of {child.name}: outside the parents this "
                                   "pipeline may use (parent prefixes)")
                elif describes >= MAX_DESCRIBES:
                    reasons.append(f"left out ancestor {name} of {child.name}: at most {MAX_DESCRIBES} "
                                   "jobs are described per selection")
                else:
                    described = describe(name)
                    describes += 1
                    if isinstance(described, Mapping):
                        found.append((Job.of(name, described), child.name))
                    else:
                        reasons.append(f"skipped ancestor {name} of {child.name} (not found)")
        found.sort(key=lambda pair: _newest_first(pair[0].created, pair[0].name), reverse=True)
        for job, child_name in found:
            why = unusable_because(job.described)
            if why is not None:
                reasons.append(f"skipped ancestor {job.name} of {child_name} ({why})")
            elif len(chosen) >= MAX_PARENTS:
                reasons.append(f"left out ancestor {job.name} of {child_name}: a warm start takes at "
                               f"most {MAX_PARENTS} parents")
            else:
                chosen.append(job)
                reasons.append(f"added ancestor {job.label()} of {child_name}: warm start is not "
                               "recursive, so ancestors are listed directly")
        level = [job for job, _child in found]


def _fit_limit(chosen: list[Job], new_maximum: int | None, limit: int, reasons: list[str]) -> int | None:
    """Drop the oldest parents until the training-job total fits; never the newest one
    (chosen[0]), which is the reason the run exists. Returns the total (None when the new
    maximum is unknown)."""
    if new_maximum is None:
        return None
    used = sum(job.counts.launched for job in chosen)
    while used + new_maximum > limit and len(chosen) > 1:
        oldest = min(chosen[1:], key=lambda job: (_newest_first(job.created, job.name), -chosen.index(job)))
        chosen.remove(oldest)
        reasons.append(
            f"dropped {oldest.name} (oldest, {format_int(oldest.counts.launched)} training jobs) to keep "
            f"within the training-job limit {format_int(limit)}: parents' "
            f"{format_int(used)} + MaxNumberOfTrainingJobs {format_int(new_maximum)} = "
            f"{format_int(used + new_maximum)}")
        used -= oldest.counts.launched
    if used + new_maximum > limit:
        reasons.append(
            f"kept {chosen[0].name} although its {format_int(used)} training jobs + "
            f"MaxNumberOfTrainingJobs {format_int(new_maximum)} exceed the training-job limit "
            f"{format_int(limit)}: the validation will reject the run; lower maxTrainingJobs")
    return used + new_maximum


def fixed_selection(mode: str, parents: Any, limit: int | None) -> Selection:
    """The report when the parents were named (execution input or pipeline defaults)."""
    where = "parents named in the execution input" if mode == "input" else "the pipeline's default parents"
    names = [p for p in as_list(parents) if isinstance(p, str)]
    return Selection(mode, names, [f"{where}: {', '.join(names)}"], None, limit)
