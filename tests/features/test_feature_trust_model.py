"""The trust model on the local engine: an attacker with only StartExecution.

Each test starts a synthesized pipeline with a hostile execution input and checks that
the run ends in a named error, that nothing is created (or, for a job that exists, that
it is not reported as this run's) and that nothing of another job reaches the output or
the error cause. On main before the trust model every one of these runs either created a
job, reported a foreign job as its own, or ran code the input chose.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.simulated_jobs import default_tuning_request
from warm_start_tuning.rules import RUN_KEY_TAG_KEY, run_key_tag_value

FOREIGN_IMAGE = "999999999999.dkr.ecr.us-east-1.amazonaws.com/other-team-secret:latest"
FOREIGN_DATA = "s3://other-team-private/data/"


def violations(result: Any) -> list[dict[str, Any]]:
    cause = result.cause_json()
    assert cause["errorType"] == "WarmStartValidationError", result.cause
    return json.loads(cause["errorMessage"])["violations"]


def codes(result: Any) -> set[str]:
    return {v["code"] for v in violations(result)}


def foreign_request(name: str) -> dict[str, Any]:
    """Another team's job: its own image and data, which no cause may echo."""
    request = default_tuning_request(name)
    definition = request["TrainingJobDefinition"]
    definition["AlgorithmSpecification"]["TrainingImage"] = FOREIGN_IMAGE
    for channel in definition["InputDataConfig"]:
        channel["DataSource"]["S3DataSource"]["S3Uri"] = FOREIGN_DATA + channel["ChannelName"] + "/"
    return request


def created(engine: LocalEngine, since: int = 0) -> list[str | None]:
    return [name for operation, name in engine.sagemaker.calls[since:] if operation == "CreateHyperParameterTuningJob"]


def described(engine: LocalEngine, since: int = 0) -> list[str | None]:
    return [name for operation, name in engine.sagemaker.calls[since:] if operation == "DescribeHyperParameterTuningJob"]


def assert_rejected_before_anything_waits(engine: LocalEngine, result: Any, since: int) -> None:
    assert result.status == "FAILED" and result.error == "WarmStartValidationError", (result.error, result.cause)
    assert created(engine, since) == []
    assert not any(name.startswith("WaitForParents") or name == "ValidateWarmStart" for name, _ in result.states_entered)
    assert FOREIGN_IMAGE not in (result.cause or "") and "other-team-private" not in (result.cause or "")


@pytest.fixture
def free(engine: LocalEngine, synthesized) -> str:
    """The 'free' pipeline (prefix free, default parent free-parent), deployed."""
    engine.sagemaker.add_tuning_job("free-parent")
    return synthesized.deploy(engine, synthesized.features.unlocked)


def start(engine: LocalEngine, arn: str, run_input: Any, name: str = "attack") -> tuple[Any, int]:
    since = len(engine.sagemaker.calls)
    return engine.run(arn, run_input, name=name), since


# --- 1. job names: another pipeline's job, a parent, a job of another run ---------------


def test_another_pipelines_job_as_tuning_job_name_is_not_allowed(engine: LocalEngine, free: str) -> None:
    engine.sagemaker.add_tuning_job("sched-nightly-job", foreign_request("sched-nightly-job"))
    result, since = start(engine, free, {"tuningJobName": "sched-nightly-job"})
    assert_rejected_before_anything_waits(engine, result, since)
    assert codes(result) == {"OVERRIDE_NOT_ALLOWED"}
    assert "must start with 'free-'" in violations(result)[0]["message"]
    assert "sched-nightly-job" not in described(engine, since)  # never even looked at


def test_a_name_space_extending_the_prefix_is_not_the_pipelines(engine: LocalEngine, free: str) -> None:
    # 'free' owns free-*, never free2-*: the prefix is a boundary.
    result, since = start(engine, free, {"tuningJobName": "free2-job"})
    assert_rejected_before_anything_waits(engine, result, since)
    assert codes(result) == {"OVERRIDE_NOT_ALLOWED"}


def test_a_parent_as_tuning_job_name_is_not_allowed(engine: LocalEngine, free: str) -> None:
    engine.sagemaker.add_tuning_job("free-older")
    result, since = start(engine, free, {"tuningJobName": "free-older", "parents": ["free-older"]})
    assert_rejected_before_anything_waits(engine, result, since)
    assert [v["message"] for v in violations(result)] == [
        "execution input: tuningJobName 'free-older' names a parent of this run; the new job needs a name of its own"]


def test_a_job_of_another_run_is_a_name_conflict_and_is_not_reported(engine: LocalEngine, free: str) -> None:
    # In the pipeline's own name space, created by another run (its run-key tag says so).
    request = foreign_request("free-taken")
    request["Tags"] = [{"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("someone-elses-run")}]
    engine.sagemaker.add_tuning_job("free-taken", request, status_path=[("InProgress", 600), ("Completed", None)])
    result, since = start(engine, free, {"tuningJobName": "free-taken"})
    assert result.status == "FAILED" and result.error == "TuningJobNameConflict", result.cause
    assert result.output is None
    assert "free-taken already exists and was not created by this run" in result.cause
    assert FOREIGN_IMAGE not in result.cause and "other-team-private" not in result.cause
    assert created(engine, since) == ["free-taken"]  # the refused create, nothing else
    # The run did not wait on it, describe it for its result or stop it.
    assert not any(name.startswith("ExistingJob") for name, _ in result.states_entered)
    assert engine.sagemaker.describe("free-taken")["HyperParameterTuningJobStatus"] == "InProgress"


def test_a_job_without_any_run_key_is_a_name_conflict(engine: LocalEngine, free: str) -> None:
    engine.sagemaker.add_tuning_job("free-untagged", foreign_request("free-untagged"))
    result, _since = start(engine, free, {"tuningJobName": "free-untagged"})
    assert result.error == "TuningJobNameConflict" and result.output is None


# --- 2. the training code and the data ---------------------------------------------------


@pytest.mark.parametrize("statics", [
    {"sagemaker_submit_directory": "s3://attacker/evil.tar.gz", "sagemaker_program": "evil.py"},
    {"SageMaker_Program": "evil.py"},  # reserved whatever the case
])
def test_reserved_hyperparameters_are_not_allowed(engine: LocalEngine, free: str, statics: dict) -> None:
    result, since = start(engine, free, {"staticHyperParameters": statics})
    assert_rejected_before_anything_waits(engine, result, since)
    assert codes(result) == {"OVERRIDE_NOT_ALLOWED"}
    assert all("reserved by SageMaker" in v["message"] for v in violations(result))
    assert len(violations(result)) == len(statics)


def test_new_hyperparameters_are_not_allowed_existing_ones_may_change(engine: LocalEngine, free: str) -> None:
    result, since = start(engine, free, {"staticHyperParameters": {"num_rounds": "200"}})
    assert_rejected_before_anything_waits(engine, result, since)
    assert "(did you mean 'num_round'?)" in violations(result)[0]["message"]
    ok, _ = start(engine, free, {"staticHyperParameters": {"num_round": "200"}}, name="allowed")
    assert ok.status == "SUCCEEDED", ok.cause
    definition = engine.sagemaker.describe(ok.output["tuningJobName"])["TrainingJobDefinition"]
    assert definition["StaticHyperParameters"]["num_round"] == "200"


def test_a_new_channel_is_not_added(engine: LocalEngine, free: str) -> None:
    result, since = start(engine, free, {"inputData": {"validaton": "s3://example-bucket/v2/"}})
    assert_rejected_before_anything_waits(engine, result, since)
    (violation,) = violations(result)
    assert violation["code"] == "OVERRIDE_NOT_ALLOWED" and "(did you mean 'validation'?)" in violation["message"]


@pytest.mark.parametrize("uri", [
    "s3://attacker-bucket/train/",           # another bucket, maybe another account
    "s3://example-bucket-evil/train/",       # a bucket whose name starts like the allowed one
    "s3://example-bucket/../attacker/train/",  # reads as escaping
])
def test_data_outside_the_allowed_locations_is_not_allowed(engine: LocalEngine, free: str, uri: str) -> None:
    result, since = start(engine, free, {"inputData": {"train": uri}})
    assert_rejected_before_anything_waits(engine, result, since)
    assert codes(result) == {"OVERRIDE_NOT_ALLOWED"}
    assert "outside the allowed input locations s3://example-bucket/" in violations(result)[0]["message"]


def test_data_inside_the_definitions_bucket_is_used(engine: LocalEngine, free: str) -> None:
    result, _ = start(engine, free, {"inputData": {"train": "s3://example-bucket/2024-06-01/train/"}},
                      name="new-data")
    # IdenticalDataAndAlgorithm rejects changed data (DATA_CHANGED): TransferLearning takes it.
    assert result.error == "WarmStartValidationError" and codes(result) == {"DATA_CHANGED"}
    ok, _ = start(engine, free, {"inputData": {"train": "s3://example-bucket/2024-06-01/train/"},
                                 "warmStartType": "TransferLearning"}, name="new-data-tl")
    assert ok.status == "SUCCEEDED", ok.cause


# --- 3. the prefix as a boundary: selection and resume ----------------------------------


def test_automatic_selection_never_picks_another_name_space(engine: LocalEngine, synthesized) -> None:
    arn = synthesized.deploy(engine, synthesized.features.automatic)
    engine.sagemaker.add_tuning_job("auto-older", created_at=timedelta(hours=-2))
    engine.sagemaker.add_tuning_job("auto2-newer", foreign_request("auto2-newer"))  # another team's, newer
    result = engine.run(arn, {}, name="auto-run")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["parents"] == ["auto-older"]
    assert "auto2-newer" not in json.dumps(result.output)


def test_resume_of_another_pipelines_job_is_not_allowed(engine: LocalEngine, synthesized) -> None:
    arn = synthesized.deploy(engine, synthesized.features.automatic)
    engine.sagemaker.add_tuning_job("sched-stopped", foreign_request("sched-stopped"),
                                    status_path=[("Stopped", None)])
    result, since = start(engine, arn, {"resume": "sched-stopped"})
    assert_rejected_before_anything_waits(engine, result, since)
    assert codes(result) == {"OVERRIDE_NOT_ALLOWED"}
    assert "sched-stopped" not in described(engine, since)


# --- 4. props that narrow the policy -----------------------------------------------------


@pytest.fixture
def restricted(engine: LocalEngine, synthesized) -> str:
    engine.sagemaker.add_tuning_job("baseline-1")
    return synthesized.deploy(engine, synthesized.features.restricted)


def test_parents_outside_the_allowed_prefixes_are_never_described(engine: LocalEngine, restricted: str) -> None:
    engine.sagemaker.add_tuning_job("other-team-job", foreign_request("other-team-job"))
    result, since = start(engine, restricted, {"parents": ["other-team-job"]})
    assert_rejected_before_anything_waits(engine, result, since)
    (violation,) = violations(result)
    assert violation["code"] == "OVERRIDE_NOT_ALLOWED" and violation["parent"] == "other-team-job"
    assert "start with one of 'strict-', 'baseline-'" in violation["message"]
    assert described(engine, since) == []


def test_allowed_parents_and_overrides_run(engine: LocalEngine, restricted: str) -> None:
    engine.sagemaker.add_tuning_job("baseline-2")
    result, _ = start(engine, restricted, {"parents": ["baseline-2"], "maxTrainingJobs": 4}, name="ok")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["parents"] == ["baseline-2"]


@pytest.mark.parametrize("run_input", [{"tuningJobName": "strict-mine"}, {"warmStartType": "TransferLearning"},
                                       {"staticHyperParameters": {"num_round": "5"}}])
def test_overrides_the_props_leave_out_are_not_allowed(engine: LocalEngine, restricted: str, run_input: dict) -> None:
    result, since = start(engine, restricted, run_input)
    assert_rejected_before_anything_waits(engine, result, since)
    (violation,) = violations(result)
    assert "is not one of the overrides this pipeline allows; allowed: parents, maxTrainingJobs" in violation["message"]


# --- 5. bounded state ---------------------------------------------------------------------


def test_an_input_that_would_pass_the_state_limit_is_refused_with_its_size(engine: LocalEngine, free: str) -> None:
    result, since = start(engine, free, {"parents": ["free-parent"] + ["free-" + "x" * 26] * 5000})
    assert_rejected_before_anything_waits(engine, result, since)
    messages = [v["message"] for v in violations(result) if v["code"] == "INVALID_REQUEST"]
    assert any("262,144 bytes (256 KiB) per state" in m and "execution input" in m for m in messages), messages


# --- 6. hostile inputs of any shape ---------------------------------------------------------

# Each draw holds one thing the trust model forbids, among other hostile fields.
forbidden = st.sampled_from([
    {"tuningJobName": "sched-nightly-job"}, {"tuningJobName": "free2-x"},
    {"tuningJobName": "FREE-parent", "parents": ["free-parent"]},  # a parent, whatever the case
    {"resume": "sched-stopped"}, {"resume": "free2-stopped"},
    {"staticHyperParameters": {"sagemaker_program": "evil.py"}},
    {"staticHyperParameters": {"sagemaker_submit_directory": "s3://attacker/evil.tar.gz"}},
    {"staticHyperParameters": {"new_key": "1"}},
    {"inputData": {"train": "s3://attacker/x/"}}, {"inputData": {"train": FOREIGN_DATA}},
    {"inputData": {"extra": "s3://example-bucket/x/"}},
    {"unknownField": 1}, {"newObject": {"bucket": "attacker-bucket", "key": "k/_SUCCESS"}},
    {"huge": "y" * 150_000},
])
hostile_values = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                           st.sampled_from(["s3://attacker/x/", "sched-nightly-job", "free2-x", "x" * 3000]))
extras = st.fixed_dictionaries({}, optional={
    "parents": st.lists(st.sampled_from(["free-parent", "sched-nightly-job", "free2-x"]), min_size=1, max_size=3),
    "staticHyperParameters": st.dictionaries(st.sampled_from(["num_round", "objective"]), hostile_values, max_size=2),
    "maxTrainingJobs": hostile_values,
    "warmStartType": st.sampled_from(["TransferLearning", "IdenticalDataAndAlgorithm", "Evil"]),
})
hostile_inputs = st.builds(lambda extra, bad: {**extra, **bad}, extras, forbidden)


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(run_input=hostile_inputs)
def test_hostile_inputs_end_in_a_named_error_and_create_nothing(engine: LocalEngine, free: str, run_input) -> None:
    for name in ("sched-nightly-job", "sched-stopped"):
        if name not in engine.sagemaker.jobs:
            engine.sagemaker.add_tuning_job(name, foreign_request(name), status_path=[("Stopped", None)])
    since = len(engine.sagemaker.calls)
    result = engine.run(free, run_input)
    assert result.status == "FAILED" and result.error == "WarmStartValidationError", (run_input, result.cause)
    assert result.output is None
    assert created(engine, since) == [] and described(engine, since) == []
    # Nothing of another job: its image never, its data only where the input itself named it.
    assert FOREIGN_IMAGE not in result.cause
    assert "other-team-private" not in result.cause or "other-team-private" in json.dumps(run_input)
