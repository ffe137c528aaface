"""WarmStartValidator Lambda entry point: one function, the actions of the state machine and of the run-lock rule.

``lambda_handler`` dispatches on the event's ``action``:

- ``"prepare"`` (:func:`prepare_handler`): check the execution input and decide the
  parents before anything waits (input, resume, defaults or automatic selection among
  the pipeline's earlier jobs; the new-data trigger's object becomes inputData);
- ``"poll"`` (:func:`poll_handler`): one polling step of WaitForTuningJobs (all jobs in one
  invocation, so the state machine spends a handful of history events per iteration,
  not per job);
- absent or ``"validate"`` (:func:`validate_handler`): validate and plan a warm-start
  tuning job (the contract of DESIGN.md);
- ``"nextRound"`` (:func:`next_round_handler`): after a round of a rounds pipeline,
  decide whether another warm-start round is worth it, and plan it;
- ``"checkOwner"`` (:func:`check_owner_handler`): when the create step finds its job
  name taken, whether that job carries this run's run-key tag;
- ``"acquireLock"`` (:mod:`run_actions`): take a lease of the pipeline's run lock;
- ``"runEnded"`` (:mod:`run_actions`, from the "Step Functions Execution Status Change"
  rule): stop the ended execution's jobs that still run, release its lease;
- ``"registerWait"``, ``"jobChanged"``, ``"sweepWaiters"`` (:mod:`wait_actions`): the
  event-driven wait for tuning jobs (a task token completed when its jobs are terminal).

Runs with only this folder on sys.path (stdlib + boto3). boto3 is imported on first use,
not at import time, so importing the module (and the synth-time tests that do) stays cheap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

import parents
from structured_log import log as _log
from run_actions import acquire_lock_handler, record_planned_job, run_ended_handler
from wait_actions import job_changed_handler, register_wait_handler, sweep_waiters_handler
from warm_start_rules._access import json_int
from warm_start_rules.codes import INVALID_REQUEST
from warm_start_rules.errors import Violation, WarmStartValidationError
from warm_start_rules.limits import MAX_PARENTS, TERMINAL_STATUSES

# SageMaker statuses of a job that is being (or failed to be) deleted.
GOING_AWAY_STATUSES = ("Deleting", "DeleteFailed")
from warm_start_rules.planner import owned_by, plan
from warm_start_rules.polling import (
    PollSettings,
    next_wait_seconds,
    poll_settings_from_event,
    timed_out,
)
from warm_start_rules.request_checks import job_name_problem
from warm_start_rules.rounds import next_round
from warm_start_rules.run_input import prepare_run


_OPERATION = "CreateHyperParameterTuningJob"
# Step Functions caps an error Cause at 32 KiB: keep botocore's report to a readable size.
_MAX_MODEL_VIOLATIONS = 20
_LOG_VALUE_LIMIT = 2000

# One client per container: Lambda reuses the process between invocations.
_client: Any = None


def sagemaker_client() -> Any:
    """The container's SageMaker client, created on first use (region from the env)."""
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        _client = boto3.client(
            "sagemaker", region_name=region, config=Config(retries=dict(parents.RETRY_CONFIG))
        )
    return _client


def _describe(name: str) -> dict[str, Any] | None:
    return parents.describe_parent(sagemaker_client(), name)


def _list_jobs(prefix: str) -> list[dict[str, Any]]:
    return parents.list_tuning_jobs(sagemaker_client(), prefix)


def model_violations(request: Any) -> list[Violation]:
    """What botocore's own SageMaker model says about ``request``, as INVALID_REQUEST.

    The rule engine checks what warm start relies on; this catches the rest (lengths,
    enums, unknown keys) before CreateHyperParameterTuningJob would.
    """
    lines = parents.model_problems(sagemaker_client(), request, _OPERATION)
    violations = [
        Violation(INVALID_REQUEST, f"{_OPERATION} request: {line}")
        for line in lines[:_MAX_MODEL_VIOLATIONS]
    ]
    if len(lines) > _MAX_MODEL_VIOLATIONS:
        violations.append(
            Violation(
                INVALID_REQUEST,
                f"{_OPERATION} request: {len(lines) - _MAX_MODEL_VIOLATIONS} more problem(s)",
            )
        )
    return violations


def _short(value: Any) -> Any:
    """A log-safe rendering of caller data: bounded, whatever its shape."""
    try:
        rendered = json.dumps(value, default=str)
    except (TypeError, ValueError, RecursionError):  # non-str keys, giant ints, deep nesting
        return f"<unloggable {type(value).__name__}>"
    return value if len(rendered) <= _LOG_VALUE_LIMIT else rendered[:_LOG_VALUE_LIMIT] + "..."


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    """The function's entry point: route the event to its action's handler."""
    action = event.get("action", "validate") if isinstance(event, Mapping) else "validate"
    handler = _ACTIONS.get(action) if isinstance(action, str) else None
    if handler is None:
        raise WarmStartValidationError(
            [Violation(INVALID_REQUEST, f"event.action must be one of {', '.join(sorted(_ACTIONS))}; got {action!r:.100}")]
        )
    try:
        return handler(event, context)
    except ClientError as error:
        if type(error) is ClientError:
            raise
        # botocore raises a modeled error as its own subclass (DynamoDB's
        # ProvisionedThroughputExceededException, ThrottlingException, ...), and Lambda
        # names the error after the class: re-raise it as ClientError, the name the
        # states' Retry matches (the code and message stay in the cause).
        raise ClientError(error.response, error.operation_name) from error


def prepare_handler(event: Any, context: Any) -> dict[str, Any]:
    """Check the execution input and choose the parents; return ``{"parents",
    "warmStartType", "overrides", "selection"}``.

    AWS is only called (lazily, through the container's client) when the parents are
    chosen automatically or resumed; its errors propagate for the state's Retry.
    """
    try:
        run = prepare_run(event, list_jobs=_list_jobs, describe=_describe)
    except WarmStartValidationError as error:
        _log({"decision": "input rejected", "violations": sorted({v.code for v in error.violations})})
        raise
    _log(
        {
            "decision": "input accepted",
            "parents": _short(run["parents"]),
            "warmStartType": _short(run["warmStartType"]),
            "selection": _short(run["selection"]),
        }
    )
    return run


def next_round_handler(event: Any, context: Any) -> dict[str, Any]:
    """Decide whether to run another round; return ``{"continue", "reason", "rounds",
    "round", "next"}``. Pure: no AWS call (the finished job's Describe output is in the
    event)."""
    try:
        result = next_round(event)
    except WarmStartValidationError as error:
        _log({"decision": "round event rejected", "violations": sorted({v.code for v in error.violations})})
        raise
    _log(
        {
            "decision": "next round" if result["continue"] else "rounds done",
            "reason": result["reason"],
            "round": result["round"],
            "rounds": _short(result["rounds"]),
        }
    )
    return result


def validate_handler(event: Any, context: Any) -> dict[str, Any]:
    """Validate the warm start and return ``{"request": ..., "report": ...}``.

    Raises WarmStartValidationError (the Step Functions error name) with every violation;
    AWS errors from DescribeHyperParameterTuningJob propagate for the state's Retry.
    """
    execution = event.get("executionName") if isinstance(event, Mapping) else None
    job_parents = event.get("parents") if isinstance(event, Mapping) else None
    try:
        result = plan(event, _describe)
        problems = model_violations(result["request"])
        if problems:
            raise WarmStartValidationError(problems, {**result["report"], "accepted": False})
    except WarmStartValidationError as error:
        _log(
            {
                "decision": "rejected",
                "execution": _short(execution),
                "parents": _short(job_parents),
                "violations": sorted({v.code for v in error.violations}),
            }
        )
        raise
    # Before the job exists: an abort or a timeout from here on can find and stop it.
    record_planned_job(event, result["request"].get("HyperParameterTuningJobName"),
                       event.get("runKey") or execution)
    _log(
        {
            "decision": "accepted",
            "execution": _short(execution),
            "parents": _short(job_parents),
            "tuningJobName": result["request"].get("HyperParameterTuningJobName"),
            "warnings": sorted({w.get("code") for w in result["report"].get("warnings", [])}),
        }
    )
    return result


# --- waiter -------------------------------------------------------------------------


def _invalid(message: str) -> WarmStartValidationError:
    return WarmStartValidationError([Violation(INVALID_REQUEST, f"poll event: {message}")])


def _counter(poll: Mapping[str, Any], key: str) -> int:
    value = json_int(poll.get(key, 0))  # a JSON number may arrive as 3.0
    if value is None or value < 0:
        raise _invalid(f"poll.{key} must be an integer >= 0")
    return value


def _read_poll_event(event: Any) -> tuple[list[str], int, int, PollSettings]:
    if not isinstance(event, Mapping):
        raise _invalid("expected an object {jobs, poll, settings}")
    jobs = event.get("jobs")
    if (
        not isinstance(jobs, list)
        or not 1 <= len(jobs) <= MAX_PARENTS
        or any(job_name_problem(job) for job in jobs)
    ):
        raise _invalid(f"jobs must be a list of 1 to {MAX_PARENTS} tuning job names")
    poll = {} if event.get("poll") is None else event["poll"]
    if not isinstance(poll, Mapping):
        raise _invalid("poll must be an object {iteration, waitedSeconds}")
    settings, problems = poll_settings_from_event(event.get("settings"))
    if settings is None:
        raise WarmStartValidationError(
            [Violation(INVALID_REQUEST, f"poll event: {p}") for p in problems]
        )
    # dict.fromkeys: drop repeats, keep order (one Describe per job).
    return list(dict.fromkeys(jobs)), _counter(poll, "iteration"), _counter(poll, "waitedSeconds"), settings


def poll_handler(event: Any, context: Any) -> dict[str, Any]:
    """One WaitForTuningJobs step: describe every job once, decide whether to wait again.

    Missing jobs, and jobs being deleted (``Deleting``, ``DeleteFailed``: they never
    become terminal), are listed (the state machine fails with ParentTuningJobNotFound); a
    timeout is reported, not raised, so the state machine chooses the error name.
    """
    jobs, iteration, waited, settings = _read_poll_event(event)
    client = sagemaker_client()
    statuses: dict[str, str] = {}
    missing: list[str] = []
    for name in jobs:
        described = parents.describe_parent(client, name)
        if described is None:
            missing.append(name)
        else:
            statuses[name] = str(described.get("HyperParameterTuningJobStatus"))
            if statuses[name] in GOING_AWAY_STATUSES:
                # Never terminal, never a parent again: end now, not at the timeout.
                missing.append(name)
    all_terminal = not missing and all(s in TERMINAL_STATUSES for s in statuses.values())
    is_timed_out = not all_terminal and timed_out(waited, settings)
    wait = next_wait_seconds(iteration, settings)
    waiting = not all_terminal and not missing and not is_timed_out
    result = {
        "allTerminal": all_terminal,
        "missing": missing,
        "statuses": statuses,
        "nextWaitSeconds": wait,
        "iteration": iteration + 1,
        "waitedSeconds": waited + wait if waiting else waited,
        "timedOut": is_timed_out,
    }
    _log({"decision": "poll", "jobs": jobs, **{k: v for k, v in result.items() if k != "nextWaitSeconds"}})
    return result


# --- job ownership ------------------------------------------------------------------


class TuningJobNotVisible(Exception):
    """Raised by checkOwner for a job SageMaker says exists but cannot describe yet; the
    class name is the Step Functions error name its Retry matches."""



def check_owner_handler(event: Any, context: Any) -> dict[str, Any]:
    """After "already exists": does the job of that name belong to this run? Returns
    ``{"owned": bool}`` and nothing else of the job (it may be another run's).

    A job belongs to the run whose run key its run-key tag carries (DESIGN.md, "Trust
    model"): a retried create finds its own job; anything else is a name conflict.
    """
    if not isinstance(event, Mapping):
        raise WarmStartValidationError([Violation(INVALID_REQUEST, "checkOwner event: expected an object")])
    name, run_key = event.get("jobName"), event.get("runKey")
    problem = job_name_problem(name)
    if problem is not None or not isinstance(run_key, str) or not run_key:
        raise WarmStartValidationError([Violation(
            INVALID_REQUEST, "checkOwner event: jobName must be a tuning job name and runKey a non-empty string")])
    described = _describe(name)
    if described is None:
        # SageMaker just said "already exists": a job it cannot describe yet is one not
        # visible yet (eventual consistency). The state's Retry asks again; after the last
        # attempt the run ends as a conflict, never attached to a job it cannot see.
        raise TuningJobNotVisible(f"tuning job {name} exists but cannot be described yet")
    owned = owned_by(
        parents.list_job_tags(sagemaker_client(), str(described.get("HyperParameterTuningJobArn"))), run_key)
    _log({"decision": "job owned by this run" if owned else "name taken by another run",
          "tuningJobName": name})
    return {"owned": owned}


_ACTIONS = {
    "prepare": prepare_handler,
    "poll": poll_handler,
    "validate": validate_handler,
    "nextRound": next_round_handler,
    "checkOwner": check_owner_handler,
    "acquireLock": acquire_lock_handler,
    "runEnded": run_ended_handler,
    "registerWait": register_wait_handler,
    "jobChanged": job_changed_handler,
    "sweepWaiters": sweep_waiters_handler,
}
