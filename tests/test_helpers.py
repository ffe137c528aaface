"""Issue 11: typed helpers beside boto3's dicts. Each helper is the boto3 dict, so a
pipeline built from helpers synthesizes the same request as one built from raw dicts."""

from __future__ import annotations

import json

import pytest
from aws_cdk import Stack
from aws_cdk.assertions import Template

from cdk_helpers import flatten, load_example_app, new_app
from warm_start_tuning import (
    CategoricalRange,
    ContinuousRange,
    IntegerRange,
    Objective,
    S3Channel,
    TuningJobConfig,
    WarmStartTuningPipeline,
    WarmStartType,
)

EXAMPLE = load_example_app()
ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"


def test_helpers_are_the_boto3_dicts():
    assert ContinuousRange("eta", 0.1, 0.5) == {"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5", "ScalingType": "Auto"}
    assert IntegerRange("depth", 3, 9, "Linear") == {"Name": "depth", "MinValue": "3", "MaxValue": "9", "ScalingType": "Linear"}
    assert CategoricalRange("booster", ["gbtree", "dart"]) == {"Name": "booster", "Values": ["gbtree", "dart"]}
    assert Objective.maximize("validation:auc") == {"Type": "Maximize", "MetricName": "validation:auc"}
    assert S3Channel("train", "s3://b/train/", content_type="text/csv") == {
        "ChannelName": "train", "ContentType": "text/csv",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/train/",
                                        "S3DataDistributionType": "FullyReplicated"}},
    }
    with pytest.raises(TypeError, match="expected ContinuousRange, IntegerRange or CategoricalRange, got dict"):
        TuningJobConfig(objective=Objective.maximize("m"), ranges=[{"Name": "x"}], max_training_jobs=1,
                        max_parallel_training_jobs=1)


def _prepare_request(config) -> dict:
    stack = Stack(new_app(), "Helpers")
    WarmStartTuningPipeline(stack, "P", warm_start_type=WarmStartType.TRANSFER_LEARNING, tuning_job_config=config,
                            training_job_definition=EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
                            job_name_prefix="imgcls", parents=["imgcls-parent-1"])
    (machine,) = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    definition = json.loads(flatten(machine["Properties"]["DefinitionString"]))
    return definition["States"]["PrepareRun"]["Parameters"]["Payload"]["request"]


def test_a_pipeline_from_helpers_synthesizes_the_raw_request():
    raw = EXAMPLE.tuning_job_config()
    helpers = TuningJobConfig(
        objective=Objective.maximize("validation:accuracy"),
        ranges=[ContinuousRange("learning_rate", "0.0", "0.1"), ContinuousRange("momentum", "0.0", "0.99")],
        max_training_jobs=10, max_parallel_training_jobs=2,
    )
    assert _prepare_request(helpers) == _prepare_request(raw)


def test_helpers_are_checked_like_dicts():
    stack = Stack(new_app(), "Bad")
    config = TuningJobConfig(objective=Objective.maximize("validation:accuracy"),
                             ranges=[ContinuousRange("learning_rate", "0.0", "0.1", "Sideways")],
                             max_training_jobs=10, max_parallel_training_jobs=2)
    with pytest.raises(ValueError, match=r"ScalingType: expected one of Auto, Linear, Logarithmic, ReverseLogarithmic, got 'Sideways'"):
        WarmStartTuningPipeline(stack, "P", warm_start_type=WarmStartType.TRANSFER_LEARNING, tuning_job_config=config,
                                training_job_definition=EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
                                job_name_prefix="imgcls", parents=["imgcls-parent-1"])
