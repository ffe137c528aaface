"""DynamoDB tables of a template, created in moto, and Step Functions' DynamoDB
optimized integration running against them."""

from __future__ import annotations

import json
from typing import Any

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.template import ResolveContext, parse_template

TABLE = {
    "Type": "AWS::DynamoDB::Table",
    "Properties": {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"SSEEnabled": True},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
    },
    "UpdateReplacePolicy": "Retain",
    "DeletionPolicy": "Retain",
}

ECHO = "def handler(event, context):\n    return event\n"

_LOCK = {
    "TableName": "__TABLE__",
    "Key": {"pk": {"S": "run-lock"}},
    "UpdateExpression": "SET #owner = :me",
    "ConditionExpression": "attribute_not_exists(pk) OR #owner = :me",
    "ExpressionAttributeNames": {"#owner": "owner"},
    "ExpressionAttributeValues": {":me": {"S.$": "$.owner"}},
    "ReturnValues": "ALL_NEW",
}


def _lock_definition() -> dict[str, Any]:
    """Take the lock (updateItem with a condition), read it back (getItem), write and
    delete a marker (putItem, deleteItem); a lock held by another owner is caught by
    its AWS error name."""
    return {
        "StartAt": "TakeLock",
        "States": {
            "TakeLock": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:updateItem",
                "Parameters": _LOCK,
                "ResultPath": "$.lock",
                "Catch": [
                    {
                        "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
                        "ResultPath": "$.refused",
                        "Next": "Held",
                    }
                ],
                "Next": "ReadLock",
            },
            "ReadLock": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "__TABLE__", "Key": {"pk": {"S": "run-lock"}}, "ConsistentRead": True},
                "ResultSelector": {"owner.$": "$.Item.owner.S"},
                "ResultPath": "$.read",
                "Next": "Mark",
            },
            "Mark": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "__TABLE__", "Item": {"pk": {"S": "marker"}}},
                "ResultPath": None,
                "Next": "Unmark",
            },
            "Unmark": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:deleteItem",
                "Parameters": {"TableName": "__TABLE__", "Key": {"pk": {"S": "marker"}}},
                "ResultPath": None,
                "End": True,
            },
            "Held": {"Type": "Succeed"},
        },
    }


def _template() -> dict[str, Any]:
    before, after = json.dumps(_lock_definition()).split('"__TABLE__"', 1)
    parts: list[Any] = [before]
    for piece in after.split('"__TABLE__"'):
        parts += ['"', {"Ref": "LockTable"}, '"', piece]
    return {
        "Resources": {
            "LockTable": TABLE,
            "Echo": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "index.handler",
                    "Runtime": "python3.12",
                    "Code": {"ZipFile": ECHO},
                    "Environment": {
                        "Variables": {
                            "TABLE_NAME": {"Ref": "LockTable"},
                            "TABLE_ARN": {"Fn::GetAtt": ["LockTable", "Arn"]},
                        }
                    },
                },
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": {"Fn::Join": ["", parts]}},
            },
        }
    }


def test_the_table_is_created_as_the_template_describes(engine: LocalEngine) -> None:
    arn = engine.deploy(_template())
    ddb = engine.client("dynamodb")

    table = ddb.describe_table(TableName="local-LockTable")["Table"]

    assert arn.endswith(":stateMachine:local-Machine")
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["TableArn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/local-LockTable"
    ttl = ddb.describe_time_to_live(TableName="local-LockTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}
    backups = ddb.describe_continuous_backups(TableName="local-LockTable")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    # Ref and Fn::GetAtt Arn resolve to the same table in the Lambda's environment.
    function = engine.lambdas.get("local-Echo")
    assert function is not None
    assert function.environment == {"TABLE_NAME": "local-LockTable", "TABLE_ARN": table["TableArn"]}


def test_refs_of_a_named_table_and_its_stream_resolve() -> None:
    template = {
        "Resources": {
            "Named": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {**TABLE["Properties"], "TableName": "locks",  # type: ignore[dict-item]
                               "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}},
            },
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {"source": ["x"]},
                    "Targets": [{"Id": "T", "Arn": {"Fn::GetAtt": ["Named", "StreamArn"]},
                                 "Input": {"Fn::Join": ["", ['{"table":"', {"Ref": "Named"}, '"}']]}}],
                },
            },
        }
    }
    parsed = parse_template(template, ResolveContext())
    table = parsed.tables["Named"]
    assert (table.name, table.billing_mode) == ("locks", "PAY_PER_REQUEST")
    assert table.time_to_live == {"AttributeName": "expiresAt", "Enabled": True}
    (target,) = parsed.rules["Rule"].targets
    assert target["Arn"].startswith("arn:aws:dynamodb:us-east-1:123456789012:table/locks/stream/")
    assert json.loads(target["Input"]) == {"table": "locks"}


def test_redeploying_keeps_the_table_and_its_items(engine: LocalEngine) -> None:
    engine.deploy(_template())
    ddb = engine.client("dynamodb")
    ddb.put_item(TableName="local-LockTable", Item={"pk": {"S": "kept"}})

    engine.deploy(_template())  # no ResourceInUseException

    assert ddb.get_item(TableName="local-LockTable", Key={"pk": {"S": "kept"}}).get("Item")


def test_the_dynamodb_integration_runs_against_the_table(engine: LocalEngine) -> None:
    arn = engine.deploy(_template())
    ddb = engine.client("dynamodb")

    first = engine.run(arn, {"owner": "run-1"})

    assert first.status == "SUCCEEDED", first.cause
    assert first.output["lock"]["Attributes"]["owner"] == {"S": "run-1"}
    assert first.output["read"] == {"owner": "run-1"}
    assert "Item" not in ddb.get_item(TableName="local-LockTable", Key={"pk": {"S": "marker"}})

    # Another owner: the condition fails, under the name Step Functions gives it.
    second = engine.run(arn, {"owner": "run-2"})

    assert second.status == "SUCCEEDED", second.cause
    assert [name for name, _ in second.states_entered] == ["TakeLock", "Held"]
    refused = second.output["refused"]
    assert refused["Error"] == "DynamoDB.ConditionalCheckFailedException"
    assert "The conditional request failed" in refused["Cause"]
    failed = second.events("TaskFailed")[0]["taskFailedEventDetails"]
    assert (failed["resourceType"], failed["resource"]) == ("dynamodb", "updateItem")
    item = ddb.get_item(TableName="local-LockTable", Key={"pk": {"S": "run-lock"}})["Item"]
    assert item["owner"] == {"S": "run-1"}
