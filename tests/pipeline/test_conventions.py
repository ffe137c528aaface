"""Issue 11: the conventions of CDK construct libraries, each asserted on the template:
the state machine's ``role``, ``existing_lambda_obj`` / ``lambda_function_props`` (and a
VPC) for the validator, ``grant_*`` returning iam.Grant, ``metric_*``, Aborted and
Throttled alarms, the log group under /aws/vendedlogs/states/, and the task's
``task_timeout`` / ``heartbeat_timeout``."""

from __future__ import annotations

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from cdk_helpers import load_example_app, new_app
from warm_start_tuning import SageMakerCreateHyperParameterTuningJob, WarmStartTuningPipeline, WarmStartType, WarmStartValidator

ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"
EXAMPLE = load_example_app()


def props(prefix: str = "imgcls", **overrides) -> dict:
    return {
        "warm_start_type": WarmStartType.TRANSFER_LEARNING,
        "tuning_job_config": EXAMPLE.tuning_job_config(),
        "training_job_definition": EXAMPLE.training_job_definition("example-ml-data", ROLE_ARN),
        "job_name_prefix": prefix,
        "parents": [f"{prefix}-parent-1"],
        **overrides,
    }


@pytest.fixture(scope="module")
def built():
    stack = Stack(new_app(), "Conventions")
    role = iam.Role(stack, "MachineRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0,
                  subnet_configuration=[ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    pipeline = WarmStartTuningPipeline(stack, "Pipeline", role=role, **props(
        lambda_function_props={"vpc": vpc, "memory_size": 512}))
    existing = lambda_.Function(stack, "MyValidator", runtime=lambda_.Runtime.PYTHON_3_14,
                                handler="handler.lambda_handler", code=WarmStartValidator.code())
    other = WarmStartTuningPipeline(stack, "Other", **props("other", existing_lambda_obj=existing))
    user = iam.User(stack, "Operator")
    grants = {
        "start": pipeline.grant_start_execution(user),
        "read": pipeline.grant_read(user),
        "stop": pipeline.grant_stop_execution(user),
        "execution": pipeline.grant_execution(user, "states:DescribeExecution"),
        "grant": pipeline.grant(user, "states:ListExecutions"),
    }
    metrics = {name: getattr(pipeline, f"metric_{name}")() for name in
               ("failed", "succeeded", "timed_out", "aborted", "throttled", "started", "duration")}
    return stack, pipeline, other, role, existing, grants, metrics, Template.from_stack(stack)


def _machine(template: Template, path_part: str) -> dict:
    machines = template.find_resources("AWS::StepFunctions::StateMachine")
    (machine,) = [m for k, m in machines.items() if k.startswith(path_part)]
    return machine


def test_role_is_the_state_machine_role(built):
    stack, pipeline, _, role, *_ , template = built
    machine = _machine(template, "Pipeline")
    assert machine["Properties"]["RoleArn"] == {"Fn::GetAtt": [stack.get_logical_id(role.node.default_child), "Arn"]}
    assert pipeline.state_machine.role is role
    # The pipeline's statements reach the given role (the create task's, among them).
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": stack.get_logical_id(role.node.default_child)}]}})
    assert "sagemaker:CreateHyperParameterTuningJob" in str(policies)


def test_lambda_function_props_give_the_pipeline_its_own_validator_in_the_vpc(built):
    stack, pipeline, *_ , template = built
    assert pipeline.validator.node.path == "Conventions/Pipeline/Validator"
    function = template.find_resources("AWS::Lambda::Function", {"Properties": {"MemorySize": 512}})
    (props_,) = [f["Properties"] for f in function.values()]
    assert props_["VpcConfig"]["SubnetIds"] and props_["VpcConfig"]["SecurityGroupIds"]
    assert props_["Handler"] == "handler.lambda_handler" and props_["Runtime"] == "python3.14"


def test_existing_lambda_obj_is_the_validator_and_gets_the_pipelines_statements(built):
    stack, _, other, _, existing, *_ , template = built
    assert other.validator.function is existing
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {
        "Roles": [{"Ref": stack.get_logical_id(existing.role.node.default_child)}]}})
    text = str(policies)
    assert "sagemaker:DescribeHyperParameterTuningJob" in text and "sagemaker:ListHyperParameterTuningJobs" in text
    # The other pipeline's steps invoke it.
    assert stack.get_logical_id(existing.node.default_child) in str(_machine(template, "Other")["Properties"]["DefinitionString"])


def test_lambda_props_conflict_is_reported_in_the_one_error():
    stack = Stack(new_app(), "Conflict")
    existing = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_14, handler="handler.lambda_handler",
                                code=WarmStartValidator.code())
    with pytest.raises(ValueError) as error:
        WarmStartTuningPipeline(stack, "P", **props(existing_lambda_obj=existing, lambda_function_props={"handler": "x"},
                                                   role="arn:aws:iam::1:role/x", tags={"a": "b"}))
    found = str(error.value).split("\n  - ")[1:]
    assert "conflicting props: give existing_lambda_obj or lambda_function_props, not both" in found
    assert "lambda_function_props: may not set handler (the validator runs the library's handler)" in found
    assert any(p.startswith("role: expected an aws_iam.IRole") for p in found)
    assert any(p.startswith("tags: expected a list") for p in found)


def test_grants_return_iam_grants_on_the_template(built):
    stack, *_, grants, _, template = built
    assert all(isinstance(grant, iam.Grant) and grant.success for grant in grants.values())
    policies = str(template.find_resources("AWS::IAM::Policy", {"Properties": {"Users": Match.any_value()}}))
    for action in ("states:StartExecution", "states:StopExecution", "states:DescribeExecution",
                   "states:ListExecutions", "states:GetExecutionHistory"):
        assert action in policies, action


def test_metrics_delegate_to_the_state_machine(built):
    *_, metrics, _ = built
    names = {name: metric.metric_name for name, metric in metrics.items()}
    assert names == {"failed": "ExecutionsFailed", "succeeded": "ExecutionsSucceeded", "timed_out": "ExecutionsTimedOut",
                     "aborted": "ExecutionsAborted", "throttled": "ExecutionThrottled", "started": "ExecutionsStarted",
                     "duration": "ExecutionTime"}
    assert all(isinstance(m, cloudwatch.Metric) and m.namespace == "AWS/States" for m in metrics.values())


def test_aborted_and_throttled_alarms(built):
    _, pipeline, *_, template = built
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted", "ExecutionThrottled"):
        assert template.find_resources("AWS::CloudWatch::Alarm", {"Properties": {"MetricName": metric}}), metric
    assert pipeline.aborted_alarm and pipeline.throttled_alarm


def test_log_group_name_is_under_vendedlogs(built):
    *_, template = built
    names = [g["Properties"]["LogGroupName"] for g in template.find_resources("AWS::Logs::LogGroup").values()
             if "LogGroupName" in g["Properties"]]
    assert any(n.startswith("/aws/vendedlogs/states/Conventions-Pipeline") for n in names), names
    assert len(set(names)) == len(names)


def test_task_timeout_and_heartbeat_timeout():
    stack = Stack(new_app(), "Task")
    role = iam.Role.from_role_arn(stack, "R", ROLE_ARN, mutable=False)

    def task(construct_id: str, **timeouts) -> dict:
        t = SageMakerCreateHyperParameterTuningJob(
            stack, construct_id, tuning_job_name="$.name", hyper_parameter_tuning_job_config="$.config",
            training_job_definition="$.definition", role=role, job_name_prefix="imgcls", **timeouts)
        return stack.resolve(t.to_state_json())

    fixed = task("Fixed", task_timeout=sfn.Timeout.duration(Duration.hours(48)),
                 heartbeat_timeout=sfn.Timeout.duration(Duration.minutes(10)))
    assert fixed["TimeoutSeconds"] == 172800 and fixed["HeartbeatSeconds"] == 600
    paths = task("Paths", task_timeout=sfn.Timeout.at("$.timeout"), heartbeat_timeout=sfn.Timeout.at("$.beat"))
    assert paths["TimeoutSecondsPath"] == "$.timeout" and paths["HeartbeatSecondsPath"] == "$.beat"
    with pytest.raises(ValueError, match="give timeout or task_timeout, not both"):
        task("Both", timeout=Duration.hours(1), task_timeout=sfn.Timeout.duration(Duration.hours(1)))
    with pytest.raises(TypeError, match=r"heartbeat_timeout: expected an sfn.Timeout"):
        task("Wrong", heartbeat_timeout=Duration.minutes(1))
