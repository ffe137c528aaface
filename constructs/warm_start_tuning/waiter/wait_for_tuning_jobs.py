"""WaitForTuningJobs: wait until 1 to 5 tuning jobs are Completed, Stopped or Failed."""

from __future__ import annotations

from typing import Optional, Sequence, Union

from aws_cdk import Duration, Token
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..rules import MAX_PARENTS, PollSettings, check_job_name
from ..validator import WarmStartValidator
from ..validator.invoke import (
    LAMBDA_SERVICE_ERRORS,
    VALIDATION_ERROR_NAME,
    VALIDATOR_FAILED_ERROR,
    VALIDATOR_FAILURE_ERRORS,
    invoke_validator,
)
from .history_budget import (
    HISTORY_EVENT_LIMIT,
    WaitBudget,
    longest_fitting_timeout_seconds,
    smallest_fitting_max_interval_seconds,
    wait_budget,
)

# What the poll step keeps of the handler's answer (the poll contract).
POLL_RESULT_FIELDS = ("iteration", "waitedSeconds", "allTerminal", "missing", "statuses", "nextWaitSeconds", "timedOut")

# The event wait's task: entered, scheduled, started, submitted, succeeded, exited.
EVENT_WAIT_EVENTS = 6
NOT_FOUND_ERROR = "ParentTuningJobNotFound"
TIMEOUT_ERROR = "ParentWaitTimeout"
VALIDATION_ERROR = "WarmStartValidationError"


class WaitForTuningJobs(sfn.StateMachineFragment):
    """Waits until every listed tuning job is terminal (Completed, Stopped or Failed).

    One Lambda call per poll iteration describes all the jobs, however many, so the
    history grows by 9 events per iteration. The interval backs off from
    ``initial_interval`` by ``backoff_rate`` up to ``max_interval``. Ends in a Fail state
    ``ParentTuningJobNotFound`` when a job does not exist, ``ParentWaitTimeout`` when the
    jobs are still running after ``timeout``, ``WarmStartValidationError`` when the job
    list itself is malformed.

    The configuration is refused at synth time when the worst case (all jobs running until
    the timeout) could pass Step Functions' 25,000 history events; the error says which
    props to change.

    The poll results are written to ``result_path`` as ``{"iteration", "waitedSeconds",
    "allTerminal", "missing", "statuses", "nextWaitSeconds", "timedOut"}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        jobs: Union[Sequence[str], str],
        initial_interval: Optional[Duration] = None,
        max_interval: Optional[Duration] = None,
        backoff_rate: float = 2.0,
        timeout: Optional[Duration] = None,
        result_path: str = "$.parentWait",
        poller: Optional[lambda_.IFunction] = None,
        other_history_events: int = 0,
        not_found_error: str = NOT_FOUND_ERROR,
        timeout_error: str = TIMEOUT_ERROR,
        mode: str = "polling",
        sweep_interval: Optional[Duration] = None,
    ) -> None:
        """
        :param jobs: the tuning job names, as a list of literals or a JSONPath to a list in
            the state input (e.g. ``"$.parents"``).
        :param initial_interval: wait after the first poll. Default: 1 minute.
        :param max_interval: the cap of the backed-off interval. Default: 30 minutes.
        :param backoff_rate: factor applied to the interval after each poll (>= 1).
            Default: 2.
        :param timeout: how long to wait in all before ``ParentWaitTimeout``. Default: 7 days.
        :param result_path: where the poll results go in the state. Default: ``$.parentWait``.
        :param poller: the Lambda that describes the jobs. Default: the stack's
            :class:`WarmStartValidator`.
        :param other_history_events: events the surrounding workflow writes besides the
            wait, counted into the 25,000 budget. Default: 0.
        :param not_found_error: error name of the Fail state for a missing job.
            Default: ``ParentTuningJobNotFound``.
        :param timeout_error: error name of the Fail state for the timeout.
            Default: ``ParentWaitTimeout``.
        :param mode: ``"polling"`` (the loop above) or ``"events"``: one
            ``.waitForTaskToken`` task whose token the validator completes when SageMaker's
            state-change events (or the stack's sweep) find every job terminal; the same
            few history events for any wait up to the state machine's timeout, the end
            noticed within seconds. The interval props do not apply. Default: "polling".
        :param sweep_interval: with ``"events"``: how often the stack's sweep looks at open
            waits again (a lost event costs at most this; the timeout is enforced at this
            granularity). Default: 5 minutes.
        """
        super().__init__(scope, construct_id)
        from ..runs.event_waits import DEFAULT_SWEEP_INTERVAL, wait_mode_problems

        mode_problems = wait_mode_problems(mode, sweep_interval)
        if mode_problems:
            raise ValueError("WaitForTuningJobs: " + "; ".join(mode_problems))
        self.mode = mode
        self.settings = poll_settings(initial_interval, max_interval, backoff_rate, timeout)
        _check_props(jobs, self.settings, result_path, other_history_events, polling=mode == "polling")
        self.budget = wait_budget(self.settings, other_history_events) if mode == "polling" else WaitBudget(
            iterations=1, events=EVENT_WAIT_EVENTS, available=HISTORY_EVENT_LIMIT - other_history_events)

        if poller is None:
            validator = WarmStartValidator.of(self)
            validator.allow_describe_any()  # the jobs are named per execution
            poller = validator.function
        function = poller
        jobs_field = sfn.JsonPath.list_at(jobs) if isinstance(jobs, str) else list(jobs)
        if mode == "events":
            self._build_event_wait(function, jobs_field, result_path, not_found_error, timeout_error,
                                   sweep_interval or DEFAULT_SWEEP_INTERVAL)
            return

        start = sfn.Pass(
            self,
            "StartParentWait",
            comment="Poll state: no iteration yet, nothing waited",
            result=sfn.Result.from_object({"iteration": 0, "waitedSeconds": 0}),
            result_path=result_path,
        )
        invalid = sfn.Fail(
            self,
            "InvalidTuningJobList",
            error=VALIDATION_ERROR,
            cause_path="$.error.Cause",
        )
        poll = invoke_validator(
            self,
            "PollParentJobs",
            function=function,
            comment="Describe every job in one call; compute the next backed-off wait",
            payload={
                "action": "poll",
                "jobs": jobs_field,
                "poll": {
                    "iteration": sfn.JsonPath.number_at(f"{result_path}.iteration"),
                    "waitedSeconds": sfn.JsonPath.number_at(f"{result_path}.waitedSeconds"),
                },
                "settings": self.settings.to_event(),
            },
            result_fields=POLL_RESULT_FIELDS,
            result_path=result_path,
            rejected=invalid,
        )

        not_found = sfn.Fail(
            self,
            not_found_error,
            error=not_found_error,
            cause_path=sfn.JsonPath.format(
                "Tuning job(s) not found or being deleted: {}",
                sfn.JsonPath.json_to_string(sfn.JsonPath.list_at(f"{result_path}.missing")),
            ),
        )
        timed_out = sfn.Fail(
            self,
            # State names must differ even when both errors have one name.
            timeout_error if timeout_error != not_found_error else f"{timeout_error}Timeout",
            error=timeout_error,
            cause_path=sfn.JsonPath.format(
                "Tuning job(s) not terminal after {} seconds: {}",
                sfn.JsonPath.json_to_string(sfn.JsonPath.number_at(f"{result_path}.waitedSeconds")),
                sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(f"{result_path}.statuses")),
            ),
        )
        self._done = sfn.Pass(self, "ParentJobsTerminal", comment="Every job is Completed, Stopped or Failed")
        wait = sfn.Wait(
            self,
            "WaitBeforeNextPoll",
            time=sfn.WaitTime.seconds_path(f"{result_path}.nextWaitSeconds"),
        )
        decide = (
            sfn.Choice(self, "AllParentJobsTerminal?")
            .when(sfn.Condition.is_present(f"{result_path}.missing[0]"), not_found)
            .when(sfn.Condition.boolean_equals(f"{result_path}.allTerminal", True), self._done)
            .when(sfn.Condition.boolean_equals(f"{result_path}.timedOut", True), timed_out)
            .otherwise(wait.next(poll))
        )
        start.next(poll).next(decide)
        self._start = start

    def _build_event_wait(self, function: lambda_.IFunction, jobs_field: object, result_path: str,
                          not_found_error: str, timeout_error: str, sweep_interval: Duration) -> None:
        from ..runs.event_waits import EventWaits

        infrastructure = EventWaits.of(self, function)
        infrastructure.ask_for_interval(sweep_interval)
        # A backstop: the sweep ends an overdue wait within one interval; should it not,
        # Step Functions ends the task a little later (States.Timeout, the same error).
        backstop = self.settings.timeout_seconds + 2 * int(sweep_interval.to_seconds()) + 600
        wait = tasks.LambdaInvoke(
            self,
            "AwaitJobsTerminal",
            comment="Register this wait, then look at the jobs; the validator completes the token when "
            "SageMaker's events (or the sweep) find them all terminal",
            lambda_function=function,
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object({
                "action": "registerWait",
                "table": infrastructure.table.table_name,
                "token": sfn.JsonPath.task_token,
                "jobs": jobs_field,
                "executionArn": sfn.JsonPath.execution_id,
                # The deadline runs from the moment Step Functions entered the state.
                "now": sfn.JsonPath.string_at("$$.State.EnteredTime"),
                "timeoutSeconds": self.settings.timeout_seconds,
                "errors": {"notFound": not_found_error, "timeout": timeout_error},
            }),
            result_path=result_path,
            task_timeout=sfn.Timeout.duration(Duration.seconds(backstop)),
            retry_on_service_exceptions=False,
        )
        wait.add_retry(errors=LAMBDA_SERVICE_ERRORS, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
        not_found = sfn.Fail(self, not_found_error, error=not_found_error, cause_path="$.error.Cause")
        timed_out = not_found if timeout_error == not_found_error else sfn.Fail(
            self, timeout_error, error=timeout_error, cause_path="$.error.Cause")
        wait.add_catch(not_found, errors=[not_found_error], result_path="$.error")
        wait.add_catch(timed_out, errors=[timeout_error, "States.Timeout"], result_path="$.error")
        wait.add_catch(sfn.Fail(self, "InvalidTuningJobList", error=VALIDATION_ERROR, cause_path="$.error.Cause"),
                       errors=[VALIDATION_ERROR_NAME], result_path="$.error")
        wait.add_catch(sfn.Fail(self, "AwaitJobsTerminalFailed", error=VALIDATOR_FAILED_ERROR,
                                cause_path="$.error.Cause"),
                       errors=VALIDATOR_FAILURE_ERRORS, result_path="$.error")
        # The task is the fragment's end: its success means every job is terminal.
        self._done = wait
        self._start = wait

    @property
    def start_state(self) -> sfn.State:
        return self._start

    @property
    def end_states(self) -> list[sfn.INextable]:
        return [self._done]


def poll_settings(
    initial_interval: Optional[Duration],
    max_interval: Optional[Duration],
    backoff_rate: float,
    timeout: Optional[Duration],
) -> PollSettings:
    """The poll schedule of the duration props, with this construct's defaults."""
    return PollSettings(
        initial_interval_seconds=int((initial_interval or Duration.minutes(1)).to_seconds()),
        max_interval_seconds=int((max_interval or Duration.minutes(30)).to_seconds()),
        backoff_rate=backoff_rate,
        timeout_seconds=int((timeout or Duration.days(7)).to_seconds()),
    )


def wait_problems(
    settings: PollSettings,
    other_events: int,
    *,
    timeout_prop: str = "timeout",
    max_interval_prop: str = "max_interval",
) -> list[str]:
    """Problems of the poll schedule: invalid settings, or a worst case over the budget.

    The ``*_prop`` names are how the caller's props are called in the message (the
    pipeline calls them ``parent_wait_timeout`` and ``parent_poll_max_interval``).
    """
    problems = settings.problems()
    if isinstance(other_events, bool) or not isinstance(other_events, int) or other_events < 0:
        problems.append(f"other_history_events must be an int >= 0, got {other_events!r}")
    if problems:
        return problems  # the budget of invalid settings means nothing
    budget = wait_budget(settings, other_events)
    if budget.fits:
        return []
    return [_budget_message(settings, budget, other_events, timeout_prop, max_interval_prop)]


def _check_props(jobs: object, settings: PollSettings, result_path: str, other_events: int, *,
                 polling: bool = True) -> None:
    """Collect every prop problem into one error (tokens and JSONPaths skipped)."""
    problems: list[str] = []
    if isinstance(jobs, str):
        if not Token.is_unresolved(jobs) and not jobs.startswith("$"):
            problems.append(f"jobs must be a list of job names or a JSONPath like '$.parents', got {jobs!r}")
    elif isinstance(jobs, (list, tuple)):
        if not 1 <= len(jobs) <= MAX_PARENTS:
            problems.append(f"jobs must name 1 to {MAX_PARENTS} tuning jobs, got {len(jobs)}")
        if len(set(map(str, jobs))) != len(jobs):
            problems.append(f"jobs must not repeat a name, got {list(jobs)!r}")
        for name in jobs:
            if not (isinstance(name, str) and Token.is_unresolved(name)):
                problems.extend(f"jobs: {problem}" for problem in check_job_name(name))
    else:
        problems.append(f"jobs must be a list of job names or a JSONPath string, got {type(jobs).__name__}")
    if not (isinstance(result_path, str) and result_path.startswith("$")):
        problems.append(f"result_path must be a JSONPath starting with '$', got {result_path!r}")
    # The history budget is the poll loop's: an event wait costs EVENT_WAIT_EVENTS, however long.
    problems.extend(wait_problems(settings, other_events) if polling else settings.problems())
    if problems:
        raise ValueError("WaitForTuningJobs: " + "; ".join(problems))


def _budget_message(
    settings: PollSettings, budget: WaitBudget, other_events: int, timeout_prop: str, max_interval_prop: str
) -> str:
    longest = longest_fitting_timeout_seconds(settings, other_events)
    cap = smallest_fitting_max_interval_seconds(settings, other_events)
    fixes = []
    # A timeout below 1 s is no fix: then only fewer surrounding events can help.
    if longest >= 1:
        fixes.append(f"lower {timeout_prop} to at most {longest} seconds ({longest / 86400:.1f} days)")
    if cap is not None:
        fixes.append(f"raise {max_interval_prop} to at least {cap} seconds")
    if len(fixes) == 2:
        advice = f"Either {fixes[0]} or {fixes[1]}."
    elif fixes:
        advice = f"{fixes[0][0].upper()}{fixes[0][1:]}."
    else:
        advice = f"No poll schedule fits: lower other_history_events ({other_events})."
    return (
        f"waiting up to {settings.timeout_seconds} seconds with polls every "
        f"{settings.initial_interval_seconds}..{settings.max_interval_seconds} seconds takes up to "
        f"{budget.iterations} polls = {budget.events} history events, more than the {budget.available} "
        f"available (Step Functions stops a Standard workflow at {HISTORY_EVENT_LIMIT}). {advice}"
    )
