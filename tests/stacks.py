"""A stack with every public construct in the configurations app.py does not use.

Shared by the compliance test (cdk-nag, cfn-lint) and the snapshot tests.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Duration, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from cdk_helpers import load_example_app
from warm_start_tuning.nag import acknowledge_state_machine_findings
from warm_start_tuning import (
    SageMakerCreateHyperParameterTuningJob,
    WaitForTuningJobs,
    WarmStartTuning,
    WarmStartTuningPipeline,
    WarmStartType,
)

BUCKET = "example-ml-data"


class AllConstructsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        example = load_example_app()
        role = iam.Role(self, "SageMakerRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
        definition = example.training_job_definition(BUCKET, role.role_arn)
        del definition["RoleArn"]  # given as sagemaker_role instead

        # TransferLearning, no default parents, an alarm topic, a role object.
        self.transfer = WarmStartTuningPipeline(
            self,
            "TransferLearningPipeline",
            warm_start_type=WarmStartType.TRANSFER_LEARNING,
            tuning_job_config=example.tuning_job_config(max_jobs=20, max_parallel_jobs=4),
            training_job_definition=definition,
            sagemaker_role=role,
            job_name_prefix="tlearn",
            tags=[{"Key": "team", "Value": "vision"}],
            parent_wait_timeout=Duration.days(30),
            create_notification_topic=True,
        )

        # The fragment inside a larger workflow: preprocess -> tune -> register.
        fragment = WarmStartTuning(
            self,
            "EmbeddedTuning",
            warm_start_type="IdenticalDataAndAlgorithm",
            tuning_job_config=example.tuning_job_config(),
            training_job_definition=definition,
            sagemaker_role=role,
            job_name_prefix="embed",
            parents=["imgcls-parent-1"],
        )
        chain = sfn.Pass(self, "Preprocess").next(fragment).next(sfn.Pass(self, "RegisterModel"))
        self.embedded = _secure_state_machine(self, "EmbeddedWorkflow", chain)
        fragment.clean_up_after(self.embedded)
        acknowledge_state_machine_findings(
            self.embedded, job_name_prefixes=["embed"], functions=[fragment.validator.function]
        )

        # The task and the waiter on their own, with REQUEST_RESPONSE.
        wait = WaitForTuningJobs(self, "WaitForJobs", jobs=["imgcls-parent-1", "imgcls-parent-2"])
        create = SageMakerCreateHyperParameterTuningJob(
            self,
            "CreateAsync",
            integration_pattern=sfn.IntegrationPattern.REQUEST_RESPONSE,
            tuning_job_name="$.name",
            hyper_parameter_tuning_job_config=example.tuning_job_config(),
            training_job_definition=definition,
            role=role,
            job_name_prefix="imgcls-async",
        )
        self.standalone = _secure_state_machine(self, "StandaloneTasks", wait.next(create))
        acknowledge_state_machine_findings(
            self.standalone, job_name_prefixes=["imgcls-async"], functions=[fragment.validator.function]
        )

        Validations.of(role).acknowledge(
            Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason="Test role: never deployed."),
        )


def _secure_state_machine(scope: Construct, construct_id: str, chain: sfn.IChainable) -> sfn.StateMachine:
    machine = sfn.StateMachine(
        scope,
        construct_id,
        definition_body=sfn.DefinitionBody.from_chainable(chain),
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=logs.LogGroup(scope, f"{construct_id}Logs"), level=sfn.LogLevel.ALL),
    )
    return machine


class FeaturePipelinesStack(Stack):
    """Pipelines with each option of the scheduling/selection/rounds/composition issue,
    shaped like the local engine's simulated jobs (``default_tuning_request``) so that
    they run end to end on it; also checked by cdk-nag and cfn-lint.

    Attributes name the pipelines: ``scheduled``, ``new_data``, ``automatic`` (no default
    parents: automatic selection and resume), ``rounds`` (3 rounds until no improvement),
    ``rounds_threshold`` (stops when a round improves by less than 1.0), ``unlocked``
    (max_concurrent_runs=None, no completion event), ``restricted`` (parents only from
    ``baseline-*``, overrides only ``parents`` and ``maxTrainingJobs``).
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        from aws_cdk import RemovalPolicy
        from aws_cdk import aws_s3 as s3
        from aws_cdk import aws_scheduler as scheduler

        from warm_start_tuning import NewDataTrigger, PipelineSchedule, WarmStartRounds
        from warm_start_tuning.local.simulated_jobs import default_tuning_request

        request = default_tuning_request()
        common = {
            "tuning_job_config": request["HyperParameterTuningJobConfig"],
            "training_job_definition": request["TrainingJobDefinition"],
            "parent_poll_interval": Duration.minutes(1),
            "wait_mode": "polling",  # the poll loop's own tests (tests/features/test_feature_event_waits.py: events)
        }
        self.scheduled = WarmStartTuningPipeline(
            self,
            "Scheduled",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="sched",
            schedule=PipelineSchedule(
                scheduler.ScheduleExpression.cron(hour="3", minute="0"),
                input={"maxTrainingJobs": 12},
                description="Nightly retraining on the newest data",
            ),
            **common,
        )
        data = s3.Bucket(
            self,
            "Data",
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            removal_policy=RemovalPolicy.RETAIN,
            # Access logs go to a bucket of another stack (an account's central log bucket).
            server_access_logs_bucket=s3.Bucket.from_bucket_name(self, "AccessLogs", "example-access-logs"),
            server_access_logs_prefix="example-ml-data/",
        )
        self.new_data = WarmStartTuningPipeline(
            self,
            "NewData",
            warm_start_type=WarmStartType.TRANSFER_LEARNING,
            job_name_prefix="newdata",
            parents=["newdata-parent"],
            new_data_trigger=NewDataTrigger(data, "incoming/", ["train", "validation"]),
            **common,
        )
        self.automatic = WarmStartTuningPipeline(
            self,
            "Automatic",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="auto",
            training_job_limit=100,
            **common,
        )
        self.rounds = WarmStartTuningPipeline(
            self,
            "Rounds",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="rounds",
            parents=["rounds-parent"],
            rounds=WarmStartRounds(max_rounds=3, min_improvement=0.0, training_jobs_step=5),
            **common,
        )
        self.rounds_threshold = WarmStartTuningPipeline(
            self,
            "RoundsThreshold",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="thresh",
            parents=["thresh-parent"],
            rounds=WarmStartRounds(max_rounds=5, min_improvement=1.0, training_jobs_step=5),
            **common,
        )
        # The trust model narrowed by props: parents only from baseline-*, and the input
        # may only name parents and a budget.
        self.restricted = WarmStartTuningPipeline(
            self,
            "Restricted",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="strict",
            parents=["baseline-1"],
            allowed_parent_prefixes=["baseline-"],
            allowed_overrides=["parents", "maxTrainingJobs"],
            **common,
        )
        self.unlocked = WarmStartTuningPipeline(
            self,
            "Unlocked",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            job_name_prefix="free",
            parents=["free-parent"],
            max_concurrent_runs=None,
            publish_completion_event=False,
            **common,
        )
