"""Issue 11: several WarmStartTuning fragments in one state machine. ``state_name_prefix``
keeps their state names apart, so two fragments run side by side in one Parallel state,
on the local engine, each creating its own warm-start job."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from cdk_helpers import flatten, load_example_app, new_app
from warm_start_tuning import WarmStartTuning, WarmStartType
from warm_start_tuning.local import LocalEngine

EXAMPLE = load_example_app()
ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"


def _fragment(stack: Stack, construct_id: str, prefix: str, **extra) -> WarmStartTuning:
    return WarmStartTuning(
        stack, construct_id,
        warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        tuning_job_config=EXAMPLE.tuning_job_config(),
        training_job_definition=EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
        job_name_prefix=prefix,
        parents=[f"{prefix}-parent-1"],
        # The Parallel state around the fragments: Entered/Exited and the branches' start/end.
        other_history_events=6,
        **extra,
    )


@pytest.fixture(scope="module")
def template() -> dict:
    stack = Stack(new_app(), "TwoFragments")
    parallel = sfn.Parallel(stack, "TuneBoth")
    parallel.branch(_fragment(stack, "Churn", "churn", state_name_prefix="Churn-"))
    parallel.branch(_fragment(stack, "Fraud", "fraud", state_name_prefix="Fraud-"))
    sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(parallel))
    return Template.from_stack(stack).to_json()


def test_without_a_prefix_two_fragments_collide_and_cdk_says_so():
    stack = Stack(new_app(), "Collide")
    parallel = sfn.Parallel(stack, "TuneBoth")
    parallel.branch(_fragment(stack, "Churn", "churn"))
    parallel.branch(_fragment(stack, "Fraud", "fraud"))
    with pytest.raises(RuntimeError, match="State with name 'ReadRunInput' occurs in both"):
        sfn.StateMachine(stack, "Machine", definition_body=sfn.DefinitionBody.from_chainable(parallel))


def test_every_state_of_each_fragment_carries_its_prefix(template):
    (machine,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    definition = json.loads(flatten(machine["Properties"]["DefinitionString"]))
    churn, fraud = definition["States"]["TuneBoth"]["Branches"]
    assert churn["StartAt"] == "Churn-ReadRunInput" and fraud["StartAt"] == "Fraud-ReadRunInput"
    assert all(name.startswith("Churn-") for name in churn["States"]), sorted(churn["States"])
    assert all(name.startswith("Fraud-") for name in fraud["States"]), sorted(fraud["States"])
    # Error names are API: only the state names change.
    assert churn["States"]["Churn-WarmStartValidationError"]["Error"] == "WarmStartValidationError"


def test_state_name_prefix_is_checked():
    stack = Stack(new_app(), "BadPrefix")
    with pytest.raises(ValueError, match=r"state_name_prefix: expected at most 48 characters"):
        _fragment(stack, "Churn", "churn", state_name_prefix="x" * 49)
    with pytest.raises(ValueError, match=r"state_name_prefix: expected a string \(e.g. 'Churn-'\), got int 1"):
        _fragment(stack, "Fraud", "fraud", state_name_prefix=1)


def test_two_fragments_run_side_by_side_in_one_parallel(template):
    request = {
        "HyperParameterTuningJobConfig": EXAMPLE.tuning_job_config(),
        "TrainingJobDefinition": EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
    }
    with LocalEngine(time_scale=float("inf")) as engine:
        engine.sagemaker.add_tuning_job("churn-parent-1", request)
        engine.sagemaker.add_tuning_job("fraud-parent-1", request)
        arn = engine.deploy(template)
        result = engine.run(arn, {}, name="both-2024-06-01")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    churn, fraud = result.output
    assert churn["tuningJobName"].startswith("churn-") and churn["parents"] == ["churn-parent-1"]
    assert fraud["tuningJobName"].startswith("fraud-") and fraud["parents"] == ["fraud-parent-1"]
    assert churn["status"] == fraud["status"] == "Completed"
