"""The ``prepare`` action: the execution input is checked before anything waits."""

from __future__ import annotations

import json

import pytest

import factories
import handler
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.run_input import prepare_run

SETTINGS = {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject"}
DEFAULTS = {"parents": ["imgcls-parent-1"], "warmStartType": "IdenticalDataAndAlgorithm"}


def event(run_input, defaults=DEFAULTS, **extra):
    return {"action": "prepare", "input": run_input, "defaults": defaults,
            "request": factories.valid_request(), "settings": SETTINGS, **extra}


def codes_of(error: WarmStartValidationError) -> list[str]:
    return [v["code"] for v in json.loads(str(error))["violations"]]


def test_empty_input_takes_the_pipeline_defaults():
    assert prepare_run(event({})) == {
        "parents": ["imgcls-parent-1"], "warmStartType": "IdenticalDataAndAlgorithm", "overrides": {},
        "selection": {"mode": "defaults", "chosen": ["imgcls-parent-1"],
                      "reasons": ["the pipeline's default parents: imgcls-parent-1"],
                      # named parents are not described here: the validation counts their jobs
                      "trainingJobs": {"used": None, "limit": 500}},
        "request": event({})["request"],
        "runKey": None,  # no executionName in the event, no trigger identity in the input
    }


def test_input_overrides_parents_and_type_and_keeps_the_overrides():
    run_input = {"parents": ["a-1", "b-2"], "warmStartType": "TransferLearning", "maxTrainingJobs": 20}
    run = prepare_run(event(run_input))
    assert {k: run[k] for k in ("parents", "warmStartType", "overrides")} == {
        "parents": ["a-1", "b-2"], "warmStartType": "TransferLearning", "overrides": run_input}
    assert run["selection"]["mode"] == "input" and run["selection"]["chosen"] == ["a-1", "b-2"]


def test_null_fields_fall_back_to_defaults():
    assert prepare_run(event({"parents": None}))["parents"] == ["imgcls-parent-1"]


@pytest.mark.parametrize("run_input", ["a string", 7, ["parents"], True])
def test_input_that_is_not_an_object_is_invalid(run_input):
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event(run_input))
    assert codes_of(caught.value) == ["INVALID_REQUEST"]
    assert "execution input must be a JSON object" in str(caught.value)


def test_unknown_field_is_named_with_the_allowed_ones():
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event({"maxTrainingJob": 5}))
    assert "maxTrainingJob" in str(caught.value) and "maxTrainingJobs" in str(caught.value)


def test_no_parents_anywhere_and_no_earlier_job_is_invalid():
    # No parents in the input nor the defaults: automatic selection finds no earlier job.
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event({}, defaults={"parents": [], "warmStartType": "TransferLearning"}),
                    list_jobs=lambda prefix: [], describe=lambda name: None)
    assert codes_of(caught.value) == ["INVALID_REQUEST"]
    assert "name parents in the input" in str(caught.value)


def test_six_parents_and_a_bad_type_and_a_bad_override_are_reported_together():
    run_input = {"parents": [f"p-{i}" for i in range(6)], "warmStartType": "Identical", "maxTrainingJobs": "many"}
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event(run_input))
    assert {"PARENT_COUNT", "INVALID_REQUEST"} <= set(codes_of(caught.value))
    message = str(caught.value)
    assert "Identical" in message and "maxTrainingJobs" in message


def test_override_beyond_the_training_job_limit_is_caught_before_waiting():
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event({"maxTrainingJobs": 501}))
    assert "TRAINING_JOB_LIMIT" in codes_of(caught.value)


def test_job_name_override_outside_the_prefix_is_invalid():
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(event({"tuningJobName": "other-job"}))
    assert codes_of(caught.value) == ["OVERRIDE_NOT_ALLOWED"]


@pytest.mark.parametrize("bad_event", [None, [], "x", {"input": {}, "request": "not a request"}])
def test_malformed_event_is_a_rejection_not_a_crash(bad_event):
    with pytest.raises(WarmStartValidationError):
        prepare_run(bad_event)


def test_dispatcher_routes_prepare_and_refuses_unknown_actions():
    assert handler.lambda_handler(event({}), None)["parents"] == ["imgcls-parent-1"]
    with pytest.raises(WarmStartValidationError) as caught:
        handler.lambda_handler({"action": "delete-everything"}, None)
    assert "event.action must be one of acquireLock, checkOwner, jobChanged, nextRound, poll, prepare, registerWait, runEnded, sweepWaiters, validate" in str(caught.value)


# --- the run key (run_key.py) ----------------------------------------------------------------


def test_the_run_key_is_the_execution_name_of_a_run_started_by_hand():
    assert prepare_run({**event({}), "executionName": "nightly-1"})["runKey"] == "nightly-1"


def test_the_run_key_of_a_scheduled_run_is_its_scheduled_time_whatever_the_execution_name():
    one = prepare_run({**event({"scheduledTime": "2024-06-02T03:00:00Z"}), "executionName": "a"})["runKey"]
    two = prepare_run({**event({"scheduledTime": "2024-06-02T03:00:00Z"}), "executionName": "b"})["runKey"]
    other = prepare_run({**event({"scheduledTime": "2024-06-03T03:00:00Z"}), "executionName": "a"})["runKey"]
    assert one == two != other
    # Execution names never hold ":", so a trigger key never equals a hand-started run's.
    assert one.startswith("trigger:")


def test_the_run_key_covers_the_whole_input():
    base = {"scheduledTime": "2024-06-02T03:00:00Z"}
    assert (prepare_run({**event(base), "executionName": "a"})["runKey"]
            != prepare_run({**event({**base, "maxTrainingJobs": 7}), "executionName": "a"})["runKey"])


def test_malformed_identity_fields_are_rejected():
    for bad in ({"scheduledTime": 5}, {"scheduledTime": ""}, {"scheduledTime": "x" * 65}):
        with pytest.raises(WarmStartValidationError) as caught:
            prepare_run({**event(bad), "executionName": "a"})
        assert {v.code for v in caught.value.violations} == {"INVALID_REQUEST"}
