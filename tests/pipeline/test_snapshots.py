"""Snapshots of every public construct, and the alarm topic's wiring (one synth).

The app holds app.py's example stack (WarmStartTuningPipeline as users write it) and
tests/stacks.py's AllConstructsStack. Each construct's snapshot holds the resources under
its construct path (a state machine that embeds a fragment counts as the fragment's),
asset hashes blanked. Rewrite them with UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import CfnResource, Stack
from aws_cdk.assertions import Template
from constructs import Construct

from cdk_helpers import load_example_app, new_app
from snapshot import assert_matches_snapshot
from stacks import AllConstructsStack


@pytest.fixture(scope="module")
def stacks():
    app = new_app()
    example = load_example_app().ImageClassifierTuningStack(
        app, "WarmStartTuningExample", bucket_name="example-ml-data", parent_job="imgcls-parent-1"
    )
    everything = AllConstructsStack(app, "AllConstructs")
    app.synth()  # once: Template.from_stack reuses this assembly
    return example, everything


@pytest.fixture(scope="module")
def example_template(stacks) -> dict[str, Any]:
    return Template.from_stack(stacks[0]).to_json()


@pytest.fixture(scope="module")
def all_template(stacks) -> dict[str, Any]:
    return Template.from_stack(stacks[1]).to_json()


def logical_ids_under(*scopes: Construct) -> set[str]:
    ids = set()
    for scope in scopes:
        stack = Stack.of(scope)
        for construct in scope.node.find_all():
            if CfnResource.is_cfn_resource(construct):
                ids.add(stack.resolve(stack.get_logical_id(construct)))
    return ids


def part(template: dict[str, Any], *scopes: Construct) -> dict[str, Any]:
    """The template's resources that belong to ``scopes`` (and nothing else)."""
    ids = logical_ids_under(*scopes)
    assert ids, "no resources under " + ", ".join(scope.node.path for scope in scopes)
    return {"Resources": {k: v for k, v in template["Resources"].items() if k in ids}}


def node(stack: Stack, *path: str) -> Construct:
    found: Construct = stack
    for construct_id in path:
        found = found.node.find_child(construct_id)
    return found


def parts(stack: AllConstructsStack) -> dict[str, tuple[Construct, ...]]:
    return {
        "transfer_learning_pipeline": (stack.transfer,),
        # The workflow embedding WarmStartTuning shows what the fragment adds (states, IAM
        # of the create task and the Lambda steps); its own resources are the run cleanup.
        "embedded_warm_start_tuning": (stack.embedded, node(stack, "EmbeddedWorkflowLogs"),
                                       node(stack, "EmbeddedTuning")),
        # WaitForTuningJobs followed by the REQUEST_RESPONSE create task.
        "wait_for_tuning_jobs_and_create_task": (stack.standalone, node(stack, "StandaloneTasksLogs")),
        "warm_start_validator": (node(stack, "WarmStartValidator"),),
        "run_table": (node(stack, "WarmStartRunTable"),),
        "event_waits": (node(stack, "WarmStartEventWaits"),),
    }


def test_example_pipeline_snapshot(example_template):
    assert_matches_snapshot(example_template, "example_pipeline_stack")


@pytest.mark.parametrize(
    "name",
    ["transfer_learning_pipeline", "embedded_warm_start_tuning", "wait_for_tuning_jobs_and_create_task",
     "warm_start_validator", "run_table", "event_waits"],
)
def test_construct_snapshot(stacks, all_template, name):
    assert_matches_snapshot(part(all_template, *parts(stacks[1])[name]), name)


def test_snapshots_cover_every_resource_of_the_constructs(stacks, all_template):
    stack = stacks[1]
    covered = set().union(*(logical_ids_under(*scopes) for scopes in parts(stack).values()))
    role = logical_ids_under(node(stack, "SageMakerRole"))  # the test's own role
    resources = {k for k, v in all_template["Resources"].items() if v["Type"] != "AWS::CDK::Metadata"}
    assert resources - role == covered


# --- the notification topic -----------------------------------------------------------------


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


@pytest.fixture(scope="module")
def transfer(stacks, all_template) -> dict[str, Any]:
    return part(all_template, stacks[1].transfer)


@pytest.fixture(scope="module")
def topic_id(transfer) -> str:
    (logical_id,) = resources_of_type(transfer, "AWS::SNS::Topic")
    return logical_id


def test_every_alarm_notifies_the_created_topic(transfer, topic_id):
    alarms = resources_of_type(transfer, "AWS::CloudWatch::Alarm")
    names = sorted(alarm["Properties"]["MetricName"] for alarm in alarms.values())
    assert names[1:5] == ["ExecutionThrottled", "ExecutionsAborted", "ExecutionsFailed", "ExecutionsTimedOut"]
    assert names[0].startswith("CompletionEventNotPublished-")
    assert names[5].startswith("RunSkipped-")
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_alarms_of_a_pipeline_without_topic_notify_nothing(example_template):
    alarms = resources_of_type(example_template, "AWS::CloudWatch::Alarm")
    # failed, timed out, aborted, throttled, completion event not published, run skipped
    assert len(alarms) == 6
    assert all("AlarmActions" not in alarm["Properties"] for alarm in alarms.values())
    assert resources_of_type(example_template, "AWS::SNS::Topic") == {}


def test_topic_enforces_ssl(transfer, topic_id):
    (policy,) = resources_of_type(transfer, "AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": topic_id}]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "sns:Publish",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": "*",
            "Resource": {"Ref": topic_id},
            "Sid": "AllowPublishThroughSSLOnly",
        }
    ]


def test_topic_uses_its_own_rotated_key_that_cloudwatch_may_use(transfer, topic_id):
    ((key_id, key),) = resources_of_type(transfer, "AWS::KMS::Key").items()
    assert transfer["Resources"][topic_id]["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Resource": "*",
    } in statements
    # Besides CloudWatch, only the account itself (the default key policy).
    assert [s["Principal"] for s in statements if s["Principal"] != {"Service": "cloudwatch.amazonaws.com"}] == [
        {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":root"]]}}
    ]
