"""Each warm-start rule code, failing and passing, through evaluate()."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

import pytest
from factories import parent_describe, set_path, valid_request

from warm_start_rules import (
    ALGORITHM_CHANGED, DATA_CHANGED, HYPERPARAMETER_SET_MISMATCH, HYPERPARAMETER_TYPE_CHANGED,
    IMMUTABLE_FIELD_CHANGED, INVALID_REQUEST, OBJECTIVE_MISMATCH, PARENT_COUNT,
    PARENT_CREATION_TIME_UNKNOWN, PARENT_FAILED_WITHOUT_COMPLETED_JOBS,
    PARENT_HAS_UNLISTED_PARENTS, PARENT_NOT_FOUND, PARENT_NOT_TERMINAL, PARENT_TOO_OLD,
    PARENT_TRAINING_JOB_COUNTS_UNKNOWN, TOO_MANY_CHANGES, TRAINING_JOB_LIMIT, Violation,
    WarmStartValidationError, evaluate, parse_creation_time)

IDA = "IdenticalDataAndAlgorithm"
TL = "TransferLearning"
DEFINITION = "TrainingJobDefinition"
CONFIG = "HyperParameterTuningJobConfig"
STATIC = f"{DEFINITION}.StaticHyperParameters"


_ALL = object()  # names default: every key of `parents`


def run(parents: dict[str, Any], request: Any = None, warm_start_type: Any = IDA,
        names: Any = _ALL, **settings: Any) -> dict[str, Any]:
    return evaluate(list(parents) if names is _ALL else names, parents,
                    valid_request() if request is None else request, warm_start_type, **settings)


def rejected(*args: Any, **kwargs: Any) -> list[Violation]:
    with pytest.raises(WarmStartValidationError) as info:
        run(*args, **kwargs)
    assert info.value.violations
    return info.value.violations


def only(violations: list[Violation], code: str) -> Violation:
    assert [v.code for v in violations] == [code], violations
    return violations[0]


def test_baseline_is_accepted():
    report = run({"p1": parent_describe("p1")})
    assert report["accepted"] is True and report["warnings"] == []


# --- PARENT_COUNT --------------------------------------------------------------------

def test_five_parents_are_accepted():
    names = [f"p{i}" for i in range(1, 6)]
    counters = {"Completed": 10}
    run({n: parent_describe(n, counters=counters) for n in names})


@pytest.mark.parametrize("names, expected", [
    ([], "parents: expected 1 to 5 parent tuning jobs, got 0"),
    ([f"p{i}" for i in range(6)], "parents: expected 1 to 5 parent tuning jobs, got 6"),
    ("p1", "parents: expected a list of 1 to 5 tuning job names, got string 'p1'"),
    (None, "got null"),
])
def test_parent_count(names, expected):
    parents = {n: parent_describe(n, counters={"Completed": 1})
               for n in (names if isinstance(names, list) else [])}
    violations = rejected(parents, names=names)
    assert [v.code for v in violations] == [PARENT_COUNT]
    assert expected in violations[0].message


def test_each_duplicate_is_named():
    parents = {n: parent_describe(n) for n in ("a", "b", "c")}
    violations = rejected(parents, names=["a", "b", "a", "c", "b", "a"])
    assert [(v.code, v.parent) for v in violations] == [
        (PARENT_COUNT, None), (PARENT_COUNT, "a"), (PARENT_COUNT, "b")]
    assert "'a' is listed 3 times" in violations[1].message
    assert "'b' is listed 2 times" in violations[2].message


@pytest.mark.parametrize("bad", ["", 7, None, ["p"]])
def test_parent_names_must_be_non_empty_strings(bad):
    violation = only(rejected({"p1": parent_describe("p1")}, names=["p1", bad]), PARENT_COUNT)
    assert violation.message.startswith("parents[1]: expected a non-empty tuning job name")


def test_malformed_parent_name_is_invalid_request():
    violation = only(rejected({"p1": parent_describe("p1")}, names=["p1", "bad_name"]),
                     INVALID_REQUEST)
    assert violation.message.startswith("parents[1]: 'bad_name' does not match")


# --- PARENT_NOT_FOUND ----------------------------------------------------------------

def test_parent_not_found():
    violation = only(rejected({"gone": None}), PARENT_NOT_FOUND)
    assert violation.parent == "gone" and "'gone' does not exist" in violation.message


def test_parent_missing_from_the_mapping_is_not_found():
    only(rejected({}, names=["gone"]), PARENT_NOT_FOUND)


def test_garbage_describe_response_is_invalid_request():
    violation = only(rejected({"p1": ["not", "a", "response"]}), INVALID_REQUEST)
    assert violation.parent == "p1"


def test_missing_parent_does_not_hide_other_parents_violations():
    parents = {"gone": None, "p2": set_path(parent_describe("p2"), f"{CONFIG}.HyperParameterTuningJobObjective.Type", "Minimize")}
    violations = rejected(parents)
    assert [(v.code, v.parent) for v in violations] == [
        (PARENT_NOT_FOUND, "gone"), (OBJECTIVE_MISMATCH, "p2")]


# --- PARENT_NOT_TERMINAL and the failed-parent policy --------------------------------

@pytest.mark.parametrize("status", ["Completed", "Stopped", "Failed"])
def test_terminal_statuses_are_accepted(status):
    run({"p1": parent_describe("p1", status=status)})


@pytest.mark.parametrize("status", ["InProgress", "Stopping", "Deleting", None, 3])
def test_non_terminal_statuses_are_rejected(status):
    violation = only(rejected({"p1": parent_describe("p1", status=status)}), PARENT_NOT_TERMINAL)
    assert violation.parent == "p1"
    assert "a parent must be Completed, Stopped or Failed" in violation.message


def failed_without_completed_jobs() -> dict[str, Any]:
    return parent_describe("p1", status="Failed",
                           counters={"Completed": 0, "InProgress": 0, "RetryableError": 0,
                                     "NonRetryableError": 3, "Stopped": 0})


def test_failed_parent_without_completed_jobs_is_rejected_by_default():
    violation = only(rejected({"p1": failed_without_completed_jobs()}), PARENT_NOT_TERMINAL)
    assert "Failed without any completed training job, so it has nothing to transfer" in violation.message
    assert "failed_parent_policy to 'warn'" in violation.message
    only(rejected({"p1": failed_without_completed_jobs()}, failed_parent_policy="reject"),
         PARENT_NOT_TERMINAL)


def test_failed_parent_without_completed_jobs_is_a_warning_under_warn():
    report = run({"p1": failed_without_completed_jobs()}, failed_parent_policy="warn")
    assert [(w["code"], w["parent"]) for w in report["warnings"]] == [
        (PARENT_FAILED_WITHOUT_COMPLETED_JOBS, "p1")]
    assert "accepted because failed_parent_policy is 'warn'" in report["warnings"][0]["message"]


@pytest.mark.parametrize("policy", ["ignore", "WARN", None, True])
def test_unknown_failed_parent_policy_is_invalid_request(policy):
    violation = only(rejected({"p1": parent_describe("p1")}, failed_parent_policy=policy),
                     INVALID_REQUEST)
    assert violation.message.startswith("failed_parent_policy (settings.failedParentPolicy): "
                                        "expected 'reject' or 'warn'")


# --- PARENT_TOO_OLD ------------------------------------------------------------------

@pytest.mark.parametrize("created", [
    datetime(2018, 9, 30, 23, 59, 59, tzinfo=timezone.utc),
    datetime(2018, 9, 30, 23, 59, 59),  # naive: UTC
    "2018-09-30T23:59:59Z",
    "2018-10-01T01:00:00+02:00",  # 2018-09-30T23:00Z
    "2017-01-01T00:00:00.5Z",
    1538351999,
    1538351999.5,
])
def test_parent_created_before_2018_10_01_is_too_old(created):
    violation = only(rejected({"old": parent_describe("old", creation_time=created)}),
                     PARENT_TOO_OLD)
    assert violation.parent == "old" and "cannot be warm-start parents" in violation.message


@pytest.mark.parametrize("created", [
    datetime(2018, 10, 1, tzinfo=timezone.utc),
    datetime(2018, 10, 1),
    "2018-10-01T00:00:00Z",
    "2018-10-01T00:00:00.000Z",
    "2018-09-30T23:00:00-01:00",
    "2024-05-01T12:00:00.123456789+00:00",
    1538352000,
])
def test_parent_created_on_or_after_2018_10_01_is_fine(created):
    report = run({"p1": parent_describe("p1", creation_time=created)})
    assert report["parents"][0]["creationTime"] >= "2018-10-01T00:00:00+00:00"


@pytest.mark.parametrize("created", ["yesterday", "", None, float("nan"), 10**30, [], True,
                                     "0001-01-01T00:00:00+05:00"])
def test_unknown_creation_time_is_a_warning(created):
    report = run({"p1": parent_describe("p1", creation_time=created)})
    assert [w["code"] for w in report["warnings"]] == [PARENT_CREATION_TIME_UNKNOWN]
    assert report["parents"][0]["creationTime"] is None


def test_parse_creation_time_normalises_to_utc():
    assert parse_creation_time("2020-01-01T05:00:00+05:00") == datetime(2020, 1, 1, tzinfo=timezone.utc)
    assert parse_creation_time(0) == datetime(1970, 1, 1, tzinfo=timezone.utc)


# --- OBJECTIVE_MISMATCH --------------------------------------------------------------

@pytest.mark.parametrize("field, value", [("Type", "Minimize"), ("MetricName", "validation:loss")])
def test_objective_mismatch(field, value):
    parent = set_path(parent_describe("p1"), f"{CONFIG}.HyperParameterTuningJobObjective.{field}", value)
    violation = only(rejected({"p1": parent}), OBJECTIVE_MISMATCH)
    assert violation.parent == "p1"
    assert "request 'Maximize' 'validation:accuracy'" in violation.message


def test_missing_request_objective_is_only_invalid_request():
    request = valid_request()
    del request[CONFIG]["HyperParameterTuningJobObjective"]
    only(rejected({"p1": parent_describe("p1")}, request), INVALID_REQUEST)


# --- HYPERPARAMETER_SET_MISMATCH -----------------------------------------------------

def test_hyperparameter_set_mismatch_lists_missing_and_extra():
    request = valid_request()
    del request[DEFINITION]["StaticHyperParameters"]["epochs"]
    request[DEFINITION]["StaticHyperParameters"]["dropout"] = "0.5"
    violation = only(rejected({"p1": parent_describe("p1")}, request), HYPERPARAMETER_SET_MISMATCH)
    assert violation.parent == "p1"
    assert "missing from the request: 'epochs'; not in the parent: 'dropout'" in violation.message


def test_reserved_static_keys_never_mismatch():
    request = set_path(valid_request(), f"{STATIC}.sagemaker_program", "train.py")
    request[DEFINITION]["StaticHyperParameters"]["_tuning_objective_metric"] = "whatever"
    run({"p1": parent_describe("p1")}, request)


def test_static_to_tunable_keeps_the_set():
    request = valid_request()
    epochs = request[DEFINITION]["StaticHyperParameters"].pop("epochs")
    request[CONFIG]["ParameterRanges"]["IntegerParameterRanges"].append(
        {"Name": "epochs", "MinValue": epochs, "MaxValue": "60"})
    report = run({"p1": parent_describe("p1")}, request)
    assert report["parents"][0]["changes"]["count"] == 0


# --- HYPERPARAMETER_TYPE_CHANGED -----------------------------------------------------

def test_hyperparameter_type_changed():
    request = valid_request()
    ranges = request[CONFIG]["ParameterRanges"]
    ranges["ContinuousParameterRanges"].append(ranges.pop("IntegerParameterRanges")[0])
    violation = only(rejected({"p1": parent_describe("p1")}, request), HYPERPARAMETER_TYPE_CHANGED)
    assert "'mini_batch_size' Integer -> Continuous" in violation.message


def test_new_ranges_of_the_same_type_are_fine():
    request = valid_request()
    request[CONFIG]["ParameterRanges"]["IntegerParameterRanges"][0]["MaxValue"] = "512"
    request[CONFIG]["ParameterRanges"]["CategoricalParameterRanges"][0]["Values"] = ["adam"]
    run({"p1": parent_describe("p1")}, request)


# --- TOO_MANY_CHANGES ----------------------------------------------------------------

def many_statics_request() -> dict[str, Any]:
    request = valid_request()
    request[DEFINITION]["StaticHyperParameters"].update({f"s{i}": "a" for i in range(6)})
    request[CONFIG]["ParameterRanges"]["CategoricalParameterRanges"] = [
        {"Name": "color", "Values": ["red", "blue", "green"]},
        {"Name": "shape", "Values": ["round", "square"]}]
    return request


def changed(base: dict[str, Any], statics: int, categorical: str) -> dict[str, Any]:
    request = copy.deepcopy(base)
    for i in range(statics):
        request[DEFINITION]["StaticHyperParameters"][f"s{i}"] = "b"  # each counts 2
    ranges = request[CONFIG]["ParameterRanges"]["CategoricalParameterRanges"]
    ranges[:] = [r for r in ranges if r["Name"] != categorical]
    request[DEFINITION]["StaticHyperParameters"][categorical] = "red"
    return request


def test_ten_changes_are_allowed():
    base = many_statics_request()
    request = changed(base, statics=4, categorical="shape")  # 4*2 + 2 = 10
    report = run({"p1": parent_describe("p1", request=base)}, request)
    assert report["parents"][0]["changes"]["count"] == 10
    assert report["changes"] == {"max": 10, "limit": 10}


def test_eleven_changes_are_too_many():
    base = many_statics_request()
    request = changed(base, statics=4, categorical="color")  # 4*2 + 3 = 11
    violation = only(rejected({"p1": parent_describe("p1", request=base)}, request), TOO_MANY_CHANGES)
    assert violation.parent == "p1"
    assert violation.message.startswith("11 changes vs parent 'p1', more than 10")
    assert "'color' tunable Categorical ['red', 'blue', 'green'] -> static 'red' (3)" in violation.message
    assert "'s0' static 'a' -> static 'b' (2)" in violation.message


def test_changes_are_counted_per_parent():
    base = many_statics_request()
    close = copy.deepcopy(base)
    for i in range(4):
        close[DEFINITION]["StaticHyperParameters"][f"s{i}"] = "b"
    request = changed(base, statics=4, categorical="color")
    report_or_error = rejected({"far": parent_describe("far", request=base),
                                "near": parent_describe("near", request=close)}, request)
    # vs "near" only the categorical changed (3): no violation for it.
    assert [(v.code, v.parent) for v in report_or_error] == [(TOO_MANY_CHANGES, "far")]


# --- TRAINING_JOB_LIMIT --------------------------------------------------------------

def counters(total: int) -> dict[str, int]:
    return {"Completed": total - 3, "InProgress": 0, "RetryableError": 1, "NonRetryableError": 1,
            "Stopped": 1}


def test_training_jobs_up_to_the_default_limit_are_fine():
    report = run({"p1": parent_describe("p1", counters=counters(300)),
                  "p2": parent_describe("p2", counters=counters(150))})
    assert report["trainingJobs"] == {"usedByParents": 450, "newMaximum": 50, "total": 500,
                                      "limit": 500}


def test_training_jobs_over_the_default_limit():
    violations = rejected({"p1": parent_describe("p1", counters=counters(300)),
                           "p2": parent_describe("p2", counters=counters(151))})
    violation = only(violations, TRAINING_JOB_LIMIT)
    assert violation.parent is None
    assert violation.message.startswith(
        "training jobs launched by the parents ('p1': 300, 'p2': 151; 451 in all) + "
        "MaxNumberOfTrainingJobs 50 = 501 > limit 500")


def test_training_job_limit_is_a_setting():
    parents = {"p1": parent_describe("p1", counters=counters(700))}
    only(rejected(parents), TRAINING_JOB_LIMIT)
    report = run(parents, training_job_limit=750)
    assert report["trainingJobs"]["limit"] == 750 and report["trainingJobs"]["total"] == 750
    only(rejected(parents, training_job_limit=749), TRAINING_JOB_LIMIT)
    assert run(parents, training_job_limit=2**53 - 1)["trainingJobs"]["limit"] == 2**53 - 1


@pytest.mark.parametrize("limit", [0, -1, True, 500.0, "500", None, 2**53, 10**5000],
                         ids=lambda value: type(value).__name__)
def test_training_job_limit_setting_must_be_a_positive_int(limit):
    violation = only(rejected({"p1": parent_describe("p1")}, training_job_limit=limit),
                     INVALID_REQUEST)
    assert violation.message.startswith("training_job_limit (settings.trainingJobLimit)")


def test_unreadable_counters_are_a_warning():
    parent = parent_describe("p1")
    parent["TrainingJobStatusCounters"] = {"Completed": "many", "Stopped": 2}
    report = run({"p1": parent}, failed_parent_policy="reject")
    assert [w["code"] for w in report["warnings"]] == [PARENT_TRAINING_JOB_COUNTS_UNKNOWN]
    assert report["trainingJobs"]["usedByParents"] == 2


# --- ALGORITHM_CHANGED / DATA_CHANGED (IdenticalDataAndAlgorithm only) ---------------

def new_image_request() -> dict[str, Any]:
    return set_path(valid_request(), f"{DEFINITION}.AlgorithmSpecification.TrainingImage",
                    "123456789012.dkr.ecr.us-east-1.amazonaws.com/mine:2")


def test_algorithm_changed_under_identical_data_and_algorithm():
    violation = only(rejected({"p1": parent_describe("p1")}, new_image_request()), ALGORITHM_CHANGED)
    assert violation.parent == "p1" and "TrainingImage '811284229777" in violation.message
    assert "use TransferLearning" in violation.message


def test_algorithm_may_change_under_transfer_learning():
    run({"p1": parent_describe("p1")}, new_image_request(), TL)


def test_algorithm_name_on_one_side_only_is_a_change():
    parent = parent_describe("p1")
    parent[DEFINITION]["AlgorithmSpecification"]["AlgorithmName"] = "arn:aws:sagemaker:algo"
    violation = only(rejected({"p1": parent}), ALGORITHM_CHANGED)
    assert "AlgorithmName 'arn:aws:sagemaker:algo' -> null" in violation.message


def test_data_changed_names_channels():
    request = valid_request()
    channels = request[DEFINITION]["InputDataConfig"]
    channels[0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://example-bucket/data/train-v2/"
    channels[1]["ChannelName"] = "test"
    violation = only(rejected({"p1": parent_describe("p1")}, request), DATA_CHANGED)
    assert violation.parent == "p1"
    assert ("added 'test'; removed 'validation'; changed 'train': "
            "'s3://example-bucket/data/train/' -> 's3://example-bucket/data/train-v2/'") in violation.message
    run({"p1": parent_describe("p1")}, request, TL)


def test_file_system_channels_compare_by_file_system_and_directory():
    request = valid_request()
    request[DEFINITION]["InputDataConfig"][0]["DataSource"] = {"FileSystemDataSource": {
        "FileSystemId": "fs-1", "FileSystemType": "EFS", "FileSystemAccessMode": "ro",
        "DirectoryPath": "/train"}}
    run({"p1": parent_describe("p1", request=request)}, request)
    other = copy.deepcopy(request)
    other[DEFINITION]["InputDataConfig"][0]["DataSource"]["FileSystemDataSource"]["DirectoryPath"] = "/train2"
    violation = only(rejected({"p1": parent_describe("p1", request=request)}, other), DATA_CHANGED)
    assert "'fs-1:/train' -> 'fs-1:/train2'" in violation.message


# --- IMMUTABLE_FIELD_CHANGED ---------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("EnableNetworkIsolation", True),
    ("EnableInterContainerTrafficEncryption", True),
    ("Environment", {"MODE": "fast"}),
    ("RetryStrategy", {"MaximumAttemptsCount": 2}),
    ("HyperParameterTuningResourceConfig", {"InstanceCount": 2}),
])
def test_immutable_field_changed(field, value):
    request = set_path(valid_request(), f"{DEFINITION}.{field}", value)
    violation = only(rejected({"p1": parent_describe("p1")}, request, TL), IMMUTABLE_FIELD_CHANGED)
    assert violation.parent == "p1" and f"{field} (unset -> " in violation.message


@pytest.mark.parametrize("field, value", [
    ("RoleArn", "arn:aws:iam::123456789012:role/Other"),
    ("ResourceConfig", {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 100}),
    ("StoppingCondition", {"MaxRuntimeInSeconds": 7200}),
    ("OutputDataConfig", {"S3OutputPath": "s3://other/"}),
    ("VpcConfig", {"SecurityGroupIds": ["sg-1"], "Subnets": ["subnet-1"]}),
    ("EnableManagedSpotTraining", True),
    ("CheckpointConfig", {"S3Uri": "s3://example-bucket/checkpoints/"}),
    ("DefinitionName", "ignored"),
    ("TuningObjective", {"Type": "Minimize", "MetricName": "ignored"}),
])
def test_mutable_fields_may_change(field, value):
    run({"p1": parent_describe("p1")}, set_path(valid_request(), f"{DEFINITION}.{field}", value))


@pytest.mark.parametrize("value", [None, False, {}, []])
def test_unset_values_are_equal(value):
    request = set_path(valid_request(), f"{DEFINITION}.Environment", value)
    request[DEFINITION]["EnableNetworkIsolation"] = value
    parent = parent_describe("p1")
    parent[DEFINITION]["Environment"] = {}
    run({"p1": parent}, request)


# --- warning: warm start is not recursive --------------------------------------------

def test_unlisted_grandparents_are_a_warning():
    parents = {"p2": parent_describe("p2", warm_start_parents=["p1", "p0", "p1"])}
    report = run(parents)
    assert [(w["code"], w["parent"]) for w in report["warnings"]] == [
        (PARENT_HAS_UNLISTED_PARENTS, "p2")]
    assert "from 'p1', 'p0'; warm start is not recursive" in report["warnings"][0]["message"]


def test_listed_grandparents_are_no_warning():
    parents = {"p2": parent_describe("p2", warm_start_parents=["p1"]), "p1": parent_describe("p1")}
    assert run(parents)["warnings"] == []


# --- warm start type -----------------------------------------------------------------

@pytest.mark.parametrize("value, hint", [
    ("IDENTICAL_DATA_AND_ALGORITHM", "is IdenticalDataAndAlgorithm in the API"),
    ("identicaldataandalgorithm", ""), (None, ""), (1, "")])
def test_warm_start_type_spelling(value, hint):
    violation = only(rejected({"p1": parent_describe("p1")}, warm_start_type=value), INVALID_REQUEST)
    assert violation.message.startswith("WarmStartConfig.WarmStartType: expected "
                                        "IdenticalDataAndAlgorithm or TransferLearning")
    assert hint in violation.message


# --- several parents, all violations at once -----------------------------------------

def test_several_parents_each_checked_and_named():
    p1 = parent_describe("p1")
    p2 = set_path(parent_describe("p2"), f"{CONFIG}.HyperParameterTuningJobObjective.MetricName", "loss")
    p3 = parent_describe("p3", status="InProgress")
    p3[DEFINITION]["AlgorithmSpecification"]["TrainingImage"] = "old:1"
    del p3[DEFINITION]["StaticHyperParameters"]["epochs"]
    violations = rejected({"p1": p1, "p2": p2, "p3": p3})
    assert [(v.code, v.parent) for v in violations] == [
        (OBJECTIVE_MISMATCH, "p2"),
        (PARENT_NOT_TERMINAL, "p3"),
        (HYPERPARAMETER_SET_MISMATCH, "p3"),
        (ALGORITHM_CHANGED, "p3"),
    ]
    assert all(f"'{v.parent}'" in v.message for v in violations)


def test_all_violations_are_reported_at_once():
    request = valid_request(HyperParameterTuningJobName="bad_name")
    request[DEFINITION]["EnableNetworkIsolation"] = True
    request[DEFINITION]["AlgorithmSpecification"]["TrainingImage"] = "new:2"
    request[CONFIG]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = 480
    old = parent_describe("old", creation_time="2018-01-01T00:00:00Z", status="Stopping")
    with pytest.raises(WarmStartValidationError) as info:
        evaluate(["old", "old", "gone"], {"old": old, "gone": None}, request, IDA)
    codes = [v.code for v in info.value.violations]
    assert codes == [INVALID_REQUEST, PARENT_COUNT, PARENT_NOT_TERMINAL, PARENT_TOO_OLD,
                     ALGORITHM_CHANGED, IMMUTABLE_FIELD_CHANGED, PARENT_NOT_FOUND,
                     TRAINING_JOB_LIMIT]
    assert info.value.report["accepted"] is False
