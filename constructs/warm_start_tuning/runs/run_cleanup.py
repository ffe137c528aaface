"""When an execution ends, however it ends: stop its jobs, release its lease.

A Fail state can be preceded by a cleanup step, but an abort (StopExecution), a timeout
or a runtime error cannot: Step Functions runs nothing more. It does publish a
"Step Functions Execution Status Change" event for every status (EventBridge user
guide, "Step Functions events"), so one rule per state machine invokes the validator's
``runEnded`` action, which

- for a run that did not succeed, stops every tuning job the run planned (its run record)
  that still runs and carries this run's key: an execution's timeout does not stop a
  ``.sync`` job, and nothing stops the job of the attach path or of a later round;
- forgets the run record and releases the run's lease of the lock.

Each step is idempotent: EventBridge delivers at least once. A lost event (or one whose
``runEnded`` failed Lambda's three asynchronous attempts) leaves the lease, and the jobs
until the next run that finds the lock full reclaims the lease and stops them.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, ArnFormat, Duration, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..nag import iam5_resource_finding

ENDED_STATUSES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


def add_run_cleanup(
    scope: Construct, construct_id: str, *, state_machine: sfn.IStateMachine, function: lambda_.IFunction,
    table_name: str,
) -> events.Rule:
    """The rule that sends the state machine's ended executions to ``runEnded``, and the
    validator's right to describe those executions (reclaiming leases)."""
    rule = events.Rule(
        scope,
        construct_id,
        description="Warm-start tuning: stop the jobs of an ended run and release its run-lock lease",
        event_pattern=events.EventPattern(
            source=["aws.states"],
            detail_type=["Step Functions Execution Status Change"],
            detail={"status": ENDED_STATUSES, "stateMachineArn": [state_machine.state_machine_arn]},
        ),
    )
    rule.add_target(targets.LambdaFunction(
        function,
        event=events.RuleTargetInput.from_object({
            "action": "runEnded",
            "table": table_name,
            "executionArn": events.EventField.from_path("$.detail.executionArn"),
            "stateMachineArn": events.EventField.from_path("$.detail.stateMachineArn"),
            "status": events.EventField.from_path("$.detail.status"),
        }),
        # EventBridge's retries of an invoke Lambda refused (throttled): a lease or a running
        # job is worth more than a day of attempts. Once Lambda accepts the event, only its
        # own two asynchronous retries follow a function error; after those, the next run
        # that reclaims the lease stops the jobs (acquireLock).
        retry_attempts=185,
        max_event_age=Duration.hours(24),
    ))
    # Its own policy, not the function role's default one: the function must not depend
    # on the state machine that calls it (a dependency cycle).
    role = function.role
    if role is not None:
        executions = Stack.of(scope).format_arn(
            service="states", resource="execution", resource_name=f"{state_machine.state_machine_name}:*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        policy = iam.Policy(
            scope,
            f"{construct_id}DescribeExecutions",
            roles=[role],
            statements=[iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[executions])],
        )
        Validations.of(policy).acknowledge(Acknowledgment(
            id=iam5_resource_finding(policy, executions),
            reason="The executions of this pipeline's state machine (their names are not known in advance): "
            "DescribeExecution tells whether the holder of a run-lock lease still runs; read-only.",
        ))
    return rule
