"""Every touch of moto's internals lives here, and nowhere else.

moto (pinned ==5.2.5) runs Step Functions' ASL interpreter for real. The local engine
extends and corrects it in a few places; each is listed in :data:`REQUIRED` with the
moto symbol it relies on, and :func:`check_internals` (run before every install and by
tests/local/test_moto_internals.py) fails loudly, naming the symbol, when a moto upgrade
moves one. What is patched, and why:

1. ``sagemaker:createHyperParameterTuningJob`` (REQUEST_RESPONSE and ``.sync``): moto
   lists "sagemaker" as unsupported. The service factory gets a SageMaker service built
   on ``StateTaskServiceCallback`` that creates the job, polls it to a terminal status
   on the simulated clock, and stops it when the execution stops or the task times out.
   As on AWS (see engine.py's docstring): it takes only the documented parameters
   (another fails the state with States.Runtime; moto's ``_eval_parameters`` drops it),
   adds Step Functions' two tags to ``.sync`` jobs, refuses a create the state machine
   role's policy does not allow (AccessDeniedException), and returns the thin ``.sync``
   output unless the engine asks for the full one.
2. Time: Wait states and Retry intervals sleep on the simulated clock (botocore's retry
   backoff sleeps at the clock's scale without moving it); history event
   timestamps, ``$$.State.EnteredTime``, ``$$.Execution.StartTime`` (an ISO string, as
   on AWS, instead of moto's datetime object), start/stop dates and a Task state's
   ``TimeoutSeconds`` are simulated time too.
3. ``lambda:invoke`` without Docker: moto's simple Lambda backend echoes the payload;
   functions the engine deployed run their real handler in-process instead.
4. SageMaker tuning jobs: moto's are born Completed with a fake best job. Create,
   Describe, List and the missing StopHyperParameterTuningJob answer from the
   simulated jobs (:mod:`.simulated_jobs`).
5. aws-sdk integrations: error names ``SageMaker.X`` (moto writes ``sagemaker.X``), and
   outputs made JSON (boto datetimes → ISO strings) as AWS returns them; moto's
   ``describe_execution`` crashes on a datetime left in an execution's output. Field
   names as on AWS: parameters are written in PascalCase and answers come back in
   PascalCase, even for APIs whose own names are camelCase (``sfn:listExecutions``
   takes ``StateMachineArn`` and answers ``Executions[].ExecutionArn``); moto passes
   both through unchanged.
6. ``sagemaker:createModel`` and ``sagemaker:createEndpointConfig`` (Request Response),
   answered by moto's SageMaker backend, and ``DescribeTrainingJob`` of the training
   jobs the simulated tuning jobs launched (with their model artifacts), so a workflow
   that deploys the best training job runs end to end.
7. Error matching: ``States.ALL`` and ``States.TaskFailed`` no longer match the terminal
   ``States.Runtime`` and ``States.DataLimitExceeded`` (``ErrorEqualsDecl._eval_body``).
8. EventBridge: PutEvents entries that fail on demand; the events PutEvents takes are
   handed to the engine's router (``hooks.on_put_events``), which delivers them to the
   rules' targets as EventBridge does (moto delivers to queues and log groups only).
9. ListExecutions: eventually consistent (recent starts left out).
10. Execution status changes: when a Standard execution starts (``ExecutionWorker.start``)
    and when its end is recorded (``_reflect_execution_status``), the engine is told
    (``hooks.on_execution_status``) to emit Step Functions' status change event.
    DescribeExecution of a TIMED_OUT execution carries its ``stopDate`` (moto omits it).
11. Execution timeout: a state machine's ``TimeoutSeconds`` counts simulated seconds
    (moto's ``Program.eval`` joins the worker thread for that many real seconds), and a
    timed-out execution leaves its running ``.sync`` tuning job running, as on AWS.
12. ``.waitForTaskToken``: the wait for SendTaskSuccess/Failure and for heartbeats
    sleeps on the simulated clock (moto waits on real-time events), stepping to each
    simulated job's next status change and letting the event deliveries it causes run
    before time moves on; SendTaskHeartbeat on a task without HeartbeatSeconds succeeds
    (moto answers InvalidToken); SendTaskFailure keeps its cause (moto drops it); a
    missed heartbeat fails the task with States.HeartbeatTimeout (moto: States.Timeout).
    StopExecution (or the execution's timeout) at any moment of such a task ends the
    wait at once, records nothing more for the task, and the execution ends ABORTED
    (moto kept waiting, then let the token's late outcome turn it FAILED).
13. DynamoDB requests are atomic: moto's backend reads an item, evaluates the condition
   and writes without a lock, so two threads' conditional writes can both pass. DynamoDB
   applies each conditional write atomically (DynamoDB developer guide, "Condition
   expressions": "conditional writes ... are atomic"), so the backend's item operations
   run one at a time (:func:`atomic_dynamodb`, also for handler tests on plain moto).
"""

from __future__ import annotations

import copy
import datetime as _datetime
import functools
import importlib
import inspect
import json
import threading
import time as _time
import types
import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from ..rules import DOCUMENTED_TUNING_PARAMETERS
from .clock import ClockEvent, SimulatedClock, aws_timestamp
from .iam_policy import RolePolicy
from .lambda_runtime import InProcessLambdaRuntime
from .simulated_jobs import SimulatedApiError, SimulatedSageMaker

__all__ = [
    "MOTO_VERSION",
    "REQUIRED",
    "Hooks",
    "MotoInternalsChanged",
    "set_moto_tuning_job",
    "check_internals",
    "install",
    "installed",
    "join_execution_threads",
    "uninstall",
]

#: The moto release these patches were written against (pyproject pins it).
MOTO_VERSION = "5.2.5"

_SFN = "moto.stepfunctions.parser"
_TASK = f"{_SFN}.asl.component.state.exec.state_task"

#: (module, attribute path, source text the patch relies on or None).
REQUIRED: tuple[tuple[str, str, str | None], ...] = (
    *(("moto.dynamodb.models", f"DynamoDBBackend.{name}", None) for name in (
        "put_item", "update_item", "delete_item", "get_item", "query", "transact_write_items")),
    (f"{_TASK}.service.state_task_service_factory", "state_task_service_for", None),
    (f"{_TASK}.state_task_factory", "state_task_service_for", None),
    (f"{_TASK}.service.state_task_service_callback", "StateTaskServiceCallback", None),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._eval_integration_pattern",
        None,
    ),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._after_eval_execution",
        "self._eval_integration_pattern(",
    ),
    (f"{_TASK}.service.state_task_service", "StateTaskService._eval_service_task", None),
    (f"{_TASK}.service.state_task_service", "StateTaskService._after_eval_execution", "TaskSucceeded"),
    (f"{_SFN}.api", "TaskSubmittedEventDetails", None),
    (f"{_SFN}.api", "HistoryEventExecutionDataDetails", None),
    (f"{_TASK}.state_task", "StateTask._from_error", None),
    (f"{_TASK}.service.resource", "ResourceCondition", None),
    (f"{_TASK}.service.state_task_service_aws_sdk", "_SERVICE_ERROR_NAMES", None),
    (
        f"{_TASK}.service.state_task_service_aws_sdk",
        "StateTaskServiceAwsSdk._eval_service_task",
        "env.stack.append(response)",
    ),
    (f"{_SFN}.asl.component.common.error_name.failure_event", "FailureEvent", None),
    (f"{_SFN}.asl.component.common.error_name.failure_event", "FailureEventException", None),
    (f"{_SFN}.asl.component.common.error_name.custom_error_name", "CustomErrorName", None),
    (f"{_SFN}.asl.component.common.error_name.states_error_name", "StatesErrorName", None),
    (
        f"{_SFN}.asl.component.common.error_name.states_error_name_type",
        "StatesErrorNameType.StatesTaskFailed",
        None,
    ),
    (f"{_SFN}.api", "HistoryEventType", None),
    (f"{_SFN}.api", "TaskFailedEventDetails", None),
    (f"{_SFN}.asl.eval.event.event_detail", "EventDetails", None),
    (f"{_SFN}.asl.utils.boto_client", "boto_client_for", None),
    (f"{_SFN}.asl.utils.encoding", "to_json_str", None),
    (
        f"{_SFN}.asl.component.state.wait.wait_function.wait_function",
        "WaitFunction._wait_interval",
        "env.program_state_event.wait(",
    ),
    (f"{_SFN}.asl.component.common.retry.retrier_decl", "time", None),
    (f"{_SFN}.asl.component.common.retry.retrier_decl", "RetrierDecl._eval_body", "time.sleep("),
    # Not moto's: botocore's retry backoff (see _install_time).
    ("botocore.endpoint", "time", None),
    ("botocore.endpoint", "Endpoint._needs_retry", "time.sleep(handler_response)"),
    (
        f"{_SFN}.asl.eval.event.event_manager",
        "EventManager._get_current_timestamp",
        "datetime.datetime.now(",
    ),
    (f"{_SFN}.asl.eval.event.event_manager", "EventManager.add_event", "self._get_current_timestamp()"),
    (f"{_SFN}.asl.component.state.state", "datetime", None),
    (
        f"{_SFN}.asl.component.state.state",
        "CommonStateField._eval_body",
        "EnteredTime=datetime.datetime.now(",
    ),
    (f"{_SFN}.models", "datetime", None),
    (
        f"{_SFN}.models",
        "StepFunctionsParserBackend.start_execution",
        "start_date=datetime.datetime.now(",
    ),
    (f"{_SFN}.backend.execution", "datetime", None),
    (
        f"{_SFN}.backend.execution",
        "BaseExecutionWorkerCommunication._reflect_execution_status",
        "self.execution.stop_date = datetime.datetime.now(",
    ),
    (f"{_SFN}.asl.component.state.wait.wait_function.timestamp", "datetime", None),
    (
        f"{_SFN}.asl.component.state.wait.wait_function.timestamp",
        "Timestamp._get_wait_seconds",
        "datetime.datetime.now()",
    ),
    (
        f"{_SFN}.backend.execution_worker",
        "ExecutionWorker._get_evaluation_environment",
        "StartTime=self._evaluation_details.execution_details.start_time",
    ),
    (f"{_SFN}.asl.component.state.exec.execute_state", "threading", None),
    (
        f"{_SFN}.asl.component.state.exec.execute_state",
        "ExecutionState._evaluate_with_timeout",
        "terminated_event = threading.Event()",
    ),
    ("moto.awslambda_simple.models", "LambdaSimpleBackend.invoke", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.create_hyper_parameter_tuning_job", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.describe_hyper_parameter_tuning_job", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.list_hyper_parameter_tuning_jobs", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.hyper_parameter_tuning_jobs", None),
    ("moto.sagemaker.models", "HyperParameterTuningJob.summary", None),
    ("moto.core.responses", "BaseResponse._get_param", None),
    ("moto.sagemaker.responses", "SageMakerResponse.sagemaker_backend", None),
    ("moto.core.exceptions", "ServiceException", None),
    (f"{_SFN}.utils", "TMP_THREADS", None),
    ("moto.core.responses", "EmptyResult", None),
    (
        f"{_TASK}.service.state_task_service",
        "StateTaskService._eval_execution",
        "self._normalise_parameters(normalised_parameters)",
    ),
    (f"{_TASK}.service.state_task_service", "StateTaskService._eval_execution", "self._normalise_response(output_value)"),
    (f"{_TASK}.service.state_task_service", "StateTaskService._get_boto_service_name", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.describe_training_job", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.list_tags", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.create_model", None),
    ("moto.sagemaker.models", "SageMakerModelBackend.create_endpoint_config", None),
    ("moto.sagemaker.models", "sagemaker_backends", None),
    ("moto.core", "DEFAULT_ACCOUNT_ID", None),
    ("moto.events.models", "EventsBackend.put_events", None),
    ("moto.stepfunctions.models", "StepFunctionBackend.list_executions", None),
    (
        "moto.sagemaker.models",
        "HyperParameterTuningJob.__init__",
        "self.hyper_parameter_tuning_job_status",
    ),
    ("moto.sagemaker.models", "HyperParameterTuningJob.__init__", "self.training_job_status_counters"),
    ("moto.sagemaker.models", "HyperParameterTuningJob.__init__", "self.creation_time"),
    (f"{_TASK}.state_task", "StateTask._eval_parameters", "self.parargs.eval(env=env)"),
    (
        f"{_SFN}.asl.component.common.error_name.states_error_name_type",
        "StatesErrorNameType.StatesRuntime",
        None,
    ),
    (
        f"{_SFN}.asl.component.common.error_name.states_error_name_type",
        "StatesErrorNameType.StatesStatesDataLimitExceeded",
        None,
    ),
    (
        f"{_SFN}.asl.component.common.error_name.error_equals_decl",
        "ErrorEqualsDecl._eval_body",
        "ErrorEqualsDecl._STATE_ALL_ERROR in self.error_names",
    ),
    # 10. execution status changes
    (f"{_SFN}.backend.execution_worker", "ExecutionWorker.start", None),
    (f"{_SFN}.backend.execution", "Execution.start", "self.exec_worker.start()"),
    (f"{_SFN}.backend.execution", "Execution.to_describe_output", None),
    ("moto.stepfunctions.models", "StateMachineInstance.__init__", 'self.type = sm_type or "STANDARD"'),
    ("moto.stepfunctions.responses", "StepFunctionResponse.describe_execution", 'response["stopDate"] = execution.stop_date'),
    ("moto.core.responses", "ActionResult.result", None),
    (f"{_SFN}.backend.execution", "BaseExecutionWorkerCommunication.__init__", "self.execution = execution"),
    ("moto.events.models", "EventsBackend.put_events", 'entries.append({"EventId": event_id})'),
    # 11. execution timeout
    (f"{_SFN}.asl.component.program.program", "Program.eval", "worker_thread.join(timeout=timeout)"),
    (f"{_SFN}.asl.component.program.program", "Program.eval", "env.set_timed_out()"),
    (f"{_SFN}.asl.component.eval_component", "EvalComponent.eval", None),
    (f"{_SFN}.asl.eval.program_state", "ProgramTimedOut", None),
    # 12. .waitForTaskToken
    (f"{_SFN}.asl.eval.callback.callback", "CallbackEndpoint.wait", "self._notify_event.wait(timeout=timeout)"),
    (f"{_SFN}.asl.eval.callback.callback", "CallbackEndpoint.notify_heartbeat", "if not self._heartbeat_endpoint:"),
    ("moto.stepfunctions.responses", "StepFunctionResponse.send_task_failure", "send_task_failure(task_token"),
    (f"{_SFN}.asl.eval.callback.callback", "HeartbeatTimeoutError", None),
    (
        f"{_SFN}.asl.component.common.error_name.states_error_name_type",
        "StatesErrorNameType.StatesHeartbeatTimeout",
        None,
    ),
    (f"{_SFN}.api", "TaskTimedOutEventDetails", None),
    (f"{_SFN}.models", "StepFunctionsParserBackend.send_task_failure", "cause=cause"),
    (
        f"{_SFN}.asl.eval.callback.callback",
        "HeartbeatEndpoint.clear_and_wait",
        "self._next_heartbeat_event.wait(timeout=self._heartbeat_seconds)",
    ),
    # 12b. StopExecution (or the execution's timeout) during a .waitForTaskToken task
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._eval_wait_for_task_token",
        "self._wait_for_task_token_timeout(",
    ),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._wait_for_task_token_heartbeat",
        "heartbeat_endpoint.clear_and_wait()",
    ),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._eval_integration_pattern",
        "timeout_seconds = env.stack.pop()",
    ),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._after_eval_execution",
        "HistoryEventType.TaskSubmitted",
    ),
    (
        f"{_TASK}.service.state_task_service_callback",
        "StateTaskServiceCallback._after_eval_execution",
        "if not env.is_mocked_mode():",
    ),
    (f"{_TASK}.service.state_task_service_callback", "StateTaskServiceCallback._is_integration_pattern", None),
    (f"{_SFN}.asl.eval.environment", "Environment.is_running", None),
    (f"{_SFN}.asl.eval.environment", "Environment.is_mocked_mode", None),
    (f"{_SFN}.asl.eval.environment", "Environment.set_stop", "frame.set_stop("),
    (f"{_SFN}.asl.eval.environment", "Environment.set_error", "self._program_state = ProgramError("),
    (f"{_SFN}.asl.eval.environment", "Environment.__init__", "self._state_mutex = threading.RLock()"),
    (f"{_SFN}.asl.eval.program_state", "ProgramStopped", None),
)


class MotoInternalsChanged(RuntimeError):
    """A moto upgrade moved something the local engine patches."""


def _installed_moto_version() -> str:
    import moto

    return getattr(moto, "__version__", "unknown")


def _resolve(module_name: str, path: str) -> Any:
    """The object at ``module.path``; MotoInternalsChanged naming it when missing."""
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise MotoInternalsChanged(
            f"moto {_installed_moto_version()}: module {module_name} is gone ({error}); "
            f"the local engine was written for moto {MOTO_VERSION}"
        ) from None
    walked = module_name
    for part in path.split("."):
        walked = f"{walked}.{part}"
        if part == "hyper_parameter_tuning_jobs" and isinstance(target, type):
            # An instance attribute: check that the constructor still sets it.
            if f"self.{part}" not in inspect.getsource(target.__init__):
                break
            return target
        try:
            if isinstance(target, type) and part not in vars(target) and callable(getattr(target, part)):
                # Inherited: the class the patch targets no longer defines it itself.
                raise AttributeError(part)
            target = getattr(target, part)
        except AttributeError:
            raise MotoInternalsChanged(
                f"moto {_installed_moto_version()}: {walked} is gone; the local engine "
                f"(warm_start_tuning/local/moto_internals.py) was written for moto {MOTO_VERSION}"
            ) from None
    else:
        return target
    raise MotoInternalsChanged(f"moto {_installed_moto_version()}: {walked} is gone")


def check_internals() -> None:
    """Raise MotoInternalsChanged naming every moto symbol (or source line) that the
    patches rely on and that the installed moto no longer has."""
    problems = []
    for module_name, path, snippet in REQUIRED:
        try:
            target = _resolve(module_name, path)
        except MotoInternalsChanged as error:
            problems.append(str(error))
            continue
        if snippet is not None:
            try:
                source = inspect.getsource(target)
            except (OSError, TypeError):
                source = ""
            if snippet not in source:
                problems.append(
                    f"moto {_installed_moto_version()}: {module_name}.{path} no longer contains "
                    f"{snippet!r}, which the local engine's patch relies on"
                )
    if problems:
        raise MotoInternalsChanged("\n".join(problems))


# --- what the patches call ------------------------------------------------------------


@dataclass
class Hooks:
    """The engine's parts that the patched moto calls back into."""

    clock: SimulatedClock
    sagemaker: SimulatedSageMaker
    lambdas: InProcessLambdaRuntime
    #: Simulated seconds between two DescribeHyperParameterTuningJob of a ``.sync`` task
    #: (it also wakes up exactly when a simulated job's status changes).
    sync_poll_seconds: float = 60.0
    #: What a finished ``.sync`` task returns: "thin" (what outputs captured on AWS carry:
    #: the best training job's name only, epoch-millisecond times) or "full" (the whole
    #: Describe response, epoch-millisecond times).
    sync_output: str = "thin"
    #: The identity policy of each state machine's role (by state machine ARN), when the
    #: template defines it: the simulated SageMaker refuses what it does not allow.
    policies: dict[str, RolePolicy] = field(default_factory=dict)
    #: PutEvents calls still to fail (each entry answered with ``InternalFailure``, as
    #: EventBridge does for an entry it could not take): see LocalEngine.fail_put_events.
    put_events_failures: int = 0
    #: ListExecutions leaves out executions started less than this many simulated seconds
    #: ago (eventually consistent: recent starts may be missing, even the caller itself).
    list_executions_lag_seconds: float = 0.0
    #: Start moments (simulated) of the engine's executions, by ARN.
    execution_starts: dict[str, Any] = field(default_factory=dict)
    #: Called with DescribeExecution's answer (moto's shape) when a Standard execution
    #: starts and when it ends.
    on_execution_status: Callable[[dict[str, Any]], None] | None = None
    #: Called with each PutEvents entry EventBridge took, and the EventId it answered.
    on_put_events: Callable[[dict[str, Any], str], None] | None = None
    #: Entered around an execution's status change, before the new status is visible,
    #: so that whoever waits for the events it causes does not return too early.
    emitting: Callable[[], AbstractContextManager[Any]] = nullcontext
    #: Wait (real seconds at most) until no event delivery is pending.
    await_events: Callable[[float], Any] = lambda _timeout: True
    #: Simulated seconds until something in the simulation happens on its own (a job's
    #: status change, a schedule's invocation); None when nothing will.
    seconds_until_next_change: Callable[[], float | None] | None = None


_ACTIVE: Hooks | None = None
_PATCHES: list[tuple[Any, str, Any, bool]] = []  # (owner, attribute, original, existed)
_INSTALL_LOCK = threading.Lock()
# moto warns when an error code is not in the service model (ThrottlingException is
# not in SageMaker's): expected for the simulated errors, so it is silenced for them.
_WARNING_MESSAGE = r"Exception\(_SimulatedError\) with code .* does not match an error shape"
_WARNING_FILTERS: list[Any] = []


def _patch(owner: Any, attribute: str, value: Any) -> None:
    existed = attribute in vars(owner) if isinstance(owner, type) else hasattr(owner, attribute)
    original = vars(owner).get(attribute) if isinstance(owner, type) else getattr(owner, attribute, None)
    _PATCHES.append((owner, attribute, original, existed))
    setattr(owner, attribute, value)


def _json_safe(value: Any, timestamps: Callable[[_datetime.datetime], Any]) -> Any:
    if isinstance(value, _datetime.datetime):
        return timestamps(value)
    if isinstance(value, _datetime.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json_safe(v, timestamps) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, timestamps) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return value


def _iso(moment: _datetime.datetime) -> str:
    return aws_timestamp(moment if moment.tzinfo else moment.replace(tzinfo=_datetime.timezone.utc))


def _epoch_millis(moment: _datetime.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_datetime.timezone.utc)
    return int(round(moment.timestamp() * 1000))


# --- 2. time -----------------------------------------------------------------------------


def _datetime_module(clock: SimulatedClock) -> types.ModuleType:
    """A stand-in for the ``datetime`` module whose ``datetime.now()`` is the clock.

    Instances print in Step Functions' format (``2024-01-01T00:00:00.000Z``) from
    ``isoformat()``, which is how moto writes ``$$.State.EnteredTime``.
    """

    class SimulatedDatetime(_datetime.datetime):
        @classmethod
        def now(cls, tz: _datetime.tzinfo | None = None) -> SimulatedDatetime:  # type: ignore[override]
            moment = clock.now()
            if tz is None:
                moment = moment.replace(tzinfo=None)  # naive UTC, as moto compares it
            else:
                moment = moment.astimezone(tz)
            return cls(
                moment.year, moment.month, moment.day, moment.hour, moment.minute,
                moment.second, moment.microsecond, tzinfo=moment.tzinfo,
            )

        @classmethod
        def utcnow(cls) -> SimulatedDatetime:  # type: ignore[override]
            return cls.now()

        def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
            if self.utcoffset() in (None, _datetime.timedelta(0)) and sep == "T" and timespec == "auto":
                return aws_timestamp(self)
            return super().isoformat(sep, timespec)

    module = types.ModuleType("datetime")
    module.__dict__.update({k: v for k, v in vars(_datetime).items() if not k.startswith("__")})
    module.datetime = SimulatedDatetime  # type: ignore[attr-defined]
    return module


def _install_time(hooks: Hooks) -> None:
    clock = hooks.clock
    wait_function = _resolve(f"{_SFN}.asl.component.state.wait.wait_function.wait_function", "WaitFunction")

    def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        clock.sleep(wait_seconds, interrupt=env.program_state_event, cancelled=lambda: not env.is_running())

    _patch(wait_function, "_wait_interval", _wait_interval)

    retrier_module = importlib.import_module(f"{_SFN}.asl.component.common.retry.retrier_decl")
    scaled_time = types.ModuleType("time")
    scaled_time.__dict__.update(vars(_time))
    scaled_time.sleep = lambda seconds: clock.sleep(seconds)  # type: ignore[attr-defined]
    _patch(retrier_module, "time", scaled_time)

    # botocore's retry backoff (the in-process validator's client is throttled, say):
    # it costs real time at the clock's scale, none at math.inf, and moves no simulated
    # time (handler work takes none), so a throttled run is as long as before, simulated.
    import botocore.endpoint

    backoff_time = types.ModuleType("time")
    backoff_time.__dict__.update(vars(_time))
    backoff_time.sleep = lambda seconds: _time.sleep(clock.real_seconds(seconds))  # type: ignore[attr-defined]
    _patch(botocore.endpoint, "time", backoff_time)

    event_manager = _resolve(f"{_SFN}.asl.eval.event.event_manager", "EventManager")
    _patch(event_manager, "_get_current_timestamp", staticmethod(clock.now))

    simulated_datetime = _datetime_module(clock)
    for module_name in (
        f"{_SFN}.asl.component.state.state",
        f"{_SFN}.models",
        f"{_SFN}.backend.execution",
        f"{_SFN}.asl.component.state.wait.wait_function.timestamp",
    ):
        _patch(importlib.import_module(module_name), "datetime", simulated_datetime)

    worker = _resolve(f"{_SFN}.backend.execution_worker", "ExecutionWorker")
    original_environment = worker._get_evaluation_environment

    @functools.wraps(original_environment)
    def _get_evaluation_environment(self: Any) -> Any:
        env = original_environment(self)
        execution = env.states.context_object.context_object_data["Execution"]
        if isinstance(execution.get("StartTime"), _datetime.datetime):
            execution["StartTime"] = _iso(execution["StartTime"])
        return env

    _patch(worker, "_get_evaluation_environment", _get_evaluation_environment)

    execute_state = importlib.import_module(f"{_SFN}.asl.component.state.exec.execute_state")
    clock_threading = types.ModuleType("threading")
    clock_threading.__dict__.update(vars(threading))
    clock_threading.Event = lambda: ClockEvent(clock)  # type: ignore[attr-defined]
    _patch(execute_state, "threading", clock_threading)


# --- 3. Lambda -------------------------------------------------------------------------


def _install_lambda(hooks: Hooks) -> None:
    backend = _resolve("moto.awslambda_simple.models", "LambdaSimpleBackend")
    original_invoke = backend.invoke

    @functools.wraps(original_invoke)
    def invoke(
        self: Any, function_name: str, qualifier: Any, body: Any, headers: Any, response_headers: Any
    ) -> Any:
        function = hooks.lambdas.get(function_name)
        if function is None:
            return original_invoke(self, function_name, qualifier, body, headers, response_headers)
        self.get_function(function_name, qualifier)  # ResourceNotFoundException as on AWS
        payload, function_error = hooks.lambdas.invoke(function, body)
        if function_error:
            response_headers["x-amz-function-error"] = function_error
        response_headers["x-amz-executed-version"] = "$LATEST"
        response_headers["Content-Length"] = str(len(payload))
        return payload

    _patch(backend, "invoke", invoke)


# --- 4. SageMaker tuning jobs -------------------------------------------------------------


def _install_sagemaker(hooks: Hooks) -> None:
    sim = hooks.sagemaker
    service_exception = _resolve("moto.core.exceptions", "ServiceException")

    class _SimulatedError(service_exception):  # type: ignore[misc, valid-type]
        def __init__(self, error: SimulatedApiError) -> None:
            super().__init__(error.code, error.message)

    def record(operation: str, name: str | None) -> None:
        try:
            sim.record(operation, name)
        except SimulatedApiError as error:
            raise _SimulatedError(error) from None

    backend = _resolve("moto.sagemaker.models", "SageMakerModelBackend")
    original_create = backend.create_hyper_parameter_tuning_job
    original_list = backend.list_hyper_parameter_tuning_jobs

    @functools.wraps(original_create)
    def create(self: Any, hyper_parameter_tuning_job_name: str, **kwargs: Any) -> str:
        record("CreateHyperParameterTuningJob", hyper_parameter_tuning_job_name)
        try:
            sim.validate_create(hyper_parameter_tuning_job_name, kwargs.get("tags"))
        except SimulatedApiError as error:
            raise _SimulatedError(error) from None
        arn = original_create(self, hyper_parameter_tuning_job_name=hyper_parameter_tuning_job_name, **kwargs)
        names = {
            "hyper_parameter_tuning_job_config": "HyperParameterTuningJobConfig",
            "training_job_definition": "TrainingJobDefinition",
            "training_job_definitions": "TrainingJobDefinitions",
            "warm_start_config": "WarmStartConfig",
            "tags": "Tags",
            "autotune": "Autotune",
        }
        request = {"HyperParameterTuningJobName": hyper_parameter_tuning_job_name}
        request.update({names[k]: v for k, v in kwargs.items() if k in names and v is not None})
        sim.on_create(request, arn)
        return arn

    def describe(self: Any, hyper_parameter_tuning_job_name: str) -> dict[str, Any]:
        record("DescribeHyperParameterTuningJob", hyper_parameter_tuning_job_name)
        found = sim.on_describe(hyper_parameter_tuning_job_name)
        if found is None:
            raise _SimulatedError(
                SimulatedApiError(
                    "ResourceNotFound",
                    f"Amazon SageMaker can't find a tuning job with name {hyper_parameter_tuning_job_name}",
                )
            )
        return found

    @functools.wraps(original_list)
    def list_jobs(self: Any, *args: Any, **kwargs: Any) -> Any:
        record("ListHyperParameterTuningJobs", None)
        # moto filters and sorts on its objects' fields: bring them up to date first.
        summaries = sim.summaries(self.hyper_parameter_tuning_jobs)
        for name, job in self.hyper_parameter_tuning_jobs.items():
            if name in summaries:
                summary = summaries[name]
                job.hyper_parameter_tuning_job_status = summary["HyperParameterTuningJobStatus"]
                job.creation_time = summary["CreationTime"]
                job.last_modified_time = summary["LastModifiedTime"]
        return original_list(self, *args, **kwargs)

    def stop(self: Any, hyper_parameter_tuning_job_name: str) -> None:
        record("StopHyperParameterTuningJob", hyper_parameter_tuning_job_name)
        try:
            sim.on_stop(hyper_parameter_tuning_job_name)
        except SimulatedApiError as error:
            raise _SimulatedError(error) from None

    job_model = _resolve("moto.sagemaker.models", "HyperParameterTuningJob")
    original_summary = job_model.summary

    @functools.wraps(original_summary)
    def summary(self: Any) -> dict[str, Any]:
        found = sim.summaries([self.hyper_parameter_tuning_job_name])
        return found.get(self.hyper_parameter_tuning_job_name) or original_summary(self)

    response_class = _resolve("moto.sagemaker.responses", "SageMakerResponse")
    empty_result = _resolve("moto.core.responses", "EmptyResult")

    def stop_response(self: Any) -> Any:
        self.sagemaker_backend.stop_hyper_parameter_tuning_job(
            hyper_parameter_tuning_job_name=self._get_param("HyperParameterTuningJobName")
        )
        return empty_result()

    original_describe_training_job = backend.describe_training_job

    @functools.wraps(original_describe_training_job)
    def describe_training_job(self: Any, training_job_name: str) -> dict[str, Any]:
        found = sim.describe_training_job(training_job_name)
        if found is None:
            return original_describe_training_job(self, training_job_name)
        return found

    original_list_tags = backend.list_tags

    @functools.wraps(original_list_tags)
    def list_tags(self: Any, arn: str, *args: Any, **kwargs: Any) -> Any:
        # ListTags of a tuning job answers with the simulated job's tags: those of its
        # request and the two Step Functions adds to the jobs a .sync task starts. moto's
        # own record has none. SageMaker lowercases names in ARNs; the lookup ignores case.
        kind, _, name = arn.rsplit(":", 1)[-1].partition("/")
        if kind != "hyper-parameter-tuning-job":
            return original_list_tags(self, arn, *args, **kwargs)
        record("ListTags", name)
        job = next((sim.job(known) for known in sim.jobs if known.lower() == name.lower()), None)
        if job is None:
            raise _SimulatedError(SimulatedApiError("ValidationException", f"Could not find tuning job {name}"))
        return list(job.tags), None  # moto's paginated shape: (page, next token)

    _patch(backend, "list_tags", list_tags)
    _patch(backend, "describe_training_job", describe_training_job)
    _patch(backend, "create_hyper_parameter_tuning_job", create)
    _patch(backend, "describe_hyper_parameter_tuning_job", describe)
    _patch(backend, "list_hyper_parameter_tuning_jobs", list_jobs)
    _patch(backend, "stop_hyper_parameter_tuning_job", stop)
    _patch(job_model, "summary", summary)
    _patch(response_class, "stop_hyper_parameter_tuning_job", stop_response)
    warnings.filterwarnings("ignore", message=_WARNING_MESSAGE, category=UserWarning)
    _WARNING_FILTERS.append(warnings.filters[0])


# --- 1. the sagemaker Step Functions service ----------------------------------------------------

# What the optimized integration documents (and so carries); anything else fails the
# state with States.Runtime (see _eval_parameters below).
_TUNING_PARAMETERS = frozenset(DOCUMENTED_TUNING_PARAMETERS)
# Tags Step Functions puts on every job a .sync task starts.
_SYNC_TAG_KEYS = ("AWS_STEP_FUNCTIONS_EXECUTION_ARN", "MANAGED_BY_AWS")
# The other SageMaker optimized integrations the local engine runs (Request Response only),
# by lower-case action: the boto3 method that answers them.
_SAGEMAKER_REQUEST_RESPONSE = {
    "createmodel": ("CreateModel", "create_model"),
    "createendpointconfig": ("CreateEndpointConfig", "create_endpoint_config"),
}
# Error codes the AWS SDK for Java v1 (which optimized integrations report with) models
# as their own exception class; any other code is its AmazonSageMakerException.
_SDK_V1_ERRORS = {
    "ResourceInUse": "SageMaker.ResourceInUseException",
    "ResourceLimitExceeded": "SageMaker.ResourceLimitExceededException",
    "ResourceNotFound": "SageMaker.ResourceNotFoundException",
}
_THROTTLING = frozenset({"ThrottlingException", "Throttling", "TooManyRequestsException"})


def _sagemaker_service_class(hooks: Hooks) -> type:
    callback_module = f"{_TASK}.service.state_task_service_callback"
    base = _resolve(callback_module, "StateTaskServiceCallback")
    resource_condition = _resolve(f"{_TASK}.service.resource", "ResourceCondition")
    failure_event = _resolve(f"{_SFN}.asl.component.common.error_name.failure_event", "FailureEvent")
    failure_exception = _resolve(
        f"{_SFN}.asl.component.common.error_name.failure_event", "FailureEventException"
    )
    error_names = f"{_SFN}.asl.component.common.error_name"
    custom_error_name = _resolve(f"{error_names}.custom_error_name", "CustomErrorName")
    states_error_name = _resolve(f"{error_names}.states_error_name", "StatesErrorName")
    task_failed = _resolve(
        f"{_SFN}.asl.component.common.error_name.states_error_name_type",
        "StatesErrorNameType.StatesTaskFailed",
    )
    history_event_type = _resolve(f"{_SFN}.api", "HistoryEventType")
    task_failed_details = _resolve(f"{_SFN}.api", "TaskFailedEventDetails")
    task_submitted_details = _resolve(f"{_SFN}.api", "TaskSubmittedEventDetails")
    data_details = _resolve(f"{_SFN}.api", "HistoryEventExecutionDataDetails")
    service_base = _resolve(f"{_TASK}.service.state_task_service", "StateTaskService")
    event_details = _resolve(f"{_SFN}.asl.eval.event.event_detail", "EventDetails")
    boto_client_for = _resolve(f"{_SFN}.asl.utils.boto_client", "boto_client_for")
    to_json_str = _resolve(f"{_SFN}.asl.utils.encoding", "to_json_str")
    from botocore.exceptions import ClientError

    class StateTaskServiceSageMaker(base):  # type: ignore[misc, valid-type]
        """``arn:aws:states:::sagemaker:createHyperParameterTuningJob[.sync]``."""

        def __init__(self) -> None:
            super().__init__(supported_integration_patterns={resource_condition.Sync})

        def _get_supported_parameters(self) -> set[str] | None:
            action = self.resource.api_action.lower()
            if action == "createhyperparametertuningjob":
                return set(_TUNING_PARAMETERS)
            if action in _SAGEMAKER_REQUEST_RESPONSE:
                operation = _SAGEMAKER_REQUEST_RESPONSE[action][0]
                return set(_service_model("sagemaker").operation_model(operation).input_shape.members)
            return None

        def _validate_service_integration_is_supported(self) -> None:
            if self._get_supported_parameters() is None:
                raise ValueError(
                    "The local engine supports sagemaker:createHyperParameterTuningJob[.sync], "
                    f"createModel and createEndpointConfig only, not {self.resource.resource_arn}"
                )
            if self.resource.condition not in (None, resource_condition.Sync):
                raise ValueError(
                    f"{self.resource.resource_arn}: SageMaker supports Request Response and .sync only"
                )
            if self.resource.condition is not None and self.resource.api_action.lower() in _SAGEMAKER_REQUEST_RESPONSE:
                raise ValueError(f"{self.resource.resource_arn}: the local engine runs it as Request Response only")

        # Parameters: only what the integration documents. moto drops the others silently;
        # Step Functions fails the state with States.Runtime (which no Catch sees).

        def _eval_parameters(self, env: Any) -> dict:
            parameters: dict = {}
            if self.parargs is not None:
                self.parargs.eval(env=env)
                parameters = env.stack.pop()
            supported = self._get_supported_parameters() or set()
            unknown = [key for key in parameters if key not in supported]
            if unknown:
                raise failure_exception(
                    _runtime_failure(
                        env,
                        f"The field '{unknown[0]}' is not supported by Step Functions for "
                        f"{self.resource.resource_arn}",
                    )
                )
            return parameters

        def _check_permissions(self, env: Any, parameters: dict) -> None:
            """AccessDeniedException, as SageMaker answers, for a call the state machine's
            role may not make: CreateHyperParameterTuningJob, and AddTags for the tags of
            the request (Step Functions' own included) on the new job."""
            machine = env.states.context_object.context_object_data.get("StateMachine") or {}
            policy = hooks.policies.get(machine.get("Id", ""))
            if policy is None:
                return
            name = str(parameters.get("HyperParameterTuningJobName", ""))
            job_arn = (
                f"arn:aws:sagemaker:{hooks.sagemaker.region}:{hooks.sagemaker.account_id}:"
                f"hyper-parameter-tuning-job/{name.lower()}"
            )
            actions = ["sagemaker:CreateHyperParameterTuningJob"]
            if parameters.get("Tags"):
                actions.append("sagemaker:AddTags")
            for action in actions:
                if not policy.allows(action, job_arn):
                    raise ClientError(
                        {
                            "Error": {"Code": "AccessDeniedException", "Message": policy.denial(action, job_arn)},
                            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": "local-engine"},
                        },
                        "CreateHyperParameterTuningJob",
                    )

        # The job, created through moto (whose backend the simulated jobs answer for).

        def _eval_service_task(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
        ) -> None:
            client = boto_client_for(
                region=resource_runtime_part.region, service="sagemaker", state_credentials=state_credentials
            )
            parameters = copy.deepcopy(normalised_parameters)
            other = _SAGEMAKER_REQUEST_RESPONSE.get(self.resource.api_action.lower())
            if other is not None:
                response = getattr(client, other[1])(**parameters)
                response.pop("ResponseMetadata", None)
                env.stack.append(response)
                return
            if self.resource.condition == resource_condition.Sync:
                # Step Functions tags the jobs a .sync task starts, whatever the task's tags.
                execution_arn = env.states.context_object.context_object_data["Execution"]["Id"]
                parameters["Tags"] = [
                    *(parameters.get("Tags") or []),
                    {"Key": _SYNC_TAG_KEYS[0], "Value": execution_arn},
                    {"Key": _SYNC_TAG_KEYS[1], "Value": "STARTED_BY_STEP_FUNCTIONS"},
                ]
            self._check_permissions(env, parameters)
            response = client.create_hyper_parameter_tuning_job(**parameters)
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _after_eval_execution(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
        ) -> None:
            # As StateTaskServiceCallback's, except that a task whose execution was
            # stopped (or that timed out) while waiting records no TaskSucceeded.
            if self._is_integration_pattern():
                env.event_manager.add_event(
                    context=env.event_history_context,
                    event_type=history_event_type.TaskSubmitted,
                    event_details=event_details(
                        taskSubmittedEventDetails=task_submitted_details(
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                            output=to_json_str(env.stack[-1]),
                            outputDetails=data_details(truncated=False),
                        )
                    ),
                )
                self._eval_integration_pattern(
                    env, resource_runtime_part, normalised_parameters, state_credentials
                )
                if not env.is_running():
                    return
            service_base._after_eval_execution(
                self, env, resource_runtime_part, normalised_parameters, state_credentials
            )

        # .sync: poll on the simulated clock until the job is terminal.

        def _eval_integration_pattern(
            self, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
        ) -> None:
            env.stack.pop()  # CreateHyperParameterTuningJob's response
            name = normalised_parameters["HyperParameterTuningJobName"]
            client = boto_client_for(
                region=resource_runtime_part.region, service="sagemaker", state_credentials=state_credentials
            )
            while env.is_running():
                description = self._describe(client, name)
                if description is not None:
                    status = description.get("HyperParameterTuningJobStatus")
                    if status == "Completed":
                        env.stack.append(self._output(description))
                        return
                    if status in ("Failed", "Stopped"):
                        raise failure_exception(self._job_failed(env, self._output(description)))
                pause = hooks.sync_poll_seconds
                until_change = hooks.sagemaker.seconds_until_change(name)
                if until_change is not None:
                    pause = min(pause, max(until_change, 0.001))
                hooks.clock.sleep(
                    pause, interrupt=env.program_state_event, cancelled=lambda: not env.is_running()
                )
            if _execution_timed_out(env):
                # The execution timed out: Step Functions leaves the job running.
                env.stack.append(None)
                return
            # The execution was stopped or the task timed out: Step Functions stops the
            # job (best effort) and records nothing more for this task.
            try:
                client.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            except ClientError:
                pass
            env.stack.append(None)

        @staticmethod
        def _describe(client: Any, name: str) -> dict[str, Any] | None:
            try:
                return client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") in _THROTTLING:
                    return None  # Step Functions' own poller retries its throttled calls
                raise

        @staticmethod
        def _output(description: dict[str, Any]) -> dict[str, Any]:
            output = dict(description)
            output.pop("ResponseMetadata", None)
            if hooks.sync_output == "thin":
                # As outputs captured on AWS: the best training job's name only, no
                # OverallBestTrainingJob, no counters, no config.
                best = output.get("BestTrainingJob")
                output = {key: output[key] for key in _THIN_SYNC_FIELDS if key in output}
                if isinstance(best, dict) and "TrainingJobName" in best:
                    output["BestTrainingJob"] = best["TrainingJobName"]
            job = hooks.sagemaker.job(output.get("HyperParameterTuningJobName", ""))
            if job is not None:
                output["Tags"] = {tag["Key"]: tag["Value"] for tag in job.tags if "Key" in tag}
            # Optimized integrations write timestamps as epoch milliseconds.
            return _json_safe(output, _epoch_millis)

        def _job_failed(self, env: Any, output: dict[str, Any]) -> Any:
            return failure_event(
                env=env,
                error_name=states_error_name(typ=task_failed),
                event_type=history_event_type.TaskFailed,
                event_details=event_details(
                    taskFailedEventDetails=task_failed_details(
                        resource=self._get_sfn_resource(),
                        resourceType=self._get_sfn_resource_type(),
                        error=task_failed.to_name(),
                        cause=to_json_str(output),
                    )
                ),
            )

        def _from_error(self, env: Any, ex: Exception) -> Any:
            if isinstance(ex, ClientError):
                error = ex.response.get("Error", {})
                metadata = ex.response.get("ResponseMetadata", {})
                code = error.get("Code", "Unknown")
                name = _SDK_V1_ERRORS.get(code, "SageMaker.AmazonSageMakerException")
                cause = (
                    f"{error.get('Message', '')} (Service: AmazonSageMaker; Status Code: "
                    f"{metadata.get('HTTPStatusCode', 400)}; Error Code: {code}; Request ID: "
                    f"{metadata.get('RequestId', '')}; Proxy: null)"
                )
                return failure_event(
                    env=env,
                    error_name=custom_error_name(name),
                    event_type=history_event_type.TaskFailed,
                    event_details=event_details(
                        taskFailedEventDetails=task_failed_details(
                            error=name,
                            cause=cause,
                            resource=self._get_sfn_resource(),
                            resourceType=self._get_sfn_resource_type(),
                        )
                    ),
                )
            return super()._from_error(env=env, ex=ex)

    return StateTaskServiceSageMaker


# The fields of a "thin" .sync output (besides the best training job's name and Tags).
_THIN_SYNC_FIELDS = (
    "HyperParameterTuningJobName",
    "HyperParameterTuningJobArn",
    "HyperParameterTuningJobStatus",
    "CreationTime",
    "LastModifiedTime",
    "HyperParameterTuningEndTime",
    "FailureReason",
)


def _runtime_failure(env: Any, cause: str) -> Any:
    """A States.Runtime failure of the current state (no Catch sees it on AWS)."""
    error_names = f"{_SFN}.asl.component.common.error_name"
    failure_event = _resolve(f"{error_names}.failure_event", "FailureEvent")
    states_error_name = _resolve(f"{error_names}.states_error_name", "StatesErrorName")
    runtime = _resolve(f"{error_names}.states_error_name_type", "StatesErrorNameType.StatesRuntime")
    return failure_event(
        env=env,
        error_name=states_error_name(typ=runtime),
        event_type=_resolve(f"{_SFN}.api", "HistoryEventType").TaskFailed,
        event_details=_resolve(f"{_SFN}.asl.eval.event.event_detail", "EventDetails")(
            taskFailedEventDetails=_resolve(f"{_SFN}.api", "TaskFailedEventDetails")(
                error=runtime.to_name(), cause=cause
            )
        ),
    )


# --- 7. error matching: what States.ALL does not catch ------------------------------------


def _install_error_matching() -> None:
    """``States.ALL`` (and ``States.TaskFailed``) in a Catch or Retry do not match the
    terminal ``States.Runtime`` and ``States.DataLimitExceeded`` on AWS; moto's do."""
    module = f"{_SFN}.asl.component.common.error_name"
    decl = _resolve(f"{module}.error_equals_decl", "ErrorEqualsDecl")
    states_error_name = _resolve(f"{module}.states_error_name", "StatesErrorName")
    names = _resolve(f"{module}.states_error_name_type", "StatesErrorNameType")
    terminal = [
        states_error_name(typ=names.StatesRuntime),
        states_error_name(typ=names.StatesStatesDataLimitExceeded),
    ]
    original = decl._eval_body

    @functools.wraps(original)
    def _eval_body(self: Any, env: Any) -> None:
        error_name = env.stack[-1]
        if error_name in terminal and error_name not in self.error_names:
            env.stack.pop()
            env.stack.append(False)
            return
        original(self, env)

    _patch(decl, "_eval_body", _eval_body)


def _install_service_factory(hooks: Hooks) -> None:
    service_class = _sagemaker_service_class(hooks)
    factory_module = importlib.import_module(f"{_TASK}.service.state_task_service_factory")
    task_factory_module = importlib.import_module(f"{_TASK}.state_task_factory")
    original = factory_module.state_task_service_for

    @functools.wraps(original)
    def state_task_service_for(service_name: str) -> Any:
        if service_name == "sagemaker":
            return service_class()
        return original(service_name)

    _patch(factory_module, "state_task_service_for", state_task_service_for)
    _patch(task_factory_module, "state_task_service_for", state_task_service_for)


# --- 5. aws-sdk integrations and execution output ------------------------------------------


def _install_output_fixes(hooks: Hooks) -> None:
    aws_sdk_module = importlib.import_module(f"{_TASK}.service.state_task_service_aws_sdk")
    names = dict(aws_sdk_module._SERVICE_ERROR_NAMES)
    names["sagemaker"] = "SageMaker"
    _patch(aws_sdk_module, "_SERVICE_ERROR_NAMES", names)

    aws_sdk = aws_sdk_module.StateTaskServiceAwsSdk
    original_task = aws_sdk._eval_service_task

    @functools.wraps(original_task)
    def _eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        original_task(self, env, *args, **kwargs)
        env.stack[-1] = _json_safe(env.stack[-1], _iso)

    _patch(aws_sdk, "_eval_service_task", _eval_service_task)

    communication = _resolve(f"{_SFN}.backend.execution", "BaseExecutionWorkerCommunication")
    original_reflect = communication._reflect_execution_status

    @functools.wraps(original_reflect)
    def _reflect_execution_status(self: Any) -> None:
        with hooks.emitting():
            original_reflect(self)
            timed_out_at = vars(self.execution.exec_worker.env).get(_TIMED_OUT_AT)
            if timed_out_at is not None and str(self.execution.exec_status.value) == "TIMED_OUT":
                self.execution.stop_date = timed_out_at
            if self.execution.output is not None:
                safe = _json_safe(self.execution.output, _iso)
                self.execution.output = json.loads(json.dumps(safe, default=str))
            _emit_execution_status(hooks, self.execution)

    _patch(communication, "_reflect_execution_status", _reflect_execution_status)


# --- 5b. aws-sdk field names ---------------------------------------------------------------

_SERVICE_MODELS: dict[str, Any] = {}


def _service_model(service: str) -> Any:
    """botocore's model of ``service`` (cached: loading one takes a while)."""
    if service not in _SERVICE_MODELS:
        import botocore.session

        _SERVICE_MODELS[service] = botocore.session.get_session().get_service_model(service)
    return _SERVICE_MODELS[service]


def _to_api_names(value: Any, shape: Any) -> Any:
    """``value`` with each structure's PascalCase keys renamed to the API's members."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        renamed = {}
        for key, item in value.items():
            name, member = members.get(key.lower(), (key, None))
            renamed[name] = _to_api_names(item, member) if member is not None else item
        return renamed
    if kind == "list" and isinstance(value, list):
        return [_to_api_names(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _to_api_names(item, shape.value) for key, item in value.items()}
    return value


def _to_sfn_names(value: Any, shape: Any) -> Any:
    """``value`` with each structure's member names in PascalCase (map keys are data:
    they stay as they are)."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, dict):
        renamed = {}
        for key, item in value.items():
            member = shape.members.get(key)
            name = key[:1].upper() + key[1:] if member is not None else key
            renamed[name] = _to_sfn_names(item, member) if member is not None else item
        return renamed
    if kind == "list" and isinstance(value, list):
        return [_to_sfn_names(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _to_sfn_names(item, shape.value) for key, item in value.items()}
    return value


def _install_aws_sdk_names() -> None:
    aws_sdk = importlib.import_module(f"{_TASK}.service.state_task_service_aws_sdk").StateTaskServiceAwsSdk

    def operation(service_task: Any) -> Any:
        service = service_task._get_boto_service_name()
        action = service_task.resource.api_action
        try:
            return _service_model(service).operation_model(action[:1].upper() + action[1:])
        except Exception:  # noqa: BLE001 - an unknown API fails later, as on AWS
            return None

    def _normalise_parameters(self: Any, parameters: dict, *args: Any, **kwargs: Any) -> None:
        model = operation(self)
        if model is not None and model.input_shape is not None:
            renamed = _to_api_names(parameters, model.input_shape)
            parameters.clear()
            parameters.update(renamed)

    def _normalise_response(self: Any, response: Any, *args: Any, **kwargs: Any) -> None:
        model = operation(self)
        if model is not None and model.output_shape is not None and isinstance(response, dict):
            renamed = _to_sfn_names(response, model.output_shape)
            response.clear()
            response.update(renamed)

    _patch(aws_sdk, "_normalise_parameters", _normalise_parameters)
    _patch(aws_sdk, "_normalise_response", _normalise_response)


# --- install / uninstall ------------------------------------------------------------------


# --- 8. EventBridge: entries it could not take ------------------------------------------


def _install_events(hooks: Hooks) -> None:
    """PutEvents answers every entry with ``InternalFailure`` while
    ``hooks.put_events_failures`` > 0 (the call succeeds, FailedEntryCount > 0: Step
    Functions' ``EventBridge.FailedEntry``), as EventBridge does for entries it fails."""
    backend = _resolve("moto.events.models", "EventsBackend")
    original = backend.put_events

    @functools.wraps(original)
    def put_events(self: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if hooks.put_events_failures > 0:
            hooks.put_events_failures -= 1
            return [{"ErrorCode": "InternalFailure", "ErrorMessage": "Internal service error"} for _ in events]
        answers = original(self, events)
        if hooks.on_put_events is not None:
            for entry, answer in zip(events, answers):
                if "EventId" in answer:
                    hooks.on_put_events(entry, answer["EventId"])
        return answers

    _patch(backend, "put_events", put_events)


# --- 9. ListExecutions: eventually consistent -------------------------------------------


def _install_list_executions_lag(hooks: Hooks) -> None:
    """ListExecutions leaves out the executions started within the last
    ``hooks.list_executions_lag_seconds`` simulated seconds (AWS: "eventually consistent,
    best effort"; a just-started execution may be missing, even the caller itself)."""
    backend = _resolve("moto.stepfunctions.models", "StepFunctionBackend")
    original = backend.list_executions

    @functools.wraps(original)
    def list_executions(self: Any, *args: Any, **kwargs: Any) -> Any:
        answer = original(self, *args, **kwargs)
        lag = hooks.list_executions_lag_seconds
        if lag <= 0:
            return answer
        now = hooks.clock.now()

        def visible(execution: Any) -> bool:
            started = hooks.execution_starts.get(getattr(execution, "execution_arn", None))
            return started is None or (now - started).total_seconds() >= lag

        if isinstance(answer, tuple):  # the paginated form: (results, next_token)
            results, token = answer
            return [e for e in results if visible(e)], token
        return [e for e in answer if visible(e)]

    _patch(backend, "list_executions", list_executions)


# --- 10. execution status changes ---------------------------------------------------------

_LOG = logging.getLogger(__name__)


def _emit_execution_status(hooks: Hooks, execution: Any) -> None:
    """Tell the engine about a Standard execution's status (Express workflows send no
    status change events)."""
    if hooks.on_execution_status is None:
        return
    # moto's StateMachineInstance sets ``sm_type`` to STANDARD whatever the type; its
    # ``type`` holds the real one.
    kind = getattr(execution.state_machine, "type", None) or execution.sm_type
    if str(getattr(kind, "value", kind)) != "STANDARD":
        return
    try:
        hooks.on_execution_status(dict(execution.to_describe_output()))
    except Exception:  # noqa: BLE001 - moto's worker thread must end the execution anyway
        _LOG.exception("the status change event of %s was not emitted", execution.exec_arn)


def _install_execution_status(hooks: Hooks) -> None:
    worker = _resolve(f"{_SFN}.backend.execution_worker", "ExecutionWorker")
    original_start = worker.start

    @functools.wraps(original_start)
    def start(self: Any) -> None:
        # Execution.start sets RUNNING, then starts its worker: the RUNNING event goes
        # out before the execution can end (and send its next one).
        execution = getattr(self._execution_communication, "execution", None)
        with hooks.emitting():
            if execution is not None:
                _emit_execution_status(hooks, execution)
            original_start(self)

    _patch(worker, "start", start)

    # DescribeExecution of a TIMED_OUT execution: AWS gives its stopDate, moto leaves it
    # out (it adds it for SUCCEEDED, ABORTED and FAILED only).
    responses = _resolve("moto.stepfunctions.responses", "StepFunctionResponse")
    original_describe = responses.describe_execution

    @functools.wraps(original_describe)
    def describe_execution(self: Any) -> Any:
        answer = original_describe(self)
        body = answer.result
        if isinstance(body, dict) and str(body.get("status")) in ("TIMED_OUT", "ExecutionStatus.TIMED_OUT") \
                and "stopDate" not in body:
            execution = self.stepfunction_backend.describe_execution(body["executionArn"])
            body["stopDate"] = execution.stop_date
        return answer

    _patch(responses, "describe_execution", describe_execution)


# --- 11. execution timeout ---------------------------------------------------------------

# Where Program.eval leaves the simulated moment a timed-out execution ended at.
_TIMED_OUT_AT = "_local_engine_timed_out_at"
# Real seconds a timed-out execution's worker gets to record ExecutionTimedOut in the
# history before the execution's status says TIMED_OUT.
_TIMED_OUT_GRACE = 1.0


def _install_execution_timeout(hooks: Hooks) -> None:
    """The state machine's ``TimeoutSeconds`` counts simulated seconds: moto joins the
    worker for that many real seconds. A ClockEvent stops the clock at the deadline
    until the wait has seen it, so a Wait or ``.sync`` poll that sleeps past it in one
    go still times out on time."""
    program = _resolve(f"{_SFN}.asl.component.program.program", "Program")
    eval_component = _resolve(f"{_SFN}.asl.component.eval_component", "EvalComponent")
    threads = _resolve(f"{_SFN}.utils", "TMP_THREADS")

    def eval(self: Any, env: Any) -> None:  # noqa: A001 - moto's name
        timeout = self.timeout_seconds.timeout_seconds if self.timeout_seconds else None
        env.next_state_name = self.start_at.start_at_name
        finished: Any = ClockEvent(hooks.clock) if timeout is not None else threading.Event()

        def run() -> None:
            try:
                eval_component.eval(self, env)
            finally:
                finished.set()

        worker_thread = threading.Thread(target=run, daemon=True)
        threads.append(worker_thread)
        worker_thread.start()
        if timeout is None:
            worker_thread.join()
            return
        if not finished.wait(timeout, hold_on_timeout=True):
            # The execution ends at its deadline: the clock is held there until the
            # execution is marked timed out, and its stop date is the deadline.
            try:
                env.__dict__[_TIMED_OUT_AT] = hooks.clock.start + _datetime.timedelta(
                    seconds=finished.started_at + timeout
                )
                env.set_timed_out()
            finally:
                finished.release()
            worker_thread.join(_TIMED_OUT_GRACE)

    _patch(program, "eval", eval)


def _execution_timed_out(env: Any) -> bool:
    """Whether the execution ``env`` (or the frame of one) belongs to has timed out."""
    timed_out = _resolve(f"{_SFN}.asl.eval.program_state", "ProgramTimedOut")
    return isinstance(env.program_state(), timed_out)


# --- 12. .waitForTaskToken on simulated time ------------------------------------------

# Real seconds a callback wait gives the deliveries caused by a job's status change.
_EVENTS_PATIENCE = 10.0


# Where the patched ``_eval_wait_for_task_token`` leaves, on a task's callback and
# heartbeat endpoints, the environment (the task's frame) whose waits they serve.
_WAIT_ENV = "_local_engine_env"


class _SetOrEnded:
    """What wakes a callback wait: its ``event`` set (the token sent back, a heartbeat),
    or the task's environment ending (StopExecution, the execution's timeout, the
    task's own TimeoutSeconds): moto then only pulses ``program_state_event``, which a
    wait on the callback's event never sees. Duck-types the ``interrupt`` of
    :meth:`SimulatedClock.sleep`."""

    _SLICE = 0.02  # real seconds between looks at the environment

    def __init__(self, event: threading.Event, env: Any | None) -> None:
        self._event = event
        self._env = env

    def ended(self) -> bool:
        return self._env is not None and not self._env.is_running()

    def is_set(self) -> bool:
        return self._event.is_set() or self.ended()

    def wait(self, timeout: float | None = None) -> bool:
        if self._env is None:
            return self._event.wait(timeout)
        deadline = None if timeout is None else _time.monotonic() + timeout
        while not self.is_set():
            left = self._SLICE if deadline is None else min(self._SLICE, deadline - _time.monotonic())
            if left <= 0:
                return self.is_set()
            self._event.wait(left)
        return True


def _simulated_wait(hooks: Hooks, event: threading.Event, timeout: float, env: Any | None = None) -> bool:
    """Wait until ``event`` is set or ``timeout`` simulated seconds have passed; whether
    it was set. Time moves in steps that end at each simulated job's next status change
    or schedule's next invocation, after which the deliveries they caused run (one of
    them may be what sends the task token back). With ``time_scale=math.inf`` a wait
    that nothing in the simulation ends jumps to its timeout at once: a token sent back
    from outside (a test's own thread) needs a finite time scale.

    ``env``, the task's environment: the wait also ends (False unless ``event`` is set)
    as soon as it stops running, i.e. the execution was stopped or timed out, or the
    task timed out; time then moves no further for it."""
    wake = _SetOrEnded(event, env)
    if wake.ended():
        return event.is_set()
    deadline = hooks.clock.elapsed() + timeout
    while not wake.is_set():
        left = deadline - hooks.clock.elapsed()
        if left <= 0:
            return event.is_set()
        next_change = hooks.seconds_until_next_change or hooks.sagemaker.seconds_until_next_change
        change = next_change()
        step = left if change is None else min(left, max(change, 0.001))
        hooks.clock.sleep(step, interrupt=wake, cancelled=wake.is_set)
        if change is not None and step < left and not wake.ended():
            hooks.await_events(_EVENTS_PATIENCE)
    return event.is_set()


def _install_callbacks(hooks: Hooks) -> None:
    module = f"{_SFN}.asl.eval.callback.callback"
    endpoint = _resolve(module, "CallbackEndpoint")
    heartbeat = _resolve(module, "HeartbeatEndpoint")
    original_wait = endpoint.wait

    @functools.wraps(original_wait)
    def wait(self: Any, timeout: float | None = None) -> Any:
        if timeout is None:
            return original_wait(self, timeout)
        _simulated_wait(hooks, self._notify_event, timeout, vars(self).get(_WAIT_ENV))
        return self._outcome

    def notify_heartbeat(self: Any) -> bool:
        # A valid token of a task without HeartbeatSeconds: nothing to reset (AWS
        # accepts the call; moto answers InvalidToken).
        if self._heartbeat_endpoint is not None:
            self._heartbeat_endpoint.notify()
        return True

    def clear_and_wait(self: Any) -> bool:
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        received = _simulated_wait(
            hooks, self._next_heartbeat_event, self._heartbeat_seconds, vars(self).get(_WAIT_ENV)
        )
        with self._mutex:
            # Consumed: the next wait needs the next heartbeat.
            self._next_heartbeat_event.clear()
        return received

    _patch(endpoint, "wait", wait)
    _patch(endpoint, "notify_heartbeat", notify_heartbeat)
    _patch(heartbeat, "clear_and_wait", clear_and_wait)
    _install_callback_stop()

    # SendTaskFailure: moto's response handler drops the cause.
    responses = _resolve("moto.stepfunctions.responses", "StepFunctionResponse")
    empty_result = _resolve("moto.core.responses", "EmptyResult")

    def send_task_failure(self: Any) -> Any:
        self.stepfunction_backend.send_task_failure(
            self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
        )
        return empty_result()

    _patch(responses, "send_task_failure", send_task_failure)

    # A missed heartbeat is States.HeartbeatTimeout on AWS; moto reports every timeout
    # as States.Timeout.
    state_task = _resolve(f"{_TASK}.state_task", "StateTask")
    heartbeat_timeout = _resolve(module, "HeartbeatTimeoutError")
    error_names = f"{_SFN}.asl.component.common.error_name"
    failure_event = _resolve(f"{error_names}.failure_event", "FailureEvent")
    states_error_name = _resolve(f"{error_names}.states_error_name", "StatesErrorName")
    heartbeat_name = _resolve(f"{error_names}.states_error_name_type", "StatesErrorNameType.StatesHeartbeatTimeout")
    event_details = _resolve(f"{_SFN}.asl.eval.event.event_detail", "EventDetails")
    timed_out_details = _resolve(f"{_SFN}.api", "TaskTimedOutEventDetails")
    history_event_type = _resolve(f"{_SFN}.api", "HistoryEventType")
    original_from_error = state_task._from_error

    @functools.wraps(original_from_error)
    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, heartbeat_timeout):
            return original_from_error(self, env, ex)
        details: dict[str, Any] = {"error": heartbeat_name.to_name()}
        if hasattr(self, "_get_sfn_resource"):
            details.update(resourceType=self._get_sfn_resource_type(), resource=self._get_sfn_resource())
        return failure_event(
            env=env,
            error_name=states_error_name(typ=heartbeat_name),
            event_type=history_event_type.TaskTimedOut,
            event_details=event_details(taskTimedOutEventDetails=timed_out_details(**details)),
        )

    _patch(state_task, "_from_error", _from_error)


def _install_callback_stop() -> None:
    """StopExecution at any moment of a ``.waitForTaskToken`` task ends the execution
    ABORTED at once, as on AWS, with nothing more recorded for the task.

    moto's callback waits only watch the token's event (the stop pulses
    ``program_state_event``), so a stopped execution kept waiting until the token came
    back or timed out, and that outcome (a SendTaskFailure, the States.Timeout) then
    overwrote the stopped state with an error: FAILED. A stop during the task's service
    call (the Lambda) was worse: the stopped environment skips evaluating
    TimeoutSeconds, so moto popped the state's input as the timeout (States.Runtime:
    "unsupported operand type(s) for +: 'float' and 'dict'"). Here the waits end when
    the task's environment stops running, a stopped task records no TaskSubmitted or
    TaskSucceeded, and an error raised once the execution is stopped no longer turns it
    into a failure (``Environment.set_error`` keeps a stopped program stopped)."""
    callback_module = f"{_TASK}.service.state_task_service_callback"
    callback = _resolve(callback_module, "StateTaskServiceCallback")
    service_base = _resolve(f"{_TASK}.service.state_task_service", "StateTaskService")
    history_event_type = _resolve(f"{_SFN}.api", "HistoryEventType")
    task_submitted_details = _resolve(f"{_SFN}.api", "TaskSubmittedEventDetails")
    data_details = _resolve(f"{_SFN}.api", "HistoryEventExecutionDataDetails")
    event_details = _resolve(f"{_SFN}.asl.eval.event.event_detail", "EventDetails")
    to_json_str = _resolve(f"{_SFN}.asl.utils.encoding", "to_json_str")
    original_wait_for_token = callback._eval_wait_for_task_token
    original_pattern = callback._eval_integration_pattern
    original_after = callback._after_eval_execution

    @functools.wraps(original_wait_for_token)
    def _eval_wait_for_task_token(
        self: Any, env: Any, timeout_seconds: Any, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        # The endpoints' waits (patched above) end when ``env`` stops running.
        for waited in (callback_endpoint, heartbeat_endpoint):
            if waited is not None:
                vars(waited)[_WAIT_ENV] = env
        return original_wait_for_token(
            self,
            env=env,
            timeout_seconds=timeout_seconds,
            callback_endpoint=callback_endpoint,
            heartbeat_endpoint=heartbeat_endpoint,
        )

    @functools.wraps(original_pattern)
    def _eval_integration_pattern(self: Any, env: Any, *args: Any, **kwargs: Any) -> None:
        if not env.is_running():
            # Stopped during the service call: moto would skip TimeoutSeconds (pruned on
            # a stopped environment) and pop the state's input in its place. The
            # service's response stays on the stack (the frame's output, discarded).
            return
        try:
            original_pattern(self, env, *args, **kwargs)
        except Exception:
            if env.is_running():
                raise
            # The wait ended because the execution stopped (or timed out): whatever
            # outcome that gave (moto: a timeout) is no outcome of the task.
            env.stack.append(None)

    @functools.wraps(original_after)
    def _after_eval_execution(
        self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict, state_credentials: Any
    ) -> None:
        if not self._is_integration_pattern() or env.is_mocked_mode():
            original_after(self, env, resource_runtime_part, normalised_parameters, state_credentials)
            return
        # As moto's, except that a task whose execution was stopped (or timed out)
        # during its service call or its wait records nothing more (AWS records the
        # ExecutionAborted and nothing after).
        if not env.is_running():
            return
        env.event_manager.add_event(
            context=env.event_history_context,
            event_type=history_event_type.TaskSubmitted,
            event_details=event_details(
                taskSubmittedEventDetails=task_submitted_details(
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                    output=to_json_str(env.stack[-1]),
                    outputDetails=data_details(truncated=False),
                )
            ),
        )
        self._eval_integration_pattern(
            env=env,
            resource_runtime_part=resource_runtime_part,
            normalised_parameters=normalised_parameters,
            state_credentials=state_credentials,
        )
        if not env.is_running():
            return
        service_base._after_eval_execution(
            self, env, resource_runtime_part, normalised_parameters, state_credentials
        )

    _patch(callback, "_eval_wait_for_task_token", _eval_wait_for_task_token)
    _patch(callback, "_eval_integration_pattern", _eval_integration_pattern)
    _patch(callback, "_after_eval_execution", _after_eval_execution)

    # Once stopped, an execution is ABORTED whatever its threads raise afterwards (a
    # task's late outcome, a Lambda's error): moto's set_error replaced the stopped state.
    environment = _resolve(f"{_SFN}.asl.eval.environment", "Environment")
    stopped = _resolve(f"{_SFN}.asl.eval.program_state", "ProgramStopped")
    original_set_error = environment.set_error

    @functools.wraps(original_set_error)
    def set_error(self: Any, error: Any) -> None:
        with self._state_mutex:
            if isinstance(self._program_state, stopped):
                return
            original_set_error(self, error)

    _patch(environment, "set_error", set_error)


def install(hooks: Hooks) -> None:
    """Apply every patch (process-wide; one engine at a time)."""
    global _ACTIVE
    with _INSTALL_LOCK:
        if _ACTIVE is not None:
            raise RuntimeError("another LocalEngine is running in this process; close it first")
        check_internals()
        _ACTIVE = hooks
        try:
            _install_service_factory(hooks)
            _install_time(hooks)
            _install_lambda(hooks)
            _install_sagemaker(hooks)
            _install_output_fixes(hooks)
            _install_aws_sdk_names()
            _install_error_matching()
            _install_events(hooks)
            _install_list_executions_lag(hooks)
            _install_execution_status(hooks)
            _install_execution_timeout(hooks)
            _install_callbacks(hooks)
            _install_dynamodb_atomicity()
        except BaseException:
            _restore()
            _ACTIVE = None
            raise


_DYNAMODB_ITEM_OPERATIONS = ("put_item", "update_item", "delete_item", "get_item", "query", "transact_write_items")
_DYNAMODB_LOCK = threading.RLock()


def _install_dynamodb_atomicity() -> None:
    backend = _resolve("moto.dynamodb.models", "DynamoDBBackend")
    for name in _DYNAMODB_ITEM_OPERATIONS:
        original = getattr(backend, name)
        if getattr(original, "_wst_atomic", False):
            continue

        def atomic(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            with _DYNAMODB_LOCK:
                return _original(self, *args, **kwargs)

        atomic._wst_atomic = True  # type: ignore[attr-defined]
        _patch(backend, name, atomic)


@contextmanager
def atomic_dynamodb() -> Iterator[None]:
    """DynamoDB's atomic conditional writes on plain moto (no engine), e.g. for the
    validator's handler tests; the engine applies the same patch while it runs."""
    check_internals()
    with _INSTALL_LOCK:
        before = len(_PATCHES)
        _install_dynamodb_atomicity()
        mine = _PATCHES[before:]
        del _PATCHES[before:]
    try:
        yield
    finally:
        for owner, attribute, original, existed in reversed(mine):
            if existed:
                setattr(owner, attribute, original)
            else:
                delattr(owner, attribute)


def _restore() -> None:
    while _PATCHES:
        owner, attribute, original, existed = _PATCHES.pop()
        if existed:
            setattr(owner, attribute, original)
        else:
            try:
                delattr(owner, attribute)
            except AttributeError:  # pragma: no cover
                pass
    while _WARNING_FILTERS:
        entry = _WARNING_FILTERS.pop()
        if entry in warnings.filters:
            warnings.filters.remove(entry)
            mutated = getattr(warnings, "_filters_mutated", None)
            if callable(mutated):  # lets warnings re-read its filters (CPython)
                mutated()


def uninstall() -> None:
    """Undo every patch."""
    global _ACTIVE
    with _INSTALL_LOCK:
        _restore()
        _ACTIVE = None


@contextmanager
def installed(hooks: Hooks) -> Iterator[Hooks]:
    install(hooks)
    try:
        yield hooks
    finally:
        uninstall()


def join_execution_threads(timeout: float) -> None:
    """Wait (up to ``timeout`` real seconds in all) for moto's execution threads to end,
    so none is still calling the mocked services when the engine stops moto."""
    import time

    threads = _resolve(f"{_SFN}.utils", "TMP_THREADS")
    deadline = time.monotonic() + timeout
    for thread in list(threads):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if thread.is_alive() and thread is not threading.current_thread():
            thread.join(left)
    threads[:] = [thread for thread in threads if thread.is_alive()]


def is_installed() -> bool:
    return _ACTIVE is not None


def set_moto_tuning_job(
    name: str,
    *,
    region: str,
    status: str | None = None,
    counters: dict[str, int] | None = None,
    creation_time: _datetime.datetime | None = None,
) -> None:
    """Change a tuning job in moto's own SageMaker backend (plain ``mock_aws``, no engine).

    moto has no API for a job's status, training-job counters or creation time (its jobs
    are born Completed, "now"); the validator's handler tests need other ones.
    """
    check_internals()
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sagemaker.models import sagemaker_backends

    job = sagemaker_backends[DEFAULT_ACCOUNT_ID][region].hyper_parameter_tuning_jobs[name]
    if status is not None:
        job.hyper_parameter_tuning_job_status = status
    for counter, value in (counters or {}).items():
        job.training_job_status_counters[counter] = value
    if creation_time is not None:
        # moto keeps naive UTC times and sorts on them.
        if creation_time.tzinfo is not None:
            creation_time = creation_time.astimezone(_datetime.timezone.utc).replace(tzinfo=None)
        job.creation_time = creation_time
