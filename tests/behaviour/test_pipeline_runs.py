"""Behaviour of app.py's synthesized pipeline, run end to end on the local engine.

One synth for the module; each scenario gets its own LocalEngine (fresh moto, simulated
SageMaker and clock), so no run sees another's jobs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from example_pipeline import (  # noqa: E402
    PARENT,
    SHORT_WAIT_TIMEOUT_S,
    Pipeline,
    Templates,
    entered,
    entered_at,
    job_name,
    running,
    synthesize,
)

from warm_start_tuning.local.example_parents import parent_request  # noqa: E402
from warm_start_tuning.rules import PollSettings, worst_case_iterations  # noqa: E402
from warm_start_tuning.rules import RUN_KEY_TAG_KEY, run_key_tag_value  # noqa: E402

OUTPUT_FIELDS = {
    "tuningJobName", "tuningJobArn", "status", "bestTrainingJob", "overallBestTrainingJob",
    "parents", "warmStartType", "validation",
}
CREATE = "CreateHyperParameterTuningJob"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture
def pipeline(templates: Templates) -> Iterator[Pipeline]:
    with running(templates.example) as deployed:
        yield deployed


def violation_codes(result: Any) -> set[str]:
    cause = result.cause_json()
    assert cause["errorType"] == "WarmStartValidationError"
    return {v["code"] for v in json.loads(cause["errorMessage"])["violations"]}


def assert_nothing_created(pipeline: Pipeline, parents: list[str]) -> None:
    assert pipeline.creates() == parents  # only the parents' own creation, before the run
    assert sorted(pipeline.engine.sagemaker.jobs) == sorted(parents)


# --- the happy path ------------------------------------------------------------------


@pytest.mark.parametrize("warm_start_type", ["IdenticalDataAndAlgorithm", "TransferLearning"])
def test_both_warm_start_types_succeed_with_the_designed_output(pipeline: Pipeline, warm_start_type: str) -> None:
    pipeline.add_parents()
    execution = f"nightly-{warm_start_type}"

    result = pipeline.run({"warmStartType": warm_start_type}, name=execution)

    assert result.status == "SUCCEEDED", result.cause
    output = result.output
    assert OUTPUT_FIELDS <= set(output)  # DESIGN.md's fields (later issues may add more)
    name = job_name(execution)
    assert output["tuningJobName"] == name
    assert output["tuningJobArn"] == f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}"
    assert output["status"] == "Completed"
    assert output["parents"] == [PARENT]
    assert output["warmStartType"] == warm_start_type

    best = output["bestTrainingJob"]
    assert best["TuningJobName"] == name and best["TrainingJobStatus"] == "Completed"
    metric = best["FinalHyperParameterTuningJobObjectiveMetric"]
    assert (metric["MetricName"], metric["Type"]) == ("validation:accuracy", "Maximize")
    assert set(best["TunedHyperParameters"]) == {"learning_rate", "momentum"}
    if warm_start_type == "IdenticalDataAndAlgorithm":
        overall = output["overallBestTrainingJob"]
        assert isinstance(overall, dict)
        assert overall["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] >= metric["Value"]
    else:
        assert output["overallBestTrainingJob"] is None

    report = output["validation"]
    assert report["accepted"] is True and report["warmStartType"] == warm_start_type
    (parent,) = report["parents"]
    assert (parent["name"], parent["status"]) == (PARENT, "Completed")
    assert parent["creationTime"] and parent["trainingJobsLaunched"] == 10
    assert report["changes"] == {"max": 0, "limit": 10}
    assert report["trainingJobs"] == {"usedByParents": 10, "newMaximum": 10, "total": 20, "limit": 500}
    assert report["warnings"] == []

    created = pipeline.engine.sagemaker.describe(name)
    assert created["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": PARENT}],
        "WarmStartType": warm_start_type,
    }
    assert pipeline.creates() == [PARENT, name]


def test_waiter_loops_with_backoff_until_every_parent_is_terminal(pipeline: Pipeline) -> None:
    pipeline.add_parents(["imgcls-parent-1"], status_path=[("InProgress", 2 * 3600), ("Completed", None)])
    pipeline.add_parents(["imgcls-parent-2"], status_path=[("InProgress", 6 * 3600), ("Completed", None)])

    result = pipeline.run({"parents": ["imgcls-parent-1", "imgcls-parent-2"]})

    assert result.status == "SUCCEEDED", result.cause
    polls = entered_at(result, "PollParentJobs")
    waits = [round(b - a) for a, b in zip(polls, polls[1:])]
    # Doubling from one minute to the 30-minute cap, then the cap until both are done.
    assert waits[:6] == [60, 120, 240, 480, 960, 1800]
    assert set(waits[6:]) == {1800}
    assert polls[-1] >= 6 * 3600 > polls[-2]
    # The wait each Wait state was given is the one the poll computed.
    given = [json.loads(e["stateEnteredEventDetails"]["input"])["parentWait"]["nextWaitSeconds"]
             for e in result.events("WaitStateEntered")]
    assert given == waits
    # One poll step per iteration for both parents; the run went on only when both were done.
    statuses = [json.loads(e["stateEnteredEventDetails"]["input"])["parentWait"]["statuses"]
                for e in result.events("ChoiceStateEntered")
                if e["stateEnteredEventDetails"]["name"] == "AllParentJobsTerminal?"]
    assert statuses[0] == {"imgcls-parent-1": "InProgress", "imgcls-parent-2": "InProgress"}
    assert {"imgcls-parent-1": "Completed", "imgcls-parent-2": "InProgress"} in statuses
    assert statuses[-1] == {"imgcls-parent-1": "Completed", "imgcls-parent-2": "Completed"}
    assert len(statuses) == len(polls)
    assert entered_at(result, "ValidateWarmStart") == [polls[-1]]


# --- parents that are not Completed ---------------------------------------------------


def test_failed_and_stopped_parents_are_terminal_and_accepted(pipeline: Pipeline) -> None:
    pipeline.add_parents(["imgcls-failed"], status_path=[("InProgress", 1800), ("Failed", None)], completed=3)
    pipeline.add_parents(
        ["imgcls-stopped"], status_path=[("InProgress", 3600), ("Stopping", 60), ("Stopped", None)]
    )

    result = pipeline.run({"parents": ["imgcls-failed", "imgcls-stopped"]})

    assert result.status == "SUCCEEDED", result.cause
    report = {p["name"]: p for p in result.output["validation"]["parents"]}
    assert report["imgcls-failed"]["status"] == "Failed"
    assert report["imgcls-failed"]["completedTrainingJobs"] == 3
    assert report["imgcls-stopped"]["status"] == "Stopped"
    assert entered_at(result, "ValidateWarmStart")[0] >= 3660  # waited for Stopping to end
    created = pipeline.engine.sagemaker.describe(result.output["tuningJobName"])
    assert [p["HyperParameterTuningJobName"] for p in created["WarmStartConfig"]["ParentHyperParameterTuningJobs"]] \
        == ["imgcls-failed", "imgcls-stopped"]


def test_failed_parent_without_a_completed_training_job_is_rejected(pipeline: Pipeline) -> None:
    pipeline.add_parents(status_path=[("InProgress", 600), ("Failed", None)], completed=0)

    result = pipeline.run()

    assert (result.status, result.error) == ("FAILED", "WarmStartValidationError")
    assert violation_codes(result) == {"PARENT_NOT_TERMINAL"}
    assert_nothing_created(pipeline, [PARENT])


def test_a_parent_that_does_not_exist(pipeline: Pipeline) -> None:
    pipeline.add_parents()

    result = pipeline.run({"parents": [PARENT, "imgcls-parent-gone"]})

    assert (result.status, result.error) == ("FAILED", "ParentTuningJobNotFound")
    assert result.cause == 'Tuning job(s) not found or being deleted: ["imgcls-parent-gone"]'
    assert entered(result)[-1] == "ParentTuningJobNotFound"
    assert "ValidateWarmStart" not in entered(result)
    assert_nothing_created(pipeline, [PARENT])


# --- rejections ------------------------------------------------------------------------


def _other_objective(request: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(request)
    changed["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"] = {
        "Type": "Minimize", "MetricName": "validation:loss",
    }
    return changed


@pytest.mark.parametrize(
    ("run_input", "parent_change", "codes", "waited"),
    [
        pytest.param(
            {"inputData": {"train": "s3://example-ml-data/image-classification/new/train/"}, "maxTrainingJobs": 491},
            None, {"DATA_CHANGED", "TRAINING_JOB_LIMIT"}, True, id="new-data-and-too-many-jobs",
        ),
        pytest.param({}, _other_objective, {"OBJECTIVE_MISMATCH"}, True, id="parent-of-another-objective"),
        pytest.param(
            {"staticHyperParameters": {"epochs": "forty"}, "maxTrainingJobs": "many"},
            None, {"INVALID_REQUEST"}, False, id="malformed-input-before-any-wait",
        ),
    ],
)
def test_rule_violation_ends_in_validation_error_and_creates_nothing(
    pipeline: Pipeline, run_input: dict[str, Any], parent_change: Any, codes: set[str], waited: bool
) -> None:
    request = parent_request(pipeline.info, PARENT)
    if parent_change is not None:
        request = parent_change(request)
    pipeline.engine.sagemaker.add_tuning_job(PARENT, request)

    result = pipeline.run(run_input)

    assert (result.status, result.error) == ("FAILED", "WarmStartValidationError")
    assert codes <= violation_codes(result)
    assert ("PollParentJobs" in entered(result)) is waited
    assert "CreateTuningJob" not in entered(result)
    assert_nothing_created(pipeline, [PARENT])


# --- AWS trouble -----------------------------------------------------------------------


@pytest.mark.parametrize("raw_input", ['"hello"', "[1, 2]", "7", "true"])
def test_input_that_is_not_an_object_is_a_validation_error_not_a_runtime_error(
    pipeline: Pipeline, raw_input: str
) -> None:
    parents = [parent["HyperParameterTuningJobName"] for parent in pipeline.add_parents()]
    # A str is passed to StartExecution as the JSON text itself.
    result = pipeline.engine.run(pipeline.arn, raw_input, name="odd-input")
    assert result.status == "FAILED" and result.error == "WarmStartValidationError"
    assert violation_codes(result) == {"INVALID_REQUEST"}
    assert "execution input must be a JSON object" in result.cause_json()["errorMessage"]
    assert "PollParentJobs" not in entered(result)
    assert_nothing_created(pipeline, parents)


@pytest.fixture
def instant_sdk_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's own backoff sleeps real seconds (up to 15 s for 4 throttles): the local
    engine simulates Step Functions' time, not the SDK's inside a Lambda."""
    from botocore.retries.standard import ExponentialBackoff

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)


def test_throttled_describe_is_retried_and_the_run_succeeds(pipeline: Pipeline, instant_sdk_retries: None) -> None:
    pipeline.add_parents()
    # The validator's botocore retries (5 attempts) absorb 4 throttles in one invocation;
    # 6 make the invocation fail with ClientError, which the state's Retry takes over.
    pipeline.engine.sagemaker.inject_throttling("DescribeHyperParameterTuningJob", times=6, job_name=PARENT)

    result = pipeline.run()

    assert result.status == "SUCCEEDED", result.cause
    failures = result.events("TaskFailed")
    assert len(failures) == 1
    failure = failures[0]["taskFailedEventDetails"]
    assert failure["error"] == "ClientError" and "ThrottlingException" in failure["cause"]
    # The same state ran again (5 s later, its Retry interval) and succeeded.
    types = [e["type"] for e in result.history]
    failed_at = types.index("TaskFailed")
    assert types[failed_at + 1:failed_at + 4] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    assert result.history[failed_at + 1]["timestamp"] - result.history[failed_at]["timestamp"] \
        >= timedelta(seconds=5)
    describes = [c for c in pipeline.engine.sagemaker.calls if c == ("DescribeHyperParameterTuningJob", PARENT)]
    assert len(describes) >= 6 + 2  # the throttled ones, then the poll and the validation


def test_a_parent_that_never_finishes_ends_in_parent_wait_timeout(templates: Templates) -> None:
    with running(templates.short_wait) as pipeline:
        pipeline.add_parents(status_path=[("InProgress", 30 * 86400), ("Completed", None)])

        result = pipeline.run()

        assert (result.status, result.error) == ("FAILED", "ParentWaitTimeout")
        assert result.cause.startswith("Tuning job(s) not terminal after ")
        assert result.cause.endswith(f'seconds: {{"{PARENT}":"InProgress"}}')
        waited = int(result.cause.split(" after ")[1].split(" ")[0])
        assert waited >= SHORT_WAIT_TIMEOUT_S
        # As many polls as the construct's synth-time history budget assumes at worst.
        assert len(entered_at(result, "PollParentJobs")) == worst_case_iterations(
            PollSettings(timeout_seconds=SHORT_WAIT_TIMEOUT_S)
        )
        assert_nothing_created(pipeline, [PARENT])


@pytest.mark.parametrize("outcome", ["Failed", "Stopped"])
def test_the_new_tuning_job_fails(pipeline: Pipeline, outcome: str) -> None:
    pipeline.add_parents()
    pipeline.engine.sagemaker.plan(
        "imgcls-*", outcome, after_seconds=900, failure_reason="ClientError: out of capacity"
    )

    result = pipeline.run(name="doomed")

    assert (result.status, result.error) == ("FAILED", "TuningJobFailed")
    cause = result.cause_json()
    assert cause["HyperParameterTuningJobName"] == job_name("doomed")
    assert cause["HyperParameterTuningJobStatus"] == outcome
    if outcome == "Failed":
        assert cause["FailureReason"] == "ClientError: out of capacity"
    assert entered(result)[-2:] == ["CreateTuningJob", "TuningJobFailed"]
    assert pipeline.creates() == [PARENT, job_name("doomed")]


def test_a_retried_create_attaches_to_the_job_instead_of_creating_another(pipeline: Pipeline) -> None:
    pipeline.add_parents()
    execution = "nightly-2024-05-01"
    name = job_name(execution)
    # An earlier attempt of this very execution already got the job accepted by SageMaker.
    earlier = parent_request(pipeline.info, name)
    earlier["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": PARENT}],
        "WarmStartType": "IdenticalDataAndAlgorithm",
    }
    # It carries this run's run-key tag, as every job the pipeline creates does.
    earlier["Tags"] = [{"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value(execution)}]
    pipeline.engine.sagemaker.add_tuning_job(name, earlier, status_path=[("InProgress", 1200), ("Completed", None)])
    existing = pipeline.engine.sagemaker.job(name)
    created_at = existing.created_at

    result = pipeline.run(name=execution)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["tuningJobName"] == name
    assert result.output["status"] == "Completed" and result.output["bestTrainingJob"]["TuningJobName"] == name
    failures = [e["taskFailedEventDetails"] for e in result.events("TaskFailed")]
    assert failures and all(f["error"] == "SageMaker.ResourceInUseException" for f in failures)
    assert all("already exists" in f["cause"] for f in failures)
    for state in ("JobAlreadyExists?", "ExistingJobName", "ExistingJob: PollParentJobs",
                  "DescribeExistingJob", "ExistingJobCompleted?"):
        assert state in entered(result)
    # Still the one job, created once (before the run); every create of the run was refused.
    assert pipeline.engine.sagemaker.job(name) is existing and existing.created_at == created_at
    listed = pipeline.engine.client("sagemaker").list_hyper_parameter_tuning_jobs(NameContains=name)
    assert [j["HyperParameterTuningJobName"] for j in listed["HyperParameterTuningJobSummaries"]] == [name]
    assert pipeline.creates().count(name) == 1 + len(failures)
    # No attempt of the create step succeeded: the run attached to the job instead.
    creates = [e for e in result.history
               if (e.get("taskSucceededEventDetails") or e.get("taskScheduledEventDetails") or {})
               .get("resource", "").startswith("createHyperParameterTuningJob")]
    assert [e["type"] for e in creates] == ["TaskScheduled"] * len(failures)


def test_per_run_overrides_reach_the_created_job(pipeline: Pipeline) -> None:
    pipeline.add_parents()
    new_data = {
        "train": "s3://example-ml-data/image-classification/2024-06/train/",
        "validation": "s3://example-ml-data/image-classification/2024-06/validation/",
    }

    result = pipeline.run(
        {
            "warmStartType": "TransferLearning",  # new data: IdenticalDataAndAlgorithm would refuse it
            "inputData": new_data,
            "maxTrainingJobs": 40,
            "maxParallelTrainingJobs": 4,
            "staticHyperParameters": {"epochs": "40", "mini_batch_size": "64"},
        },
        name="overrides",
    )

    assert result.status == "SUCCEEDED", result.cause
    created = pipeline.engine.sagemaker.describe(job_name("overrides"))
    definition = created["TrainingJobDefinition"]
    uris = {c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in definition["InputDataConfig"]}
    assert uris == new_data
    assert created["HyperParameterTuningJobConfig"]["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": 40, "MaxParallelTrainingJobs": 4,
    }
    static = definition["StaticHyperParameters"]
    assert (static["epochs"], static["mini_batch_size"]) == ("40", "64")
    untouched = parent_request(pipeline.info, "x")["TrainingJobDefinition"]["StaticHyperParameters"]
    assert {k: v for k, v in static.items() if k not in ("epochs", "mini_batch_size")} == {
        k: v for k, v in untouched.items() if k not in ("epochs", "mini_batch_size")
    }
    assert created["WarmStartConfig"]["WarmStartType"] == "TransferLearning"
    report = result.output["validation"]
    (parent,) = report["parents"]
    assert {d["hyperParameter"] for d in parent["changes"]["details"]} == {"epochs", "mini_batch_size"}
    assert report["trainingJobs"]["newMaximum"] == 40

