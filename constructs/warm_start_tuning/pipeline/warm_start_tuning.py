"""WarmStartTuning: prepare -> wait for parents -> validate -> create (.sync) [-> rounds] -> result."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional, Sequence, Union

from aws_cdk import Duration, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..rules import DEFAULT_TRAINING_JOB_LIMIT
from ..runs import RunTable
from ..runs.event_waits import poll_props_problems, wait_mode_problems
from ..runs.run_cleanup import add_run_cleanup
from ..tasks import SageMakerCreateHyperParameterTuningJob
from ..template_size import register_template_size_check
from ..validator import WarmStartValidator
from ..waiter import WaitForTuningJobs
from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS, wait_budget
from ..validator.invoke import invoke_validator
from ..waiter.wait_for_tuning_jobs import VALIDATION_ERROR, poll_settings
from .describe_job import describe_tuning_job
from .existing_job import (
    CREATE_ERRORS,
    JOB_NAME_PATH,
    NOT_CREATED_ERRORS,
    RUN_KEY_PATH,
    RETRYABLE_CREATE_ERRORS,
    EXISTING_JOB_EVENTS,
    EXISTING_JOB_POLL,
    TUNING_JOB_FAILED_ERROR,
    TUNING_JOB_NOT_CREATED_ERROR,
    attach_to_existing_job,
)
from .input_policy import claim_name_space, policy_problems, run_settings
from .triggers import definition_channels
from .props import (
    WarmStartType,
    definition_with_role,
    duration_problems,
    durations_or_none,
    raise_problems,
    static_request,
    warm_start_problems,
    warm_start_type_value,
)
from .rounds import (
    ROUND_STATE_PATH,
    ROUNDS_EXISTING_JOB_POLL,
    WarmStartRounds,
    another_round,
    decide_next_round,
    next_round,
    rounds_output,
    rounds_problems,
    start_rounds,
)

# Where a failed round keeps the completed rounds' results for the Fail state's cause.
ROUND_FAILURE_PATH = "$.roundFailure"

# Fixed steps around the wait: the input Pass, prepare and validate (Lambda tasks), create
# (.sync task, which also writes a few more events while SageMaker runs), the Describe of
# the finished job, the result Choice + Pass, execution started/succeeded, and the path
# that attaches to an existing job.
PIPELINE_FIXED_EVENTS = (
    PASS_EVENTS
    + 2 * TASK_EVENTS
    + 2 * TASK_EVENTS
    + TASK_EVENTS
    + CHOICE_EVENTS
    + PASS_EVENTS
    + 2
    + EXISTING_JOB_EVENTS
)


MAX_STATE_NAME_PREFIX = 48


def state_name_prefix_problems(prefix: Any) -> list[str]:
    """``state_name_prefix`` is a literal string short enough for Step Functions' 80."""
    if not isinstance(prefix, str) or Token.is_unresolved(prefix):
        return [f"state_name_prefix: expected a string (e.g. 'Churn-'), got {type(prefix).__name__} {prefix!r}"]
    if len(prefix) > MAX_STATE_NAME_PREFIX:
        return [f"state_name_prefix: expected at most {MAX_STATE_NAME_PREFIX} characters (state names are at most "
                f"80), got {len(prefix)}"]
    return []


def fixed_history_events(rounds: Optional[WarmStartRounds]) -> int:
    """Worst-case history events of everything but the parent wait. Rounds repeat the
    validate/create part, and with them every round may attach to an existing job."""
    if not isinstance(rounds, WarmStartRounds) or rounds.problems():
        return PIPELINE_FIXED_EVENTS
    return PIPELINE_FIXED_EVENTS - EXISTING_JOB_EVENTS + rounds.history_events()


def fragment_problems(
    *,
    rounds: Optional[WarmStartRounds],
    other_history_events: Any,
    warm_start_type: Any,
    tuning_job_config: Any,
    training_job_limit: Any,
    new_data_channels: Optional[Sequence[str]],
    new_data_bucket: Optional[str] = None,
    allowed_overrides: Optional[Sequence[str]] = None,
    allowed_input_locations: Optional[Sequence[str]] = None,
    allowed_parent_prefixes: Optional[Sequence[str]] = None,
    wait_mode: Any = "events",
    sweep_interval: Any = None,
    **warm_start_props: Any,
) -> list[str]:
    """Every problem of the fragment's props (the pipeline reports them with its own)."""
    problems = wait_mode_problems(wait_mode, sweep_interval) + policy_problems(
        allowed_overrides=allowed_overrides,
        allowed_input_locations=allowed_input_locations,
        allowed_parent_prefixes=allowed_parent_prefixes,
        # A token prefix is reported (once) with the other props that must be literal.
        job_name_prefix=(
            "token-prefix" if Token.is_unresolved(warm_start_props.get("job_name_prefix"))
            else warm_start_props.get("job_name_prefix")
        ),
        parents=warm_start_props.get("parents"),
        new_data_bucket=new_data_bucket,
    )
    if isinstance(other_history_events, bool) or not isinstance(other_history_events, int) or other_history_events < 0:
        problems.append(f"other_history_events must be an int >= 0, got {other_history_events!r}")
        other_history_events = 0
    if new_data_channels is not None and (
        isinstance(new_data_channels, str)
        or not isinstance(new_data_channels, (list, tuple))
        or not new_data_channels
        or not all(isinstance(c, str) for c in new_data_channels)
    ):
        problems.append(f"new_data_channels must be a non-empty list of channel names, got {new_data_channels!r}")
    elif new_data_channels is not None:
        channels = definition_channels(warm_start_props.get("training_job_definition"))
        unknown = [c for c in new_data_channels if channels is not None and c not in channels]
        if unknown:
            # The input may point existing channels at new data, never add one.
            problems.append(f"new_data_channels {unknown!r} are not channels of the training job definition "
                            f"({channels!r})")
    problems += warm_start_problems(
        warm_start_type=warm_start_type,
        tuning_job_config=tuning_job_config,
        training_job_limit=training_job_limit,
        other_history_events=fixed_history_events(rounds) + other_history_events,
        wait_mode=wait_mode,
        **warm_start_props,
    )
    rounds_found = rounds_problems(rounds, warm_start_type_value(warm_start_type))
    problems += rounds_found
    if rounds is not None and not rounds_found and wait_mode == "polling":
        problems += _rounds_budget_problems(rounds, warm_start_props["poll_settings"], other_history_events)
    return problems


def _rounds_budget_problems(rounds: WarmStartRounds, settings: Any, other_history_events: int) -> list[str]:
    """Which max_rounds would fit, when the rounds leave the parent wait too few events."""
    if settings.problems() or wait_budget(settings, fixed_history_events(rounds) + other_history_events).fits:
        return []
    fitting = [
        n
        for n in range(rounds.max_rounds - 1, 0, -1)
        if wait_budget(settings, fixed_history_events(replace(rounds, max_rounds=n)) + other_history_events).fits
    ]
    advice = f"at most {fitting[0]} fit with this parent wait" if fitting else "none fit with this parent wait"
    return [f"rounds.max_rounds {rounds.max_rounds}: each round adds history events to one execution; {advice}"]


class WarmStartTuning(sfn.StateMachineFragment):
    """The warm-start steps as a fragment, to embed in a larger workflow.

    ``prepare`` checks the execution input and decides the parents (the input's, a resumed
    job, the defaults, or the pipeline's own newest jobs; reported as ``selection``), the
    wait polls the parents until they are terminal, ``validate`` checks every warm-start
    rule against the parents as they are now and plans the final request, the create step
    runs the tuning job to its end (``.sync``) and the last state writes the result (see
    README, "Output"). With ``rounds``, a decision step after each job starts another
    round from it until the best objective stops improving.
    Every failure ends in a Fail state named after its error: ``WarmStartValidationError``,
    ``ParentTuningJobNotFound``, ``ParentWaitTimeout``, ``TuningJobFailed`` (the job ran
    and ended Failed or Stopped), ``TuningJobNotCreated`` (SageMaker refused the create
    call: its message is the cause).

    The output and the rounds decision never read the ``.sync`` output, whose shape AWS
    does not document (captured outputs carry the best training job's name only): once
    the job has ended, ``DescribeTuningJob`` describes it and everything is built from that.

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
        rounds: Optional[WarmStartRounds] = None,
        new_data_channels: Optional[Sequence[str]] = None,
        new_data_bucket: Optional[str] = None,
        new_data_prefix: Optional[str] = None,
        allowed_overrides: Optional[Sequence[str]] = None,
        allowed_input_locations: Optional[Sequence[str]] = None,
        allowed_parent_prefixes: Optional[Sequence[str]] = None,
        other_history_events: int = 0,
        state_name_prefix: str = "",
        wait_mode: str = "events",
        sweep_interval: Optional[Duration] = None,
    ) -> None:
        """
        :param warm_start_type: the default warm-start type; an execution may override it
            with ``warmStartType``.
        :param tuning_job_config: ``HyperParameterTuningJobConfig`` exactly as boto3's
            ``create_hyper_parameter_tuning_job`` takes it.
        :param training_job_definition: ``TrainingJobDefinition`` exactly as boto3 takes it.
            Its ``RoleArn`` may be left out when ``sagemaker_role`` is given.
        :param job_name_prefix: lowercase prefix of every job this pipeline creates (at most
            18 characters). The pipeline's name space is ``<prefix>-*``: its IAM, name checks,
            parent selection and resume are scoped to it, and no other pipeline of the app
            may claim an overlapping one. Names are ``<prefix>-<suffix>``, the suffix 13 to 30
            base-36 characters (at least 67 bits) of the SHA-256 of the run key.
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
        :param rounds: repeat warm-start rounds (see :class:`WarmStartRounds`): each round's
            job is the next round's only parent, until the best objective stops improving.
            Needs ``warm_start_type`` IdenticalDataAndAlgorithm. Default: one round.
        :param new_data_channels: the channels an execution input's ``newObject`` (the
            new-data trigger's) stands for: ``s3://<bucket>/<object's folder>/<channel>/``.
            Default: none (such an input is rejected).
        :param new_data_bucket: the bucket the new-data trigger watches; its ``newObject``
            URIs are allowed input locations by default. Default: none.
        :param new_data_prefix: the key prefix under which the new-data trigger's markers
            count (``""`` or ending in ``/``). Default: the whole bucket.
        :param allowed_overrides: the execution input fields a run may give (some of
            ``parents``, ``warmStartType``, ``tuningJobName``, ``inputData``,
            ``maxTrainingJobs``, ``maxParallelTrainingJobs``, ``staticHyperParameters``,
            ``resume``); any other is rejected as ``OVERRIDE_NOT_ALLOWED``. Default: all of them.
        :param allowed_input_locations: S3 locations (``s3://bucket/`` or
            ``s3://bucket/prefix/``) that ``inputData`` may point channels at; replaces the
            default, so it may widen or narrow it. Default: the buckets of the definition's
            channels and the new-data folder, ``s3://<new_data_bucket>/<new_data_prefix>``.
        :param allowed_parent_prefixes: name prefixes of the jobs a run may name as parents
            (besides the pipeline's own ``<prefix>-*``); the validator's IAM then describes
            only those. Default: none, any tuning job of the account and region.
        :param other_history_events: history events of the workflow around the fragment,
            counted into the 25,000-event budget of the parent wait: about 5 per Task state,
            2 per Pass, Choice or Wait state that an execution passes through outside the
            fragment (e.g. a Pass and three tasks around it: 2 + 3 * 5 = 17). The fragment
            counts its own states; a parent wait whose worst case would not fit is refused
            at synth. Default: 0.
        :param state_name_prefix: put before every state name of the fragment, so that
            several fragments can live in one state machine (state names are unique per
            state machine), e.g. ``"Churn-"``. At most 48 characters (Step Functions allows
            80 per name). Default: "" (the names as documented).
        :param wait_mode: how the parent wait (and the wait for a job that already exists)
            waits: ``"events"``, one ``.waitForTaskToken`` task completed from SageMaker's
            tuning-job state-change events (a rule and a sweep schedule shared by the stack;
            the same few history events for any wait, the end noticed within seconds), or
            ``"polling"``, the backed-off poll loop (no extra resources; its worst case must
            fit the 25,000 history events, checked at synth). Default: "events".
        :param sweep_interval: with ``"events"``: how often the stack's sweep looks at open
            waits again, so that a lost event costs at most this long. Default: 5 minutes.
        """
        super().__init__(scope, construct_id)
        durations = dict(parent_poll_interval=parent_poll_interval, parent_poll_max_interval=parent_poll_max_interval,
                         parent_wait_timeout=parent_wait_timeout)
        parent_poll_interval, parent_poll_max_interval, parent_wait_timeout = durations_or_none(*durations.values())
        raise_problems(
            type(self).__name__,
            duration_problems(**durations)
            + poll_props_problems(wait_mode, parent_poll_interval=parent_poll_interval,
                                  parent_poll_max_interval=parent_poll_max_interval,
                                  parent_poll_backoff_rate=parent_poll_backoff_rate)
            + state_name_prefix_problems(state_name_prefix)
            + fragment_problems(
                rounds=rounds,
                other_history_events=other_history_events,
                new_data_channels=new_data_channels,
                new_data_bucket=new_data_bucket,
                allowed_overrides=allowed_overrides,
                allowed_input_locations=allowed_input_locations,
                allowed_parent_prefixes=allowed_parent_prefixes,
                wait_mode=wait_mode,
                sweep_interval=sweep_interval,
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
            ),
        )
        claim_name_space(self, job_name_prefix)
        self.rounds = rounds
        self.history_events = fixed_history_events(rounds) + other_history_events
        if sagemaker_role is None:
            sagemaker_role = iam.Role.from_role_arn(
                self, "SageMakerRole", training_job_definition["RoleArn"], mutable=False
            )
        request = static_request(
            tuning_job_config, definition_with_role(training_job_definition, sagemaker_role.role_arn), tags
        )
        wst = warm_start_type_value(warm_start_type)
        self.validator = validator or WarmStartValidator.of(self)
        self.validator.allow_pipeline(job_name_prefix, allowed_parent_prefixes)
        # Where each run notes its jobs before creating them: see clean_up_after.
        self.run_table = RunTable.of(self)
        self.run_table.grant_leases(self.validator.function)
        self.sagemaker_role = sagemaker_role
        self.job_name_prefix = job_name_prefix
        register_template_size_check(self)  # synth fails when the stack's template passes 1 MB
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

        def validation_failed(state_id: str) -> sfn.Fail:
            return sfn.Fail(self, state_id, error=VALIDATION_ERROR, cause_path="$.error.Cause")

        prepare = self._lambda_step(
            "PrepareRun",
            "Check the execution input and apply the defaults before anything waits",
            {
                "action": "prepare",
                "input": sfn.JsonPath.object_at("$.input"),
                # The run key is the execution name unless a trigger wrote the event's identity.
                "executionName": sfn.JsonPath.execution_name,
                "defaults": {"parents": list(parents or []), "warmStartType": wst},
                "request": request,
                "settings": settings,
            },
            # selection: how the parents were chosen (input, defaults, automatic, resume) and why;
            # request: the static request, handed on so that the template holds it once;
            # runKey: the job's owner and name seed (a duplicated trigger event: the same).
            result_fields=("parents", "warmStartType", "overrides", "selection", "request", "runKey"),
            result_path="$.run",
            # The rejection replaces the state (error_path "$"): beside an input near 256 KiB
            # it would make the state itself too big (States.DataLimitExceeded, uncatchable).
            rejected=sfn.Fail(self, "InvalidRunInput", error=VALIDATION_ERROR, cause_path="$.Cause"),
            error_path="$",
        )

        self.wait = WaitForTuningJobs(
            self,
            "WaitForParents",
            jobs="$.run.parents",
            initial_interval=parent_poll_interval,
            max_interval=parent_poll_max_interval,
            backoff_rate=parent_poll_backoff_rate,
            timeout=parent_wait_timeout,
            poller=self.validator.function,
            other_history_events=self.history_events,
            mode=wait_mode,
            sweep_interval=sweep_interval,
        )

        validate = self._lambda_step(
            "ValidateWarmStart",
            "Describe the parents, check every warm-start rule, plan the final request",
            {
                "parents": sfn.JsonPath.list_at("$.run.parents"),
                "warmStartType": sfn.JsonPath.string_at("$.run.warmStartType"),
                "request": sfn.JsonPath.object_at("$.run.request"),
                "overrides": sfn.JsonPath.object_at("$.run.overrides"),
                # The job's run-key tag: a create that finds its name taken attaches only
                # to a job with this run's key.
                "runKey": sfn.JsonPath.string_at(RUN_KEY_PATH),
                # The job name's seed: the run key; rounds name each round's job after
                # "<run key>/round-<n>".
                "executionName": (
                    sfn.JsonPath.string_at(f"{ROUND_STATE_PATH}.executionName")
                    if rounds is not None
                    else sfn.JsonPath.string_at(RUN_KEY_PATH)
                ),
                "settings": settings,
                # Noted before the job exists, so that an abort or a timeout can stop it.
                "runRecord": {"table": self.run_table.table_name, "executionArn": sfn.JsonPath.execution_id},
            },
            result_fields=("request", "report"),
            result_path="$.validation",
            rejected=validation_failed(VALIDATION_ERROR),
        )

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
            # Only the end of the job matters here: DescribeTuningJob reads it.
            result_path=sfn.JsonPath.DISCARD,
        )
        failed = self._job_failure(TUNING_JOB_FAILED_ERROR, with_rounds=rounds is not None)
        not_created = self._job_failure(TUNING_JOB_NOT_CREATED_ERROR, with_rounds=rounds is not None)
        describe_finished = describe_tuning_job(
            self,
            "DescribeTuningJob",
            job_name_path=JOB_NAME_PATH,
            job_name_prefix=job_name_prefix,
            comment="The finished job as SageMaker describes it: the output is built from this",
        )
        describe_finished.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        # Retry what may pass: the deterministic job name makes a retry that follows an
        # accepted first attempt end in "already exists", which attaches to that job.
        self.create_task.add_retry(
            errors=RETRYABLE_CREATE_ERRORS, interval=Duration.seconds(10), backoff_rate=2, max_attempts=2
        )

        common = {
            "tuningJobName": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobName"),
            "tuningJobArn": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobArn"),
            "status": sfn.JsonPath.string_at("$.tuningJob.HyperParameterTuningJobStatus"),
            "bestTrainingJob": sfn.JsonPath.object_at("$.tuningJob.BestTrainingJob"),
            "parents": sfn.JsonPath.list_at("$.run.parents"),
            "warmStartType": sfn.JsonPath.string_at("$.run.warmStartType"),
            "validation": sfn.JsonPath.object_at("$.validation.report"),
            "selection": sfn.JsonPath.object_at("$.run.selection"),
            **(rounds_output() if rounds is not None else {}),
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
        # Without rounds a finished job goes to the result; with them, to the decision
        # whether another round is worth it.
        job_done: sfn.IChainable = result
        first_validation: sfn.IChainable = validate
        if rounds is not None:
            decide = decide_next_round(
                self,
                function=self.validator.function,
                rounds=rounds,
                training_job_limit=training_job_limit,
                rejected=validation_failed("InvalidRoundDecision"),
            )
            job_done = decide
            decide.next(another_round(self, next_round_start=next_round(self, validate), done=result))
            first_validation = start_rounds(self).next(validate)
        self.create_task.add_catch(
            attach_to_existing_job(
                self,
                poller=self.validator.function,
                job_name_prefix=job_name_prefix,
                # Not "already exists": SageMaker refused the call, no job ran.
                failed=not_created,
                done=job_done,
                poll=ROUNDS_EXISTING_JOB_POLL if rounds is not None else EXISTING_JOB_POLL,
                wait_mode=wait_mode,
                sweep_interval=sweep_interval,
            ),
            errors=CREATE_ERRORS,
            result_path="$.error",
        )
        self.create_task.add_catch(not_created, errors=NOT_CREATED_ERRORS, result_path="$.error")
        # The job ran and ended Failed or Stopped (States.TaskFailed), or timed out.
        self.create_task.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        # The input may be any JSON (a string, a list, null): wrapped in an object, the
        # prepare step can judge it and its Catch can still add the error beside it.
        read_input = sfn.Pass(
            self,
            "ReadRunInput",
            comment="Keep the input, whatever its shape, for the prepare step to judge",
            parameters={"input": sfn.JsonPath.object_at("$")},
        )
        self._start = read_input
        read_input.next(prepare).next(self.wait).next(first_validation)
        validate.next(self.create_task).next(describe_finished).next(job_done)
        self._ends = [with_overall, without_overall]
        if state_name_prefix:
            self.prefix_states(state_name_prefix)

    def clean_up_after(self, state_machine: sfn.IStateMachine) -> None:
        """Stop this fragment's tuning jobs when an execution of ``state_machine`` (the one
        that embeds the fragment) is aborted, times out or fails, on every path that has a
        job in flight: the ``.sync`` create (an execution's timeout does not stop it), the
        attach path, rounds. A rule on the state machine's "Step Functions Execution
        Status Change" events invokes the validator (``runEnded``), which stops only jobs
        that carry the ended run's key. ``WarmStartTuningPipeline`` calls it; call it once
        per state machine. Without it, the run records expire after a year (TTL)."""
        if self.node.try_find_child("RunCleanup") is not None:
            return
        add_run_cleanup(self, "RunCleanup", state_machine=state_machine, function=self.validator.function,
                        table_name=self.run_table.table_name)

    def _job_failure(self, error: str, *, with_rounds: bool) -> sfn.IChainable:
        """The Fail state of a job that failed or was not created. With rounds, the cause
        is ``{"error": {"Error", "Cause"}, "completedRounds": [...]}``: every completed
        round's result (job, best training job and objective) survives the failure."""
        if not with_rounds:
            return sfn.Fail(self, error, error=error, cause_path="$.error.Cause")
        collect = sfn.Pass(
            self,
            f"{error}AfterRounds",
            comment="Keep the completed rounds' results in the cause of the failure",
            parameters={
                "error": sfn.JsonPath.object_at("$.error"),
                "completedRounds": sfn.JsonPath.list_at(f"{ROUND_STATE_PATH}.rounds"),
            },
            result_path=ROUND_FAILURE_PATH,
        )
        collect.next(
            sfn.Fail(
                self,
                error,
                error=error,
                cause_path=sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(ROUND_FAILURE_PATH)),
            )
        )
        return collect

    def _lambda_step(
        self,
        state_id: str,
        comment: str,
        payload: dict,
        *,
        result_fields: Sequence[str],
        result_path: str,
        rejected: sfn.IChainable,
        error_path: str = "$.error",
    ) -> tasks.LambdaInvoke:
        return invoke_validator(
            self,
            state_id,
            function=self.validator.function,
            comment=comment,
            payload=payload,
            result_fields=result_fields,
            result_path=result_path,
            rejected=rejected,
            error_path=error_path,
        )

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return self._ends
