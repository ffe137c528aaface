"""What the local engine gained for these features: EventBridge rule rendering, AWS SDK
field names as on AWS, SageMaker model deployment, and DescribeTrainingJob of the
simulated tuning jobs' training jobs."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.eventbridge import matches, s3_object_created_event, target_input

EVENT = s3_object_created_event("data-bucket", "incoming/2024-06-01/_SUCCESS")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.s3"]}, True),
        ({"source": ["aws.ec2"]}, False),
        ({"detail": {"object": {"key": [{"prefix": "incoming/"}]}}}, True),
        ({"detail": {"object": {"key": [{"suffix": "/_SUCCESS"}]}}}, True),
        ({"detail": {"object": {"key": [{"wildcard": "incoming/*/_SUCCESS"}]}}}, True),
        ({"detail": {"object": {"key": [{"wildcard": "incoming/\\*/_SUCCESS"}]}}}, False),
        ({"detail": {"object": {"key": [{"anything-but": {"prefix": "incoming/"}}]}}}, False),
        ({"detail": {"object": {"size": [{"numeric": [">=", 0, "<", 10]}]}}}, True),
        ({"detail": {"object": {"version-id": [{"exists": False}]}}}, True),
        ({"detail": {"object": {"etag": [{"exists": True}]}}}, True),
        ({"detail": {"bucket": {"name": ["other", "data-bucket"]}}}, True),
    ],
)
def test_event_patterns(pattern: dict, expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_an_unknown_matcher_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="cidr"):
        matches({"detail": {"source-ip-address": [{"cidr": "10.0.0.0/24"}]}}, EVENT)


def test_target_inputs() -> None:
    assert target_input({"Arn": "x"}, EVENT) == EVENT
    assert target_input({"Input": '{"a": 1}'}, EVENT) == {"a": 1}
    assert target_input({"InputPath": "$.detail.bucket"}, EVENT) == {"name": "data-bucket"}
    transformer = {
        "InputPathsMap": {"key": "$.detail.object.key", "size": "$.detail.object.size", "gone": "$.detail.nothing"},
        "InputTemplate": '{"key": <key>, "quoted": "<key>", "size": <size>, "gone": <gone>}',
    }
    assert target_input({"InputTransformer": transformer}, EVENT) == {
        "key": "incoming/2024-06-01/_SUCCESS",
        "quoted": "incoming/2024-06-01/_SUCCESS",
        "size": 0,
        "gone": None,
    }


def test_aws_sdk_fields_are_pascal_case_both_ways(engine: LocalEngine) -> None:
    """sfn's own API is camelCase; Step Functions' AWS SDK integration is not."""
    arn = engine.deploy_definition(
        {
            "StartAt": "List",
            "States": {
                "List": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::aws-sdk:sfn:listExecutions",
                    "Parameters": {"StateMachineArn.$": "$$.StateMachine.Id", "StatusFilter": "RUNNING"},
                    "ResultSelector": {"arns.$": "$.Executions[*].ExecutionArn", "first.$": "$.Executions[0]"},
                    "End": True,
                }
            },
        },
        name="lister",
    )
    result = engine.run(arn, {}, name="me")
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["arns"] == [result.execution_arn]
    first = result.output["first"]
    assert first["Status"] == "RUNNING" and first["StateMachineArn"] == arn and first["Name"] == "me"


def test_training_jobs_of_a_simulated_tuning_job_can_be_described(engine: LocalEngine) -> None:
    tuning = engine.sagemaker.add_tuning_job("tj-1")
    best = tuning["BestTrainingJob"]["TrainingJobName"]
    sagemaker = engine.client("sagemaker")

    described = sagemaker.describe_training_job(TrainingJobName=best)

    assert described["TrainingJobStatus"] == "Completed"
    assert described["TuningJobArn"] == tuning["HyperParameterTuningJobArn"]
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == f"s3://example-bucket/output/{best}/output/model.tar.gz"
    assert described["HyperParameters"]["objective"] == "binary:logistic"
    assert set(tuning["BestTrainingJob"]["TunedHyperParameters"].items()) <= set(described["HyperParameters"].items())
    value = tuning["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert described["FinalMetricDataList"][0]["Value"] == pytest.approx(value)
    with pytest.raises(ClientError):
        sagemaker.describe_training_job(TrainingJobName="tj-1-999-00000000")
