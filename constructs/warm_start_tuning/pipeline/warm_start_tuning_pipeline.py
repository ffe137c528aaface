"""WarmStartTuningPipeline: the warm-start steps as a deployable, secure-by-default state machine."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..nag import acknowledge_state_machine_findings
from ..rules import DEFAULT_TRAINING_JOB_LIMIT
from ..validator import WarmStartValidator
from ..waiter.wait_for_tuning_jobs import poll_settings
from .props import WarmStartType, raise_problems, warm_start_problems
from .warm_start_tuning import PIPELINE_FIXED_EVENTS, WarmStartTuning


class WarmStartTuningPipeline(Construct):
    """A Step Functions state machine that runs one SageMaker warm-start tuning job per execution.

    Start an execution (by hand, on a schedule, from another workflow) with an optional
    input naming the parents and per-run overrides; see the README's "Execution input".

    Secure by default: the state machine logs ALL events to its own log group, traces with
    X-Ray, has least-privilege roles, and alarms on failed and timed-out executions
    (optionally notifying an SNS topic).

    Exposes :attr:`state_machine`, :attr:`validator`, :attr:`log_group`,
    :attr:`failed_alarm`, :attr:`timed_out_alarm`, :attr:`notification_topic` and
    ``grant_*`` helpers.
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
        state_machine_timeout: Optional[Duration] = None,
        existing_log_group: Optional[logs.ILogGroup] = None,
        log_group_props: Optional[Mapping[str, Any]] = None,
        existing_notification_topic: Optional[sns.ITopic] = None,
        create_notification_topic: bool = False,
        tracing_enabled: bool = True,
    ) -> None:
        """
        The warm-start props are those of :class:`WarmStartTuning` (see there). Besides:

        :param state_machine_timeout: the longest an execution may run. Default: the parent
            wait timeout plus 30 days for the tuning job itself.
        :param existing_log_group: log group for the state machine. Default: a new one,
            kept one year. Conflicts with ``log_group_props``.
        :param log_group_props: props of the new log group (``logs.LogGroupProps`` keywords).
        :param existing_notification_topic: SNS topic the alarms notify. Conflicts with
            ``create_notification_topic``.
        :param create_notification_topic: create an SNS topic (encrypted, TLS only) that the
            alarms notify. Default: false.
        :param tracing_enabled: X-Ray tracing of the state machine. Default: true.
        """
        super().__init__(scope, construct_id)
        # Every problem in one error: the pipeline's own conflicts and the fragment's props
        # (checked again, without finding anything, when the fragment is built below).
        problems = []
        if existing_log_group is not None and log_group_props is not None:
            problems.append("conflicting props: give existing_log_group or log_group_props, not both")
        if existing_notification_topic is not None and create_notification_topic:
            problems.append(
                "conflicting props: give existing_notification_topic or create_notification_topic=True, not both"
            )
        problems += warm_start_problems(
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
        )
        raise_problems(type(self).__name__, problems)

        self.tuning = WarmStartTuning(
            self,
            "WarmStartTuning",
            warm_start_type=warm_start_type,
            tuning_job_config=tuning_job_config,
            training_job_definition=training_job_definition,
            job_name_prefix=job_name_prefix,
            parents=parents,
            sagemaker_role=sagemaker_role,
            tags=tags,
            training_job_limit=training_job_limit,
            failed_parent_policy=failed_parent_policy,
            parent_poll_interval=parent_poll_interval,
            parent_poll_max_interval=parent_poll_max_interval,
            parent_poll_backoff_rate=parent_poll_backoff_rate,
            parent_wait_timeout=parent_wait_timeout,
        )
        self.validator: WarmStartValidator = self.tuning.validator
        self.log_group: logs.ILogGroup = existing_log_group or logs.LogGroup(
            self,
            "StateMachineLogs",
            **{"retention": logs.RetentionDays.ONE_YEAR, "removal_policy": RemovalPolicy.RETAIN, **(log_group_props or {})},
        )
        wait_timeout = self.tuning.wait.settings.timeout_seconds
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self.tuning),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=state_machine_timeout or Duration.seconds(wait_timeout + 30 * 86400),
            tracing_enabled=tracing_enabled,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            comment=f"Warm-start tuning pipeline for jobs '{job_name_prefix}-*' (cdk-warm-start-tuning)",
        )

        acknowledge_state_machine_findings(
            self.state_machine,
            job_name_prefixes=[job_name_prefix],
            functions=[self.validator.function],
            tracing=tracing_enabled,
        )

        self.notification_topic: Optional[sns.ITopic] = existing_notification_topic
        if create_notification_topic:
            # CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed
            # SNS key, so the topic gets its own key that CloudWatch may use.
            key = kms.Key(self, "NotificationsKey", enable_key_rotation=True, description="Warm-start tuning alarm topic")
            key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
            self.notification_topic = sns.Topic(
                self, "Notifications", display_name="Warm-start tuning failures", enforce_ssl=True, master_key=key
            )
        self.failed_alarm = self._alarm("ExecutionsFailed", self.state_machine.metric_failed(), "failed")
        self.timed_out_alarm = self._alarm("ExecutionsTimedOut", self.state_machine.metric_timed_out(), "timed out")

    def _alarm(self, construct_id: str, metric: cloudwatch.Metric, what: str) -> cloudwatch.Alarm:
        alarm = metric.with_(period=Duration.minutes(5), statistic="Sum").create_alarm(
            self,
            construct_id,
            alarm_description=f"A warm-start tuning execution {what}",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        if self.notification_topic is not None:
            alarm.add_alarm_action(cw_actions.SnsAction(self.notification_topic))
        return alarm

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start executions (a scheduler, another workflow, a person)."""
        return self.state_machine.grant_start_execution(grantee)

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` list and describe executions and read their history."""
        return self.state_machine.grant_read(grantee)
