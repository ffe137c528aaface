"""cdk-nag acknowledgments for the wildcards this library needs, one finding at a time.

Each acknowledgment names the exact finding (``AwsSolutions-IAM5[Resource::...]``) and
its reason, so nothing else is hidden. A finding id embeds the resource as it resolves in
its stack (``<AWS::Region>:<AWS::AccountId>`` in an environment-agnostic stack,
``eu-west-1:123456789012`` in one with an explicit env), so the ids are built here from
the same ARN the policy holds, resolved the way cdk-nag flattens it
(:func:`iam5_resource_finding`). The pipeline applies them to its own state machine; a
workflow that embeds the fragment or the task calls
:func:`acknowledge_state_machine_findings` on its state machine.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import IConstruct

# What puts Resource "*" on a state machine's role by itself.
_LOG_DELIVERY = (
    "Step Functions logging (logs:CreateLogDelivery, PutResourcePolicy, DescribeLogGroups and the like) "
    "supports no resource-level permissions"
)
_XRAY = "X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* support no resource-level permissions"


def flatten_cfn_reference(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag writes it into a finding id: ``Ref`` as
    ``<Name>``, ``Fn::GetAtt`` as ``<Resource.Attribute>``, ``Fn::Join`` joined
    (the Python twin of cdk-nag's ``flattenCfnReference``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict) and "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(flatten_cfn_reference(item) for item in items)
    if isinstance(value, dict) and "Fn::Sub" in value:
        return flatten_cfn_reference(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"<{flatten_cfn_reference(resource)}.{flatten_cfn_reference(attribute)}>"
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        return flatten_cfn_reference(value["Fn::ImportValue"])
    if isinstance(value, dict) and "Ref" in value:
        return f"<{flatten_cfn_reference(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"))


def iam5_resource_finding(scope: IConstruct, resource: str) -> str:
    """The id of cdk-nag's ``AwsSolutions-IAM5`` finding on ``resource`` (an ARN, tokens
    allowed) in the stack of ``scope``, as the finding really renders."""
    return f"AwsSolutions-IAM5[Resource::{flatten_cfn_reference(Stack.of(scope).resolve(resource))}]"


def arn_finding(scope: IConstruct, *, service: str, resource: str, resource_name: str) -> str:
    """:func:`iam5_resource_finding` of ``Stack.of(scope).format_arn(...)``."""
    stack = Stack.of(scope)
    return iam5_resource_finding(
        scope, stack.format_arn(service=service, resource=resource, resource_name=resource_name)
    )


def tuning_job_prefix_finding(scope: IConstruct, prefix: str) -> Acknowledgment:
    """The acknowledgment of the tuning-job wildcard ``hyper-parameter-tuning-job/<prefix>-*``."""
    return Acknowledgment(
        id=arn_finding(scope, service="sagemaker", resource="hyper-parameter-tuning-job", resource_name=f"{prefix}-*"),
        reason=f"Job names are '{prefix}-<suffix from the run key>', unknown until each run; "
        f"'{prefix}-*' covers only the names of this prefix's name space (the dash ends the prefix).",
    )


def acknowledge_state_machine_findings(
    state_machine: sfn.StateMachine,
    *,
    job_name_prefixes: Iterable[str] = (),
    functions: Iterable[lambda_.IFunction] = (),
    tracing: bool = True,
    logging: bool = True,
    other_unscoped_reasons: Iterable[str] = (),
) -> None:
    """Acknowledge the findings the warm-start steps cause on ``state_machine`` and its role.

    :param job_name_prefixes: prefixes of the SageMakerCreateHyperParameterTuningJob tasks.
    :param functions: Lambda functions the state machine invokes (the validator).
    :param tracing: whether X-Ray tracing is on (its actions have no resource level); off,
        the state machine's own ``AwsSolutions-SF2`` finding is acknowledged instead.
    :param logging: whether the state machine logs (``sfn.LogOptions``: log delivery has
        no resource level).
    :param other_unscoped_reasons: what else puts ``Resource: "*"`` on the role (steps of
        the surrounding workflow), one sentence each, so that the ``Resource::*`` reason
        is the whole truth.
    """
    acknowledgments = [tuning_job_prefix_finding(state_machine, prefix) for prefix in job_name_prefixes]
    for function in functions:
        acknowledgments.append(
            Acknowledgment(
                id=iam5_resource_finding(state_machine, f"{function.function_arn}:*"),
                reason="LambdaInvoke grants the function's versions and aliases (<arn>:*) besides the function.",
            )
        )
    unscoped = [*([_LOG_DELIVERY] if logging else []), *([_XRAY] if tracing else []), *other_unscoped_reasons]
    if unscoped:
        acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="; ".join(unscoped) + ".",
            )
        )
    Validations.of(state_machine.role).acknowledge(*acknowledgments)
    if not tracing:
        Validations.of(state_machine).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SF2",
                reason="X-Ray tracing is off because the owner chose tracing_enabled=False (it is on by default).",
            )
        )
