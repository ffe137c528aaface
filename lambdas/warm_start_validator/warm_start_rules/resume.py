"""Resume: carry on from a job that ended early (Stopped or Failed) with the rest of its
training-job budget.

The resumed job becomes the single parent of an IdenticalDataAndAlgorithm warm start
whose MaxNumberOfTrainingJobs is what the job had left: its own maximum minus the
training jobs it launched. Pure; ``describe`` is injected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._access import format_int, get_dict, get_int, quote, show, text
from .codes import INVALID_REQUEST, PARENT_NOT_FOUND
from .errors import Violation, WarmStartValidationError
from .parent_checks import count_training_jobs, nothing_to_transfer
from .parent_selection import Describe, Job, Selection
from .planner import _positive_int  # the overrides' own reading of a count
from .request_checks import job_name_problem

RESUMABLE_STATUSES = ("Stopped", "Failed")


@dataclass(frozen=True)
class ResumePlan:
    """The parent and the overrides (maxTrainingJobs, maxParallelTrainingJobs) of a resume."""

    selection: Selection
    overrides: dict[str, int]


def _invalid(message: str, parent: str | None = None) -> WarmStartValidationError:
    return WarmStartValidationError([Violation(INVALID_REQUEST, f"resume: {message}", parent)])


def resume_name_problem(name: Any) -> str | None:
    """What is wrong with the input's ``resume`` value (checked before any AWS call)."""
    problem = job_name_problem(name)
    return None if problem is None else f"execution input: resume must name a tuning job: {problem}"


def _limits(request: Any) -> Mapping[str, Any]:
    return get_dict(get_dict(request, "HyperParameterTuningJobConfig"), "ResourceLimits")


def resume_from(name: str, describe: Describe, run_input: Mapping[str, Any], request: Any, *,
                training_job_limit: int | None) -> ResumePlan:
    """Plan the resume of ``name``. Raises WarmStartValidationError (PARENT_NOT_FOUND,
    INVALID_REQUEST) when it cannot be resumed; AWS errors from ``describe`` propagate.

    ``run_input``'s own maxTrainingJobs / maxParallelTrainingJobs win over the computed
    ones; ``request`` is the static request (for its MaxParallelTrainingJobs).
    """
    described = describe(name)
    if not isinstance(described, Mapping):
        raise WarmStartValidationError([Violation(
            PARENT_NOT_FOUND, f"resume: tuning job {quote(name)} does not exist (DescribeHyperParameterTuningJob "
                              "found no such tuning job in this account and region)", name)])
    job = Job.of(name, described)
    status = job.status
    if status == "Completed":
        raise _invalid(f"{name} Completed, so it has no budget left to resume; resume is for jobs that ended "
                       "early (Stopped or Failed). To build on it, start a normal warm start: "
                       f'{{"parents": ["{name}"]}}', name)
    if status not in RESUMABLE_STATUSES:
        raise _invalid(f"{name} is {text(status)}; resume is for jobs that ended early (Stopped or Failed): "
                       "wait until it ends", name)

    reasons = [f"resume {job.label()}"]
    counts = count_training_jobs(described)
    explicit = "maxTrainingJobs" in run_input
    if explicit:
        new_maximum = _positive_int(run_input["maxTrainingJobs"])
        reasons.append(f"maxTrainingJobs {show(run_input['maxTrainingJobs'])} given in the execution input")
        overrides: dict[str, int] = {}
    else:
        maximum = get_int(_limits(described), "MaxNumberOfTrainingJobs")
        if maximum is None or counts.unreadable:
            missing = "ResourceLimits.MaxNumberOfTrainingJobs" if maximum is None else ", ".join(counts.unreadable)
            raise _invalid(f"{name}: {missing} missing or unreadable, so its remaining budget is unknown; "
                           "give maxTrainingJobs in the execution input", name)
        new_maximum = maximum - counts.launched
        if new_maximum <= 0:
            raise _invalid(f"{name} launched {format_int(counts.launched)} of its {format_int(maximum)} training "
                           "jobs: nothing left to resume. Start a normal warm start "
                           f'({{"parents": ["{name}"]}}) with a maxTrainingJobs instead', name)
        overrides = {"maxTrainingJobs": new_maximum}
        reasons.append(f"{name} launched {format_int(counts.launched)} of its {format_int(maximum)} training "
                       f"jobs; the new job gets the remaining {format_int(new_maximum)}")
    if nothing_to_transfer(status, counts.completed):
        reasons.append(f"{name} Failed without a completed training job: it has no result to transfer; "
                       "the validation applies failedParentPolicy to it")

    if new_maximum is not None and "maxParallelTrainingJobs" not in run_input:
        parallel = get_int(_limits(request), "MaxParallelTrainingJobs")
        if parallel is not None and parallel > new_maximum:
            overrides["maxParallelTrainingJobs"] = new_maximum
            reasons.append(f"MaxParallelTrainingJobs clipped from {format_int(parallel)} to "
                           f"{format_int(new_maximum)} (MaxNumberOfTrainingJobs)")
    used = counts.launched + new_maximum if new_maximum is not None else None
    return ResumePlan(Selection("resume", [name], reasons, used, training_job_limit), overrides)
