"""Handlers run in-process as the Python Lambda runtime runs them."""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from local_pipeline import FIXTURES

from warm_start_tuning.local.lambda_runtime import InProcessFunction, InProcessLambdaRuntime


def _function(handler: str, asset: str = "validator_asset", **env: str) -> InProcessFunction:
    return InProcessFunction(
        name="fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
        handler=handler,
        asset_dir=FIXTURES / asset,
        environment=dict(env),
        timeout=30,
    )


def test_handler_result_is_the_json_payload() -> None:
    runtime = InProcessLambdaRuntime("us-east-1")
    payload, error = runtime.invoke(_function("handler.echo_handler"), b'{"a": [1, 2]}')
    assert error is None
    assert json.loads(payload) == {"event": {"a": [1, 2]}, "remainingMs": True}


def test_exceptions_come_back_as_lambda_error_payloads() -> None:
    runtime = InProcessLambdaRuntime("us-east-1")
    payload, error = runtime.invoke(_function("handler.flaky_handler"), b'{"failures": 5}')
    assert error == "Unhandled"
    body = json.loads(payload)
    assert list(body) == ["errorMessage", "errorType", "requestId", "stackTrace"]  # as the runtime writes it
    assert body["errorType"] == "TransientError"
    assert body["errorMessage"].startswith("attempt ")
    assert 'in flaky_handler' in "".join(body["stackTrace"])


def test_runtime_errors_use_lambdas_names() -> None:
    runtime = InProcessLambdaRuntime("us-east-1")
    cases = {
        "nomodule.handler": "Runtime.ImportModuleError",
        "handler.no_such_function": "Runtime.HandlerNotFound",
        "handler.bad_output_handler": "Runtime.MarshalError",
    }
    for handler, expected in cases.items():
        payload, error = runtime.invoke(_function(handler), b"{}")
        assert (error, json.loads(payload)["errorType"]) == ("Unhandled", expected), handler
    payload, error = runtime.invoke(_function("handler.echo_handler"), b"not json")
    assert json.loads(payload)["errorType"] == "Runtime.UnmarshalError"


def test_assets_with_the_same_module_names_stay_apart() -> None:
    runtime = InProcessLambdaRuntime("us-east-1")
    before = {name: module for name, module in sys.modules.items() if name in ("handler", "helpers")}
    path_before = list(sys.path)

    validator = json.loads(runtime.invoke(_function("handler.echo_handler"), b"{}")[0])
    other = json.loads(runtime.invoke(_function("handler.lambda_handler", "other_asset"), b"{}")[0])

    assert validator["event"] == {}
    assert other == {"from": "other"}
    assert {name: m for name, m in sys.modules.items() if name in ("handler", "helpers")} == before
    assert sys.path == path_before


def test_module_state_survives_between_invocations_like_a_warm_container() -> None:
    runtime = InProcessLambdaRuntime("us-east-1")
    attempts = [
        json.loads(runtime.invoke(_function("handler.flaky_handler"), b'{"failures": 1}')[0]) for _ in range(2)
    ]
    assert attempts[0]["errorType"] == "TransientError"
    assert attempts[1]["attempts"] == 2
    # A new runtime (a new engine) starts cold.
    fresh = InProcessLambdaRuntime("us-east-1")
    assert json.loads(fresh.invoke(_function("handler.flaky_handler"), b'{"failures": 1}')[0])["errorType"] == (
        "TransientError"
    )


def test_environment_is_set_during_the_call_only() -> None:
    runtime = InProcessLambdaRuntime("eu-west-1")
    os.environ.pop("FIXTURE_SETTING", None)
    result = json.loads(runtime.invoke(_function("handler.poll_handler", FIXTURE_SETTING="x"), b"{}")[0])
    # poll_handler needs "jobs": the KeyError shows the call happened with the env set.
    assert result["errorType"] == "KeyError"
    assert "FIXTURE_SETTING" not in os.environ
    assert runtime.get("arn:aws:lambda:us-east-1:123456789012:function:fn") is None
    runtime.register(_function("handler.echo_handler"))
    assert runtime.get("arn:aws:lambda:us-east-1:123456789012:function:fn:$LATEST") is not None
    assert runtime.get("fn") is not None


def test_registered_variables_stay_keys_until_close_and_other_functions_see_them_empty() -> None:
    """Invocations run beside other threads that copy os.environ (botocore, moto): a key
    added or removed meanwhile breaks that copy, so keys live from register to close."""
    runtime = InProcessLambdaRuntime("eu-west-1")
    os.environ.pop("FIXTURE_SETTING", None)
    runtime.register(_function("handler.poll_handler", FIXTURE_SETTING="x"))
    assert os.environ["FIXTURE_SETTING"] == "x"
    other = dataclasses.replace(_function("handler.poll_handler"), name="other")
    runtime.invoke(other, b"{}")
    assert os.environ["FIXTURE_SETTING"] == "x"  # put back after the other function's call
    runtime.close()
    assert "FIXTURE_SETTING" not in os.environ
