"""Issue 11: every prop is checked at synth, with one error listing every problem in the
form "expected X, got Y", and never an AttributeError from inside the library.

Each case is one the issue found synthesizing (and failing only at run time) or raising
a raw AttributeError.
"""

from __future__ import annotations

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam

from cdk_helpers import load_example_app, new_app
from warm_start_tuning import NewDataTrigger, WarmStartTuning, WarmStartTuningPipeline, WarmStartType

ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"
EXAMPLE = load_example_app()


@pytest.fixture
def stack() -> Stack:
    return Stack(new_app(), "PropTypes")


def props(**overrides) -> dict:
    return {
        "warm_start_type": WarmStartType.TRANSFER_LEARNING,
        "tuning_job_config": EXAMPLE.tuning_job_config(),
        "training_job_definition": EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
        "job_name_prefix": "imgcls",
        "parents": ["imgcls-parent-1"],
        **overrides,
    }


def problems(stack: Stack, cls=WarmStartTuningPipeline, **overrides) -> list[str]:
    with pytest.raises(ValueError) as error:
        cls(stack, "P", **props(**overrides))
    message = str(error.value)
    assert message.startswith(f"{cls.__name__}: invalid props:\n  - "), message
    assert "${Token" not in message and "e+289" not in message, message
    return message.split("\n  - ")[1:]


@pytest.mark.parametrize(
    "tags, expected",
    [
        ({"team": "ml"}, "tags: expected a list of {'Key': str, 'Value': str} such as [{'Key': 'team', 'Value': 'ml'}], got dict {'team': 'ml'}"),
        ([{"Key": "team"}], "tags[0]: expected exactly the keys 'Key' and 'Value'; missing 'Value'"),
        (["team=ml"], "tags[0]: expected a dict {'Key': str, 'Value': str} such as {'Key': 'team', 'Value': 'ml'}, got str 'team=ml'"),
        ([{"Key": 1, "Value": "ml"}], "tags[0].Key: expected a string, got int 1"),
    ],
)
def test_tags_shape(stack, tags, expected):
    assert problems(stack, tags=tags) == [expected]


def test_tag_count_and_lengths_are_checked_with_the_request(stack):
    found = problems(stack, tags=[{"Key": "k" * 129, "Value": "v"}] + [{"Key": f"k{i}", "Value": "v"} for i in range(47)])
    assert "[INVALID_REQUEST] Tags[0].Key: expected at most 128 characters, got 129" in found
    assert any("48 tags; at most 46 fit" in p for p in found), found


def test_misspelled_request_key_gets_a_did_you_mean(stack):
    config = EXAMPLE.tuning_job_config()
    config["ParameterRanges"]["ContinuousParameterRange"] = config["ParameterRanges"].pop("ContinuousParameterRanges")
    found = problems(stack, tuning_job_config=config)
    assert found[0] == (
        "[INVALID_REQUEST] HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRange: unknown key "
        "'ContinuousParameterRange'; did you mean 'ContinuousParameterRanges'?"
    )


def test_request_enums_lengths_and_types_from_botocore(stack):
    config = EXAMPLE.tuning_job_config()
    config["Strategy"] = "bayesian"
    definition = EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN)
    definition["ResourceConfig"]["InstanceCount"] = "1"
    definition["StoppingCondition"]["MaxRuntimeInSeconds"] = 0
    found = "\n".join(problems(stack, tuning_job_config=config, training_job_definition=definition))
    assert "HyperParameterTuningJobConfig.Strategy: expected one of Bayesian, Random, Hyperband, Grid, got 'bayesian' (did you mean 'Bayesian'?)" in found
    assert "TrainingJobDefinition.ResourceConfig.InstanceCount: expected an int, got str '1'" in found
    assert "TrainingJobDefinition.StoppingCondition.MaxRuntimeInSeconds: expected at least 1, got 0" in found


def test_state_machine_timeout_shorter_than_the_wait(stack):
    (found,) = problems(stack, state_machine_timeout=Duration.seconds(10))
    assert found.startswith("state_machine_timeout: expected more than the parent wait (604800 s, parent_wait_timeout)")
    assert "got 10 s" in found


def test_bools(stack):
    assert problems(stack, create_notification_topic="yes", tracing_enabled=1) == [
        "create_notification_topic: expected a bool, got str 'yes'",
        "tracing_enabled: expected a bool, got int 1",
    ]


def test_durations_and_role_of_wrong_types_all_in_one_error(stack):
    found = problems(stack, parent_poll_interval=60, parent_wait_timeout=3600, state_machine_timeout="1d",
                     sagemaker_role="arn:aws:iam::123456789012:role/x")
    assert found == [
        "parent_poll_interval: expected an aws_cdk.Duration such as Duration.minutes(1), got int 60",
        "parent_wait_timeout: expected an aws_cdk.Duration such as Duration.days(7), got int 3600",
        "state_machine_timeout: expected an aws_cdk.Duration such as Duration.days(7), got str '1d'",
        "sagemaker_role: expected an aws_iam.IRole (e.g. iam.Role.from_role_arn(self, 'Role', arn)), "
        "got str 'arn:aws:iam::123456789012:role/x'",
    ]


def test_fragment_checks_durations_too(stack):
    found = problems(stack, WarmStartTuning, parent_poll_max_interval=1800)
    assert found == ["parent_poll_max_interval: expected an aws_cdk.Duration such as Duration.minutes(1), got int 1800"]


def test_new_data_trigger_with_a_bucket_name(stack):
    (found,) = problems(stack, new_data_trigger=NewDataTrigger("my-bucket", prefix="batches/", channels=["train"]))
    assert found.startswith("new_data_trigger.bucket: expected an aws_s3.IBucket")
    assert "got str 'my-bucket'" in found


def test_cfn_parameters_where_a_literal_is_needed_are_explained(stack):
    prefix = CfnParameter(stack, "Prefix").value_as_string
    limit = CfnParameter(stack, "Limit", type="Number").value_as_number
    found = problems(stack, job_name_prefix=prefix, training_job_limit=limit)
    assert [p.split(",")[0] for p in found] == [
        "job_name_prefix: expected a value known at synth time",
        "training_job_limit: expected a value known at synth time",
    ]
    assert all("a CfnParameter or another resource's attribute cannot be used here" in p for p in found)


def test_tokens_stay_accepted_where_the_value_may_be_one(stack):
    role = iam.Role.from_role_arn(stack, "Role", CfnParameter(stack, "RoleArn").value_as_string, mutable=False)
    definition = EXAMPLE.training_job_definition(CfnParameter(stack, "Bucket").value_as_string, ROLE_ARN)
    del definition["RoleArn"]
    WarmStartTuningPipeline(stack, "P", **props(
        sagemaker_role=role, training_job_definition=definition,
        tags=[{"Key": "team", "Value": CfnParameter(stack, "Team").value_as_string}],
        parents=[CfnParameter(stack, "Parent").value_as_string],
    ))
