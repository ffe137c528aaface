"""INVALID_REQUEST: the request itself is malformed (request_checks.check_request)."""

from __future__ import annotations

import pytest
from factories import delete_path, set_path, valid_request

from warm_start_rules import INVALID_REQUEST, check_job_name, check_request, job_name_problem

CONFIG = "HyperParameterTuningJobConfig"
DEFINITION = "TrainingJobDefinition"
RANGES = f"{CONFIG}.ParameterRanges"


def messages(request, **kwargs) -> list[str]:
    violations = check_request(request, **kwargs)
    assert all(v.code == INVALID_REQUEST and v.parent is None for v in violations)
    return [v.message for v in violations]


def only_message(request, **kwargs) -> str:
    found = messages(request, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_valid_request_has_no_problem():
    assert check_request(valid_request()) == []
    assert check_request(valid_request(), require_name=True) == []


@pytest.mark.parametrize("request_", [None, [], ["a"], 3, "request", 1.5, True])
def test_request_must_be_an_object(request_):
    assert only_message(request_).startswith("request: expected an object")


# --- job name ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a", "a" * 32, "a--b", "A-1-b", "0abc", "a-b-c-d"])
def test_job_name_accepted(name):
    assert job_name_problem(name) is None
    assert check_request(valid_request(HyperParameterTuningJobName=name)) == []


@pytest.mark.parametrize("name, expected", [
    ("a" * 33, "expected 1 to 32 characters, got 33"),
    ("", "expected 1 to 32 characters, got 0"),
    ("-abc", "does not match"),
    ("abc-", "does not match"),
    ("a_b", "does not match"),
    ("a b", "does not match"),
    ("abc\n", "does not match"),
    ("über", "does not match"),
    (5, "expected a string, got integer 5"),
])
def test_job_name_rejected(name, expected):
    message = only_message(valid_request(HyperParameterTuningJobName=name))
    assert message.startswith("HyperParameterTuningJobName: ")
    assert expected in message
    assert check_job_name(name) and expected in check_job_name(name)[0]


def test_job_name_required_only_when_asked():
    request = delete_path(valid_request(), "HyperParameterTuningJobName")
    assert check_request(request) == []
    assert "HyperParameterTuningJobName: missing" in only_message(request, require_name=True)


# --- tuning job config ---------------------------------------------------------------

@pytest.mark.parametrize("path, value, expected", [
    (f"{CONFIG}.Strategy", "Genetic", "Strategy: expected one of Bayesian, Random, Hyperband, Grid, got string 'Genetic'"),
    (f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs", 0, "MaxNumberOfTrainingJobs: expected an integer >= 1, got integer 0"),
    (f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs", True, "got boolean true"),
    (f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs", 50.0, "got number 50.0"),
    (f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs", "50", "got string '50'"),
    (f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs", 0, "MaxParallelTrainingJobs: expected an integer >= 1"),
    (f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs", 51, "MaxParallelTrainingJobs: 51 > MaxNumberOfTrainingJobs 50"),
    (f"{CONFIG}.ResourceLimits", [], "ResourceLimits: expected an object, got a list"),
    (f"{CONFIG}.HyperParameterTuningJobObjective.Type", "Max", "Type: expected one of Maximize, Minimize, got string 'Max'"),
    (f"{CONFIG}.HyperParameterTuningJobObjective.MetricName", "", "MetricName: expected a non-empty string, got string ''"),
    (f"{CONFIG}.ParameterRanges", "x", "ParameterRanges: expected an object"),
    (f"{RANGES}.IntegerParameterRanges", {}, "IntegerParameterRanges: expected a list"),
])
def test_config_problems(path, value, expected):
    message = only_message(set_path(valid_request(), path, value))
    assert expected in message
    assert message.startswith(CONFIG)


@pytest.mark.parametrize("path, expected", [
    (f"{CONFIG}.Strategy", "Strategy: missing; expected one of"),
    (f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs", "MaxNumberOfTrainingJobs: missing"),
    (f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs", "MaxParallelTrainingJobs: missing"),
    (f"{CONFIG}.HyperParameterTuningJobObjective", "HyperParameterTuningJobObjective: missing"),
    (f"{CONFIG}.HyperParameterTuningJobObjective.MetricName", "MetricName: missing"),
    (CONFIG, "HyperParameterTuningJobConfig: missing"),
])
def test_config_missing_fields(path, expected):
    assert expected in only_message(delete_path(valid_request(), path))


def test_no_parameter_ranges_at_all_is_allowed():
    assert check_request(delete_path(valid_request(), f"{CONFIG}.ParameterRanges")) == []


def continuous(**fields):
    return {"Name": "x", "MinValue": "0.1", "MaxValue": "0.5", **fields}


def integer(**fields):
    return {"Name": "n", "MinValue": "1", "MaxValue": "10", **fields}


def with_range(kind: str, entry: dict) -> dict:
    request = valid_request()
    request[CONFIG]["ParameterRanges"][kind] = [entry]
    request[CONFIG]["ParameterRanges"].pop(
        {"ContinuousParameterRanges": "IntegerParameterRanges",
         "IntegerParameterRanges": "ContinuousParameterRanges",
         "CategoricalParameterRanges": "IntegerParameterRanges"}[kind])
    return request


def test_min_greater_than_max_names_the_path():
    message = only_message(with_range("ContinuousParameterRanges",
                                      continuous(MinValue="0.5", MaxValue="0.1")))
    assert message == f"{RANGES}.ContinuousParameterRanges[0]: MinValue 0.5 > MaxValue 0.1"


@pytest.mark.parametrize("kind, entry, expected", [
    ("ContinuousParameterRanges", continuous(MinValue="abc"), "MinValue: expected a finite a number string"),
    ("ContinuousParameterRanges", continuous(MinValue=0.1), "(the API takes strings), got number 0.1"),
    ("ContinuousParameterRanges", continuous(MaxValue="nan"), "MaxValue: expected a finite"),
    ("ContinuousParameterRanges", continuous(MaxValue="inf"), "MaxValue: expected a finite"),
    ("ContinuousParameterRanges", continuous(MaxValue="1e400"), "MaxValue: expected a finite"),
    ("ContinuousParameterRanges", continuous(MaxValue="1_0"), "MaxValue: expected a finite"),
    ("ContinuousParameterRanges", continuous(MaxValue="9" * 300), "expected at most 256 characters, got 300"),
    ("ContinuousParameterRanges", continuous(Name=""), "Name: expected a non-empty string"),
    ("ContinuousParameterRanges", continuous(MinValue="0", ScalingType="Logarithmic"), "Logarithmic scaling needs MinValue > 0, got 0"),
    ("ContinuousParameterRanges", continuous(MaxValue="1", ScalingType="ReverseLogarithmic"), "ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1"),
    ("ContinuousParameterRanges", continuous(MinValue="-0.1", ScalingType="ReverseLogarithmic"), "ReverseLogarithmic scaling needs"),
    ("ContinuousParameterRanges", continuous(ScalingType="Exponential"), "ScalingType: expected one of Auto, Linear, Logarithmic, ReverseLogarithmic"),
    ("IntegerParameterRanges", integer(MinValue="1.5"), "MinValue: expected an integer string"),
    ("IntegerParameterRanges", integer(MaxValue=10), "got integer 10"),
    ("IntegerParameterRanges", integer(MinValue="11"), "MinValue 11 > MaxValue 10"),
    ("IntegerParameterRanges", integer(MinValue="0", ScalingType="Logarithmic"), "Logarithmic scaling needs MinValue > 0"),
    ("IntegerParameterRanges", integer(ScalingType="ReverseLogarithmic"), "expected one of Auto, Linear, Logarithmic for Integer ranges"),
    ("CategoricalParameterRanges", {"Name": "c", "Values": []}, "Values: expected a non-empty list of strings"),
    ("CategoricalParameterRanges", {"Name": "c", "Values": "red"}, "Values: expected a non-empty list of strings"),
    ("CategoricalParameterRanges", {"Name": "c", "Values": ["red", 1]}, "Values[1]: expected a string, got integer 1"),
    ("CategoricalParameterRanges", {"Name": "c", "Values": ["red", "red"]}, "Values[1]: duplicate value 'red'"),
    ("CategoricalParameterRanges", "c", "CategoricalParameterRanges[0]: expected an object"),
])
def test_range_problems(kind, entry, expected):
    message = only_message(with_range(kind, entry))
    assert message.startswith(f"{RANGES}.{kind}[0]")
    assert expected in message


@pytest.mark.parametrize("kind, entry", [
    ("ContinuousParameterRanges", continuous(MinValue="0.5", MaxValue="0.5")),
    ("ContinuousParameterRanges", continuous(MinValue="1e-5", MaxValue="+.5", ScalingType="Logarithmic")),
    ("ContinuousParameterRanges", continuous(MinValue="0", MaxValue="0.999", ScalingType="ReverseLogarithmic")),
    ("ContinuousParameterRanges", continuous(MinValue="-3", MaxValue="3", ScalingType="Auto")),
    ("IntegerParameterRanges", integer(MinValue="-5", MaxValue="+5", ScalingType="Linear")),
    ("CategoricalParameterRanges", {"Name": "c", "Values": ["only"]}),
])
def test_valid_ranges(kind, entry):
    assert check_request(with_range(kind, entry)) == []


def test_a_name_may_appear_once_across_all_ranges():
    request = valid_request()
    request[CONFIG]["ParameterRanges"]["IntegerParameterRanges"].append(
        {"Name": "learning_rate", "MinValue": "1", "MaxValue": "2"})
    message = only_message(request)
    assert "hyperparameter 'learning_rate' already has a range at" in message
    assert f"{RANGES}.IntegerParameterRanges[1]" in message
    assert f"{RANGES}.ContinuousParameterRanges[0]" in message
    assert message.endswith("each name may appear once")


def test_a_name_cannot_be_tunable_and_static():
    request = set_path(valid_request(), f"{DEFINITION}.StaticHyperParameters.optimizer", "sgd")
    message = only_message(request)
    assert message.startswith(f"{DEFINITION}.StaticHyperParameters.optimizer: 'optimizer' is also "
                              "tunable")


# --- training job definition ---------------------------------------------------------

@pytest.mark.parametrize("path, value, expected", [
    (f"{DEFINITION}.StaticHyperParameters", ["a"], "StaticHyperParameters: expected an object of string -> string"),
    (f"{DEFINITION}.StaticHyperParameters", {"epochs": 30}, "StaticHyperParameters.epochs: expected a string value (the API takes strings), got integer 30"),
    (f"{DEFINITION}.StaticHyperParameters", {"": "x"}, "expected non-empty string keys"),
    (f"{DEFINITION}.AlgorithmSpecification", {"TrainingInputMode": "File"}, "expected TrainingImage or AlgorithmName, got neither"),
    (f"{DEFINITION}.AlgorithmSpecification.TrainingInputMode", "Stream", "TrainingInputMode: expected one of File, Pipe, FastFile"),
    (f"{DEFINITION}.AlgorithmSpecification.TrainingImage", "", "TrainingImage: expected a non-empty string"),
    (f"{DEFINITION}.RoleArn", 7, "RoleArn: expected a non-empty string, got integer 7"),
    (f"{DEFINITION}.OutputDataConfig", {}, "OutputDataConfig.S3OutputPath: missing"),
    (f"{DEFINITION}.ResourceConfig", "big", "ResourceConfig: expected an object"),
    (f"{DEFINITION}.InputDataConfig", {"train": "s3://x"}, "InputDataConfig: expected a list of channels"),
    (DEFINITION, [], "TrainingJobDefinition: expected an object, got a list"),
])
def test_definition_problems(path, value, expected):
    message = only_message(set_path(valid_request(), path, value))
    assert expected in message
    assert message.startswith(DEFINITION)


@pytest.mark.parametrize("path, expected", [
    (f"{DEFINITION}.AlgorithmSpecification", "AlgorithmSpecification: missing"),
    (f"{DEFINITION}.AlgorithmSpecification.TrainingInputMode", "TrainingInputMode: missing"),
    (f"{DEFINITION}.RoleArn", "RoleArn: missing"),
    (f"{DEFINITION}.OutputDataConfig", "OutputDataConfig: missing"),
    (f"{DEFINITION}.ResourceConfig", "ResourceConfig: missing"),
    (f"{DEFINITION}.StoppingCondition", "StoppingCondition: missing"),
    (DEFINITION, "TrainingJobDefinition: missing"),
])
def test_definition_missing_fields(path, expected):
    assert expected in only_message(delete_path(valid_request(), path))


def test_algorithm_name_instead_of_image_is_fine():
    request = valid_request()
    request[DEFINITION]["AlgorithmSpecification"] = {"AlgorithmName": "my-algo",
                                                     "TrainingInputMode": "Pipe"}
    assert check_request(request) == []


def test_tuning_resource_config_may_replace_resource_config():
    request = delete_path(valid_request(), f"{DEFINITION}.ResourceConfig")
    request[DEFINITION]["HyperParameterTuningResourceConfig"] = {"InstanceCount": 1}
    assert check_request(request) == []


def test_duplicate_channel_names():
    request = valid_request()
    request[DEFINITION]["InputDataConfig"][1]["ChannelName"] = "train"
    assert "InputDataConfig[1].ChannelName: duplicate channel 'train'" in only_message(request)


def test_plural_training_job_definitions_is_unsupported():
    request = valid_request()
    request["TrainingJobDefinitions"] = [request.pop(DEFINITION)]
    message = only_message(request)
    assert message.startswith("TrainingJobDefinitions: the multi-algorithm form is not supported")


def test_plural_next_to_singular_is_reported_once():
    request = valid_request()
    request["TrainingJobDefinitions"] = [dict(request[DEFINITION])]
    assert only_message(request).startswith("TrainingJobDefinitions:")


def test_every_problem_is_reported_at_once():
    request = valid_request(HyperParameterTuningJobName="-bad")
    request[CONFIG]["Strategy"] = "Genetic"
    request[CONFIG]["ResourceLimits"]["MaxParallelTrainingJobs"] = 0
    request[CONFIG]["ParameterRanges"]["ContinuousParameterRanges"][1]["MinValue"] = "2"
    del request[DEFINITION]["RoleArn"]
    request[DEFINITION]["StaticHyperParameters"]["epochs"] = 30
    found = messages(request)
    assert [m.split(":")[0] for m in found] == [
        "HyperParameterTuningJobName",
        f"{CONFIG}.Strategy",
        f"{CONFIG}.ResourceLimits.MaxParallelTrainingJobs",
        f"{RANGES}.ContinuousParameterRanges[1]",
        f"{DEFINITION}.RoleArn",
        f"{DEFINITION}.StaticHyperParameters.epochs",
    ]


def test_huge_and_odd_values_are_described_not_raised_on():
    request = valid_request()
    request[CONFIG]["ResourceLimits"]["MaxNumberOfTrainingJobs"] = -(10**5000)
    request[CONFIG]["ResourceLimits"]["MaxParallelTrainingJobs"] = float("nan")
    found = messages(request)
    assert "got integer a 16610-bit integer" in found[0]
    assert "got number nan" in found[1]
