"""WaitForTuningJobs: the history-event budget (no synth), prop errors, the rendered states.

The budget tests recompute the schedule here, independently of the library: a loop that
polls, waits min(cap, round(initial * rate ** i)) and stops at the first poll whose
accumulated waits reach the timeout, and the events AWS writes for each state.
"""

from __future__ import annotations

from warm_start_tuning.validator.invoke import VALIDATOR_FAILURE_ERRORS

import dataclasses
import re

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from cdk_helpers import new_app, state_machine_definition
from snapshot import assert_matches_snapshot
from warm_start_tuning import WaitForTuningJobs
from warm_start_tuning.rules import PollSettings
from warm_start_tuning.waiter.history_budget import (
    longest_fitting_timeout_seconds,
    smallest_fitting_max_interval_seconds,
    wait_budget,
)

DAY = 86_400
FIVE_PARENTS = ["imgcls-parent-1", "imgcls-parent-2", "imgcls-parent-3", "imgcls-parent-4", "imgcls-parent-5"]
POLLER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:poller"

# Step Functions' own figures: a Standard execution stops at 25,000 history events, and
# the budget keeps 1,000 of them for retries and the surrounding workflow.
HISTORY_LIMIT = 25_000
RESERVED = 1_000
# Events AWS writes per state: Lambda task = Entered, Scheduled, Started, Succeeded,
# Exited; Pass, Choice, Wait = Entered, Exited; the final Fail state = Entered.
TASK, CHOICE, WAIT, PASS, FAIL_ENTERED = 5, 2, 2, 2, 1


def simulated_polls(initial: int, cap: int, rate: float, timeout: int) -> int:
    """Poll runs of a wait whose jobs never finish: poll, give up once waits reach the
    timeout, otherwise wait the backed-off interval and poll again."""
    polls = waited = 0
    wait = 0
    while True:
        polls += 1
        if waited >= timeout:
            return polls
        # Once at the cap, the wait stays there (and rate ** i would overflow one day).
        wait = cap if wait == cap else min(cap, round(initial * rate ** (polls - 1)))
        waited += wait


def expected_events(polls: int) -> int:
    """Init Pass, then every poll (task + choice) and every wait but the last, then Fail."""
    return PASS + polls * (TASK + CHOICE) + (polls - 1) * WAIT + FAIL_ENTERED


def fits(settings: PollSettings, other_events: int = 0) -> bool:
    polls = simulated_polls(
        settings.initial_interval_seconds, settings.max_interval_seconds, settings.backoff_rate, settings.timeout_seconds
    )
    return expected_events(polls) <= HISTORY_LIMIT - RESERVED - other_events


@pytest.fixture
def stack() -> Stack:
    """A fresh stack per test: a refused construct stays in its scope."""
    return Stack(new_app(), "WaiterTest")


def make(stack: Stack, construct_id: str = "Wait", **props) -> WaitForTuningJobs:
    props.setdefault("jobs", ["imgcls-parent-1"])
    # An imported poller: these tests need no validator Lambda (and no asset staging).
    props.setdefault("poller", lambda_.Function.from_function_arn(stack, f"{construct_id}Poller", POLLER_ARN))
    return WaitForTuningJobs(stack, construct_id, **props)


# --- the budget ---------------------------------------------------------------------------


def test_thirty_days_on_five_parents_fits_with_the_default_schedule(stack):
    wait = make(stack, jobs=FIVE_PARENTS, timeout=Duration.days(30))

    assert wait.settings == PollSettings(
        initial_interval_seconds=60, max_interval_seconds=1800, backoff_rate=2.0, timeout_seconds=30 * DAY
    )
    polls = simulated_polls(60, 1800, 2.0, 30 * DAY)
    # Waits 60, 120, 240, 480, 960 (1,860 s), then 1,800 s each: 1,439 more reach 30 days.
    assert polls == 5 + 1439 + 1
    assert wait.budget.iterations == polls
    assert wait.budget.events == expected_events(polls) == 13_006
    assert wait.budget.available == HISTORY_LIMIT - RESERVED
    assert wait.budget.fits


def test_the_budget_does_not_depend_on_the_number_of_jobs(stack):
    # One Lambda call describes every job: five parents cost what one costs.
    one = make(stack, "One", jobs=["imgcls-parent-1"], timeout=Duration.days(30))
    five = make(stack, "Five", jobs=FIVE_PARENTS, timeout=Duration.days(30))
    assert one.budget == five.budget


def test_other_history_events_are_taken_from_the_budget(stack):
    wait = make(stack, timeout=Duration.days(30), other_history_events=500)
    assert wait.budget.available == HISTORY_LIMIT - RESERVED - 500


@pytest.mark.parametrize(
    "initial,cap,rate,timeout",
    [(60, 1800, 2.0, 7 * DAY), (30, 600, 1.5, 3 * DAY), (60, 60, 1.0, DAY), (1, 3600, 3.0, 90 * DAY)],
)
def test_budget_matches_an_independent_simulation(initial, cap, rate, timeout):
    settings = PollSettings(
        initial_interval_seconds=initial, max_interval_seconds=cap, backoff_rate=rate, timeout_seconds=timeout
    )
    polls = simulated_polls(initial, cap, rate, timeout)
    budget = wait_budget(settings)
    assert (budget.iterations, budget.events) == (polls, expected_events(polls))
    assert budget.fits == fits(settings)


def test_thirty_days_polled_every_minute_is_refused_with_fitting_values(stack):
    with pytest.raises(ValueError) as error:
        make(stack, "Refused", timeout=Duration.days(30), max_interval=Duration.minutes(1))
    message = str(error.value)

    polls = simulated_polls(60, 60, 2.0, 30 * DAY)
    assert polls == 30 * 24 * 60 + 1
    assert message.startswith("WaitForTuningJobs: ")
    assert f"{polls} polls = {expected_events(polls)} history events" in message
    assert "more than the 24000 available" in message
    timeout = int(re.search(r"lower timeout to at most (\d+) seconds", message).group(1))
    cap = int(re.search(r"raise max_interval to at least (\d+) seconds", message).group(1))

    settings = PollSettings(max_interval_seconds=60, timeout_seconds=30 * DAY)
    assert timeout == longest_fitting_timeout_seconds(settings)
    assert cap == smallest_fitting_max_interval_seconds(settings)
    # The suggestions really fit: each one alone makes the construct acceptable.
    shorter = make(stack, "ShorterTimeout", timeout=Duration.seconds(timeout), max_interval=Duration.minutes(1))
    assert shorter.budget.fits and fits(shorter.settings)
    longer = make(stack, "LongerInterval", timeout=Duration.days(30), max_interval=Duration.seconds(cap))
    assert longer.budget.fits and fits(longer.settings)


# Settings that do not fit as they are, with and without surrounding events.
TIGHTNESS_CASES = [
    (PollSettings(max_interval_seconds=60, timeout_seconds=30 * DAY), 0),
    (PollSettings(max_interval_seconds=60, timeout_seconds=30 * DAY), 5_000),
    (PollSettings(initial_interval_seconds=30, max_interval_seconds=300, backoff_rate=1.5, timeout_seconds=60 * DAY), 0),
    (PollSettings(initial_interval_seconds=10, max_interval_seconds=120, backoff_rate=3.0, timeout_seconds=20 * DAY), 26),
]


@pytest.mark.parametrize("settings,other_events", TIGHTNESS_CASES)
def test_longest_fitting_timeout_is_tight(settings, other_events):
    assert not fits(settings, other_events)
    longest = longest_fitting_timeout_seconds(settings, other_events)
    assert fits(dataclasses.replace(settings, timeout_seconds=longest), other_events)
    assert wait_budget(dataclasses.replace(settings, timeout_seconds=longest), other_events).fits
    assert not fits(dataclasses.replace(settings, timeout_seconds=longest + 1), other_events)
    assert not wait_budget(dataclasses.replace(settings, timeout_seconds=longest + 1), other_events).fits


@pytest.mark.parametrize("settings,other_events", TIGHTNESS_CASES)
def test_smallest_fitting_max_interval_is_tight(settings, other_events):
    cap = smallest_fitting_max_interval_seconds(settings, other_events)
    assert cap is not None and cap > settings.max_interval_seconds
    assert fits(dataclasses.replace(settings, max_interval_seconds=cap), other_events)
    assert wait_budget(dataclasses.replace(settings, max_interval_seconds=cap), other_events).fits
    assert not fits(dataclasses.replace(settings, max_interval_seconds=cap - 1), other_events)
    assert not wait_budget(dataclasses.replace(settings, max_interval_seconds=cap - 1), other_events).fits


def test_refusal_without_any_fitting_timeout_says_what_to_lower(stack):
    # 23,995 surrounding events leave 5: not even one poll and its Fail state fit.
    with pytest.raises(ValueError, match=r"No poll schedule fits: lower other_history_events \(23995\)"):
        make(stack, other_history_events=23_995)


# --- prop errors, one per prop --------------------------------------------------------------

BAD_PROPS = {
    "jobs empty": ({"jobs": []}, "jobs must name 1 to 5 tuning jobs, got 0"),
    "six jobs": ({"jobs": [f"parent-{i}" for i in range(6)]}, "jobs must name 1 to 5 tuning jobs, got 6"),
    "duplicate job": ({"jobs": ["parent-1", "parent-1"]}, "jobs must not repeat a name, got ['parent-1', 'parent-1']"),
    "invalid job name": ({"jobs": ["parent_1"]}, "jobs: 'parent_1' does not match"),
    "job name too long": ({"jobs": ["p" * 33]}, "jobs: expected 1 to 32 characters, got 33"),
    "jobs not a JSONPath": ({"jobs": "parents"}, "jobs must be a list of job names or a JSONPath like '$.parents', got 'parents'"),
    "jobs of another type": ({"jobs": 5}, "jobs must be a list of job names or a JSONPath string, got int"),
    "result_path not a JSONPath": ({"result_path": "parentWait"}, "result_path must be a JSONPath starting with '$', got 'parentWait'"),
    "backoff_rate below 1": ({"backoff_rate": 0.5}, "backoff_rate must be a finite number >= 1"),
    "max_interval below initial_interval": (
        {"initial_interval": Duration.minutes(2), "max_interval": Duration.minutes(1)},
        "max_interval_seconds (60) must be >= initial_interval_seconds (120)",
    ),
    "timeout over a year": ({"timeout": Duration.days(366)}, "timeout_seconds must be an integer from 1 to 31536000"),
    "negative other_history_events": ({"other_history_events": -1}, "other_history_events must be an int >= 0, got -1"),
}


@pytest.mark.parametrize("props,expected", BAD_PROPS.values(), ids=BAD_PROPS.keys())
def test_bad_prop_is_refused_at_construction(stack, props, expected):
    with pytest.raises(ValueError) as error:
        make(stack, **props)
    assert str(error.value).startswith("WaitForTuningJobs: ")
    assert expected in str(error.value)


def test_every_problem_is_reported_in_one_error(stack):
    with pytest.raises(ValueError) as error:
        make(
            stack,
            jobs=["parent-1", "parent-1", "Bad_Name"],
            backoff_rate=0.5,
            timeout=Duration.days(400),
            result_path="wait",
        )
    message = str(error.value)
    for expected in (
        "jobs must not repeat a name",
        "jobs: 'Bad_Name' does not match",
        "backoff_rate must be a finite number >= 1",
        "timeout_seconds must be an integer from 1 to 31536000",
        "result_path must be a JSONPath starting with '$'",
    ):
        assert expected in message


def test_the_budget_is_reported_with_the_other_problems(stack):
    with pytest.raises(ValueError) as error:
        make(stack, jobs=[], timeout=Duration.days(30), max_interval=Duration.minutes(1))
    assert "jobs must name 1 to 5 tuning jobs, got 0" in str(error.value)
    assert "lower timeout to at most" in str(error.value)


def test_jsonpath_and_token_jobs_are_accepted(stack):
    make(stack, "FromInput", jobs="$.parents")
    # A name known at deploy time only (a parameter): not checked at synth time.
    parent = CfnParameter(stack, "ParentJob", type="String").value_as_string
    make(stack, "WithToken", jobs=[parent, "imgcls-parent-2"])


# --- the rendered states (one synth) --------------------------------------------------------


@pytest.fixture(scope="module")
def synthesized():
    app = new_app()
    stack = Stack(app, "WaitForTuningJobsStack")
    wait = WaitForTuningJobs(
        stack,
        "WaitForJobs",
        jobs=["imgcls-parent-1", "imgcls-parent-2"],
        initial_interval=Duration.minutes(2),
        max_interval=Duration.minutes(15),
        backoff_rate=1.5,
        timeout=Duration.days(14),
        result_path="$.wait",
    )
    sfn.StateMachine(
        stack,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(wait.next(sfn.Succeed(stack, "Done"))),
    )
    template = Template.from_stack(stack)
    return template, state_machine_definition(template, "StateMachine")


@pytest.fixture(scope="module")
def states(synthesized) -> dict:
    return synthesized[1]["States"]


def test_starts_with_a_pass_that_initialises_the_poll_state(synthesized, states):
    assert synthesized[1]["StartAt"] == "StartParentWait"
    start = states["StartParentWait"]
    assert start["Type"] == "Pass"
    assert start["Result"] == {"iteration": 0, "waitedSeconds": 0}
    assert start["ResultPath"] == "$.wait"
    assert start["Next"] == "PollParentJobs"


def test_poll_invokes_the_validator_with_jobs_poll_state_and_settings(states):
    poll = states["PollParentJobs"]
    assert poll["Type"] == "Task"
    assert poll["Resource"] == "arn:${AWS::Partition}:states:::lambda:invoke"
    assert poll["Parameters"]["FunctionName"].startswith("${WarmStartValidatorFunction")
    assert poll["Parameters"]["Payload"] == {
        "action": "poll",
        "jobs": ["imgcls-parent-1", "imgcls-parent-2"],
        "poll": {"iteration.$": "$.wait.iteration", "waitedSeconds.$": "$.wait.waitedSeconds"},
        "settings": {
            "initialIntervalSeconds": 120,
            "maxIntervalSeconds": 900,
            "backoffRate": 1.5,
            "timeoutSeconds": 14 * DAY,
        },
    }
    assert poll["ResultSelector"] == {
        f"{field}.$": f"$.Payload.{field}"
        for field in ("iteration", "waitedSeconds", "allTerminal", "missing", "statuses", "nextWaitSeconds", "timedOut")
    }
    assert poll["ResultPath"] == "$.wait"
    assert poll["Next"] == "AllParentJobsTerminal?"


def test_poll_retries_lambda_and_aws_api_errors_only(states):
    assert states["PollParentJobs"]["Retry"] == [
        {
            "ErrorEquals": [
                "Lambda.ServiceException",
                "Lambda.AWSLambdaException",
                "Lambda.SdkClientException",
                "Lambda.ClientExecutionTimeoutException",
                "Lambda.TooManyRequestsException",
                "ClientError",
            ],
            "IntervalSeconds": 5,
            "MaxAttempts": 5,
            "BackoffRate": 2,
        }
    ]


def test_poll_catches_a_malformed_job_list_into_its_fail_state(states):
    assert states["PollParentJobs"]["Catch"] == [
        {"ErrorEquals": ["WarmStartValidationError"], "ResultPath": "$.error", "Next": "InvalidTuningJobList"},
        {"ErrorEquals": VALIDATOR_FAILURE_ERRORS, "ResultPath": "$.error", "Next": "PollParentJobsFailed"},
    ]


def test_choice_fails_on_missing_jobs_first_then_ends_or_times_out_or_waits(states):
    choice = states["AllParentJobsTerminal?"]
    assert choice["Type"] == "Choice"
    assert choice["Choices"] == [
        {"Variable": "$.wait.missing[0]", "IsPresent": True, "Next": "ParentTuningJobNotFound"},
        {"Variable": "$.wait.allTerminal", "BooleanEquals": True, "Next": "ParentJobsTerminal"},
        {"Variable": "$.wait.timedOut", "BooleanEquals": True, "Next": "ParentWaitTimeout"},
    ]
    assert choice["Default"] == "WaitBeforeNextPoll"


def test_wait_takes_the_backed_off_interval_from_the_poll_result(states):
    assert states["WaitBeforeNextPoll"] == {
        "Type": "Wait",
        "SecondsPath": "$.wait.nextWaitSeconds",
        "Next": "PollParentJobs",
    }


def test_fail_states_have_the_design_error_names_and_causes(states):
    assert states["ParentTuningJobNotFound"] == {
        "Type": "Fail",
        "Error": "ParentTuningJobNotFound",
        "CausePath": "States.Format('Tuning job(s) not found or being deleted: {}', States.JsonToString($.wait.missing))",
    }
    assert states["ParentWaitTimeout"] == {
        "Type": "Fail",
        "Error": "ParentWaitTimeout",
        "CausePath": "States.Format('Tuning job(s) not terminal after {} seconds: {}', "
        "States.JsonToString($.wait.waitedSeconds), States.JsonToString($.wait.statuses))",
    }
    assert states["InvalidTuningJobList"] == {
        "Type": "Fail",
        "Error": "WarmStartValidationError",
        "CausePath": "$.error.Cause",
    }


def test_the_fragment_ends_in_a_pass_that_continues_the_workflow(states):
    assert states["ParentJobsTerminal"]["Type"] == "Pass"
    assert states["ParentJobsTerminal"]["Next"] == "Done"
    assert set(states) == {
        "StartParentWait",
        "PollParentJobs",
        "AllParentJobsTerminal?",
        "WaitBeforeNextPoll",
        "ParentTuningJobNotFound",
        "PollParentJobsFailed",
        "ParentWaitTimeout",
        "InvalidTuningJobList",
        "ParentJobsTerminal",
        "Done",
    }


def test_snapshot(synthesized):
    assert_matches_snapshot(synthesized[0].to_json(), "wait_for_tuning_jobs_stack")
