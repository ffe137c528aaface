"""An EventBridge event when a run's tuning job is done, for stacks that react to it.

The event goes to the account's default bus:

    source       "warm-start-tuning"
    detail-type  "Warm-start tuning job completed"
    detail       the execution output (tuningJobName, bestTrainingJob, ...)

so another stack subscribes with a rule on that source and detail-type (e.g. to create
a model from ``detail.bestTrainingJob.TrainingJobName``) without knowing this one.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..waiter.history_budget import TASK_EVENTS

COMPLETION_EVENT_SOURCE = "warm-start-tuning"
COMPLETION_EVENT_DETAIL_TYPE = "Warm-start tuning job completed"
COMPLETION_EVENT_EVENTS = TASK_EVENTS


def publish_completion_event(scope: Construct, *, job_name_prefix: str) -> tasks.EventBridgePutEvents:
    """PutEvents of the state's input (the result); the output stays the result."""
    step = tasks.EventBridgePutEvents(
        scope,
        "PublishCompletionEvent",
        comment=f"Tell other stacks that a '{job_name_prefix}' tuning job completed, and its best training job",
        entries=[
            tasks.EventBridgePutEventsEntry(
                source=COMPLETION_EVENT_SOURCE,
                detail_type=COMPLETION_EVENT_DETAIL_TYPE,
                detail=sfn.TaskInput.from_json_path_at("$"),
            )
        ],
        result_path=sfn.JsonPath.DISCARD,
    )
    # A failed entry or a throttled call passes on a later attempt; after that the run
    # fails (and alarms): the subscribers would otherwise never hear of the job.
    step.add_retry(
        errors=["EventBridge.FailedEntry", "EventBridge.EventBridgeException", "EventBridge.AmazonEventBridgeException"],
        interval=Duration.seconds(5),
        backoff_rate=2,
        max_attempts=3,
    )
    return step
