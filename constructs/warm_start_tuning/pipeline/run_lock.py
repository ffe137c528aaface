"""At most N runs of a pipeline in flight: a later start ends cleanly, creating nothing.

Two runs of one pipeline at once (a schedule firing while a new-data run still waits for
its parents, a double start) would warm-start from the same parents and compete for the
same training-job budget. The first state lists the state machine's RUNNING executions
(``states:ListExecutions``, newest first, as AWS returns them); a run proceeds when it is
among the oldest ``max_concurrent_runs`` of them, and otherwise succeeds at once with
``{"skipped": true, "reason": ...}``: nothing to alarm on, no job created.

Ties: two starts in the same millisecond list in an order of AWS's choosing; one of them
still proceeds. ListExecutions is eventually consistent: two starts within a moment of
each other may both miss the other and both proceed.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS

# The list task, the decision Pass, the Choice, and the Pass that restores the input.
RUN_LOCK_EVENTS = TASK_EVENTS + PASS_EVENTS + CHOICE_EVENTS + PASS_EVENTS
SKIPPED_STATE = "AnotherRunInFlight"
# One page of ListExecutions: more runs than this in flight, and the oldest may be on a
# later page (then the oldest of this page proceed).
LIST_PAGE_SIZE = 1000


def state_machine_arn(scope: Construct, state_machine_name: str) -> str:
    """The ARN of a state machine with a known name, without referencing the resource
    (its own policy may then name it: no circular dependency)."""
    return Stack.of(scope).format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name,
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def max_concurrent_runs_problems(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= LIST_PAGE_SIZE:
        return [f"max_concurrent_runs must be None or an int from 1 to {LIST_PAGE_SIZE}, got {value!r}"]
    return []


def run_lock(
    scope: Construct, *, max_concurrent_runs: int, state_machine_name: str, proceed: sfn.IChainable
) -> sfn.IChainable:
    """``CheckRunsInFlight`` -> proceed with the original input, or ``AnotherRunInFlight``."""
    check = tasks.CallAwsService(
        scope,
        "CheckRunsInFlight",
        comment=f"Proceed only as one of the oldest {max_concurrent_runs} running executions",
        service="sfn",
        action="listExecutions",
        iam_action="states:ListExecutions",
        iam_resources=[state_machine_arn(scope, state_machine_name)],
        parameters={
            "StateMachineArn": sfn.JsonPath.state_machine_id,
            "StatusFilter": "RUNNING",
            "MaxResults": LIST_PAGE_SIZE,
        },
        # Newest first: the last N are the oldest N. This execution is RUNNING, so the
        # list is never empty.
        result_selector={
            "oldest": sfn.JsonPath.list_at(f"$.Executions[-{max_concurrent_runs}:].ExecutionArn"),
            "running": sfn.JsonPath.array_length(sfn.JsonPath.list_at("$.Executions")),
        },
    )
    # Throttling arrives under several names (Sfn.SfnException, Sfn.ThrottlingException);
    # a few attempts cost little even for an error that will not pass.
    check.add_retry(errors=["States.ALL"], interval=Duration.seconds(2), backoff_rate=2, max_attempts=3)
    decide = sfn.Pass(
        scope,
        "RunLockDecision",
        parameters={
            "proceed": sfn.JsonPath.array_contains(sfn.JsonPath.list_at("$.oldest"), sfn.JsonPath.execution_id),
            "running": sfn.JsonPath.number_at("$.running"),
        },
    )
    # The lock replaced the state with its own result: the run starts from the execution
    # input again, whatever its shape (the prepare step judges it).
    restore = sfn.Pass(
        scope,
        "RunAllowed",
        parameters={"input": sfn.JsonPath.object_at("$$.Execution.Input")},
        output_path="$.input",
    )
    skipped = sfn.Pass(
        scope,
        "SkipThisRun",
        comment="Another run of this pipeline is in flight: end without creating anything",
        parameters={
            "skipped": True,
            "reason": sfn.JsonPath.format(
                f"{{}} executions of this pipeline are running and at most {max_concurrent_runs} may run "
                "at once; this one started later, so it created no tuning job.",
                sfn.JsonPath.string_at("$.running"),
            ),
        },
    )
    skipped.next(sfn.Succeed(scope, SKIPPED_STATE, comment="Skipped: another run is in flight"))
    restore.next(proceed)
    return check.next(decide).next(
        sfn.Choice(scope, "RunInFlight?")
        .when(sfn.Condition.boolean_equals("$.proceed", True), restore)
        .otherwise(skipped)
    )
