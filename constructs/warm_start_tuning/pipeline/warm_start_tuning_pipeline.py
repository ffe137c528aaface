"""WarmStartTuningPipeline: the warm-start steps as a deployable, secure-by-default state machine."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from aws_cdk import Duration, Names, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..nag import acknowledge_state_machine_findings
from ..rules import DEFAULT_TRAINING_JOB_LIMIT
from ..validator import WarmStartValidator
from ..validator.warm_start_validator import FIXED_FUNCTION_PROPS
from ..waiter.wait_for_tuning_jobs import poll_settings
from .completion_event import COMPLETION_EVENT_EVENTS, NOT_PUBLISHED_STATE
from .completion_event import publish_completion_event as completion_event_step
from .props import (
    WarmStartType,
    bool_problems,
    definition_with_role,
    duration_problems,
    durations_or_none,
    is_role,
    raise_problems,
    static_request,
    warm_start_type_value,
)
from .rounds import MAX_EXECUTION_SECONDS, WarmStartRounds, rounds_timeout
from ..runs.event_waits import poll_props_problems
from ..runs.run_lock import (
    RUN_SKIPPED_STATE,
    run_lock,
    run_lock_events,
    run_lock_problems,
    run_lock_wait_seconds,
)
from .triggers import (
    NewDataTrigger,
    PipelineSchedule,
    add_new_data_trigger,
    add_schedule,
    definition_channels,
    execution_input_problems,
)
from .input_policy import run_settings
from .warm_start_tuning import WarmStartTuning, fragment_problems


class WarmStartTuningPipeline(Construct):
    """A Step Functions state machine that runs one SageMaker warm-start tuning job per execution.

    Start an execution (by hand, on a schedule, from another workflow) with an optional
    input naming the parents and per-run overrides; see the README's "Execution input".
    ``schedule`` and ``new_data_trigger`` start it by themselves; ``rounds`` repeats
    warm-start rounds; at most ``max_concurrent_runs`` run at once; each completed run
    publishes an EventBridge event (``publish_completion_event``).

    Secure by default: the state machine logs ALL events to its own log group, traces with
    X-Ray, has least-privilege roles, and alarms on failed and timed-out executions
    (optionally notifying an SNS topic).

    Exposes :attr:`state_machine`, :attr:`validator`, :attr:`log_group`,
    :attr:`failed_alarm`, :attr:`timed_out_alarm`, :attr:`completion_event_alarm`, :attr:`notification_topic`,
    :attr:`schedule` and :attr:`new_data_rule` (when configured) and ``grant_*`` helpers.
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
        allowed_overrides: Optional[Sequence[str]] = None,
        allowed_input_locations: Optional[Sequence[str]] = None,
        allowed_parent_prefixes: Optional[Sequence[str]] = None,
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
        rounds: Optional[WarmStartRounds] = None,
        schedule: Optional[PipelineSchedule] = None,
        new_data_trigger: Optional[NewDataTrigger] = None,
        publish_completion_event: bool = True,
        max_concurrent_runs: Optional[int] = 1,
        when_busy: str = "wait",
        busy_wait_timeout: Optional[Duration] = None,
        wait_mode: str = "events",
        sweep_interval: Optional[Duration] = None,
        role: Optional[iam.IRole] = None,
        existing_lambda_obj: Optional[lambda_.IFunction] = None,
        lambda_function_props: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """
        The warm-start props are those of :class:`WarmStartTuning` (see there). Besides:

        :param state_machine_timeout: the longest an execution may run. Default: the parent
            wait timeout plus 30 days for the tuning job itself (per round), plus the
            longest wait for the run lock (``busy_wait_timeout``).
        :param existing_log_group: log group for the state machine. Default: a new one,
            kept one year. Conflicts with ``log_group_props``.
        :param log_group_props: props of the new log group (``logs.LogGroupProps`` keywords).
        :param existing_notification_topic: SNS topic the alarms notify. Conflicts with
            ``create_notification_topic``.
        :param create_notification_topic: create an SNS topic (encrypted, TLS only) that the
            alarms notify. Default: false.
        :param tracing_enabled: X-Ray tracing of the state machine. Default: true.
        :param rounds: repeat warm-start rounds until the best objective stops improving
            (:class:`WarmStartRounds`; needs IdenticalDataAndAlgorithm). Default: one round.
        :param schedule: start runs on a schedule (:class:`PipelineSchedule`). Default: none.
        :param new_data_trigger: start a run when a batch of new data is complete in S3
            (:class:`NewDataTrigger`). Default: none.
        :param publish_completion_event: put an event on the default EventBridge bus when a
            run's job completed (source ``warm-start-tuning``, detail = the output).
            Default: true.
        :param max_concurrent_runs: at most this many runs in flight (a lease of a
            DynamoDB run lock, released however the run ends); a run that finds them all
            taken waits or is skipped (``when_busy``). None: no limit, no lock. Default: 1.
        :param when_busy: what a run does when ``max_concurrent_runs`` runs are in flight:
            ``"wait"`` its turn (for at most ``busy_wait_timeout``), or ``"skip"``: end at
            once, creating nothing. A skipped run (or one whose wait is over) publishes a
            "Warm-start tuning run skipped" event, is counted by the RunSkipped metric and
            alarm, and succeeds with ``{"skipped": true, "reason": ...}``. Default: "wait"
            (a new-data batch that lands during a run is then tuned on after it).
        :param busy_wait_timeout: the longest a run waits for its turn (1 minute, doubling
            to 15, between attempts). Default: 1 day.
        :param wait_mode: ``"events"``: the parent wait (and the attach path) is one
            ``.waitForTaskToken`` task completed from SageMaker's state-change events, with
            a sweep every ``sweep_interval`` for lost events and the timeout; ``"polling"``:
            the backed-off poll loop, no extra resources. Default: "events" (see
            :class:`WarmStartTuning`).
        :param sweep_interval: with ``"events"``, how often open waits are looked at again.
            Default: 5 minutes.
        :param role: the state machine's role (``states.amazonaws.com`` must be able to
            assume it); the statements the pipeline needs are added to it. Default: a new
            role.
        :param existing_lambda_obj: the validator function to use instead of the stack's
            shared one (it must run this library's handler, see
            ``WarmStartValidator.code()``). Conflicts with ``lambda_function_props``.
        :param lambda_function_props: ``lambda_.Function`` keywords for a validator of this
            pipeline's own instead of the stack's shared one, e.g. ``vpc``,
            ``vpc_subnets``, ``security_groups``, ``memory_size``, ``environment``.
            Default: the shared validator.
        """
        super().__init__(scope, construct_id)
        # Every problem in one error: the pipeline's own conflicts and the fragment's props
        # (checked again, without finding anything, when the fragment is built below).
        durations = dict(parent_poll_interval=parent_poll_interval, parent_poll_max_interval=parent_poll_max_interval,
                         parent_wait_timeout=parent_wait_timeout)
        problems = duration_problems(**durations, state_machine_timeout=state_machine_timeout)
        parent_poll_interval, parent_poll_max_interval, parent_wait_timeout = durations_or_none(*durations.values())
        (state_machine_timeout,) = durations_or_none(state_machine_timeout)
        problems += bool_problems(create_notification_topic=create_notification_topic, tracing_enabled=tracing_enabled)
        if existing_lambda_obj is not None and lambda_function_props is not None:
            problems.append("conflicting props: give existing_lambda_obj or lambda_function_props, not both")
        if existing_lambda_obj is not None and not hasattr(existing_lambda_obj, "function_arn"):
            problems.append(f"existing_lambda_obj: expected an aws_lambda.IFunction, got "
                            f"{type(existing_lambda_obj).__name__} {existing_lambda_obj!r}")
        if lambda_function_props is not None and not isinstance(lambda_function_props, Mapping):
            problems.append(f"lambda_function_props: expected a dict of aws_lambda.Function keywords, got "
                            f"{type(lambda_function_props).__name__} {lambda_function_props!r}")
        elif lambda_function_props is not None and set(lambda_function_props) & FIXED_FUNCTION_PROPS:
            problems.append(f"lambda_function_props: may not set "
                            f"{', '.join(sorted(set(lambda_function_props) & FIXED_FUNCTION_PROPS))} "
                            "(the validator runs the library's handler)")
        if role is not None and not is_role(role):
            problems.append(f"role: expected an aws_iam.IRole (the state machine's role), got "
                            f"{type(role).__name__} {role!r}")
        if existing_log_group is not None and log_group_props is not None:
            problems.append("conflicting props: give existing_log_group or log_group_props, not both")
        if existing_notification_topic is not None and create_notification_topic:
            problems.append(
                "conflicting props: give existing_notification_topic or create_notification_topic=True, not both"
            )
        problems += run_lock_problems(max_concurrent_runs, when_busy, busy_wait_timeout)
        problems += poll_props_problems(wait_mode, parent_poll_interval=parent_poll_interval,
                                        parent_poll_max_interval=parent_poll_max_interval,
                                        parent_poll_backoff_rate=parent_poll_backoff_rate)
        if not isinstance(publish_completion_event, bool):
            problems.append(f"publish_completion_event must be a bool, got {publish_completion_event!r}")
        if new_data_trigger is not None and not isinstance(new_data_trigger, NewDataTrigger):
            problems.append(f"new_data_trigger must be a NewDataTrigger, got {type(new_data_trigger).__name__}")
            new_data_trigger = None
        if new_data_trigger is not None and not hasattr(new_data_trigger.bucket, "bucket_name"):
            problems.append(
                "new_data_trigger.bucket: expected an aws_s3.IBucket (e.g. s3.Bucket.from_bucket_name(self, 'Data', "
                f"'my-bucket')), got {type(new_data_trigger.bucket).__name__} {new_data_trigger.bucket!r}"
            )
            new_data_trigger = None
        trigger_problems = new_data_trigger.problems(definition_channels(training_job_definition)) if new_data_trigger else []
        problems += trigger_problems
        # The steps around the fragment: the run lock before it, the event after it.
        locked = max_concurrent_runs is not None and not run_lock_problems(max_concurrent_runs, when_busy,
                                                                            busy_wait_timeout)
        around = (run_lock_events(when_busy, busy_wait_timeout) if locked else 0) + (
            COMPLETION_EVENT_EVENTS if publish_completion_event else 0
        )
        fragment_props = dict(
            warm_start_type=warm_start_type,
            tuning_job_config=tuning_job_config,
            training_job_definition=training_job_definition,
            job_name_prefix=job_name_prefix,
            parents=parents,
            sagemaker_role=sagemaker_role,
            tags=tags,
            training_job_limit=training_job_limit,
            failed_parent_policy=failed_parent_policy,
            allowed_overrides=allowed_overrides,
            allowed_input_locations=allowed_input_locations,
            allowed_parent_prefixes=allowed_parent_prefixes,
        )
        new_data_channels = list(new_data_trigger.channels) if new_data_trigger is not None else None
        new_data_bucket = new_data_trigger.bucket.bucket_name if new_data_trigger is not None else None
        new_data_prefix = new_data_trigger.prefix if new_data_trigger is not None else None
        fragment_errors = fragment_problems(
            rounds=rounds,
            other_history_events=around,
            # The trigger's channels were judged above, as new_data_trigger.channels.
            new_data_channels=None if trigger_problems else new_data_channels,
            new_data_bucket=new_data_bucket,
            poll_settings=poll_settings(
                parent_poll_interval, parent_poll_max_interval, parent_poll_backoff_rate, parent_wait_timeout
            ),
            wait_mode=wait_mode,
            sweep_interval=sweep_interval,
            **fragment_props,
        )
        problems += fragment_errors
        settings = poll_settings(parent_poll_interval, parent_poll_max_interval, parent_poll_backoff_rate,
                                 parent_wait_timeout)
        if state_machine_timeout is not None and not Token.is_unresolved(state_machine_timeout.to_seconds()) and (
            state_machine_timeout.to_seconds() <= settings.timeout_seconds
        ):
            problems.append(
                f"state_machine_timeout: expected more than the parent wait ({settings.timeout_seconds} s, "
                f"parent_wait_timeout) plus the tuning job's own run time, got {state_machine_timeout.to_seconds():g} s: "
                "every run that waits for its parents would time out"
            )
        if settings.timeout_seconds >= MAX_EXECUTION_SECONDS:
            problems.append(f"parent_wait_timeout: expected less than Step Functions' one-year execution limit "
                            f"({MAX_EXECUTION_SECONDS} s) minus the tuning job's run time, got "
                            f"{settings.timeout_seconds} s")
        if state_machine_timeout is not None and not Token.is_unresolved(state_machine_timeout.to_seconds()) and (
            state_machine_timeout.to_seconds() > MAX_EXECUTION_SECONDS
        ):
            problems.append(f"state_machine_timeout: expected at most one year ({MAX_EXECUTION_SECONDS} s, Step "
                            f"Functions' limit for a Standard execution), got {state_machine_timeout.to_seconds():g} s")
        if schedule is not None:
            problems += _schedule_problems(
                schedule, fragment_errors, new_data_channels=new_data_channels, new_data_bucket=new_data_bucket,
                new_data_prefix=new_data_prefix,
                **fragment_props
            )
        raise_problems(type(self).__name__, problems)

        validator: Optional[WarmStartValidator] = None
        if existing_lambda_obj is not None or lambda_function_props is not None:
            validator = WarmStartValidator(
                self, "Validator", existing_function=existing_lambda_obj, function_props=lambda_function_props
            )
        self.tuning = WarmStartTuning(
            self,
            "WarmStartTuning",
            validator=validator,
            parent_poll_interval=parent_poll_interval,
            parent_poll_max_interval=parent_poll_max_interval,
            parent_poll_backoff_rate=parent_poll_backoff_rate,
            parent_wait_timeout=parent_wait_timeout,
            rounds=rounds,
            new_data_channels=new_data_channels,
            new_data_bucket=new_data_bucket,
            new_data_prefix=new_data_prefix,
            other_history_events=around,
            wait_mode=wait_mode,
            sweep_interval=sweep_interval,
            **fragment_props,
        )
        self.validator: WarmStartValidator = self.tuning.validator
        # Under /aws/vendedlogs/: CloudWatch Logs then needs no resource policy entry per
        # log group for Step Functions' delivery (that policy is capped at 5,120 characters,
        # and deploys of many state machines fail on it otherwise).
        self.log_group: logs.ILogGroup = existing_log_group or logs.LogGroup(
            self,
            "StateMachineLogs",
            **{
                "log_group_name": "/aws/vendedlogs/states/" + Names.unique_resource_name(self, max_length=200,
                                                                                        separator="-"),
                "retention": logs.RetentionDays.ONE_YEAR,
                "removal_policy": RemovalPolicy.RETAIN,
                **(log_group_props or {}),
            },
        )
        wait_timeout = self.tuning.wait.settings.timeout_seconds
        workflow: sfn.IChainable = self.tuning
        if publish_completion_event:
            workflow = self.tuning.next(completion_event_step(self, job_name_prefix=job_name_prefix))
        if max_concurrent_runs is not None:
            workflow = run_lock(
                self,
                function=self.validator.function,
                table_name=self.tuning.run_table.table_name,
                max_concurrent_runs=max_concurrent_runs,
                when_busy=when_busy,
                busy_wait_timeout=busy_wait_timeout,
                proceed=workflow,
            )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            role=role,
            definition_body=sfn.DefinitionBody.from_chainable(workflow),
            state_machine_type=sfn.StateMachineType.STANDARD,
            # The default adds the longest wait for the lock: a run that waited its turn
            # still has the parent wait and its job's own time ahead.
            timeout=state_machine_timeout or Duration.seconds(min(
                MAX_EXECUTION_SECONDS, rounds_timeout(rounds, wait_timeout).to_seconds()
                + (run_lock_wait_seconds(when_busy, busy_wait_timeout) if max_concurrent_runs is not None else 0))),
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
        # A run whose job completed but whose completion event could not be put: it
        # succeeds (completionEvent.published false), and this alarm says so.
        self.completion_event_alarm: Optional[cloudwatch.Alarm] = None
        if publish_completion_event:
            self.completion_event_alarm = self._alarm(
                "CompletionEventNotPublishedAlarm",
                self._state_entered_metric(NOT_PUBLISHED_STATE),
                "completed its job but could not publish the completion event",
            )
        # A run that found the lock full and did not wait (or waited in vain): it
        # succeeds, created nothing, and this alarm says so.
        self.run_skipped_metric: Optional[cloudwatch.Metric] = None
        self.run_skipped_alarm: Optional[cloudwatch.Alarm] = None
        if max_concurrent_runs is not None:
            self.run_skipped_metric = self._state_entered_metric(RUN_SKIPPED_STATE)
            self.run_skipped_alarm = self._alarm(
                "RunSkippedAlarm", self.run_skipped_metric,
                "was skipped: other runs held the run lock and it created no tuning job")
        # Stop the jobs of runs that end without succeeding, and release their leases.
        self.tuning.clean_up_after(self.state_machine)
        self.aborted_alarm = self._alarm("ExecutionsAborted", self.state_machine.metric_aborted(), "was aborted")
        self.throttled_alarm = self._alarm("ExecutionsThrottled", self.state_machine.metric_throttled(),
                                           "was throttled")

        self.schedule: Optional[scheduler.Schedule] = (
            add_schedule(self, self.state_machine, schedule) if schedule is not None else None
        )
        self.new_data_rule: Optional[events.Rule] = (
            add_new_data_trigger(self, self.state_machine, new_data_trigger) if new_data_trigger is not None else None
        )

    def _state_entered_metric(self, state_name: str) -> cloudwatch.Metric:
        """How often executions entered the Pass state ``state_name``: a metric filter on
        the state machine's log (``<state>-<pipeline>``: pipelines may share a log group)."""
        entered = logs.MetricFilter(
            self,
            f"{state_name}Filter",
            log_group=self.log_group,
            metric_namespace="WarmStartTuning",
            metric_name=f"{state_name}-{Names.unique_id(self)}",
            filter_pattern=logs.FilterPattern.all(
                logs.FilterPattern.string_value("$.type", "=", "PassStateEntered"),
                logs.FilterPattern.string_value("$.details.name", "=", state_name),
            ),
            metric_value="1",
        )
        return entered.metric()

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

    def grant_execution(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Let ``grantee`` do ``actions`` (e.g. ``states:StopExecution``) on the executions."""
        return self.state_machine.grant_execution(grantee, *actions)

    def grant_stop_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` stop executions (the running tuning job is stopped with them)."""
        return self.state_machine.grant_execution(grantee, "states:StopExecution")

    def grant(self, grantee: iam.IGrantable, *actions: str) -> iam.Grant:
        """Let ``grantee`` do ``actions`` on the state machine itself."""
        return self.state_machine.grant(grantee, *actions)

    # Metrics of the state machine (AWS/States, dimension StateMachineArn), as
    # sfn.StateMachine has them; ``props`` are cloudwatch.MetricOptions keywords.
    def metric(self, metric_name: str, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric(metric_name, **props)

    def metric_failed(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_failed(**props)

    def metric_succeeded(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_succeeded(**props)

    def metric_timed_out(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_timed_out(**props)

    def metric_aborted(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_aborted(**props)

    def metric_throttled(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_throttled(**props)

    def metric_started(self, **props: Any) -> cloudwatch.Metric:
        return self.state_machine.metric_started(**props)

    def metric_duration(self, **props: Any) -> cloudwatch.Metric:
        """ExecutionTime: how long executions take (milliseconds)."""
        return self.state_machine.metric_time(**props)


def _schedule_problems(
    schedule: Any,
    fragment_errors: list[str],
    *,
    new_data_channels: Optional[list[str]],
    new_data_bucket: Optional[str],
    new_data_prefix: Optional[str],
    warm_start_type: Any,
    tuning_job_config: Any,
    training_job_definition: Any,
    job_name_prefix: Any,
    parents: Any,
    sagemaker_role: Optional[iam.IRole],
    tags: Any,
    training_job_limit: Any,
    failed_parent_policy: Any,
    allowed_overrides: Any,
    allowed_input_locations: Any,
    allowed_parent_prefixes: Any,
) -> list[str]:
    """The schedule's own problems, and what the prepare step would reject in its input."""
    if not isinstance(schedule, PipelineSchedule):
        return [f"schedule must be a PipelineSchedule, got {type(schedule).__name__}"]
    if not isinstance(schedule.expression, scheduler.ScheduleExpression):
        return [f"schedule.expression must be an aws_scheduler.ScheduleExpression, got {schedule.expression!r}"]
    if schedule.input is not None and not isinstance(schedule.input, Mapping):
        return [f"schedule.input must be a dict (the execution input), got {type(schedule.input).__name__}"]
    if fragment_errors:
        return []  # the input cannot be judged against props that are wrong themselves
    role_arn = sagemaker_role.role_arn if sagemaker_role is not None else training_job_definition.get("RoleArn")
    settings = run_settings(
        job_name_prefix=job_name_prefix,
        training_job_limit=training_job_limit,
        failed_parent_policy=failed_parent_policy,
        new_data_channels=new_data_channels,
        new_data_bucket=new_data_bucket,
        new_data_prefix=new_data_prefix,
        allowed_overrides=allowed_overrides,
        allowed_input_locations=allowed_input_locations,
        allowed_parent_prefixes=allowed_parent_prefixes,
    )
    return execution_input_problems(
        "schedule.input",
        schedule.execution_input(),
        request=static_request(tuning_job_config, definition_with_role(training_job_definition, role_arn), tags),
        defaults={"parents": list(parents or []), "warmStartType": warm_start_type_value(warm_start_type)},
        settings=settings,
    )
