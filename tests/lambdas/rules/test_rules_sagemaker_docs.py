"""Rules read from SageMaker's and Step Functions' documentation (issue 10).

Each case runs both ways: what the documentation allows passes, what it refuses is
rejected with INVALID_REQUEST (or the rule's own code) and a message that says why.
"""

from __future__ import annotations

import pytest
from factories import parent_describe, valid_request

from warm_start_rules import (
    DOCUMENTED_TUNING_PARAMETERS,
    HYPERPARAMETER_SET_MISMATCH,
    INVALID_REQUEST,
    MAX_TUNABLE_HYPERPARAMETERS,
    SAGEMAKER_MAX_TAGS,
    STEP_FUNCTIONS_SYNC_TAGS,
    WarmStartValidationError,
    check_request,
    check_static,
    evaluate,
    max_training_jobs,
    user_tag_budget,
)

CONFIG = "HyperParameterTuningJobConfig"


def messages(violations) -> list[str]:
    return [v.message for v in violations]


def grid_request(maximum: int | None = None, **ranges) -> dict:
    request = valid_request()
    config = request[CONFIG]
    config["Strategy"] = "Grid"
    config["ParameterRanges"] = ranges or {
        "CategoricalParameterRanges": [
            {"Name": "optimizer", "Values": ["sgd", "adam"]},
            {"Name": "mini_batch_size", "Values": ["32", "64", "128"]},
        ]
    }
    config["ResourceLimits"] = {"MaxParallelTrainingJobs": 2}
    if maximum is not None:
        config["ResourceLimits"]["MaxNumberOfTrainingJobs"] = maximum
    # The seed's tunables that Grid cannot take become static.
    request["TrainingJobDefinition"]["StaticHyperParameters"].update({"learning_rate": "0.01", "momentum": "0.9"})
    return request


# --- Grid search ---------------------------------------------------------------------------


def test_grid_without_max_training_jobs_is_accepted_and_counts_its_combinations():
    request = grid_request()
    assert check_request(request) == []
    assert max_training_jobs(request) == 6  # 2 optimizers x 3 batch sizes


def test_grid_with_max_training_jobs_equal_to_the_combinations_is_accepted():
    assert check_request(grid_request(maximum=6)) == []


def test_grid_with_another_max_training_jobs_is_rejected():
    (message,) = messages(check_request(grid_request(maximum=10)))
    assert message.startswith(f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs: 10")
    assert "one training job per combination" in message and "give 6" in message


def test_grid_with_a_continuous_range_is_rejected():
    request = grid_request(
        CategoricalParameterRanges=[{"Name": "optimizer", "Values": ["sgd", "adam"]}],
        ContinuousParameterRanges=[{"Name": "learning_rate", "MinValue": "0.001", "MaxValue": "0.1"}],
    )
    del request["TrainingJobDefinition"]["StaticHyperParameters"]["learning_rate"]
    found = messages(check_request(request))
    assert any("Grid search takes only categorical ranges; got Continuous" in m for m in found), found


def test_grid_combinations_count_against_the_training_job_limit():
    found = check_static(grid_request(), "TransferLearning", training_job_limit=5)
    assert [v.code for v in found] == ["TRAINING_JOB_LIMIT"]
    assert "MaxNumberOfTrainingJobs 6 > training-job limit 5" in found[0].message


def test_other_strategies_still_need_max_training_jobs():
    request = valid_request()
    del request[CONFIG]["ResourceLimits"]["MaxNumberOfTrainingJobs"]
    assert any("MaxNumberOfTrainingJobs: missing" in m for m in messages(check_request(request)))


# --- 30 tunable hyperparameters ----------------------------------------------------------


def many_tunables(count: int) -> dict:
    request = valid_request()
    request[CONFIG]["ParameterRanges"] = {
        "ContinuousParameterRanges": [
            {"Name": f"c{i}", "MinValue": "0", "MaxValue": "1"} for i in range(count // 2)
        ],
        "IntegerParameterRanges": [
            {"Name": f"i{i}", "MinValue": "1", "MaxValue": "9"} for i in range(count - count // 2)
        ],
    }
    return request


def test_thirty_tunable_hyperparameters_are_accepted():
    assert MAX_TUNABLE_HYPERPARAMETERS == 30
    assert check_request(many_tunables(30)) == []


@pytest.mark.parametrize("count", [31, 40])
def test_more_than_thirty_tunable_hyperparameters_are_rejected(count):
    (message,) = messages(check_request(many_tunables(count)))
    assert message == (
        f"{CONFIG}.ParameterRanges: {count} tunable hyperparameters; SageMaker searches at most 30 "
        "(all range kinds together)"
    )


# --- AutoParameters in the name-set rule ------------------------------------------------


def with_auto(request: dict, name: str) -> dict:
    request[CONFIG]["ParameterRanges"]["AutoParameters"] = [{"Name": name, "ValueHint": "0.5"}]
    return request


def test_auto_parameters_belong_to_the_hyperparameter_set():
    parent = parent_describe("p1", request=with_auto(valid_request(), "dropout"))
    # The request lacks the parent's AutoParameters name: the sets differ.
    with pytest.raises(WarmStartValidationError) as raised:
        evaluate(["p1"], {"p1": parent}, valid_request(), "TransferLearning")
    found = [v for v in raised.value.violations if v.code == HYPERPARAMETER_SET_MISMATCH]
    assert found and "dropout" in found[0].message


def test_the_same_auto_parameters_on_both_sides_pass():
    parent = parent_describe("p1", request=with_auto(valid_request(), "dropout"))
    report = evaluate(["p1"], {"p1": parent}, with_auto(valid_request(), "dropout"), "TransferLearning")
    assert report["accepted"] is True


def test_auto_parameter_needs_a_value_hint():
    request = valid_request()
    request[CONFIG]["ParameterRanges"]["AutoParameters"] = [{"Name": "dropout"}]
    assert any("AutoParameters[0].ValueHint: missing" in m for m in messages(check_request(request)))


# --- only what the optimized integration carries ------------------------------------------


def test_documented_parameters_are_the_step_functions_ones():
    assert DOCUMENTED_TUNING_PARAMETERS == (
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobConfig",
        "TrainingJobDefinition",
        "WarmStartConfig",
        "Tags",
    )


def test_autotune_is_refused_with_the_reason_not_dropped():
    (message,) = messages(check_request(valid_request(Autotune={"Mode": "Enabled"})))
    assert message.startswith("Autotune: Autotune is not among the parameters Step Functions' optimized")
    assert "States.Runtime" in message and "silently dropped" in message


def test_an_unknown_top_level_field_is_refused():
    (message,) = messages(check_request(valid_request(Frobnicate=1)))
    assert message.startswith("Frobnicate: Frobnicate is not among the parameters")


def test_training_job_definitions_says_why():
    request = valid_request()
    request["TrainingJobDefinitions"] = [request.pop("TrainingJobDefinition")]
    (message,) = messages(check_request(request))
    assert "multi-algorithm form is not supported" in message and "States.Runtime" in message


# --- tag budget -----------------------------------------------------------------------------


def test_tag_budget_counts_step_functions_tags():
    assert SAGEMAKER_MAX_TAGS == 50 and STEP_FUNCTIONS_SYNC_TAGS == 2
    budget = user_tag_budget()
    assert budget == 50 - 2 - 2  # the library's execution tag and run-key tag (limits.LIBRARY_TAGS)
    fits = valid_request(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(budget)])
    assert check_static(fits, "TransferLearning") == []
    over = valid_request(Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(budget + 1)])
    (violation,) = check_static(over, "TransferLearning")
    assert violation.code == INVALID_REQUEST
    assert "Step Functions adds 2 to every job a .sync task starts" in violation.message
