"""Event-driven waits, without AWS: what a registered waiter's jobs mean for it.

A wait registers its task token and its jobs (``registerWait``), then checks them; a
SageMaker "HyperParameter Tuning Job State Change" event (``jobChanged``) or the periodic
sweep (``sweepWaiters``) checks them again. Each check ends in one :class:`Outcome`: the
waiter succeeds (every job terminal), fails with its not-found error (a job missing or
being deleted) or its timeout error (the deadline passed), or keeps waiting.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._access import json_int, show
from .codes import INVALID_REQUEST
from .errors import Violation, WarmStartValidationError
from .limits import MAX_PARENTS, TERMINAL_STATUSES
from .request_checks import job_name_problem

WAITERS_PARTITION = "waiters"
JOB_INDEX_PREFIX = "waitjob#"
#: Kept this long after the deadline (TTL), in case no check ever removes a waiter.
WAITER_TTL_AFTER_DEADLINE_SECONDS = 7 * 86400
GOING_AWAY = ("Deleting", "DeleteFailed")
#: A waiter being completed by one check is left alone by others for this long.
CLAIM_SECONDS = 300


def _invalid(message: str) -> WarmStartValidationError:
    return WarmStartValidationError([Violation(INVALID_REQUEST, f"registerWait event: {message}")])


@dataclass(frozen=True)
class Registration:
    table: str
    token: str
    jobs: tuple[str, ...]
    execution_arn: str
    timeout_seconds: int
    not_found_error: str
    timeout_error: str

    @property
    def waiter_key(self) -> str:
        """The waiter's sort key: its execution, then a digest of its token (an execution
        may wait more than once: the parents, then an existing job)."""
        return f"{self.execution_arn}#{hashlib.sha256(self.token.encode()).hexdigest()[:32]}"


def read_registration(event: Any) -> Registration:
    if not isinstance(event, Mapping):
        raise _invalid("expected an object")
    texts = {}
    for key in ("table", "token", "executionArn"):
        value = event.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= 4096:
            raise _invalid(f"{key} must be a non-empty string; got {show(value)}")
        texts[key] = value
    jobs = event.get("jobs")
    if (not isinstance(jobs, list) or not 1 <= len(jobs) <= MAX_PARENTS
            or any(job_name_problem(job) for job in jobs)):
        raise _invalid(f"jobs must be a list of 1 to {MAX_PARENTS} tuning job names; got {show(jobs)}")
    timeout = json_int(event.get("timeoutSeconds"))
    if timeout is None or timeout < 1:
        raise _invalid(f"timeoutSeconds must be an integer >= 1; got {show(event.get('timeoutSeconds'))}")
    errors = event.get("errors") if isinstance(event.get("errors"), Mapping) else {}
    names = {}
    for key, default in (("notFound", "ParentTuningJobNotFound"), ("timeout", "ParentWaitTimeout")):
        value = errors.get(key, default)
        if not isinstance(value, str) or not 0 < len(value) <= 256:
            raise _invalid(f"errors.{key} must be an error name; got {show(value)}")
        names[key] = value
    return Registration(texts["table"], texts["token"], tuple(dict.fromkeys(jobs)), texts["executionArn"],
                        timeout, names["notFound"], names["timeout"])


@dataclass(frozen=True)
class Outcome:
    kind: str  # "success" | "failure" | "waiting"
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None


def decide(
    statuses: Mapping[str, str | None], *, registered: _dt.datetime, deadline: _dt.datetime, now: _dt.datetime,
    not_found_error: str, timeout_error: str,
) -> Outcome:
    """The waiter's outcome for its jobs' statuses now (None: the job does not exist)."""
    waited = max(0, int((now - registered).total_seconds()))
    missing = [name for name, status in statuses.items() if status is None or status in GOING_AWAY]
    if missing:
        return Outcome("failure", error=not_found_error,
                       cause=f"Tuning job(s) not found or being deleted: {json.dumps(missing)}")
    if all(status in TERMINAL_STATUSES for status in statuses.values()):
        return Outcome("success", output={
            "allTerminal": True, "missing": [], "statuses": dict(statuses), "timedOut": False,
            "waitedSeconds": waited, "iteration": 0, "nextWaitSeconds": 0,
        })
    if now >= deadline:
        return Outcome("failure", error=timeout_error,
                       cause=f"Tuning job(s) not terminal after {waited} seconds: {json.dumps(dict(statuses))}")
    return Outcome("waiting")


def read_job_changed(event: Any) -> tuple[str, str]:
    """(table, job name) of a ``jobChanged`` event (the SageMaker rule's target input)."""
    if not isinstance(event, Mapping) or not isinstance(event.get("table"), str) or not event.get("table"):
        raise WarmStartValidationError([Violation(INVALID_REQUEST, "jobChanged event: table must be a string")])
    name = event.get("jobName")
    if job_name_problem(name) is not None:
        raise WarmStartValidationError([Violation(INVALID_REQUEST,
                                                  f"jobChanged event: jobName must be a tuning job name; got {show(name)}")])
    return event["table"], name


def read_sweep(event: Any) -> str:
    if not isinstance(event, Mapping) or not isinstance(event.get("table"), str) or not event.get("table"):
        raise WarmStartValidationError([Violation(INVALID_REQUEST, "sweepWaiters event: table must be a string")])
    return event["table"]
