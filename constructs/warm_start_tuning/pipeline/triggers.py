"""What starts a pipeline besides a person: a schedule, and new data landing in S3.

- :class:`PipelineSchedule`: EventBridge Scheduler starts an execution on a cron or rate
  expression with a fixed input (by default a TransferLearning run: retraining on the
  newest data, from the pipeline's own earlier jobs when the input names no parents).
- :class:`NewDataTrigger`: an EventBridge rule on S3 "Object Created" events starts an
  execution when a marker object (``_SUCCESS``) lands under a prefix; the execution input
  is ``{"newObject": {"bucket", "key", "etag", "sequencer"}}`` and the prepare step turns it into ``inputData``
  (one URI per channel: ``s3://bucket/<marker's folder>/<channel>/``).

Both inputs are checked at synth time by the same prepare rules the Lambda runs, so an
input that every scheduled run would reject fails ``cdk synth`` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..rules import WarmStartValidationError
from ..lambdas.warm_start_validator.warm_start_rules.run_input import prepare_run
from ..lambdas.warm_start_validator.warm_start_rules.run_key import SCHEDULED_TIME_FIELD
from .props import _has_tokens, _with_stand_ins

#: What a scheduled run does unless the schedule's input says otherwise.
DEFAULT_SCHEDULE_INPUT: Mapping[str, Any] = {"warmStartType": "TransferLearning"}

# SageMaker's ChannelName rule.
_CHANNEL_NAME = re.compile(r"[A-Za-z0-9.\-_]{1,64}")


@dataclass(frozen=True)
class PipelineSchedule:
    """Start the pipeline on a schedule (EventBridge Scheduler).

    :param expression: when, e.g. ``ScheduleExpression.cron(hour="3", minute="0")`` or
        ``ScheduleExpression.rate(Duration.days(7))``.
    :param input: the execution input, merged over ``{"warmStartType":
        "TransferLearning"}`` (yours wins). Default: that alone: the pipeline picks its
        own newest jobs as parents (when it has no default parents) and retrains on the
        training job definition's data.
    :param description: the schedule's description.
    """

    expression: scheduler.ScheduleExpression
    input: Optional[Mapping[str, Any]] = None
    description: Optional[str] = None

    def execution_input(self) -> dict[str, Any]:
        """The input of every scheduled run; ``scheduledTime`` is the run's identity (the
        run key: a schedule delivered twice for one time creates one job)."""
        return {**DEFAULT_SCHEDULE_INPUT, **dict(self.input or {}),
                SCHEDULED_TIME_FIELD: scheduler.ContextAttribute.scheduled_time}


@dataclass(frozen=True)
class NewDataTrigger:
    """Start the pipeline when a batch of new training data is complete in S3.

    A batch is a folder with one sub-folder per channel and a marker object written last:
    ``s3://bucket/<prefix>2024-06-01/train/...``, ``.../validation/...``,
    ``.../_SUCCESS``. The marker's arrival starts a run on that batch.

    :param bucket: the data bucket. A bucket of this stack gets EventBridge notifications
        switched on; an imported bucket must have them already (S3 console: Properties,
        Amazon EventBridge, On).
    :param prefix: only markers under this key prefix count ("" or ending in "/").
    :param channels: the training channels each batch holds, as sub-folders of the
        marker's folder; each must be a channel of the training job definition.
    :param marker: the object name that marks a batch complete. Default: ``_SUCCESS``.
    """

    bucket: s3.IBucket
    prefix: str
    channels: Sequence[str]
    marker: str = "_SUCCESS"

    def problems(self, definition_channels: Optional[Sequence[str]]) -> list[str]:
        problems = []
        if not isinstance(self.prefix, str) or (
            not Token.is_unresolved(self.prefix) and (self.prefix.startswith("/") or (self.prefix and not self.prefix.endswith("/")))
        ):
            problems.append(
                f"new_data_trigger.prefix must be '' or a key prefix ending in '/' (no leading '/'), got {self.prefix!r}"
            )
        if not isinstance(self.marker, str) or not self.marker or "/" in self.marker:
            problems.append(f"new_data_trigger.marker must be an object name without '/', got {self.marker!r}")
        channels = self.channels
        if isinstance(channels, str) or not isinstance(channels, (list, tuple)) or not channels:
            problems.append(f"new_data_trigger.channels must be a non-empty list of channel names, got {channels!r}")
            return problems
        for channel in channels:
            if not isinstance(channel, str) or not _CHANNEL_NAME.fullmatch(channel):
                problems.append(f"new_data_trigger.channels: {channel!r} is not a channel name (1-64 of A-Z a-z 0-9 . - _)")
        if len(set(map(str, channels))) != len(channels):
            problems.append(f"new_data_trigger.channels must not repeat a name, got {list(channels)!r}")
        if definition_channels is not None:
            unknown = [c for c in channels if isinstance(c, str) and c not in definition_channels]
            if unknown:
                problems.append(
                    f"new_data_trigger.channels {unknown!r} are not channels of the training job definition "
                    f"({sorted(definition_channels)!r})"
                )
        return problems


def definition_channels(training_job_definition: Any) -> Optional[list[str]]:
    """The InputDataConfig channel names of a training job definition (None if unknowable)."""
    if not isinstance(training_job_definition, Mapping):
        return None
    config = training_job_definition.get("InputDataConfig")
    if not isinstance(config, list):
        return None
    names = [c.get("ChannelName") for c in config if isinstance(c, Mapping)]
    return [n for n in names if isinstance(n, str)]


class _NeedsAws(Exception):
    """Raised by the stand-in AWS calls: the static checks passed, AWS would be next."""


def _defer(_name: str) -> Any:
    raise _NeedsAws


def execution_input_problems(
    what: str,
    execution_input: Any,
    *,
    request: Any,
    defaults: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> list[str]:
    """What the prepare step would reject in ``execution_input`` on every run.

    Runs the prepare rules themselves (the Lambda's) up to where they would call AWS.
    Tokens in the input are judged like the props' tokens: only a problem found with
    two different stand-ins counts.
    """

    def check(variant: int) -> list[tuple[str, str]]:
        event = {
            "input": _with_stand_ins(execution_input, variant),
            "defaults": dict(defaults),
            "request": _with_stand_ins(request, variant),
            "settings": dict(settings),
        }
        try:
            prepare_run(event, list_jobs=_defer, describe=_defer)
        except _NeedsAws:
            return []
        except WarmStartValidationError as error:
            return [(v.code, v.message) for v in error.violations]
        return []

    found = check(0)
    if _has_tokens(execution_input) or _has_tokens(request):
        second = set(check(1))
        found = [problem for problem in found if problem in second]
    return [f"[{code}] {what}: {message}" for code, message in found]


def add_schedule(
    scope: Construct, state_machine: sfn.IStateMachine, schedule: PipelineSchedule
) -> scheduler.Schedule:
    """The schedule; its role (created by the target) may only start this state machine."""
    return scheduler.Schedule(
        scope,
        "Schedule",
        schedule=schedule.expression,
        description=schedule.description or "Scheduled warm-start tuning run (cdk-warm-start-tuning)",
        target=scheduler_targets.StepFunctionsStartExecution(
            state_machine,
            input=scheduler.ScheduleTargetInput.from_object(schedule.execution_input()),
        ),
    )


def _escape_wildcard(text: str) -> str:
    # EventBridge wildcard patterns treat * as "anything" and \ as the escape character.
    return text.replace("\\", "\\\\").replace("*", "\\*")


def marker_key_patterns(prefix: str, marker: str) -> list[str]:
    """Wildcard patterns of the marker's key: right under the prefix, or in any folder below."""
    start = _escape_wildcard(prefix)
    name = _escape_wildcard(marker)
    return [f"{start}{name}", f"{start}*/{name}"]


# aws-cdk-lib's singleton that writes bucket notification configurations (a custom resource).
_NOTIFICATIONS_HANDLER_ID = "BucketNotificationsHandler050a0587b7544547bf325f094a3db834"


def _acknowledge_notifications_handler(bucket: s3.Bucket) -> None:
    """The finding of the Lambda aws-cdk-lib adds to switch on the bucket's notifications."""
    handler = Stack.of(bucket).node.try_find_child(_NOTIFICATIONS_HANDLER_ID)
    role = handler.node.try_find_child("Role") if handler is not None else None
    if role is not None:
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                reason="aws-cdk-lib's bucket-notifications handler (it switches on the data bucket's EventBridge "
                "notifications at deploy time) comes with this managed policy: it only writes its own logs.",
            )
        )


def add_new_data_trigger(
    scope: Construct, state_machine: sfn.IStateMachine, trigger: NewDataTrigger
) -> events.Rule:
    """The EventBridge rule that starts a run per marker object (and the bucket's
    EventBridge notifications when the bucket belongs to this app)."""
    if isinstance(trigger.bucket, s3.Bucket):
        trigger.bucket.enable_event_bridge_notification()
        _acknowledge_notifications_handler(trigger.bucket)
    rule = events.Rule(
        scope,
        "NewDataRule",
        description=f"Start a warm-start tuning run when '{trigger.marker}' lands under '{trigger.prefix}'",
        event_pattern=events.EventPattern(
            source=["aws.s3"],
            detail_type=["Object Created"],
            detail={
                "bucket": {"name": [trigger.bucket.bucket_name]},
                "object": {
                    "key": events.Match.any_of(
                        *(events.Match.wildcard(p) for p in marker_key_patterns(trigger.prefix, trigger.marker))
                    )
                },
            },
        ),
    )
    rule.add_target(
        events_targets.SfnStateMachine(
            state_machine,
            input=events.RuleTargetInput.from_object(
                {
                    # New data is a different data set: IdenticalDataAndAlgorithm would
                    # always be rejected (DATA_CHANGED), so these runs transfer learning.
                    "warmStartType": "TransferLearning",
                    "newObject": {
                        "bucket": events.EventField.from_path("$.detail.bucket.name"),
                        "key": events.EventField.from_path("$.detail.object.key"),
                        # The event's identity: the run key (a duplicated delivery of
                        # this event attaches to the first one's job).
                        "etag": events.EventField.from_path("$.detail.object.etag"),
                        "sequencer": events.EventField.from_path("$.detail.object.sequencer"),
                    }
                }
            ),
        )
    )
    return rule
