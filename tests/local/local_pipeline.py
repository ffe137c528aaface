"""A hand-written, pipeline-shaped CloudFormation template for the local engine's tests.

Shaped like what ``cdk synth`` writes for WarmStartTuningPipeline: a DefinitionString
built with Fn::Join around Fn::GetAtt of the Lambdas' ARNs and Ref AWS::Partition /
AWS::Region / AWS::AccountId, Lambdas with ``aws:asset:path`` metadata, and the states
Pass -> poll loop (Lambda + Choice + Wait SecondsPath) -> validate (Lambda, Catch) ->
createHyperParameterTuningJob.sync (Catch) -> Pass.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
VALIDATOR_ASSET = FIXTURES / "validator_asset"

_TOKEN = re.compile(r"__(PARTITION|REGION|ACCOUNT|ARN_[A-Za-z0-9]+)__")

LAMBDA_RETRY = {
    "ErrorEquals": [
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
    ],
    "IntervalSeconds": 2,
    "MaxAttempts": 6,
    "BackoffRate": 2,
}


def _join(text: str) -> dict[str, Any]:
    """Fn::Join of ``text`` with its __TOKENS__ turned into intrinsics, as CDK does."""
    parts: list[Any] = []
    position = 0
    for match in _TOKEN.finditer(text):
        parts.append(text[position : match.start()])
        token = match.group(1)
        if token == "PARTITION":
            parts.append({"Ref": "AWS::Partition"})
        elif token == "REGION":
            parts.append({"Ref": "AWS::Region"})
        elif token == "ACCOUNT":
            parts.append({"Ref": "AWS::AccountId"})
        else:
            parts.append({"Fn::GetAtt": [token[len("ARN_") :], "Arn"]})
        position = match.end()
    parts.append(text[position:])
    return {"Fn::Join": ["", [p for p in parts if p != ""]]}


def pipeline_definition(
    *,
    poll_settings: dict[str, Any] | None = None,
    sync: bool = True,
    validator_settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    settings = {
        "initialIntervalSeconds": 60,
        "maxIntervalSeconds": 1800,
        "backoffRate": 2.0,
        "timeoutSeconds": 86400,
        **(poll_settings or {}),
    }
    create = "createHyperParameterTuningJob.sync" if sync else "createHyperParameterTuningJob"
    return {
        "Comment": "pipeline-shaped test definition",
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Parameters": {
                    "parents.$": "$.parents",
                    "warmStartType.$": "$.warmStartType",
                    "request.$": "$.request",
                    "overrides.$": "$.overrides",
                    "poll": {"iteration": 0, "waitedSeconds": 0},
                },
                "Next": "PollParents",
            },
            "PollParents": {
                "Type": "Task",
                "Resource": "arn:__PARTITION__:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "__ARN_PollFunction1A2B3C4D__",
                    "Payload": {"jobs.$": "$.parents", "poll.$": "$.poll", "settings": settings},
                },
                "ResultSelector": {"result.$": "$.Payload"},
                "ResultPath": "$.pollResult",
                "Retry": [
                    LAMBDA_RETRY,
                    {"ErrorEquals": ["ClientError"], "IntervalSeconds": 30, "MaxAttempts": 3, "BackoffRate": 2},
                ],
                "Next": "ParentsReady",
            },
            "ParentsReady": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.pollResult.result.missing[0]", "IsPresent": True, "Next": "ParentNotFound"},
                    {"Variable": "$.pollResult.result.allTerminal", "BooleanEquals": True, "Next": "Validate"},
                    {"Variable": "$.pollResult.result.timedOut", "BooleanEquals": True, "Next": "ParentWaitTimeout"},
                ],
                "Default": "WaitForParents",
            },
            "WaitForParents": {
                "Type": "Wait",
                "SecondsPath": "$.pollResult.result.nextWaitSeconds",
                "Next": "NextPoll",
            },
            "NextPoll": {
                "Type": "Pass",
                "Parameters": {
                    "iteration.$": "$.pollResult.result.iteration",
                    "waitedSeconds.$": "$.pollResult.result.waitedSeconds",
                },
                "ResultPath": "$.poll",
                "Next": "PollParents",
            },
            "Validate": {
                "Type": "Task",
                "Resource": "arn:__PARTITION__:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "__ARN_ValidatorFunction5E6F7A8B__",
                    "Payload": {
                        "parents.$": "$.parents",
                        "warmStartType.$": "$.warmStartType",
                        "request.$": "$.request",
                        "overrides.$": "$.overrides",
                        "executionName.$": "$$.Execution.Name",
                        "settings": validator_settings or {"jobNamePrefix": "child"},
                    },
                },
                "ResultSelector": {"request.$": "$.Payload.request", "report.$": "$.Payload.report"},
                "ResultPath": "$.validation",
                "Retry": [
                    LAMBDA_RETRY,
                    {"ErrorEquals": ["ClientError"], "IntervalSeconds": 30, "MaxAttempts": 3, "BackoffRate": 2},
                ],
                "Catch": [
                    {"ErrorEquals": ["WarmStartValidationError"], "ResultPath": "$.error", "Next": "ValidationFailed"}
                ],
                "Next": "CreateTuningJob",
            },
            "CreateTuningJob": {
                "Type": "Task",
                "Resource": f"arn:__PARTITION__:states:::sagemaker:{create}",
                "Parameters": {
                    "HyperParameterTuningJobName.$": "$.validation.request.HyperParameterTuningJobName",
                    "HyperParameterTuningJobConfig.$": "$.validation.request.HyperParameterTuningJobConfig",
                    "TrainingJobDefinition.$": "$.validation.request.TrainingJobDefinition",
                    "WarmStartConfig.$": "$.validation.request.WarmStartConfig",
                },
                "ResultPath": "$.tuningJob",
                "Catch": [
                    {"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "TuningJobFailed"}
                ],
                "Next": "PublishResult",
            },
            "PublishResult": {
                "Type": "Pass",
                "Parameters": {
                    "tuningJobName.$": "$.validation.request.HyperParameterTuningJobName",
                    "tuningJob.$": "$.tuningJob",
                    "parents.$": "$.parents",
                    "warmStartType.$": "$.warmStartType",
                    "validation.$": "$.validation.report",
                },
                "End": True,
            },
            "ValidationFailed": {
                "Type": "Fail",
                "Error": "WarmStartValidationError",
                "CausePath": "$.error.Cause",
            },
            "TuningJobFailed": {"Type": "Fail", "Error": "TuningJobFailed", "CausePath": "$.error.Cause"},
            "ParentNotFound": {"Type": "Fail", "Error": "ParentTuningJobNotFound", "Cause": "a parent is missing"},
            "ParentWaitTimeout": {"Type": "Fail", "Error": "ParentWaitTimeout", "Cause": "parents still running"},
        },
    }


def _function(handler: str, asset: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Code": {
                "S3Bucket": {"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}"},
                "S3Key": "0123456789abcdef.zip",
            },
            "Role": {"Fn::GetAtt": ["ValidatorRoleABCDEF01", "Arn"]},
            "Handler": handler,
            "Runtime": "python3.12",
            "Timeout": 30,
            "Environment": {
                "Variables": {
                    "FIXTURE_SETTING": {"Fn::Join": ["-", ["fixture", {"Ref": "AWS::Region"}]]},
                }
            },
        },
        "Metadata": {"aws:asset:path": asset, "aws:asset:property": "Code"},
    }


def pipeline_template(
    definition: dict[str, Any] | None = None,
    *,
    asset: str = "validator_asset",
) -> dict[str, Any]:
    """The template; asset paths are relative to tests/local/fixtures (pass it as
    ``assets_root``), like ``asset.<hash>`` folders are relative to cdk.out."""
    text = json.dumps(definition if definition is not None else pipeline_definition())
    return {
        "Resources": {
            "ValidatorRoleABCDEF01": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            },
            "PollFunction1A2B3C4D": _function("handler.poll_handler", asset),
            "ValidatorFunction5E6F7A8B": _function("handler.lambda_handler", asset),
            "FlakyFunction0F0F0F0F": _function("handler.flaky_handler", asset),
            "StateMachineRole12345678": {
                "Type": "AWS::IAM::Role",
                "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
            },
            # The engine evaluates the state machine role's policy (as IAM would) for
            # the SageMaker calls it simulates: this hand-written pipeline may do them all.
            "StateMachineRoleDefaultPolicy1234": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "PolicyName": "StateMachineRoleDefaultPolicy1234",
                    "Roles": [{"Ref": "StateMachineRole12345678"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}],
                    },
                },
            },
            "PipelineStateMachine9A8B7C6D": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": _join(text),
                    "RoleArn": {"Fn::GetAtt": ["StateMachineRole12345678", "Arn"]},
                },
                "DependsOn": ["StateMachineRole12345678"],
            },
        },
        "Parameters": {
            "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/cdk-bootstrap/hnb659fds/version"}
        },
    }


def child_request() -> dict[str, Any]:
    """The pipeline's CreateHyperParameterTuningJob request (no name, no warm start)."""
    from warm_start_tuning.local import default_tuning_request

    request = default_tuning_request()
    del request["HyperParameterTuningJobName"]
    return request


def pipeline_input(parents: list[str], **overrides: Any) -> dict[str, Any]:
    return {
        "parents": parents,
        "warmStartType": overrides.pop("warmStartType", "IdenticalDataAndAlgorithm"),
        "request": child_request(),
        "overrides": overrides,
    }
