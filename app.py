#!/usr/bin/env python3
"""Example app: the seed's image-classification warm start as a deployable pipeline, and
the same warm start embedded in a larger workflow that deploys the best model.

`npx cdk synth` turns it into a template with no AWS account and no network: the stack
is environment-agnostic and every name it needs has a default (override with
`-c dataBucket=... -c parentJob=...`).
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, App, Stack, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from warm_start_tuning import WarmStartTuning, WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.nag import acknowledge_state_machine_findings, arn_finding

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


def training_role(scope: Construct, bucket_name: str) -> iam.Role:
    """The role the training jobs run as: read the data, write the model artifacts."""
    data = s3.Bucket.from_bucket_name(scope, "Data", bucket_name)
    role = iam.Role(
        scope,
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
             "Model artifacts are written (training jobs) and read (CreateModel) under the output prefix only."),
    )
    return role


class ImageClassifierTuningStack(Stack):
    """One warm-start pipeline for the seed's image classifier, and the role its jobs run as."""

    def __init__(self, scope: Construct, construct_id: str, *, bucket_name: str, parent_job: str,
                 wait_mode: str = "events", **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        role = training_role(self, bucket_name)
        self.pipeline = WarmStartTuningPipeline(
            self,
            "ImageClassifierTuning",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=tuning_job_config(),
            training_job_definition=training_job_definition(bucket_name, role.role_arn),
            job_name_prefix="imgcls",
            parents=[parent_job],
            # "events" (the default): the parent wait is woken by SageMaker's events;
            # "polling": the backed-off poll loop (benchmarks/bench_history_events.py).
            wait_mode=wait_mode,
        )


class ModelDeploymentStack(Stack):
    """The warm-start steps inside a larger workflow: preprocess -> tune -> a SageMaker
    model from the best training job -> an endpoint configuration for it.

    The WarmStartTuning fragment's output names the best training job; its model
    artifact (``ModelArtifacts.S3ModelArtifacts``) and image come from DescribeTrainingJob.
    Model and endpoint configuration are named after the tuning job, so each run deploys
    its own (create the endpoint from it when you are ready to serve).
    """

    # Its own name space: "imgcls-deploy" would overlap the tuning stack's "imgcls-*" (synth refuses that).
    JOB_NAME_PREFIX = "imgdeploy"

    def __init__(self, scope: Construct, construct_id: str, *, bucket_name: str, parent_job: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        role = training_role(self, bucket_name)
        definition = training_job_definition(bucket_name, role.role_arn)
        preprocess = sfn.Pass(
            self,
            "Preprocess",
            comment="Stands for your data preparation; its output is the tuning run's input (parents, inputData, ...)",
        )
        self.tuning = WarmStartTuning(
            self,
            "Tuning",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=tuning_job_config(),
            training_job_definition=definition,
            job_name_prefix=self.JOB_NAME_PREFIX,
            parents=[parent_job],
            # Preprocess (a Pass: 2 history events) and the three tasks after the fragment
            # (5 each) count into the 25,000-event budget of the parent wait.
            other_history_events=2 + 3 * 5,
        )
        # The tuning job names its training jobs '<tuning job name>-<n>-<hash>'.
        training_jobs = self.format_arn(
            service="sagemaker", resource="training-job", resource_name=f"{self.JOB_NAME_PREFIX}-*"
        )
        describe = tasks.CallAwsService(
            self,
            "DescribeBestTrainingJob",
            comment="The best training job's model artifact and image",
            service="sagemaker",
            action="describeTrainingJob",
            parameters={"TrainingJobName": sfn.JsonPath.string_at("$.bestTrainingJob.TrainingJobName")},
            iam_resources=[training_jobs],
            result_selector={
                "modelArtifacts": sfn.JsonPath.string_at("$.ModelArtifacts.S3ModelArtifacts"),
                "image": sfn.JsonPath.string_at("$.AlgorithmSpecification.TrainingImage"),
            },
            result_path="$.bestModel",
        )
        create_model = tasks.SageMakerCreateModel(
            self,
            "CreateModel",
            comment="A model from the best training job (the built-in algorithm's image serves too)",
            model_name=sfn.JsonPath.string_at("$.tuningJobName"),
            primary_container=tasks.ContainerDefinition(
                # The definition's image and output location, not any image or object
                # (from_json_expression alone would grant ECR pulls and S3 reads on "*").
                image=tasks.DockerImage.from_json_expression(
                    sfn.JsonPath.string_at("$.bestModel.image"), allow_any_ecr_image_pull=False
                ),
                model_s3_location=ModelArtifacts(
                    "$.bestModel.modelArtifacts", definition["OutputDataConfig"]["S3OutputPath"]
                ),
            ),
            role=role,
            result_path="$.model",
        )
        _grant_image_pull(role, definition["AlgorithmSpecification"]["TrainingImage"])
        endpoint_config = tasks.SageMakerCreateEndpointConfig(
            self,
            "CreateEndpointConfig",
            comment="One instance of the new model behind an endpoint configuration",
            endpoint_config_name=sfn.JsonPath.string_at("$.tuningJobName"),
            production_variants=[
                tasks.ProductionVariant(
                    model_name=sfn.JsonPath.string_at("$.tuningJobName"),
                    variant_name="AllTraffic",
                    initial_instance_count=1,
                    instance_type=ec2.InstanceType("m5.xlarge"),
                )
            ],
            result_path="$.endpointConfig",
        )
        self.state_machine = sfn.StateMachine(
            self,
            "TuneAndDeploy",
            definition_body=sfn.DefinitionBody.from_chainable(
                preprocess.next(self.tuning).next(describe).next(create_model).next(endpoint_config)
            ),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=logs.LogGroup(self, "TuneAndDeployLogs", retention=logs.RetentionDays.ONE_YEAR),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
            comment="Preprocess, warm-start tuning, model and endpoint configuration (cdk-warm-start-tuning)",
        )
        # An aborted, timed-out or failed execution stops the tuning job it left running.
        self.tuning.clean_up_after(self.state_machine)
        acknowledge_state_machine_findings(
            self.state_machine,
            job_name_prefixes=[self.JOB_NAME_PREFIX],
            functions=[self.tuning.validator.function],
            other_unscoped_reasons=["SageMakerCreateModel grants sagemaker:ListTags on '*' (aws-cdk-lib's grant)"],
        )
        sagemaker_arn = {"service": "sagemaker", "resource_name": "*"}
        Validations.of(self.state_machine.role).acknowledge(
            _ack(
                arn_finding(self, service="sagemaker", resource="training-job", resource_name=f"{self.JOB_NAME_PREFIX}-*"),
                f"Training jobs are named by the tuning job ('{self.JOB_NAME_PREFIX}-<hash>-<n>-<hash>'); read-only Describe.",
            ),
            _ack(
                arn_finding(self, resource="model", **sagemaker_arn),
                "Each run creates a model named after its tuning job, unknown until the run (SageMakerCreateModel's grant).",
            ),
            _ack(
                arn_finding(self, resource="endpoint-config", **sagemaker_arn),
                "Each run creates an endpoint configuration named after its tuning job (SageMakerCreateEndpointConfig's grant).",
            ),
        )


class ModelArtifacts(tasks.S3Location):
    """The best training job's model artifact, read from the task input (a JSON path), that
    the model's role may read only under the training job definition's ``S3OutputPath``
    (``S3Location.from_json_expression`` would grant reading every object of every bucket)."""

    def __init__(self, expression: str, s3_output_path: str) -> None:
        super().__init__()
        self._expression = expression
        self._bucket, _, self._prefix = s3_output_path.removeprefix("s3://").partition("/")

    def bind(self, task, *, for_reading=None, for_writing=None) -> tasks.S3LocationConfig:
        bucket_arn = f"arn:{Stack.of(task).partition}:s3:::{self._bucket}"
        task.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bucket_arn])
        )
        task.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{bucket_arn}/{self._prefix}*"])
        )
        return tasks.S3LocationConfig(uri=sfn.JsonPath.string_at(self._expression))


def _grant_image_pull(role: iam.IRole, image_uri: str) -> None:
    """Pull the training image (the model serves with it) from its own ECR repository only;
    the token (ecr:GetAuthorizationToken, no resource level) is in the training role."""
    registry, _, repository = image_uri.partition("/")
    account, _, _, region, *_ = registry.split(".")
    repository_name = repository.split(":")[0].split("@")[0]
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            resources=[f"arn:{role.stack.partition}:ecr:{region}:{account}:repository/{repository_name}"],
        )
    )


def _ack(rule_id: str, reason: str) -> Acknowledgment:
    return Acknowledgment(id=rule_id, reason=reason)


def main() -> None:
    app = App()
    bucket_name = app.node.try_get_context("dataBucket") or "example-ml-data"
    parent_job = app.node.try_get_context("parentJob") or "imgcls-parent-1"
    ImageClassifierTuningStack(app, "WarmStartTuningExample", bucket_name=bucket_name, parent_job=parent_job)
    ModelDeploymentStack(app, "WarmStartTuningModelDeployment", bucket_name=bucket_name, parent_job=parent_job)
    app.synth()


if __name__ == "__main__":
    main()
