"""2. New data: the rule's event pattern and input transformer, applied to S3 "Object
Created" events as EventBridge would, start a run on the new batch's URIs."""

from __future__ import annotations

import json
import math
import re

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.eventbridge import matches, s3_object_created_event, target_input

BUCKET = "features-data"  # the engine's name for the stack's bucket is irrelevant: the event names it


def _rule(synthesized) -> dict:
    # The new-data rule; the others are the pipelines' run cleanups (Step Functions' events).
    (rule,) = [r for r in synthesized.resources("AWS::Events::Rule").values()
               if r["Properties"]["EventPattern"]["source"] == ["aws.s3"]]
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
        "newObject": {
            "bucket": bucket,
            "key": "incoming/2024-06-01/_SUCCESS",
            # The event's identity: the run key of the run it starts.
            "etag": event["detail"]["object"]["etag"],
            "sequencer": event["detail"]["object"]["sequencer"],
        },
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


def _created(engine: LocalEngine) -> list[str]:
    return [name for operation, name in engine.sagemaker.calls if operation == "CreateHyperParameterTuningJob"]


def test_a_late_duplicate_of_an_event_attaches_to_its_job(engine: LocalEngine, synthesized) -> None:
    """A second delivery of one event after its run ended (at least once, late): the same
    run key, so the create finds the run's own job and attaches; no second job."""
    engine.sagemaker.add_tuning_job("newdata-parent")
    arn = synthesized.deploy(engine, synthesized.features.new_data)
    (target,) = _rule(synthesized)["Targets"]
    event = s3_object_created_event(_deployed_bucket(engine, arn), "incoming/2024-06-02/_SUCCESS")
    results = []
    for _delivery in range(2):
        (execution,) = engine.deliver(arn, target, event)
        results.append(engine.wait(execution))
    assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
    assert results[0].output["tuningJobName"] == results[1].output["tuningJobName"]
    assert set(_created(engine)) - {"newdata-parent"} == {results[0].output["tuningJobName"]}
    assert "CheckJobOwner" in [name for name, _at in results[1].states_entered]


def test_a_new_upload_of_the_marker_is_a_new_run(engine: LocalEngine, synthesized) -> None:
    """Another PUT of the marker is another event (another sequencer and ETag): a new job."""
    engine.sagemaker.add_tuning_job("newdata-parent")
    arn = synthesized.deploy(engine, synthesized.features.new_data)
    (target,) = _rule(synthesized)["Targets"]
    bucket = _deployed_bucket(engine, arn)
    event = s3_object_created_event(bucket, "incoming/2024-06-03/_SUCCESS")
    again = json.loads(json.dumps(event))
    again["detail"]["object"].update(sequencer="0055AED6DCD90281E5", etag="b1946ac92492d2347c6235b4d2611184")
    names = []
    for delivered in (event, again):
        (execution,) = engine.deliver(arn, target, delivered)
        result = engine.wait(execution)
        assert result.status == "SUCCEEDED", result.cause
        names.append(result.output["tuningJobName"])
    assert names[0] != names[1]


def test_a_hand_started_run_in_the_trigger_shape_gets_a_key_of_its_own_input(engine: LocalEngine, synthesized) -> None:
    """The trigger's key is the digest of the whole input: the same batch and identity
    but another field is another run, never an attach to the trigger's job."""
    engine.sagemaker.add_tuning_job("newdata-parent")
    arn = synthesized.deploy(engine, synthesized.features.new_data)
    (target,) = _rule(synthesized)["Targets"]
    event = s3_object_created_event(_deployed_bucket(engine, arn), "incoming/2024-06-04/_SUCCESS")
    (execution,) = engine.deliver(arn, target, event)
    triggered = engine.wait(execution)
    assert triggered.status == "SUCCEEDED", triggered.cause
    by_hand = engine.run(arn, {**target_input(target, event), "maxTrainingJobs": 4})
    assert by_hand.status == "SUCCEEDED", by_hand.cause
    assert by_hand.output["tuningJobName"] != triggered.output["tuningJobName"]
