"""``lambda:invoke.waitForTaskToken`` on the local engine: the in-process Lambda gets
the task token, SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat from a Lambda (boto3)
complete the task, and its TimeoutSeconds/HeartbeatSeconds count simulated time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from warm_start_tuning.local import LocalEngine

CALLER = """
import json, os, boto3

def handler(event, context):
    sfn = boto3.client("stepfunctions")
    mode = event.get("mode")
    if mode == "succeed":
        sfn.send_task_heartbeat(taskToken=event["token"])
        sfn.send_task_success(taskToken=event["token"], output=json.dumps({"answer": 42}))
    elif mode == "fail":
        sfn.send_task_failure(taskToken=event["token"], error="Lock.Busy", cause="held by run-1")
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


def _template(task: dict[str, Any]) -> dict[str, Any]:
    definition = {
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
