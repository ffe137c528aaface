"""The run lock's Lambda actions against moto (DynamoDB, Step Functions, SageMaker).

``acquireLock`` takes at most ``limit`` leases, retried calls do not take a second one,
leases of ended executions are reclaimed; ``runEnded`` stops the ended run's own jobs and
releases its lease, once, however often the event arrives.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

import handler
import runs
from moto_fixtures import REGION, aws_credentials, create_parent, set_status, valid_event, valid_request  # noqa: F401
from warm_start_tuning.local.moto_internals import atomic_dynamodb
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.planner import RUN_KEY_TAG_KEY, run_key_tag_value
from warm_start_rules.run_lock import MISSING_EXECUTION_GRACE_SECONDS, lease_is_gone, next_wait_seconds

TABLE = "runs"
DEFINITION = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}})


@pytest.fixture
def aws(aws_credentials: None) -> Iterator[dict[str, Any]]:  # noqa: F811
    with mock_aws(), atomic_dynamodb():
        runs._clients.clear()  # the container's clients must be moto's
        ddb = boto3.client("dynamodb", region_name=REGION)
        ddb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sfn = boto3.client("stepfunctions", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="sfn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        machine = sfn.create_state_machine(name="pipeline", definition=DEFINITION, roleArn=role)["stateMachineArn"]
        # moto has no StopHyperParameterTuningJob (the local engine's simulated jobs do): here
        # the handler's client answers it as SageMaker does, the job going to Stopping.
        runs.client("sagemaker").meta.events.register(
            "before-call.sagemaker.StopHyperParameterTuningJob", _stop_in_moto)
        yield {"ddb": ddb, "sfn": sfn, "machine": machine, "sagemaker": boto3.client("sagemaker", region_name=REGION)}
        runs._clients.clear()


def _stop_in_moto(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
    set_status(json.loads(params["body"])["HyperParameterTuningJobName"], "Stopping")
    return AWSResponse(params["url"], 200, {}, None), {"ResponseMetadata": {"HTTPStatusCode": 200}}


def start(aws: dict[str, Any], name: str) -> str:
    return aws["sfn"].start_execution(stateMachineArn=aws["machine"], name=name)["executionArn"]


def acquire(aws: dict[str, Any], execution_arn: str, *, limit: int = 1, timeout: int | None = 3600,
            lock: dict[str, Any] | None = None) -> dict[str, Any]:
    return handler.lambda_handler({
        "action": "acquireLock", "table": TABLE, "stateMachineArn": aws["machine"],
        "executionArn": execution_arn, "executionName": execution_arn.rsplit(":", 1)[-1],
        "limit": limit, "waitTimeoutSeconds": timeout, "lock": lock or {"waitedSeconds": 0, "iteration": 0},
    }, None)


def run_ended(aws: dict[str, Any], execution_arn: str, status: str) -> dict[str, Any]:
    return handler.lambda_handler({"action": "runEnded", "table": TABLE, "stateMachineArn": aws["machine"],
                                   "executionArn": execution_arn, "status": status}, None)


def test_one_slot_one_holder_and_a_retried_call_keeps_its_lease(aws: dict[str, Any]) -> None:
    first, second = start(aws, "first"), start(aws, "second")
    assert acquire(aws, first)["acquired"] is True
    busy = acquire(aws, second)
    assert busy["acquired"] is False and busy["holders"] == 1 and busy["timedOut"] is False
    assert busy["nextWaitSeconds"] == 60 and busy["waitedSeconds"] == 60 and busy["iteration"] == 1
    again = acquire(aws, first)  # a Retry after a lost response
    assert again["acquired"] is True and again["holders"] == 1


def test_five_simultaneous_calls_take_exactly_the_limit(aws: dict[str, Any]) -> None:
    executions = [start(aws, f"run-{i}") for i in range(5)]
    answers: dict[str, bool] = {}
    barrier = threading.Barrier(5)

    def take(arn: str) -> None:
        barrier.wait()
        answers[arn] = acquire(aws, arn, limit=2)["acquired"]

    threads = [threading.Thread(target=take, args=(arn,)) for arn in executions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == [False, False, False, True, True]


def test_run_ended_releases_the_lease_once_and_the_next_run_proceeds(aws: dict[str, Any]) -> None:
    first, second = start(aws, "first"), start(aws, "second")
    acquire(aws, first)
    assert acquire(aws, second)["acquired"] is False
    aws["sfn"].stop_execution(executionArn=first)
    assert run_ended(aws, first, "ABORTED")["leaseReleased"] is True
    assert run_ended(aws, first, "ABORTED")["leaseReleased"] is False  # a duplicated event
    assert acquire(aws, second)["acquired"] is True


def test_a_lease_whose_release_event_was_lost_is_reclaimed(aws: dict[str, Any]) -> None:
    first, second = start(aws, "first"), start(aws, "second")
    acquire(aws, first)
    aws["sfn"].stop_execution(executionArn=first)  # ended, but no runEnded arrives
    answer = acquire(aws, second)
    assert answer["acquired"] is True and answer["reclaimed"] == ["first"]


def test_a_running_holder_is_never_reclaimed(aws: dict[str, Any]) -> None:
    first, second = start(aws, "first"), start(aws, "second")
    acquire(aws, first)
    for _ in range(3):
        assert acquire(aws, second)["reclaimed"] == []
    assert runs.holders(aws["ddb"], TABLE, "lock#", aws["machine"]).keys() == {"first"}


def test_an_unknown_execution_keeps_its_lease_for_the_grace_period() -> None:
    now = _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    recent = (now - _dt.timedelta(seconds=60)).isoformat()
    old = (now - _dt.timedelta(seconds=MISSING_EXECUTION_GRACE_SECONDS + 1)).isoformat()
    assert lease_is_gone(None, recent, now) is False  # DescribeExecution may lag a new start
    assert lease_is_gone(None, old, now) is True
    assert lease_is_gone("RUNNING", old, now) is False
    assert all(lease_is_gone(s, recent, now) for s in ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"))


def test_waits_back_off_to_a_cap_and_end_at_the_timeout(aws: dict[str, Any]) -> None:
    assert [next_wait_seconds(i) for i in range(6)] == [60, 120, 240, 480, 900, 900]
    first, second = start(aws, "first"), start(aws, "second")
    acquire(aws, first)
    assert acquire(aws, second, timeout=None)["timedOut"] is True  # skip mode: no wait at all
    late = acquire(aws, second, timeout=1000, lock={"waitedSeconds": 900, "iteration": 4})
    assert late["timedOut"] is True and late["waitedSeconds"] == 900


def _own_job(aws: dict[str, Any], name: str, run_key: str, *, status: str = "InProgress") -> None:
    aws["sagemaker"].create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, **valid_request(),
        Tags=[{"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value(run_key)}])
    set_status(name, status)


def _record(aws: dict[str, Any], execution: str, job: str, run_key: str) -> None:
    runs.record_job(aws["ddb"], TABLE, "run#", execution, job, run_key,
                    _dt.datetime.now(_dt.timezone.utc), 3600)


def _status(aws: dict[str, Any], name: str) -> str:
    return aws["sagemaker"].describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "HyperParameterTuningJobStatus"]


def test_run_ended_stops_only_the_runs_own_running_jobs(aws: dict[str, Any]) -> None:
    execution = start(aws, "aborted")
    _own_job(aws, "imgcls-own", "aborted")
    _own_job(aws, "imgcls-foreign", "someone-else")  # e.g. the job of a name conflict
    _own_job(aws, "imgcls-done", "aborted", status="Completed")
    for job in ("imgcls-own", "imgcls-foreign", "imgcls-done"):
        _record(aws, execution, job, "aborted")
    outcome = run_ended(aws, execution, "TIMED_OUT")
    assert outcome["jobs"] == {"imgcls-own": "stopped", "imgcls-foreign": "not owned", "imgcls-done": "not running"}
    assert _status(aws, "imgcls-own") in ("Stopping", "Stopped")
    assert _status(aws, "imgcls-foreign") == "InProgress"
    assert runs.recorded_jobs(aws["ddb"], TABLE, "run#", execution) == {}
    assert run_ended(aws, execution, "TIMED_OUT")["jobs"] == {}  # a duplicated event finds nothing


def test_a_succeeded_run_stops_nothing(aws: dict[str, Any]) -> None:
    execution = start(aws, "fine")
    _own_job(aws, "imgcls-fine", "fine")
    _record(aws, execution, "imgcls-fine", "fine")
    assert run_ended(aws, execution, "SUCCEEDED")["jobs"] == {}
    assert _status(aws, "imgcls-fine") == "InProgress"


def test_validate_records_the_planned_job_before_it_exists(aws: dict[str, Any]) -> None:
    create_parent(aws["sagemaker"], "parent-1")
    execution = start(aws, "run-2024-06-01")
    event = valid_event(["parent-1"], runRecord={"table": TABLE, "executionArn": execution})
    result = handler.lambda_handler(event, None)
    name = result["request"]["HyperParameterTuningJobName"]
    assert runs.recorded_jobs(aws["ddb"], TABLE, "run#", execution) == {name: "run-2024-06-01"}


@pytest.mark.parametrize(
    "event",
    [
        {"action": "acquireLock"},
        {"action": "acquireLock", "table": "t", "stateMachineArn": "a", "executionArn": "e", "executionName": "n",
         "limit": 0},
        {"action": "acquireLock", "table": "t", "stateMachineArn": "a", "executionArn": "e", "executionName": "n",
         "limit": True},
        {"action": "acquireLock", "table": "t", "stateMachineArn": "a", "executionArn": "e", "executionName": "n",
         "limit": 1, "lock": {"waitedSeconds": -5}},
        {"action": "runEnded", "table": "t", "stateMachineArn": "a", "executionArn": "", "status": "FAILED"},
        {"action": "runEnded", "table": ["t"], "stateMachineArn": "a", "executionArn": "e", "status": "FAILED"},
    ],
)
def test_malformed_lock_events_are_rejected_by_name(event: dict[str, Any]) -> None:
    with pytest.raises(WarmStartValidationError) as raised:
        handler.lambda_handler(event, None)
    assert raised.value.violations[0].code == "INVALID_REQUEST"


def test_a_malformed_run_record_is_rejected_before_any_write(aws: dict[str, Any]) -> None:
    create_parent(aws["sagemaker"], "parent-1")
    with pytest.raises(WarmStartValidationError, match="runRecord"):
        handler.lambda_handler(valid_event(["parent-1"], runRecord={"table": TABLE}), None)


def test_a_lease_released_between_the_failed_take_and_the_read_is_taken(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder's runEnded lands between B's failed conditional write and its read of the
    holders: the lock is free, so B must not wait (or, skipping, be skipped with "0 of at
    most 1 runs were in flight")."""
    holder, waiter = start(aws, "holder"), start(aws, "waiter")
    assert acquire(aws, holder)["acquired"] is True
    original = runs.take_lease

    def released_meanwhile(*args: Any, **kwargs: Any) -> bool:
        taken = original(*args, **kwargs)
        if not taken and args[4] == "waiter":
            monkeypatch.setattr(runs, "take_lease", original)
            aws["sfn"].stop_execution(executionArn=holder)
            run_ended(aws, holder, "ABORTED")
        return taken

    monkeypatch.setattr(runs, "take_lease", released_meanwhile)
    answer = acquire(aws, waiter, timeout=None)
    assert answer["acquired"] is True and answer["holders"] == 1, answer
