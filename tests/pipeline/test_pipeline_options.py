"""The pipeline's options: schedule, new-data trigger, rounds, run lock, completion event.

Prop errors at construction (no synth), then the synthesized states and IAM of
tests/stacks.py's FeaturePipelinesStack (one synth for the module). What they do when
they run is in tests/features/.
"""

from __future__ import annotations

from warm_start_tuning.validator.invoke import VALIDATOR_FAILURE_ERRORS

import json

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk.assertions import Template

from cdk_helpers import load_example_app, new_app, state_machine_definition
from stacks import FeaturePipelinesStack
from warm_start_tuning import (
    NewDataTrigger,
    PipelineSchedule,
    WarmStartRounds,
    WarmStartTuning,
    WarmStartTuningPipeline,
    WarmStartType,
)

EXAMPLE = load_example_app()
ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"
NIGHTLY = scheduler.ScheduleExpression.cron(hour="3", minute="0")


@pytest.fixture
def stack() -> Stack:
    return Stack(new_app(), "OptionsTest")


def props(**overrides) -> dict:
    base = {
        "warm_start_type": WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        "tuning_job_config": EXAMPLE.tuning_job_config(),
        "training_job_definition": EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
        "job_name_prefix": "imgcls",
    }
    return {**base, **overrides}


def problems(stack: Stack, **overrides) -> list[str]:
    with pytest.raises(ValueError) as error:
        WarmStartTuningPipeline(stack, "Pipeline", **props(**overrides))
    message = str(error.value)
    assert message.startswith("WarmStartTuningPipeline: invalid props:\n  - ")
    return message.split("\n  - ")[1:]


# --- prop errors -----------------------------------------------------------------------


def test_rounds_settings_are_checked_all_at_once(stack):
    found = problems(stack, rounds=WarmStartRounds(max_rounds=0, min_improvement=-0.1, training_jobs_step=1.5))
    assert found == [
        "rounds.max_rounds must be an int >= 1, got 0",
        "rounds.min_improvement must be a number >= 0, got -0.1",
        "rounds.training_jobs_step must be an int >= 1, got 1.5",
    ]


def test_rounds_need_identical_data_and_algorithm(stack):
    found = problems(stack, warm_start_type=WarmStartType.TRANSFER_LEARNING, rounds=WarmStartRounds())
    assert len(found) == 1 and found[0].startswith("rounds need warm_start_type IdenticalDataAndAlgorithm")


def test_too_many_rounds_do_not_fit_the_history_budget(stack):
    polling = {"wait_mode": "polling"}  # the poll loop's budget; an event wait costs a few events
    wait, rounds = problems(stack, rounds=WarmStartRounds(max_rounds=25), **polling)
    assert "history events" in wait
    assert rounds.startswith("rounds.max_rounds 25: each round adds history events to one execution; at most ")
    fitting = int(rounds.split("at most ")[1].split()[0])
    WarmStartTuningPipeline(stack, "Fits", **props(rounds=WarmStartRounds(max_rounds=fitting), **polling))
    with pytest.raises(ValueError):
        WarmStartTuningPipeline(stack, "DoesNotFit", **props(rounds=WarmStartRounds(max_rounds=fitting + 1),
                                                             **polling))
    # With events the same rounds fit: the parent wait no longer takes most of the budget.
    WarmStartTuningPipeline(stack, "EventsFit", **props(job_name_prefix="evfit",
                                                        rounds=WarmStartRounds(max_rounds=fitting + 1)))


def test_a_few_rounds_fit_beside_a_week_of_waiting(stack):
    pipeline = WarmStartTuningPipeline(stack, "Pipeline", **props(rounds=WarmStartRounds(max_rounds=8)))
    assert pipeline.tuning.wait.budget.fits


def test_max_concurrent_runs_must_be_positive_or_none(stack):
    assert problems(stack, max_concurrent_runs=0) == ["max_concurrent_runs must be None or an int from 1 to 1000, got 0"]


def test_schedule_input_is_judged_by_the_prepare_rules_at_synth(stack):
    found = problems(stack, schedule=PipelineSchedule(NIGHTLY, input={"maxTrainingJob": 5, "parents": "imgcls-1"}))
    assert found[0].startswith("[OVERRIDE_NOT_ALLOWED] schedule.input: execution input: 'maxTrainingJob' is not a "
                               "field of the execution input (did you mean 'maxTrainingJobs'?)")
    assert found[-1].startswith("[PARENT_COUNT] schedule.input: parents:")
    assert all("schedule.input" in problem for problem in found)


def test_schedule_input_with_new_data_needs_the_trigger(stack):
    found = problems(stack, schedule=PipelineSchedule(NIGHTLY, input={"newObject": {"bucket": "b-1", "key": "k"}}))
    assert len(found) == 1 and "'newObject' is written by the new-data trigger, and this pipeline has none" in found[0]


def test_schedule_needs_a_schedule_expression(stack):
    assert problems(stack, schedule=PipelineSchedule("rate(1 day)")) == [  # type: ignore[arg-type]
        "schedule.expression must be an aws_scheduler.ScheduleExpression, got 'rate(1 day)'"
    ]


def test_new_data_channels_must_be_channels_of_the_definition(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "example-ml-data")
    found = problems(
        stack,
        warm_start_type=WarmStartType.TRANSFER_LEARNING,
        new_data_trigger=NewDataTrigger(bucket, "incoming", ["train", "test", "train"], marker="done/_SUCCESS"),
    )
    assert found == [
        "new_data_trigger.prefix must be '' or a key prefix ending in '/' (no leading '/'), got 'incoming'",
        "new_data_trigger.marker must be an object name without '/', got 'done/_SUCCESS'",
        "new_data_trigger.channels must not repeat a name, got ['train', 'test', 'train']",
        "new_data_trigger.channels ['test'] are not channels of the training job definition (['train', 'validation'])",
    ]


def test_an_imported_bucket_is_left_alone(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "example-ml-data")
    WarmStartTuningPipeline(
        stack,
        "Pipeline",
        **props(
            warm_start_type=WarmStartType.TRANSFER_LEARNING,
            new_data_trigger=NewDataTrigger(bucket, "incoming/", ["train", "validation"]),
        ),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("Custom::S3BucketNotifications", 0)
    # The new-data rule (the other one is the run cleanup's, on Step Functions' events).
    assert len(template.find_resources("AWS::Events::Rule", {"Properties": {"EventPattern": {"source": ["aws.s3"]}}})) == 1


def test_the_fragment_takes_rounds_and_new_data_channels(stack):
    fragment = WarmStartTuning(
        stack,
        "Fragment",
        **props(rounds=WarmStartRounds(max_rounds=2), new_data_channels=["train"], parents=["imgcls-parent-1"]),
    )
    assert fragment.rounds == WarmStartRounds(max_rounds=2)


# --- the synthesized pipelines ------------------------------------------------------------


@pytest.fixture(scope="module")
def features() -> FeaturePipelinesStack:
    app = new_app()
    stack = FeaturePipelinesStack(app, "Features")
    app.synth()
    return stack


@pytest.fixture(scope="module")
def template(features) -> Template:
    return Template.from_stack(features)


def logical_id(pipeline: WarmStartTuningPipeline) -> str:
    stack = Stack.of(pipeline)
    return stack.resolve(stack.get_logical_id(pipeline.state_machine.node.default_child))


def states_of(template: Template, pipeline: WarmStartTuningPipeline) -> dict:
    return state_machine_definition(template, logical_id(pipeline))["States"]


def role_statements(template: Template, pipeline: WarmStartTuningPipeline) -> list[dict]:
    role = pipeline.state_machine.role.node.default_child
    stack = Stack.of(pipeline)
    role_id = stack.resolve(stack.get_logical_id(role))
    policies = template.find_resources("AWS::IAM::Policy")
    return [
        statement
        for policy in policies.values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_rounds_loop_back_to_the_validation(template, features):
    states = states_of(template, features.rounds)
    assert states["ParentJobsTerminal"]["Next"] == "StartRounds"
    assert states["StartRounds"] == {
        "Type": "Pass",
        "Comment": "Round 0: its job is named after the run key",
        "Parameters": {"round": 0, "rounds": [], "executionName.$": "$.run.runKey"},
        "ResultPath": "$.roundState",
        "Next": "ValidateWarmStart",
    }
    assert states["ValidateWarmStart"]["Parameters"]["Payload"]["executionName.$"] == "$.roundState.executionName"
    # The rounds decision reads the finished job's Describe, not the .sync output.
    assert states["CreateTuningJob"]["Next"] == "DescribeTuningJob"
    assert states["DescribeTuningJob"]["Next"] == "DecideNextRound"
    assert states["ExistingJobCompleted?"]["Choices"][0]["Next"] == "DecideNextRound"
    decide = states["DecideNextRound"]
    assert decide["Resource"].endswith(":states:::lambda:invoke")
    payload = decide["Parameters"]["Payload"]
    assert payload["action"] == "nextRound"
    assert payload["settings"] == {
        "maxRounds": 3, "minImprovement": 0.0, "trainingJobsStep": 5, "trainingJobLimit": 500,
    }
    assert payload["tuningJob.$"] == "$.tuningJob"
    assert decide["ResultSelector"] == {
        f"{field}.$": f"$.Payload.{field}" for field in ("continue", "reason", "rounds", "round", "next")
    }
    assert decide["ResultPath"] == "$.decision"
    assert decide["Catch"] == [
        {"ErrorEquals": ["WarmStartValidationError"], "ResultPath": "$.error", "Next": "InvalidRoundDecision"},
        {"ErrorEquals": VALIDATOR_FAILURE_ERRORS, "ResultPath": "$.error", "Next": "DecideNextRoundFailed"},
    ]
    assert states["InvalidRoundDecision"]["Error"] == "WarmStartValidationError"
    assert states["AnotherRound?"]["Choices"] == [
        {"Variable": "$.decision.continue", "BooleanEquals": True, "Next": "NextRound"}
    ]
    assert states["AnotherRound?"]["Default"] == "HasOverallBestTrainingJob?"
    assert states["NextRound"]["Next"] == "NextRoundName"
    assert states["NextRound"]["Parameters"]["parents.$"] == "$.decision.next.parents"
    assert states["NextRoundName"]["Parameters"]["executionName.$"] == (
        "States.Format('{}/round-{}', $.run.runKey, $.decision.round)"
    )
    assert states["NextRoundName"]["Next"] == "ValidateWarmStart"
    assert states["Result"]["Parameters"]["rounds.$"] == "$.decision.rounds"
    # A round's lost create response attaches to its job, polling at most every 6 hours.
    poll = states["ExistingJob: PollParentJobs"]["Parameters"]["Payload"]["settings"]
    assert poll["maxIntervalSeconds"] == 6 * 3600


def test_without_rounds_the_states_are_unchanged(template, features):
    states = states_of(template, features.automatic)
    assert "DecideNextRound" not in states and "StartRounds" not in states
    assert states["ParentJobsTerminal"]["Next"] == "ValidateWarmStart"
    assert states["ValidateWarmStart"]["Parameters"]["Payload"]["executionName.$"] == "$.run.runKey"
    assert "rounds.$" not in states["Result"]["Parameters"]


def test_rounds_lengthen_the_state_machine_timeout(template, features):
    definition = state_machine_definition(template, logical_id(features.rounds))
    assert definition["TimeoutSeconds"] == 7 * 86400 + 3 * 30 * 86400 + 86400  # and a day waiting for the lock
    definition = state_machine_definition(template, logical_id(features.automatic))
    assert definition["TimeoutSeconds"] == 7 * 86400 + 30 * 86400 + 86400


def test_without_the_lock_the_run_starts_with_its_input(template, features):
    definition = state_machine_definition(template, logical_id(features.unlocked))
    assert definition["StartAt"] == "ReadRunInput"
    assert "AcquireRunLock" not in definition["States"]


def test_the_completion_event_follows_the_result_and_keeps_the_output(template, features):
    states = states_of(template, features.automatic)
    publish = states["PublishCompletionEvent"]
    assert publish["Resource"].endswith(":states:::events:putEvents")
    assert publish["Parameters"] == {
        "Entries": [{"Detail.$": "$", "DetailType": "Warm-start tuning job completed", "Source": "warm-start-tuning"}]
    }
    # The output is the result and whether its event was published.
    assert publish["ResultPath"] == "$.completionEvent"
    assert publish["ResultSelector"] == {"published": True}
    assert publish["End"] is True
    assert publish["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.completionEvent", "Next": "CompletionEventNotPublished"}
    ]
    assert states["CompletionEventNotPublished"]["End"] is True
    (put,) = [s for s in role_statements(template, features.automatic) if s["Action"] == "events:PutEvents"]
    assert ":event-bus/default" in json.dumps(put["Resource"])
    unlocked = states_of(template, features.unlocked)
    assert "PublishCompletionEvent" not in unlocked and unlocked["Result"]["End"] is True


def test_new_data_channels_reach_prepare_and_validate(template, features):
    states = states_of(template, features.new_data)
    for name in ("PrepareRun", "ValidateWarmStart"):
        assert states[name]["Parameters"]["Payload"]["settings"]["newDataChannels"] == ["train", "validation"], name
    assert "newDataChannels" not in states_of(template, features.automatic)["PrepareRun"]["Parameters"]["Payload"][
        "settings"
    ]


def test_the_new_data_rule_matches_markers_and_passes_the_object(template, features):
    (rule,) = template.find_resources("AWS::Events::Rule", {"Properties": {"EventPattern": {
        "source": ["aws.s3"]}}}).values()
    pattern = rule["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    assert pattern["detail"]["object"]["key"] == [
        {"wildcard": "incoming/_SUCCESS"},
        {"wildcard": "incoming/*/_SUCCESS"},
    ]
    (target,) = rule["Properties"]["Targets"]
    assert target["InputTransformer"] == {
        "InputPathsMap": {
            "detail-bucket-name": "$.detail.bucket.name",
            "detail-object-key": "$.detail.object.key",
            # The event's identity, the run key: a duplicated delivery attaches to one job.
            "detail-object-etag": "$.detail.object.etag",
            "detail-object-sequencer": "$.detail.object.sequencer",
        },
        "InputTemplate": '{"warmStartType":"TransferLearning","newObject":{"bucket":<detail-bucket-name>,'
        '"key":<detail-object-key>,"etag":<detail-object-etag>,"sequencer":<detail-object-sequencer>}}',
    }


def test_the_schedule_runs_transfer_learning_with_the_users_input(template):
    # The pipeline's schedule (the other one is the event waits' sweep, which invokes the validator).
    (schedule,) = [s for s in template.find_resources("AWS::Scheduler::Schedule").values()
                   if ":states:" in json.dumps(s["Properties"]["Target"]["Arn"]) or "StateMachine" in
                   json.dumps(s["Properties"]["Target"]["Arn"])]
    props = schedule["Properties"]
    assert props["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert json.loads(props["Target"]["Input"]) == {
        "warmStartType": "TransferLearning",
        "maxTrainingJobs": 12,
        "scheduledTime": "<aws.scheduler.scheduled-time>",  # the run key: one job per scheduled time
    }
    assert props["Description"] == "Nightly retraining on the newest data"


def test_the_wildcard_escapes_stars_in_the_prefix():
    from warm_start_tuning.pipeline.triggers import marker_key_patterns

    assert marker_key_patterns("in*coming/", "_SUCCESS") == ["in\\*coming/_SUCCESS", "in\\*coming/*/_SUCCESS"]
    assert marker_key_patterns("", "_DONE") == ["_DONE", "*/_DONE"]


def test_the_history_budget_counts_every_round():
    from warm_start_tuning.pipeline.existing_job import existing_job_events
    from warm_start_tuning.pipeline.rounds import DECISION_EVENTS, LATER_ROUND_EVENTS, ROUNDS_EXISTING_JOB_POLL
    from warm_start_tuning.pipeline.warm_start_tuning import PIPELINE_FIXED_EVENTS, fixed_history_events

    assert fixed_history_events(None) == PIPELINE_FIXED_EVENTS
    attach = existing_job_events(ROUNDS_EXISTING_JOB_POLL)
    # Each round more: validate, create, two Passes, the decision, and a possible attach.
    step = fixed_history_events(WarmStartRounds(max_rounds=3)) - fixed_history_events(WarmStartRounds(max_rounds=2))
    assert step == LATER_ROUND_EVENTS + DECISION_EVENTS + attach
    # 6-hourly polls of a job that may run 30 days keep a round affordable.
    assert attach < 1500


def test_duration_props_still_apply_with_options(stack):
    pipeline = WarmStartTuningPipeline(
        stack, "Pipeline", **props(parent_wait_timeout=Duration.days(2), rounds=WarmStartRounds(max_rounds=2))
    )
    assert pipeline.tuning.wait.settings.timeout_seconds == 2 * 86400
