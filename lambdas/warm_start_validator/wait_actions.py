"""The validator's event-driven wait actions.

- ``registerWait`` (a ``.waitForTaskToken`` task of the state machine): note the task
  token and its jobs in the stack's table, *then* look at the jobs, so that a job that
  ended before the registration is not missed;
- ``jobChanged`` (the rule on SageMaker's "HyperParameter Tuning Job State Change"
  events): look again at every waiter of that job;
- ``sweepWaiters`` (EventBridge Scheduler, every ``sweep_interval``): look again at every
  waiter, so that a lost or late event costs at most one interval, and end the waiters
  whose deadline passed with their timeout error.

Items: ``waiters`` / ``<execution ARN>#<token digest>`` holds the token, the jobs, the
deadline and the error names; ``waitjob#<job name>`` / ``<waiter key>`` points a job at
its waiters. A waiter is claimed (a conditional write) before its token is sent, so a
duplicated event completes it once; SendTask answers for a task that is closed already
(aborted, timed out) only remove the waiter.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

import parents
import runs
from structured_log import log as _log
from warm_start_rules.event_waits import (
    CLAIM_SECONDS,
    JOB_INDEX_PREFIX,
    WAITER_TTL_AFTER_DEADLINE_SECONDS,
    WAITERS_PARTITION,
    Outcome,
    decide,
    read_job_changed,
    read_registration,
    read_sweep,
)
from warm_start_rules.run_lock import parse_time

# The task is gone: completed by another check, or its execution ended.
_CLOSED_TASK_CODES = ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken")


def _now(event: Any = None) -> _dt.datetime:
    """The moment of the event that invoked the action, as AWS stamped it (the state's
    EnteredTime, the event's time, the schedule's scheduled time); the function's own
    clock when the event carries none. Deadlines are judged on AWS's timeline."""
    stamped = parse_time(event.get("now")) if isinstance(event, Mapping) else None
    return stamped or _dt.datetime.now(_dt.timezone.utc)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def register_wait_handler(event: Any, context: Any) -> dict[str, Any]:
    registration = read_registration(event)
    ddb = runs.client("dynamodb")
    now = _now(event)
    deadline = now + _dt.timedelta(seconds=registration.timeout_seconds)
    key = registration.waiter_key
    ddb.put_item(TableName=registration.table, Item={
        "pk": {"S": WAITERS_PARTITION}, "sk": {"S": key},
        "token": {"S": registration.token},
        "jobs": {"L": [{"S": job} for job in registration.jobs]},
        "executionArn": {"S": registration.execution_arn},
        "registered": {"S": now.isoformat()},
        "deadline": {"S": deadline.isoformat()},
        "notFoundError": {"S": registration.not_found_error},
        "timeoutError": {"S": registration.timeout_error},
        "expiresAt": {"N": str(int(deadline.timestamp()) + WAITER_TTL_AFTER_DEADLINE_SECONDS)},
    })
    for job in registration.jobs:
        ddb.put_item(TableName=registration.table, Item={
            "pk": {"S": JOB_INDEX_PREFIX + job}, "sk": {"S": key},
            "expiresAt": {"N": str(int(deadline.timestamp()) + WAITER_TTL_AFTER_DEADLINE_SECONDS)},
        })
    _log({"decision": "wait registered", "execution": registration.execution_arn, "jobs": list(registration.jobs),
          "deadline": deadline.isoformat()})
    # After the registration: an event from now on finds the waiter; an end before it is seen here.
    outcome = _check(ddb, registration.table, key, now=now)
    return {"registered": True, "outcome": outcome}


def job_changed_handler(event: Any, context: Any) -> dict[str, Any]:
    table, job = read_job_changed(event)
    ddb = runs.client("dynamodb")
    outcomes = {}
    for key in _query_keys(ddb, table, JOB_INDEX_PREFIX + job):
        outcomes[key] = _check(ddb, table, key, now=_now(event))
    _log({"decision": "job changed", "job": job, "waiters": outcomes})
    return {"waiters": outcomes}


def sweep_waiters_handler(event: Any, context: Any) -> dict[str, Any]:
    table = read_sweep(event)
    ddb = runs.client("dynamodb")
    now = _now(event)
    outcomes = {key: _check(ddb, table, key, now=now, probe=True)
                for key in _query_keys(ddb, table, WAITERS_PARTITION)}
    _log({"decision": "sweep", "waiters": len(outcomes),
          "completed": sum(1 for o in outcomes.values() if o != "waiting")})
    return {"waiters": outcomes}


def forget_waiters(ddb: Any, table: str, execution_arn: str) -> list[str]:
    """Remove every waiter of an ended execution (runEnded)."""
    keys = [k for k in _query_keys(ddb, table, WAITERS_PARTITION, begins_with=execution_arn + "#")]
    for key in keys:
        item = _waiter(ddb, table, key)
        _remove(ddb, table, key, item)
    return keys


def _query_keys(ddb: Any, table: str, partition: str, begins_with: str | None = None) -> list[str]:
    keys: list[str] = []
    condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if begins_with else "")
    values: dict[str, Any] = {":pk": {"S": partition}}
    if begins_with:
        values[":prefix"] = {"S": begins_with}
    kwargs: dict[str, Any] = {"TableName": table, "KeyConditionExpression": condition,
                              "ExpressionAttributeValues": values, "ProjectionExpression": "sk",
                              "ConsistentRead": True}
    while True:
        page = ddb.query(**kwargs)
        keys.extend(item["sk"]["S"] for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return keys
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _waiter(ddb: Any, table: str, key: str) -> dict[str, Any] | None:
    return ddb.get_item(TableName=table, Key={"pk": {"S": WAITERS_PARTITION}, "sk": {"S": key}},
                        ConsistentRead=True).get("Item")


def _remove(ddb: Any, table: str, key: str, item: Mapping[str, Any] | None) -> None:
    for job in ((item or {}).get("jobs") or {}).get("L", []):
        ddb.delete_item(TableName=table, Key={"pk": {"S": JOB_INDEX_PREFIX + job["S"]}, "sk": {"S": key}})
    ddb.delete_item(TableName=table, Key={"pk": {"S": WAITERS_PARTITION}, "sk": {"S": key}})


def _claim(ddb: Any, table: str, key: str, now: _dt.datetime) -> bool:
    """Take the waiter for this check (one check completes it, however many run)."""
    try:
        ddb.update_item(
            TableName=table, Key={"pk": {"S": WAITERS_PARTITION}, "sk": {"S": key}},
            UpdateExpression="SET claimedUntil = :until",
            ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(claimedUntil) OR claimedUntil < :now)",
            ExpressionAttributeValues={":until": {"S": (now + _dt.timedelta(seconds=CLAIM_SECONDS)).isoformat()},
                                       ":now": {"S": now.isoformat()}},
        )
    except ClientError as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _check(ddb: Any, table: str, key: str, *, now: _dt.datetime, probe: bool = False) -> str:
    """Look at a waiter's jobs; complete it when they say so. What happened: "success",
    "failure", "waiting", "closed" (its task was gone) or "gone" (no such waiter)."""
    item = _waiter(ddb, table, key)
    if item is None:
        return "gone"
    registered = parse_time(item["registered"]["S"]) or now
    deadline = parse_time(item["deadline"]["S"]) or now
    client = runs.client("sagemaker")
    statuses: dict[str, str | None] = {}
    for job in (j["S"] for j in item["jobs"]["L"]):
        described = parents.describe_parent(client, job)
        statuses[job] = None if described is None else str(described.get("HyperParameterTuningJobStatus"))
    outcome = decide(statuses, registered=registered, deadline=deadline, now=now,
                     not_found_error=item["notFoundError"]["S"], timeout_error=item["timeoutError"]["S"])
    token = item["token"]["S"]
    sfn = runs.client("stepfunctions")
    if outcome.kind == "waiting":
        if probe and not _alive(sfn, token):
            _remove(ddb, table, key, item)  # its execution ended (aborted, timed out)
            return "closed"
        return "waiting"
    if not _claim(ddb, table, key, now):
        return "waiting"  # another check is completing it
    closed = not _send(sfn, token, outcome)
    _remove(ddb, table, key, item)
    return "closed" if closed else outcome.kind


def _send(sfn: Any, token: str, outcome: Outcome) -> bool:
    """Send the outcome; False when the task was closed already."""
    try:
        if outcome.kind == "success":
            sfn.send_task_success(taskToken=token, output=json.dumps(outcome.output))
        else:
            sfn.send_task_failure(taskToken=token, error=outcome.error, cause=(outcome.cause or "")[:32768])
    except ClientError as error:
        if _code(error) in _CLOSED_TASK_CODES:
            return False
        raise
    return True


def _alive(sfn: Any, token: str) -> bool:
    """Whether the task still waits: a heartbeat to a closed task is refused."""
    try:
        sfn.send_task_heartbeat(taskToken=token)
    except ClientError as error:
        if _code(error) in _CLOSED_TASK_CODES:
            return False
        raise
    return True
