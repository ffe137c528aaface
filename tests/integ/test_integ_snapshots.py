"""The real-AWS integration suite synthesizes, and its templates match their snapshots.

``make test`` runs this without AWS credentials and never calls AWS: it builds the
integ app of integ_warm_start_pipeline.py (the one ``make integ`` deploys with the
integ-runner), synthesizes both stacks (the test stack and the assertion stack) and
compares them with ``__snapshots__/`` (asset hashes blanked, tests/snapshot.py).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template  # noqa: E402

from cdk_helpers import new_app  # noqa: E402
from snapshot import assert_matches_snapshot  # noqa: E402

import integ_warm_start_pipeline as integ_app  # noqa: E402


def _without_salt(template: dict[str, Any]) -> dict[str, Any]:
    """AwsApiCall stamps each call with ``salt`` (the synth time, so that every deploy
    runs the assertions again): blanked, like asset hashes."""
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        if "salt" in properties:
            properties["salt"] = "<synth-time>"
    return template


@pytest.fixture(scope="module")
def synthesized() -> dict[str, Any]:
    app = new_app()
    stack, integ = integ_app.build(app, run_id="1")
    assembly = app.synth()
    return {
        "stack": stack,
        "templates": {s.stack_name: _without_salt(s.template) for s in assembly.stacks},
        "manifest": assembly.directory,
    }


def test_both_stacks_synthesize(synthesized) -> None:
    names = set(synthesized["templates"])
    assert "WarmStartTuningInteg" in names
    assert any(name.startswith("WarmStartTuningIntegTestDefaultTestDeployAssert") for name in names)


def test_test_stack_matches_snapshot(synthesized) -> None:
    assert_matches_snapshot(synthesized["templates"]["WarmStartTuningInteg"], "integ_test_stack")


def test_assertion_stack_matches_snapshot(synthesized) -> None:
    (name,) = [n for n in synthesized["templates"] if n.startswith("WarmStartTuningIntegTestDefaultTestDeployAssert")]
    assert_matches_snapshot(synthesized["templates"][name], "integ_assertion_stack")


def test_the_pipeline_is_small_two_training_jobs_on_the_smallest_instance(synthesized) -> None:
    stack = synthesized["stack"]
    assert stack.config["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 2}
    assert stack.definition["ResourceConfig"]["InstanceType"] == "ml.m5.large"
    assert stack.definition["AlgorithmSpecification"]["TrainingInputMode"] == "File"


def test_assertions_create_the_parent_run_the_pipeline_and_tear_down(synthesized) -> None:
    (name,) = [n for n in synthesized["templates"] if n.startswith("WarmStartTuningIntegTestDefaultTestDeployAssert")]
    text = json.dumps(synthesized["templates"][name])
    for api in (
        "createHyperParameterTuningJob",
        "describeHyperParameterTuningJob",
        "startExecution",
        "describeExecution",
        "deleteHyperParameterTuningJob",
    ):
        assert api in text, api
    assert "FinalHyperParameterTuningJobObjectiveMetric" in text
    assert "wstinteg-parent-1" in text


def test_the_integ_manifest_lists_the_test_case(synthesized) -> None:
    from pathlib import Path

    manifests = list(Path(synthesized["manifest"]).glob("integ.json"))
    assert manifests, "IntegTest writes integ.json into the cloud assembly"
    manifest = json.loads(manifests[0].read_text())
    (case,) = manifest["testCases"].values()
    assert case["stacks"] == ["WarmStartTuningInteg"]
    assert case["regions"] == integ_app.REGIONS
