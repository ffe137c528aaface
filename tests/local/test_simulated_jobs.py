"""Simulated tuning jobs: status over time, counters, deterministic best jobs, plans."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from warm_start_tuning.local.clock import SimulatedClock
from warm_start_tuning.local.simulated_jobs import (
    SimulatedApiError,
    SimulatedSageMaker,
    default_tuning_request,
)

START = datetime(2024, 5, 1, tzinfo=timezone.utc)


def _service() -> SimulatedSageMaker:
    return SimulatedSageMaker(SimulatedClock(math.inf, START))


def _create(service: SimulatedSageMaker, name: str, **changes: object) -> None:
    request = default_tuning_request(name)
    request.update(changes)
    service.on_create(request, f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}")


def test_status_follows_the_planned_path_and_counters_grow() -> None:
    service = _service()
    service.plan("job", "Completed", after_seconds=2000)
    _create(service, "job")  # 20 training jobs, 2 at a time: 10 waves of 200 s

    first = service.describe("job")
    assert first["HyperParameterTuningJobStatus"] == "InProgress"
    assert first["TrainingJobStatusCounters"]["InProgress"] == 2
    assert "BestTrainingJob" not in first and "HyperParameterTuningEndTime" not in first
    assert service.seconds_until_change("job") == 2000

    service.clock.advance(1000)
    middle = service.describe("job")
    assert middle["TrainingJobStatusCounters"]["Completed"] == 10
    assert middle["ObjectiveStatusCounters"]["Succeeded"] == 10
    early_best = middle["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]

    service.clock.advance(1000)
    done = service.describe("job")
    assert done["HyperParameterTuningJobStatus"] == "Completed"
    assert done["TrainingJobStatusCounters"] == {
        "Completed": 20, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0
    }
    assert done["HyperParameterTuningEndTime"] == START + timedelta(seconds=2000)
    assert done["LastModifiedTime"] == done["HyperParameterTuningEndTime"]
    best = done["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] >= early_best
    assert best["TrainingJobName"].startswith("job-") and len(best["TrainingJobName"]) <= 63
    assert set(best["TunedHyperParameters"]) == {"eta", "min_child_weight", "max_depth"}
    assert all(isinstance(v, str) for v in best["TunedHyperParameters"].values())
    assert "OverallBestTrainingJob" not in done  # not a warm start
    assert service.seconds_until_change("job") is None


def test_objective_is_deterministic_and_depends_on_hyperparameters() -> None:
    one, two = _service(), _service()
    for service in (one, two):
        service.plan("job", "Completed", after_seconds=0)
        _create(service, "job")
    assert one.describe("job")["BestTrainingJob"] == two.describe("job")["BestTrainingJob"]

    job = one.job("job")
    assert job is not None
    values = {round(c.value, 6) for c in job.candidates()}
    assert len(values) > 10  # different hyperparameters, different objective values


def test_minimize_objective_picks_the_lowest_value() -> None:
    service = _service()
    request = default_tuning_request("loss")
    request["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"] = {
        "Type": "Minimize", "MetricName": "validation:rmse"
    }
    service.plan("loss", "Completed", after_seconds=0)
    service.on_create(request, "arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/loss")
    job = service.job("loss")
    assert job is not None
    best = service.describe("loss")["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]
    assert best["Type"] == "Minimize"
    assert best["Value"] == min(c.value for c in job.candidates())


def test_identical_data_warm_start_reports_the_overall_best_of_job_and_parents() -> None:
    service = _service()
    for parent in ("p1", "p2"):
        service.plan(parent, "Completed", after_seconds=0)
        _create(service, parent)
    warm = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "p1"}, {"HyperParameterTuningJobName": "p2"}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    service.plan("child", "Completed", after_seconds=0)
    _create(service, "child", WarmStartConfig=warm)

    described = service.describe("child")
    values = {
        name: service.describe(name)["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        for name in ("p1", "p2", "child")
    }
    assert values["child"] > max(values["p1"], values["p2"])  # it started from their best
    overall = described["OverallBestTrainingJob"]
    assert overall["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == max(values.values())
    assert overall["TuningJobName"] == max(values, key=values.get)  # type: ignore[arg-type]
    assert described["WarmStartConfig"] == warm

    transfer = dict(warm, WarmStartType="TransferLearning")
    service.plan("child2", "Completed", after_seconds=0)
    _create(service, "child2", WarmStartConfig=transfer)
    assert "OverallBestTrainingJob" not in service.describe("child2")


def test_failed_job_reports_reason_and_counters() -> None:
    service = _service()
    service.plan("bad", "Failed", after_seconds=600, failure_reason="AlgorithmError: boom")
    _create(service, "bad")
    service.clock.advance(600)
    described = service.describe("bad")
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"] == "AlgorithmError: boom"
    counters = described["TrainingJobStatusCounters"]
    assert counters["InProgress"] == 0 and counters["NonRetryableError"] >= 1


def test_stop_goes_through_stopping_to_stopped() -> None:
    service = _service()
    service.plan("long", "Completed", after_seconds=36_000)
    _create(service, "long")
    service.clock.advance(1200)
    service.on_stop("long")
    assert service.describe("long")["HyperParameterTuningJobStatus"] == "Stopping"
    service.clock.advance(60)
    stopped = service.describe("long")
    assert stopped["HyperParameterTuningJobStatus"] == "Stopped"
    assert stopped["HyperParameterTuningEndTime"] == START + timedelta(seconds=1260)
    assert stopped["TrainingJobStatusCounters"]["Stopped"] > 0
    with pytest.raises(SimulatedApiError) as error:
        service.on_stop("long")
    assert error.value.code == "ValidationException"
    with pytest.raises(SimulatedApiError) as missing:
        service.on_stop("nope")
    assert missing.value.code == "ResourceNotFound"


def test_plans_match_exact_names_then_globs_then_any() -> None:
    service = _service()
    service.plan(None, "Failed", after_seconds=10)
    service.plan("imgcls-*", "Stopped", after_seconds=20)
    service.plan("imgcls-exact", "Completed", after_seconds=30)
    for name in ("imgcls-exact", "imgcls-other", "unrelated", "later"):
        _create(service, name)
    service.clock.advance(100)
    statuses = {name: service.describe(name)["HyperParameterTuningJobStatus"] for name in service.jobs}
    assert statuses == {
        "imgcls-exact": "Completed",
        "imgcls-other": "Stopped",
        "unrelated": "Failed",
        "later": "InProgress",  # no plan left: the default path, InProgress for 1800 s
    }


def test_throttling_is_injected_per_operation_and_job() -> None:
    service = _service()
    service.inject_throttling("DescribeHyperParameterTuningJob", times=2, job_name="a")
    service.record("DescribeHyperParameterTuningJob", "b")  # other job: not throttled
    for _ in range(2):
        with pytest.raises(SimulatedApiError) as error:
            service.record("DescribeHyperParameterTuningJob", "a")
        assert error.value.code == "ThrottlingException"
    service.record("DescribeHyperParameterTuningJob", "a")  # used up
    assert service.calls.count(("DescribeHyperParameterTuningJob", "a")) == 3
    with pytest.raises(ValueError):
        service.inject_throttling("DescribeTrainingJob")


def test_status_paths_are_validated() -> None:
    service = _service()
    for bad in ([], [("InProgress", 10)], [("Completed", None), ("InProgress", 5)], [("Running", None)],
                [("InProgress", -1), ("Completed", None)], [("Completed", 5)]):
        with pytest.raises(ValueError):
            service.plan("x", status_path=bad)
    with pytest.raises(ValueError):
        service.plan("x", outcome="InProgress")


def test_add_tuning_job_needs_a_running_engine() -> None:
    with pytest.raises(RuntimeError, match="LocalEngine"):
        _service().add_tuning_job("parent")


def test_summary_matches_describe() -> None:
    service = _service()
    service.plan("job", "Completed", after_seconds=100)
    _create(service, "job")
    summary = service.summaries()["job"]
    described = service.describe("job")
    for key in ("HyperParameterTuningJobStatus", "CreationTime", "TrainingJobStatusCounters"):
        assert summary[key] == described[key]
    assert summary["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2}
