"""Warm-start rounds: repeat the validate -> create step, each round's job the next one's parent.

A round is one warm-start tuning job. After it ends, the validator Lambda (action
``nextRound``) records the round's best objective and decides whether another round is
worth it: it stops when the best objective improved by less than ``min_improvement`` or
``max_rounds`` is reached. Otherwise the finished job becomes the only parent of the
next round (IdenticalDataAndAlgorithm: same data and algorithm, a bigger budget) with
``training_jobs_step`` more training jobs.

The parents of a later round are the job the previous round just finished, which is
terminal: the loop goes back to the validation, not to the parent wait. Each round's
job name comes from ``<run key>/round-<n>`` so that it is distinct and, like the
first round's, the same when a create step is retried.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..rules import PollSettings
from ..waiter.history_budget import CHOICE_EVENTS, PASS_EVENTS, TASK_EVENTS
from ..validator.invoke import invoke_validator
from .existing_job import EXISTING_JOB_POLL, existing_job_events

IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"

# With rounds, the path that attaches to a job that already exists (a create whose
# response was lost) can run once per round. Hourly polls of a job that may run 30 days
# cost ~6,500 history events, so a few rounds would not fit in 25,000; polling at most
# every 6 hours costs ~1,200. It only delays noticing the end of a job in that rare case.
ROUNDS_EXISTING_JOB_POLL = PollSettings(
    initial_interval_seconds=EXISTING_JOB_POLL.initial_interval_seconds,
    max_interval_seconds=6 * 3600,
    backoff_rate=EXISTING_JOB_POLL.backoff_rate,
    timeout_seconds=EXISTING_JOB_POLL.timeout_seconds,
)

# Events of one round after the first: validate (Lambda task), create (.sync task and
# the events it writes while SageMaker runs), the Describe of the finished job, the two
# Passes that start the round.
LATER_ROUND_EVENTS = TASK_EVENTS + 2 * TASK_EVENTS + TASK_EVENTS + 2 * PASS_EVENTS
# Events of every round: the decision (Lambda task) and its Choice.
DECISION_EVENTS = TASK_EVENTS + CHOICE_EVENTS
# The Pass that starts the first round.
START_ROUNDS_EVENTS = PASS_EVENTS

# Where the loop keeps its state, and the decision of the last round.
ROUND_STATE_PATH = "$.roundState"
DECISION_PATH = "$.decision"
# Step Functions allows a year per execution at most.
MAX_EXECUTION_SECONDS = 365 * 86400
# The longest a tuning job may run before the state machine gives up on it.
TUNING_JOB_SECONDS = 30 * 86400


@dataclass(frozen=True)
class WarmStartRounds:
    """Repeat warm-start rounds until the best objective stops improving.

    :param max_rounds: at most this many tuning jobs per execution (>= 1). Default: 3.
    :param min_improvement: stop when a round improves the best objective by less than
        this (absolute, in the objective metric's units; >= 0). Default: 0, stop only
        when a round does not improve at all.
    :param training_jobs_step: each round's MaxNumberOfTrainingJobs is the previous
        round's plus this (>= 1). Default: 10.
    """

    max_rounds: int = 3
    min_improvement: float = 0.0
    training_jobs_step: int = 10

    def problems(self) -> list[str]:
        """What is wrong with these settings (empty when nothing)."""
        problems = []
        if not _is_int(self.max_rounds) or self.max_rounds < 1:
            problems.append(f"rounds.max_rounds must be an int >= 1, got {self.max_rounds!r}")
        if (
            isinstance(self.min_improvement, bool)
            or not isinstance(self.min_improvement, (int, float))
            or not math.isfinite(self.min_improvement)
            or self.min_improvement < 0
        ):
            problems.append(f"rounds.min_improvement must be a number >= 0, got {self.min_improvement!r}")
        if not _is_int(self.training_jobs_step) or self.training_jobs_step < 1:
            problems.append(f"rounds.training_jobs_step must be an int >= 1, got {self.training_jobs_step!r}")
        return problems

    def to_settings(self) -> dict[str, Any]:
        """The ``settings`` of the nextRound action."""
        return {
            "maxRounds": self.max_rounds,
            "minImprovement": float(self.min_improvement),
            "trainingJobsStep": self.training_jobs_step,
        }

    def history_events(self) -> int:
        """Worst-case history events the rounds add to one execution, beyond the first
        round's validate and create (which every pipeline counts). The attach-to-existing
        path is counted once per round: any round's create may need it."""
        attach = existing_job_events(ROUNDS_EXISTING_JOB_POLL)
        later = self.max_rounds - 1
        return START_ROUNDS_EVENTS + self.max_rounds * (DECISION_EVENTS + attach) + later * LATER_ROUND_EVENTS

    def state_machine_timeout_seconds(self, wait_timeout_seconds: int) -> int:
        """The parent wait plus each round's tuning job, capped at Step Functions' year."""
        return min(MAX_EXECUTION_SECONDS, wait_timeout_seconds + self.max_rounds * TUNING_JOB_SECONDS)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def rounds_problems(rounds: Optional[WarmStartRounds], warm_start_type: Any) -> list[str]:
    """Problems of the ``rounds`` prop, knowable at synth time."""
    if rounds is None:
        return []
    if not isinstance(rounds, WarmStartRounds):
        return [f"rounds must be a WarmStartRounds, got {type(rounds).__name__}"]
    problems = rounds.problems()
    if warm_start_type != IDENTICAL_DATA_AND_ALGORITHM:
        problems.append(
            "rounds need warm_start_type IdenticalDataAndAlgorithm: each round warm-starts from the "
            f"previous round's job with the same data and algorithm (got {warm_start_type!r})"
        )
    return problems


def start_rounds(scope: Construct) -> sfn.Pass:
    """The first round: number 0, no earlier rounds, the execution's own name."""
    return sfn.Pass(
        scope,
        "StartRounds",
        comment="Round 0: its job is named after the run key",
        parameters={"round": 0, "rounds": [], "executionName": sfn.JsonPath.string_at("$.run.runKey")},
        result_path=ROUND_STATE_PATH,
    )


def decide_next_round(
    scope: Construct,
    *,
    function: lambda_.IFunction,
    rounds: WarmStartRounds,
    training_job_limit: int,
    rejected: Optional[sfn.IChainable] = None,
) -> tasks.LambdaInvoke:
    """The nextRound action: record the finished round, decide whether to go on."""
    return invoke_validator(
        scope,
        "DecideNextRound",
        function=function,
        comment="Record the round's best objective; another round if it improved enough",
        payload={
            "action": "nextRound",
            "round": sfn.JsonPath.number_at(f"{ROUND_STATE_PATH}.round"),
            "rounds": sfn.JsonPath.list_at(f"{ROUND_STATE_PATH}.rounds"),
            "tuningJob": sfn.JsonPath.object_at("$.tuningJob"),
            "run": {
                "parents": sfn.JsonPath.list_at("$.run.parents"),
                "warmStartType": sfn.JsonPath.string_at("$.run.warmStartType"),
                "overrides": sfn.JsonPath.object_at("$.run.overrides"),
            },
            # With the limit, the rounds stop (cleanly, with the reason) before a round
            # whose training jobs and its parent's would exceed it.
            "settings": {**rounds.to_settings(), "trainingJobLimit": training_job_limit},
        },
        result_fields=("continue", "reason", "rounds", "round", "next"),
        result_path=DECISION_PATH,
        rejected=rejected,
    )


def next_round(scope: Construct, validate: sfn.IChainable) -> sfn.Pass:
    """The decided run (the finished job as the only parent, a bigger budget), then the
    round's number and job name; back to the validation."""
    run = sfn.Pass(
        scope,
        "NextRound",
        comment="The finished job is the next round's parent",
        parameters={
            "parents": sfn.JsonPath.list_at(f"{DECISION_PATH}.next.parents"),
            "warmStartType": sfn.JsonPath.string_at(f"{DECISION_PATH}.next.warmStartType"),
            "overrides": sfn.JsonPath.object_at(f"{DECISION_PATH}.next.overrides"),
            # How the first round's parents were chosen stays in the output.
            "selection": sfn.JsonPath.object_at("$.run.selection"),
            # The static request, which the validation reads from the state.
            "request": sfn.JsonPath.object_at("$.run.request"),
            # The run key: every round's job is this run's own.
            "runKey": sfn.JsonPath.string_at("$.run.runKey"),
        },
        result_path="$.run",
    )
    state = sfn.Pass(
        scope,
        "NextRoundName",
        # '/' cannot occur in a run key (an execution name, or 'trigger:<hash>'), so no
        # execution named 'x-round-1' can share a job name with run x's round 1.
        comment="Round n's job is named after '<run key>/round-<n>'",
        parameters={
            "round": sfn.JsonPath.number_at(f"{DECISION_PATH}.round"),
            "rounds": sfn.JsonPath.list_at(f"{DECISION_PATH}.rounds"),
            "executionName": sfn.JsonPath.format(
                "{}/round-{}", sfn.JsonPath.string_at("$.run.runKey"), sfn.JsonPath.string_at(f"{DECISION_PATH}.round")
            ),
        },
        result_path=ROUND_STATE_PATH,
    )
    run.next(state).next(validate)
    return run


def another_round(scope: Construct, *, next_round_start: sfn.IChainable, done: sfn.IChainable) -> sfn.Choice:
    return (
        sfn.Choice(scope, "AnotherRound?")
        .when(sfn.Condition.boolean_equals(f"{DECISION_PATH}.continue", True), next_round_start)
        .otherwise(done)
    )


def rounds_output() -> dict[str, Any]:
    """The Result fields rounds add: each round's summary and why the rounds stopped."""
    return {
        "rounds": sfn.JsonPath.list_at(f"{DECISION_PATH}.rounds"),
        "roundsStopReason": sfn.JsonPath.string_at(f"{DECISION_PATH}.reason"),
    }


def rounds_timeout(rounds: Optional[WarmStartRounds], wait_timeout_seconds: int) -> Duration:
    """The default state machine timeout: the parent wait plus 30 days per tuning job."""
    if rounds is None:
        # Step Functions runs a Standard execution for a year at most.
        return Duration.seconds(min(MAX_EXECUTION_SECONDS, wait_timeout_seconds + TUNING_JOB_SECONDS))
    return Duration.seconds(rounds.state_machine_timeout_seconds(wait_timeout_seconds))

