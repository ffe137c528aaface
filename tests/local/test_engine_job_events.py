"""SageMaker HyperParameter Tuning Job State Change events of the simulated jobs,
routed through the deployed rules like every other event."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from warm_start_tuning.local import LocalEngine

TUNING_CHANGE = "SageMaker HyperParameter Tuning Job State Change"

HANDLER = "def handler(event, context):\n    return event\n"


def _template(statuses: list[str]) -> dict[str, Any]:
    return {
        "Resources": {
            "OnJob": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "index.handler", "Runtime": "python3.12", "Code": {"ZipFile": HANDLER}},
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'},
            },
            "JobEnded": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "EventPattern": {
                        "source": ["aws.sagemaker"],
                        "detail-type": [TUNING_CHANGE],
                        "detail": {"HyperParameterTuningJobStatus": statuses},
                    },
                    "Targets": [
                        {
                            "Id": "Target0",
                            "Arn": {"Fn::GetAtt": ["OnJob", "Arn"]},
                            "InputTransformer": {
                                "InputPathsMap": {
                                    "name": "$.detail.HyperParameterTuningJobName",
                                    "status": "$.detail.HyperParameterTuningJobStatus",
                                },
                                "InputTemplate": '{"action":"jobEnded","job":<name>,"status":<status>}',
                            },
                        }
                    ],
                },
            },
        }
    }


def _job_events(engine: LocalEngine, name: str) -> list[dict[str, Any]]:
    return [
        event for event in engine.eventbridge.events
        if event["detail-type"] == TUNING_CHANGE and event["detail"]["HyperParameterTuningJobName"] == name
    ]


def test_a_job_sends_each_status_it_enters_in_sagemaker_shape(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("tuning-1", status_path=[("InProgress", 600), ("Completed", None)])
    engine.clock.advance(3600)  # one jump over the change: the event still comes

    in_progress, completed = _job_events(engine, "tuning-1")

    described = engine.sagemaker.describe("tuning-1")
    for event in (in_progress, completed):
        assert event["source"] == "aws.sagemaker"
        assert event["resources"] == [described["HyperParameterTuningJobArn"]]
        assert event["detail"]["HyperParameterTuningJobArn"] == described["HyperParameterTuningJobArn"]
        assert isinstance(event["detail"]["CreationTime"], int)  # epoch milliseconds
        assert event["detail"]["Tags"] == {}
        assert "TrainingJobDefinition" in event["detail"] and "TrainingJobStatusCounters" in event["detail"]
    assert in_progress["detail"]["HyperParameterTuningJobStatus"] == "InProgress"
    assert completed["detail"]["HyperParameterTuningJobStatus"] == "Completed"
    # Described as the job was when it completed (at +600 s), not when the clock stopped.
    assert completed["detail"]["HyperParameterTuningEndTime"] == completed["detail"]["CreationTime"] + 600_000
    assert completed["detail"]["BestTrainingJob"]["TrainingJobName"].startswith("tuning-1")


def test_a_stopped_job_sends_stopping_then_stopped(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("tuning-2", status_path=[("InProgress", 3600), ("Completed", None)])
    engine.clock.advance(60)
    engine.client("sagemaker").stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="tuning-2")
    engine.clock.advance(600)

    statuses = [e["detail"]["HyperParameterTuningJobStatus"] for e in _job_events(engine, "tuning-2")]

    assert statuses == ["InProgress", "Stopping", "Stopped"]


def test_a_job_that_existed_before_sends_nothing_of_its_past(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent", created_at=timedelta(hours=3))
    engine.clock.advance(60)

    assert _job_events(engine, "parent") == []


def test_job_events_reach_rule_targets_with_the_same_switches() -> None:
    with LocalEngine(time_scale=math.inf, event_deliveries=2, event_delay_seconds=5) as engine:
        engine.deploy(_template(["Completed", "Failed", "Stopped"]))
        engine.drop_events(1, detail_type=TUNING_CHANGE)
        engine.sagemaker.add_tuning_job("lost", status_path=[("InProgress", 600), ("Completed", None)])
        engine.sagemaker.add_tuning_job("kept", status_path=[("InProgress", 900), ("Failed", None)])
        engine.clock.advance(1000)
        engine.wait_for_events()

        log = engine.event_log
        dropped = [d for d in log if d.outcome == "dropped"]
        delivered = [d for d in log if d.outcome == "succeeded"]
        assert [d.event["detail"]["HyperParameterTuningJobName"] for d in dropped] == ["lost"]
        assert [d.input for d in delivered] == [{"action": "jobEnded", "job": "kept", "status": "Failed"}] * 2
        assert sorted(d.copy for d in delivered) == [1, 2]
