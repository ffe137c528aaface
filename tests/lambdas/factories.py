"""Factories of a valid CreateHyperParameterTuningJob request and of parent Describe
responses, shared by the rule-engine and handler tests.

Every call returns fresh dicts, so tests may mutate what they get.
"""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

IMAGE = "811284229777.dkr.ecr.us-east-1.amazonaws.com/image-classification:1"
ROLE_ARN = "arn:aws:iam::123456789012:role/SageMakerRole"
TRAIN_URI = "s3://example-bucket/data/train/"
VALIDATION_URI = "s3://example-bucket/data/validation/"
PARENT_CREATED = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def valid_request(**top_level: Any) -> dict[str, Any]:
    """A CreateHyperParameterTuningJob request as a user would paste it (no WarmStartConfig)."""
    request: dict[str, Any] = {
        "HyperParameterTuningJobName": "imgcls-warm-1",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 50, "MaxParallelTrainingJobs": 5},
            "HyperParameterTuningJobObjective": {"Type": "Maximize",
                                                 "MetricName": "validation:accuracy"},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "learning_rate", "MinValue": "0.0001", "MaxValue": "0.1",
                     "ScalingType": "Logarithmic"},
                    {"Name": "momentum", "MinValue": "0.0", "MaxValue": "0.99"},
                ],
                "IntegerParameterRanges": [
                    {"Name": "mini_batch_size", "MinValue": "32", "MaxValue": "256"},
                ],
                "CategoricalParameterRanges": [
                    {"Name": "optimizer", "Values": ["sgd", "adam"]},
                ],
            },
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
            "RoleArn": ROLE_ARN,
            "StaticHyperParameters": {"num_layers": "18", "epochs": "30", "num_classes": "257",
                                      "image_shape": "3,224,224"},
            "InputDataConfig": [
                {"ChannelName": "train",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": TRAIN_URI}}},
                {"ChannelName": "validation",
                 "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                 "S3Uri": VALIDATION_URI}}},
            ],
            "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/output/"},
            "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1,
                               "VolumeSizeInGB": 50},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }
    request.update(top_level)
    return request


def parent_describe(
    name: str = "parent-1",
    *,
    request: dict[str, Any] | None = None,
    status: str = "Completed",
    creation_time: Any = PARENT_CREATED,
    counters: dict[str, Any] | None = None,
    warm_start_parents: list[str] | None = None,
) -> dict[str, Any]:
    """A DescribeHyperParameterTuningJob response of a parent created from ``request``.

    Adds what Describe adds on its own: ``_tuning_objective_metric`` and SDK
    ``sagemaker_*`` static keys, False for unset booleans, counters, ARN, times.
    """
    source = copy.deepcopy(request if request is not None else valid_request())
    definition = source["TrainingJobDefinition"]
    definition.setdefault("StaticHyperParameters", {}).update({
        "_tuning_objective_metric": "validation:accuracy",
        "sagemaker_submit_directory": f"s3://example-bucket/{name}/source.tar.gz",
        "sagemaker_job_name": name,
    })
    definition.setdefault("EnableNetworkIsolation", False)
    definition.setdefault("EnableInterContainerTrafficEncryption", False)
    definition.setdefault("EnableManagedSpotTraining", False)
    described: dict[str, Any] = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobArn":
            f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}",
        "HyperParameterTuningJobConfig": source["HyperParameterTuningJobConfig"],
        "TrainingJobDefinition": definition,
        "HyperParameterTuningJobStatus": status,
        "CreationTime": creation_time,
        "TrainingJobStatusCounters": counters if counters is not None else {
            "Completed": 40, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 2,
            "Stopped": 8},
        "ObjectiveStatusCounters": {"Succeeded": 40, "Pending": 0, "Failed": 2},
    }
    if warm_start_parents is not None:
        described["WarmStartConfig"] = {
            "ParentHyperParameterTuningJobs": [
                {"HyperParameterTuningJobName": p} for p in warm_start_parents],
            "WarmStartType": "TransferLearning",
        }
    return described


def set_path(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path (``A.B[0].C``-free: keys only) and return the document."""
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    node[last] = value
    return document


def delete_path(document: dict[str, Any], path: str) -> dict[str, Any]:
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    del node[last]
    return document
