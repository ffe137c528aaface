"""Attach to a tuning job that already exists instead of failing or creating a second one.

Job names are derived from the run key (the execution name, or a trigger event's
identity), so a duplicated trigger event computes the same name, and a create step that is retried after
SageMaker already accepted the first attempt (a lost response, a throttled poll) gets
"already exists" instead of a second job. The run then waits for that job like for a
parent and reports it, exactly as if the first attempt had been seen through.

Only its own job: every job carries the run-key tag of the run that created it (DESIGN.md,
"Trust model"). A name taken by any other job (another run's, another pipeline's, a
parent named as ``tuningJobName``) ends in ``TuningJobNameConflict``, and nothing of that
job is reported.
"""

from __future__ import annotations

from typing import Optional

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..rules import PollSettings
from ..validator.invoke import invoke_validator
from ..waiter.wait_for_tuning_jobs import VALIDATION_ERROR
from ..waiter import WaitForTuningJobs
from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS, wait_budget
from .describe_job import describe_tuning_job

TUNING_JOB_FAILED_ERROR = "TuningJobFailed"
NAME_CONFLICT_ERROR = "TuningJobNameConflict"
# The create call failed for another reason than "already exists" (SageMaker's
# validation, access denied, a limit, throttling after retries): no job ran.
TUNING_JOB_NOT_CREATED_ERROR = "TuningJobNotCreated"
JOB_NAME_PATH = "$.validation.request.HyperParameterTuningJobName"
# The run key the prepare step derived (the execution name, or a trigger event's identity).
RUN_KEY_PATH = "$.run.runKey"

# A tuning job may run for weeks; polling it hourly at most keeps the worst case small
# enough to sit beside a 30-day parent wait in one history.
EXISTING_JOB_POLL = PollSettings(
    initial_interval_seconds=60, max_interval_seconds=3600, backoff_rate=2.0, timeout_seconds=30 * 86400
)


def existing_job_events(poll: PollSettings) -> int:
    """The catch Choice, the owner check and its Choice, the name Pass, the wait, the
    describe task and the status Choice."""
    return (CHOICE_EVENTS + TASK_EVENTS + CHOICE_EVENTS + PASS_EVENTS + wait_budget(poll).events + TASK_EVENTS
            + CHOICE_EVENTS)


EXISTING_JOB_EVENTS = existing_job_events(EXISTING_JOB_POLL)

# Errors under which SageMaker's "already exists" can arrive from the optimized
# integration; the Choice then looks at the cause text (anything else: not created).
CREATE_ERRORS = ["SageMaker.ResourceInUseException", "SageMaker.AmazonSageMakerException"]
# Other errors of the create call itself: no job was created.
NOT_CREATED_ERRORS = ["SageMaker.ResourceLimitExceededException"]
# Worth another attempt: throttling and transient service errors arrive as the generic
# exception. "already exists" (ResourceInUse) never passes by retrying: it is caught.
RETRYABLE_CREATE_ERRORS = ["SageMaker.AmazonSageMakerException"]


def attach_to_existing_job(
    scope: Construct,
    *,
    poller: lambda_.IFunction,
    job_name_prefix: str,
    failed: sfn.IChainable,
    done: sfn.IChainable,
    poll: PollSettings = EXISTING_JOB_POLL,
    wait_mode: str = "polling",
    sweep_interval: Optional[Duration] = None,
) -> sfn.Choice:
    """The states after a failed create: "already exists" -> wait, describe, continue."""
    name_list = sfn.Pass(
        scope,
        "ExistingJobName",
        comment="The job this execution already created",
        parameters={"jobs": sfn.JsonPath.array(sfn.JsonPath.string_at(JOB_NAME_PATH))},
        result_path="$.existingJob",
    )
    wait = WaitForTuningJobs(
        scope,
        "WaitForExistingJob",
        jobs="$.existingJob.jobs",
        initial_interval=Duration.seconds(poll.initial_interval_seconds),
        max_interval=Duration.seconds(poll.max_interval_seconds),
        backoff_rate=poll.backoff_rate,
        timeout=Duration.seconds(poll.timeout_seconds),
        result_path="$.existingJobWait",
        poller=poller,
        not_found_error=TUNING_JOB_FAILED_ERROR,
        timeout_error=TUNING_JOB_FAILED_ERROR,
        # The same mechanism as the parent wait: one event wait, or the poll loop.
        mode=wait_mode,
        sweep_interval=sweep_interval,
    ).prefix_states("ExistingJob: ")
    describe = describe_tuning_job(
        scope,
        "DescribeExistingJob",
        job_name_path=JOB_NAME_PATH,
        job_name_prefix=job_name_prefix,
        comment="The job this execution already created, as SageMaker describes it",
    )
    not_completed = sfn.Fail(
        scope,
        "ExistingJobNotCompleted",
        error=TUNING_JOB_FAILED_ERROR,
        cause_path=sfn.JsonPath.format(
            "Tuning job {} ended {}",
            sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobName"),
            sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobStatus"),
        ),
    )
    name_list.next(wait).next(describe).next(
        sfn.Choice(scope, "ExistingJobCompleted?")
        .when(sfn.Condition.string_equals("$.tuningJob.HyperParameterTuningJobStatus", "Completed"), done)
        .otherwise(not_completed)
    )
    conflict = sfn.Fail(
        scope,
        NAME_CONFLICT_ERROR,
        error=NAME_CONFLICT_ERROR,
        cause_path=sfn.JsonPath.format(
            "Tuning job {} already exists and was not created by this run; nothing of it is reported. "
            "Start the run with another tuningJobName, or under another execution name.",
            sfn.JsonPath.string_at(JOB_NAME_PATH),
        ),
    )
    check_owner = invoke_validator(
        scope,
        "CheckJobOwner",
        function=poller,
        comment="Is the job of that name this run's own (its run-key tag)?",
        payload={
            "action": "checkOwner",
            "jobName": sfn.JsonPath.string_at(JOB_NAME_PATH),
            "runKey": sfn.JsonPath.string_at(RUN_KEY_PATH),
        },
        result_fields=("owned",),
        result_path="$.owner",
        rejected=sfn.Fail(scope, "InvalidOwnerCheck", error=VALIDATION_ERROR, cause_path="$.error.Cause"),
        # "already exists", then Describe finds nothing: the job is not visible yet (asked
        # again below); a job never seen is never attached to: it is a name conflict.
        other_catches=[(["TuningJobNotVisible"], conflict)],
    )
    check_owner.add_retry(errors=["TuningJobNotVisible"], interval=Duration.seconds(5), backoff_rate=2, max_attempts=4)
    check_owner.next(
        sfn.Choice(scope, "OwnJob?")
        .when(sfn.Condition.boolean_equals("$.owner.owned", True), name_list)
        .otherwise(conflict)
    )
    return (
        sfn.Choice(scope, "JobAlreadyExists?")
        .when(sfn.Condition.string_matches("$.error.Cause", "*already exists*"), check_owner)
        .otherwise(failed)
    )
