"""At most N runs of a pipeline in flight: a DynamoDB lease, taken before anything else.

The semaphore AWS documents for Step Functions concurrency control, on the stack's
:class:`RunTable`: ``AcquireRunLock`` (the validator's ``acquireLock`` action) takes one of
``max_concurrent_runs`` leases keyed by the state machine's ARN with a conditional write,
which is atomic and strongly consistent (no fixed state machine name is needed, and no
eventually consistent ListExecutions is read). Every way an execution ends releases its
lease through the "Step Functions Execution Status Change" rule (:mod:`.run_cleanup`);
a lease whose event was lost is reclaimed by the next run that finds the lock full.

A run that finds the lock full:

- ``when_busy="wait"`` (the default): waits its turn, 1 minute doubling to 15 between
  attempts, for at most ``busy_wait_timeout``; a new-data batch or a scheduled run is
  then tuned on after the run in flight, never dropped;
- ``when_busy="skip"``, or the wait is over: publishes a "Warm-start tuning run skipped"
  event, is counted by the pipeline's RunSkipped metric (with an alarm), and succeeds
  with ``{"skipped": true, "reason": ...}``, creating nothing.
"""

from __future__ import annotations

from typing import Any, Optional

from aws_cdk import Duration, Token
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from warm_start_tuning.lambdas.warm_start_validator.warm_start_rules.run_lock import MAX_LIMIT, worst_case_waits

from ..validator.invoke import invoke_validator
from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS, WAIT_EVENTS
from ..waiter.wait_for_tuning_jobs import VALIDATION_ERROR

WHEN_BUSY = ("wait", "skip")
DEFAULT_BUSY_WAIT_TIMEOUT = Duration.days(1)
SKIPPED_STATE = "AnotherRunInFlight"
#: The Pass state the RunSkipped metric filter counts.
RUN_SKIPPED_STATE = "RunSkipped"
RUN_SKIPPED_SOURCE = "warm-start-tuning"
RUN_SKIPPED_DETAIL_TYPE = "Warm-start tuning run skipped"


def run_lock_events(when_busy: str, busy_wait_timeout: Optional[Duration]) -> int:
    """History events of the lock in the worst case: every wait until the timeout, then
    the skipped path (PutEvents, the Pass, the Succeed)."""
    waits = worst_case_waits(_timeout_seconds(when_busy, busy_wait_timeout))
    attempt = TASK_EVENTS + CHOICE_EVENTS
    return PASS_EVENTS + (waits + 1) * attempt + waits * WAIT_EVENTS + TASK_EVENTS + 2 * PASS_EVENTS


def run_lock_wait_seconds(when_busy: str, busy_wait_timeout: Optional[Duration]) -> int:
    """The longest a run may wait for the lock (0 for a skipping pipeline)."""
    return _timeout_seconds(when_busy, busy_wait_timeout) or 0


def _timeout_seconds(when_busy: str, busy_wait_timeout: Optional[Duration]) -> Optional[int]:
    if when_busy == "skip":
        return None
    return int((busy_wait_timeout or DEFAULT_BUSY_WAIT_TIMEOUT).to_seconds())


def run_lock_problems(max_concurrent_runs: object, when_busy: object, busy_wait_timeout: object) -> list[str]:
    problems = []
    if max_concurrent_runs is not None and (
        isinstance(max_concurrent_runs, bool) or not isinstance(max_concurrent_runs, int)
        or not 1 <= max_concurrent_runs <= MAX_LIMIT
    ):
        problems.append(f"max_concurrent_runs must be None or an int from 1 to {MAX_LIMIT}, got {max_concurrent_runs!r}")
    if when_busy not in WHEN_BUSY:
        problems.append(f"when_busy must be one of {', '.join(map(repr, WHEN_BUSY))}, got {when_busy!r}")
    if busy_wait_timeout is not None:
        if not isinstance(busy_wait_timeout, Duration):
            problems.append(f"busy_wait_timeout must be a Duration, got {type(busy_wait_timeout).__name__} "
                            f"{busy_wait_timeout!r}")
        elif when_busy == "skip":
            problems.append("conflicting props: busy_wait_timeout is for when_busy='wait'; a skipping pipeline "
                            "does not wait")
        elif Token.is_unresolved(busy_wait_timeout.to_seconds()):
            problems.append("busy_wait_timeout must be a literal Duration (its waits are counted into the history "
                            "budget at synth), got a token")
        elif busy_wait_timeout.to_seconds() < 60:
            problems.append(f"busy_wait_timeout must be at least 1 minute (the first wait), got "
                            f"{busy_wait_timeout.to_seconds():g} s")
    if max_concurrent_runs is None and (when_busy != "wait" or busy_wait_timeout is not None):
        problems.append("conflicting props: when_busy and busy_wait_timeout need max_concurrent_runs")
    return problems


def run_lock(
    scope: Construct,
    *,
    function: lambda_.IFunction,
    table_name: str,
    max_concurrent_runs: int,
    when_busy: str,
    busy_wait_timeout: Optional[Duration],
    proceed: sfn.IChainable,
) -> sfn.IChainable:
    """``StartRunLock`` -> ``AcquireRunLock`` -> proceed with the original input, wait and
    try again, or report the run skipped."""
    timeout = _timeout_seconds(when_busy, busy_wait_timeout)
    start = sfn.Pass(
        scope,
        "StartRunLock",
        comment="The input is read again once the lease is held",
        parameters={"lock": {"waitedSeconds": 0, "iteration": 0}},
    )
    payload: dict[str, Any] = {
        "action": "acquireLock",
        "table": table_name,
        "stateMachineArn": sfn.JsonPath.state_machine_id,
        "executionArn": sfn.JsonPath.execution_id,
        "executionName": sfn.JsonPath.execution_name,
        "limit": max_concurrent_runs,
        "waitTimeoutSeconds": timeout,
        "lock": sfn.JsonPath.object_at("$.lock"),
    }
    acquire = invoke_validator(
        scope,
        "AcquireRunLock",
        function=function,
        comment=f"Take one of {max_concurrent_runs} leases of this pipeline's run lock",
        payload=payload,
        result_fields=("acquired", "holders", "limit", "timedOut", "nextWaitSeconds", "iteration", "waitedSeconds"),
        result_path="$.lock",
        rejected=sfn.Fail(scope, "InvalidRunLockEvent", error=VALIDATION_ERROR, cause_path="$.error.Cause"),
    )
    # The lock replaced the state with its own: the run starts from the execution input
    # again, whatever its shape (the prepare step judges it).
    restore = sfn.Pass(
        scope,
        "RunAllowed",
        parameters={"input": sfn.JsonPath.object_at("$$.Execution.Input")},
        output_path="$.input",
    )
    restore.next(proceed)
    reason = sfn.JsonPath.format(
        "{} of at most {} runs of this pipeline were in flight; this run waited {} s for its turn and created no "
        "tuning job.",
        sfn.JsonPath.string_at("$.lock.holders"),
        sfn.JsonPath.string_at("$.lock.limit"),
        sfn.JsonPath.string_at("$.lock.waitedSeconds"),
    )
    publish = tasks.EventBridgePutEvents(
        scope,
        "PublishRunSkipped",
        comment="Say that this run was skipped: nothing is dropped silently",
        entries=[tasks.EventBridgePutEventsEntry(
            source=RUN_SKIPPED_SOURCE,
            detail_type=RUN_SKIPPED_DETAIL_TYPE,
            detail=sfn.TaskInput.from_object({
                "executionArn": sfn.JsonPath.execution_id,
                "stateMachineArn": sfn.JsonPath.state_machine_id,
                "reason": reason,
                "whenBusy": when_busy,
            }),
        )],
        result_path=sfn.JsonPath.DISCARD,
    )
    publish.add_retry(errors=["EventBridge.FailedEntry", "EventBridge.EventBridgeException",
                              "EventBridge.AmazonEventBridgeException"],
                      interval=Duration.seconds(5), backoff_rate=2, max_attempts=3)
    skipped = sfn.Pass(
        scope,
        RUN_SKIPPED_STATE,
        comment="Counted by the RunSkipped metric filter (and its alarm)",
        parameters={"skipped": True, "reason": reason},
    )
    # The event is one of two reports: if it cannot be put, the metric still counts the run.
    publish.add_catch(skipped, errors=["States.ALL"], result_path=sfn.JsonPath.DISCARD)
    publish.next(skipped)
    skipped.next(sfn.Succeed(scope, SKIPPED_STATE, comment="Skipped: another run holds the lease"))
    decide = sfn.Choice(scope, "RunLockAcquired?").when(sfn.Condition.boolean_equals("$.lock.acquired", True), restore)
    if timeout is None:
        return start.next(acquire).next(decide.otherwise(publish))  # skip: never wait
    wait = sfn.Wait(scope, "WaitForRunSlot", comment="Another run holds the lease: wait its turn",
                    time=sfn.WaitTime.seconds_path("$.lock.nextWaitSeconds"))
    wait.next(acquire)
    return start.next(acquire).next(
        decide.when(sfn.Condition.boolean_equals("$.lock.timedOut", True), publish).otherwise(wait)
    )
