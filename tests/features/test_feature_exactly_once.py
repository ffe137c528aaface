"""Exactly-once runs under AWS's semantics (issue 9): at-least-once trigger delivery,
Lambda failures under AWS's error names, refused creates, a failing completion event.

One small stack of its own (module scope): a new-data pipeline without the run lock
(the case where a duplicated event would otherwise create a second job) and a plain
pipeline with the completion event.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from aws_cdk import Duration, RemovalPolicy, Stack  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from cdk_helpers import new_app  # noqa: E402
from warm_start_tuning import NewDataTrigger, WarmStartTuningPipeline, WarmStartType  # noqa: E402
from warm_start_tuning.local import LocalEngine  # noqa: E402
from warm_start_tuning.local.eventbridge import s3_object_created_event  # noqa: E402
from warm_start_tuning.local.simulated_jobs import default_tuning_request  # noqa: E402


class _Stacks:
    def __init__(self) -> None:
        app = new_app()
        stack = Stack(app, "ExactlyOnce")
        request = default_tuning_request()
        common = {
            "tuning_job_config": request["HyperParameterTuningJobConfig"],
            "training_job_definition": request["TrainingJobDefinition"],
            "parent_poll_interval": Duration.minutes(1),
            "wait_mode": "polling",  # the poll loop's own tests (tests/features/test_feature_event_waits.py: events)
        }
        self.bucket = s3.Bucket(stack, "Data", enforce_ssl=True, removal_policy=RemovalPolicy.RETAIN)
        self.new_data = WarmStartTuningPipeline(
            stack,
            "NewDataUnlocked",
            warm_start_type=WarmStartType.TRANSFER_LEARNING,
            job_name_prefix="batch",
            parents=["batch-parent"],
            new_data_trigger=NewDataTrigger(self.bucket, "incoming/", ["train", "validation"]),
            max_concurrent_runs=None,
            **common,
        )
        self.plain = WarmStartTuningPipeline(
            stack,
            "Plain",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="plain",
            parents=["plain-parent"],
            max_concurrent_runs=None,
            **common,
        )
        app.synth()
        self.stack = stack
        self.template = Template.from_stack(stack).to_json()

    def logical_id(self, construct: Any) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))

    def deploy(self, engine: LocalEngine, pipeline: WarmStartTuningPipeline) -> str:
        return engine.deploy(self.template, state_machine=self.logical_id(pipeline.state_machine))

    def rule_target(self, pipeline: WarmStartTuningPipeline) -> dict:
        (target,) = self.template["Resources"][self.logical_id(pipeline.new_data_rule)]["Properties"]["Targets"]
        return target


@pytest.fixture(scope="module")
def stacks() -> _Stacks:
    return _Stacks()


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(time_scale=math.inf) as running:
        yield running


def _created(engine: LocalEngine) -> set[str]:
    return {name for operation, name in engine.sagemaker.calls if operation == "CreateHyperParameterTuningJob"}


def _bucket_name(engine: LocalEngine, arn: str) -> str:
    import re

    definition = engine.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    (name,) = set(re.findall(r'"newDataBucket"\s*:\s*"([^"]+)"', definition))
    return name


# --- 3. idempotent triggers --------------------------------------------------------------


def test_one_event_delivered_twice_at_once_creates_one_job(stacks: _Stacks) -> None:
    """Without the lock both deliveries run at the same time: one job, both runs report it
    (the second create finds the first one's job, which carries the same run key).
    On main each execution named its job after itself: two jobs on one batch."""
    with LocalEngine(time_scale=math.inf, event_deliveries=2) as engine:
        engine.sagemaker.add_tuning_job("batch-parent")
        seeded = _created(engine)
        arn = stacks.deploy(engine, stacks.new_data)
        event = s3_object_created_event(_bucket_name(engine, arn), "incoming/2024-06-02/_SUCCESS")
        executions = engine.deliver(arn, stacks.rule_target(stacks.new_data), event)
        assert len(executions) == 2
        results = [engine.wait(execution) for execution in executions]

        assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
        names = {r.output["tuningJobName"] for r in results}
        assert len(names) == 1 and _created(engine) - seeded == names


# --- 5. every failure named -------------------------------------------------------------


@pytest.mark.parametrize("error_type", ["Sandbox.Timedout", "Runtime.ExitError", "Lambda.Unknown"])
@pytest.mark.parametrize("action", ["prepare", "poll", "validate"])
def test_a_lambda_runtime_failure_ends_in_validator_failed_creating_nothing(
    stacks: _Stacks, engine: LocalEngine, error_type: str, action: str
) -> None:
    """A function that times out, crashes or fails unnamed: ValidatorFailed, with Lambda's
    error in the cause, and no job. On main these ended under the raw Lambda name."""
    engine.sagemaker.add_tuning_job("plain-parent")
    seeded = _created(engine)
    arn = stacks.deploy(engine, stacks.plain)
    engine.lambdas.inject_failure(error_type, action=action)

    result = engine.run(arn, {})

    assert (result.status, result.error) == ("FAILED", "ValidatorFailed"), result.cause
    assert result.cause_json()["errorType"] == error_type
    assert _created(engine) == seeded


def test_lambda_service_errors_exhausting_their_retries_end_in_validator_failed(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("plain-parent")
    arn = stacks.deploy(engine, stacks.plain)
    # The validate step's describes are throttled on every attempt: the handler lets
    # ClientError through for the Retry, and after it the run is ValidatorFailed.
    engine.sagemaker.inject_throttling("DescribeHyperParameterTuningJob", times=1000, job_name="plain-parent")
    result = engine.run(arn, {"parents": ["plain-parent"]})
    assert (result.status, result.error) == ("FAILED", "ValidatorFailed"), (result.error, result.cause)


def test_a_throttled_create_ends_in_tuning_job_not_created(stacks: _Stacks, engine: LocalEngine) -> None:
    """Throttled on every attempt: no job exists, so not TuningJobFailed."""
    engine.sagemaker.add_tuning_job("plain-parent")
    arn = stacks.deploy(engine, stacks.plain)
    engine.sagemaker.inject_throttling("CreateHyperParameterTuningJob", times=1000)

    result = engine.run(arn, {})

    assert (result.status, result.error) == ("FAILED", "TuningJobNotCreated"), (result.error, result.cause)
    assert _existing(engine) == ["plain-parent"]


def _existing(engine: LocalEngine) -> list[str]:
    listed = engine.client("sagemaker").list_hyper_parameter_tuning_jobs(MaxResults=100)
    return [job["HyperParameterTuningJobName"] for job in listed["HyperParameterTuningJobSummaries"]]


def test_a_completion_event_that_fails_leaves_the_completed_run_succeeded(stacks: _Stacks, engine: LocalEngine) -> None:
    """EventBridge fails every attempt after the job completed: the run is SUCCEEDED with
    its result and says the event was not published. On main the run FAILED."""
    engine.sagemaker.add_tuning_job("plain-parent")
    arn = stacks.deploy(engine, stacks.plain)
    engine.fail_put_events(times=100)

    result = engine.run(arn, {})

    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["status"] == "Completed" and result.output["tuningJobName"].startswith("plain-")
    event = result.output["completionEvent"]
    assert event["published"] is False and event["error"] == "EventBridge.FailedEntry"
    # Retried first: the state ran its 1 + 3 attempts.
    assert len(result.events("TaskFailed")) == 4


def test_a_published_completion_event_is_reported(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("plain-parent")
    arn = stacks.deploy(engine, stacks.plain)
    result = engine.run(arn, {})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["completionEvent"] == {"published": True}


def test_the_not_published_alarm_counts_the_state_of_that_name(stacks: _Stacks) -> None:
    filters = {k: v for k, v in stacks.template["Resources"].items() if v["Type"] == "AWS::Logs::MetricFilter"}
    patterns = [f["Properties"]["FilterPattern"] for f in filters.values()]
    assert patterns and all('"CompletionEventNotPublished"' in p and "PassStateEntered" in p for p in patterns)
    alarms = [a["Properties"] for a in stacks.template["Resources"].values() if a["Type"] == "AWS::CloudWatch::Alarm"]
    metric_names = {f["Properties"]["MetricTransformations"][0]["MetricName"] for f in filters.values()}
    assert metric_names <= {a.get("MetricName") for a in alarms}


@pytest.mark.parametrize("status", ["Deleting", "DeleteFailed"])
def test_a_parent_being_deleted_ends_the_run_at_once(stacks: _Stacks, engine: LocalEngine, status: str) -> None:
    """Deleting and DeleteFailed never become terminal: the run ends at the first poll
    with ParentTuningJobNotFound, not after the 7-day parent wait. On main it polled
    until ParentWaitTimeout."""
    engine.sagemaker.add_tuning_job("plain-parent", status_path=[(status, 30 * 86400.0), ("Failed", None)])
    arn = stacks.deploy(engine, stacks.plain)

    result = engine.run(arn, {})

    assert (result.status, result.error) == ("FAILED", "ParentTuningJobNotFound"), result.cause
    assert "plain-parent" in result.cause and "being deleted" in result.cause
    assert result.duration_s is not None and result.duration_s < 3600
