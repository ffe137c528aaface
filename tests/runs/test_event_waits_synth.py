"""The event waits' shared resources as synthesized: the SageMaker rule, the sweep, IAM."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk.assertions import Template

from cdk_helpers import load_example_app, new_app, state_machine_definition
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.waiter import WaitForTuningJobs

EXAMPLE = load_example_app()
ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"


def props(**overrides: Any) -> dict[str, Any]:
    return {
        "warm_start_type": WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        "tuning_job_config": EXAMPLE.tuning_job_config(),
        "training_job_definition": EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
        **overrides,
    }


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    stack = Stack(new_app(), "EventWaitsTest")
    events_a = WarmStartTuningPipeline(stack, "A", **props(job_name_prefix="evta"))
    events_b = WarmStartTuningPipeline(stack, "B", **props(job_name_prefix="evtb", sweep_interval=Duration.minutes(2)))
    polling = WarmStartTuningPipeline(stack, "C", **props(job_name_prefix="evtc", wait_mode="polling"))
    template = Template.from_stack(stack)
    ids = {name: stack.resolve(stack.get_logical_id(p.state_machine.node.default_child))
           for name, p in {"a": events_a, "b": events_b, "c": polling}.items()}
    return {"template": template, "json": template.to_json(), "ids": ids}


def test_one_rule_on_sagemaker_tuning_job_state_changes_per_stack(synthesized):
    rules = [r for r in synthesized["template"].find_resources("AWS::Events::Rule").values()
             if r["Properties"]["EventPattern"]["source"] == ["aws.sagemaker"]]
    (rule,) = rules
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["detail-type"] == ["SageMaker HyperParameter Tuning Job State Change"]
    assert pattern["detail"] == {"HyperParameterTuningJobStatus": ["Completed", "Failed", "Stopped", "Deleting",
                                                                   "DeleteFailed"]}
    (target,) = rule["Properties"]["Targets"]
    assert target["InputTransformer"]["InputPathsMap"] == {
        "detail-HyperParameterTuningJobName": "$.detail.HyperParameterTuningJobName", "time": "$.time"}
    assert "jobChanged" in json.dumps(target["InputTransformer"]["InputTemplate"])


def test_one_sweep_at_the_smallest_interval_asked_for(synthesized):
    (schedule,) = [s for s in synthesized["template"].find_resources("AWS::Scheduler::Schedule").values()
                   if "sweepWaiters" in json.dumps(s)]
    assert schedule["Properties"]["ScheduleExpression"] == "rate(2 minutes)"
    target_input = json.loads(schedule["Properties"]["Target"]["Input"]) if isinstance(
        schedule["Properties"]["Target"]["Input"], str) else schedule["Properties"]["Target"]["Input"]
    assert "<aws.scheduler.scheduled-time>" in json.dumps(target_input)


def test_send_task_is_granted_once_with_its_reason(synthesized):
    policies = synthesized["template"].find_resources("AWS::IAM::Policy")
    send = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
            if "states:SendTaskSuccess" in json.dumps(s["Action"])]
    assert send == [{"Action": ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                     "Effect": "Allow", "Resource": "*"}]


def test_events_pipelines_wait_in_one_task_and_polling_keeps_its_loop(synthesized):
    for name in ("a", "b"):
        states = state_machine_definition(synthesized["template"], synthesized["ids"][name])["States"]
        assert "AwaitJobsTerminal" in states and "PollParentJobs" not in states
        assert not any(state["Type"] == "Wait" and "Poll" in name_ for name_, state in states.items())
    polling = state_machine_definition(synthesized["template"], synthesized["ids"]["c"])["States"]
    assert "PollParentJobs" in polling and "AwaitJobsTerminal" not in polling
    assert "ExistingJob: PollParentJobs" in polling


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"wait_mode": "sometimes"}, "wait_mode must be one of 'events', 'polling', got 'sometimes'"),
    ({"wait_mode": "polling", "sweep_interval": Duration.minutes(5)}, "sweep_interval is for wait_mode='events'"),
    ({"sweep_interval": Duration.seconds(90)}, "sweep_interval must be a whole number of minutes"),
    ({"sweep_interval": 300}, "sweep_interval must be a Duration, got int 300"),
    ({"parent_poll_interval": Duration.minutes(2)}, "parent_poll_interval configure wait_mode='polling'"),
    ({"parent_wait_timeout": Duration.days(366)}, "expected less than Step Functions' one-year execution limit"),
    ({"state_machine_timeout": Duration.days(400)}, "state_machine_timeout: expected at most one year"),
])
def test_wait_props_are_checked(overrides, expected):
    with pytest.raises(ValueError) as error:
        WarmStartTuningPipeline(Stack(new_app(), "Bad"), "P", **props(job_name_prefix="bad", **overrides))
    assert expected in str(error.value)


def test_a_wait_of_300_days_is_accepted_with_events_and_refused_with_polling():
    stack = Stack(new_app(), "Long")
    pipeline = WarmStartTuningPipeline(stack, "Events", **props(job_name_prefix="lng",
                                                               parent_wait_timeout=Duration.days(300)))
    machine_id = stack.resolve(stack.get_logical_id(pipeline.state_machine.node.default_child))
    definition = state_machine_definition(Template.from_stack(stack), machine_id)
    # 300 days of waiting, 30 for the job, 1 for the run lock: within Step Functions' one year.
    assert definition["TimeoutSeconds"] == 331 * 86400
    with pytest.raises(ValueError, match="history events"):
        WarmStartTuningPipeline(Stack(new_app(), "LongPoll"), "Polling", **props(
            job_name_prefix="lnp", wait_mode="polling", parent_wait_timeout=Duration.days(300)))


def test_a_standalone_wait_may_wait_on_events_too():
    stack = Stack(new_app(), "Standalone")
    wait = WaitForTuningJobs(stack, "Wait", jobs=["a-job", "b-job"], mode="events", timeout=Duration.days(200))
    assert wait.mode == "events"
    assert wait.budget.events < 20  # however long the timeout
    with pytest.raises(ValueError, match="mode must be one of|wait_mode must be one of"):
        WaitForTuningJobs(stack, "Bad", jobs=["a-job"], mode="push")
