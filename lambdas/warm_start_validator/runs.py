"""AWS side of the run lock and the run records: DynamoDB, Step Functions, SageMaker.

The table (one per stack) has a partition key ``pk`` and a sort key ``sk``:

- ``lock#<state machine ARN>`` / ``lock``: ``holders``, a map from execution name to
  ``{"executionArn", "since"}``, one lease per running execution;
- ``run#<execution ARN>`` / ``job#<tuning job name>``: a job the execution planned, with
  its run key, written before the job is created; ``expiresAt`` (TTL) removes it a year
  later if ``runEnded`` never does;
- ``job#<tuning job name>`` / ``run#<execution ARN>``: the same record seen from the job,
  so that ``runEnded`` can tell whether another execution still waits for the job (two
  deliveries of one trigger event: one run key, one job, two executions).

The decisions live in ``warm_start_rules.run_lock``; this module only talks to AWS. Like
``parents.py`` it imports nothing from ``warm_start_rules`` at module level.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

_LOCK_SORT_KEY = "lock"
_JOB_SORT_PREFIX = "job#"
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """The container's client of ``service`` (botocore's standard retries)."""
    if service not in _clients:
        import boto3
        from botocore.config import Config

        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        _clients[service] = boto3.client(
            service, region_name=region, config=Config(retries={"mode": "standard", "total_max_attempts": 5})
        )
    return _clients[service]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _lock_key(lock_prefix: str, state_machine_arn: str) -> dict[str, Any]:
    return {"pk": {"S": lock_prefix + state_machine_arn}, "sk": {"S": _LOCK_SORT_KEY}}


def take_lease(
    ddb: Any, table: str, lock_prefix: str, state_machine_arn: str, execution_name: str,
    execution_arn: str, limit: int, now: _dt.datetime,
) -> bool:
    """Take one of ``limit`` leases for the execution; True when it holds one (already
    held counts: a retried call must not take a second lease, nor fail)."""
    key = _lock_key(lock_prefix, state_machine_arn)
    # The map must exist before a path inside it can be written.
    ddb.update_item(TableName=table, Key=key, UpdateExpression="SET #h = if_not_exists(#h, :empty)",
                    ExpressionAttributeNames={"#h": "holders"}, ExpressionAttributeValues={":empty": {"M": {}}})
    lease = {"M": {"executionArn": {"S": execution_arn}, "since": {"S": now.isoformat()}}}
    try:
        ddb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #h.#me = if_not_exists(#h.#me, :lease)",
            ConditionExpression="attribute_exists(#h.#me) OR size(#h) < :limit",
            ExpressionAttributeNames={"#h": "holders", "#me": execution_name},
            ExpressionAttributeValues={":lease": lease, ":limit": {"N": str(limit)}},
        )
    except ClientError as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def holders(ddb: Any, table: str, lock_prefix: str, state_machine_arn: str) -> dict[str, dict[str, str]]:
    """The leases now held: execution name -> {"executionArn", "since"} (a strongly
    consistent read: the decision to reclaim must see the latest writes)."""
    item = ddb.get_item(TableName=table, Key=_lock_key(lock_prefix, state_machine_arn), ConsistentRead=True).get("Item")
    leases = ((item or {}).get("holders") or {}).get("M", {})
    return {
        name: {field: value.get("S", "") for field, value in lease.get("M", {}).items()}
        for name, lease in leases.items()
    }


def drop_lease(ddb: Any, table: str, lock_prefix: str, state_machine_arn: str, execution_name: str,
               execution_arn: str | None = None) -> bool:
    """Remove the execution's lease; with ``execution_arn``, only a lease that still names
    it (a reclaim must not remove a lease taken again since). True when one was removed."""
    condition = "attribute_exists(#h.#me)"
    values: dict[str, Any] = {}
    if execution_arn is not None:
        condition += " AND #h.#me.executionArn = :arn"
        values[":arn"] = {"S": execution_arn}
    try:
        ddb.update_item(
            TableName=table,
            Key=_lock_key(lock_prefix, state_machine_arn),
            UpdateExpression="REMOVE #h.#me",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#h": "holders", "#me": execution_name},
            **({"ExpressionAttributeValues": values} if values else {}),
        )
    except ClientError as error:
        if _code(error) == "ConditionalCheckFailedException":
            return False  # no such lease: released already (a duplicated event), or never taken
        raise
    return True


def execution_status(sfn: Any, execution_arn: str) -> str | None:
    """DescribeExecution's status; None when Step Functions does not know the execution."""
    try:
        return str(sfn.describe_execution(executionArn=execution_arn)["status"])
    except ClientError as error:
        if _code(error) in ("ExecutionDoesNotExist", "ExecutionDoesNotExistException"):
            return None
        raise


def record_job(ddb: Any, table: str, run_prefix: str, execution_arn: str, job_name: str, run_key: str,
               now: _dt.datetime, ttl_seconds: int) -> None:
    """Note that the execution is about to create (or attach to) ``job_name``."""
    ddb.put_item(TableName=table, Item={
        "pk": {"S": run_prefix + execution_arn},
        "sk": {"S": _JOB_SORT_PREFIX + job_name},
        "jobName": {"S": job_name},
        "runKey": {"S": run_key},
        "planned": {"S": now.isoformat()},
        "expiresAt": {"N": str(int(now.timestamp()) + ttl_seconds)},
    })
    ddb.put_item(TableName=table, Item={
        "pk": {"S": _JOB_SORT_PREFIX + job_name},
        "sk": {"S": run_prefix + execution_arn},
        "executionArn": {"S": execution_arn},
        "expiresAt": {"N": str(int(now.timestamp()) + ttl_seconds)},
    })


def runs_of_job(ddb: Any, table: str, run_prefix: str, job_name: str) -> list[str]:
    """The executions that planned ``job_name`` and have not been forgotten."""
    arns: list[str] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :run)",
        "ExpressionAttributeValues": {":pk": {"S": _JOB_SORT_PREFIX + job_name}, ":run": {"S": run_prefix}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.query(**kwargs)
        arns += [item["executionArn"]["S"] for item in page.get("Items", []) if "executionArn" in item]
        if "LastEvaluatedKey" not in page:
            return arns
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def recorded_jobs(ddb: Any, table: str, run_prefix: str, execution_arn: str) -> dict[str, str]:
    """The jobs the execution planned: job name -> run key."""
    jobs: dict[str, str] = {}
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :job)",
        "ExpressionAttributeValues": {":pk": {"S": run_prefix + execution_arn}, ":job": {"S": _JOB_SORT_PREFIX}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.query(**kwargs)
        for item in page.get("Items", []):
            jobs[item["jobName"]["S"]] = item.get("runKey", {}).get("S", "")
        if "LastEvaluatedKey" not in page:
            return jobs
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def forget_jobs(ddb: Any, table: str, run_prefix: str, execution_arn: str, job_names: list[str]) -> None:
    for name in job_names:
        ddb.delete_item(TableName=table, Key={"pk": {"S": _JOB_SORT_PREFIX + name},
                                              "sk": {"S": run_prefix + execution_arn}})
        ddb.delete_item(TableName=table, Key={"pk": {"S": run_prefix + execution_arn},
                                              "sk": {"S": _JOB_SORT_PREFIX + name}})


def stop_if_running(sagemaker: Any, name: str, is_owned: Callable[[str], bool]) -> str:
    """Stop the tuning job when it is still running and ``is_owned(job ARN)``; what was
    found: "stopped", "not running", "not owned" or "not found"."""
    try:
        described = sagemaker.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as error:
        if _code(error) in ("ResourceNotFound", "ResourceNotFoundException", "ValidationException"):
            return "not found"
        raise
    if described.get("HyperParameterTuningJobStatus") != "InProgress":
        return "not running"
    if not is_owned(str(described.get("HyperParameterTuningJobArn"))):
        return "not owned"
    try:
        sagemaker.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as error:
        # It ended (or began stopping) between the Describe and the Stop.
        if _code(error) != "ValidationException":
            raise
        return "not running"
    return "stopped"
