"""6. Composition: the completion event other stacks react to, and at most one run in
flight per pipeline (a second start waits its turn; tests/features/test_feature_run_lock.py
has the rest of the lock)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.pipeline.completion_event import COMPLETION_EVENT_DETAIL_TYPE, COMPLETION_EVENT_SOURCE


def _subscribe(engine: LocalEngine) -> str:
    """What a reacting stack does: a rule on the default bus, here delivering to a queue."""
    sqs = engine.client("sqs")
    queue_url = sqs.create_queue(QueueName="completed-jobs")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = engine.client("events")
    events.put_rule(
        Name="warm-start-tuning-completed",
        EventPattern=json.dumps({"source": [COMPLETION_EVENT_SOURCE], "detail-type": [COMPLETION_EVENT_DETAIL_TYPE]}),
    )
    events.put_targets(Rule="warm-start-tuning-completed", Targets=[{"Id": "queue", "Arn": queue_arn}])
    return queue_url


def _received(engine: LocalEngine, queue_url: str) -> list[dict]:
    messages = engine.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_a_completed_run_puts_an_event_with_the_best_training_job(engine: LocalEngine, synthesized) -> None:
    queue_url = _subscribe(engine)
    engine.sagemaker.add_tuning_job("auto-parent")
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"parents": ["auto-parent"]})

    assert result.status == "SUCCEEDED", result.cause
    (event,) = _received(engine, queue_url)
    assert event["source"] == "warm-start-tuning"
    assert event["detail-type"] == "Warm-start tuning job completed"
    # The detail is the result; the output is the result and that it was published, not
    # the PutEvents response.
    assert result.output.pop("completionEvent") == {"published": True}
    assert event["detail"] == result.output
    assert event["detail"]["bestTrainingJob"]["TrainingJobName"].startswith(result.output["tuningJobName"])
    assert "FailedEntryCount" not in result.output and "Entries" not in result.output
    assert [name for name, _ in result.states_entered][-1] == "PublishCompletionEvent"


def test_without_the_event_nothing_is_published(engine: LocalEngine, synthesized) -> None:
    queue_url = _subscribe(engine)
    engine.sagemaker.add_tuning_job("free-parent")
    arn = synthesized.deploy(engine, synthesized.features.unlocked)

    result = engine.run(arn, {})

    assert result.status == "SUCCEEDED", result.cause
    assert _received(engine, queue_url) == []


@pytest.fixture
def hourly_engine() -> Iterator[LocalEngine]:
    """Two executions must overlap: one simulated hour per real second."""
    with LocalEngine(time_scale=3600) as running:
        yield running


def _start_two(engine: LocalEngine, arn: str, execution_input: dict) -> tuple[str, str]:
    first = engine.start_execution(arn, execution_input, name="first")
    # The second start comes a moment later, as two real starts do.
    engine.clock.advance(1)
    second = engine.start_execution(arn, execution_input, name="second")
    return first, second


def test_a_second_start_while_one_runs_waits_its_turn(hourly_engine: LocalEngine, synthesized) -> None:
    engine = hourly_engine
    # The parent is still running: the first run waits for it, and is in flight meanwhile.
    engine.sagemaker.add_tuning_job("sched-parent", status_path=[("InProgress", 3600), ("Completed", None)])
    arn = synthesized.deploy(engine, synthesized.features.scheduled)

    first, second = _start_two(engine, arn, {"parents": ["sched-parent"]})
    results = [engine.wait(first, timeout_s=60), engine.wait(second, timeout_s=60)]

    assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
    # Which start takes the lease first is Step Functions' scheduling (no order is
    # promised); the other one waits.
    waited = ["WaitForRunSlot" in [name for name, _ in r.states_entered] for r in results]
    assert sorted(waited) == [False, True]
    # One after the other: the later job was created after the earlier one ended.
    earlier, later = sorted((engine.sagemaker.describe(r.output["tuningJobName"]) for r in results),
                            key=lambda job: job["CreationTime"])
    assert later["CreationTime"] >= earlier["HyperParameterTuningEndTime"]


def test_without_the_lock_both_runs_proceed(hourly_engine: LocalEngine, synthesized) -> None:
    engine = hourly_engine
    engine.sagemaker.add_tuning_job("free-parent", status_path=[("InProgress", 3600), ("Completed", None)])
    arn = synthesized.deploy(engine, synthesized.features.unlocked)

    first, second = _start_two(engine, arn, {})
    results = [engine.wait(first, timeout_s=60), engine.wait(second, timeout_s=60)]

    assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"]
    assert len({r.output["tuningJobName"] for r in results}) == 2


def test_listexecutions_lag_hides_just_started_executions(synthesized) -> None:
    """The engine models ListExecutions as AWS documents it: eventually consistent."""
    with LocalEngine(time_scale=1, list_executions_lag_seconds=30) as engine:
        arn = engine.deploy_definition({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 600, "End": True}}})
        execution = engine.start_execution(arn, {})
        sfn = engine.client("stepfunctions")
        assert sfn.list_executions(stateMachineArn=arn)["executions"] == []
        engine.clock.advance(31)
        assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=arn)["executions"]] == [execution]
