"""`cdk synth` of app.py through the real CDK CLI (installed by `make test` from npm).

This is what a user runs; it proves cdk.json, app.py and the package work together with
no AWS account and no network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdk_helpers import REPO

CDK = REPO / "node_modules" / ".bin" / "cdk"


def test_cdk_cli_synthesizes_the_example_app(tmp_path):
    if not CDK.exists():
        pytest.fail("the CDK CLI is missing: run `make setup` (make test installs it)")
    env = {
        **os.environ,
        # cdk.json says `python3 app.py`: the virtualenv's python must come first.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    result = subprocess.run(
        [str(CDK), "synth", "--quiet", "--no-notices", "--no-version-reporting", "--output", str(tmp_path / "cdk.out")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    template = json.loads((tmp_path / "cdk.out" / "WarmStartTuningExample.template.json").read_text())
    machines = [r for r in template["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"]
    assert len(machines) >= 1
    functions = [r for r in template["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 1
