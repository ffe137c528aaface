"""`cdk synth` fails when a stack's template passes CloudFormation's 1 MB limit (one synth,
made large cheaply with template metadata, not with dozens of pipelines)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from aws_cdk import Stack

from cdk_helpers import load_example_app, new_app
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.template_size import TEMPLATE_BODY_LIMIT_BYTES, TemplateSizeCheck


@pytest.fixture(scope="module")
def oversized(tmp_path_factory):
    """An app with a small stack and a stack of two pipelines whose template passes 1 MB."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir=outdir)
    example = load_example_app()
    big = Stack(app, "Oversized")
    for index in range(2):
        WarmStartTuningPipeline(
            big,
            f"Pipeline{index}",
            warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
            tuning_job_config=example.tuning_job_config(),
            training_job_definition=example.training_job_definition("example-ml-data", "arn:aws:iam::123456789012:role/t"),
            job_name_prefix=f"big{index}",
            parents=[f"big{index}-parent"],
        )
    big.template_options.metadata = {"Padding": "x" * TEMPLATE_BODY_LIMIT_BYTES}
    example.ImageClassifierTuningStack(app, "Example", bucket_name="example-ml-data", parent_job="imgcls-parent-1")
    with pytest.raises(Exception, match="ValidationFailed") as raised:
        app.synth()
    report = json.loads((outdir / "validation-report.json").read_text())
    return SimpleNamespace(outdir=outdir, error=str(raised.value), report=report)


def test_synth_fails_with_the_stack_its_bytes_the_limit_and_its_pipelines(oversized):
    [plugin] = oversized.report["pluginReports"]
    [violation] = plugin["violations"]  # only the oversized stack; Example is well under
    size = (oversized.outdir / "Oversized.template.json").stat().st_size
    assert size > TEMPLATE_BODY_LIMIT_BYTES
    assert violation["description"] == (
        f"stack Oversized: its template is {size:,} bytes, over CloudFormation's limit of 1,000,000 bytes "
        "(1 MB, a template body in S3); it holds 2 warm-start tuning pipeline(s): no deploy accepts it"
    )
    assert "split the 2 pipeline(s) into several stacks" in violation["suggestedFix"]
    assert "validation-report.json" in oversized.error


@pytest.mark.parametrize("size, fails", [(TEMPLATE_BODY_LIMIT_BYTES, False), (TEMPLATE_BODY_LIMIT_BYTES + 1, True)])
def test_the_limit_is_one_million_bytes_inclusive(tmp_path, size, fails):
    template = tmp_path / "Stack.template.json"
    body = json.dumps({"Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}})
    template.write_text(body + " " * (size - len(body)))
    context = SimpleNamespace(stack_templates=[SimpleNamespace(stack_construct_path="/Stack", template_path=str(template))])
    report = TemplateSizeCheck().validate(context)
    assert report.success is not fails
    assert len(report.violations) == int(fails)
