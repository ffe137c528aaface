"""Rounds: repeat warm starts while they pay off.

Each round's job becomes the single parent of the next round (IdenticalDataAndAlgorithm:
same data, same algorithm, more training jobs), MaxNumberOfTrainingJobs grows by a step
per round, and the loop stops when the best objective improves by less than a threshold
or a round limit is reached. ``next_round`` is the decision after one round; the state
machine loops on it. Pure: it only reads what the finished job's Describe output says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._access import format_int, get_dict, get_str, json_int, show, text
from .codes import INVALID_REQUEST
from .errors import Violation, WarmStartValidationError
from .limits import IDENTICAL_DATA_AND_ALGORITHM, MAX_TRAINING_JOB_LIMIT
from .parent_checks import count_training_jobs
from .request_checks import job_name_problem

OBJECTIVE_TYPES = ("Maximize", "Minimize")
SETTINGS_KEYS = ("maxRounds", "minImprovement", "trainingJobsStep", "trainingJobLimit")


def _invalid(message: str) -> Violation:
    return Violation(INVALID_REQUEST, f"nextRound event: {message}")


def next_round(event: Any) -> dict[str, Any]:
    """Decide whether to run another round after round ``event["round"]``.

    Returns ``{"continue", "reason", "rounds", "round", "next"}`` (see the module doc and
    the handler's contract). Raises WarmStartValidationError (INVALID_REQUEST) with every
    problem of a malformed event; never anything else.
    """
    try:
        return _next_round(event)
    except WarmStartValidationError:
        raise
    except Exception as error:  # the promise is: nothing but our error
        raise WarmStartValidationError([_invalid(f"{type(error).__name__}: {error}")]) from None


def _next_round(event: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise WarmStartValidationError([_invalid(f"expected an object; got {show(event)}")])
    violations: list[Violation] = []
    index = _count(event.get("round"), "round", 0, violations)
    earlier = _earlier_rounds(event.get("rounds"), violations)
    job = event.get("tuningJob")
    if not isinstance(job, Mapping):
        violations.append(_invalid(f"tuningJob must be the finished job's Describe output; got {show(job)}"))
        job = {}
    summary = _summary(job, index, violations)
    run = event.get("run")
    overrides: Mapping[str, Any] = {}
    if not isinstance(run, Mapping):
        violations.append(_invalid(f"run must be an object {{parents, warmStartType, overrides}}; got {show(run)}"))
    elif run.get("overrides") is not None:
        if isinstance(run["overrides"], Mapping):
            overrides = run["overrides"]
        else:
            violations.append(_invalid(f"run.overrides must be an object or null; got {show(run['overrides'])}"))
    settings = _settings(event.get("settings"), violations)
    if violations or index is None or summary is None or settings is None:
        raise WarmStartValidationError(list(dict.fromkeys(violations)))

    max_rounds, min_improvement, step, limit = settings
    previous = _best(earlier, summary["objectiveType"])
    new = summary["bestObjective"]
    if new is not None and previous is not None:
        gain = new - previous if summary["objectiveType"] == "Maximize" else previous - new
        summary["improvement"] = gain if math.isfinite(gain) else None
    next_maximum = summary["maxTrainingJobs"] + step
    go, reason = _decide(index, summary, previous, max_rounds, min_improvement)
    launched = count_training_jobs(job).launched
    if go and limit is not None and launched + next_maximum > limit:
        go, reason = False, (f"the next round would exceed the training-job limit: {summary['tuningJobName']}'s "
                             f"{format_int(launched)} training jobs + MaxNumberOfTrainingJobs "
                             f"{format_int(next_maximum)} > {format_int(limit)}")
    next_overrides = {key: value for key, value in overrides.items() if key != "tuningJobName"}
    next_overrides["maxTrainingJobs"] = next_maximum
    return {
        "continue": go,
        "reason": reason,
        "rounds": [*earlier, summary],
        "round": index + 1,
        "next": {
            "parents": [summary["tuningJobName"]],
            "warmStartType": IDENTICAL_DATA_AND_ALGORITHM,
            "overrides": next_overrides,
        },
    }


def _decide(index: int, summary: Mapping[str, Any], previous: float | None, max_rounds: int,
            min_improvement: float) -> tuple[bool, str]:
    if index + 1 >= max_rounds:
        return False, f"round limit reached: {index + 1} of maxRounds {max_rounds} done"
    if summary["bestObjective"] is None:
        return False, (f"round {index} ({summary['tuningJobName']}) has no best objective: no training job "
                       "reported the objective metric")
    improvement = summary["improvement"]
    if previous is None:
        return True, "first round with a best objective: nothing to compare with yet"
    if improvement is None or improvement < min_improvement:
        shown = "an unknown amount" if improvement is None else f"{improvement:g}"
        return False, f"best objective improved by {shown} < threshold {min_improvement:g}"
    return True, f"best objective improved by {improvement:g} >= threshold {min_improvement:g}"


def _count(value: Any, path: str, minimum: int, violations: list[Violation]) -> int | None:
    number = json_int(value)
    if number is None or number < minimum:
        violations.append(_invalid(f"{path} must be an integer >= {minimum}; got {show(value)}"))
        return None
    if number > MAX_TRAINING_JOB_LIMIT:  # beyond what JSON (Step Functions) carries exactly
        violations.append(_invalid(f"{path} must be at most {format_int(MAX_TRAINING_JOB_LIMIT)}; got {show(value)}"))
        return None
    return number


def _number(value: Any) -> float | None:
    """A finite JSON number as a float (JSON may carry 0.9 as 0.9 or 1 as 1)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def _settings(raw: Any, violations: list[Violation]) -> tuple[int, float, int, int | None] | None:
    if not isinstance(raw, Mapping):
        violations.append(_invalid(f"settings must be an object {{maxRounds, minImprovement, trainingJobsStep}}; "
                                   f"got {show(raw)}"))
        return None
    before = len(violations)
    unknown = [key for key in raw if key not in SETTINGS_KEYS]
    if unknown:
        violations.append(_invalid(f"unknown setting(s) {', '.join(map(text, unknown[:10]))}; "
                                   f"allowed: {', '.join(SETTINGS_KEYS)}"))
    max_rounds = _count(raw.get("maxRounds"), "settings.maxRounds", 1, violations)
    step = _count(raw.get("trainingJobsStep", 0), "settings.trainingJobsStep", 0, violations)
    limit = None if raw.get("trainingJobLimit") is None else \
        _count(raw["trainingJobLimit"], "settings.trainingJobLimit", 1, violations)
    min_improvement = _number(raw.get("minImprovement", 0))
    if min_improvement is None or min_improvement < 0:
        violations.append(_invalid(f"settings.minImprovement must be a number >= 0; got {show(raw.get('minImprovement'))}"))
    if len(violations) > before or max_rounds is None or step is None or min_improvement is None:
        return None
    return max_rounds, min_improvement, step, limit


def _earlier_rounds(raw: Any, violations: list[Violation]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(entry, Mapping) for entry in raw):
        violations.append(_invalid(f"rounds must be a list of earlier round summaries; got {show(raw)}"))
        return []
    for position, entry in enumerate(raw):
        best = entry.get("bestObjective")
        if best is not None and _number(best) is None:
            violations.append(_invalid(f"rounds[{position}].bestObjective must be a number or null; got {show(best)}"))
    return [dict(entry) for entry in raw]


def _best(earlier: list[dict[str, Any]], objective_type: str) -> float | None:
    """The best objective of the earlier rounds (the bar this round must clear)."""
    values = [v for v in (_number(entry.get("bestObjective")) for entry in earlier) if v is not None]
    if not values:
        return None
    return max(values) if objective_type == "Maximize" else min(values)


def _summary(job: Mapping[str, Any], index: int | None, violations: list[Violation]) -> dict[str, Any] | None:
    """This round's line of the output, read from the job's Describe output."""
    before = len(violations)
    name = job.get("HyperParameterTuningJobName")
    problem = job_name_problem(name)
    if problem is not None:
        violations.append(_invalid(f"tuningJob.HyperParameterTuningJobName: {problem}"))
    config = get_dict(job, "HyperParameterTuningJobConfig")
    maximum = get_dict(config, "ResourceLimits").get("MaxNumberOfTrainingJobs")
    maximum = _count(maximum, "tuningJob.HyperParameterTuningJobConfig.ResourceLimits.MaxNumberOfTrainingJobs",
                     1, violations)
    best = get_dict(job, "BestTrainingJob")
    metric = get_dict(best, "FinalHyperParameterTuningJobObjectiveMetric")
    objective_type = get_str(get_dict(config, "HyperParameterTuningJobObjective"), "Type") or get_str(metric, "Type")
    if objective_type not in OBJECTIVE_TYPES:
        violations.append(_invalid("tuningJob.HyperParameterTuningJobConfig.HyperParameterTuningJobObjective.Type "
                                   f"must be {' or '.join(OBJECTIVE_TYPES)}; got {text(objective_type)}"))
    if len(violations) > before or index is None:
        return None
    best_name = best.get("TrainingJobName")
    return {
        "round": index,
        "tuningJobName": name,
        "maxTrainingJobs": maximum,
        "bestTrainingJob": best_name if isinstance(best_name, str) else None,
        "bestObjective": _number(metric.get("Value")),
        "objectiveType": objective_type,
        "improvement": None,
    }
