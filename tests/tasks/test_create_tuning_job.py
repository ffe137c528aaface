"""SageMakerCreateHyperParameterTuningJob: rendered ASL, IAM, validation, snapshot.

One synthesized stack serves the whole module (jsii start-up and synth are slow); the
constructor-error tests only construct, they never synthesize.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from cdk_helpers import flatten
from snapshot import ASSET_HASH, assert_matches_snapshot, normalize_template
from warm_start_tuning.tasks import (
    TUNING_JOB_EVENTS_RULE_NAME,
    SageMakerCreateHyperParameterTuningJob,
)

RUN_JOB = sfn.IntegrationPattern.RUN_JOB
REQUEST_RESPONSE = sfn.IntegrationPattern.REQUEST_RESPONSE

CONFIG = {
    "Strategy": "Bayesian",
    "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:accuracy"},
    "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs.$": "$.maxParallel"},
    "ParameterRanges": {
        "ContinuousParameterRanges": [{"Name": "learning_rate", "MinValue": "0.001", "MaxValue": "0.1"}]
    },
}
DEFINITION = {
    "AlgorithmSpecification": {
        "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/algo:1",
        "TrainingInputMode": "File",
    },
    "StaticHyperParameters": {"epochs": "10"},
    "OutputDataConfig": {"S3OutputPath": sfn.JsonPath.string_at("$.outputPath")},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}
WARM_START = {
    "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "imgcls-parent-1"}],
    "WarmStartType": "IdenticalDataAndAlgorithm",
}
ARN_PREFIX = "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}"


# --- helpers ---------------------------------------------------------------------------


def state_of(task: SageMakerCreateHyperParameterTuningJob) -> dict[str, Any]:
    """The state JSON of a task, rendered without synthesizing the app."""
    stack = Stack.of(task)
    return json.loads(flatten(stack.resolve(stack.to_json_string(task.to_state_json()))))


def resolved_statements(task: SageMakerCreateHyperParameterTuningJob) -> list[dict[str, Any]]:
    stack = Stack.of(task)
    return [stack.resolve(s.to_statement_json()) for s in task.task_policies]


def actions_of(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def new_stack() -> Stack:
    return Stack(App(), "Stack")


def sagemaker_role(stack: Stack) -> iam.Role:
    return iam.Role(stack, "SageMakerRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


def make_task(stack: Stack | None = None, id: str = "Task", **overrides: Any):
    stack = stack or new_stack()
    props: dict[str, Any] = {
        "tuning_job_name": "imgcls-run-1",
        "hyper_parameter_tuning_job_config": CONFIG,
        "training_job_definition": DEFINITION,
        "role": stack.node.try_find_child("SageMakerRole") or sagemaker_role(stack),
        "job_name_prefix": "imgcls",
    }
    props.update(overrides)
    return SageMakerCreateHyperParameterTuningJob(stack, id, **props)


# --- the synthesized stack -------------------------------------------------------------


class Synth:
    """The module's stack, synthesized once, and lookups into it."""

    def __init__(self) -> None:
        app = App(context={"aws:cdk:bundling-stacks": []})
        stack = Stack(app, "TuningTaskStack")
        role = sagemaker_role(stack)
        self.role_id = stack.get_logical_id(role.node.default_child)

        # RUN_JOB with literal parameters and every state field.
        self.sync_task = SageMakerCreateHyperParameterTuningJob(
            stack,
            "CreateSync",
            tuning_job_name="imgcls-run-1",
            hyper_parameter_tuning_job_config=CONFIG,
            training_job_definition=DEFINITION,
            warm_start_config=WARM_START,
            tags=[{"Key": "project", "Value": "imgcls"}],
            role=role,
            job_name_prefix="imgcls",
            integration_pattern=RUN_JOB,
            state_name="Create tuning job",
            comment="warm-start tuning job",
            result_selector={"Name.$": "$.HyperParameterTuningJobName", "Status.$": "$.HyperParameterTuningJobStatus"},
            result_path="$.tuning",
            timeout=Duration.hours(12),
        )
        sync_machine = sfn.StateMachine(
            stack, "SyncMachine", definition_body=sfn.DefinitionBody.from_chainable(self.sync_task)
        )
        # Granting on top of the automatic attachment must not duplicate statements.
        self.sync_task.grant_to(sync_machine)

        # REQUEST_RESPONSE with every parameter from the execution input.
        self.async_task = SageMakerCreateHyperParameterTuningJob(
            stack,
            "CreateAsync",
            tuning_job_name="$.plan.request.HyperParameterTuningJobName",
            hyper_parameter_tuning_job_config="$.plan.request.HyperParameterTuningJobConfig",
            training_job_definition=sfn.JsonPath.object_at("$.plan.request.TrainingJobDefinition"),
            warm_start_config="$.plan.request.WarmStartConfig",
            role=role,
            job_name_prefix="imgcls",
            integration_pattern=REQUEST_RESPONSE,
            result_path=sfn.JsonPath.DISCARD,
        )
        async_machine = sfn.StateMachine(
            stack,
            "RequestResponseMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self.async_task.next(sfn.Succeed(stack, "Done"))),
        )

        # Inside a Parallel branch: the statements must climb to the machine's role.
        nested_task = SageMakerCreateHyperParameterTuningJob(
            stack,
            "CreateNested",
            tuning_job_name="$.name",
            hyper_parameter_tuning_job_config=CONFIG,
            training_job_definition=DEFINITION,
            role=role,
            job_name_prefix="nested",
        )
        mapped_task = SageMakerCreateHyperParameterTuningJob(
            stack,
            "CreateMapped",
            tuning_job_name="$.name",
            hyper_parameter_tuning_job_config=CONFIG,
            training_job_definition=DEFINITION,
            role=role,
            job_name_prefix="mapped",
            integration_pattern=REQUEST_RESPONSE,
        )
        each = sfn.Map(stack, "Each", items_path="$.jobs").item_processor(mapped_task)
        nested_machine = sfn.StateMachine(
            stack,
            "NestedMachine",
            definition_body=sfn.DefinitionBody.from_chainable(
                sfn.Parallel(stack, "Branches").branch(nested_task).next(each)
            ),
        )

        # A definition given as a string has no state graph: grant_to is the way in.
        granted_task = SageMakerCreateHyperParameterTuningJob(
            stack,
            "CreateGranted",
            tuning_job_name="$.name",
            hyper_parameter_tuning_job_config=CONFIG,
            training_job_definition=DEFINITION,
            role=role,
            job_name_prefix="strdef",
        )
        string_machine = sfn.StateMachine(
            stack,
            "StringMachine",
            definition_body=sfn.DefinitionBody.from_string(
                '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}'
            ),
        )
        granted_task.grant_to(string_machine)

        self.template = Template.from_stack(stack)
        self.template_json = self.template.to_json()
        self.machines = {
            name: stack.get_logical_id(machine.node.default_child)
            for name, machine in (
                ("sync", sync_machine),
                ("async", async_machine),
                ("nested", nested_machine),
                ("string", string_machine),
            )
        }

    def definition(self, machine: str) -> dict[str, Any]:
        resource = self.template_json["Resources"][self.machines[machine]]
        return json.loads(flatten(resource["Properties"]["DefinitionString"]))

    def statements(self, machine: str) -> list[dict[str, Any]]:
        """Statements of the default policy of the machine's role, ARNs flattened."""
        resources = self.template_json["Resources"]
        role_ref = resources[self.machines[machine]]["Properties"]["RoleArn"]["Fn::GetAtt"][0]
        policies = [
            r for r in resources.values()
            if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_ref} in r["Properties"]["Roles"]
        ]
        assert len(policies) == 1, policies
        statements = policies[0]["Properties"]["PolicyDocument"]["Statement"]
        return [{**s, "Resource": _flatten_resources(s["Resource"])} for s in statements]

    def statement_with(self, machine: str, action: str) -> dict[str, Any]:
        found = [s for s in self.statements(machine) if action in actions_of(s)]
        assert len(found) == 1, f"{action}: {found}"
        return found[0]


def _flatten_resources(resource: Any) -> list[str]:
    return [flatten(r) for r in resource] if isinstance(resource, list) else [flatten(resource)]


@pytest.fixture(scope="module")
def synth() -> Synth:
    return Synth()


# --- rendered ASL ----------------------------------------------------------------------


def test_run_job_state_renders_sync_resource_and_state_fields(synth: Synth) -> None:
    definition = synth.definition("sync")
    assert definition["StartAt"] == "Create tuning job"
    state = definition["States"]["Create tuning job"]
    assert state["Type"] == "Task"
    assert state["Resource"] == "arn:${AWS::Partition}:states:::sagemaker:createHyperParameterTuningJob.sync"
    assert state["Comment"] == "warm-start tuning job"
    assert state["ResultSelector"] == {
        "Name.$": "$.HyperParameterTuningJobName",
        "Status.$": "$.HyperParameterTuningJobStatus",
    }
    assert state["ResultPath"] == "$.tuning"
    assert state["TimeoutSeconds"] == 12 * 3600
    assert state["End"] is True


def test_literal_parameters_render_as_given_with_jsonpath_inside(synth: Synth) -> None:
    parameters = synth.definition("sync")["States"]["Create tuning job"]["Parameters"]
    assert parameters["HyperParameterTuningJobName"] == "imgcls-run-1"
    assert parameters["HyperParameterTuningJobConfig"] == CONFIG  # incl. "MaxParallelTrainingJobs.$"
    definition = parameters["TrainingJobDefinition"]
    # A JsonPath token inside a literal becomes a ".$" field ...
    assert definition["OutputDataConfig"] == {"S3OutputPath.$": "$.outputPath"}
    # ... and a literal definition without RoleArn gets the role that PassRole allows.
    assert definition["RoleArn"] == "${" + synth.role_id + ".Arn}"
    assert definition["AlgorithmSpecification"] == DEFINITION["AlgorithmSpecification"]
    assert parameters["WarmStartConfig"] == WARM_START
    assert parameters["Tags"] == [{"Key": "project", "Value": "imgcls"}]
    assert set(parameters) == {
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobConfig",
        "TrainingJobDefinition",
        "WarmStartConfig",
        "Tags",
    }


def test_request_response_state_renders_jsonpath_parameters(synth: Synth) -> None:
    state = synth.definition("async")["States"]["CreateAsync"]
    assert state["Resource"] == "arn:${AWS::Partition}:states:::sagemaker:createHyperParameterTuningJob"
    assert state["Parameters"] == {
        "HyperParameterTuningJobName.$": "$.plan.request.HyperParameterTuningJobName",
        "HyperParameterTuningJobConfig.$": "$.plan.request.HyperParameterTuningJobConfig",
        "TrainingJobDefinition.$": "$.plan.request.TrainingJobDefinition",
        "WarmStartConfig.$": "$.plan.request.WarmStartConfig",
    }
    assert state["ResultPath"] is None  # sfn.JsonPath.DISCARD
    assert state["Next"] == "Done"
    assert "TimeoutSeconds" not in state and "Comment" not in state


def test_states_in_parallel_and_map_branches_render(synth: Synth) -> None:
    states = synth.definition("nested")["States"]
    state = states["Branches"]["Branches"][0]["States"]["CreateNested"]
    assert state["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    assert state["Parameters"]["HyperParameterTuningJobName.$"] == "$.name"
    mapped = states["Each"]["ItemProcessor"]["States"]["CreateMapped"]
    assert mapped["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob")


# --- IAM -------------------------------------------------------------------------------


@pytest.mark.parametrize("machine", ["sync", "async"])
def test_create_describe_stop_scoped_to_prefix(synth: Synth, machine: str) -> None:
    statement = synth.statement_with(machine, "sagemaker:CreateHyperParameterTuningJob")
    assert statement["Effect"] == "Allow"
    assert actions_of(statement) == [
        "sagemaker:CreateHyperParameterTuningJob",
        "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob",
    ]
    assert statement["Resource"] == [f"{ARN_PREFIX}:hyper-parameter-tuning-job/imgcls-*"]
    assert "Condition" not in statement


@pytest.mark.parametrize("machine", ["sync", "async"])
def test_list_tags_scoped_to_prefix(synth: Synth, machine: str) -> None:
    statement = synth.statement_with(machine, "sagemaker:ListTags")
    assert actions_of(statement) == ["sagemaker:ListTags"]
    assert statement["Resource"] == [f"{ARN_PREFIX}:hyper-parameter-tuning-job/imgcls-*"]


@pytest.mark.parametrize("machine", ["sync", "async"])
def test_add_tags_whenever_the_task_can_start_a_job(synth: Synth, machine: str) -> None:
    # The async task has no tags; Step Functions tags .sync jobs whatever the task says,
    # and tags given at creation are authorized as AddTags: every task gets it.
    statement = synth.statement_with(machine, "sagemaker:AddTags")
    assert actions_of(statement) == ["sagemaker:AddTags"]
    assert statement["Resource"] == [f"{ARN_PREFIX}:hyper-parameter-tuning-job/imgcls-*"]


def test_run_job_without_tags_is_granted_add_tags() -> None:
    task = make_task(integration_pattern=RUN_JOB)
    assert "Tags" not in state_of(task)["Parameters"]
    assert ["sagemaker:AddTags"] in [actions_of(s) for s in resolved_statements(task)]


def test_default_integration_pattern_is_run_job_and_the_docstring_says_why() -> None:
    assert make_task().integration_pattern == RUN_JOB
    doc = " ".join(SageMakerCreateHyperParameterTuningJob.__doc__.split())
    # aws-cdk-lib's SageMakerCreateTrainingJob defaults to REQUEST_RESPONSE: the
    # docstring says so and why this task differs, instead of claiming to match it.
    assert "differs from aws-cdk-lib's ``SageMakerCreateTrainingJob``, whose default is ``REQUEST_RESPONSE``" in doc
    assert "as for aws-cdk-lib" not in doc


@pytest.mark.parametrize(
    "prop, value, parameter",
    [
        ("autotune", {"Mode": "Enabled"}, "Autotune"),
        ("training_job_definitions", [DEFINITION], "TrainingJobDefinitions"),
    ],
)
def test_undocumented_parameters_are_refused_with_the_reason(prop: str, value: Any, parameter: str) -> None:
    stack = new_stack()
    with pytest.raises(ValueError) as caught:
        make_task(stack, **{prop: value})
    text = str(caught.value)
    assert f"{prop}: {parameter} is not among the parameters Step Functions' optimized" in text
    assert "States.Runtime" in text and "silently dropped" in text
    assert stack.node.try_find_child("Task") is None


def test_only_documented_parameters_are_rendered(synth: Synth) -> None:
    from warm_start_tuning.tasks.create_tuning_job import DOCUMENTED_PARAMETERS

    for machine in ("sync", "async"):
        for state in synth.definition(machine)["States"].values():
            keys = {k.removesuffix(".$") for k in state.get("Parameters", {})}
            assert keys <= set(DOCUMENTED_PARAMETERS), keys


@pytest.mark.parametrize("machine", ["sync", "async"])
def test_pass_role_only_on_sagemaker_role_and_service(synth: Synth, machine: str) -> None:
    statement = synth.statement_with(machine, "iam:PassRole")
    assert actions_of(statement) == ["iam:PassRole"]
    assert statement["Resource"] == ["${" + synth.role_id + ".Arn}"]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_pass_role_statement_with_template_matchers(synth: Synth) -> None:
    synth.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "iam:PassRole",
                                "Effect": "Allow",
                                "Resource": {"Fn::GetAtt": [synth.role_id, "Arn"]},
                                "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_run_job_gets_the_managed_events_rule(synth: Synth) -> None:
    statement = synth.statement_with("sync", "events:PutRule")
    assert actions_of(statement) == ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
    assert statement["Resource"] == [
        "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/" + TUNING_JOB_EVENTS_RULE_NAME
    ]


def test_request_response_has_no_events_statement(synth: Synth) -> None:
    assert not [s for s in synth.statements("async") if any(a.startswith("events:") for a in actions_of(s))]
    assert len(synth.statements("async")) == 4  # Create/Describe/Stop, ListTags, AddTags, PassRole


def test_no_bare_wildcard_resource(synth: Synth) -> None:
    for machine in ("sync", "async", "nested", "string"):
        for statement in synth.statements(machine):
            assert "*" not in statement["Resource"], statement


def test_statements_reach_the_role_from_parallel_and_map_branches(synth: Synth) -> None:
    creates = sorted(
        resource
        for s in synth.statements("nested")
        if "sagemaker:CreateHyperParameterTuningJob" in actions_of(s)
        for resource in s["Resource"]
    )
    assert creates == [
        f"{ARN_PREFIX}:hyper-parameter-tuning-job/mapped-*",  # Map item processor
        f"{ARN_PREFIX}:hyper-parameter-tuning-job/nested-*",  # Parallel branch, RUN_JOB
    ]
    assert synth.statement_with("nested", "events:PutRule")  # from the RUN_JOB task only
    # Both tasks pass the same role: CDK merges the identical statements.
    assert synth.statement_with("nested", "iam:PassRole")


def test_grant_to_covers_a_definition_given_as_string(synth: Synth) -> None:
    statement = synth.statement_with("string", "sagemaker:CreateHyperParameterTuningJob")
    assert statement["Resource"] == [f"{ARN_PREFIX}:hyper-parameter-tuning-job/strdef-*"]
    assert synth.statement_with("string", "iam:PassRole")
    assert synth.statement_with("string", "events:PutRule")


def test_grant_to_after_automatic_attachment_adds_no_duplicates(synth: Synth) -> None:
    assert len(synth.statements("sync")) == 5


def test_task_policies_property(synth: Synth) -> None:
    sync_actions = [actions_of(s) for s in resolved_statements(synth.sync_task)]
    assert sync_actions == [
        [
            "sagemaker:CreateHyperParameterTuningJob",
            "sagemaker:DescribeHyperParameterTuningJob",
            "sagemaker:StopHyperParameterTuningJob",
        ],
        ["sagemaker:ListTags"],
        ["sagemaker:AddTags"],
        ["iam:PassRole"],
        ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
    ]
    assert len(synth.async_task.task_policies) == 4
    assert len(synth.async_task.policy_statements) == 4  # alias
    assert synth.sync_task.integration_pattern == RUN_JOB
    assert synth.async_task.job_name_prefix == "imgcls"


# --- snapshot ------------------------------------------------------------------------


def test_template_matches_snapshot(synth: Synth) -> None:
    assert_matches_snapshot(synth.template_json, "create_tuning_job_stack")


def test_snapshot_normalization_blanks_asset_hashes_and_cdk_metadata() -> None:
    digest = "0123456789abcdef" * 4
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Bucket": "b", "S3Key": f"{digest}.zip"}},
                "Metadata": {"aws:asset:path": f"asset.{digest}", "aws:asset:property": "Code"},
            },
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:xyz"}},
        },
        "Conditions": {"CDKMetadataAvailable": {"Fn::Or": []}},
    }
    normalized = normalize_template(template)
    assert normalized == {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {"Code": {"S3Bucket": "b", "S3Key": f"{ASSET_HASH}.zip"}},
                "Metadata": {"aws:asset:path": ASSET_HASH, "aws:asset:property": ASSET_HASH},
            }
        }
    }
    assert template["Resources"]["Fn"]["Properties"]["Code"]["S3Key"] == f"{digest}.zip"  # untouched


def test_snapshot_mismatch_shows_a_diff_and_update_rewrites(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("UPDATE_SNAPSHOTS", raising=False)
    with pytest.raises(AssertionError, match="UPDATE_SNAPSHOTS=1"):
        assert_matches_snapshot({"Resources": {}}, "t", snapshot_dir=tmp_path)
    monkeypatch.setenv("UPDATE_SNAPSHOTS", "1")
    assert_matches_snapshot({"Resources": {"A": {"Type": "X"}}}, "t", snapshot_dir=tmp_path)
    monkeypatch.delenv("UPDATE_SNAPSHOTS")
    assert_matches_snapshot({"Resources": {"A": {"Type": "X"}}}, "t", snapshot_dir=tmp_path)
    with pytest.raises(AssertionError, match=r'(?s)-\s+"Type": "X".*\+\s+"Type": "Y"'):
        assert_matches_snapshot({"Resources": {"A": {"Type": "Y"}}}, "t", snapshot_dir=tmp_path)


# --- tokens and JsonPath skip validation (construction only) -----------------------------


def test_token_job_name_and_prefix_skip_validation() -> None:
    stack = new_stack()
    name = CfnParameter(stack, "JobName").value_as_string
    prefix = CfnParameter(stack, "Prefix").value_as_string
    task = make_task(stack, tuning_job_name=name, job_name_prefix=prefix)
    assert state_of(task)["Parameters"]["HyperParameterTuningJobName"] == "${JobName}"
    create = resolved_statements(task)[0]
    assert flatten(create["Resource"]).endswith(":hyper-parameter-tuning-job/${Prefix}-*")


@pytest.mark.parametrize(
    "name, rendered",
    [
        (sfn.JsonPath.string_at("$.name"), "$.name"),
        ("$$.Execution.Name", "$$.Execution.Name"),
        ("States.Format('imgcls-{}', $.id)", "States.Format('imgcls-{}', $.id)"),
        (sfn.JsonPath.format("imgcls-{}", sfn.JsonPath.string_at("$.id")), "States.Format('imgcls-{}', $.id)"),
    ],
    ids=["string_at", "context", "intrinsic", "format_token"],
)
def test_dynamic_job_names_render_as_dollar_fields(name: str, rendered: str) -> None:
    parameters = state_of(make_task(tuning_job_name=name))["Parameters"]
    assert parameters["HyperParameterTuningJobName.$"] == rendered
    assert "HyperParameterTuningJobName" not in parameters


def test_dynamic_values_skip_structure_checks_and_render() -> None:
    task = make_task(
        tuning_job_name="$.name",
        hyper_parameter_tuning_job_config={**CONFIG, "Strategy": sfn.JsonPath.string_at("$.strategy")},
        training_job_definition="$.definition",
        warm_start_config=sfn.JsonPath.object_at("$.warmStart"),
        tags="$.tags",
        state_name="Tune",
    )
    state = state_of(task)
    parameters = state["Parameters"]
    assert parameters["HyperParameterTuningJobConfig"]["Strategy.$"] == "$.strategy"
    assert parameters["TrainingJobDefinition.$"] == "$.definition"
    assert parameters["WarmStartConfig.$"] == "$.warmStart"
    assert parameters["Tags.$"] == "$.tags"
    assert task.state_id == "Tune"
    # Tags known only at run time may be non-empty: AddTags is granted.
    assert ["sagemaker:AddTags"] in [actions_of(s) for s in resolved_statements(task)]


def test_tags_mapping_becomes_key_value_list() -> None:
    parameters = state_of(make_task(tags={"team": "ml", "cost": "42"}))["Parameters"]
    assert parameters["Tags"] == [{"Key": "team", "Value": "ml"}, {"Key": "cost", "Value": "42"}]


def test_role_arn_given_in_definition_is_kept_when_it_is_the_role() -> None:
    stack = new_stack()
    arn = "arn:aws:iam::123456789012:role/sagemaker-exec"
    role = iam.Role.from_role_arn(stack, "Imported", arn)
    task = make_task(stack, role=role, training_job_definition={**DEFINITION, "RoleArn": arn})
    assert state_of(task)["Parameters"]["TrainingJobDefinition"]["RoleArn"] == arn


# --- constructor errors (construction only) ----------------------------------------------

LONG = "a" * 33
E = re.escape  # exact text; the other patterns are regular expressions
FULL_CONFIG_EXPECTED = (
    "a dict (boto3 HyperParameterTuningJobConfig) or a JsonPath string starting with '$'"
)

# (test id, props overriding make_task's valid ones, exception type, pattern of the message)
ERRORS = [
    ("wait_for_task_token", {"integration_pattern": sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN}, ValueError,
     E("integration pattern WAIT_FOR_TASK_TOKEN is not supported by the SageMaker "
       "CreateHyperParameterTuningJob integration; supported: REQUEST_RESPONSE, RUN_JOB")),
    ("pattern_as_string", {"integration_pattern": "RUN_JOB"}, TypeError,
     E("integration_pattern must be an sfn.IntegrationPattern (REQUEST_RESPONSE or RUN_JOB); "
       "got str 'RUN_JOB'")),
    ("empty_prefix", {"job_name_prefix": ""}, ValueError,
     E("job_name_prefix must not be empty: it scopes the IAM statements to "
       "hyper-parameter-tuning-job/<prefix>-*; got ''")),
    ("uppercase_prefix", {"job_name_prefix": "ImgCls"}, ValueError,
     E("job_name_prefix must be lowercase (SageMaker lowercases job names in ARNs, so IAM would "
       "never match); got 'ImgCls', use 'imgcls'")),
    ("prefix_bad_character", {"job_name_prefix": "img_cls"}, ValueError,
     E("job_name_prefix must be 1-32 characters of a-z, 0-9 and '-', starting with a letter or "
       "digit; got 'img_cls'")),
    ("prefix_leading_hyphen", {"job_name_prefix": "-imgcls"}, ValueError,
     E("starting with a letter or digit; got '-imgcls'")),
    ("prefix_too_long", {"job_name_prefix": LONG}, ValueError,
     E("job_name_prefix must be 1-32 characters") + ".*" + E(f"got '{LONG}'")),
    ("prefix_not_string", {"job_name_prefix": 7}, TypeError, E("job_name_prefix must be a string; got int")),
    ("name_bad_character", {"tuning_job_name": "imgcls_run"}, ValueError,
     E("tuning_job_name must be 1-32 characters matching [a-zA-Z0-9](-*[a-zA-Z0-9]){0,31} or a "
       "JsonPath starting with '$'; got 'imgcls_run' (10 characters)")),
    ("name_trailing_hyphen", {"tuning_job_name": "imgcls-"}, ValueError, E("got 'imgcls-' (7 characters)")),
    ("name_too_long", {"tuning_job_name": "imgcls" + "1" * 27}, ValueError, E("(33 characters)")),
    ("name_without_prefix", {"tuning_job_name": "other-run"}, ValueError,
     E("tuning_job_name must start with job_name_prefix and a dash, 'imgcls-' (IAM only allows "
       "hyper-parameter-tuning-job/imgcls-*); got 'other-run'")),
    ("name_not_string", {"tuning_job_name": 123}, TypeError,
     E("tuning_job_name must be a string (a job name or a JsonPath); got int")),
    ("config_list", {"hyper_parameter_tuning_job_config": [CONFIG]}, TypeError,
     E(f"hyper_parameter_tuning_job_config must be {FULL_CONFIG_EXPECTED}; got list")),
    ("config_arbitrary_object", {"hyper_parameter_tuning_job_config": object()}, TypeError,
     E(f"hyper_parameter_tuning_job_config must be {FULL_CONFIG_EXPECTED}; got object")),
    ("config_plain_string", {"hyper_parameter_tuning_job_config": "Bayesian"}, ValueError,
     E(f"hyper_parameter_tuning_job_config must be {FULL_CONFIG_EXPECTED}; got the string 'Bayesian'")),
    ("config_unknown_key", {"hyper_parameter_tuning_job_config": {"Strategy": "Bayesian", "ResourceLimit": {}}},
     ValueError,
     E("hyper_parameter_tuning_job_config is not a valid HyperParameterTuningJobConfig: unknown key "
       "'ResourceLimit' (expected one of: Strategy, ") + ".*" + E("; required key 'ResourceLimits' is missing")),
    ("config_missing_strategy", {"hyper_parameter_tuning_job_config": {"ResourceLimits": {}}}, ValueError,
     E("is not a valid HyperParameterTuningJobConfig: required key 'Strategy' is missing")),
    ("config_bad_strategy", {"hyper_parameter_tuning_job_config": {**CONFIG, "Strategy": "Genetic"}}, ValueError,
     E("Strategy must be one of Bayesian, Random, Hyperband, Grid; got 'Genetic'")),
    ("definition_int", {"training_job_definition": 5}, TypeError,
     E("training_job_definition must be a dict (boto3 HyperParameterTrainingJobDefinition) or a "
       "JsonPath string starting with '$'; got int")),
    ("definition_unknown_key", {"training_job_definition": {**DEFINITION, "HyperParameters": {}}}, ValueError,
     E("training_job_definition is not a valid HyperParameterTrainingJobDefinition: unknown key "
       "'HyperParameters'")),
    ("no_definition", {"training_job_definition": None}, ValueError,
     E("training_job_definition is required")),
    ("definitions", {"training_job_definition": None, "training_job_definitions": [DEFINITION]}, ValueError,
     E("training_job_definitions: TrainingJobDefinitions is not among the parameters")),
    ("warm_start_list", {"warm_start_config": [WARM_START]}, TypeError,
     E("warm_start_config must be a dict (boto3 HyperParameterTuningJobWarmStartConfig) or a JsonPath "
       "string starting with '$'; got list")),
    ("warm_start_bad_type", {"warm_start_config": {**WARM_START, "WarmStartType": "Identical"}}, ValueError,
     E("WarmStartType must be one of IdenticalDataAndAlgorithm, TransferLearning; got 'Identical'")),
    ("tags_int", {"tags": 3}, TypeError,
     E("tags must be a list of {'Key': ..., 'Value': ...}, a {key: value} dict or a JsonPath string; got int")),
    ("tags_plain_string", {"tags": "project=x"}, ValueError, E("; got the string 'project=x'")),
    ("tag_without_value", {"tags": [{"Key": "project"}]}, ValueError,
     E("tags[0] is not a valid Tag: required key 'Value' is missing")),
    ("tag_not_dict", {"tags": [("project", "x")]}, TypeError,
     E("tags[0] must be a dict {'Key': ..., 'Value': ...}; got tuple")),
    ("tag_value_not_string", {"tags": {"cost": 42}}, ValueError,
     E("tags[0] is not a valid Tag: Value must be a string; got int")),
    ("too_many_tags", {"tags": {f"k{i}": "v" for i in range(49)}}, ValueError,
     E("tags must hold at most 48 tags (SageMaker allows 50 and Step Functions adds 2 to every job "
       "a .sync task starts); got 49")),
    ("too_many_tags_request_response", {"tags": {f"k{i}": "v" for i in range(51)},
                                        "integration_pattern": REQUEST_RESPONSE}, ValueError,
     E("tags must hold at most 50 tags; got 51")),
    ("role_missing", {"role": None}, TypeError,
     E("role must be an iam.IRole (the SageMaker execution role); got NoneType")),
    ("result_path_not_jsonpath", {"result_path": "tuning"}, ValueError,
     E("result_path must be a JsonPath starting with '$' (or sfn.JsonPath.DISCARD); got 'tuning'")),
    ("input_path_int", {"input_path": 1}, TypeError, E("input_path must be a JsonPath string; got int")),
    ("result_selector_list", {"result_selector": ["$.x"]}, TypeError, E("result_selector must be a dict; got list")),
    ("timeout_int", {"timeout": 60}, TypeError, E("timeout must be an aws_cdk.Duration; got int")),
    ("timeout_below_one_second", {"timeout": Duration.millis(500)}, ValueError,
     E("timeout must be a whole number of seconds, at least 1; got 0.5 seconds")),
    ("timeout_fraction_of_second", {"timeout": Duration.millis(1500)}, ValueError,
     E("timeout must be a whole number of seconds, at least 1; got 1.5 seconds")),
    ("state_name_empty", {"state_name": ""}, ValueError, E("state_name must be a non-empty string; got ''")),
    ("jsonpath_token_in_list",
     {"hyper_parameter_tuning_job_config": {**CONFIG, "ParameterRanges": {"CategoricalParameterRanges": [
         {"Name": "optimizer", "Values": [sfn.JsonPath.string_at("$.optimizer")]}]}}},
     ValueError, E("parameters cannot be rendered: ") + ".*" + E("Cannot use JsonPath fields in an array")),
]


@pytest.mark.parametrize(
    "overrides, error, pattern",
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_constructor_rejects(overrides: dict[str, Any], error: type[Exception], pattern: str) -> None:
    stack = new_stack()
    with pytest.raises(error) as caught:
        make_task(stack, **overrides)
    text = str(caught.value)
    assert text.startswith("SageMakerCreateHyperParameterTuningJob 'Task': "), text
    assert re.search(pattern, text), text
    # Rejected before the construct was created: nothing half-built is left in the tree.
    assert stack.node.try_find_child("Task") is None


def test_role_arn_in_definition_must_be_the_role() -> None:
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Imported", "arn:aws:iam::123456789012:role/sagemaker-exec")
    expected = (
        "training_job_definition RoleArn must be the ARN of role "
        "(arn:aws:iam::123456789012:role/sagemaker-exec), the only role iam:PassRole is granted on; "
        "got 'arn:aws:iam::123456789012:role/other'"
    )
    with pytest.raises(ValueError, match=re.escape(expected)):
        make_task(
            stack,
            role=role,
            training_job_definition={**DEFINITION, "RoleArn": "arn:aws:iam::123456789012:role/other"},
        )
