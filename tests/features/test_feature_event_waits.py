"""Waiting on SageMaker's own events (issue 12): the parent wait and the attach path are
one ``.waitForTaskToken`` task each, woken by the stack's rule on "SageMaker
HyperParameter Tuning Job State Change" events, and by the sweep when an event is lost.

The local engine delivers SageMaker's state-change events through EventBridge to the
rule's target as AWS does (asynchronously, 1 simulated second late by default, at least
once), can drop or duplicate them, runs the sweep's Scheduler schedule, and completes task
tokens with SendTaskSuccess/SendTaskFailure through moto.
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
from warm_start_tuning.rules import RUN_KEY_TAG_KEY, run_key_tag_value, tuning_job_name  # noqa: E402

JOB_EVENT = "SageMaker HyperParameter Tuning Job State Change"
SWEEP_SECONDS = 300


class _Stacks:
    def __init__(self) -> None:
        app = new_app()
        stack = Stack(app, "EventWaits")
        request = default_tuning_request()
        common = {
            "tuning_job_config": request["HyperParameterTuningJobConfig"],
            "training_job_definition": request["TrainingJobDefinition"],
            "warm_start_type": WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            "max_concurrent_runs": None,
        }
        # wait_mode="events" is the default.
        self.short = WarmStartTuningPipeline(stack, "Short", job_name_prefix="evs", parents=["evs-parent"],
                                             parent_wait_timeout=Duration.hours(2), **common)
        self.long = WarmStartTuningPipeline(stack, "Long", job_name_prefix="evl", parents=["evl-parent"],
                                            parent_wait_timeout=Duration.days(330),
                                            state_machine_timeout=Duration.days(360), **common)
        app.synth()
        self.stack = stack
        self.template = Template.from_stack(stack).to_json()

    def deploy(self, engine: LocalEngine, pipeline: WarmStartTuningPipeline) -> str:
        machine = self.stack.resolve(self.stack.get_logical_id(pipeline.state_machine.node.default_child))
        return engine.deploy(self.template, state_machine=machine)


@pytest.fixture(scope="module")
def stacks() -> _Stacks:
    return _Stacks()


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    with LocalEngine(time_scale=3600) as running:
        yield running


def _entered(result: Any) -> dict[str, float]:
    """First simulated moment each state was entered."""
    moments: dict[str, float] = {}
    for name, elapsed in result.states_entered:
        moments.setdefault(name, elapsed)
    return moments


def _waiters(engine: LocalEngine) -> list[dict]:
    ddb = engine.client("dynamodb")
    (table,) = [t for t in ddb.list_tables()["TableNames"] if "RunTable" in t]
    return ddb.query(TableName=table, KeyConditionExpression="pk = :pk",
                     ExpressionAttributeValues={":pk": {"S": "waiters"}})["Items"]


def _no_waiters(engine: LocalEngine, timeout_s: float = 20.0) -> bool:
    """Whether every registration is gone once the deliveries are done: a waiter is
    removed right after its token is sent, and the run's end event is put on moto's
    worker thread right after the execution ends, so either may lag the test by a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        engine.wait_for_events()
        if not _waiters(engine):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _parent(engine: LocalEngine, name: str, seconds: float, end: str = "Completed") -> None:
    engine.sagemaker.add_tuning_job(name, status_path=[("InProgress", seconds), (end, None)] if seconds else
                                    [(end, None)])


def test_a_parent_that_ended_before_the_wait_is_not_missed(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 0)
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "SUCCEEDED", result.cause
    assert _entered(result)["ValidateWarmStart"] < 5  # seen by the registration's own look
    assert _no_waiters(engine)


def test_a_parent_ending_during_the_wait_is_noticed_within_seconds(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 3600)
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "SUCCEEDED", result.cause
    latency = _entered(result)["ValidateWarmStart"] - 3600
    assert 0 <= latency < 5, latency  # polling: up to its 30-minute cap
    assert result.output["parents"] == ["evs-parent"]
    assert _no_waiters(engine)


def test_a_wait_of_a_month_costs_the_history_of_a_wait_of_an_hour(stacks: _Stacks) -> None:
    counts = {}
    for seconds in (3600, 30 * 86400):
        # The sweep would run every 5 minutes for a month: the events alone wake this wait.
        with LocalEngine(time_scale=3600 * 24 * 30, run_schedules=False) as engine:
            _parent(engine, "evl-parent", seconds)
            arn = stacks.deploy(engine, stacks.long)
            result = engine.run(arn, {}, timeout_s=120)
            assert result.status == "SUCCEEDED", result.cause
            assert _entered(result)["ValidateWarmStart"] - seconds < 5
            counts[seconds] = result.history_events
    assert counts[3600] == counts[30 * 86400], counts


def test_a_lost_event_is_recovered_by_the_sweep(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 3600)
    arn = stacks.deploy(engine, stacks.short)
    engine.drop_events(1, detail_type=JOB_EVENT)  # the parent's Completed never arrives
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "SUCCEEDED", result.cause
    latency = _entered(result)["ValidateWarmStart"] - 3600
    assert 0 <= latency <= SWEEP_SECONDS + 5, latency
    assert any(d.outcome == "dropped" for d in engine.event_log)


def test_a_duplicated_event_completes_the_wait_once(stacks: _Stacks) -> None:
    with LocalEngine(time_scale=3600, event_deliveries=2) as engine:
        _parent(engine, "evs-parent", 3600)
        arn = stacks.deploy(engine, stacks.short)
        result = engine.run(arn, {}, timeout_s=60)
        assert result.status == "SUCCEEDED", result.cause
        assert _no_waiters(engine)
        assert len(result.events("TaskSucceeded")) == len({e["id"] for e in result.events("TaskSucceeded")})
        wakes = [d for d in engine.event_log if isinstance(d.input, dict) and d.input.get("action") == "jobChanged"
                 and d.input.get("jobName") == "evs-parent" and d.event["detail"]["HyperParameterTuningJobStatus"]
                 == "Completed"]
        assert len(wakes) == 2  # both copies arrived; one completed the token, the other found nothing


def test_a_parent_deleted_while_waited_on_ends_in_parent_not_found(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("evs-parent", status_path=[("InProgress", 600), ("Deleting", 10**7),
                                                               ("Failed", None)])
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, timeout_s=60)
    assert (result.status, result.error) == ("FAILED", "ParentTuningJobNotFound"), result.cause
    assert "evs-parent" in result.cause
    assert result.duration_s < 600 + 5


def test_a_wait_past_its_timeout_ends_in_parent_wait_timeout(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 100 * 3600)
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, timeout_s=60)
    assert (result.status, result.error) == ("FAILED", "ParentWaitTimeout"), result.cause
    assert 2 * 3600 <= result.duration_s <= 2 * 3600 + SWEEP_SECONDS + 5
    assert _no_waiters(engine)


def test_an_abort_during_the_wait_removes_its_registration(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 100 * 3600)
    arn = stacks.deploy(engine, stacks.short)
    execution = engine.start_execution(arn, {})
    deadline = time.monotonic() + 30
    # Registered, and the task waits for its token (the Lambda call has returned).
    while not (_waiters(engine) and engine.result(execution).events("TaskSubmitted")):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    engine.stop(execution)
    assert engine.wait(execution).status == "ABORTED"
    assert _no_waiters(engine)


def test_the_attach_path_waits_on_the_same_mechanism(stacks: _Stacks, engine: LocalEngine) -> None:
    _parent(engine, "evs-parent", 0)
    name = tuning_job_name("evs", "attach-run")
    request = default_tuning_request(name)
    request["Tags"] = [{"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("attach-run")}]
    engine.sagemaker.add_tuning_job(name, request, status_path=[("InProgress", 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, name="attach-run", timeout_s=60)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["tuningJobName"] == name
    entered = _entered(result)
    assert "ExistingJob: AwaitJobsTerminal" in entered
    assert not any("Poll" in state for state in entered)
    assert entered["DescribeExistingJob"] - 3600 < 5


def test_five_parents_cost_the_history_of_one(stacks: _Stacks) -> None:
    counts = {}
    for parents in (["evs-parent"], [f"evs-p{i}" for i in range(5)]):
        with LocalEngine(time_scale=3600) as engine:
            for index, name in enumerate(parents):
                _parent(engine, name, 600 * (index + 1))
            arn = stacks.deploy(engine, stacks.short)
            result = engine.run(arn, {"parents": parents}, timeout_s=60)
            assert result.status == "SUCCEEDED", result.cause
            assert _entered(result)["ValidateWarmStart"] - 600 * len(parents) < 5
            counts[len(parents)] = result.history_events
    assert counts[1] == counts[5], counts
