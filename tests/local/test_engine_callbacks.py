"""``lambda:invoke.waitForTaskToken`` on the local engine: the in-process Lambda gets
the task token, SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat from a Lambda (boto3)
complete the task, and its TimeoutSeconds/HeartbeatSeconds count simulated time."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from warm_start_tuning.local import LocalEngine

CALLER = """
import json, os, time, boto3

def handler(event, context):
    sfn = boto3.client("stepfunctions")
    mode = event.get("mode")
    if mode == "succeed":
        sfn.send_task_heartbeat(taskToken=event["token"])
        sfn.send_task_success(taskToken=event["token"], output=json.dumps({"answer": 42}))
    elif mode == "fail":
        sfn.send_task_failure(taskToken=event["token"], error="Lock.Busy", cause="held by run-1")
    elif mode == "slow":
        time.sleep(float(event["job"]))  # real seconds: a stop comes during the call
    elif mode == "store":
        boto3.client("dynamodb").put_item(
            TableName=os.environ["TABLE"],
            Item={"pk": {"S": event["job"]}, "token": {"S": event["token"]}},
        )
    elif event.get("action") == "sweep":
        for item in boto3.client("dynamodb").scan(TableName=os.environ["TABLE"])["Items"]:
            sfn.send_task_success(taskToken=item["token"]["S"], output=json.dumps({"swept": item["pk"]["S"]}))
    elif event.get("action") == "jobEnded":
        item = boto3.client("dynamodb").get_item(
            TableName=os.environ["TABLE"], Key={"pk": {"S": event["job"]}}
        ).get("Item")
        if item:
            sfn.send_task_success(taskToken=item["token"]["S"], output=json.dumps(event))
    return {"done": True}
"""


def _template(task: dict[str, Any], **machine: Any) -> dict[str, Any]:
    definition = {
        **machine,
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "${Caller}",
                    "Payload": {"token.$": "$$.Task.Token", "mode.$": "$.mode", "job.$": "$.job"},
                },
                **task,
                "End": True,
            }
        },
    }
    return {
        "Resources": {
            "Tokens": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                    "BillingMode": "PAY_PER_REQUEST",
                },
            },
            "Caller": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Code": {"ZipFile": CALLER},
                    "Environment": {"Variables": {"TABLE": {"Ref": "Tokens"}}},
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": json.dumps(definition),
                    "DefinitionSubstitutions": {"Caller": {"Fn::GetAtt": ["Caller", "Arn"]}},
                },
            },
            "JobEnded": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {
                        "source": ["aws.sagemaker"],
                        "detail-type": ["SageMaker HyperParameter Tuning Job State Change"],
                        "detail": {"HyperParameterTuningJobStatus": ["Completed", "Failed", "Stopped"]},
                    },
                    "Targets": [
                        {
                            "Id": "Target0",
                            "Arn": {"Fn::GetAtt": ["Caller", "Arn"]},
                            "InputTransformer": {
                                "InputPathsMap": {
                                    "job": "$.detail.HyperParameterTuningJobName",
                                    "status": "$.detail.HyperParameterTuningJobStatus",
                                },
                                "InputTemplate": '{"action":"jobEnded","job":<job>,"status":<status>}',
                            },
                        }
                    ],
                },
            },
        }
    }


def test_send_task_success_and_heartbeat_from_the_lambda_complete_the_task(engine: LocalEngine) -> None:
    arn = engine.deploy(_template({"TimeoutSeconds": 600}))

    result = engine.run(arn, {"mode": "succeed", "job": "-"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"answer": 42}
    assert result.events("TaskSubmitted") and result.events("TaskSucceeded")


def test_send_task_failure_fails_the_task_with_its_error_and_cause(engine: LocalEngine) -> None:
    arn = engine.deploy(_template({"TimeoutSeconds": 600}))

    result = engine.run(arn, {"mode": "fail", "job": "-"})

    assert (result.status, result.error, result.cause) == ("FAILED", "Lock.Busy", "held by run-1")


@pytest.mark.parametrize(
    ("task", "error", "seconds"),
    [
        ({"TimeoutSeconds": 600}, "States.Timeout", 600.0),
        ({"TimeoutSeconds": 3600, "HeartbeatSeconds": 60}, "States.HeartbeatTimeout", 60.0),
    ],
    ids=["timeout", "heartbeat"],
)
def test_a_token_never_sent_back_times_out_in_simulated_time(
    engine: LocalEngine, task: dict[str, Any], error: str, seconds: float
) -> None:
    arn = engine.deploy(_template(task))

    result = engine.run(arn, {"mode": "silent", "job": "-"}, timeout_s=20)

    assert (result.status, result.error) == ("FAILED", error)
    assert result.duration_s == pytest.approx(seconds, abs=1.0)


def test_a_job_state_change_event_sends_the_token_back(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("job-1", status_path=[("InProgress", 600), ("Completed", None)])
    arn = engine.deploy(_template({"TimeoutSeconds": 3600}))

    result = engine.run(arn, {"mode": "store", "job": "job-1"}, timeout_s=30)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"action": "jobEnded", "job": "job-1", "status": "Completed"}
    # The job completed at +600 s; the event reached the Lambda a second later.
    assert result.duration_s == pytest.approx(601.0, abs=1.0)


def test_a_schedule_sends_the_token_back(engine: LocalEngine) -> None:
    template = _template({"TimeoutSeconds": 3600})
    template["Resources"]["Sweep"] = {
        "Type": "AWS::Scheduler::Schedule",
        "Properties": {
            "ScheduleExpression": "rate(10 minutes)",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": {"Fn::GetAtt": ["Caller", "Arn"]}, "RoleArn": "arn:aws:iam::123456789012:role/s",
                       "Input": '{"action":"sweep"}'},
        },
    }
    arn = engine.deploy(template)

    result = engine.run(arn, {"mode": "store", "job": "run-7"}, timeout_s=30)

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"swept": "run-7"}
    assert result.duration_s == pytest.approx(600.0, abs=1.0)


def _until(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def _assert_aborted_with_nothing_after(result: Any) -> None:
    assert result.status == "ABORTED", (result.error, result.cause)
    types = [event["type"] for event in result.history]
    assert types[-1] == "ExecutionAborted", types
    assert not {"TaskFailed", "TaskTimedOut", "TaskSucceeded", "TaskStateExited", "ExecutionFailed"} & set(types), types


@pytest.mark.parametrize(
    "task",
    [{"TimeoutSeconds": 36000}, {"TimeoutSeconds": 36000, "HeartbeatSeconds": 18000}],
    ids=["timeout", "heartbeat"],
)
def test_stopping_an_execution_that_waits_for_its_token_aborts_it_at_once(task: dict[str, Any]) -> None:
    # Real (scaled) time: the wait must still be on when the stop comes. Nobody sends
    # the token back; the task would time out after 10 real seconds.
    with LocalEngine(time_scale=3600) as engine:
        arn = engine.deploy(_template(task))
        execution = engine.start_execution(arn, {"mode": "silent", "job": "-"})
        _until(lambda: engine.result(execution).events("TaskSubmitted"))

        stopped_at = time.monotonic()
        engine.stop(execution, error="Operator", cause="no longer needed")
        result = engine.wait(execution, timeout_s=20)

        assert time.monotonic() - stopped_at < 3.0
        _assert_aborted_with_nothing_after(result)
        assert result.duration_s < 3600
        # The wait no longer steps the clock.
        moved_at = engine.clock.elapsed()
        time.sleep(0.3)
        assert engine.clock.elapsed() == pytest.approx(moved_at, abs=1.0)


def test_stopping_an_execution_during_the_lambda_call_of_a_callback_task_aborts_it() -> None:
    # The stop comes while the Lambda that gets the token still runs (before TaskSubmitted):
    # moto popped the state's input as the task's timeout (States.Runtime) before.
    with LocalEngine(time_scale=3600) as engine:
        arn = engine.deploy(_template({"TimeoutSeconds": 36000}))
        execution = engine.start_execution(arn, {"mode": "slow", "job": "1.0"})
        _until(lambda: engine.result(execution).events("TaskStarted"))
        assert not engine.result(execution).events("TaskSubmitted")

        engine.stop(execution)
        result = engine.wait(execution, timeout_s=20)

        _assert_aborted_with_nothing_after(result)
        assert not result.events("TaskSubmitted")
        assert result.duration_s < 3600


def test_an_execution_timeout_ends_a_wait_for_the_token(engine: LocalEngine) -> None:
    arn = engine.deploy(_template({"TimeoutSeconds": 36000}, TimeoutSeconds=600))

    result = engine.run(arn, {"mode": "silent", "job": "-"}, timeout_s=20)

    assert result.status == "TIMED_OUT"
    assert result.duration_s == pytest.approx(600.0, abs=1.0)
    assert result.history[-1]["type"] == "ExecutionTimedOut"
