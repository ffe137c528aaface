#!/usr/bin/env python3
"""Example app: the seed's image-classification warm start as a deployable pipeline.

`npx cdk synth` turns it into a template with no AWS account and no network: the stack
is environment-agnostic and every name it needs has a default (override with
`-c dataBucket=... -c parentJob=...`).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from warm_start_tuning import WarmStartTuningPipeline, WarmStartType

# The built-in image-classification algorithm (MXNet) in us-east-1, as in the seed's notebook.
TRAINING_IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/image-classification:1"

# The static hyperparameters the seed sets on its estimator; SageMaker takes strings.
STATIC_HYPERPARAMETERS = {
    "num_layers": "18",
    "image_shape": "3,224,224",
    "num_classes": "257",
    "num_training_samples": "15420",
    "mini_batch_size": "128",
    "epochs": "30",
    "optimizer": "sgd",
    "top_k": "2",
    "precision_dtype": "float32",
    "augmentation_type": "crop",
}


def tuning_job_config(max_jobs: int = 10, max_parallel_jobs: int = 2) -> dict:
    """The seed's tuner: learning_rate and momentum ranges, maximize validation accuracy."""
    return {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:accuracy"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": max_jobs, "MaxParallelTrainingJobs": max_parallel_jobs},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "learning_rate", "MinValue": "0.0", "MaxValue": "0.1", "ScalingType": "Auto"},
                {"Name": "momentum", "MinValue": "0.0", "MaxValue": "0.99", "ScalingType": "Auto"},
            ],
            "IntegerParameterRanges": [],
            "CategoricalParameterRanges": [],
        },
    }


def training_job_definition(bucket_name: str, role_arn: str) -> dict:
    """A boto3 TrainingJobDefinition, as the seed's notebook passes it."""

    def channel(name: str, content_type: str) -> dict:
        return {
            "ChannelName": name,
            "ContentType": content_type,
            "CompressionType": "None",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{bucket_name}/image-classification/{name}/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }

    return {
        "AlgorithmSpecification": {"TrainingImage": TRAINING_IMAGE, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "StaticHyperParameters": dict(STATIC_HYPERPARAMETERS),
        "InputDataConfig": [channel("train", "application/x-recordio"), channel("validation", "application/x-recordio")],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket_name}/image-classification/output/"},
        "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 50},
        "StoppingCondition": {"MaxRuntimeInSeconds": 360000},
    }


class ImageClassifierTuningStack(Stack):
    """One warm-start pipeline for the seed's image classifier, and the role its jobs run as."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket_name: str, parent_job: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        data = s3.Bucket.from_bucket_name(self, "Data", bucket_name)
        role = iam.Role(
            self,
            "SageMakerRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Role of the image-classification training jobs",
        )
        data.grant_read(role, "image-classification/*")
        data.grant_put(role, "image-classification/output/*")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents",
                         "logs:CreateLogGroup", "logs:DescribeLogStreams", "ecr:GetAuthorizationToken"],
                resources=["*"],
            )
        )
        Validations.of(role).acknowledge(
            _ack("AwsSolutions-IAM5[Resource::*]",
                 "SageMaker training writes metrics and logs to names it chooses; GetAuthorizationToken has no resource."),
            _ack("AwsSolutions-IAM5[Action::s3:GetObject*]", "Read-only S3 actions from grant_read, on one prefix."),
            _ack("AwsSolutions-IAM5[Action::s3:GetBucket*]", "Read-only S3 actions from grant_read."),
            _ack("AwsSolutions-IAM5[Action::s3:List*]", "Listing the training data prefix, from grant_read."),
            _ack("AwsSolutions-IAM5[Action::s3:Abort*]", "Multipart uploads of model artifacts, from grant_put."),
            _ack(f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket_name}/image-classification/*]",
                 "Training data and model output live under one prefix of the data bucket."),
            _ack(f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket_name}/image-classification/output/*]",
                 "Model artifacts are written under the output prefix."),
        )
        self.pipeline = WarmStartTuningPipeline(
            self,
            "ImageClassifierTuning",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=tuning_job_config(),
            training_job_definition=training_job_definition(bucket_name, role.role_arn),
            job_name_prefix="imgcls",
            parents=[parent_job],
        )


def _ack(rule_id: str, reason: str) -> Acknowledgment:
    return Acknowledgment(id=rule_id, reason=reason)


def main() -> None:
    app = App()
    ImageClassifierTuningStack(
        app,
        "WarmStartTuningExample",
        bucket_name=app.node.try_get_context("dataBucket") or "example-ml-data",
        parent_job=app.node.try_get_context("parentJob") or "imgcls-parent-1",
    )
    app.synth()


if __name__ == "__main__":
    main()
