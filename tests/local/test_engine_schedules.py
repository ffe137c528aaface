"""EventBridge Scheduler rate schedules of a template, run on simulated time."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.events_router import event_time
from warm_start_tuning.local.schedules import rate_seconds

HANDLER = "def handler(event, context):\n    return event\n"


def _template(expression: str = "rate(5 minutes)", **schedule: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Sweeper": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Handler": "index.handler", "Runtime": "python3.12", "Code": {"ZipFile": HANDLER}},
            },
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'},
            },
            "SweepLocks": {
                "Type": "AWS::Scheduler::Schedule",
                "Properties": {
                    "ScheduleExpression": expression,
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["Sweeper", "Arn"]},
                        "RoleArn": "arn:aws:iam::123456789012:role/scheduler",
                        "Input": '{"action":"sweep","at":"<aws.scheduler.scheduled-time>"}',
                    },
                    **schedule,
                },
            },
        }
    }


def _invocations(engine: LocalEngine) -> list[Any]:
    return [d for d in engine.event_log if d.rule == "local-SweepLocks"]


def test_a_rate_schedule_invokes_its_lambda_every_interval(engine: LocalEngine) -> None:
    engine.deploy(_template())
    start = engine.clock.now()

    engine.clock.advance(299)
    engine.wait_for_events()
    assert _invocations(engine) == []  # the first one comes an interval after the deploy

    engine.clock.advance(1501)  # to +30 min in one jump: six scheduled moments
    engine.wait_for_events()

    invocations = _invocations(engine)
    assert len(invocations) == 6
    assert {d.outcome for d in invocations} == {"succeeded"}
    # Each at its own scheduled moment, +5 min, +10 min, ... +30 min, which its input names.
    scheduled = sorted(d.event["scheduled-time"] for d in invocations)
    assert scheduled == [event_time(start + timedelta(minutes=5 * k)) for k in range(1, 7)]
    assert sorted(d.result["at"] for d in invocations) == scheduled
    assert all(d.input == {"action": "sweep", "at": d.event["scheduled-time"]} for d in invocations)


def test_a_flexible_window_delays_each_invocation_to_its_end(engine: LocalEngine) -> None:
    engine.deploy(_template("rate(1 hour)", FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}))

    engine.clock.advance(3600 + 14 * 60)
    engine.wait_for_events()
    assert _invocations(engine) == []

    engine.clock.advance(60)
    engine.wait_for_events()
    assert len(_invocations(engine)) == 1


def test_schedules_can_be_switched_off() -> None:
    with LocalEngine(time_scale=math.inf, run_schedules=False) as engine:
        engine.deploy(_template())
        engine.clock.advance(3600)
        engine.wait_for_events()
        assert _invocations(engine) == []


def test_a_schedule_of_another_target_does_not_run(engine: LocalEngine) -> None:
    template = _template()
    schedule = template["Resources"]["SweepLocks"]["Properties"]
    schedule["Target"]["Arn"] = {"Ref": "Machine"}
    arn = engine.deploy(template)
    engine.clock.advance(3600)
    engine.wait_for_events()
    assert _invocations(engine) == []
    assert engine.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"] == []


def test_disabled_and_cron_schedules_do_not_run(engine: LocalEngine) -> None:
    engine.deploy(_template(State="DISABLED"))
    engine.clock.advance(3600)
    engine.wait_for_events()
    assert _invocations(engine) == []
    engine.deploy(_template("cron(0 * * * ? *)"))
    engine.clock.advance(3600)
    engine.wait_for_events()
    assert _invocations(engine) == []


def test_rate_expressions_as_scheduler_reads_them() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(5 minutes)") == 300
    assert rate_seconds("rate(2 hours)") == 7200
    assert rate_seconds("rate(1 day)") == 86400
    assert rate_seconds("cron(0 12 * * ? *)") is None
    for wrong in ("rate(0 minutes)", "rate(5 minute)", "rate(1 hours)", "rate(five minutes)"):
        with pytest.raises(ValueError):
            rate_seconds(wrong)
