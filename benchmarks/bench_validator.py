"""The validator Lambda: cold-start import cost, and the rule engine's own speed.

(a) Import of ``handler`` in a fresh interpreter, with only the asset folder on sys.path
    as on Lambda, timed inside the process (interpreter start-up excluded). boto3 is
    imported lazily by the handler, so its share is measured apart.
(b) ``evaluate()`` for 5 parents with 30 hyperparameters each, and the whole ``plan()``.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import timeit
from pathlib import Path
from typing import Any

from benchmarks import Table, median, ms

NAME = "Validator Lambda"
ASSET = Path(__file__).resolve().parents[1] / "lambdas" / "warm_start_validator"
IMPORT_RUNS = 31  # odd: the median is a real sample
EVALUATE_REPEATS = 25

# Each probe prints the seconds spent in the statement(s) after `t = ...`.
_PROBES = {
    "`import boto3` alone": "t = time.perf_counter(); import boto3",
    "`import handler` (boto3 not loaded: lazy)": "t = time.perf_counter(); import handler",
    "`import handler`, boto3 already imported": "import boto3; t = time.perf_counter(); import handler",
    "`import handler` + first `sagemaker_client()` (full cold start)":
        "t = time.perf_counter(); import handler; handler.sagemaker_client()",
}


def _probe_seconds(statement: str) -> float:
    code = (
        "import sys, time; sys.path.insert(0, sys.argv[1]); "
        f"{statement}; print(time.perf_counter() - t)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.setdefault("AWS_REGION", "us-east-1")
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code, str(ASSET)],
        capture_output=True, text=True, env=env, check=True, timeout=120,
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_table() -> Table:
    medians: dict[str, float] = {}
    for label, statement in _PROBES.items():
        medians[label] = median([_probe_seconds(statement) for _ in range(IMPORT_RUNS)])
    boto3_alone = medians["`import boto3` alone"]
    rows = [[label, ms(value), f"{value / boto3_alone:.2f}x"] for label, value in medians.items()]
    return Table(
        title=f"Cold import (fresh process, median of {IMPORT_RUNS})",
        headers=["what", "median", "vs `import boto3`"],
        rows=rows,
        notes=["Timed inside the process: interpreter start-up is not included.",
               "The handler imports boto3 on first use, so a cold invocation pays row 4."],
    )


# --- (b) the rule engine -------------------------------------------------------------


def _request() -> dict[str, Any]:
    """A request with 30 hyperparameters: 10 continuous, 8 integer, 6 categorical, 6 static."""
    return {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 50, "MaxParallelTrainingJobs": 5},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": f"c{i}", "MinValue": "0.001", "MaxValue": str(1 + i), "ScalingType": "Auto"}
                    for i in range(10)
                ],
                "IntegerParameterRanges": [
                    {"Name": f"i{i}", "MinValue": "1", "MaxValue": str(10 + i), "ScalingType": "Linear"}
                    for i in range(8)
                ],
                "CategoricalParameterRanges": [
                    {"Name": f"k{i}", "Values": [f"v{j}" for j in range(3 + i % 3)]} for i in range(6)
                ],
            },
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {f"s{i}": str(i) for i in range(6)},
            "AlgorithmSpecification": {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1",
                                       "TrainingInputMode": "File"},
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
                "S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train/"}}}],
            "OutputDataConfig": {"S3OutputPath": "s3://bucket/output/"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def _parents(request: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """5 parents; parent n had n static values different from the request (<= 8 changes)."""
    parents = {}
    for n in range(5):
        definition = copy.deepcopy(request["TrainingJobDefinition"])
        for i in range(n):
            definition["StaticHyperParameters"][f"s{i}"] = f"old-{i}"
        parents[f"parent-{n}"] = {
            "HyperParameterTuningJobName": f"parent-{n}",
            "HyperParameterTuningJobStatus": "Completed",
            "CreationTime": "2024-05-01T12:00:00+00:00",
            "HyperParameterTuningJobConfig": copy.deepcopy(request["HyperParameterTuningJobConfig"]),
            "TrainingJobDefinition": definition,
            "TrainingJobStatusCounters": {"Completed": 40, "InProgress": 0, "RetryableError": 0,
                                          "NonRetryableError": 2, "Stopped": 0},
        }
    return parents


def _per_call(function: Any, number: int) -> float:
    return median([t / number for t in timeit.repeat(function, number=number, repeat=EVALUATE_REPEATS)])


def engine_table() -> Table:
    # Imported as the Lambda does (top level), without the CDK package around it.
    sys.path.insert(0, str(ASSET))
    from warm_start_rules import evaluate
    from warm_start_rules.planner import plan

    request = _request()
    parents = _parents(request)
    names = list(parents)
    report = evaluate(names, parents, request, "TransferLearning")  # must be accepted
    assert report["accepted"] and report["changes"]["max"] == 8, report["changes"]
    event = {"parents": names, "warmStartType": "TransferLearning", "request": request,
             "overrides": {"maxTrainingJobs": 40, "staticHyperParameters": {"s5": "5"}},
             "executionName": "bench", "settings": {"jobNamePrefix": "bench"}}

    evaluate_s = _per_call(lambda: evaluate(names, parents, request, "TransferLearning"), 50)
    plan_s = _per_call(lambda: plan(event, parents.get), 50)
    return Table(
        title=f"Rule engine: 5 parents x 30 hyperparameters (median per call, {EVALUATE_REPEATS} repeats)",
        headers=["what", "median per call", "vs evaluate()"],
        rows=[
            ["`evaluate()`", ms(evaluate_s), "1.00x"],
            ["`plan()` (overrides, name, tags + evaluate, in-memory describe)", ms(plan_s),
             f"{plan_s / evaluate_s:.2f}x"],
        ],
        notes=["10 continuous, 8 integer, 6 categorical (3-5 values), 6 static; "
               "parent n differs in n static values."],
    )


def run() -> list[Table]:
    return [import_table(), engine_table()]
