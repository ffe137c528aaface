"""An EventBridge event when a run's tuning job is done, for stacks that react to it.

The event goes to the account's default bus:

    source       "warm-start-tuning"
    detail-type  "Warm-start tuning job completed"
    detail       the execution output (tuningJobName, bestTrainingJob, ...)

so another stack subscribes with a rule on that source and detail-type (e.g. to create
a model from ``detail.bestTrainingJob.TrainingJobName``) without knowing this one.

The event comes after a completed job: failing the run then would report a job that
completed as a failure. So a PutEvents that still fails after its retries leaves the run
SUCCEEDED with the result and ``completionEvent: {"published": false, "error", "cause"}``
(``{"published": true}`` otherwise), and the pipeline's
``CompletionEventNotPublished`` alarm goes off (a metric filter on the state machine's log
counts entries of the state of that name).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..waiter.history_budget import PASS_EVENTS, TASK_EVENTS

COMPLETION_EVENT_SOURCE = "warm-start-tuning"
COMPLETION_EVENT_DETAIL_TYPE = "Warm-start tuning job completed"
# The PutEvents task, and the Pass of the path where it failed.
COMPLETION_EVENT_EVENTS = TASK_EVENTS + PASS_EVENTS
NOT_PUBLISHED_STATE = "CompletionEventNotPublished"


def publish_completion_event(scope: Construct, *, job_name_prefix: str) -> tasks.EventBridgePutEvents:
    """PutEvents of the state's input (the result); the output is the result with
    ``completionEvent`` (published or not, see the module docstring)."""
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
        result_selector={"published": True},
        result_path="$.completionEvent",
    )
    # A failed entry or a throttled call passes on a later attempt; after that the run
    # still succeeds (its job completed), says so in its output, and alarms.
    step.add_retry(
        errors=["EventBridge.FailedEntry", "EventBridge.EventBridgeException", "EventBridge.AmazonEventBridgeException"],
        interval=Duration.seconds(5),
        backoff_rate=2,
        max_attempts=3,
    )
    not_published = sfn.Pass(
        scope,
        NOT_PUBLISHED_STATE,
        comment="The job completed; only its event could not be put: the run succeeds and says so",
        parameters={
            "published": False,
            "error": sfn.JsonPath.string_at("$.completionEvent.Error"),
            "cause": sfn.JsonPath.string_at("$.completionEvent.Cause"),
        },
        result_path="$.completionEvent",
    )
    step.add_catch(not_published, errors=["States.ALL"], result_path="$.completionEvent")
    return step
