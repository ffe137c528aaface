"""The final request always satisfies botocore's own SageMaker model, and what only the
model catches still becomes INVALID_REQUEST."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.session
import handler as handler_module
import pytest
from botocore.validate import ParamValidator
from moto_fixtures import aws_credentials, create_parent, sagemaker, valid_event  # noqa: F401
from warm_start_rules import WarmStartValidationError
from warm_start_rules.planner import plan

SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateHyperParameterTuningJob")
    .input_shape
)


def model_errors(request: Any) -> str:
    report = ParamValidator().validate(request, SHAPE)
    return report.generate_report() if report.has_errors() else ""


@pytest.fixture
def handler(sagemaker: Any) -> Iterator[Any]:  # noqa: F811
    handler_module._client = None
    for name in ("p1", "p2"):
        create_parent(sagemaker, name)
    yield handler_module
    handler_module._client = None


ACCEPTED = {
    "plain": {},
    "two parents": {"parents": ["p1", "p2"]},
    "identical data": {"warmStartType": "IdenticalDataAndAlgorithm"},
    "named": {"overrides": {"tuningJobName": "imgcls-nightly"}},
    "no settings": {"settings": None},
    "default prefix": {"settings": {}},
    "long prefix": {"settings": {"jobNamePrefix": "x" * 18}},
    "limits": {"overrides": {"maxTrainingJobs": 40.0, "maxParallelTrainingJobs": 4}},
    "data": {"overrides": {"inputData": {"train": "s3://example-bucket/t", "validation": "s3://example-bucket/x"}}},
    "statics": {"overrides": {"staticHyperParameters": {"num_round": 300, "objective": "binary:hinge"}}},
    "odd execution name": {"executionName": "run(1)!ü" + "x" * 70},
    "all overrides": {
        "overrides": {
            "parents": ["p1"], "warmStartType": "TransferLearning",
            "tuningJobName": "imgcls-all", "inputData": {"validation": "s3://example-bucket/v"},
            "maxTrainingJobs": 10, "maxParallelTrainingJobs": 1,
            "staticHyperParameters": {"num_round": 1.5},
        }
    },
}


@pytest.mark.parametrize("changes", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_every_accepted_request_validates_against_botocore(handler: Any, changes: dict[str, Any]) -> None:
    event = {**valid_event(["p1"]), **changes}
    result = handler.lambda_handler(event, None)
    assert model_errors(result["request"]) == ""
    # ... and is exactly what the pure planner produced (the model check adds nothing).
    assert result == plan(event, lambda name: handler.parents.describe_parent(handler.sagemaker_client(), name))


def test_user_tags_pass_through_the_model(handler: Any) -> None:
    event = valid_event(["p1"])
    event["request"]["Tags"] = [{"Key": "team", "Value": "ml"}]
    assert model_errors(handler.lambda_handler(event, None)["request"]) == ""


@pytest.mark.parametrize(
    "path, value, fragment",
    [
        # The engine treats StoppingCondition/ResourceConfig as opaque mutable fields.
        (("TrainingJobDefinition", "StoppingCondition", "MaxRuntimeInSeconds"), "3600", "MaxRuntimeInSeconds"),
        (("TrainingJobDefinition", "ResourceConfig", "InstanceCount"), "1", "InstanceCount"),
        (("TrainingJobDefinition", "OutputDataConfig", "Colour"), "blue", "Unknown parameter"),
    ],
)
def test_what_only_botocore_catches_is_invalid_request(
    handler: Any, path: tuple[str, ...], value: Any, fragment: str
) -> None:
    event = valid_event(["p1"])
    target = event["request"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    # the rule engine alone lets it through ...
    plan(event, lambda name: handler.parents.describe_parent(handler.sagemaker_client(), name))
    # ... the handler does not
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(event, None)
    violations = json.loads(str(error.value))["violations"]
    assert {v["code"] for v in violations} == {"INVALID_REQUEST"}
    assert any(fragment in v["message"] for v in violations)
    assert error.value.report is not None and error.value.report["accepted"] is False


def test_many_model_problems_are_capped(handler: Any) -> None:
    event = valid_event(["p1"])
    stopping = event["request"]["TrainingJobDefinition"]["StoppingCondition"]
    stopping.update({f"Extra{i}": i for i in range(40)})
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(event, None)
    messages = [v.message for v in error.value.violations]
    assert len(messages) == 21 and messages[-1].endswith("20 more problem(s)")
