"""Read a finished tuning job with ``aws-sdk:sagemaker:describeHyperParameterTuningJob``.

The ``.sync`` output of ``createHyperParameterTuningJob`` is not a Describe response:
outputs captured on AWS carry the best training job's name only (no TrainingJobSummary,
no OverallBestTrainingJob, no counters) and epoch-millisecond times. The pipeline's
output and the rounds decision are built from one Describe of the job after it ended,
whichever shape the ``.sync`` output has.
"""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# aws-sdk integrations name SageMaker's errors SageMaker.<Code>Exception when the SDK
# models the code, and SageMaker.SageMakerException when it does not (throttling is not
# in SageMaker's model): both are retried.
DESCRIBE_RETRY_ERRORS = ["SageMaker.ThrottlingException", "SageMaker.SageMakerException"]


def describe_tuning_job(
    scope: Construct, state_id: str, *, job_name_path: str, job_name_prefix: str, comment: str
) -> tasks.CallAwsService:
    """A Describe of the job named at ``job_name_path`` into ``$.tuningJob``, retried
    when SageMaker throttles it; IAM scoped to ``<prefix>*`` jobs."""
    describe = tasks.CallAwsService(
        scope,
        state_id,
        comment=comment,
        service="sagemaker",
        action="describeHyperParameterTuningJob",
        parameters={"HyperParameterTuningJobName": sfn.JsonPath.string_at(job_name_path)},
        iam_resources=[
            Stack.of(scope).format_arn(
                service="sagemaker", resource="hyper-parameter-tuning-job", resource_name=f"{job_name_prefix}-*"
            )
        ],
        result_path="$.tuningJob",
    )
    describe.add_retry(errors=DESCRIBE_RETRY_ERRORS, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
    return describe
