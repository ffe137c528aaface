"""cdk-nag AwsSolutionsChecks and cfn-lint over every public construct (one synth).

The app holds the example stacks (app.py: the pipeline, and the fragment composed with
model deployment), a stack with each public construct in its other configurations, and
one with the pipeline's options (schedule, new-data trigger, rounds, run lock, completion
event), so every template the library can emit is checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk import Validations
from cdk_nag import AwsSolutionsChecks

from cdk_helpers import REPO, load_example_app, new_app
from stacks import AllConstructsStack, FeaturePipelinesStack


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir=outdir)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    example = load_example_app()
    example.ImageClassifierTuningStack(app, "Example", bucket_name="example-ml-data", parent_job="imgcls-parent-1")
    example.ModelDeploymentStack(app, "ModelDeployment", bucket_name="example-ml-data", parent_job="imgcls-parent-1")
    AllConstructsStack(app, "AllConstructs")
    # Schedules, new-data rules, rounds, run locks and completion events.
    FeaturePipelinesStack(app, "Features")
    try:
        app.synth()
    except Exception as error:  # report what cdk-nag found, not only that it failed
        report = outdir / "validation-report.json"
        details = report.read_text() if report.exists() else ""
        pytest.fail(f"synth with AwsSolutionsChecks failed: {error}\n{details[:20000]}")
    return outdir


def test_cdk_nag_has_no_unacknowledged_finding(assembly):
    report = assembly / "validation-report.json"
    if report.exists():
        data = json.loads(report.read_text())
        failing = [
            violation
            for plugin in data.get("pluginReports", [])
            for violation in plugin.get("violations", [])
        ]
        assert failing == []


def test_every_acknowledgment_is_scoped_and_has_a_reason(assembly):
    acknowledged = {}
    for metadata_file in assembly.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    acknowledged.update({f"{path} {rule}": reason for rule, reason in entry["data"].items()})
    assert len(acknowledged) >= 12
    for rule, reason in acknowledged.items():
        # Scoped: a finding id with its applies-to part, never a whole rule.
        assert "AwsSolutions-" in rule and "[" in rule and rule.endswith("]"), rule
        assert len(reason) > 20, rule


def test_cfn_lint_finds_no_error_or_warning(assembly):
    templates = sorted(str(path) for path in assembly.glob("*.template.json"))
    assert len(templates) == 4
    result = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--format", "parseable", *templates],
        cwd=REPO,  # picks up the project's .cfnlintrc
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
