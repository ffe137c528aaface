"""What the event-driven waits of a stack share: SageMaker's events in, a sweep, IAM.

A wait in ``"events"`` mode is one ``.waitForTaskToken`` task (see
``WaitForTuningJobs``): it costs the same few history events whether it waits a minute
or a year. Its token is completed by the validator when

- SageMaker says a job changed status: the stack's rule on "SageMaker HyperParameter
  Tuning Job State Change" events to a terminal (or deleting) status invokes
  ``jobChanged``, which looks at every waiter of that job;
- the sweep (EventBridge Scheduler, every ``sweep_interval``; the smallest any wait of
  the stack asks for) invokes ``sweepWaiters``: a lost or late event costs at most one
  interval, and a waiter whose deadline passed ends with its timeout error.
"""

from __future__ import annotations

from typing import Any, Optional

import jsii
from aws_cdk import Acknowledgment, Duration, IStableStringProducer, Lazy, Stack, Token, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from constructs import Construct

from .._singleton import stack_singleton
from ..nag import iam5_resource_finding
from .run_table import RunTable

SINGLETON_ID = "WarmStartEventWaits"
DEFAULT_SWEEP_INTERVAL = Duration.minutes(5)
TUNING_JOB_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"
# Statuses after which a waiter may be done: terminal, or never terminal (being deleted).
WAKING_STATUSES = ["Completed", "Failed", "Stopped", "Deleting", "DeleteFailed"]
WAIT_MODES = ("events", "polling")


def wait_mode_problems(wait_mode: Any, sweep_interval: Any) -> list[str]:
    problems = []
    if wait_mode not in WAIT_MODES:
        problems.append(f"wait_mode must be one of {', '.join(map(repr, WAIT_MODES))}, got {wait_mode!r}")
    if sweep_interval is not None:
        if not isinstance(sweep_interval, Duration):
            problems.append(f"sweep_interval must be a Duration, got {type(sweep_interval).__name__} "
                            f"{sweep_interval!r}")
        elif wait_mode == "polling":
            problems.append("conflicting props: sweep_interval is for wait_mode='events'; polling does not sweep")
        elif Token.is_unresolved(sweep_interval.to_seconds()):
            problems.append("sweep_interval must be a literal Duration, got a token")
        elif sweep_interval.to_seconds() < 60 or sweep_interval.to_seconds() % 60:
            problems.append(f"sweep_interval must be a whole number of minutes, at least 1 (EventBridge "
                            f"Scheduler's rate), got {sweep_interval.to_seconds():g} s")
    return problems


def poll_props_problems(wait_mode: Any, *, parent_poll_interval: Any, parent_poll_max_interval: Any,
                        parent_poll_backoff_rate: Any) -> list[str]:
    """The poll schedule's props mean nothing to an event wait: given, they are a mistake."""
    if wait_mode != "events":
        return []
    given = [name for name, value in (("parent_poll_interval", parent_poll_interval),
                                      ("parent_poll_max_interval", parent_poll_max_interval))
             if value is not None]
    if parent_poll_backoff_rate != 2.0:
        given.append("parent_poll_backoff_rate")
    if not given:
        return []
    return [f"conflicting props: {', '.join(given)} configure wait_mode='polling'; with wait_mode='events' (the "
            "default) the wait is woken by SageMaker's events and the sweep (sweep_interval)"]


@jsii.implements(IStableStringProducer)
class _SweepRate:
    """The sweep's rate, read at synth: waits created after the schedule may lower it."""

    def __init__(self, owner: "EventWaits") -> None:
        self._owner = owner

    def produce(self) -> Optional[str]:
        minutes = self._owner.sweep_minutes
        return f"rate({minutes} minute{'s' if minutes != 1 else ''})"


class EventWaits(Construct):
    """The stack's rule on SageMaker's tuning-job events and its sweep schedule, both
    invoking the validator; created by the first wait in ``"events"`` mode."""

    def __init__(self, scope: Construct, construct_id: str, *, function: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.function = function
        self.table = RunTable.of(self)
        self.table.grant_leases(function)
        self.sweep_minutes = int(DEFAULT_SWEEP_INTERVAL.to_minutes())
        self._explicit_interval = False
        self.rule = events.Rule(
            self,
            "TuningJobStateChange",
            description="Warm-start tuning: wake the waits of a tuning job that ended",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=[TUNING_JOB_STATE_CHANGE],
                detail={"HyperParameterTuningJobStatus": WAKING_STATUSES},
            ),
        )
        self.rule.add_target(targets.LambdaFunction(
            function,
            event=events.RuleTargetInput.from_object({
                "action": "jobChanged",
                "table": self.table.table_name,
                "jobName": events.EventField.from_path("$.detail.HyperParameterTuningJobName"),
                "now": events.EventField.from_path("$.time"),
            }),
            retry_attempts=185,
            max_event_age=Duration.hours(24),
        ))
        # Its own role, so that the one wildcard (the function's versions) is acknowledged here.
        sweep_role = iam.Role(self, "SweepRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                              description="Warm-start tuning sweep: invoke the validator")
        self.sweep = scheduler.Schedule(
            self,
            "Sweep",
            description="Warm-start tuning: look again at every open wait (lost events, deadlines)",
            schedule=scheduler.ScheduleExpression.expression(Lazy.string(_SweepRate(self))),
            target=scheduler_targets.LambdaInvoke(
                function,
                input=scheduler.ScheduleTargetInput.from_object({
                    "action": "sweepWaiters",
                    "table": self.table.table_name,
                    "now": scheduler.ContextAttribute.scheduled_time,
                }),
                role=sweep_role,
            ),
        )
        Validations.of(sweep_role).acknowledge(Acknowledgment(
            id=iam5_resource_finding(sweep_role, f"{function.function_arn}:*"),
            reason="aws-cdk-lib's grant_invoke: the validator function and its versions (':*'), nothing else.",
        ))
        # SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat: the IAM console says these
        # "only support the all resources wildcard" (aws-cdk discussion #26401: a grant on
        # the state machine's ARN is refused). The less convenient reading, "*", works under
        # both readings; the validator only sends the tokens its own waits registered.
        statement = iam.PolicyStatement(
            actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
            resources=["*"],
        )
        role = function.role
        if role is not None:
            policy = iam.Policy(self, "SendTaskResults", roles=[role], statements=[statement])
            Validations.of(policy).acknowledge(Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="states:SendTaskSuccess/Failure/Heartbeat support no resource-level permissions; the "
                "validator sends only the task tokens its waits registered in the stack's run table.",
            ))

    def ask_for_interval(self, interval: Optional[Duration]) -> None:
        """The sweep runs at the smallest interval any wait of the stack asked for."""
        if interval is None:
            return
        minutes = int(interval.to_minutes())
        if not self._explicit_interval or minutes < self.sweep_minutes:
            self.sweep_minutes = minutes
            self._explicit_interval = True

    @classmethod
    def of(cls, scope: Construct, function: lambda_.IFunction) -> "EventWaits":
        """The stack's event waits served by ``function`` (the shared validator, or a
        pipeline's own), created on first use."""
        stack = Stack.of(scope)
        construct_id = SINGLETON_ID if function.node.scope is not None and function.node.path.startswith(
            f"{stack.node.path}/WarmStartValidator/") else f"{SINGLETON_ID}{function.node.addr[:8]}"
        return stack_singleton(scope, construct_id, cls, lambda parent, id_: cls(parent, id_, function=function))
