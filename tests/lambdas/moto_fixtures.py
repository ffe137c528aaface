"""Parent tuning jobs held by moto's SageMaker backend, for handler and CLI tests.

Import the fixtures into a test module (``from moto_fixtures import sagemaker``); the
helpers are plain functions so hypothesis tests can use them under a module-scoped mock.
moto's tuning jobs are born Completed with TrainingJobStatusCounters {"Completed": 1, ...
all others 0}, CreationTime = now.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

# The one module that touches moto internals (moto has no API for a job's status).
from warm_start_tuning.local.moto_internals import set_moto_tuning_job

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"

_REQUEST: dict[str, Any] = {
    "HyperParameterTuningJobConfig": {
        "Strategy": "Bayesian",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
        "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
        "ParameterRanges": {
            "ContinuousParameterRanges": [
                {"Name": "eta", "MinValue": "0.1", "MaxValue": "0.5", "ScalingType": "Auto"}
            ],
            "IntegerParameterRanges": [
                {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"}
            ],
            "CategoricalParameterRanges": [{"Name": "booster", "Values": ["gbtree", "dart"]}],
        },
    },
    "TrainingJobDefinition": {
        "StaticHyperParameters": {"objective": "binary:logistic", "num_round": "100"},
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://example-bucket/data/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            },
            {
                "ChannelName": "validation",
                "ContentType": "text/csv",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://example-bucket/data/validation/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
            },
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/output/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    },
}


def valid_request() -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request (no name, no WarmStartConfig)."""
    return copy.deepcopy(_REQUEST)


def create_parent(client: Any, name: str, request: dict[str, Any] | None = None) -> None:
    """A parent tuning job in moto, created from ``request`` (default: valid_request())."""
    body = valid_request() if request is None else copy.deepcopy(request)
    body.pop("WarmStartConfig", None)
    body.pop("Tags", None)
    client.create_hyper_parameter_tuning_job(HyperParameterTuningJobName=name, **body)


def set_status(name: str, status: str, *, completed: int | None = None, stopped: int | None = None) -> None:
    """Drive a moto tuning job to ``status`` (they are born Completed) and optionally set
    its Completed / Stopped training-job counters."""
    counters = {key: value for key, value in (("Completed", completed), ("Stopped", stopped)) if value is not None}
    set_moto_tuning_job(name, region=REGION, status=status, counters=counters)


def set_creation_time(name: str, created: datetime) -> None:
    """Give a moto tuning job its CreationTime (they are born "now", so jobs created in one
    test would otherwise tie or order by chance)."""
    set_moto_tuning_job(name, region=REGION, creation_time=created)


def valid_event(parents: list[str], **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "parents": list(parents),
        "warmStartType": "TransferLearning",
        "request": valid_request(),
        "overrides": {},
        "executionName": "run-2024-06-01",
        "settings": {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject"},
    }
    event.update(changes)
    return event


@pytest.fixture(scope="module")
def aws_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fake credentials and a region for moto, and no access to the developer's ~/.aws.

    Module-scoped so that hypothesis tests (which refuse function-scoped fixtures) and
    module-scoped moto backends can use it too.
    """
    empty = tmp_path_factory.mktemp("aws") / "empty"
    empty.write_text("")
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            patch.delenv(key, raising=False)
        # moto never checks them; they only need to exist so botocore can sign requests.
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            patch.setenv(key, "testing")
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        patch.setenv("AWS_REGION", REGION)
        patch.setenv("AWS_CONFIG_FILE", str(empty))
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        yield


@pytest.fixture
def sagemaker(aws_credentials: None) -> Iterator[Any]:
    """A moto-backed SageMaker client; everything created through it vanishes after the test."""
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)
