"""The local engine models what AWS documents, including the inconvenient parts.

Each test fails on an engine that answers the convenient way (moto's own, or this
library's earlier assumptions) and passes on one that answers as AWS does. The list of
modelled behaviours, with their sources, is in warm_start_tuning.local.engine's
docstring.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from warm_start_tuning.local import InvalidDefinitionError, LocalEngine, default_tuning_request

SYNC = "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync"


def create_definition(*, resource: str = SYNC, parameters: dict[str, Any] | None = None, catch_all: bool = True) -> dict:
    """StartAt Create (the tuning task, its request from the input) -> Done, with a
    Catch States.ALL into Caught."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": resource,
        "Parameters": parameters
        or {
            "HyperParameterTuningJobName.$": "$.HyperParameterTuningJobName",
            "HyperParameterTuningJobConfig.$": "$.HyperParameterTuningJobConfig",
            "TrainingJobDefinition.$": "$.TrainingJobDefinition",
        },
        "End": True,
    }
    if catch_all:
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
    return {"StartAt": "Create", "States": {"Create": state, "Caught": {"Type": "Pass", "End": True}}}


def request(name: str = "job-1", **extra: Any) -> dict[str, Any]:
    return {**default_tuning_request(name), **extra}


# --- 1. the .sync output -----------------------------------------------------------------


def test_sync_output_is_thin_by_default(engine: LocalEngine) -> None:
    arn = engine.deploy_definition(create_definition())
    result = engine.run(arn, request())
    assert result.status == "SUCCEEDED", result.cause
    output = result.output
    assert output["HyperParameterTuningJobStatus"] == "Completed"
    # The best training job's name only: no summary, no OverallBest, no counters.
    assert isinstance(output["BestTrainingJob"], str)
    for missing in ("OverallBestTrainingJob", "TrainingJobStatusCounters", "HyperParameterTuningJobConfig"):
        assert missing not in output
    assert isinstance(output["CreationTime"], int) and isinstance(output["HyperParameterTuningEndTime"], int)


def test_sync_output_full_reading_is_a_switch() -> None:
    with LocalEngine(time_scale=float("inf"), sync_output="full") as engine:
        arn = engine.deploy_definition(create_definition())
        result = engine.run(arn, request())
    assert result.status == "SUCCEEDED", result.cause
    best = result.output["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "validation:auc"
    assert isinstance(result.output["CreationTime"], int)  # epoch milliseconds either way


def test_sync_output_reading_is_checked() -> None:
    with pytest.raises(ValueError, match="sync_output must be one of"):
        LocalEngine(sync_output="describe")


# --- 2. Step Functions' tags and AddTags ---------------------------------------------------


def _task_template(*, strip_add_tags: bool) -> dict[str, Any]:
    """A synthesized stack with the library's RUN_JOB task and no tags; optionally
    without the sagemaker:AddTags statement (what the task granted before issue 10)."""
    from aws_cdk import App, Stack
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_stepfunctions as sfn
    from aws_cdk.assertions import Template

    from warm_start_tuning import SageMakerCreateHyperParameterTuningJob

    app = App(context={"aws:cdk:bundling-stacks": []})
    stack = Stack(app, "TaskOnly")
    role = iam.Role.from_role_arn(stack, "Role", "arn:aws:iam::123456789012:role/SageMakerRole", mutable=False)
    body = default_tuning_request("imgcls-x")
    task = SageMakerCreateHyperParameterTuningJob(
        stack,
        "Create",
        tuning_job_name="$.name",
        hyper_parameter_tuning_job_config=body["HyperParameterTuningJobConfig"],
        training_job_definition=body["TrainingJobDefinition"],
        role=role,
        job_name_prefix="imgcls",
    )
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(task))
    template = Template.from_stack(stack).to_json()
    if strip_add_tags:
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::IAM::Policy":
                statements = resource["Properties"]["PolicyDocument"]["Statement"]
                statements[:] = [s for s in statements if s["Action"] != "sagemaker:AddTags"]
    return template


@pytest.fixture(scope="module")
def task_templates() -> dict[str, dict[str, Any]]:
    return {"with": _task_template(strip_add_tags=False), "without": _task_template(strip_add_tags=True)}


def test_run_job_task_without_tags_is_denied_without_add_tags(engine: LocalEngine, task_templates) -> None:
    arn = engine.deploy(copy.deepcopy(task_templates["without"]))
    result = engine.run(arn, {"name": "imgcls-denied"})
    assert result.status == "FAILED"
    assert result.error == "SageMaker.AmazonSageMakerException"
    assert "not authorized to perform: sagemaker:AddTags" in result.cause
    assert "Error Code: AccessDeniedException" in result.cause
    assert "imgcls-denied" not in engine.sagemaker.jobs


def test_run_job_task_without_tags_is_allowed_with_add_tags(engine: LocalEngine, task_templates) -> None:
    arn = engine.deploy(copy.deepcopy(task_templates["with"]))
    result = engine.run(arn, {"name": "imgcls-allowed"})
    assert result.status == "SUCCEEDED", result.cause
    tags = {t["Key"] for t in engine.sagemaker.job("imgcls-allowed").tags}
    assert tags == {"AWS_STEP_FUNCTIONS_EXECUTION_ARN", "MANAGED_BY_AWS"}  # Step Functions' own


def test_step_functions_tags_count_against_the_50(engine: LocalEngine) -> None:
    parameters = {**create_definition()["States"]["Create"]["Parameters"], "Tags.$": "$.Tags"}
    arn = engine.deploy_definition(create_definition(parameters=parameters, catch_all=False))
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(49)]  # + Step Functions' 2 = 51
    result = engine.run(arn, request(Tags=tags))
    assert result.status == "FAILED"
    assert result.error == "SageMaker.AmazonSageMakerException"
    assert "less than or equal to 50" in result.cause
    fits = engine.run(arn, request("job-2", Tags=tags[:48]))
    assert fits.status == "SUCCEEDED", fits.cause


# --- 3. the integration's documented parameters ---------------------------------------------


def test_an_unknown_static_field_is_refused_before_any_state_runs(engine: LocalEngine) -> None:
    parameters = {**create_definition()["States"]["Create"]["Parameters"], "Autotune": {"Mode": "Enabled"}}
    with pytest.raises(InvalidDefinitionError, match='The field "Autotune" is not supported by Step Functions'):
        engine.deploy_definition(create_definition(parameters=parameters))
    assert engine.client("stepfunctions").list_state_machines()["stateMachines"] == []


def test_an_unknown_field_known_at_run_time_fails_with_states_runtime_past_every_catch(engine: LocalEngine) -> None:
    parameters = {**create_definition()["States"]["Create"]["Parameters"], "Autotune.$": "$.Autotune"}
    arn = engine.deploy_definition(create_definition(parameters=parameters))
    result = engine.run(arn, request(Autotune={"Mode": "Enabled"}))
    # Not caught by the Catch on States.ALL, and nothing was created (moto drops it).
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"
    assert "Autotune" in result.cause
    assert engine.sagemaker.jobs == []


# --- 4. error names and terminal errors -------------------------------------------------------


def test_a_refused_create_arrives_as_amazon_sagemaker_exception_with_the_message(engine: LocalEngine) -> None:
    engine.sagemaker.inject_error(
        "CreateHyperParameterTuningJob", "ValidationException", "The warm start counts 12 changes; at most 10"
    )
    arn = engine.deploy_definition(create_definition(catch_all=False))
    result = engine.run(arn, request())
    assert result.error == "SageMaker.AmazonSageMakerException"
    assert result.cause.startswith("The warm start counts 12 changes; at most 10 (Service: AmazonSageMaker")
    assert "Error Code: ValidationException" in result.cause


def test_data_limit_exceeded_at_256_kib(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "Parameters": {"a.$": "$.text", "b.$": "$.text"}, "End": True}},
    }
    arn = engine.deploy_definition(definition)
    result = engine.run(arn, {"text": "x" * (150 * 1024)})  # 2 x 150 KiB > 256 KiB
    assert result.status == "FAILED"
    assert result.error == "States.DataLimitExceeded"
    small = engine.run(arn, {"text": "x" * 1024})
    assert small.status == "SUCCEEDED", small.cause
    assert json.dumps(small.output)
