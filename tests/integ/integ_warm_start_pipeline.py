"""Integration test on real AWS, in the way aws-cdk-lib tests its own constructs.

``make integ`` runs it with the CDK integ-runner (``npx integ-runner``): it deploys the
``WarmStartTuningInteg`` stack, runs the assertions of ``aws_cdk.integ_tests_alpha``
(``IntegTest``, ``AwsApiCall`` with ``ExpectedResult``) and destroys everything again.
``make test`` only synthesizes it and compares the templates with their snapshots
(tests/integ/test_integ_snapshots.py): it never calls AWS.

What runs on AWS:
1. the stack: a bucket with a tiny CSV data set (the built-in XGBoost algorithm,
   regression), the SageMaker execution role, and a WarmStartTuningPipeline whose jobs
   run 2 training jobs each on ml.m5.large (the smallest instance XGBoost trains on);
2. the assertions: create the parent tuning job (the same request as the pipeline's,
   2 training jobs), wait until it is Completed, start the pipeline, wait until the
   execution SUCCEEDED, and check that its output holds full TrainingJobSummary objects
   (bestTrainingJob and overallBestTrainingJob with FinalHyperParameterTuningJobObjectiveMetric);
3. tear-down: delete both tuning jobs (DeleteHyperParameterTuningJob), then the
   integ-runner destroys the stacks (the bucket is emptied, the log group deleted).

``INTEG_RUN_ID`` (default ``1``) names the parent job and the execution; give a new
value when a run's jobs still exist.
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

from aws_cdk import App, CfnMapping, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest, Match
from constructs import Construct

from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.rules import tuning_job_name

PREFIX = "wstinteg"
# The built-in XGBoost 1.7-1 image's registry account, by region (SageMaker developer
# guide, "Docker registry paths and example code"). The suite runs in these regions.
XGBOOST_ACCOUNTS = {
    "us-east-1": "683313688378",
    "us-west-2": "246618743249",
    "eu-west-1": "141502667606",
}
REGIONS = sorted(XGBOOST_ACCOUNTS)
INSTANCE_TYPE = "ml.m5.large"
TRAINING_JOBS = 2


def _csv(rows: int, seed: int) -> str:
    """y = 3 x1 - 2 x2 + noise; label first, no header (XGBoost's CSV input)."""
    generator = random.Random(seed)
    lines = []
    for _ in range(rows):
        x1, x2 = generator.random(), generator.random()
        y = 3 * x1 - 2 * x2 + generator.gauss(0, 0.05)
        lines.append(f"{y:.5f},{x1:.5f},{x2:.5f}")
    return "\n".join(lines) + "\n"


def tuning_request(bucket: s3.IBucket, image: str, role_arn: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(HyperParameterTuningJobConfig, TrainingJobDefinition): 2 training jobs, smallest instance."""
    config = {
        "Strategy": "Random",
        "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "validation:rmse"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": TRAINING_JOBS, "MaxParallelTrainingJobs": TRAINING_JOBS},
        "ParameterRanges": {
            "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5"}],
            "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}],
        },
    }

    def channel(name: str) -> dict[str, Any]:
        return {
            "ChannelName": name,
            "ContentType": "text/csv",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://{bucket.bucket_name}/data/{name}/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }

    definition = {
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "StaticHyperParameters": {"objective": "reg:squarederror", "num_round": "10"},
        "InputDataConfig": [channel("train"), channel("validation")],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket.bucket_name}/output/"},
        "ResourceConfig": {"InstanceType": INSTANCE_TYPE, "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 900},
    }
    return config, definition


class WarmStartTuningIntegStack(Stack):
    """A small real pipeline: data, the SageMaker role, the pipeline."""

    def __init__(self, scope: Construct, construct_id: str, *, run_id: str) -> None:
        super().__init__(scope, construct_id)
        self.parent_name = f"{PREFIX}-parent-{run_id}"
        self.execution_name = f"integ-run-{run_id}"
        bucket = s3.Bucket(
            self,
            "Data",
            enforce_ssl=True,
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        s3deploy.BucketDeployment(
            self,
            "TrainingData",
            destination_bucket=bucket,
            sources=[
                s3deploy.Source.data("data/train/train.csv", _csv(200, seed=1)),
                s3deploy.Source.data("data/validation/validation.csv", _csv(60, seed=2)),
            ],
        )
        role = iam.Role(self, "SageMakerRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        bucket.grant_read_write(role)
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:/aws/sagemaker/*"],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["cloudwatch:PutMetricData"], resources=["*"]))
        mapping = CfnMapping(self, "XGBoostAccount", mapping={r: {"account": a} for r, a in XGBOOST_ACCOUNTS.items()})
        image = (
            f"{mapping.find_in_map(self.region, 'account')}.dkr.ecr.{self.region}.{self.url_suffix}"
            "/sagemaker-xgboost:1.7-1"
        )
        self.config, self.definition = tuning_request(bucket, image, role.role_arn)
        self.role = role
        self.pipeline = WarmStartTuningPipeline(
            self,
            "Pipeline",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=self.config,
            training_job_definition={k: v for k, v in self.definition.items() if k != "RoleArn"},
            sagemaker_role=role,
            job_name_prefix=PREFIX,
            parents=[self.parent_name],
            # The default wait: woken by SageMaker's events; a 1-minute sweep bounds a lost one.
            sweep_interval=Duration.minutes(1),
            parent_wait_timeout=Duration.hours(2),
            log_group_props={"removal_policy": RemovalPolicy.DESTROY},
        )


def build(app: App, *, run_id: str = "1") -> tuple[WarmStartTuningIntegStack, IntegTest]:
    stack = WarmStartTuningIntegStack(app, "WarmStartTuningInteg", run_id=run_id)
    integ = IntegTest(app, "WarmStartTuningIntegTest", test_cases=[stack], regions=REGIONS)
    assertions = integ.assertions

    create_parent = assertions.aws_api_call(
        "SageMaker",
        "createHyperParameterTuningJob",
        {
            "HyperParameterTuningJobName": stack.parent_name,
            "HyperParameterTuningJobConfig": stack.config,
            "TrainingJobDefinition": stack.definition,
        },
    )
    create_parent.provider.add_to_role_policy(
        {"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": [stack.role.role_arn]}
    )
    parent_done = assertions.aws_api_call(
        "SageMaker", "describeHyperParameterTuningJob", {"HyperParameterTuningJobName": stack.parent_name}
    ).expect(ExpectedResult.object_like({"HyperParameterTuningJobStatus": "Completed"}))
    parent_done.wait_for_assertions(interval=Duration.minutes(1), total_timeout=Duration.hours(1))

    start = assertions.aws_api_call(
        "StepFunctions",
        "startExecution",
        {
            "stateMachineArn": stack.pipeline.state_machine.state_machine_arn,
            "name": stack.execution_name,
            "input": json.dumps({}),
        },
    )
    finished = assertions.aws_api_call(
        "StepFunctions", "describeExecution", {"executionArn": start.get_att_string("executionArn")}
    ).expect(
        ExpectedResult.object_like(
            {
                "status": "SUCCEEDED",
                # Full summaries, whatever the shape of the .sync output.
                "output": Match.serialized_json(
                    Match.object_like(
                        {
                            "status": "Completed",
                            "bestTrainingJob": Match.object_like(
                                {"FinalHyperParameterTuningJobObjectiveMetric": Match.object_like(
                                    {"MetricName": "validation:rmse"})}
                            ),
                            "overallBestTrainingJob": Match.object_like(
                                {"FinalHyperParameterTuningJobObjectiveMetric": Match.object_like(
                                    {"MetricName": "validation:rmse"})}
                            ),
                        }
                    )
                ),
            }
        )
    )
    finished.wait_for_assertions(interval=Duration.minutes(1), total_timeout=Duration.hours(2))

    # Tear-down of what the stacks do not own: the two tuning jobs.
    child = tuning_job_name(PREFIX, stack.execution_name)
    delete_child = assertions.aws_api_call(
        "SageMaker", "deleteHyperParameterTuningJob", {"HyperParameterTuningJobName": child}
    )
    delete_parent = assertions.aws_api_call(
        "SageMaker", "deleteHyperParameterTuningJob", {"HyperParameterTuningJobName": stack.parent_name}
    )
    create_parent.next(parent_done).next(start).next(finished).next(delete_child).next(delete_parent)
    return stack, integ


if __name__ == "__main__":
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    integ_app = App()
    build(integ_app, run_id=os.environ.get("INTEG_RUN_ID", "1"))
    integ_app.synth()
