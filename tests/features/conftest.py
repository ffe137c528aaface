"""Behavioural tests of scheduling, new data, parent selection, rounds, resume and
composition: synthesized pipelines run on the local engine (moto, simulated SageMaker).

One synth for the whole folder (session scope): the stacks of tests/stacks.py's
FeaturePipelinesStack and app.py's ModelDeploymentStack. Each test gets its own engine
(fresh moto state) and deploys the pipeline it needs from the synthesized template.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from aws_cdk import Stack  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from cdk_helpers import load_example_app, new_app  # noqa: E402
from stacks import FeaturePipelinesStack  # noqa: E402
from warm_start_tuning import WarmStartTuningPipeline  # noqa: E402
from warm_start_tuning.local import LocalEngine  # noqa: E402


@dataclass
class Synthesized:
    features: FeaturePipelinesStack
    features_template: dict[str, Any]
    deployment: Stack
    deployment_template: dict[str, Any]

    def logical_id(self, pipeline: WarmStartTuningPipeline) -> str:
        stack = Stack.of(pipeline)
        return stack.resolve(stack.get_logical_id(pipeline.state_machine.node.default_child))

    def deploy(self, engine: LocalEngine, pipeline: WarmStartTuningPipeline) -> str:
        """Create the pipeline's state machine (and the validator) in the engine."""
        return engine.deploy(self.features_template, state_machine=self.logical_id(pipeline))

    def resources(self, resource_type: str, template: dict[str, Any] | None = None) -> dict[str, Any]:
        template = template or self.features_template
        return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


@pytest.fixture(scope="session")
def synthesized() -> Synthesized:
    app = new_app()
    features = FeaturePipelinesStack(app, "Features")
    example = load_example_app()
    deployment = example.ModelDeploymentStack(
        app, "ModelDeployment", bucket_name="example-ml-data", parent_job="imgcls-parent-1"
    )
    app.synth()
    return Synthesized(
        features=features,
        features_template=Template.from_stack(features).to_json(),
        deployment=deployment,
        deployment_template=Template.from_stack(deployment).to_json(),
    )


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    """An engine that never sleeps for real: simulated time only moves."""
    with LocalEngine(time_scale=math.inf) as running:
        yield running
