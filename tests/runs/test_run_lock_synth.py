"""The run lock, the run table and the run cleanup as synthesized (one synth per module).

What they do when they run is in tests/features/test_feature_run_lock.py.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk.assertions import Template

from cdk_helpers import load_example_app, new_app, state_machine_definition
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType

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
    stack = Stack(new_app(), "RunLockTest")
    pipelines = {
        "waiting": WarmStartTuningPipeline(stack, "Waiting", **props(job_name_prefix="waits", max_concurrent_runs=2)),
        "skipping": WarmStartTuningPipeline(stack, "Skipping", **props(job_name_prefix="skips", when_busy="skip")),
        "unlocked": WarmStartTuningPipeline(stack, "Unlocked", **props(job_name_prefix="free",
                                                                       max_concurrent_runs=None)),
    }
    template = Template.from_stack(stack)
    ids = {name: stack.resolve(stack.get_logical_id(p.state_machine.node.default_child))
           for name, p in pipelines.items()}
    return {"template": template, "ids": ids, "json": template.to_json()}


def states(synthesized: dict[str, Any], name: str) -> dict[str, Any]:
    return state_machine_definition(synthesized["template"], synthesized["ids"][name])["States"]


def test_the_lock_takes_a_lease_keyed_by_the_state_machine_then_reads_the_input_again(synthesized):
    definition = state_machine_definition(synthesized["template"], synthesized["ids"]["waiting"])
    assert definition["StartAt"] == "StartRunLock"
    machine = definition["States"]
    assert machine["StartRunLock"]["Parameters"] == {"lock": {"waitedSeconds": 0, "iteration": 0}}
    payload = machine["AcquireRunLock"]["Parameters"]["Payload"]
    assert payload["action"] == "acquireLock" and payload["limit"] == 2
    assert payload["stateMachineArn.$"] == "$$.StateMachine.Id"
    assert payload["executionArn.$"] == "$$.Execution.Id" and payload["executionName.$"] == "$$.Execution.Name"
    assert payload["waitTimeoutSeconds"] == 86400  # the default busy_wait_timeout: one day
    table_id = next(iter(synthesized["template"].find_resources("AWS::DynamoDB::Table")))
    assert payload["table"] == "${" + table_id + "}"  # the Ref, as the definition renders it
    choice = machine["RunLockAcquired?"]
    assert [c["Next"] for c in choice["Choices"]] == ["RunAllowed", "PublishRunSkipped"]
    assert choice["Default"] == "WaitForRunSlot"
    assert machine["WaitForRunSlot"] == {"Type": "Wait", "Comment": "Another run holds the lease: wait its turn",
                                         "SecondsPath": "$.lock.nextWaitSeconds", "Next": "AcquireRunLock"}
    assert machine["RunAllowed"]["Parameters"] == {"input.$": "$$.Execution.Input"}


def test_a_skipped_run_is_reported_by_an_event_and_counted(synthesized):
    machine = states(synthesized, "skipping")
    assert "WaitForRunSlot" not in machine  # skip: never waits
    assert machine["RunLockAcquired?"]["Default"] == "PublishRunSkipped"
    assert "waitTimeoutSeconds" not in machine["AcquireRunLock"]["Parameters"]["Payload"] or \
        machine["AcquireRunLock"]["Parameters"]["Payload"]["waitTimeoutSeconds"] is None
    (entry,) = machine["PublishRunSkipped"]["Parameters"]["Entries"]
    assert entry["Source"] == "warm-start-tuning" and entry["DetailType"] == "Warm-start tuning run skipped"
    assert entry["Detail"]["executionArn.$"] == "$$.Execution.Id"
    # A PutEvents that fails still ends in the counted state.
    assert machine["PublishRunSkipped"]["Catch"][0]["Next"] == "RunSkipped"
    assert machine["RunSkipped"]["Next"] == "AnotherRunInFlight"
    assert machine["AnotherRunInFlight"]["Type"] == "Succeed"
    filters = synthesized["template"].find_resources("AWS::Logs::MetricFilter")
    patterns = [f["Properties"]["FilterPattern"] for f in filters.values()]
    assert sum('$.details.name = "RunSkipped"' in p for p in patterns) == 2  # the two locked pipelines
    alarms = synthesized["template"].find_resources("AWS::CloudWatch::Alarm")
    assert sum(a["Properties"]["MetricName"].startswith("RunSkipped-") for a in alarms.values()) == 2


def test_no_state_machine_has_a_fixed_name_or_reads_list_executions(synthesized):
    for machine in synthesized["template"].find_resources("AWS::StepFunctions::StateMachine").values():
        assert "StateMachineName" not in machine["Properties"]
    assert "states:ListExecutions" not in json.dumps(synthesized["json"])
    assert states(synthesized, "unlocked").get("AcquireRunLock") is None


def test_one_on_demand_encrypted_table_with_pitr_and_ttl_per_stack(synthesized):
    tables = synthesized["template"].find_resources("AWS::DynamoDB::Table")
    ((_, table),) = tables.items()
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert [k["AttributeName"] for k in properties["KeySchema"]] == ["pk", "sk"]
    assert table["DeletionPolicy"] == "Delete"  # leases of a deleted stack mean nothing


def test_every_pipeline_sends_its_ended_executions_to_run_ended(synthesized):
    rules = synthesized["template"].find_resources("AWS::Events::Rule")
    cleanup = [r for r in rules.values() if r["Properties"]["EventPattern"]["source"] == ["aws.states"]]
    assert len(cleanup) == 3  # the unlocked pipeline too: its jobs are stopped all the same
    machines = sorted(json.dumps(r["Properties"]["EventPattern"]["detail"]["stateMachineArn"]) for r in cleanup)
    assert machines == sorted(json.dumps([{"Ref": i}]) for i in synthesized["ids"].values())
    for rule in cleanup:
        pattern = rule["Properties"]["EventPattern"]
        assert pattern["detail-type"] == ["Step Functions Execution Status Change"]
        assert pattern["detail"]["status"] == ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]
        (target,) = rule["Properties"]["Targets"]
        transformer = target["InputTransformer"]
        assert transformer["InputPathsMap"] == {
            "detail-executionArn": "$.detail.executionArn",
            "detail-stateMachineArn": "$.detail.stateMachineArn",
            "detail-status": "$.detail.status",
        }
        assert '"action":"runEnded"' in json.dumps(transformer["InputTemplate"]).replace("\\", "").replace(" ", "")
        assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def test_the_validator_may_describe_only_the_pipelines_executions(synthesized):
    policies = synthesized["template"].find_resources("AWS::IAM::Policy")
    describe = [s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
                if s["Action"] == "states:DescribeExecution"]
    assert len(describe) == 3
    for statement in describe:
        assert ":execution:" in json.dumps(statement["Resource"]) and "Name" in json.dumps(statement["Resource"])


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"when_busy": "queue"}, "when_busy must be one of 'wait', 'skip', got 'queue'"),
        ({"when_busy": "skip", "busy_wait_timeout": Duration.hours(1)}, "busy_wait_timeout is for when_busy='wait'"),
        ({"busy_wait_timeout": Duration.seconds(10)}, "busy_wait_timeout must be at least 1 minute"),
        ({"busy_wait_timeout": 3600}, "busy_wait_timeout must be a Duration, got int 3600"),
        ({"max_concurrent_runs": None, "when_busy": "skip"}, "when_busy and busy_wait_timeout need max_concurrent_runs"),
        ({"max_concurrent_runs": 0}, "max_concurrent_runs must be None or an int from 1 to 1000, got 0"),
    ],
)
def test_lock_props_are_checked_with_what_was_expected_and_got(overrides, expected):
    with pytest.raises(ValueError) as error:
        WarmStartTuningPipeline(Stack(new_app(), "Bad"), "Pipeline", **props(job_name_prefix="bad", **overrides))
    assert expected in str(error.value)


def test_a_busy_wait_that_would_not_fit_the_history_is_refused():
    with pytest.raises(ValueError, match="history"):
        WarmStartTuningPipeline(Stack(new_app(), "Long"), "Pipeline",
                                **props(job_name_prefix="long", busy_wait_timeout=Duration.days(300)))


def test_the_default_state_machine_timeout_covers_the_wait_for_the_lock(synthesized):
    """A run may wait busy_wait_timeout for its turn, then wait for its parents and run its
    job: the default timeout counted only the last two, so a run that had waited its turn
    could time out with its job near the end (and runEnded would stop it)."""
    waiting = state_machine_definition(synthesized["template"], synthesized["ids"]["waiting"])
    skipping = state_machine_definition(synthesized["template"], synthesized["ids"]["skipping"])
    unlocked = state_machine_definition(synthesized["template"], synthesized["ids"]["unlocked"])
    assert waiting["TimeoutSeconds"] == unlocked["TimeoutSeconds"] + 86400  # the default busy wait: one day
    assert skipping["TimeoutSeconds"] == unlocked["TimeoutSeconds"]  # a skipping run never waits
