"""The run lock's decisions, without AWS: event checks, waits, which leases are gone.

The lock is the semaphore AWS documents for Step Functions concurrency control: one
DynamoDB item per state machine (``lock#<state machine ARN>``) whose ``holders`` map has
one lease per running execution, taken by a conditional write that succeeds only while
the map has fewer than ``limit`` entries (or already holds this execution's lease, so a
retried write is not a second lease). A lease ends when its execution ends: the
"Step Functions Execution Status Change" rule invokes ``runEnded``; a lease whose event
was lost is reclaimed by the next run that finds the lock full, once Step Functions
says its execution is no longer running.

The run record (``run#<execution ARN>``) lists the tuning jobs the execution planned, each
with its run key, so that ``runEnded`` can stop the ones still running after an abort, a
timeout or a failure (DESIGN.md: an execution's timeout does not stop a ``.sync`` job,
and nothing stops a job that another path started).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from ._access import json_int, show
from .codes import INVALID_REQUEST
from .errors import Violation, WarmStartValidationError

LOCK_KEY_PREFIX = "lock#"
RUN_KEY_PREFIX = "run#"
#: Run records expire (DynamoDB TTL) after the longest a Standard execution may run.
RUN_RECORD_TTL_SECONDS = 366 * 24 * 3600
#: Statuses after which an execution holds nothing (DescribeExecution's, and the
#: Execution Status Change event's).
ENDED_STATUSES = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
#: A lease whose execution Step Functions cannot find is reclaimed only after this long:
#: DescribeExecution is eventually consistent, and a just-started execution may not be
#: visible yet (Step Functions API reference, DescribeExecution).
MISSING_EXECUTION_GRACE_SECONDS = 3600
#: A run that finds the lock full waits 1 minute, then twice as long each time, at most
#: 15 minutes between attempts.
FIRST_WAIT_SECONDS = 60
MAX_WAIT_SECONDS = 900
MAX_LIMIT = 1000


def _invalid(action: str, message: str) -> WarmStartValidationError:
    return WarmStartValidationError([Violation(INVALID_REQUEST, f"{action} event: {message}")])


def _text(event: Mapping[str, Any], key: str, action: str) -> str:
    value = event.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= 2048:
        raise _invalid(action, f"{key} must be a non-empty string; got {show(value)}")
    return value


def read_acquire_event(event: Any) -> dict[str, Any]:
    """The fields of an ``acquireLock`` event, checked: table, stateMachineArn,
    executionArn, executionName, limit, waitedSeconds, iteration, waitTimeoutSeconds
    (None: skip at once when the lock is full)."""
    action = "acquireLock"
    if not isinstance(event, Mapping):
        raise _invalid(action, "expected an object")
    fields: dict[str, Any] = {key: _text(event, key, action)
                              for key in ("table", "stateMachineArn", "executionArn", "executionName")}
    limit = json_int(event.get("limit"))
    if limit is None or not 1 <= limit <= MAX_LIMIT:
        raise _invalid(action, f"limit must be an integer from 1 to {MAX_LIMIT}; got {show(event.get('limit'))}")
    fields["limit"] = limit
    lock = event.get("lock") if isinstance(event.get("lock"), Mapping) else {}
    for key in ("waitedSeconds", "iteration"):
        value = json_int(lock.get(key, 0))
        if value is None or value < 0:
            raise _invalid(action, f"lock.{key} must be an integer >= 0; got {show(lock.get(key))}")
        fields[key] = value
    timeout = event.get("waitTimeoutSeconds")
    if timeout is not None:
        timeout = json_int(timeout)
        if timeout is None or timeout < 0:
            raise _invalid(action, f"waitTimeoutSeconds must be null or an integer >= 0; got {show(timeout)}")
    fields["waitTimeoutSeconds"] = timeout
    return fields


def read_run_ended_event(event: Any) -> dict[str, str]:
    """The fields of a ``runEnded`` event (the status-change rule's target input)."""
    action = "runEnded"
    if not isinstance(event, Mapping):
        raise _invalid(action, "expected an object")
    fields = {key: _text(event, key, action) for key in ("table", "stateMachineArn", "executionArn", "status")}
    # The lease is held under the execution's name: the last part of its ARN.
    fields["executionName"] = fields["executionArn"].rsplit(":", 1)[-1]
    return fields


def next_wait_seconds(iteration: int) -> int:
    """How long a run that found the lock full waits before its ``iteration``-th retry."""
    return min(FIRST_WAIT_SECONDS * 2 ** min(iteration, 20), MAX_WAIT_SECONDS)


def lock_answer(*, acquired: bool, holders: int, fields: Mapping[str, Any], reclaimed: list[str]) -> dict[str, Any]:
    """What ``acquireLock`` returns: the decision, and for a full lock how long to wait,
    or that the wait is over (``timedOut``; always so when the pipeline skips busy runs)."""
    wait = next_wait_seconds(fields["iteration"])
    timeout = fields["waitTimeoutSeconds"]
    timed_out = not acquired and (timeout is None or fields["waitedSeconds"] + wait > timeout)
    return {
        "acquired": acquired,
        "holders": holders,
        "limit": fields["limit"],
        "reclaimed": reclaimed,
        "timedOut": timed_out,
        "nextWaitSeconds": wait,
        "iteration": fields["iteration"] + 1,
        "waitedSeconds": fields["waitedSeconds"] + (0 if acquired or timed_out else wait),
    }


def lease_is_gone(status: str | None, since: str | None, now: _dt.datetime) -> bool:
    """Whether a lease may be reclaimed: its execution ended (``status`` from
    DescribeExecution), or Step Functions has not known it (None) for longer than the
    grace period since the lease was taken."""
    if status is not None:
        return status in ENDED_STATUSES
    taken = parse_time(since)
    return taken is None or (now - taken).total_seconds() > MISSING_EXECUTION_GRACE_SECONDS


def parse_time(value: Any) -> _dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_dt.timezone.utc)


def worst_case_waits(timeout_seconds: int | None) -> int:
    """How many times a run may wait for the lock before ``lock_answer`` says timedOut
    (the synth-time history budget counts this many Wait iterations)."""
    if timeout_seconds is None:
        return 0
    waited, iteration = 0, 0
    while waited + next_wait_seconds(iteration) <= timeout_seconds:
        waited += next_wait_seconds(iteration)
        iteration += 1
    return iteration
