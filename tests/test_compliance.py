"""cdk-nag AwsSolutionsChecks and cfn-lint over every public construct (one synth).

The app holds the example stacks (app.py: the pipeline, and the fragment composed with
model deployment), a stack with each public construct in its other configurations, and
one with the pipeline's options (schedule, new-data trigger, rounds, run lock, completion
event), so every template the library can emit is checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from cdk_helpers import REPO, acknowledgments, load_example_app, nag_violations, new_app, synth_with_nag
from stacks import AllConstructsStack, FeaturePipelinesStack


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir=outdir)
    example = load_example_app()
    example.ImageClassifierTuningStack(app, "Example", bucket_name="example-ml-data", parent_job="imgcls-parent-1")
    example.ModelDeploymentStack(app, "ModelDeployment", bucket_name="example-ml-data", parent_job="imgcls-parent-1")
    AllConstructsStack(app, "AllConstructs")
    # Schedules, new-data rules, rounds, run locks and completion events.
    FeaturePipelinesStack(app, "Features")
    return synth_with_nag(app, outdir)


def test_cdk_nag_has_no_unacknowledged_finding(assembly):
    assert nag_violations(assembly) == []


def test_every_acknowledgment_is_scoped_and_has_a_reason(assembly):
    acknowledged = acknowledgments(assembly)
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
