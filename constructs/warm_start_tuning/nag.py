"""cdk-nag acknowledgments for the wildcards this library needs, one finding at a time.

Each acknowledgment names the exact finding (``AwsSolutions-IAM5[Resource::...]``) and
its reason, so nothing else is hidden. The pipeline applies them to its own state
machine; a workflow that embeds the fragment or the task calls
:func:`acknowledge_state_machine_findings` on its state machine.
"""

from __future__ import annotations

from typing import Iterable

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn


def acknowledge_state_machine_findings(
    state_machine: sfn.StateMachine,
    *,
    job_name_prefixes: Iterable[str] = (),
    functions: Iterable[lambda_.IFunction] = (),
    tracing: bool = True,
) -> None:
    """Acknowledge the IAM5 findings the warm-start steps cause on ``state_machine``'s role.

    :param job_name_prefixes: prefixes of the SageMakerCreateHyperParameterTuningJob tasks.
    :param functions: Lambda functions the state machine invokes (the validator).
    :param tracing: whether X-Ray tracing is on (its actions have no resource level).
    """
    stack = Stack.of(state_machine)
    acknowledgments = [
        Acknowledgment(
            id="AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sagemaker:<AWS::Region>:<AWS::AccountId>:"
            f"hyper-parameter-tuning-job/{prefix}-*]",
            reason=f"Job names are '{prefix}-<suffix from the run key>', unknown until each run; "
            f"the wildcard covers only this pipeline's name space, {prefix}-*.",
        )
        for prefix in job_name_prefixes
    ]
    for function in functions:
        logical_id = stack.resolve(stack.get_logical_id(function.node.default_child))
        acknowledgments.append(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>:*]",
                reason="LambdaInvoke grants the function's versions and aliases (<arn>:*) besides the function.",
            )
        )
    if tracing:
        acknowledgments.append(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords/GetSampling* have no resource-level permissions.",
            )
        )
    Validations.of(state_machine.role).acknowledge(*acknowledgments)
