"""WarmStartValidator: one per stack, its staged asset, its log group and its role.

One app with two stacks is synthesized for the whole module (the first holds three
pipelines, the second one pipeline); the constructor tests only construct.
"""

from __future__ import annotations

import json

from pathlib import Path

import pytest
from aws_cdk import AssetStaging, Stack
from aws_cdk.assertions import Match, Template
from constructs import Construct

from cdk_helpers import load_example_app, new_app
from warm_start_tuning import WarmStartTuningPipeline, WarmStartType, WarmStartValidator
from warm_start_tuning._paths import validator_asset_dir
from warm_start_tuning.validator.warm_start_validator import ASSET_EXCLUDES

ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"
ASSET_TOP_LEVEL = {"__init__.py", "handler.py", "parents.py", "run_actions.py", "runs.py", "structured_log.py",
                   "wait_actions.py",
                   "warm_start_rules"}


def add_pipeline(stack: Stack, construct_id: str, prefix: str) -> WarmStartTuningPipeline:
    example = load_example_app()
    return WarmStartTuningPipeline(
        stack,
        construct_id,
        warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        tuning_job_config=example.tuning_job_config(),
        training_job_definition=example.training_job_definition("example-ml-data", ROLE_ARN),
        job_name_prefix=prefix,
        parents=["imgcls-parent-1"],
    )


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir=outdir)
    three = Stack(app, "ThreePipelines")
    pipelines = [add_pipeline(three, f"Pipeline{i}", f"imgcls-{i}") for i in range(1, 4)]
    second = Stack(app, "SecondStack")
    lone = add_pipeline(second, "Pipeline", "imgcls-second")
    assembly = app.synth()
    return {
        "outdir": Path(assembly.directory),
        "three": three,
        "pipelines": pipelines,
        "second": second,
        "lone": lone,
        "three_template": Template.from_stack(three),
        "second_template": Template.from_stack(second),
    }


@pytest.fixture(scope="module")
def template(synthesized) -> Template:
    return synthesized["three_template"]


def logical_id(construct: Construct) -> str:
    stack = Stack.of(construct)
    return stack.resolve(stack.get_logical_id(construct.node.default_child))


# --- one per stack --------------------------------------------------------------------------


def test_three_pipelines_share_one_validator_function(synthesized, template):
    template.resource_count_is("AWS::StepFunctions::StateMachine", 3)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.has_resource_properties("AWS::Lambda::Function", {"Handler": "handler.lambda_handler"})
    validators = {id(pipeline.validator) for pipeline in synthesized["pipelines"]}
    assert len(validators) == 1


def test_every_state_machine_invokes_the_shared_function(synthesized, template):
    function_id = logical_id(synthesized["pipelines"][0].validator.function)
    for pipeline in synthesized["pipelines"]:
        role_id = logical_id(pipeline.state_machine.role)
        policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": role_id}]}})
        (policy,) = policies.values()
        invoke = [
            statement
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "lambda:InvokeFunction"
        ]
        (statement,) = invoke
        assert {"Fn::GetAtt": [function_id, "Arn"]} in statement["Resource"]


def test_each_stack_has_its_own_validator(synthesized):
    for name in ("three_template", "second_template"):
        functions = synthesized[name].find_resources("AWS::Lambda::Function")
        assert len(functions) == 1, name
        (function,) = functions.values()
        assert function["Properties"]["Handler"] == "handler.lambda_handler"
    assert synthesized["lone"].validator is not synthesized["pipelines"][0].validator
    assert Stack.of(synthesized["lone"].validator) is synthesized["second"]


def test_of_returns_the_same_object_from_any_scope_of_the_stack(synthesized):
    three = synthesized["three"]
    shared = synthesized["pipelines"][0].validator
    assert WarmStartValidator.of(three) is shared
    assert WarmStartValidator.of(synthesized["pipelines"][2]) is shared
    assert WarmStartValidator.of(synthesized["pipelines"][1].state_machine) is shared
    assert three.node.find_child("WarmStartValidator") is shared


def test_of_creates_one_on_first_use():
    stack = Stack(new_app(), "Fresh")
    first = WarmStartValidator.of(Construct(stack, "Deep"))
    assert WarmStartValidator.of(stack) is first
    assert [child.node.id for child in stack.node.children if isinstance(child, WarmStartValidator)] == [
        "WarmStartValidator"
    ]


def test_of_refuses_when_the_id_is_taken_by_another_construct():
    stack = Stack(new_app(), "Clash")
    Construct(stack, "WarmStartValidator")
    with pytest.raises(ValueError, match=r"the id 'WarmStartValidator' in stack 'Clash' is taken by a Construct"):
        WarmStartValidator.of(stack)


@pytest.mark.parametrize("memory_size", [64, 127, 10241, True, 256.0, "256"])
def test_memory_size_outside_lambda_limits_is_refused(memory_size):
    stack = Stack(new_app(), "Memory")
    with pytest.raises(ValueError, match=r"memory_size must be an int from 128 to 10240 MiB, got "):
        WarmStartValidator(stack, "Validator", memory_size=memory_size)


def test_memory_size_is_applied():
    stack = Stack(new_app(), "Memory")
    validator = WarmStartValidator(stack, "Validator", memory_size=1024)
    assert stack.resolve(validator.function.node.default_child.memory_size) == 1024


# --- the staged asset -----------------------------------------------------------------------


def staged_asset(synthesized) -> Path:
    (function,) = synthesized["three_template"].find_resources("AWS::Lambda::Function").values()
    asset_hash = function["Properties"]["Code"]["S3Key"].removesuffix(".zip")
    folder = synthesized["outdir"] / f"asset.{asset_hash}"
    assert folder.is_dir(), f"asset {asset_hash} is not staged in {synthesized['outdir']}"
    return folder


def test_asset_holds_only_the_handler_and_the_rule_engine(synthesized):
    folder = staged_asset(synthesized)
    assert {path.name for path in folder.iterdir()} == ASSET_TOP_LEVEL
    engine = folder / "warm_start_rules"
    assert all(path.is_file() and path.suffix == ".py" for path in engine.iterdir())
    # Nothing of the engine is left out either.
    source_modules = {path.name for path in (validator_asset_dir() / "warm_start_rules").glob("*.py")}
    assert {path.name for path in engine.iterdir()} == source_modules


def test_asset_has_no_caches_and_no_tests(synthesized):
    unexpected = [
        str(path.relative_to(staged_asset(synthesized)))
        for path in staged_asset(synthesized).rglob("*")
        if path.name == "__pycache__"
        or path.suffix == ".pyc"
        or path.name.startswith((".", "test_"))
        or path.name in ("tests", "conftest.py")
    ]
    assert unexpected == []


def test_excludes_keep_caches_tool_files_and_tests_out(tmp_path):
    source = tmp_path / "asset"
    for relative in (
        "handler.py",
        "helpers.py",
        "pkg/__init__.py",
        "__pycache__/handler.cpython-314.pyc",
        "pkg/__pycache__/__init__.cpython-314.pyc",
        "stray.pyc",
        ".pytest_cache/README.md",
        ".DS_Store",
        "tests/test_handler.py",
        "test_helpers.py",
        "helpers_test.py",
        "conftest.py",
    ):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        (source / relative).write_text("# placeholder\n")
    app = new_app(outdir=tmp_path / "cdk.out")
    staging = AssetStaging(Stack(app, "Excludes"), "Asset", source_path=str(source), exclude=ASSET_EXCLUDES)
    staged = Path(staging.absolute_staged_path)
    kept = sorted(str(path.relative_to(staged)) for path in staged.rglob("*") if path.is_file())
    assert kept == ["handler.py", "helpers.py", "pkg/__init__.py"]


# --- logs and role ------------------------------------------------------------------------


def test_function_logs_json_to_its_own_retained_group(synthesized, template):
    validator = synthesized["pipelines"][0].validator
    log_group_id = logical_id(validator.log_group)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain", "Properties": {"RetentionInDays": 365}},
    )
    assert template.to_json()["Resources"][log_group_id]["Properties"] == {"RetentionInDays": 365}
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": log_group_id}},
            "TracingConfig": {"Mode": "Active"},
            "Role": {"Fn::GetAtt": [logical_id(validator.role), "Arn"]},
        },
    )


def test_role_is_assumed_by_lambda_only_and_has_no_managed_policy(synthesized, template):
    role = template.to_json()["Resources"][logical_id(synthesized["pipelines"][0].validator.role)]
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [
        {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
    ]
    assert "ManagedPolicyArns" not in role["Properties"]
    assert "Policies" not in role["Properties"]


def test_role_statements_exactly(synthesized, template):
    validator = synthesized["pipelines"][0].validator
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": logical_id(validator.role)}]}}
    )
    policy = policies[logical_id(validator.role.node.find_child("DefaultPolicy"))]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [logical_id(validator.log_group), "Arn"]},
        },
        # automatic parent selection; List has no resource-level permission
        {"Action": "sagemaker:ListHyperParameterTuningJobs", "Effect": "Allow", "Resource": "*"},
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "Effect": "Allow", "Resource": "*"},
        # per pipeline: its own jobs (ownership, selection, resume, rounds) ...
        own_jobs(1),
        # ... and, since no pipeline restricts its parents, any tuning job (once)
        {"Action": "sagemaker:DescribeHyperParameterTuningJob", "Effect": "Allow", "Resource": tuning_jobs("*")},
        # the stack's run table only: leases, planned jobs, waiters
        {"Action": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:Query"], "Effect": "Allow",
         "Resource": [{"Fn::GetAtt": [run_table_id(template), "Arn"]}]},
        own_jobs(2),
        own_jobs(3),
    ]


def run_table_id(template) -> str:
    (table_id,) = template.find_resources("AWS::DynamoDB::Table")
    return table_id


def tuning_jobs(name: str) -> dict:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":hyper-parameter-tuning-job/{name}"]]}


def own_jobs(pipeline: int) -> dict:
    return {"Action": ["sagemaker:DescribeHyperParameterTuningJob", "sagemaker:ListTags",
                       "sagemaker:StopHyperParameterTuningJob"], "Effect": "Allow",
            "Resource": tuning_jobs(f"imgcls-{pipeline}-*")}


def test_role_description_names_what_it_may_do(synthesized, template):
    role = template.to_json()["Resources"][logical_id(synthesized["pipelines"][0].validator.role)]
    assert role["Properties"]["Description"] == "WarmStartValidator: describe and list tuning jobs, write its own logs"


def test_no_other_policy_is_attached_to_the_role(synthesized, template):
    role_id = logical_id(synthesized["pipelines"][0].validator.role)
    attached = [
        logical
        for logical, policy in template.find_resources("AWS::IAM::Policy").items()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
    ]
    # Besides the role's own: DescribeExecution of each pipeline's executions (its own
    # policy: the function must not depend on the state machines) and the event waits'
    # SendTask* (which take no resource-level permission).
    policies = template.find_resources("AWS::IAM::Policy")
    actions = sorted(json.dumps(policies[name]["Properties"]["PolicyDocument"]["Statement"][0]["Action"])
                     for name in attached if "DefaultPolicy" not in name)
    assert actions == ['"states:DescribeExecution"'] * 3 + [
        '["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"]']
    template.resource_properties_count_is("AWS::IAM::ManagedPolicy", Match.any_value(), 0)
