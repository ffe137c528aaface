"""EventBridge on the local engine: rules of a template delivering to Lambda functions
asynchronously, Step Functions' execution status change events, and execution
timeouts on simulated time."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from local_pipeline import FIXTURES, pipeline_definition, pipeline_input, pipeline_template

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.events_router import LAMBDA_ASYNC_RETRY_DELAYS

STATUS_CHANGE = "Step Functions Execution Status Change"

# The run-ended Lambda: answers with what it received; fails for the statuses in FAIL_ON.
RUN_ENDED = """
import os

def handler(event, context):
    if event.get("status") in os.environ.get("FAIL_ON", "").split(","):
        raise RuntimeError("cannot release the lock")
    return {"received": event}
"""

TERMINAL = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


def _machine(definition: dict[str, Any], machine_type: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"DefinitionString": json.dumps(definition)}
    if machine_type:
        props["StateMachineType"] = machine_type
    return {"Type": "AWS::StepFunctions::StateMachine", "Properties": props}


def _run_ended_rule(*, state: str = "ENABLED", transformer: bool = True) -> dict[str, Any]:
    target: dict[str, Any] = {"Id": "Target0", "Arn": {"Fn::GetAtt": ["RunEnded", "Arn"]}}
    if transformer:
        target["InputTransformer"] = {
            "InputPathsMap": {
                "arn": "$.detail.executionArn",
                "machine": "$.detail.stateMachineArn",
                "status": "$.detail.status",
            },
            "InputTemplate": '{"action":"runEnded","executionArn":<arn>,"stateMachineArn":<machine>,"status":<status>}',
        }
    return {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "State": state,
            "EventPattern": {
                "source": ["aws.states"],
                "detail-type": [STATUS_CHANGE],
                "detail": {"status": TERMINAL, "stateMachineArn": [{"Ref": "Machine"}]},
            },
            "Targets": [target],
        },
    }


def _template(
    definition: dict[str, Any], *, fail_on: str = "", rule: dict[str, Any] | None = None,
    machine_type: str | None = None,
) -> dict[str, Any]:
    return {
        "Resources": {
            "RunEnded": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Code": {"ZipFile": RUN_ENDED},
                    "Environment": {"Variables": {"FAIL_ON": fail_on}},
                },
            },
            "Machine": _machine(definition, machine_type),
            "RunEndedRule": rule if rule is not None else _run_ended_rule(),
        }
    }


SUCCEED = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}}
FAIL = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Lock.Lost", "Cause": "gone"}}}
RUNTIME_ERROR = {
    "StartAt": "Bad",
    "States": {"Bad": {"Type": "Pass", "Parameters": {"x.$": "$.missing.field"}, "End": True}},
}
LONG_WAIT = {"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": True}}}


def _status_events(engine: LocalEngine, execution_arn: str) -> list[dict[str, Any]]:
    return [
        event for event in engine.eventbridge.events
        if event["detail-type"] == STATUS_CHANGE and event["resources"] == [execution_arn]
    ]


def _millis(moment: Any) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(milliseconds=1)


# --- status change events -------------------------------------------------------------


def test_an_execution_sends_running_then_succeeded_in_aws_shape(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED))

    result = engine.run(arn, {"run": 1}, name="run-1")

    running, succeeded = _status_events(engine, result.execution_arn)
    for event in (running, succeeded):
        assert event["source"] == "aws.states" and event["version"] == "0"
        assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
        assert event["time"].endswith("Z") and event["id"]
        assert set(event["detail"]) == {
            "executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate",
            "input", "output", "inputDetails", "outputDetails", "error", "cause",
        }
        assert event["detail"]["executionArn"] == result.execution_arn
        assert event["detail"]["stateMachineArn"] == arn
        assert event["detail"]["name"] == "run-1"
        assert event["detail"]["startDate"] == _millis(result.start_time)
        assert json.loads(event["detail"]["input"]) == {"run": 1}
        assert event["detail"]["inputDetails"] == {"included": True}
    assert running["detail"]["status"] == "RUNNING"
    assert (running["detail"]["stopDate"], running["detail"]["output"], running["detail"]["outputDetails"]) == (
        None, None, None,
    )
    assert succeeded["detail"]["status"] == "SUCCEEDED"
    assert succeeded["detail"]["stopDate"] == _millis(result.stop_time)
    assert json.loads(succeeded["detail"]["output"]) == {"ok": True}
    assert succeeded["detail"]["outputDetails"] == {"included": True}
    assert (succeeded["detail"]["error"], succeeded["detail"]["cause"]) == (None, None)


@pytest.mark.parametrize(
    ("definition", "error"),
    [(FAIL, "Lock.Lost"), (RUNTIME_ERROR, "States.Runtime")],
    ids=["fail-state", "runtime-error"],
)
def test_a_failed_execution_sends_failed_with_its_error(
    engine: LocalEngine, definition: dict[str, Any], error: str
) -> None:
    arn = engine.deploy(_template(definition))

    result = engine.run(arn, {})

    assert (result.status, result.error) == ("FAILED", error)
    statuses = [event["detail"]["status"] for event in _status_events(engine, result.execution_arn)]
    assert statuses == ["RUNNING", "FAILED"]
    failed = _status_events(engine, result.execution_arn)[-1]["detail"]
    assert (failed["error"], failed["cause"]) == (result.error, result.cause)
    assert (failed["output"], failed["outputDetails"]) == (None, None)


def test_a_stopped_execution_sends_aborted() -> None:
    with LocalEngine(time_scale=1.0) as engine:  # the Wait must still be sleeping
        arn = engine.deploy(_template(LONG_WAIT))
        execution = engine.start_execution(arn, {})

        engine.stop(execution, error="Operator", cause="no longer needed")
        result = engine.wait(execution)

        assert result.status == "ABORTED"
        statuses = [event["detail"]["status"] for event in _status_events(engine, execution)]
        assert statuses == ["RUNNING", "ABORTED"]
        engine.wait_for_events()
        (delivery,) = engine.event_log
        assert delivery.input["status"] == "ABORTED"


def test_express_workflows_send_no_status_events(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED, machine_type="EXPRESS"))

    execution = engine.start_execution(arn, {})
    time.sleep(0.3)

    assert _status_events(engine, execution) == []


# --- rules with Lambda targets --------------------------------------------------------


def test_a_rule_delivers_the_run_ended_event_to_its_lambda_later(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED))

    result = engine.run(arn, {})
    engine.wait_for_events()

    (delivery,) = engine.event_log  # RUNNING matches no rule
    expected = {
        "action": "runEnded",
        "executionArn": result.execution_arn,
        "stateMachineArn": arn,
        "status": "SUCCEEDED",
    }
    assert (delivery.rule, delivery.outcome, delivery.attempt, delivery.copy) == (
        "local-RunEndedRule", "succeeded", 1, 1,
    )
    assert delivery.target_arn == "arn:aws:lambda:us-east-1:123456789012:function:local-RunEnded"
    assert delivery.input == expected
    assert delivery.result == {"received": expected}
    # Asynchronous, event_delay_seconds (default 1) after the execution ended.
    assert result.stop_time is not None
    assert delivery.at - result.stop_time >= timedelta(seconds=1)


def test_the_delivery_delay_is_simulated_seconds() -> None:
    with LocalEngine(time_scale=math.inf, event_delay_seconds=90) as engine:
        arn = engine.deploy(_template(SUCCEED))
        result = engine.run(arn, {})
        engine.wait_for_events()

        (delivery,) = engine.event_log
        assert result.stop_time is not None
        assert delivery.at - result.stop_time == pytest.approx(timedelta(seconds=90), abs=timedelta(seconds=1))


def test_a_rule_without_input_delivers_the_whole_event(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED, rule=_run_ended_rule(transformer=False)))

    result = engine.run(arn, {})
    engine.wait_for_events()

    (delivery,) = engine.event_log
    assert delivery.input["detail-type"] == STATUS_CHANGE
    assert delivery.input["detail"]["executionArn"] == result.execution_arn


def test_at_least_once_each_event_reaches_the_lambda_twice() -> None:
    with LocalEngine(time_scale=math.inf, event_deliveries=2) as engine:
        arn = engine.deploy(_template(SUCCEED))
        result = engine.run(arn, {})
        engine.wait_for_events()

        deliveries = engine.event_log
        assert sorted(d.copy for d in deliveries) == [1, 2]
        assert {d.outcome for d in deliveries} == {"succeeded"}
        assert {d.input["executionArn"] for d in deliveries} == {result.execution_arn}


def test_dropped_events_never_arrive(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED))
    engine.drop_events(1, detail_type="SageMaker HyperParameter Tuning Job State Change")
    engine.drop_events(1, detail_type=STATUS_CHANGE)

    lost = engine.run(arn, {})
    kept = engine.run(arn, {})
    engine.wait_for_events()

    dropped, delivered = engine.event_log
    assert (dropped.outcome, dropped.event["detail"]["executionArn"]) == ("dropped", lost.execution_arn)
    assert (delivered.outcome, delivered.input["executionArn"]) == ("succeeded", kept.execution_arn)
    # The drop of another detail type is still waiting for its event.
    assert len(engine.eventbridge._drops) == 1


def test_a_function_error_is_retried_twice_a_minute_then_two_apart(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED, fail_on="SUCCEEDED"))

    engine.run(arn, {})
    engine.wait_for_events()

    attempts = engine.event_log
    assert [(d.attempt, d.outcome, d.error) for d in attempts] == [
        (1, "function_error", "RuntimeError"),
        (2, "function_error", "RuntimeError"),
        (3, "function_error", "RuntimeError"),
    ]
    gaps = [(b.at - a.at).total_seconds() for a, b in zip(attempts, attempts[1:])]
    assert gaps == pytest.approx(list(LAMBDA_ASYNC_RETRY_DELAYS), abs=1.0)
    assert attempts[0].result["errorMessage"] == "cannot release the lock"


def test_a_disabled_rule_delivers_nothing(engine: LocalEngine) -> None:
    arn = engine.deploy(_template(SUCCEED, rule=_run_ended_rule(state="DISABLED")))

    engine.run(arn, {})
    engine.wait_for_events()

    assert engine.event_log == []


def test_put_events_routes_entries_and_events_through_the_rules(engine: LocalEngine) -> None:
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": {"source": ["my.app"], "detail": {"kind": [{"prefix": "lock-"}]}},
            "Targets": [{"Id": "T", "Arn": {"Fn::GetAtt": ["RunEnded", "Arn"]}, "InputPath": "$.detail"}],
        },
    }
    engine.deploy(_template(SUCCEED, rule=rule))

    answer = engine.put_events(
        [
            {"Source": "my.app", "DetailType": "Lock", "Detail": json.dumps({"kind": "lock-released"})},
            {"Source": "my.app", "DetailType": "Lock", "Detail": json.dumps({"kind": "other"})},
        ]
    )
    engine.put_events({"source": "my.app", "detail-type": "Lock", "detail": {"kind": "lock-taken"}})
    engine.wait_for_events()

    assert len(answer) == 2 and all("EventId" in entry for entry in answer)
    assert sorted(d.input["kind"] for d in engine.event_log) == ["lock-released", "lock-taken"]


def test_events_a_state_machine_puts_are_routed_too(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Publish",
        "States": {
            "Publish": {
                "Type": "Task",
                "Resource": "arn:aws:states:::events:putEvents",
                "Parameters": {
                    "Entries": [{"Source": "my.app", "DetailType": "Lock", "Detail": {"kind": "lock-released"}}]
                },
                "End": True,
            }
        },
    }
    rule = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventPattern": {"source": ["my.app"]},
            "Targets": [{"Id": "T", "Arn": {"Fn::GetAtt": ["RunEnded", "Arn"]}, "InputPath": "$.detail"}],
        },
    }
    arn = engine.deploy(_template(definition, rule=rule))

    result = engine.run(arn, {})
    engine.wait_for_events()

    assert result.status == "SUCCEEDED", result.cause
    (delivery,) = engine.event_log
    assert delivery.input == {"kind": "lock-released"}


def test_the_delay_must_be_a_number_of_seconds() -> None:
    with pytest.raises(ValueError, match="event_delay_seconds"):
        LocalEngine(event_delay_seconds=-1)


# --- execution timeout ----------------------------------------------------------------


def test_the_execution_timeout_counts_simulated_seconds(engine: LocalEngine) -> None:
    arn = engine.deploy(_template({**LONG_WAIT, "TimeoutSeconds": 300}))

    result = engine.run(arn, {}, timeout_s=20)

    assert result.status == "TIMED_OUT"
    assert result.duration_s == pytest.approx(300.0, abs=1.0)
    assert result.events("ExecutionTimedOut")
    statuses = [event["detail"]["status"] for event in _status_events(engine, result.execution_arn)]
    assert statuses == ["RUNNING", "TIMED_OUT"]
    engine.wait_for_events()
    (delivery,) = engine.event_log
    assert delivery.input["status"] == "TIMED_OUT"


def test_the_execution_timeout_leaves_the_tuning_job_running(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    engine.sagemaker.plan(None, "Completed", after_seconds=2 * 3600)
    definition = {**pipeline_definition(), "TimeoutSeconds": 3600}
    arn = engine.deploy(pipeline_template(definition), assets_root=FIXTURES)

    result = engine.run(arn, pipeline_input(["parent-a"]), timeout_s=30)

    assert result.status == "TIMED_OUT"
    assert result.duration_s == pytest.approx(3600.0, abs=1.0)
    child = next(name for name in engine.sagemaker.jobs if name.startswith("child-"))
    time.sleep(0.5)  # a stop would come from the poller's own thread
    assert ("StopHyperParameterTuningJob", child) not in engine.sagemaker.calls
    assert engine.sagemaker.describe(child)["HyperParameterTuningJobStatus"] == "InProgress"
    engine.clock.advance(2 * 3600)
    assert engine.sagemaker.describe(child)["HyperParameterTuningJobStatus"] == "Completed"
