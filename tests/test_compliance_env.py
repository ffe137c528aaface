"""cdk-nag on the other stack shapes (one synth): stacks with an explicit account and
region (finding ids embed ``eu-west-1:123456789012``, not ``<AWS::Region>:<AWS::AccountId>``)
and a pipeline with tracing off; and what the acknowledged wildcards really cover.
"""

from __future__ import annotations

import json
import re

import pytest
from aws_cdk import Environment, Stack

from cdk_helpers import acknowledgments, flatten, load_example_app, nag_violations, new_app, synth_with_nag
from stacks import AllConstructsStack, FeaturePipelinesStack
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType

ENV = Environment(account="123456789012", region="eu-west-1")
BUCKET = "example-ml-data"
# Every prefix of the stacks below; a tuning-job ARN in a policy ends in '<prefix>-*'.
PREFIXES = {"imgcls", "imgdeploy", "tlearn", "embed", "imgcls-async",
            "sched", "newdata", "auto", "rounds", "thresh", "free", "strict", "notrace"}
# The restricted pipeline's allowed_parent_prefixes: parents it may describe, not its name space.
PARENT_PREFIXES = {"baseline-*"}


@pytest.fixture(scope="module")
def assembly(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir=outdir)
    example = load_example_app()
    example.ImageClassifierTuningStack(app, "ExampleEnv", bucket_name=BUCKET, parent_job="imgcls-parent-1", env=ENV)
    example.ModelDeploymentStack(app, "ModelDeploymentEnv", bucket_name=BUCKET, parent_job="imgcls-parent-1", env=ENV)
    AllConstructsStack(app, "AllConstructsEnv", env=ENV)
    FeaturePipelinesStack(app, "FeaturesEnv", env=ENV)
    no_tracing = Stack(app, "NoTracing")
    WarmStartTuningPipeline(
        no_tracing,
        "Pipeline",
        warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        tuning_job_config=example.tuning_job_config(),
        training_job_definition=example.training_job_definition(BUCKET, "arn:aws:iam::123456789012:role/training"),
        job_name_prefix="notrace",
        parents=["notrace-parent"],
        tracing_enabled=False,
    )
    return synth_with_nag(app, outdir)


def _template(assembly, stack_name: str) -> dict:
    return json.loads((assembly / f"{stack_name}.template.json").read_text())


def _statements(template: dict, logical_id_prefix: str = ""):
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::IAM::Policy" and logical_id.startswith(logical_id_prefix):
            yield from resource["Properties"]["PolicyDocument"]["Statement"]


def _resources(statement: dict) -> list[str]:
    resources = statement["Resource"]
    return [flatten(resource) for resource in (resources if isinstance(resources, list) else [resources])]


def test_cdk_nag_has_no_unacknowledged_finding(assembly):
    """Explicit env (both app.py stacks, every construct configuration) and tracing off."""
    assert nag_violations(assembly) == []


def test_acknowledgments_name_the_resolved_region_and_account(assembly):
    tuning_jobs = [rule for rule in acknowledgments(assembly) if "hyper-parameter-tuning-job/" in rule]
    assert tuning_jobs
    for rule in tuning_jobs:
        if rule.startswith(("/ExampleEnv/", "/ModelDeploymentEnv/", "/AllConstructsEnv/", "/FeaturesEnv/")):
            assert ":sagemaker:eu-west-1:123456789012:hyper-parameter-tuning-job/" in rule, rule
        else:
            assert ":sagemaker:<AWS::Region>:<AWS::AccountId>:hyper-parameter-tuning-job/" in rule, rule


def test_tracing_off_acknowledges_sf2_and_log_delivery_only(assembly):
    acknowledged = acknowledgments(assembly)
    sf2 = {rule.split(" ")[0]: reason for rule, reason in acknowledged.items() if rule.endswith("AwsSolutions-SF2")}
    assert list(sf2) == ["/NoTracing/Pipeline/StateMachine"]
    assert "tracing_enabled=False" in sf2["/NoTracing/Pipeline/StateMachine"]
    unscoped = acknowledged["/NoTracing/Pipeline/StateMachine/Role Annotation::AwsSolutions-IAM5[Resource::*]"]
    assert "logging" in unscoped and "X-Ray" not in unscoped


def test_iam_tuning_job_resources_end_in_prefix_dash_star(assembly):
    found = set()
    for template_file in assembly.glob("*.template.json"):
        for statement in _statements(json.loads(template_file.read_text())):
            for resource in _resources(statement):
                match = re.search(r":(hyper-parameter-tuning-job|training-job)/(.*)$", resource)
                if match is None or match.group(2) == "*":  # '*': the validator's read-only Describe
                    continue
                if match.group(2) in PARENT_PREFIXES:  # allowed_parent_prefixes: read-only Describe
                    assert statement["Action"] == "sagemaker:DescribeHyperParameterTuningJob", statement
                    continue
                assert match.group(2).endswith("-*") and match.group(2)[:-2] in PREFIXES, resource
                found.add(match.group(2)[:-2])
    assert found == PREFIXES


def test_prefix_acknowledgments_give_prefix_dash_star_in_their_reason(assembly):
    for rule, reason in acknowledgments(assembly).items():
        match = re.search(r"hyper-parameter-tuning-job/(.+)-\*\]$", rule)
        if match:
            assert f"'{match.group(1)}-*'" in reason, (rule, reason)


def test_model_deployment_role_reads_only_the_model_artifact_location(assembly):
    """SageMakerCreateModel's JSON-path image and artifact would grant ECR pulls and S3
    reads on '*'; the example scopes them to the definition's image and S3OutputPath."""
    statements = list(_statements(_template(assembly, "ModelDeploymentEnv"), "SageMakerRole"))
    unscoped = [statement for statement in statements if "*" in _resources(statement)]
    assert [statement["Action"] for statement in unscoped] == [[
        "cloudwatch:PutMetricData", "logs:CreateLogStream", "logs:PutLogEvents",
        "logs:CreateLogGroup", "logs:DescribeLogStreams", "ecr:GetAuthorizationToken",
    ]]
    get_object = [statement for statement in statements if statement["Action"] == "s3:GetObject"]
    assert [_resources(statement) for statement in get_object] == [
        [f"arn:${{AWS::Partition}}:s3:::{BUCKET}/image-classification/output/*"]
    ]
    pull = [statement for statement in statements if "ecr:BatchGetImage" in statement["Action"]]
    assert [_resources(statement) for statement in pull] == [
        ["arn:${AWS::Partition}:ecr:us-east-1:811284229777:repository/image-classification"]
    ]


def test_every_acknowledgment_names_one_finding_with_a_reason(assembly):
    for rule, reason in acknowledgments(assembly).items():
        finding = rule.split(" ", 1)[1].removeprefix("Annotation::")
        # A finding id with its applies-to part; SF2 has none (it is about the state machine itself).
        assert finding == "AwsSolutions-SF2" or (finding.startswith("AwsSolutions-") and "[" in finding
                                                  and finding.endswith("]")), rule
        assert len(reason) > 20, rule
