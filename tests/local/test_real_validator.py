"""The pipeline-shaped template driven by the real WarmStartValidator asset
(lambdas/warm_start_validator: ``handler.poll_handler`` and ``handler.lambda_handler``)."""

from __future__ import annotations

import json

import pytest
from local_pipeline import FIXTURES, pipeline_definition, pipeline_input, pipeline_template

from warm_start_tuning._paths import validator_asset_dir
from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.lambda_runtime import InProcessFunction, InProcessLambdaRuntime

REAL = validator_asset_dir()


@pytest.fixture(scope="module")
def real_asset() -> dict[str, object]:
    """The real asset's folder for both Lambdas; skipped while it cannot be imported."""
    probe = InProcessFunction(name="probe", arn="arn:probe", handler="handler.poll_handler", asset_dir=REAL)
    payload, _error = InProcessLambdaRuntime("us-east-1").invoke(probe, b"{}")
    if json.loads(payload).get("errorType", "").startswith("Runtime."):
        pytest.skip(f"the real validator asset does not load yet: {json.loads(payload)['errorMessage']}")
    return {"PollFunction1A2B3C4D": REAL, "ValidatorFunction5E6F7A8B": REAL}


def _deploy(engine: LocalEngine, asset_dirs: dict[str, object]) -> str:
    definition = pipeline_definition(validator_settings={"jobNamePrefix": "imgcls"})
    return engine.deploy(pipeline_template(definition), assets_root=FIXTURES, asset_dirs=asset_dirs)  # type: ignore[arg-type]


def test_real_handlers_wait_validate_and_tune(engine: LocalEngine, real_asset: dict[str, object]) -> None:
    engine.sagemaker.add_tuning_job("parent-a", status_path=[("InProgress", 600), ("Completed", None)])
    engine.sagemaker.add_tuning_job("parent-b")
    arn = _deploy(engine, real_asset)

    result = engine.run(arn, pipeline_input(["parent-a", "parent-b"]), name="nightly-2024-05-01")

    assert result.status == "SUCCEEDED", result.cause
    assert [n for n, _ in result.states_entered].count("PollParents") >= 2
    job = result.output["tuningJob"]  # this hand-written pipeline keeps the thin .sync output
    assert job["HyperParameterTuningJobName"].startswith("imgcls-")
    assert job["HyperParameterTuningJobStatus"] == "Completed"
    assert isinstance(job["BestTrainingJob"], str) and "OverallBestTrainingJob" not in job
    created = engine.sagemaker.describe(job["HyperParameterTuningJobName"])
    assert created["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    assert "OverallBestTrainingJob" in created
    assert result.output["validation"]["accepted"] is True


def test_real_validator_rejection_reaches_the_catch(engine: LocalEngine, real_asset: dict[str, object]) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    arn = _deploy(engine, real_asset)
    bad = pipeline_input(["parent-a"])
    bad["request"]["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]["MetricName"] = "other"

    result = engine.run(arn, bad)

    assert (result.status, result.error) == ("FAILED", "WarmStartValidationError")
    cause = result.cause_json()
    assert cause["errorType"] == "WarmStartValidationError"
    codes = {v["code"] for v in json.loads(cause["errorMessage"])["violations"]}
    assert "OBJECTIVE_MISMATCH" in codes
    assert engine.sagemaker.jobs == ["parent-a"]
