"""evaluate()'s report and error contract, check_static(), and the public API."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path

import pytest
from factories import parent_describe, valid_request

import warm_start_rules
from warm_start_rules import (
    ALL_CODES, DEFAULT_TRAINING_JOB_LIMIT, EARLIEST_PARENT_CREATION, INVALID_REQUEST,
    MAX_CHANGES, MAX_PARENTS, PARENT_COUNT, TERMINAL_STATUSES, TRAINING_JOB_LIMIT,
    WARM_START_TYPES, WARNING_CODES, Violation, WarmStartValidationError, check_static, evaluate)

IDA = "IdenticalDataAndAlgorithm"


def test_constants_are_the_documented_ones():
    assert WARM_START_TYPES == ("IdenticalDataAndAlgorithm", "TransferLearning")
    assert TERMINAL_STATUSES == ("Completed", "Stopped", "Failed")
    assert (DEFAULT_TRAINING_JOB_LIMIT, MAX_CHANGES, MAX_PARENTS) == (500, 10, 5)
    assert EARLIEST_PARENT_CREATION.isoformat() == "2018-10-01T00:00:00+00:00"
    assert set(ALL_CODES) == {
        "PARENT_COUNT", "PARENT_NOT_FOUND", "PARENT_NOT_TERMINAL", "PARENT_TOO_OLD",
        "OBJECTIVE_MISMATCH", "HYPERPARAMETER_SET_MISMATCH", "HYPERPARAMETER_TYPE_CHANGED",
        "TOO_MANY_CHANGES", "TRAINING_JOB_LIMIT", "ALGORITHM_CHANGED", "DATA_CHANGED",
        "IMMUTABLE_FIELD_CHANGED", "INVALID_REQUEST", "OVERRIDE_NOT_ALLOWED"}
    assert "PARENT_HAS_UNLISTED_PARENTS" in WARNING_CODES
    assert not set(WARNING_CODES) & set(ALL_CODES)


def test_every_exported_name_exists():
    for name in warm_start_rules.__all__:
        if name not in ("plan", "tuning_job_name"):  # the planner's, resolved lazily
            assert hasattr(warm_start_rules, name), name


def test_the_engine_imports_no_boto3():
    package = Path(warm_start_rules.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "import boto3" not in text and "import botocore" not in text, source.name


def test_report_shape():
    request = valid_request()
    request["TrainingJobDefinition"]["StaticHyperParameters"]["num_layers"] = "34"
    report = evaluate(["p1", "p2"],
                      {"p1": parent_describe("p1"),
                       "p2": parent_describe("p2", creation_time="2024-01-02T03:04:05Z",
                                             warm_start_parents=["p0"])},
                      request, IDA)
    assert json.loads(json.dumps(report)) == report
    assert report == {
        "warmStartType": IDA,
        "accepted": True,
        "parents": [
            {"name": "p1", "status": "Completed", "creationTime": "2024-05-01T12:00:00+00:00",
             "trainingJobsLaunched": 50, "completedTrainingJobs": 40,
             "changes": {"count": 1, "details": [
                 {"hyperParameter": "num_layers", "from": "static '18'", "to": "static '34'",
                  "count": 1}]}},
            {"name": "p2", "status": "Completed", "creationTime": "2024-01-02T03:04:05+00:00",
             "trainingJobsLaunched": 50, "completedTrainingJobs": 40,
             "changes": {"count": 1, "details": [
                 {"hyperParameter": "num_layers", "from": "static '18'", "to": "static '34'",
                  "count": 1}]}},
        ],
        "changes": {"max": 1, "limit": 10},
        "trainingJobs": {"usedByParents": 100, "newMaximum": 50, "total": 150, "limit": 500},
        "warnings": [{"code": "PARENT_HAS_UNLISTED_PARENTS", "parent": "p2",
                      "message": report["warnings"][0]["message"]}],
    }


def test_error_message_is_the_json_contract():
    with pytest.raises(WarmStartValidationError) as info:
        evaluate(["p1", "gone"], {"p1": parent_describe("p1", status="InProgress"), "gone": None},
                 valid_request(), IDA)
    cause = json.loads(str(info.value))
    assert list(cause) == ["violations"]
    assert [list(v) for v in cause["violations"]] == [["code", "message", "parent"]] * 2
    assert [(v["code"], v["parent"]) for v in cause["violations"]] == [
        ("PARENT_NOT_TERMINAL", "p1"), ("PARENT_NOT_FOUND", "gone")]
    assert json.loads(info.value.args[0]) == cause
    assert type(info.value).__name__ == "WarmStartValidationError"  # the Step Functions error name


def test_violation_without_parent_keeps_the_parent_key():
    assert json.loads(str(WarmStartValidationError([Violation(INVALID_REQUEST, "x")]))) == {
        "violations": [{"code": "INVALID_REQUEST", "message": "x", "parent": None}]}


def test_error_carries_a_report_and_survives_pickling():
    with pytest.raises(WarmStartValidationError) as info:
        evaluate(["gone"], {"gone": None}, valid_request(), IDA)
    assert info.value.report["accepted"] is False
    assert info.value.report["parents"][0]["name"] == "gone"
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.violations == info.value.violations and str(copy) == str(info.value)
    assert copy.report == info.value.report


@pytest.mark.parametrize("parents", [None, [], "x", 3])
def test_parents_mapping_of_the_wrong_shape(parents):
    with pytest.raises(WarmStartValidationError) as info:
        evaluate(["p1"], parents, valid_request(), IDA)
    assert all(v.code in ALL_CODES for v in info.value.violations)


# --- check_static --------------------------------------------------------------------

def test_check_static_accepts_a_valid_configuration():
    assert check_static(valid_request(), IDA) == []
    assert check_static(valid_request(), "TransferLearning", ["p1", "p2"],
                        training_job_limit=750, job_name_prefix="imgcls") == []


def test_check_static_reports_what_is_knowable_without_aws():
    request = valid_request()
    request["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = 501
    violations = check_static(request, "Transfer", ["p1", "p1"], job_name_prefix="Img_")
    assert [v.code for v in violations] == [INVALID_REQUEST, PARENT_COUNT, INVALID_REQUEST,
                                            TRAINING_JOB_LIMIT]
    assert violations[2].message.startswith("jobNamePrefix: expected lowercase letters")
    assert violations[3].message == ("MaxNumberOfTrainingJobs 501 > training-job limit 500 even "
                                     "before the parents' training jobs are counted")
    assert check_static(request, IDA, training_job_limit=750) == []


@pytest.mark.parametrize("prefix, ok", [("a", True), ("a" * 18, True), ("a" * 19, False),
                                        ("img-cls", True), ("-img", False), ("img-", False),
                                        ("", False), (3, False)])
def test_check_static_job_name_prefix(prefix, ok):
    assert (check_static(valid_request(), IDA, job_name_prefix=prefix) == []) is ok


def test_check_static_without_parents_skips_the_count():
    assert check_static(valid_request(), IDA, None) == []
    assert [v.code for v in check_static(valid_request(), IDA, [])] == [PARENT_COUNT]


@pytest.mark.parametrize("garbage", [None, [], 0, "x", float("nan"), {"a": {"b": [None]}},
                                     {"HyperParameterTuningJobConfig": []}, 10**5000],
                         ids=lambda value: type(value).__name__)
def test_check_static_never_raises(garbage):
    violations = check_static(garbage, garbage, garbage, training_job_limit=garbage,
                              job_name_prefix=garbage)
    assert violations and all(v.code in ALL_CODES for v in violations)


def test_inputs_are_not_mutated():
    request = valid_request()
    parents = {"p1": parent_describe("p1", warm_start_parents=["p0"]), "gone": None}
    before = copy.deepcopy((request, parents))
    with pytest.raises(WarmStartValidationError):
        evaluate(["p1", "gone"], parents, request, IDA)
    check_static(request, IDA, ["p1"])
    assert (request, parents) == before
