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
    schedule_input = json.loads(_schedule(synthesized)["Target"]["Input"])
    assert schedule_input == {"warmStartType": "TransferLearning", "maxTrainingJobs": 12}
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


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)
