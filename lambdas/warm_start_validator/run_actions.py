"""The validator's run-lock actions: ``acquireLock`` (from the state machine) and
``runEnded`` (from the "Step Functions Execution Status Change" rule), and the run record
that the validate action writes before a job is created.

Decisions are in ``warm_start_rules.run_lock``; AWS calls in ``runs``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

import parents
import runs
from structured_log import log as _log
from wait_actions import forget_waiters
from warm_start_rules.codes import INVALID_REQUEST
from warm_start_rules.errors import Violation, WarmStartValidationError
from warm_start_rules.planner import owned_by
from warm_start_rules.run_lock import (
    LOCK_KEY_PREFIX,
    RUN_KEY_PREFIX,
    RUN_RECORD_TTL_SECONDS,
    lease_is_gone,
    lock_answer,
    read_acquire_event,
    read_run_ended_event,
)



def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def acquire_lock_handler(event: Any, context: Any) -> dict[str, Any]:
    """Take a lease of the pipeline's run lock, reclaiming the leases of executions that
    ended without releasing theirs (a lost status-change event). Returns
    ``{"acquired", "holders", "limit", "reclaimed", "timedOut", "nextWaitSeconds",
    "iteration", "waitedSeconds"}`` for the state machine's wait-or-skip decision."""
    fields = read_acquire_event(event)
    ddb = runs.client("dynamodb")
    lease = (ddb, fields["table"], LOCK_KEY_PREFIX, fields["stateMachineArn"])
    now = _now()
    acquired = runs.take_lease(*lease, fields["executionName"], fields["executionArn"], fields["limit"], now)
    reclaimed: list[str] = []
    if not acquired:
        held = runs.holders(*lease)
        sfn = runs.client("stepfunctions")
        for name, holder in held.items():
            if name == fields["executionName"]:
                continue
            status = runs.execution_status(sfn, holder.get("executionArn", ""))
            if not lease_is_gone(status, holder.get("since"), now):
                continue
            if status is not None and holder.get("executionArn"):
                # Its status-change event was lost (or runEnded gave up): its jobs may still
                # run, so do what runEnded would have done before the lease goes.
                _stop_and_forget(ddb, fields["table"], holder["executionArn"], status)
            if runs.drop_lease(*lease, name, holder.get("executionArn", "")):
                reclaimed.append(name)
        # A lease reclaimed, or released since the write failed (a runEnded in between):
        # try once more rather than wait for a free lease (or, skipping, skip with none held).
        if reclaimed or len(held) < fields["limit"]:
            acquired = runs.take_lease(*lease, fields["executionName"], fields["executionArn"], fields["limit"], now)
    held_count = len(runs.holders(*lease))
    answer = lock_answer(acquired=acquired, holders=held_count, fields=fields, reclaimed=reclaimed)
    _log({"decision": "lock acquired" if acquired else ("lock busy, giving up" if answer["timedOut"] else
                                                         "lock busy, waiting"),
          "execution": fields["executionArn"], "holders": held_count, "limit": fields["limit"],
          "reclaimed": reclaimed, "waitedSeconds": answer["waitedSeconds"]})
    return answer


def run_ended_handler(event: Any, context: Any) -> dict[str, Any]:
    """An execution ended: stop the tuning jobs it planned that still run (unless it
    succeeded), forget them, and release its lease. Every step is idempotent: the event
    arrives at least once."""
    fields = read_run_ended_event(event)
    ddb = runs.client("dynamodb")
    table, execution = fields["table"], fields["executionArn"]
    outcomes = _stop_and_forget(ddb, table, execution, fields["status"])
    waiters = forget_waiters(ddb, table, execution)
    released = runs.drop_lease(ddb, table, LOCK_KEY_PREFIX, fields["stateMachineArn"], fields["executionName"])
    _log({"decision": "run ended", "execution": execution, "status": fields["status"], "jobs": outcomes,
          "leaseReleased": released, "waitersRemoved": len(waiters)})
    return {"jobs": outcomes, "leaseReleased": released, "waitersRemoved": len(waiters)}


def _stop_and_forget(ddb: Any, table: str, execution: str, status: str) -> dict[str, str]:
    """Stop the jobs the ended execution planned that still run (unless it succeeded),
    then forget them; what was found for each job."""
    jobs = runs.recorded_jobs(ddb, table, RUN_KEY_PREFIX, execution)
    outcomes: dict[str, str] = {}
    if status != "SUCCEEDED":
        sagemaker = runs.client("sagemaker")
        for name, run_key in jobs.items():
            if _still_awaited(ddb, table, name, execution):
                outcomes[name] = "awaited by another run"
                continue
            # Only a job with this run's key: a name conflict's job belongs to another run.
            outcomes[name] = runs.stop_if_running(
                sagemaker, name, lambda arn, key=run_key: owned_by(parents.list_job_tags(sagemaker, arn), key))
    runs.forget_jobs(ddb, table, RUN_KEY_PREFIX, execution, list(jobs))
    return outcomes


def _still_awaited(ddb: Any, table: str, job_name: str, execution: str) -> bool:
    """Whether another execution that planned the job still runs (one run key, two
    executions: the job is theirs too)."""
    others = [arn for arn in runs.runs_of_job(ddb, table, RUN_KEY_PREFIX, job_name) if arn != execution]
    if not others:
        return False
    sfn = runs.client("stepfunctions")
    return any(runs.execution_status(sfn, arn) == "RUNNING" for arn in others)


def record_planned_job(event: Mapping[str, Any], job_name: Any, run_key: Any) -> None:
    """Before the create: note the job under the execution (validate's ``runRecord``:
    ``{"table", "executionArn"}``), so that an abort or a timeout can stop it."""
    record = event.get("runRecord")
    if record is None:
        return
    if not (isinstance(record, Mapping) and all(isinstance(record.get(k), str) and record.get(k)
                                                for k in ("table", "executionArn"))):
        raise WarmStartValidationError([Violation(
            INVALID_REQUEST, "validate event: runRecord must be {table, executionArn}, both non-empty strings")])
    if isinstance(job_name, str) and isinstance(run_key, str):
        runs.record_job(runs.client("dynamodb"), record["table"], RUN_KEY_PREFIX, record["executionArn"],
                        job_name, run_key, _now(), RUN_RECORD_TTL_SECONDS)
