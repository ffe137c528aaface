"""Run Lambda handlers in-process, the way the Python Lambda runtime calls them.

The handler module is imported from its asset folder with that folder first on
``sys.path``, as in a Lambda container (the validator imports ``parents`` and
``warm_start_rules`` as top-level modules). Each asset folder keeps its own copies of
its top-level modules: they are put into ``sys.modules`` only for the duration of an
invocation, so a test's own ``import handler`` and the engine's never see each other's
module, and two assets may both have a ``handler.py``. Module state survives between
invocations of one engine, like a warm container; a new engine starts cold.

Results and errors are shaped as the Lambda service returns them to Step Functions:
a JSON payload, or ``FunctionError: Unhandled`` with ``{"errorMessage", "errorType",
"requestId", "stackTrace"}`` where ``errorType`` is the exception's class name.

:meth:`InProcessLambdaRuntime.inject_failure` makes the next invocations fail the way a
function does that times out (``Sandbox.Timedout``), whose runtime exits, e.g. out of
memory (``Runtime.ExitError``), or whose failure Lambda cannot name (``Lambda.Unknown``),
with AWS's error names and messages; the handler does not run.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import traceback
import types
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FUNCTION_FAILURES", "InProcessFunction", "InProcessLambdaRuntime", "LambdaContext"]

#: Failures of the function itself, as Step Functions names them (Lambda developer guide,
#: "Invoke" errors; Step Functions developer guide, "Handling Lambda errors"), and the
#: message each carries (``{timeout}``: the function's timeout in seconds).
FUNCTION_FAILURES: dict[str, str] = {
    "Sandbox.Timedout": "RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
    "Runtime.ExitError": "RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    # Step Functions' name when Lambda returned no error type: moto would call it
    # "Exception", so the runtime writes AWS's name as the type.
    "Lambda.Unknown": "The cause could not be determined because Lambda did not return an error type.",
}


@dataclass
class InProcessFunction:
    name: str
    arn: str
    handler: str  # "module.function", module may be dotted ("pkg.mod.fn")
    asset_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    timeout: int = 3
    memory_mb: int = 128


class LambdaContext:
    """The parts of the Lambda context object handlers use."""

    def __init__(self, function: InProcessFunction, request_id: str) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        self.log_stream_name = f"local/[$LATEST]{request_id.replace('-', '')}"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _HandlerFailed(Exception):
    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("errorMessage"))
        self.payload = payload


def _top_level_names(folder: Path) -> set[str]:
    names = set()
    for entry in folder.iterdir():
        if entry.name.startswith((".", "__")):
            continue  # __init__.py, __pycache__: not importable top-level modules
        if entry.suffix == ".py" or entry.is_dir():
            names.add(entry.stem if entry.suffix == ".py" else entry.name)
    return names


class InProcessLambdaRuntime:
    """Functions by name; :meth:`invoke` runs one and returns (payload bytes, error)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self._functions: dict[str, InProcessFunction] = {}
        self._modules: dict[Path, dict[str, types.ModuleType]] = {}
        # One invocation at a time: sys.modules, sys.path and os.environ are per
        # process, and they are swapped for the asset during a call.
        self._lock = threading.RLock()
        # Keys of os.environ that register() added (removed again by close()).
        self._added_variables: set[str] = set()
        # [error type, remaining times, action or None]: see inject_failure.
        self._failures: list[list[Any]] = []

    def inject_failure(self, error_type: str, *, times: int = 1, action: str | None = None) -> None:
        """Make the next ``times`` invocations (optionally only those whose event has
        ``"action": action``; the validator's default action is ``validate``) fail as
        ``error_type``, one of :data:`FUNCTION_FAILURES`, without running the handler."""
        if error_type not in FUNCTION_FAILURES:
            raise ValueError(f"error_type must be one of {sorted(FUNCTION_FAILURES)}, got {error_type!r}")
        if isinstance(times, bool) or not isinstance(times, int) or times < 1:
            raise ValueError(f"times must be an int >= 1, got {times!r}")
        with self._lock:
            self._failures.append([error_type, times, action])

    def _injected(self, event: Any) -> str | None:
        action = event.get("action", "validate") if isinstance(event, Mapping) else None
        with self._lock:
            for failure in self._failures:
                if failure[2] is None or failure[2] == action:
                    failure[1] -= 1
                    if failure[1] == 0:
                        self._failures.remove(failure)
                    return failure[0]
        return None

    def register(self, function: InProcessFunction) -> None:
        if "." not in function.handler:
            raise ValueError(f"{function.name}: handler {function.handler!r} is not 'module.function'")
        self._functions[function.name] = function
        # The function's variables exist from now until close(): an invocation only
        # overwrites their values. Adding or removing a key of os.environ while another
        # thread copies it (botocore, moto) fails that copy ("dictionary changed size",
        # a KeyError), and invocations run beside the engine's other threads.
        with self._lock:
            for key, value in self._variables(function).items():
                if key not in os.environ:
                    self._added_variables.add(key)
                    os.environ[key] = value

    def close(self) -> None:
        """Remove the variables register() added to os.environ."""
        with self._lock:
            for key in self._added_variables:
                os.environ.pop(key, None)
            self._added_variables.clear()

    def get(self, name_or_arn: str) -> InProcessFunction | None:
        name = name_or_arn
        if name.startswith("arn:"):
            # arn:aws:lambda:region:account:function:name[:qualifier]
            parts = name.split(":")
            name = parts[6] if len(parts) > 6 else name
        return self._functions.get(name)

    @property
    def functions(self) -> dict[str, InProcessFunction]:
        return dict(self._functions)

    def invoke(self, function: InProcessFunction, payload: bytes | str | None) -> tuple[bytes, str | None]:
        """Run the handler on ``payload``; (response payload, "Unhandled" or None)."""
        request_id = str(uuid.uuid4())
        try:
            raw = payload.decode("utf-8") if isinstance(payload, bytes) else (payload or "")
            event = json.loads(raw) if raw.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return self._error("Runtime.UnmarshalError", f"Unable to unmarshal input: {error}", request_id)
        injected = self._injected(event)
        if injected is not None:
            message = FUNCTION_FAILURES[injected].format(request_id=request_id, timeout=float(function.timeout))
            return self._error(injected, message, request_id)
        try:
            result = self._call(function, event, LambdaContext(function, request_id))
        except _HandlerFailed as failed:
            body = {
                "errorMessage": failed.payload["errorMessage"],
                "errorType": failed.payload["errorType"],
                "requestId": request_id,
                "stackTrace": failed.payload["stackTrace"],
            }
            return json.dumps(body).encode("utf-8"), "Unhandled"
        try:
            body = json.dumps(result)
        except (TypeError, ValueError) as error:
            return self._error("Runtime.MarshalError", f"Unable to marshal response: {error}", request_id)
        return body.encode("utf-8"), None

    @staticmethod
    def _error(kind: str, message: str, request_id: str) -> tuple[bytes, str]:
        payload = {"errorMessage": message, "errorType": kind, "requestId": request_id, "stackTrace": []}
        return json.dumps(payload).encode("utf-8"), "Unhandled"

    def _call(self, function: InProcessFunction, event: Any, context: LambdaContext) -> Any:
        module_name, _, attribute = function.handler.rpartition(".")
        folder = function.asset_dir.resolve()
        with self._lock, self._asset_modules(folder), self._environment(function):
            try:
                module = importlib.import_module(module_name)
            except Exception as error:  # noqa: BLE001 - reported as Lambda does
                raise _HandlerFailed(
                    {
                        "errorMessage": f"Unable to import module '{module_name}': {error}",
                        "errorType": "Runtime.ImportModuleError",
                        "stackTrace": [],
                    }
                ) from None
            handler = getattr(module, attribute, None)
            if not callable(handler):
                raise _HandlerFailed(
                    {
                        "errorMessage": f"Handler '{attribute}' missing on module '{module_name}'",
                        "errorType": "Runtime.HandlerNotFound",
                        "stackTrace": [],
                    }
                )
            try:
                return handler(event, context)
            except Exception as error:  # noqa: BLE001 - every handler error goes to the caller
                frames = traceback.extract_tb(error.__traceback__)[1:]  # drop this frame
                raise _HandlerFailed(
                    {
                        "errorMessage": str(error),
                        "errorType": type(error).__name__,
                        "stackTrace": traceback.format_list(frames),
                    }
                ) from None

    # --- isolation -------------------------------------------------------------------

    class _Swap:
        def __init__(self, enter, leave) -> None:  # type: ignore[no-untyped-def]
            self._enter, self._leave = enter, leave

        def __enter__(self) -> None:
            self._enter()

        def __exit__(self, *exc: object) -> None:
            self._leave()

    def _asset_modules(self, folder: Path) -> InProcessLambdaRuntime._Swap:
        if not folder.is_dir():
            raise _HandlerFailed(
                {
                    "errorMessage": f"asset folder {folder} does not exist",
                    "errorType": "Runtime.ImportModuleError",
                    "stackTrace": [],
                }
            )
        names = _top_level_names(folder)
        cache = self._modules.setdefault(folder, {})
        saved: dict[str, types.ModuleType] = {}

        def owned(module_name: str) -> bool:
            return module_name.split(".", 1)[0] in names

        def enter() -> None:
            for module_name in [m for m in sys.modules if owned(m)]:
                saved[module_name] = sys.modules.pop(module_name)
            sys.modules.update(cache)
            sys.path.insert(0, str(folder))
            importlib.invalidate_caches()

        def leave() -> None:
            try:
                sys.path.remove(str(folder))
            except ValueError:  # pragma: no cover - the handler changed sys.path itself
                pass
            cache.clear()
            for module_name in [m for m in sys.modules if owned(m)]:
                cache[module_name] = sys.modules.pop(module_name)
            sys.modules.update(saved)

        return self._Swap(enter, leave)

    def _variables(self, function: InProcessFunction) -> dict[str, str]:
        return {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "LAMBDA_TASK_ROOT": str(function.asset_dir),
            **function.environment,
        }

    def _environment(self, function: InProcessFunction) -> InProcessLambdaRuntime._Swap:
        values = self._variables(function)
        saved: dict[str, str | None] = {}

        def enter() -> None:
            # Another function's variables are emptied, not removed (see register).
            others = {key: "" for key in self._added_variables if key not in values}
            for key, value in {**others, **values}.items():
                saved[key] = os.environ.get(key)
                os.environ[key] = value

        def leave() -> None:
            # Values are put back; a key is not removed (see register), only its value
            # emptied when it was not set before, so no handler sees another's value.
            for key, value in saved.items():
                if value is not None:
                    os.environ[key] = value
                elif key in self._added_variables:
                    os.environ[key] = ""
                else:
                    os.environ.pop(key, None)  # a function invoked without register()

        return self._Swap(enter, leave)
