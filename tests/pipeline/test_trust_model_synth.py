"""The trust model at synth time: name spaces, the input policy props, least privilege."""

from __future__ import annotations

import pytest
from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from cdk_helpers import flatten, new_app
from warm_start_tuning import NewDataTrigger, WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.local.simulated_jobs import default_tuning_request

REQUEST = default_tuning_request()


def pipeline(stack: Stack, construct_id: str, prefix: str, **props) -> WarmStartTuningPipeline:
    props.setdefault("parents", [f"{prefix}-parent"])
    return WarmStartTuningPipeline(
        stack,
        construct_id,
        warm_start_type=WarmStartType.TRANSFER_LEARNING,
        tuning_job_config=REQUEST["HyperParameterTuningJobConfig"],
        training_job_definition=REQUEST["TrainingJobDefinition"],
        job_name_prefix=prefix,
        **props,
    )


@pytest.mark.parametrize("first, second", [("imgcls", "imgcls-deploy"), ("imgcls-deploy", "imgcls"),
                                           ("imgcls", "imgcls")])
def test_overlapping_name_spaces_are_refused_naming_both(first: str, second: str) -> None:
    app = new_app()
    pipeline(Stack(app, "A"), "First", first)
    with pytest.raises(ValueError) as caught:
        pipeline(Stack(app, "B"), "Second", second)  # another stack of the same app
    message = str(caught.value)
    assert f"job_name_prefix {second!r}" in message and "A/First/WarmStartTuning" in message
    assert f"overlaps the name space {first}-*" in message


def test_prefixes_that_only_share_letters_do_not_overlap() -> None:
    app = new_app()
    stack = Stack(app, "S")
    pipeline(stack, "One", "imgcls")
    pipeline(stack, "Two", "imgcls2")  # imgcls-* and imgcls2-* share no name


@pytest.fixture(scope="module")
def restricted_template() -> Template:
    app = new_app()
    stack = Stack(app, "Restricted")
    pipeline(stack, "Strict", "strict", parents=["baseline-1"], allowed_parent_prefixes=["baseline-", "Shared-"])
    return Template.from_stack(stack)


def test_allowed_parent_prefixes_limit_what_the_validator_may_describe(restricted_template: Template) -> None:
    policies = restricted_template.find_resources("AWS::IAM::Policy")
    (validator,) = [p for name, p in policies.items() if name.startswith("WarmStartValidatorRole")]
    described = {
        statement["Resource"]["Fn::Join"][1][-1]
        for statement in validator["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:DescribeHyperParameterTuningJob" in statement["Action"]
    }
    # its own jobs and the allowed prefixes (lowercased: SageMaker lowercases names in ARNs)
    assert described == {":hyper-parameter-tuning-job/strict-*", ":hyper-parameter-tuning-job/baseline-*",
                         ":hyper-parameter-tuning-job/shared-*"}


def test_the_policy_reaches_the_validator_as_settings(restricted_template: Template) -> None:
    (machine,) = restricted_template.find_resources("AWS::StepFunctions::StateMachine").values()
    definition = flatten(machine["Properties"]["DefinitionString"])
    assert '"parentPrefixes":["baseline-","Shared-"]' in definition


@pytest.mark.parametrize("props, expected", [
    ({"allowed_overrides": ["tuningJobNames"]},
     "allowed_overrides: 'tuningJobNames' is not an execution input override (did you mean 'tuningJobName'?)"),
    ({"allowed_overrides": "parents"}, "allowed_overrides must be a list of strings, got 'parents'"),
    ({"allowed_input_locations": ["https://example.com/data"]},
     "allowed_input_locations: expected s3://bucket/ or s3://bucket/prefix/, got 'https://example.com/data'"),
    ({"allowed_parent_prefixes": ["-bad"]},
     "allowed_parent_prefixes: expected the start of tuning job names (1-32 of a-z A-Z 0-9 and '-'), got '-bad'"),
    ({"allowed_parent_prefixes": ["baseline-"], "parents": ["other-1"]},
     "parents ['other-1'] are outside allowed_parent_prefixes: the validator may only describe jobs named "
     "free-*, baseline-*"),
])
def test_policy_props_are_checked_at_synth(props: dict, expected: str) -> None:
    with pytest.raises(ValueError) as caught:
        pipeline(Stack(new_app(), "S"), "P", "free", **props)
    assert expected in str(caught.value)


def test_input_locations_that_leave_out_the_trigger_bucket_are_refused() -> None:
    stack = Stack(new_app(), "S")
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "ml-data")
    with pytest.raises(ValueError) as caught:
        pipeline(stack, "P", "free", new_data_trigger=NewDataTrigger(bucket, "incoming/", ["train"]),
                 allowed_input_locations=["s3://example-bucket/"])
    assert "leave out the new-data trigger's bucket 'ml-data'" in str(caught.value)


def test_a_prefix_too_long_for_a_64_bit_suffix_is_refused() -> None:
    with pytest.raises(ValueError) as caught:
        pipeline(Stack(new_app(), "S"), "P", "x" * 19)
    assert "jobNamePrefix: expected 1 to 18 characters, got 19" in str(caught.value)
