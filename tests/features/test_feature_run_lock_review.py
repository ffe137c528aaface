"""Review of issue 9 (exactly-once runs): flaky-AWS cases the first tests did not cover.

Each test runs the synthesized state machine on the local engine.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from aws_cdk import Duration, Stack  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from cdk_helpers import new_app  # noqa: E402
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType  # noqa: E402
from warm_start_tuning.local import LocalEngine  # noqa: E402
from warm_start_tuning.local.simulated_jobs import default_tuning_request  # noqa: E402

STATUS_CHANGE = "Step Functions Execution Status Change"


class _Stack:
    def __init__(self) -> None:
        app = new_app()
        stack = Stack(app, "RunLockReview")
        request = default_tuning_request()
        # A short state machine timeout, so that an execution times out while its job runs.
        self.short = WarmStartTuningPipeline(
            stack, "Short", warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM, job_name_prefix="lockv",
            parents=["lock-parent"], parent_wait_timeout=Duration.hours(1), state_machine_timeout=Duration.hours(3),
            tuning_job_config=request["HyperParameterTuningJobConfig"],
            training_job_definition=request["TrainingJobDefinition"],
            parent_poll_interval=Duration.minutes(1), parent_poll_max_interval=Duration.minutes(5), wait_mode="polling",
        )
        # No lock: two runs with the same run key can be in flight at once.
        self.unlocked = WarmStartTuningPipeline(
            stack, "Unlocked", warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM, job_name_prefix="lockn",
            parents=["lock-parent"], parent_wait_timeout=Duration.hours(1), max_concurrent_runs=None,
            tuning_job_config=request["HyperParameterTuningJobConfig"],
            training_job_definition=request["TrainingJobDefinition"],
            parent_poll_interval=Duration.minutes(1), parent_poll_max_interval=Duration.minutes(5), wait_mode="polling",
        )
        app.synth()
        self.stack = stack
        self.template = Template.from_stack(stack).to_json()

    def deploy(self, engine: LocalEngine, pipeline: WarmStartTuningPipeline | None = None) -> str:
        machine = (pipeline or self.short).state_machine
        logical_id = self.stack.resolve(self.stack.get_logical_id(machine.node.default_child))
        return engine.deploy(self.template, state_machine=logical_id)


@pytest.fixture(scope="module")
def stacks() -> _Stack:
    return _Stack()


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(time_scale=3600) as running:
        yield running


def _created(engine: LocalEngine) -> list[str]:
    return [name for operation, name in engine.sagemaker.calls if operation == "CreateHyperParameterTuningJob"]


def _status(engine: LocalEngine, name: str) -> str:
    return engine.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name)["HyperParameterTuningJobStatus"]


def test_dynamodb_throttling_of_the_lock_is_retried(
    stacks: _Stack, engine: LocalEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore raises DynamoDB's throttling as its modeled class
    (ProvisionedThroughputExceededException, a ClientError subclass): Lambda names the
    error after that class, which the Retry on "ClientError" did not match, so one
    throttled write (after botocore's own retries) failed the run at once."""
    import botocore.client

    original = botocore.client.BaseClient._make_api_call
    throttled: list[str] = []

    def throttle(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "UpdateItem" and len(throttled) < 2:
            throttled.append(operation)
            raise self.exceptions.ProvisionedThroughputExceededException(
                {"Error": {"Code": "ProvisionedThroughputExceededException",
                           "Message": "The level of configured provisioned throughput for the table was exceeded"}},
                operation)
        return original(self, operation, params)

    engine.sagemaker.add_tuning_job("lock-parent")
    arn = stacks.deploy(engine)
    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", throttle)
    result = engine.run(arn, {}, timeout_s=60)
    assert throttled == ["UpdateItem", "UpdateItem"]
    assert result.status == "SUCCEEDED", (result.error, result.cause)


def test_a_lost_status_change_event_of_a_timed_out_run_does_not_leave_its_job_running(
    stacks: _Stack, engine: LocalEngine
) -> None:
    """The first run times out while its .sync job runs, and its status-change event is
    lost: the next run reclaims the lease. On review9's base the reclaim released only
    the lease, so the timed-out run's job ran on beside the next run's job."""
    engine.sagemaker.add_tuning_job("lock-parent")
    engine.sagemaker.plan("lockv-*", status_path=[("InProgress", 10 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine)
    engine.drop_events(1, detail_type=STATUS_CHANGE)
    first = engine.run(arn, {}, timeout_s=60)
    assert first.status == "TIMED_OUT"
    engine.wait_for_events()
    (job,) = [n for n in _created(engine) if n.startswith("lockv-")]
    assert _status(engine, job) == "InProgress"  # nobody stopped it yet: the event was lost

    second = engine.run(arn, {"maxTrainingJobs": 11}, timeout_s=60)
    assert second.status == "SUCCEEDED", second.cause
    assert _status(engine, job) in ("Stopping", "Stopped")


def _until_entered(engine: LocalEngine, execution: str, part: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not any(part in name for name, _ in engine.result(execution).states_entered):
        assert time.monotonic() < deadline, f"{execution} never entered {part}"
        time.sleep(0.02)


def test_the_end_of_a_duplicate_run_does_not_stop_the_job_a_live_run_waits_for(stacks: _Stack) -> None:
    """Two deliveries of one trigger event are two executions with one run key, hence one
    job: the first creates it, the second attaches to it. When the second ends without
    succeeding (aborted as "the duplicate", or its poll's Lambda failing), runEnded stopped
    the job, and the first run, which still waited for it, failed with TuningJobFailed."""
    with LocalEngine(time_scale=300) as engine:
        engine.sagemaker.add_tuning_job("lock-parent")
        engine.sagemaker.plan("lockn-*", status_path=[("InProgress", 3 * 3600), ("Completed", None)])
        arn = stacks.deploy(engine, stacks.unlocked)
        same_input = {"scheduledTime": "2024-06-01T00:00:00Z"}
        first = engine.start_execution(arn, same_input)
        _until_entered(engine, first, "CreateTuningJob")
        second = engine.start_execution(arn, same_input)
        _until_entered(engine, second, "ExistingJob: ")
        engine.stop(second)
        assert engine.wait(second).status == "ABORTED"
        engine.wait_for_events()
        (job,) = {n for n in _created(engine) if n.startswith("lockn-")}
        assert _status(engine, job) == "InProgress"
        result = engine.wait(first, timeout_s=180)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        assert result.output["tuningJobName"] == job
