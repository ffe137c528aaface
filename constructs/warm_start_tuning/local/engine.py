"""LocalEngine: run a synthesized pipeline end to end without AWS.

::

    from warm_start_tuning.local import LocalEngine

    with LocalEngine(time_scale=3600) as engine:          # one simulated hour = 1 s
        engine.sagemaker.add_tuning_job(
            "parent-1", status_path=[("InProgress", 600), ("Completed", None)]
        )
        arn = engine.deploy("cdk.out/MyStack.template.json")
        result = engine.run(arn, {"parents": ["parent-1"]}, on_state=print)
        print(result.status, result.output)

The engine starts moto (``mock_aws``) with Step Functions' interpreter switched on and
Lambda without Docker, installs the patches of :mod:`.moto_internals` (real handlers
in-process, simulated SageMaker tuning jobs, simulated time), and removes them on exit.
One engine may run at a time in a process.

What AWS does, modelled so that tests see it
---------------------------------------------

The engine answers the way AWS documents (or, where AWS's behaviour is uncertain, the
less convenient way), not the way a pipeline would like. Each behaviour and its source:

1. **Thin ``.sync`` output** (default ``sync_output="thin"``). A finished
   ``createHyperParameterTuningJob.sync`` task returns the job's name, ARN, status,
   ``BestTrainingJob`` as the best training job's *name only*, epoch-millisecond
   ``CreationTime``/``LastModifiedTime``/``HyperParameterTuningEndTime``, ``FailureReason``
   and ``Tags``: no TrainingJobSummary, no ``OverallBestTrainingJob``, no counters.
   Source: outputs captured on AWS (DESIGN.md, "What AWS does..."); Step Functions does
   not document the shape. Uncertain, so the less convenient reading is the default;
   ``sync_output="full"`` returns the whole Describe response (epoch milliseconds too)
   for tests that check the pipeline under both readings.
2. **Step Functions' own tags on ``.sync`` jobs**: ``AWS_STEP_FUNCTIONS_EXECUTION_ARN`` and
   ``MANAGED_BY_AWS`` are added to the request of every job a ``.sync`` task starts, and
   count against SageMaker's 50 tags (more: ``ValidationException``). Source: DESIGN.md;
   SageMaker API reference, ``Tags`` (array, max 50 items).
3. **Task IAM** (templates deployed with :meth:`deploy`): the state machine role's
   identity policy is read from the template; a create the role may not make
   (``sagemaker:CreateHyperParameterTuningJob``, or ``sagemaker:AddTags`` on the new job
   when the request, Step Functions' tags included, has tags) fails with SageMaker's
   ``AccessDeniedException``. Source: SageMaker authorizes tags given at creation as
   AddTags (SageMaker developer guide, "tag on create"); aws-cdk-lib's
   ``SageMakerCreateTrainingJob`` grants AddTags for the same reason.
4. **Only the integration's documented parameters**: a state whose static Parameters hold
   another literal field is refused at deploy (``InvalidDefinitionError``, Step Functions'
   ``SCHEMA_VALIDATION_FAILED``), before any state runs; a ``Field.$`` of another name
   fails the state at run time with ``States.Runtime`` (uncertain whether AWS's
   definition check sees it: the less convenient reading; moto would drop the field
   silently). Source: Step Functions developer guide, SageMaker optimized integration,
   supported parameters; "Error names" (States.Runtime).
5. **Error names as AWS gives them**: optimized-integration errors are
   ``SageMaker.AmazonSageMakerException`` (or the few exceptions the SDK models:
   ``ResourceInUse``, ``ResourceLimitExceeded``, ``ResourceNotFound``) with SageMaker's
   message in the cause; aws-sdk errors are ``SageMaker.<Exception>`` after the SDK's
   exception (``SageMaker.ResourceNotFoundException``; moto writes ``sagemaker.X``), and
   ``SageMaker.SageMakerException`` for a code the SDK does not model, such as
   ``ThrottlingException`` (the less convenient reading: a Retry on
   ``SageMaker.ThrottlingException`` alone would miss it). Source: Step Functions
   developer guide, "Handling errors in workflows" and the aws-sdk integration page.
6. **``States.Runtime`` and ``States.DataLimitExceeded`` are terminal**: ``States.ALL`` and
   ``States.TaskFailed`` in a Catch or Retry do not match them (moto's do). Any state
   input or output over 256 KiB fails with ``States.DataLimitExceeded``. Source: Step
   Functions developer guide, "Error names" and "Service quotas" (256 KiB payload).
7. **Epoch-millisecond times** in optimized-integration outputs; ISO-8601 strings in
   aws-sdk outputs and ``$$`` context fields. Source: captured outputs (DESIGN.md).
8. **Refused creates**: ``engine.sagemaker.inject_error("CreateHyperParameterTuningJob",
   "ValidationException", message)`` makes SageMaker refuse a create with its own
   message, as it does for a request that passes this library's rules but not its own
   (see README, rule table: the readings that are a choice).
9. **At-least-once event delivery**: ``LocalEngine(event_deliveries=2)`` makes
   :meth:`LocalEngine.deliver` start each rule target twice per event, each execution
   under its own generated name (EventBridge targets cannot name the execution).
   Source: S3 developer guide, "Amazon S3 Event Notifications" ("delivered at least
   once"); EventBridge user guide, targets ("at least once").
10. **Lambda functions that fail as functions do**: ``engine.lambdas.inject_failure(
    "Sandbox.Timedout" | "Runtime.ExitError" | "Lambda.Unknown")`` makes an invocation
    fail like a function that timed out, whose runtime exited (out of memory, a crash),
    or whose failure Lambda could not name, under the error names Step Functions gives
    them. Source: Step Functions developer guide, "Handling errors" (Lambda error names);
    Lambda developer guide, "Invoke" (function errors).
11. **EventBridge entries that fail**: ``engine.fail_put_events(times)`` answers PutEvents
    with ``InternalFailure`` entries (``EventBridge.FailedEntry`` in Step Functions).
    Source: EventBridge API reference, PutEvents (FailedEntryCount, per-entry ErrorCode).
12. **Eventually consistent ListExecutions**: ``LocalEngine(list_executions_lag_seconds=
    30)`` leaves the executions started less than 30 simulated seconds ago out of
    ListExecutions (the caller itself included). Source: Step Functions API reference,
    ListExecutions ("eventually consistent"; "results are best effort and may not
    reflect very recent updates and changes").
13. **DynamoDB tables of the template** (:meth:`deploy`): every ``AWS::DynamoDB::Table``
    is created in moto under its template name or ``<stack>-<logical id>`` (key schema,
    attribute definitions, billing mode, indexes, streams, SSE, point-in-time recovery,
    TTL attribute); ``Ref`` and ``Fn::GetAtt`` (``Arn``, ``StreamArn``) resolve to it
    everywhere. A redeploy keeps the table and its items. TTL is recorded, not
    enforced: expired items stay (DynamoDB itself deletes them only "within a few days"
    of expiry, so nothing may rely on their absence). Step Functions' optimized
    ``dynamodb:getItem|putItem|updateItem|deleteItem`` integration runs against these
    tables; a failed condition is ``DynamoDB.ConditionalCheckFailedException`` with
    DynamoDB's message in the cause. Source: CloudFormation ``AWS::DynamoDB::Table``
    reference (BillingMode default PROVISIONED); DynamoDB developer guide, "Working
    with Time to Live"; Step Functions developer guide, "Call DynamoDB APIs with Step
    Functions" and "Handling errors" (``DynamoDB.<Exception>`` names).
14. **EventBridge rules of the template, delivered asynchronously** (:meth:`deploy`,
    :meth:`put_events`): each enabled ``AWS::Events::Rule`` with an ``EventPattern``
    routes matching events (put with :meth:`put_events`, by ``events:PutEvents`` from
    a state machine or a Lambda, or sent by the services below) to its targets, with
    the target's ``Input``/``InputPath``/``InputTransformer``. Each delivery runs on its
    own thread ``event_delay_seconds`` simulated seconds later (default 1: EventBridge
    promises "near real-time" delivery and no bound, so never synchronously; EventBridge
    FAQ), ``event_deliveries`` times (at least once, as 9). Lambda targets are invoked
    asynchronously: a function error is retried twice, one and then two simulated
    minutes later (Lambda developer guide, "Error handling and automatic retries in
    Lambda"); Step Functions targets start an execution. ``engine.drop_events(n,
    detail_type=...)`` loses the next n events a rule would deliver (AWS services send
    events "best effort": EventBridge events reference, "Delivery level for AWS service
    events"). ``engine.event_log`` records every attempt; ``engine.wait_for_events()``
    waits until none is pending.
15. **Step Functions Execution Status Change events**: every Standard execution sends
    one when it starts (``RUNNING``) and one when it ends (``SUCCEEDED``, ``FAILED``,
    ``TIMED_OUT``, ``ABORTED``: a Succeed or Fail state, a runtime error, StopExecution,
    its timeout), in AWS's shape (source ``aws.states``, ``resources`` the execution ARN,
    ``detail`` as DescribeExecution with epoch-millisecond dates; see
    :mod:`.status_events`), routed as in 14. Express workflows send none. Source: Step
    Functions developer guide, "Automating Step Functions event delivery with
    EventBridge"; EventBridge events reference, "AWS Step Functions events" (best effort).
16. **Execution timeout on simulated time**: a state machine's ``TimeoutSeconds`` ends the
    execution ``TIMED_OUT`` when that many simulated seconds have passed, and a running
    ``.sync`` tuning job is *not* stopped: it runs on and ends on its own. Source: Step
    Functions developer guide, "State machine structure" (TimeoutSeconds: "the execution
    fails with a States.Timeout error", status TIMED_OUT); DESIGN.md ("An execution's
    timeout does not stop a .sync job").
17. **SageMaker HyperParameter Tuning Job State Change events**: each status a simulated
    tuning job enters (InProgress at creation, Stopping, Completed, Failed, Stopped) is
    sent, in SageMaker's shape (source ``aws.sagemaker``, ``resources`` the job ARN,
    ``detail`` the Describe response at that moment with epoch-millisecond times and
    ``Tags`` as a map), even when the clock jumps over it, and routed as in 14 (same
    delay, duplicates and drops). A job created in the past (a parent) sends nothing of
    its past. Source: SageMaker developer guide, "Events that Amazon SageMaker AI sends
    to Amazon EventBridge" (hyperparameter tuning job state change; SageMaker "may send
    multiple events ... for each state change": use ``event_deliveries=2``).
18. **Callbacks** (``arn:aws:states:::lambda:invoke.waitForTaskToken``): the in-process
    Lambda gets ``$$.Task.Token``; SendTaskSuccess, SendTaskFailure (error and cause)
    and SendTaskHeartbeat from any Lambda (boto3) complete or extend the task, at once
    or later (e.g. from a rule's target). The task's ``TimeoutSeconds`` (States.Timeout)
    and ``HeartbeatSeconds`` (States.HeartbeatTimeout) count simulated seconds; while a
    task waits, time moves to each simulated tuning job's next status change (or
    schedule's next invocation) and the deliveries they cause run before time moves on;
    with ``time_scale=math.inf`` a wait nothing in the simulation ends jumps straight to
    its timeout (send a token from a test's own thread only at a finite time scale,
    e.g. ``time_scale=3600``). A heartbeat for a task without
    HeartbeatSeconds is accepted. Source: Step Functions developer guide, "Wait for a
    Callback with Task Token" and "Error names" (States.HeartbeatTimeout); Step
    Functions API reference, SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat.
19. **EventBridge Scheduler rate schedules** (``AWS::Scheduler::Schedule``,
    ``rate(value unit)``, ENABLED) whose target is a Lambda function of the template:
    it is invoked every interval of simulated time while the engine runs (Scheduler's
    context attributes filled into its Input),
    first one interval after the deploy, once per scheduled moment even when the clock
    jumps over several; a FLEXIBLE window delays each invocation to the window's end
    (the latest moment allowed). Lambda targets are invoked asynchronously (retries as
    in 14), ``event_deliveries`` times. ``LocalEngine(run_schedules=False)`` or
    ``engine.schedules.enabled = False`` switches them off; ``cron``/``at`` schedules do
    not run. Source: EventBridge Scheduler user guide, "Schedule types on EventBridge
    Scheduler" and "Configuring flexible time windows" (see :mod:`.schedules`).
"""

from __future__ import annotations

import io
import json
import logging
import math
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from . import moto_internals
from .clock import SimulatedClock
from .events_router import Delivery, EventRouter, RouterTargets
from .iam_policy import RolePolicy
from .job_events import TuningJobEvents
from .schedules import Schedules
from .lambda_runtime import InProcessFunction, InProcessLambdaRuntime
from .simulated_jobs import SimulatedSageMaker, StatusPath
from .status_events import execution_status_change
from .template import (
    LambdaSpec,
    ResolveContext,
    TableSpec,
    TemplateError,
    check_definition_supported,
    load_template,
    parse_template,
)

__all__ = ["ExecutionResult", "ExecutionTimeout", "LocalEngine", "StateEvent", "SYNC_OUTPUTS"]

#: The readings of a finished ``.sync`` task's output: "thin" (the default, what outputs
#: captured on AWS carry) and "full" (the whole Describe response).
SYNC_OUTPUTS = ("thin", "full")

_MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
_ROLE_NAME = "warm-start-tuning-local"
_TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_POLL_REAL_SECONDS = 0.01
_INTERPRETER_LOGGER = "moto.stepfunctions.parser"


@dataclass(frozen=True)
class StateEvent:
    """A state entered or exited, as the engine saw it in the execution history."""

    kind: str  # "entered" | "exited"
    name: str
    state_type: str  # "Task", "Wait", "Choice", "Pass", "Map", "Parallel", ...
    elapsed_s: float  # simulated seconds since the execution started
    timestamp: datetime  # simulated moment
    data: Any  # the state's input (entered) or output (exited), parsed JSON


@dataclass
class ExecutionResult:
    execution_arn: str
    name: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED | RUNNING
    output: Any | None
    error: str | None
    cause: str | None
    #: (state name, simulated seconds since the start) for every state entered, in order.
    states_entered: list[tuple[str, float]]
    history_events: int
    history: list[dict[str, Any]] = field(repr=False)
    start_time: datetime | None = None
    stop_time: datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def duration_s(self) -> float | None:
        """Simulated seconds from start to stop (None while running)."""
        if self.start_time is None or self.stop_time is None:
            return None
        return (self.stop_time - self.start_time).total_seconds()

    def cause_json(self) -> Any:
        """The cause parsed as JSON (Lambda errors, failed jobs); the text otherwise."""
        if self.cause is None:
            return None
        try:
            return json.loads(self.cause)
        except json.JSONDecodeError:
            return self.cause

    def events(self, event_type: str) -> list[dict[str, Any]]:
        """History events of one type, e.g. ``"TaskFailed"``."""
        return [event for event in self.history if event.get("type") == event_type]


class ExecutionTimeout(TimeoutError):
    """The execution did not finish within the real-time budget; it was stopped."""

    def __init__(self, message: str, result: ExecutionResult) -> None:
        super().__init__(message)
        self.result = result


class LocalEngine:
    """Step Functions + Lambda + SageMaker tuning jobs, locally, on simulated time.

    ``time_scale``: simulated seconds per real second of sleep (``math.inf``: never
    sleep). ``sync_poll_seconds``: how often (simulated) a ``.sync`` task describes its
    tuning job. ``default_tuning_status_path``: how jobs the pipeline creates behave
    unless :meth:`SimulatedSageMaker.plan` says otherwise. ``quiet``: silence moto's
    interpreter log, which reports every error a Catch or Retry handles as an ERROR.
    ``event_deliveries``: how many times each event reaches each target (at least
    once). ``event_delay_seconds``: simulated seconds between an event and its delivery.
    ``list_executions_lag_seconds``: how long a new execution stays out of
    ListExecutions. ``run_schedules``: invoke the template's rate schedules as
    simulated time passes (False: never).
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        region: str = "us-east-1",
        start_time: datetime | None = None,
        sync_poll_seconds: float = 60.0,
        sync_output: str = "thin",
        default_tuning_status_path: StatusPath = (("InProgress", 1800.0), ("Completed", None)),
        stack_name: str = "local",
        quiet: bool = True,
        event_deliveries: int = 1,
        list_executions_lag_seconds: float = 0.0,
        event_delay_seconds: float = 1.0,
        run_schedules: bool = True,
    ) -> None:
        if isinstance(event_deliveries, bool) or not isinstance(event_deliveries, int) or event_deliveries < 1:
            raise ValueError(f"event_deliveries must be an int >= 1, got {event_deliveries!r}")
        #: How many times :meth:`deliver` starts a rule target per event (at-least-once).
        self.event_deliveries = event_deliveries
        if sync_output not in SYNC_OUTPUTS:
            raise ValueError(f"sync_output must be one of {SYNC_OUTPUTS}, got {sync_output!r}")
        self.region = region
        # moto's default account: the mocked clients and the template's AWS::AccountId.
        self.account_id = "123456789012"
        self.stack_name = stack_name
        self.clock = SimulatedClock(time_scale, start_time)
        self.sagemaker = SimulatedSageMaker(
            self.clock,
            default_status_path=default_tuning_status_path,
            region=region,
            account_id=self.account_id,
        )
        self.lambdas = InProcessLambdaRuntime(region)
        self._hooks = moto_internals.Hooks(
            clock=self.clock,
            sagemaker=self.sagemaker,
            lambdas=self.lambdas,
            sync_poll_seconds=sync_poll_seconds,
            sync_output=sync_output,
            list_executions_lag_seconds=list_executions_lag_seconds,
        )
        #: The default event bus and the rules deployed on it (see :meth:`put_events`).
        self.eventbridge = EventRouter(
            self.clock,
            RouterTargets(invoke_lambda=self._invoke_async_target, start_execution=self._start_for_event),
            account=self.account_id,
            region=region,
            delay_seconds=event_delay_seconds,
            deliveries=event_deliveries,
        )
        #: The template's EventBridge Scheduler rate schedules (``run_schedules``: on).
        self.schedules = Schedules(self.clock, self.eventbridge, enabled=run_schedules)
        self.clock.add_listener(self.schedules.check)
        # SageMaker's tuning job state change events, as the simulated jobs change.
        job_events = TuningJobEvents(
            self.sagemaker, self.clock, self.eventbridge.put, account=self.account_id, region=region
        )
        self.clock.add_listener(job_events.check)
        self.sagemaker.on_change = job_events.check
        self._hooks.on_execution_status = self._emit_execution_status
        self._hooks.on_put_events = lambda entry, event_id: self.eventbridge.put({**entry, "EventId": event_id})
        self._hooks.emitting = self.eventbridge.pending
        self._hooks.await_events = self.eventbridge.wait
        self._hooks.seconds_until_next_change = self._seconds_until_next_change
        self._quiet = quiet
        self._log_level: int | None = None
        self._mock: Any = None
        self._closed = False
        self._executions: list[str] = []
        self._tempdirs: list[tempfile.TemporaryDirectory[str]] = []
        self._clients: dict[str, Any] = {}

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> LocalEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._mock is not None

    def start(self) -> None:
        """Start moto and install the patches (``with LocalEngine(...)`` does this)."""
        if self._mock is not None:
            return
        if self._closed:
            # moto's state is gone with the mock; the simulated jobs and clock are not.
            raise RuntimeError("a LocalEngine runs once: create a new one")
        from moto import mock_aws

        moto_internals.install(self._hooks)
        try:
            self._mock = mock_aws(config=_MOTO_CONFIG)
            self._mock.start()
        except BaseException:
            self._mock = None
            moto_internals.uninstall()
            raise
        if self._quiet:
            interpreter_log = logging.getLogger(_INTERPRETER_LOGGER)
            self._log_level = interpreter_log.level
            interpreter_log.setLevel(logging.CRITICAL)
        self.sagemaker.create_via_api = lambda request: self._client(
            "sagemaker"
        ).create_hyper_parameter_tuning_job(**request)

    def close(self) -> None:
        """Stop running executions, remove the patches and stop moto."""
        if self._mock is None:
            return
        try:
            self._stop_running_executions()
            self.eventbridge.close(timeout_s=2.0)
            moto_internals.join_execution_threads(timeout=2.0)
        finally:
            self.sagemaker.create_via_api = None
            self.lambdas.close()
            self._clients.clear()
            try:
                self._mock.stop()
            finally:
                self._mock = None
                self._closed = True
                moto_internals.uninstall()
                if self._log_level is not None:
                    logging.getLogger(_INTERPRETER_LOGGER).setLevel(self._log_level)
                    self._log_level = None
                for tempdir in self._tempdirs:
                    tempdir.cleanup()
                self._tempdirs.clear()

    def _stop_running_executions(self) -> None:
        sfn = self._client("stepfunctions")
        running = []
        for arn in self._executions:
            try:
                if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
                    self.stop(arn)
                    running.append(arn)
            except Exception:  # noqa: BLE001 - best effort while shutting down
                pass
        deadline = time.monotonic() + 2.0
        for arn in running:
            while time.monotonic() < deadline:
                try:
                    if sfn.describe_execution(executionArn=arn)["status"] != "RUNNING":
                        break
                except Exception:  # noqa: BLE001
                    break
                time.sleep(_POLL_REAL_SECONDS)

    def _require_running(self) -> None:
        if self._mock is None:
            raise RuntimeError("the LocalEngine is not started: use `with LocalEngine(...) as engine:`")

    def _client(self, service: str) -> Any:
        """The engine's own clients: no SDK retries, so injected errors surface at once."""
        self._require_running()
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service,
                region_name=self.region,
                config=Config(retries={"total_max_attempts": 1}),
            )
        return self._clients[service]

    def client(self, service: str) -> Any:
        """A boto3 client of the mocked account and region (e.g. to inspect moto)."""
        self._require_running()
        import boto3

        return boto3.client(service, region_name=self.region)

    # --- deploy ------------------------------------------------------------------------

    def deploy(
        self,
        template: Mapping[str, Any] | str | Path,
        *,
        state_machine: str | None = None,
        name: str | None = None,
        assets_root: str | Path | None = None,
        asset_dirs: Mapping[str, str | Path] | None = None,
    ) -> str:
        """Create a synthesized template's state machine and what it calls; its ARN.

        ``template``: the template dict, its JSON text, or the path of a
        ``*.template.json`` (its folder is where ``aws:asset:path`` metadata points).
        ``state_machine``: logical id (or part of it) when the template has several.
        ``asset_dirs``: handler folders by Lambda logical id or function name, to
        override the template's assets. A Python Lambda whose asset folder is gone
        falls back to the package's validator asset when its handler module is there.
        Deploying again updates the definition in place.
        """
        self._require_running()
        body, template_dir = load_template(template)
        root = Path(assets_root) if assets_root is not None else template_dir
        context = ResolveContext(region=self.region, account_id=self.account_id, stack_name=self.stack_name)
        parsed = parse_template(body, context, assets_root=root)
        spec = parsed.state_machine(state_machine)
        check_definition_supported(spec.definition)  # InvalidDefinitionError as on AWS
        definition_text = json.dumps(spec.definition)

        role_arn = self._role_arn()
        overrides = {k: Path(v) for k, v in (asset_dirs or {}).items()}
        # Lambda functions that rules deliver to must run too.
        targets_text = json.dumps(
            [rule.targets for rule in parsed.rules.values()]
            + [schedule.target for schedule in parsed.schedules.values()]
        )
        for lambda_spec in parsed.lambdas.values():
            referenced = lambda_spec.arn in definition_text or (
                f'"{lambda_spec.function_name}"' in definition_text
            ) or lambda_spec.arn in targets_text
            self._deploy_lambda(lambda_spec, role_arn, overrides, required=referenced)
        for table in parsed.tables.values():
            self._deploy_table(table)
        for rule in parsed.rules.values():
            self.eventbridge.register(rule)
        for schedule in parsed.schedules.values():
            self.schedules.register(schedule)
        for topic in parsed.topics.values():
            self._client("sns").create_topic(Name=topic)
        for bus in parsed.event_buses.values():
            events = self._client("events")
            try:
                events.create_event_bus(Name=bus)
            except events.exceptions.ResourceAlreadyExistsException:
                pass

        sfn = self._client("stepfunctions")
        machine_name = name or spec.name
        arn = f"arn:aws:states:{self.region}:{self.account_id}:stateMachine:{machine_name}"
        if spec.role_statements is not None and isinstance(spec.role_arn, str):
            self._hooks.policies[arn] = RolePolicy(spec.role_arn, spec.role_statements)
        else:
            self._hooks.policies.pop(arn, None)
        existing = {m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}
        if arn in existing:
            sfn.update_state_machine(stateMachineArn=arn, definition=definition_text, roleArn=role_arn)
            return arn
        return sfn.create_state_machine(
            name=machine_name,
            definition=definition_text,
            roleArn=role_arn,
            type=spec.state_machine_type or "STANDARD",
        )["stateMachineArn"]

    def deploy_definition(self, definition: Mapping[str, Any], *, name: str = "local-state-machine") -> str:
        """Create a state machine from a plain ASL definition (no template); its ARN."""
        return self.deploy(
            {
                "Resources": {
                    "StateMachine": {
                        "Type": "AWS::StepFunctions::StateMachine",
                        "Properties": {"DefinitionString": json.dumps(definition)},
                    }
                }
            },
            name=name,
        )

    def _role_arn(self) -> str:
        iam = self._client("iam")
        try:
            return iam.get_role(RoleName=_ROLE_NAME)["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
            return iam.create_role(RoleName=_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
                "Arn"
            ]

    def _deploy_table(self, spec: TableSpec) -> None:
        """CreateTable as CloudFormation would call it; a table that exists already (a
        redeploy) is left as it is. TTL is recorded, not enforced: moto does not expire
        items (neither does DynamoDB promptly: it deletes expired items "within a few
        days", DynamoDB developer guide, "Time to Live")."""
        ddb = self._client("dynamodb")
        request: dict[str, Any] = {
            "TableName": spec.name,
            "KeySchema": list(spec.key_schema),
            "AttributeDefinitions": list(spec.attribute_definitions),
            "BillingMode": spec.billing_mode,
        }
        if spec.billing_mode == "PROVISIONED":
            request["ProvisionedThroughput"] = spec.provisioned_throughput or {
                "ReadCapacityUnits": 5,
                "WriteCapacityUnits": 5,
            }
        if spec.global_secondary_indexes:
            request["GlobalSecondaryIndexes"] = list(spec.global_secondary_indexes)
        if spec.local_secondary_indexes:
            request["LocalSecondaryIndexes"] = list(spec.local_secondary_indexes)
        if spec.stream_specification:
            request["StreamSpecification"] = {"StreamEnabled": True, **spec.stream_specification}
        if spec.sse_specification:
            request["SSESpecification"] = {
                ("Enabled" if k == "SSEEnabled" else k): v for k, v in spec.sse_specification.items()
            }
        try:
            ddb.create_table(**request)
        except ddb.exceptions.ResourceInUseException:
            return  # redeploy: the table and its items stay
        if spec.time_to_live and spec.time_to_live.get("AttributeName"):
            ddb.update_time_to_live(
                TableName=spec.name,
                TimeToLiveSpecification={
                    "AttributeName": spec.time_to_live["AttributeName"],
                    "Enabled": bool(spec.time_to_live.get("Enabled", True)),
                },
            )
        if spec.point_in_time_recovery:
            ddb.update_continuous_backups(
                TableName=spec.name,
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )

    def _asset_for(self, spec: LambdaSpec, overrides: Mapping[str, Path]) -> Path | None:
        for key in (spec.logical_id, spec.function_name):
            if key in overrides:
                return overrides[key]
        if spec.asset_dir is not None and spec.asset_dir.is_dir():
            return spec.asset_dir
        if spec.inline_code is not None:
            tempdir = tempfile.TemporaryDirectory(prefix="wst-inline-")
            self._tempdirs.append(tempdir)
            Path(tempdir.name, "index.py").write_text(spec.inline_code, encoding="utf-8")
            return Path(tempdir.name)
        from .._paths import validator_asset_dir

        fallback = validator_asset_dir()
        module = spec.handler.rpartition(".")[0]
        if module and (fallback / (module.replace(".", "/") + ".py")).is_file():
            return fallback
        return None

    def _deploy_lambda(
        self, spec: LambdaSpec, role_arn: str, overrides: Mapping[str, Path], *, required: bool
    ) -> None:
        python = spec.runtime is None or str(spec.runtime).startswith("python")
        asset = self._asset_for(spec, overrides) if python else None
        if required and asset is None:
            raise TemplateError(
                f"Lambda {spec.logical_id} ({spec.handler!r}, runtime {spec.runtime}) is called by "
                "the state machine but the local engine cannot run it: "
                + ("only Python handlers run in-process" if not python else "its asset folder is "
                   f"missing ({spec.asset_dir}); pass asset_dirs={{{spec.logical_id!r}: folder}}")
            )
        lam = self._client("lambda")
        try:
            lam.get_function(FunctionName=spec.function_name)
        except lam.exceptions.ResourceNotFoundException:
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as zipped:
                zipped.writestr("README", "code runs in-process from its asset folder")
            lam.create_function(
                FunctionName=spec.function_name,
                Runtime=spec.runtime or "python3.12",
                Role=role_arn,
                Handler=spec.handler or "index.handler",
                Code={"ZipFile": archive.getvalue()},
                Timeout=spec.timeout,
                Environment={"Variables": dict(spec.environment)},
            )
        if asset is not None:
            self.lambdas.register(
                InProcessFunction(
                    name=spec.function_name,
                    arn=spec.arn,
                    handler=spec.handler,
                    asset_dir=asset,
                    environment=dict(spec.environment),
                    timeout=spec.timeout,
                )
            )

    # --- executions --------------------------------------------------------------------

    def start_execution(
        self, state_machine_arn: str, input: Any = None, *, name: str | None = None
    ) -> str:
        """Start an execution (always named, as on AWS); its ARN."""
        text = input if isinstance(input, str) else json.dumps({} if input is None else input)
        response = self._client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name or str(uuid.uuid4()), input=text
        )
        self._executions.append(response["executionArn"])
        self._hooks.execution_starts[response["executionArn"]] = self.clock.now()
        return response["executionArn"]

    def fail_put_events(self, times: int = 1) -> None:
        """Make the next ``times`` EventBridge PutEvents calls fail every entry
        (``InternalFailure``; Step Functions reports ``EventBridge.FailedEntry``)."""
        self._hooks.put_events_failures += times

    # --- events ----------------------------------------------------------------------

    def put_events(self, entries: Mapping[str, Any] | list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Put events on their bus (the default one unless ``EventBusName`` says
        otherwise) and route them through the deployed rules, as EventBridge does:
        each target of each matching rule gets its input ``event_delay_seconds``
        simulated seconds later, on a thread of its own, ``event_deliveries`` times.
        ``entries``: a full event (``source``, ``detail-type``, ``detail``, ...), a
        PutEvents entry (``Source``, ``DetailType``, ``Detail`` as JSON text), or a
        list of them. PutEvents' answer: one ``{"EventId": ...}`` per entry."""
        self._require_running()
        return self.eventbridge.put(entries)

    def drop_events(self, count: int = 1, *, detail_type: str | None = None) -> None:
        """Lose the next ``count`` events (of ``detail_type``, when given) that a rule
        would deliver: AWS services send their events best effort."""
        self.eventbridge.drop(count, detail_type)

    def wait_for_events(self, timeout_s: float = 30.0) -> None:
        """Wait until every pending delivery (and what it caused) is done; TimeoutError
        after ``timeout_s`` real seconds."""
        if not self.eventbridge.wait(timeout_s):
            raise TimeoutError(f"event deliveries still pending after {timeout_s} s")

    @property
    def event_log(self) -> list[Delivery]:
        """Every delivery attempt (and dropped event) so far, in order."""
        return list(self.eventbridge.deliveries)

    def _seconds_until_next_change(self) -> float | None:
        waits = [w for w in (self.sagemaker.seconds_until_next_change(), self.schedules.seconds_until_next_due())
                 if w is not None]
        return min(waits) if waits else None

    def _emit_execution_status(self, description: dict[str, Any]) -> None:
        self.eventbridge.put(
            execution_status_change(description, account=self.account_id, region=self.region, now=self.clock.now())
        )

    def _invoke_async_target(self, function_arn: str, payload: bytes) -> tuple[bytes, str | None] | None:
        function = self.lambdas.get(function_arn)
        if function is None:
            return None
        return self.lambdas.invoke(function, payload)

    def _start_for_event(self, state_machine_arn: str, execution_input: Any) -> str | None:
        try:
            return self.start_execution(state_machine_arn, execution_input)
        except Exception:  # noqa: BLE001 - recorded as a failed delivery
            return None

    def deliver(self, state_machine_arn: str, target: Mapping[str, Any], event: Mapping[str, Any]) -> list[str]:
        """Deliver ``event`` to a rule's Step Functions ``target`` (a template's
        ``Targets`` entry) as EventBridge does: ``event_deliveries`` times (at least
        once), each a StartExecution with the target's input and a name of EventBridge's
        choosing. The execution ARNs."""
        from .eventbridge import target_input

        execution_input = target_input(target, event)
        return [self.start_execution(state_machine_arn, execution_input) for _ in range(self.event_deliveries)]

    def run(
        self,
        state_machine_arn: str,
        input: Any = None,
        *,
        name: str | None = None,
        on_state: Callable[[StateEvent], None] | None = None,
        timeout_s: float = 60.0,
    ) -> ExecutionResult:
        """Start an execution and wait for its end (``timeout_s`` in real seconds)."""
        execution_arn = self.start_execution(state_machine_arn, input, name=name)
        return self.wait(execution_arn, on_state=on_state, timeout_s=timeout_s)

    def wait(
        self,
        execution_arn: str,
        *,
        on_state: Callable[[StateEvent], None] | None = None,
        timeout_s: float = 60.0,
    ) -> ExecutionResult:
        """Wait for an execution to end, calling ``on_state`` for each state entered
        and exited as it happens. ExecutionTimeout (after stopping it) when it runs
        longer than ``timeout_s`` real seconds."""
        sfn = self._client("stepfunctions")
        deadline = time.monotonic() + timeout_s
        reported = 0
        while True:
            status = sfn.describe_execution(executionArn=execution_arn)["status"]
            if on_state is not None:
                reported = self._report(execution_arn, on_state, reported)
            if status in _TERMINAL:
                if on_state is not None:
                    self._report(execution_arn, on_state, reported)
                # The status change event is put right after the status is set.
                self.eventbridge.settle()
                return self.result(execution_arn)
            if time.monotonic() > deadline:
                self.stop(
                    execution_arn, error="LocalEngine.Timeout", cause=f"still running after {timeout_s} s"
                )
                result = self._settled_result(execution_arn)
                raise ExecutionTimeout(
                    f"{execution_arn} still running after {timeout_s} real seconds "
                    f"({self.clock.elapsed():.0f} simulated); it was stopped",
                    result,
                )
            time.sleep(_POLL_REAL_SECONDS)

    def stop(self, execution_arn: str, *, error: str | None = None, cause: str | None = None) -> None:
        """StopExecution: the execution ends ABORTED; a running ``.sync`` tuning job is
        stopped (StopHyperParameterTuningJob), as Step Functions does."""
        sfn = self._client("stepfunctions")
        kwargs = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        for _attempt in range(100):
            try:
                sfn.stop_execution(executionArn=execution_arn, **kwargs)
                return
            except Exception as problem:  # noqa: BLE001
                # Right after StartExecution moto's worker may not have its environment yet.
                if "NoneType" not in str(problem) and "env" not in str(problem):
                    raise
                time.sleep(_POLL_REAL_SECONDS)
        raise RuntimeError(f"could not stop {execution_arn}")

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        """The execution's history events (boto3 shapes; timestamps in simulated time)."""
        sfn = self._client("stepfunctions")
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def _settled_result(self, execution_arn: str, grace_s: float = 5.0) -> ExecutionResult:
        """The result once a stop has taken effect: moto's worker ends the execution on
        its own thread, so the status may read RUNNING for a moment after stop()."""
        give_up = time.monotonic() + grace_s
        result = self.result(execution_arn)
        while result.status not in _TERMINAL and time.monotonic() < give_up:
            time.sleep(_POLL_REAL_SECONDS)
            result = self.result(execution_arn)
        return result

    def result(self, execution_arn: str) -> ExecutionResult:
        """The execution as it is now."""
        description = self._client("stepfunctions").describe_execution(executionArn=execution_arn)
        history = self.history(execution_arn)
        start = _start_time(history, description)
        entered = []
        for event in history:
            if event["type"].endswith("StateEntered"):
                details = event.get("stateEnteredEventDetails", {})
                entered.append((details.get("name", ""), _elapsed(event["timestamp"], start)))
        output = description.get("output")
        return ExecutionResult(
            execution_arn=execution_arn,
            name=description.get("name", ""),
            status=description["status"],
            output=json.loads(output) if output is not None else None,
            error=description.get("error"),
            cause=description.get("cause"),
            states_entered=entered,
            history_events=len(history),
            history=history,
            start_time=start,
            stop_time=description.get("stopDate"),
        )

    def _report(self, execution_arn: str, on_state: Callable[[StateEvent], None], reported: int) -> int:
        history = self.history(execution_arn)
        start = _start_time(history, None)
        for event in history[reported:]:
            kind = _state_event_kind(event["type"])
            if kind is None:
                continue
            details = event.get("stateEnteredEventDetails") or event.get("stateExitedEventDetails") or {}
            raw = details.get("input") if kind == "entered" else details.get("output")
            try:
                data = json.loads(raw) if isinstance(raw, str) else raw
            except json.JSONDecodeError:
                data = raw
            on_state(
                StateEvent(
                    kind=kind,
                    name=details.get("name", ""),
                    state_type=event["type"][: -len("StateEntered" if kind == "entered" else "StateExited")],
                    elapsed_s=_elapsed(event["timestamp"], start),
                    timestamp=event["timestamp"],
                    data=data,
                )
            )
        return len(history)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"LocalEngine({state}, region={self.region!r}, clock={self.clock!r})"


def _state_event_kind(event_type: str) -> str | None:
    if event_type.endswith("StateEntered"):
        return "entered"
    if event_type.endswith("StateExited"):
        return "exited"
    return None


def _start_time(history: list[dict[str, Any]], description: Mapping[str, Any] | None) -> datetime | None:
    for event in history:
        if event["type"] == "ExecutionStarted":
            return event["timestamp"]
    return description.get("startDate") if description else None


def _elapsed(moment: datetime, start: datetime | None) -> float:
    if start is None:
        return math.nan
    return round((moment - start).total_seconds(), 3)
