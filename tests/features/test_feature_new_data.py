"""2. New data: the rule's event pattern and input transformer, applied to S3 "Object
Created" events as EventBridge would, start a run on the new batch's URIs."""

from __future__ import annotations

import json
import re

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.eventbridge import matches, s3_object_created_event, target_input

BUCKET = "features-data"  # the engine's name for the stack's bucket is irrelevant: the event names it


def _rule(synthesized) -> dict:
    (rule,) = synthesized.resources("AWS::Events::Rule").values()
    return rule["Properties"]


def _pattern_for(synthesized, bucket: str) -> dict:
    """The rule's pattern with the bucket's Ref replaced by the name S3 would send."""
    pattern = _rule(synthesized)["EventPattern"]
    assert pattern["detail"]["bucket"]["name"][0] == {"Ref": _bucket_id(synthesized)}
    return {**pattern, "detail": {**pattern["detail"], "bucket": {"name": [bucket]}}}


def _bucket_id(synthesized) -> str:
    (bucket_id,) = synthesized.resources("AWS::S3::Bucket")
    return bucket_id


def test_only_the_marker_under_the_prefix_starts_a_run(synthesized) -> None:
    pattern = _pattern_for(synthesized, BUCKET)
    starts = [
        "incoming/2024-06-01/_SUCCESS",
        "incoming/_SUCCESS",
        "incoming/team-a/2024-06-01/_SUCCESS",
    ]
    ignored = [
        "incoming/2024-06-01/train/part-0000.rec",  # data, not the marker
        "incoming/2024-06-01/not_SUCCESS",  # ends like the marker, is not it
        "archive/2024-06-01/_SUCCESS",  # outside the prefix
    ]
    assert [key for key in starts if matches(pattern, s3_object_created_event(BUCKET, key))] == starts
    assert [key for key in ignored if matches(pattern, s3_object_created_event(BUCKET, key))] == []
    assert not matches(pattern, s3_object_created_event("someone-elses-bucket", starts[0]))


def test_the_bucket_sends_its_events_to_eventbridge(synthesized) -> None:
    (notifications,) = synthesized.resources("Custom::S3BucketNotifications").values()
    assert notifications["Properties"]["BucketName"] == {"Ref": _bucket_id(synthesized)}
    assert notifications["Properties"]["NotificationConfiguration"] == {"EventBridgeConfiguration": {}}


def _deployed_bucket(engine: LocalEngine, arn: str) -> str:
    """The name the engine gave the stack's bucket, as the deployed definition holds it."""
    definition = engine.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    (name,) = set(re.findall(r'"newDataBucket"\s*:\s*"([^"]+)"', definition))
    return name


def test_a_new_batch_runs_on_its_own_uris(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("newdata-parent")
    arn = synthesized.deploy(engine, synthesized.features.new_data)
    (target,) = _rule(synthesized)["Targets"]
    assert target["Arn"] == {"Ref": synthesized.logical_id(synthesized.features.new_data)}
    # The trust model: inputData may only point at the definition's and the trigger's buckets,
    # so the event names the stack's bucket as S3 would.
    bucket = _deployed_bucket(engine, arn)
    event = s3_object_created_event(bucket, "incoming/2024-06-01/_SUCCESS")
    execution_input = target_input(target, event)
    assert execution_input == {
        "warmStartType": "TransferLearning",
        "newObject": {"bucket": bucket, "key": "incoming/2024-06-01/_SUCCESS"},
    }

    result = engine.run(arn, execution_input)

    assert result.status == "SUCCEEDED", result.cause
    created = engine.sagemaker.describe(result.output["tuningJobName"])
    uris = {
        channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
        for channel in created["TrainingJobDefinition"]["InputDataConfig"]
    }
    assert uris == {
        "train": f"s3://{bucket}/incoming/2024-06-01/train/",
        "validation": f"s3://{bucket}/incoming/2024-06-01/validation/",
    }
    assert created["WarmStartConfig"]["WarmStartType"] == "TransferLearning"
    assert result.output["parents"] == ["newdata-parent"]


def test_a_marker_in_another_bucket_is_refused_before_anything_waits(engine: LocalEngine, synthesized) -> None:
    # StartExecution with a hand-written newObject: the trigger's shape, an attacker's bucket.
    arn = synthesized.deploy(engine, synthesized.features.new_data)
    before = len(engine.sagemaker.calls)
    result = engine.run(arn, {"newObject": {"bucket": "attacker-bucket", "key": "x/_SUCCESS"}})
    assert result.status == "FAILED" and result.error == "WarmStartValidationError"
    codes = {v["code"] for v in json.loads(json.loads(result.cause)["errorMessage"])["violations"]}
    assert codes == {"OVERRIDE_NOT_ALLOWED"}
    assert engine.sagemaker.calls[before:] == []  # nothing described, nothing created
