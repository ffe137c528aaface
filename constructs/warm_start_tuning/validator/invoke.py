"""One way to call the validator Lambda from a state machine, with one Retry policy."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

# The Lambda service's own transient errors, as AWS's Step Functions best-practice page
# ("Handle transient Lambda service exceptions") lists them, plus throttling.
# Sandbox.Timedout, Runtime.ExitError and Lambda.Unknown (the function itself failed)
# are not among them.
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
]
# AWS API errors that the handler lets through unchanged (botocore raises them as
# ClientError: throttling above all), so that Retry can act on them.
HANDLER_AWS_API_ERRORS = ["ClientError"]
# Errors worth another attempt.
RETRYABLE_VALIDATOR_ERRORS = [*LAMBDA_SERVICE_ERRORS, *HANDLER_AWS_API_ERRORS]
# The function itself failed: it timed out, its runtime exited (out of memory, a crash),
# or Lambda could not name the failure. Not retried: the same event fails the same way.
LAMBDA_FUNCTION_ERRORS = ["Sandbox.Timedout", "Runtime.ExitError", "Lambda.Unknown"]
# The one error name of every validator failure that is not a rejection (DESIGN.md's
# error table): never a raw Lambda runtime, Lambda service or SDK error name.
VALIDATOR_FAILED_ERROR = "ValidatorFailed"
VALIDATION_ERROR_NAME = "WarmStartValidationError"
# What ends in ValidatorFailed: the function's failures, the retried errors once the
# retries are exhausted, and any other task failure (an unhandled exception of the handler).
VALIDATOR_FAILURE_ERRORS = [*LAMBDA_FUNCTION_ERRORS, *RETRYABLE_VALIDATOR_ERRORS, "States.TaskFailed"]


def invoke_validator(
    scope: Construct,
    state_id: str,
    *,
    function: lambda_.IFunction,
    comment: str,
    payload: Mapping[str, Any],
    result_fields: Sequence[str],
    result_path: str,
    rejected: Optional[sfn.IChainable] = None,
    error_path: str = "$.error",
    other_catches: Sequence[tuple[Sequence[str], sfn.IChainable]] = (),
) -> tasks.LambdaInvoke:
    """A ``lambda:invoke`` step whose result is ``result_fields`` of the handler's answer,
    retried with backoff on throttling and Lambda service errors.

    Catches, in this order: ``WarmStartValidationError`` -> ``rejected`` (when given);
    ``other_catches`` (errors, next); every other failure (after the retries) -> a Fail
    state ``<state_id>Failed`` with the error ``ValidatorFailed`` and Lambda's error as the
    cause. The error goes to ``error_path``: ``"$"`` replaces the state (for a step whose
    state may be close to 256 KiB, the prepare step).
    """
    step = tasks.LambdaInvoke(
        scope,
        state_id,
        comment=comment,
        lambda_function=function,
        payload=sfn.TaskInput.from_object(dict(payload)),
        retry_on_service_exceptions=False,
        result_selector={field: sfn.JsonPath.string_at(f"$.Payload.{field}") for field in result_fields},
        result_path=result_path,
    )
    step.add_retry(errors=RETRYABLE_VALIDATOR_ERRORS, interval=Duration.seconds(5), backoff_rate=2, max_attempts=5)
    if rejected is not None:
        step.add_catch(rejected, errors=[VALIDATION_ERROR_NAME], result_path=error_path)
    for errors, next_state in other_catches:
        step.add_catch(next_state, errors=list(errors), result_path=error_path)
    cause_path = "$.Cause" if error_path == "$" else f"{error_path}.Cause"
    step.add_catch(
        sfn.Fail(scope, f"{state_id}Failed", error=VALIDATOR_FAILED_ERROR, cause_path=cause_path),
        errors=VALIDATOR_FAILURE_ERRORS,
        result_path=error_path,
    )
    return step
