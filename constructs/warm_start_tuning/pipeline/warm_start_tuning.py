"""WarmStartTuning: prepare -> wait for parents -> validate -> create (.sync) -> result."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..rules import DEFAULT_TRAINING_JOB_LIMIT
from ..tasks import SageMakerCreateHyperParameterTuningJob
from ..validator import WarmStartValidator
from ..waiter import WaitForTuningJobs
from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS
from ..waiter.wait_for_tuning_jobs import RETRYABLE_POLL_ERRORS, VALIDATION_ERROR, poll_settings
from .existing_job import CREATE_ERRORS, EXISTING_JOB_EVENTS, TUNING_JOB_FAILED_ERROR, attach_to_existing_job
from .props import (
    WarmStartType,
    definition_with_role,
    raise_problems,
    static_request,
    warm_start_problems,
    warm_start_type_value,
)

# Fixed steps around the wait: prepare and validate (Lambda tasks), create (.sync task,
# which also writes a few more events while SageMaker runs), the result Choice + Pass,
# execution started/succeeded, and the path that attaches to an existing job.
PIPELINE_FIXED_EVENTS = 2 * TASK_EVENTS + 2 * TASK_EVENTS + CHOICE_EVENTS + PASS_EVENTS + 2 + EXISTING_JOB_EVENTS


class WarmStartTuning(sfn.StateMachineFragment):
    """The warm-start steps as a fragment, to embed in a larger workflow.

    ``prepare`` checks the execution input and applies the defaults, the wait polls the
    parents until they are terminal, ``validate`` checks every warm-start rule against the
    parents as they are now and plans the final request, the create step runs the tuning
    job to its end (``.sync``) and the last state writes the result (see README, "Output").
    Every failure ends in a Fail state named after its error: ``WarmStartValidationError``,
    ``ParentTuningJobNotFound``, ``ParentWaitTimeout``, ``TuningJobFailed``.

    The IAM the create step needs reaches whichever state machine holds the fragment by
    itself; the Lambda steps grant ``lambda:InvokeFunction`` the same way.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        warm_start_type: Union[WarmStartType, str],
        tuning_job_config: Mapping[str, Any],
        training_job_definition: Mapping[str, Any],
        job_name_prefix: str,
        parents: Optional[Sequence[str]] = None,
        sagemaker_role: Optional[iam.IRole] = None,
        tags: Optional[Sequence[Mapping[str, str]]] = None,
        training_job_limit: int = DEFAULT_TRAINING_JOB_LIMIT,
        failed_parent_policy: str = "reject",
        parent_poll_interval: Optional[Duration] = None,
        parent_poll_max_interval: Optional[Duration] = None,
        parent_poll_backoff_rate: float = 2.0,
        parent_wait_timeout: Optional[Duration] = None,
        validator: Optional[WarmStartValidator] = None,
    ) -> None:
        """
        :param warm_start_type: the default warm-start type; an execution may override it
            with ``warmStartType``.
        :param tuning_job_config: ``HyperParameterTuningJobConfig`` exactly as boto3's
            ``create_hyper_parameter_tuning_job`` takes it.
        :param training_job_definition: ``TrainingJobDefinition`` exactly as boto3 takes it.
            Its ``RoleArn`` may be left out when ``sagemaker_role`` is given.
        :param job_name_prefix: lowercase prefix of every job this pipeline creates (at most
            23 characters); IAM is scoped to it. Names are ``<prefix>-<hash of the execution>``.
        :param parents: default parent tuning jobs (1 to 5) when the execution input names
            none. Default: none, the input must name them.
        :param sagemaker_role: the role SageMaker training jobs run as. Default: the role of
            ``training_job_definition["RoleArn"]``.
        :param tags: tags of every created tuning job. Default: only the execution tag.
        :param training_job_limit: training jobs launched by the parents plus the new maximum
            may not exceed this. Default: 500 (the documented warm-start limit; the service
            quota page now says 750).
        :param failed_parent_policy: ``"reject"`` (default) or ``"warn"`` for a Failed parent
            that completed no training job, and so has nothing to transfer.
        :param parent_poll_interval: first wait between parent polls. Default: 1 minute.
        :param parent_poll_max_interval: cap of the backed-off wait. Default: 30 minutes.
        :param parent_poll_backoff_rate: growth of the wait per poll. Default: 2.
        :param parent_wait_timeout: give up waiting for parents after this. Default: 7 days.
        :param validator: the validator Lambda. Default: the stack's shared one.
        """
        super().__init__(scope, construct_id)
        raise_problems(
            type(self).__name__,
            warm_start_problems(
                warm_start_type=warm_start_type,
                tuning_job_config=tuning_job_config,
                training_job_definition=training_job_definition,
                job_name_prefix=job_name_prefix,
                parents=parents,
                sagemaker_role=sagemaker_role,
                tags=tags,
                training_job_limit=training_job_limit,
                failed_parent_policy=failed_parent_policy,
                poll_settings=poll_settings(
                    parent_poll_interval, parent_poll_max_interval, parent_poll_backoff_rate, parent_wait_timeout
                ),
                other_history_events=PIPELINE_FIXED_EVENTS,
            ),
        )
        if sagemaker_role is None:
            sagemaker_role = iam.Role.from_role_arn(
                self, "SageMakerRole", training_job_definition["RoleArn"], mutable=False
            )
        request = static_request(
            tuning_job_config, definition_with_role(training_job_definition, sagemaker_role.role_arn), tags
        )
        wst = warm_start_type_value(warm_start_type)
        self.validator = validator or WarmStartValidator.of(self)
        self.sagemaker_role = sagemaker_role
        self.job_name_prefix = job_name_prefix
        settings = {
            "jobNamePrefix": job_name_prefix,
            "trainingJobLimit": training_job_limit,
            "failedParentPolicy": failed_parent_policy,
        }

        def validation_failed(state_id: str) -> sfn.Fail:
            return sfn.Fail(self, state_id, error=VALIDATION_ERROR, cause_path="$.error.Cause")

        prepare = self._lambda_step(
            "PrepareRun",
            "Check the execution input and apply the defaults before anything waits",
            {
                "action": "prepare",
                "input": sfn.JsonPath.object_at("$"),
                "defaults": {"parents": list(parents or []), "warmStartType": wst},
                "request": request,
                "settings": settings,
            },
            result_fields=("parents", "warmStartType", "overrides"),
            result_path="$.run",
        )
        prepare.add_catch(validation_failed("InvalidRunInput"), errors=[VALIDATION_ERROR], result_path="$.error")

        self.wait = WaitForTuningJobs(
            self,
            "WaitForParents",
            jobs="$.run.parents",
            initial_interval=parent_poll_interval,
            max_interval=parent_poll_max_interval,
            backoff_rate=parent_poll_backoff_rate,
            timeout=parent_wait_timeout,
            poller=self.validator.function,
            other_history_events=PIPELINE_FIXED_EVENTS,
        )

        validate = self._lambda_step(
            "ValidateWarmStart",
            "Describe the parents, check every warm-start rule, plan the final request",
            {
                "parents": sfn.JsonPath.list_at("$.run.parents"),
                "warmStartType": sfn.JsonPath.string_at("$.run.warmStartType"),
                "request": request,
                "overrides": sfn.JsonPath.object_at("$.run.overrides"),
                "executionName": sfn.JsonPath.execution_name,
                "settings": settings,
            },
            result_fields=("request", "report"),
            result_path="$.validation",
        )
        validate.add_catch(validation_failed(VALIDATION_ERROR), errors=[VALIDATION_ERROR], result_path="$.error")

        self.create_task = SageMakerCreateHyperParameterTuningJob(
            self,
            "CreateTuningJob",
            comment="Create the warm-start tuning job and wait until it ends",
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            job_name_prefix=job_name_prefix,
            role=sagemaker_role,
            tuning_job_name="$.validation.request.HyperParameterTuningJobName",
            hyper_parameter_tuning_job_config="$.validation.request.HyperParameterTuningJobConfig",
            training_job_definition="$.validation.request.TrainingJobDefinition",
            warm_start_config="$.validation.request.WarmStartConfig",
            tags="$.validation.request.Tags",
            result_path="$.tuningJob",
        )
        failed = sfn.Fail(self, TUNING_JOB_FAILED_ERROR, error=TUNING_JOB_FAILED_ERROR, cause_path="$.error.Cause")
        # Retry what may pass: the deterministic job name makes a retry that follows an
        # accepted first attempt end in "already exists", which attaches to that job.
        self.create_task.add_retry(
            errors=CREATE_ERRORS, interval=Duration.seconds(10), backoff_rate=2, max_attempts=2
        )

        common = {
            "tuningJobName": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobName"),
            "tuningJobArn": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobArn"),
            "status": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobStatus"),
            "bestTrainingJob": sfn.JsonPath.object_at("$.tuningJob.BestTrainingJob"),
            "parents": sfn.JsonPath.list_at("$.run.parents"),
            "warmStartType": sfn.JsonPath.string_at("$.run.warmStartType"),
            "validation": sfn.JsonPath.object_at("$.validation.report"),
        }
        with_overall = sfn.Pass(
            self,
            "ResultWithOverallBest",
            parameters={
                **common,
                "overallBestTrainingJob": sfn.JsonPath.object_at("$.tuningJob.OverallBestTrainingJob"),
            },
        )
        # Only IdenticalDataAndAlgorithm jobs report OverallBestTrainingJob; a JSONPath to
        # a missing field fails the state, hence the Choice.
        without_overall = sfn.Pass(
            self,
            "Result",
            # States.StringToJson('null') is the one way to write a JSON null in JSONPath.
            parameters={**common, "overallBestTrainingJob.$": "States.StringToJson('null')"},
        )
        result = (
            sfn.Choice(self, "HasOverallBestTrainingJob?")
            .when(sfn.Condition.is_present("$.tuningJob.OverallBestTrainingJob"), with_overall)
            .otherwise(without_overall)
        )
        self.create_task.add_catch(
            attach_to_existing_job(
                self, poller=self.validator.function, job_name_prefix=job_name_prefix, failed=failed, done=result
            ),
            errors=CREATE_ERRORS,
            result_path="$.error",
        )
        self.create_task.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        self._start = prepare
        prepare.next(self.wait).next(validate).next(self.create_task).next(result)
        self._ends = [with_overall, without_overall]

    def _lambda_step(
        self, state_id: str, comment: str, payload: dict, *, result_fields: Sequence[str], result_path: str
    ) -> tasks.LambdaInvoke:
        step = tasks.LambdaInvoke(
            self,
            state_id,
            comment=comment,
            lambda_function=self.validator.function,
            payload=sfn.TaskInput.from_object(payload),
            retry_on_service_exceptions=False,
            result_selector={field: sfn.JsonPath.string_at(f"$.Payload.{field}") for field in result_fields},
            result_path=result_path,
        )
        step.add_retry(errors=RETRYABLE_POLL_ERRORS, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
        return step

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return self._ends
