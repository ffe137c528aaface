"""Resume: a Stopped or Failed job continues with the rest of its training-job budget."""

from __future__ import annotations

import json
from typing import Any

import factories
import pytest
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.planner import plan
from warm_start_rules.run_input import prepare_run

SETTINGS = {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject"}


def stopped_job(name: str = "imgcls-early", status: str = "Stopped", *, maximum: int = 50, parallel: int = 5,
                completed: int = 12, stopped: int = 8) -> dict[str, Any]:
    request = factories.valid_request()
    request["HyperParameterTuningJobConfig"]["ResourceLimits"] = {
        "MaxNumberOfTrainingJobs": maximum, "MaxParallelTrainingJobs": parallel}
    return factories.parent_describe(name, request=request, status=status, counters={
        "Completed": completed, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": stopped})


class Describer:
    def __init__(self, *jobs: dict[str, Any]) -> None:
        self.jobs = {j["HyperParameterTuningJobName"]: j for j in jobs}
        self.calls: list[str] = []

    def __call__(self, name: str) -> dict[str, Any] | None:
        self.calls.append(name)
        return self.jobs.get(name)


def no_listing(prefix: str) -> list[dict[str, Any]]:
    raise AssertionError("resume never lists jobs")


def prepare(run_input: dict[str, Any], describe: Describer, *, request: dict[str, Any] | None = None,
            default_type: str = "TransferLearning") -> dict[str, Any]:
    event = {"action": "prepare", "input": run_input,
             "defaults": {"parents": ["imgcls-default"], "warmStartType": default_type},
             "request": request or factories.valid_request(), "settings": SETTINGS}
    return prepare_run(event, list_jobs=no_listing, describe=describe)


def violations(caught: pytest.ExceptionInfo[WarmStartValidationError]) -> list[dict[str, Any]]:
    return json.loads(str(caught.value))["violations"]


def test_stopped_job_resumes_with_the_rest_of_its_budget() -> None:
    run = prepare({"resume": "imgcls-early"}, Describer(stopped_job()))
    assert run["parents"] == ["imgcls-early"]
    # the resume is the same search: IdenticalDataAndAlgorithm, whatever the pipeline's default
    assert run["warmStartType"] == "IdenticalDataAndAlgorithm"
    assert run["overrides"] == {"maxTrainingJobs": 30}  # 50 - (12 + 8) launched; "resume" removed
    selection = run["selection"]
    assert selection["mode"] == "resume" and selection["chosen"] == ["imgcls-early"]
    assert selection["reasons"] == [
        "resume imgcls-early (Stopped, created 2024-05-01T12:00:00+00:00)",
        "imgcls-early launched 20 of its 50 training jobs; the new job gets the remaining 30",
    ]
    assert selection["trainingJobs"] == {"used": 50, "limit": 500}
    json.dumps(run)


def test_failed_job_with_results_resumes() -> None:
    run = prepare({"resume": "imgcls-early"}, Describer(stopped_job(status="Failed", completed=3, stopped=0)))
    assert run["overrides"]["maxTrainingJobs"] == 47


def test_failed_job_without_results_is_resumed_with_a_note_for_the_validation() -> None:
    run = prepare({"resume": "imgcls-early"}, Describer(stopped_job(status="Failed", completed=0, stopped=4)))
    assert run["overrides"]["maxTrainingJobs"] == 46
    assert "the validation applies failedParentPolicy" in run["selection"]["reasons"][-1]


def test_completed_job_cannot_be_resumed_and_a_warm_start_is_suggested() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"resume": "imgcls-early"}, Describer(stopped_job(status="Completed")))
    (violation,) = violations(caught)
    assert violation["code"] == "INVALID_REQUEST" and violation["parent"] == "imgcls-early"
    assert "ended early (Stopped or Failed)" in violation["message"]
    assert 'start a normal warm start: {"parents": ["imgcls-early"]}' in violation["message"]


@pytest.mark.parametrize("status", ["InProgress", "Stopping", None])
def test_unfinished_job_cannot_be_resumed(status: Any) -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"resume": "imgcls-early"}, Describer(stopped_job(status=status)))
    (violation,) = violations(caught)
    assert violation["code"] == "INVALID_REQUEST" and "ended early" in violation["message"]


def test_missing_job_is_parent_not_found() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"resume": "imgcls-gone"}, Describer())
    assert [(v["code"], v["parent"]) for v in violations(caught)] == [("PARENT_NOT_FOUND", "imgcls-gone")]


def test_job_that_used_its_whole_budget_has_nothing_left() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"resume": "imgcls-early"}, Describer(stopped_job(maximum=20)))
    (violation,) = violations(caught)
    assert violation["code"] == "INVALID_REQUEST"
    assert "launched 20 of its 20 training jobs: nothing left to resume" in violation["message"]


def test_explicit_max_training_jobs_wins() -> None:
    run = prepare({"resume": "imgcls-early", "maxTrainingJobs": 7}, Describer(stopped_job(maximum=20)))
    assert run["overrides"] == {"maxTrainingJobs": 7}
    assert run["selection"]["trainingJobs"]["used"] == 27
    assert "maxTrainingJobs integer 7 given in the execution input" in run["selection"]["reasons"]


def test_max_parallel_is_clipped_to_the_remaining_budget() -> None:
    run = prepare({"resume": "imgcls-early"}, Describer(stopped_job(maximum=23)))  # 3 left, request runs 5 at once
    assert run["overrides"] == {"maxTrainingJobs": 3, "maxParallelTrainingJobs": 3}
    assert "MaxParallelTrainingJobs clipped from 5 to 3 (MaxNumberOfTrainingJobs)" in run["selection"]["reasons"]


def test_explicit_max_parallel_is_not_clipped_but_checked() -> None:
    assert prepare({"resume": "imgcls-early", "maxParallelTrainingJobs": 2},
                   Describer(stopped_job(maximum=23)))["overrides"] == {
        "maxParallelTrainingJobs": 2, "maxTrainingJobs": 3}
    with pytest.raises(WarmStartValidationError, match="MaxParallelTrainingJobs"):
        prepare({"resume": "imgcls-early", "maxParallelTrainingJobs": 4}, Describer(stopped_job(maximum=23)))


def test_explicit_warm_start_type_is_kept() -> None:
    run = prepare({"resume": "imgcls-early", "warmStartType": "TransferLearning"}, Describer(stopped_job()))
    assert run["warmStartType"] == "TransferLearning"


@pytest.mark.parametrize("counters", [None, {"Completed": "many"}])
def test_unreadable_budget_asks_for_max_training_jobs(counters: Any) -> None:
    job = stopped_job()
    job["TrainingJobStatusCounters"] = counters
    with pytest.raises(WarmStartValidationError, match="give maxTrainingJobs"):
        prepare({"resume": "imgcls-early"}, Describer(job))
    assert prepare({"resume": "imgcls-early", "maxTrainingJobs": 5}, Describer(job))["overrides"] == {
        "maxTrainingJobs": 5}


def test_missing_resource_limits_ask_for_max_training_jobs() -> None:
    job = stopped_job()
    del job["HyperParameterTuningJobConfig"]["ResourceLimits"]
    with pytest.raises(WarmStartValidationError, match="MaxNumberOfTrainingJobs missing or unreadable"):
        prepare({"resume": "imgcls-early"}, Describer(job))


@pytest.mark.parametrize("name", ["", "bad name", 7, ["imgcls-early"], "x" * 33])
def test_malformed_resume_is_rejected_without_describing(name: Any) -> None:
    describe = Describer(stopped_job())
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"resume": name}, describe)
    assert {v["code"] for v in violations(caught)} == {"INVALID_REQUEST"}
    assert "resume must name a tuning job" in str(caught.value)
    assert describe.calls == []


def test_resumed_run_passes_the_validation() -> None:
    describe = Describer(stopped_job())
    run = prepare({"resume": "imgcls-early"}, describe)
    event = {"parents": run["parents"], "warmStartType": run["warmStartType"], "request": factories.valid_request(),
             "overrides": run["overrides"], "executionName": "resume-1", "settings": SETTINGS}
    result = plan(event, describe)
    limits = result["request"]["HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert limits == {"MaxNumberOfTrainingJobs": 30, "MaxParallelTrainingJobs": 5}
    assert result["report"]["trainingJobs"] == {"usedByParents": 20, "newMaximum": 30, "total": 50, "limit": 500}
