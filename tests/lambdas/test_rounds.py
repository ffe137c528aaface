"""Rounds: each round's job is the next round's parent, until the gain gets too small."""

from __future__ import annotations

import copy
import json
from typing import Any

import handler
import pytest
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.planner import tuning_job_name
from warm_start_rules.rounds import next_round

SETTINGS = {"maxRounds": 5, "minImprovement": 0.01, "trainingJobsStep": 5}
RUN = {"parents": ["imgcls-seed"], "warmStartType": "TransferLearning",
       "overrides": {"tuningJobName": "imgcls-first", "inputData": {"train": "s3://b/new/train/"},
                     "maxTrainingJobs": 10}}


def finished_job(name: str, best: float | None, *, maximum: int = 10, objective: str = "Maximize",
                 launched: int = 10) -> dict[str, Any]:
    """The Describe output as Step Functions' .sync returns it (datetimes as strings)."""
    job: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobStatus": "Completed",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": objective, "MetricName": "validation:accuracy"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": maximum, "MaxParallelTrainingJobs": 2},
        },
        "CreationTime": "2024-06-01T00:00:00Z",
        "TrainingJobStatusCounters": {"Completed": launched, "InProgress": 0, "RetryableError": 0,
                                      "NonRetryableError": 0, "Stopped": 0},
    }
    if best is not None:
        job["BestTrainingJob"] = {
            "TrainingJobName": f"{name}-007-abcdef",
            "CreationTime": "2024-06-01T01:00:00Z",
            "FinalHyperParameterTuningJobObjectiveMetric": {"Type": objective, "MetricName": "validation:accuracy",
                                                           "Value": best},
        }
    return job


def event(round_index: int, job: dict[str, Any], rounds: list[dict[str, Any]] | None = None,
          settings: dict[str, Any] = SETTINGS, run: dict[str, Any] = RUN) -> dict[str, Any]:
    return {"action": "nextRound", "round": round_index, "rounds": rounds or [], "tuningJob": job,
            "run": copy.deepcopy(run), "settings": dict(settings)}


def summary(round_index: int, best: float | None, objective: str = "Maximize") -> dict[str, Any]:
    return {"round": round_index, "tuningJobName": f"imgcls-r{round_index}", "maxTrainingJobs": 10,
            "bestTrainingJob": None, "bestObjective": best, "objectiveType": objective, "improvement": None}


# --- the first round -----------------------------------------------------------------------


def test_first_round_continues_and_plans_the_next() -> None:
    result = next_round(event(0, finished_job("imgcls-first", 0.80)))
    assert result == {
        "continue": True,
        "reason": "first round with a best objective: nothing to compare with yet",
        "rounds": [{"round": 0, "tuningJobName": "imgcls-first", "maxTrainingJobs": 10,
                    "bestTrainingJob": "imgcls-first-007-abcdef", "bestObjective": 0.80,
                    "objectiveType": "Maximize", "improvement": None}],
        "round": 1,
        "next": {"parents": ["imgcls-first"], "warmStartType": "IdenticalDataAndAlgorithm",
                 # the job name override is dropped (each round names its own job); the rest stays
                 "overrides": {"inputData": {"train": "s3://b/new/train/"}, "maxTrainingJobs": 15}},
    }
    json.dumps(result)


def test_a_single_round_stops_at_once() -> None:
    result = next_round(event(0, finished_job("imgcls-first", 0.8), settings={**SETTINGS, "maxRounds": 1}))
    assert result["continue"] is False
    assert result["reason"] == "round limit reached: 1 of maxRounds 1 done"


# --- improvement ---------------------------------------------------------------------------


@pytest.mark.parametrize("objective, previous, new, improvement, go", [
    ("Maximize", 0.80, 0.85, 0.05, True),
    ("Maximize", 0.80, 0.805, 0.005, False),
    ("Maximize", 0.80, 0.70, -0.10, False),
    ("Minimize", 0.50, 0.40, 0.10, True),
    ("Minimize", 0.50, 0.495, 0.005, False),
    ("Minimize", 0.50, 0.60, -0.10, False),
])
def test_improvement_against_the_threshold(objective: str, previous: float, new: float, improvement: float,
                                           go: bool) -> None:
    result = next_round(event(1, finished_job("imgcls-r1", new, objective=objective),
                              [summary(0, previous, objective)]))
    line = result["rounds"][-1]
    assert line["improvement"] == pytest.approx(improvement)
    assert line["objectiveType"] == objective and line["bestObjective"] == new
    assert result["continue"] is go
    if go:
        assert result["reason"].startswith("best objective improved by ") and ">= threshold 0.01" in result["reason"]
    else:
        assert result["reason"] == f"best objective improved by {improvement:g} < threshold 0.01"


def test_the_bar_is_the_best_of_all_earlier_rounds() -> None:
    earlier = [summary(0, 0.90), summary(1, 0.85)]
    result = next_round(event(2, finished_job("imgcls-r2", 0.89), earlier))
    assert result["rounds"][-1]["improvement"] == pytest.approx(-0.01)
    assert result["continue"] is False


def test_zero_threshold_continues_on_any_gain() -> None:
    result = next_round(event(1, finished_job("imgcls-r1", 0.8000001), [summary(0, 0.8)],
                              settings={**SETTINGS, "minImprovement": 0}))
    assert result["continue"] is True


def test_round_limit_stops_even_when_improving() -> None:
    result = next_round(event(4, finished_job("imgcls-r4", 0.99), [summary(i, 0.5 + i / 10) for i in range(4)]))
    assert result["continue"] is False
    assert result["reason"] == "round limit reached: 5 of maxRounds 5 done"
    assert result["round"] == 5 and len(result["rounds"]) == 5


def test_round_without_a_best_objective_stops() -> None:
    result = next_round(event(1, finished_job("imgcls-r1", None), [summary(0, 0.8)]))
    assert result["continue"] is False
    assert result["reason"].startswith("round 1 (imgcls-r1) has no best objective")
    assert result["rounds"][-1]["bestObjective"] is None and result["rounds"][-1]["bestTrainingJob"] is None


def test_a_round_after_one_without_objective_compares_with_the_rounds_that_had_one() -> None:
    result = next_round(event(2, finished_job("imgcls-r2", 0.9), [summary(0, 0.8), summary(1, None)]))
    assert result["rounds"][-1]["improvement"] == pytest.approx(0.1)


# --- growth over rounds --------------------------------------------------------------------


def test_max_training_jobs_grows_by_the_step_each_round() -> None:
    """Simulate the state machine: each round runs the planned job, the next decision reads it."""
    rounds: list[dict[str, Any]] = []
    maximum, best = 10, 0.70
    seen_maximums = []
    for index in range(4):
        name = f"imgcls-r{index}"
        result = next_round(event(index, finished_job(name, best, maximum=maximum), rounds))
        seen_maximums.append(maximum)
        assert result["continue"] is True and result["next"]["parents"] == [name]
        rounds, maximum = result["rounds"], result["next"]["overrides"]["maxTrainingJobs"]
        best += 0.05
    assert seen_maximums == [10, 15, 20, 25]
    assert [line["round"] for line in rounds] == [0, 1, 2, 3]
    assert [line["bestObjective"] for line in rounds] == pytest.approx([0.70, 0.75, 0.80, 0.85])


def test_no_step_keeps_the_maximum() -> None:
    result = next_round(event(0, finished_job("imgcls-r0", 0.8), settings={**SETTINGS, "trainingJobsStep": 0}))
    assert result["next"]["overrides"]["maxTrainingJobs"] == 10


def test_optional_training_job_limit_stops_before_the_next_round_would_break_it() -> None:
    settings = {**SETTINGS, "trainingJobLimit": 20}
    result = next_round(event(0, finished_job("imgcls-r0", 0.8, launched=10), settings=settings))
    assert result["continue"] is False
    assert result["reason"].startswith("the next round would exceed the training-job limit")


def test_json_floats_from_step_functions_are_read() -> None:
    ev = event(1, finished_job("imgcls-r1", 1, maximum=10), [summary(0, 0)])
    ev["round"] = 1.0
    ev["settings"] = {"maxRounds": 3.0, "minImprovement": 1, "trainingJobsStep": 2.0}
    result = next_round(ev)
    assert result["round"] == 2 and result["rounds"][-1]["improvement"] == 1.0
    assert result["next"]["overrides"]["maxTrainingJobs"] == 12


def test_round_job_names_are_distinct_and_deterministic() -> None:
    # The state machine passes "<execution>" for round 0 and "<execution>-round-<n>" later.
    names = [tuning_job_name("imgcls", "nightly-2024-06-01" + ("" if n == 0 else f"-round-{n}")) for n in range(6)]
    assert len(set(names)) == 6
    assert names == [tuning_job_name("imgcls", "nightly-2024-06-01" + ("" if n == 0 else f"-round-{n}"))
                     for n in range(6)]
    # an 80-character execution name (Step Functions' maximum) with a suffix still works
    assert tuning_job_name("imgcls", "e" * 80 + "-round-12").startswith("imgcls-")


def test_the_handler_routes_next_round_and_leaves_the_event_alone() -> None:
    ev = event(0, finished_job("imgcls-r0", 0.8))
    before = copy.deepcopy(ev)
    assert handler.lambda_handler(ev, None)["continue"] is True
    assert ev == before


# --- malformed events ----------------------------------------------------------------------


def _without(document: dict[str, Any], *path: str) -> dict[str, Any]:
    node = document
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return document


def _with(document: dict[str, Any], value: Any, *path: str) -> dict[str, Any]:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


def good() -> dict[str, Any]:
    return event(1, finished_job("imgcls-r1", 0.9), [summary(0, 0.8)])


@pytest.mark.parametrize("bad, expected", [
    (None, "expected an object"),
    ([], "expected an object"),
    (_without(good(), "round"), "round must be an integer >= 0"),
    (_with(good(), -1, "round"), "round must be an integer >= 0"),
    (_with(good(), True, "round"), "round must be an integer >= 0"),
    (_with(good(), 1.5, "round"), "round must be an integer >= 0"),
    (_with(good(), "1", "round"), "round must be an integer >= 0"),
    (_with(good(), {"0": {}}, "rounds"), "rounds must be a list"),
    (_with(good(), [3], "rounds"), "rounds must be a list"),
    (_with(good(), [{"bestObjective": "high"}], "rounds"), "rounds[0].bestObjective must be a number or null"),
    (_without(good(), "tuningJob"), "tuningJob must be the finished job's Describe output"),
    (_with(good(), "imgcls-r1", "tuningJob"), "tuningJob must be the finished job's Describe output"),
    (_without(good(), "tuningJob", "HyperParameterTuningJobName"), "tuningJob.HyperParameterTuningJobName"),
    (_with(good(), "bad name", "tuningJob", "HyperParameterTuningJobName"), "tuningJob.HyperParameterTuningJobName"),
    (_without(good(), "tuningJob", "HyperParameterTuningJobConfig", "ResourceLimits"), "MaxNumberOfTrainingJobs"),
    (_with(good(), 0, "tuningJob", "HyperParameterTuningJobConfig", "ResourceLimits", "MaxNumberOfTrainingJobs"),
     "MaxNumberOfTrainingJobs must be an integer >= 1"),
    (_with(_without(good(), "tuningJob", "BestTrainingJob"), "Best",
           "tuningJob", "HyperParameterTuningJobConfig", "HyperParameterTuningJobObjective", "Type"),
     "Type must be Maximize or Minimize"),
    (_without(good(), "run"), "run must be an object"),
    (_with(good(), ["x"], "run", "overrides"), "run.overrides must be an object or null"),
    (_without(good(), "settings"), "settings must be an object"),
    (_without(good(), "settings", "maxRounds"), "settings.maxRounds must be an integer >= 1"),
    (_with(good(), 0, "settings", "maxRounds"), "settings.maxRounds must be an integer >= 1"),
    (_with(good(), -0.1, "settings", "minImprovement"), "settings.minImprovement must be a number >= 0"),
    (_with(good(), float("nan"), "settings", "minImprovement"), "settings.minImprovement must be a number >= 0"),
    (_with(good(), "0.1", "settings", "minImprovement"), "settings.minImprovement must be a number >= 0"),
    (_with(good(), -5, "settings", "trainingJobsStep"), "settings.trainingJobsStep must be an integer >= 0"),
    (_with(good(), 0, "settings", "trainingJobLimit"), "settings.trainingJobLimit must be an integer >= 1"),
    (_with(good(), 1, "settings", "maxround"), "unknown setting(s) 'maxround'"),
])
def test_malformed_events_are_invalid_requests(bad: Any, expected: str) -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        next_round(bad)
    found = json.loads(str(caught.value))["violations"]
    assert {v["code"] for v in found} == {"INVALID_REQUEST"}
    assert any(expected in v["message"] for v in found), found


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        next_round({"round": -1, "rounds": "x", "tuningJob": {}, "run": None, "settings": {}})
    assert len(json.loads(str(caught.value))["violations"]) >= 5


def test_objective_type_falls_back_to_the_best_job_metric() -> None:
    ev = good()
    del ev["tuningJob"]["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
    assert next_round(ev)["rounds"][-1]["objectiveType"] == "Maximize"


def test_unreadable_best_value_counts_as_no_best_objective() -> None:
    ev = good()
    ev["tuningJob"]["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] = "NaN"
    result = next_round(ev)
    assert result["rounds"][-1]["bestObjective"] is None and result["continue"] is False
