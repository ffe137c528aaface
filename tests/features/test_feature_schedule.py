"""1. Scheduled retraining: the schedule's own input, read from the synthesized template,
runs the pipeline with TransferLearning on the newest data."""

from __future__ import annotations

import json

from warm_start_tuning.local import LocalEngine


def _schedule(synthesized) -> dict:
    (schedule,) = synthesized.resources("AWS::Scheduler::Schedule").values()
    return schedule["Properties"]


def test_the_schedule_starts_this_pipeline_with_its_role(synthesized) -> None:
    target = _schedule(synthesized)["Target"]
    assert target["Arn"] == {"Ref": synthesized.logical_id(synthesized.features.scheduled)}
    (role_id,) = [target["RoleArn"]["Fn::GetAtt"][0]]
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    statements = [s for group in policies for s in group]
    # Least privilege: start executions of this one state machine, nothing else.
    assert [(s["Action"], s["Resource"]) for s in statements] == [
        ("states:StartExecution", {"Ref": synthesized.logical_id(synthesized.features.scheduled)})
    ]


def test_a_scheduled_run_retrains_with_transfer_learning_from_the_newest_job(engine: LocalEngine, synthesized) -> None:
    template_input = json.loads(_schedule(synthesized)["Target"]["Input"])
    # The scheduled time (EventBridge Scheduler fills in the context attribute) is the
    # run's identity: its run key.
    assert template_input == {"warmStartType": "TransferLearning", "maxTrainingJobs": 12,
                              "scheduledTime": "<aws.scheduler.scheduled-time>"}
    schedule_input = _as_scheduled(template_input, "2024-06-02T03:00:00Z")
    # Yesterday's scheduled job, and an older one: the run picks the newest by itself.
    engine.sagemaker.add_tuning_job("sched-older", created_at=_days(2))
    engine.sagemaker.add_tuning_job("sched-newest", created_at=_days(1))
    arn = synthesized.deploy(engine, synthesized.features.scheduled)

    result = engine.run(arn, schedule_input, name="nightly-2024-06-02")

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["warmStartType"] == "TransferLearning"
    assert result.output["selection"]["mode"] == "automatic"
    assert result.output["parents"] == ["sched-newest"]
    created = engine.sagemaker.describe(result.output["tuningJobName"])
    assert created["WarmStartConfig"]["WarmStartType"] == "TransferLearning"
    assert created["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 12


def _as_scheduled(template_input: dict, moment: str) -> dict:
    """The input as EventBridge Scheduler delivers it at ``moment``."""
    return json.loads(json.dumps(template_input).replace("<aws.scheduler.scheduled-time>", moment))


def test_a_schedule_delivered_twice_for_one_time_creates_one_job(engine: LocalEngine, synthesized) -> None:
    """EventBridge Scheduler delivers at least once: a second invocation for the same
    scheduled time (after the first run ended) attaches to that run's job; the next
    night is a new run."""
    engine.sagemaker.add_tuning_job("sched-newest", created_at=_days(1))
    arn = synthesized.deploy(engine, synthesized.features.scheduled)
    template_input = json.loads(_schedule(synthesized)["Target"]["Input"])
    tonight = _as_scheduled(template_input, "2024-06-02T03:00:00Z")
    first = engine.run(arn, tonight)
    again = engine.run(arn, tonight)
    tomorrow = engine.run(arn, _as_scheduled(template_input, "2024-06-03T03:00:00Z"))
    assert [r.status for r in (first, again, tomorrow)] == ["SUCCEEDED"] * 3, [first.cause, again.cause, tomorrow.cause]
    assert first.output["tuningJobName"] == again.output["tuningJobName"] != tomorrow.output["tuningJobName"]


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)
