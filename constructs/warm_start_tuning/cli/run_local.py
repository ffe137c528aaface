"""``warm-start-tuning run-local``: run a synthesized pipeline on the local engine.

No AWS account: Step Functions runs on moto, the validator Lambda runs in-process, and
SageMaker tuning jobs are simulated on a clock that runs ``--time-scale`` times faster
than real time. Before the run, the parents are created in the simulated SageMaker with
the pipeline's own request (so the warm-start rules accept them); by default they are the
input's parents, else the pipeline's default parents, InProgress for an hour and then
Completed.

Prints each state as it is entered, with the simulated time since the start; then the
output, or the error and its cause; then how many states were entered and how many
history events the run wrote (Step Functions stops a Standard workflow at 25,000).

Exit status: 0 the execution SUCCEEDED, 1 it did not, 2 usage error (arguments, input,
template).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from ..local.jsonpath import resolve_path

NAME = "run-local"
HELP = (
    "Run a synthesized pipeline end to end on the local engine (simulated SageMaker and "
    "time, no AWS account) and show each state."
)
PROG = "warm-start-tuning"
DEFAULT_TIME_SCALE = 3600.0
DEFAULT_TIMEOUT_S = 600.0
CDK_OUT = "cdk.out"
#: app.py's pipeline stack: what runs when cdk.out holds several stacks and --stack is not given.
DEFAULT_STACK = "WarmStartTuningExample"
_TEMPLATE_SUFFIX = ".template.json"
_EXECUTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
# A Fail state's cause can be a whole DescribeHyperParameterTuningJob response.
_MAX_CAUSE_CHARS = 2000

SYNTH_HINT = (
    "synthesize your CDK app first (`cdk synth` in your project, which writes cdk.out/), "
    "or pass --app 'python3 app.py' (synthesizes it, no CDK CLI needed) or --template PATH"
)


class UsageError(Exception):
    """Something the user must fix before anything can run (exit 2)."""


# --- arguments -------------------------------------------------------------------------


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the pipeline comes from: shared by run-local and demo."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--template", metavar="PATH",
        help=f"a synthesized template (default: the stack in ./{CDK_OUT}, see --stack)",
    )
    source.add_argument(
        "--app", metavar="COMMAND",
        help="synthesize this CDK app first, e.g. 'python3 app.py' (runs it with CDK_OUTDIR "
             "set; needs no CDK CLI)",
    )
    parser.add_argument(
        "--stack", metavar="NAME",
        help=f"stack to run from {CDK_OUT} or --app (default: {DEFAULT_STACK}, app.py's pipeline, "
             "else the only stack with a state machine)",
    )
    parser.add_argument(
        "--state-machine", metavar="LOGICAL_ID",
        help="state machine logical id (or part of it) when the template has several",
    )
    parser.add_argument(
        "--time-scale", type=time_scale, default=DEFAULT_TIME_SCALE, metavar="N",
        help=f"simulated seconds per real second (default {DEFAULT_TIME_SCALE:g}: an hour "
             "takes a second; 'inf': never sleep)",
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
        help=f"real seconds a run may take before it is stopped (default {DEFAULT_TIMEOUT_S:g})",
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "parents: --parent NAME[:STATUS_PATH], e.g. imgcls-parent-1:InProgress=3600,Completed "
        "or p2:InProgress=2h,Stopping=60,Stopped; STATUS_PATH defaults to InProgress=3600,Completed. "
        "Without --parent, the input's parents (else the pipeline's defaults) are created that way. "
        "Exit status: 0 SUCCEEDED, 1 the execution did not succeed, 2 usage error."
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--input", default="{}", metavar="JSON|@FILE",
        help="execution input: JSON text, or @file.json ('@-' reads stdin). Default: {}",
    )
    parser.add_argument(
        "--schedule", action="store_true",
        help="run with the input of the pipeline's schedule (its AWS::Scheduler::Schedule target), "
             "as the scheduler would start it",
    )
    parser.add_argument(
        "--trigger-object", metavar="[s3://BUCKET/]KEY",
        help="run with the input the new-data trigger's rule would give for this object "
             "(the marker of a batch, e.g. incoming/2024-06-01/_SUCCESS)",
    )
    parser.add_argument(
        "--name", type=_execution_name, metavar="EXECUTION",
        help="execution name (the tuning job's name is derived from it). Default: random",
    )
    parents = parser.add_mutually_exclusive_group()
    parents.add_argument(
        "--parent", action="append", type=parent_spec, metavar="NAME[:STATUS_PATH]",
        help="a parent tuning job to simulate (repeatable); replaces the default parents",
    )
    parents.add_argument(
        "--no-parents", action="store_true",
        help="simulate no parent job (to see ParentTuningJobNotFound)",
    )
    parser.add_argument(
        "--tuning-job", type=status_path, metavar="STATUS_PATH",
        help="how the tuning job the run creates behaves (default InProgress=1800,Completed)",
    )
    parser.add_argument(
        "--json", action="store_true",
        help="print one JSON document at the end instead of the states as they run",
    )


def time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'inf', got {text!r}") from None
    if math.isnan(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0 or 'inf', got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _execution_name(text: str) -> str:
    if not _EXECUTION_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"an execution name is 1-80 letters, digits, '-' or '_', got {text!r}"
        )
    return text


def status_path(text: str) -> list[tuple[str, float | None]]:
    from warm_start_tuning.local.example_parents import parse_status_path

    try:
        return parse_status_path(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parent_spec(text: str) -> tuple[str, list[tuple[str, float | None]] | None]:
    """``NAME`` or ``NAME:STATUS_PATH`` (None: the default status path)."""
    name, sep, path = text.partition(":")
    if not name:
        raise argparse.ArgumentTypeError(f"expected NAME[:STATUS_PATH], got {text!r}")
    return name, status_path(path) if sep else None


def read_input(text: str, stdin: TextIO | None = None) -> Any:
    """``--input``: JSON text or ``@file`` (``@-``: stdin)."""
    where = "--input"
    try:
        if text.startswith("@"):
            path = text[1:]
            where = f"--input {text}"
            if path == "-":
                raw = (stdin or sys.stdin).read()
            else:
                raw = Path(path).read_text(encoding="utf-8")
        else:
            raw = text
        return json.loads(raw)
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {where}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(f"{where} is not valid JSON: {error}") from None


# --- the template ----------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSource:
    path: Path
    stack_name: str


def _stack_name_of(path: Path) -> str:
    name = path.name
    return name[: -len(_TEMPLATE_SUFFIX)] if name.endswith(_TEMPLATE_SUFFIX) else path.stem


def _has_state_machine(path: Path) -> bool:
    try:
        resources = json.loads(path.read_text(encoding="utf-8")).get("Resources") or {}
    except (OSError, ValueError, AttributeError):
        return False
    return any(
        isinstance(r, Mapping) and r.get("Type") == "AWS::StepFunctions::StateMachine"
        for r in resources.values()
    )


def stack_in_assembly(outdir: Path, stack: str | None) -> TemplateSource:
    """The template of ``stack`` (or of the one stack with a state machine) in a cloud assembly."""
    manifest_path = outdir / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no cloud assembly in {outdir}/ (no manifest.json): {SYNTH_HINT}") from None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot read {manifest_path}: {error}") from None
    stacks: dict[str, Path] = {}
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        if isinstance(artifact, Mapping) and artifact.get("type") == "aws:cloudformation:stack":
            template = (artifact.get("properties") or {}).get("templateFile")
            if isinstance(template, str):
                display = artifact.get("displayName")
                stacks[artifact_id] = outdir / template
                if isinstance(display, str) and display != artifact_id:
                    stacks.setdefault(display, outdir / template)
    if not stacks:
        raise UsageError(f"{outdir}/ holds no stack: {SYNTH_HINT}")
    if stack is not None:
        if stack not in stacks:
            raise UsageError(f"no stack {stack!r} in {outdir}/; stacks: {', '.join(sorted(stacks))}")
        chosen = stack
    elif DEFAULT_STACK in stacks:
        chosen = DEFAULT_STACK
    else:
        candidates = sorted({name for name, path in stacks.items() if _has_state_machine(path)})
        candidates = [n for n in candidates if stacks[n].name == f"{n}{_TEMPLATE_SUFFIX}"] or candidates
        if len(candidates) != 1:
            listing = ", ".join(candidates or sorted(stacks))
            raise UsageError(f"{outdir}/ has {len(candidates)} stacks with a state machine ({listing}): pass --stack")
        chosen = candidates[0]
    path = stacks[chosen]
    if not path.is_file():
        raise UsageError(f"{path} is missing: {SYNTH_HINT}")
    return TemplateSource(path=path, stack_name=chosen)


def synth_app(command: str, outdir: Path, *, cwd: Path | None = None) -> None:
    """Run a CDK app the way the CDK CLI does (CDK_OUTDIR, CDK_CONTEXT_JSON), bundling skipped.

    The context of ``cdk.json`` in ``cwd`` is passed on, as ``cdk synth`` would.
    """
    cwd = cwd or Path.cwd()
    context: dict[str, Any] = {}
    cdk_json = cwd / "cdk.json"
    if cdk_json.is_file():
        try:
            found = json.loads(cdk_json.read_text(encoding="utf-8")).get("context")
        except (OSError, ValueError, AttributeError):
            found = None
        if isinstance(found, Mapping):
            context.update(found)
    # The local engine runs the Lambda sources themselves: nothing needs bundling.
    context["aws:cdk:bundling-stacks"] = []
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
    }
    try:
        done = subprocess.run(
            shlex.split(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=600
        )
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise UsageError(f"--app {command!r} could not run: {error}") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-20:])
        raise UsageError(f"--app {command!r} failed (exit {done.returncode}):\n{tail}")


@contextmanager
def template_source(args: argparse.Namespace) -> Iterator[TemplateSource]:
    """The template the arguments name; an --app's assembly lives until the block ends."""
    if getattr(args, "app", None):
        with tempfile.TemporaryDirectory(prefix="wst-synth-") as outdir:
            synth_app(args.app, Path(outdir))
            yield stack_in_assembly(Path(outdir), args.stack)
        return
    if getattr(args, "template", None):
        path = Path(args.template)
        if not path.is_file():
            hint = f": {SYNTH_HINT}" if path.parent.name == CDK_OUT else ""
            raise UsageError(f"no template at {path}{hint}")
        yield TemplateSource(path=path, stack_name=args.stack or _stack_name_of(path))
        return
    yield stack_in_assembly(Path(CDK_OUT), args.stack)


# --- showing a run ---------------------------------------------------------------------

def _statuses_near(data: Any, choice: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The poll result a Choice looks at (``{"statuses": {...}}`` next to its variables)."""
    for rule in choice.get("Choices") or []:
        variable = rule.get("Variable") if isinstance(rule, Mapping) else None
        if isinstance(variable, str) and "." in variable:
            parent = resolve_path(data, variable.rsplit(".", 1)[0])
            if isinstance(parent, Mapping) and isinstance(parent.get("statuses"), Mapping):
                return parent["statuses"]
    return None


def state_details(definition: Mapping[str, Any]) -> dict[str, Callable[[Any], str | None]]:
    """Per state, what is worth showing next to its name when it is entered: a Wait's
    duration, the job statuses a poll Choice decides on."""
    details: dict[str, Callable[[Any], str | None]] = {}
    for name, state in (definition.get("States") or {}).items():
        if not isinstance(state, Mapping):
            continue
        if state.get("Type") == "Wait":
            def wait(data: Any, state: Mapping[str, Any] = state) -> str | None:
                seconds = state.get("Seconds", resolve_path(data, state.get("SecondsPath")))
                return f"wait {seconds:g} s" if isinstance(seconds, (int, float)) else None

            details[name] = wait
        elif state.get("Type") == "Choice":
            def choice(data: Any, state: Mapping[str, Any] = state) -> str | None:
                statuses = _statuses_near(data, state)
                if not statuses:
                    return None
                return ", ".join(f"{job} {status}" for job, status in statuses.items())

            details[name] = choice
    return details


def format_elapsed(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?:??:??"
    from warm_start_tuning.local.example_parents import format_duration

    return format_duration(seconds)


class StatePrinter:
    """``on_state`` callback: one line per state entered, ``[+H:MM:SS] Name  details``."""

    def __init__(
        self,
        definition: Mapping[str, Any] | None = None,
        out: TextIO | None = None,
        indent: str = "",
    ) -> None:
        self._details = state_details(definition or {})
        self._out = out
        self._indent = indent

    def __call__(self, event: Any) -> None:
        if event.kind != "entered":
            return
        line = f"{self._indent}[+{format_elapsed(event.elapsed_s)}] {event.name}"
        detail = self._details.get(event.name)
        extra = detail(event.data) if detail is not None else None
        if extra:
            line = f"{line}  ({extra})"
        print(line, file=self._out or sys.stdout, flush=True)


def violations_of(result: Any) -> list[dict[str, Any]] | None:
    """The violations of a WarmStartValidationError run; None for other outcomes.

    The Fail state's cause is the Lambda error (``{"errorType", "errorMessage", ...}``)
    whose message is ``{"violations": [...]}``.
    """
    cause = result.cause_json() if result.cause is not None else None
    if isinstance(cause, Mapping) and isinstance(cause.get("errorMessage"), str):
        try:
            cause = json.loads(cause["errorMessage"])
        except json.JSONDecodeError:
            return None
    if isinstance(cause, Mapping) and isinstance(cause.get("violations"), list):
        return [v for v in cause["violations"] if isinstance(v, Mapping)]
    return None


def failure_lines(result: Any) -> list[str]:
    """The error and a readable cause of a run that did not succeed."""
    lines = [f"{result.status}: {result.error or '(no error name)'}"]
    violations = violations_of(result)
    if violations is not None:
        for violation in violations:
            parent = f" {violation['parent']}" if violation.get("parent") else ""
            lines.append(f"  {violation.get('code')}{parent}: {violation.get('message')}")
        return lines
    cause = result.cause_json()
    if isinstance(cause, Mapping) and "HyperParameterTuningJobStatus" in cause:
        reason = cause.get("FailureReason")
        lines.append(
            f"  tuning job {cause.get('HyperParameterTuningJobName')} ended "
            f"{cause['HyperParameterTuningJobStatus']}" + (f": {reason}" if reason else "")
        )
    elif isinstance(cause, Mapping) and "errorType" in cause:
        lines.append(f"  {cause.get('errorType')}: {cause.get('errorMessage')}")
    elif result.cause:
        text = result.cause if len(result.cause) <= _MAX_CAUSE_CHARS else result.cause[:_MAX_CAUSE_CHARS] + "..."
        lines.append(f"  {text}")
    return lines


def counts_line(result: Any) -> str:
    return f"states entered: {len(result.states_entered)}, history events: {result.history_events}"


def describe_scale(scale: float) -> str:
    if math.isinf(scale):
        return "simulated time does not wait for real time"
    return f"simulated time: 1 hour takes {3600 / scale:.3g} s"


# --- the run ---------------------------------------------------------------------------


@dataclass
class LocalRun:
    """A deployed pipeline on a running engine, and what it knows about it."""

    engine: Any
    arn: str
    definition: dict[str, Any]
    pipeline: Any  # PipelineInfo, or None when the state machine is not a WarmStartTuning one
    source: TemplateSource
    state_machine_id: str


@contextmanager
def local_pipeline(
    source: TemplateSource,
    *,
    state_machine: str | None,
    scale: float,
    tuning_job: Sequence[tuple[str, float | None]] | None = None,
) -> Iterator[LocalRun]:
    """Start an engine and deploy the template's state machine (UsageError if it cannot)."""
    require_local_engine()
    from warm_start_tuning.local import LocalEngine, TemplateError
    from warm_start_tuning.local.example_parents import pipeline_info_from_definition

    kwargs: dict[str, Any] = {"time_scale": scale, "stack_name": source.stack_name}
    if tuning_job is not None:
        kwargs["default_tuning_status_path"] = tuning_job
    with LocalEngine(**kwargs) as engine:
        try:
            arn = engine.deploy(source.path, state_machine=state_machine)
        except (TemplateError, ValueError) as error:
            raise UsageError(f"{source.path}: {error}") from None
        described = engine.client("stepfunctions").describe_state_machine(stateMachineArn=arn)
        definition = json.loads(described["definition"])
        try:
            pipeline = pipeline_info_from_definition(definition)
        except ValueError:
            pipeline = None
        yield LocalRun(
            engine=engine,
            arn=arn,
            definition=definition,
            pipeline=pipeline,
            source=source,
            state_machine_id=arn.rsplit(":", 1)[-1],
        )


def create_parents(
    run: LocalRun, specs: Sequence[tuple[str, Sequence[tuple[str, float | None]]]]
) -> None:
    from warm_start_tuning.local.example_parents import parent_request

    for name, path in specs:
        request = parent_request(run.pipeline, name) if run.pipeline is not None else None
        run.engine.sagemaker.add_tuning_job(name, request, status_path=path)


def require_local_engine() -> None:
    """UsageError (one line, exit 2) when the ``[local]`` extra is missing or incomplete."""
    from warm_start_tuning.local.requirements import missing_local_requirements

    problem = missing_local_requirements()
    if problem is not None:
        raise UsageError(problem)


def run(args: argparse.Namespace) -> int:
    try:
        require_local_engine()
        given = [flag for flag, value in (("--input", args.input != "{}"), ("--schedule", args.schedule),
                                          ("--trigger-object", args.trigger_object)) if value]
        if len(given) > 1:
            raise UsageError(f"give one of {', '.join(given)}: each is the whole execution input")
        run_input = read_input(args.input)
        with template_source(args) as source:
            return _run(args, source, run_input)
    except UsageError as error:
        print(f"{PROG} {NAME}: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, source: TemplateSource, run_input: Any) -> int:
    from warm_start_tuning.local import ExecutionTimeout
    from warm_start_tuning.local.example_parents import DEFAULT_PARENT_STATUS_PATH, format_status_path

    quiet = args.json
    out = sys.stdout

    def say(text: str = "") -> None:
        if not quiet:
            print(text, file=out, flush=True)

    with local_pipeline(
        source, state_machine=args.state_machine, scale=args.time_scale, tuning_job=args.tuning_job
    ) as local:
        if getattr(args, "schedule", False):
            run_input = schedule_input(source.path, args.state_machine)
        elif getattr(args, "trigger_object", None):
            bucket = (local.pipeline.settings.get("newDataBucket") if local.pipeline is not None else None)
            run_input = trigger_input(source.path, args.state_machine, args.trigger_object, default_bucket=bucket)
        if args.no_parents:
            specs: list[tuple[str, Sequence[tuple[str, float | None]]]] = []
        elif args.parent:
            specs = [(name, path or DEFAULT_PARENT_STATUS_PATH) for name, path in args.parent]
            repeated = sorted({name for name, _ in specs if [n for n, _ in specs].count(name) > 1})
            if repeated:
                raise UsageError(f"--parent names {', '.join(repeated)} more than once")
        elif local.pipeline is not None and _resumed(run_input):
            # The resumed job is the run's one parent: one that stopped early (resume
            # refuses a job still running), so it has budget left.
            specs = [(_resumed(run_input), [("Stopped", None)])]
        elif local.pipeline is not None:
            specs = [(name, DEFAULT_PARENT_STATUS_PATH) for name in local.pipeline.parents_for(run_input)]
        else:
            specs = []
        say(f"Template: {source.path} (stack {source.stack_name}, state machine {local.state_machine_id})")
        if local.pipeline is None:
            say("note: not a WarmStartTuning state machine: parents get a generic request")
        try:
            create_parents(local, specs)
        except ValueError as error:
            raise UsageError(f"--parent: {error}") from None
        except Exception as error:  # botocore's ParamValidationError: a request SageMaker refuses
            if type(error).__name__ != "ParamValidationError":
                raise
            raise UsageError(
                f"the pipeline's request is not one SageMaker accepts, so no parent can be made from it "
                f"(synthesize it with this version of the library: synth reports each problem): {error}"
            ) from None
        for name, path in specs:
            say(f"Parent {name}: {format_status_path(path)}")
        if not specs:
            say("Parents: none simulated")
        if args.parent and local.pipeline is not None:
            note = parents_note(local.pipeline, run_input, [name for name, _ in args.parent])
            if note:
                say(f"note: {note}")
        name = args.name or f"run-local-{uuid.uuid4().hex[:12]}"
        say(f"Execution {name}, input {json.dumps(run_input)}; {describe_scale(args.time_scale)}")
        say()
        before = set(local.engine.sagemaker.jobs)
        printer = None if quiet else StatePrinter(local.definition, out)
        try:
            # As JSON text: any JSON value ("hello", null, a list) is an input, as on AWS.
            result = local.engine.run(
                local.arn, json.dumps(run_input), name=name, on_state=printer, timeout_s=args.timeout
            )
            timed_out = False
        except ExecutionTimeout as error:
            result, timed_out = error.result, True
        created = [job for job in local.engine.sagemaker.jobs if job not in before]

        if quiet:
            print(json.dumps(_json_summary(result, specs, created, local), indent=2, default=str))
        else:
            say()
            if timed_out:
                say(f"STOPPED: still running after {args.timeout:g} real seconds "
                    "(raise --timeout or --time-scale)")
            if result.succeeded:
                say(f"SUCCEEDED after {format_elapsed(result.duration_s or 0.0)} (simulated)")
                say(json.dumps(result.output, indent=2, default=str))
            else:
                for line in failure_lines(result):
                    say(line)
            say(_created_line(local.engine, created))
            if getattr(args, "schedule", False) or getattr(args, "trigger_object", None):
                line = input_data_line(local.engine, created)
                if line:
                    say(line)
            say(counts_line(result))
    return 0 if result.succeeded else 1


def _resumed(run_input: Any) -> str | None:
    resume = run_input.get("resume") if isinstance(run_input, Mapping) else None
    return resume if isinstance(resume, str) and resume else None


def _named_parents(run_input: Any) -> list[str] | None:
    named = run_input.get("parents") if isinstance(run_input, Mapping) else None
    if isinstance(named, list) and named and all(isinstance(p, str) for p in named):
        return list(dict.fromkeys(named))
    return None


def parents_note(pipeline: Any, run_input: Any, simulated: Sequence[str]) -> str | None:
    """What the run will actually wait for, when the simulated --parent jobs are not it:
    a resumed job, the automatically selected newest jobs, or the input's/defaults."""
    resumed = _resumed(run_input)
    if resumed is not None:
        if resumed in simulated:
            return None
        return (f"this run resumes {resumed} (its one parent), which is not simulated; add "
                f"--parent {resumed}:Stopped")
    named = _named_parents(run_input) or list(pipeline.default_parents)
    if not named:
        prefix = pipeline.job_name_prefix
        if prefix and all(name.startswith(f"{prefix}-") for name in simulated):
            return None
        return (f"this run chooses its parents automatically among the pipeline's own jobs ({prefix}-*); "
                f"the simulated {', '.join(n for n in simulated if not (prefix and n.startswith(f'{prefix}-')))} "
                "cannot be chosen: name parents with \"parents\" in --input")
    if sorted(named) != sorted(simulated):
        return f"this run waits for {', '.join(named)}; name others with \"parents\" in --input"
    return None


# --- inputs of the pipeline's own triggers ------------------------------------------------


def _resources(path: Path, resource_type: str) -> dict[str, Mapping[str, Any]]:
    try:
        resources = json.loads(path.read_text(encoding="utf-8")).get("Resources") or {}
    except (OSError, ValueError, AttributeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    return {k: r for k, r in resources.items() if isinstance(r, Mapping) and r.get("Type") == resource_type}


def _one_for_state_machine(found: dict[str, Any], state_machine: str | None, what: str, path: Path) -> Any:
    """The one ``found`` item whose target names ``state_machine`` (or the only one)."""
    if state_machine:
        found = {k: v for k, v in found.items() if state_machine in json.dumps(v[0])}
    if not found:
        raise UsageError(f"{path}: no {what} starts this state machine (give the pipeline {what.split()[0]}= prop)")
    if len(found) > 1:
        raise UsageError(f"{path}: {len(found)} {what}s ({', '.join(sorted(found))}): pass --state-machine")
    return next(iter(found.values()))[1]


def _literal_text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        if all(isinstance(part, str) for part in parts):
            return separator.join(parts)
    raise UsageError(f"{what} refers to other resources (CloudFormation references): run-local cannot resolve it")


def schedule_input(path: Path, state_machine: str | None) -> Any:
    """The execution input of the schedule that starts the state machine, with the
    scheduler's context attributes filled in as the scheduler would."""
    schedules = {
        k: (r.get("Properties", {}).get("Target", {}).get("Arn"), r.get("Properties", {}).get("Target", {}))
        for k, r in _resources(path, "AWS::Scheduler::Schedule").items()
    }
    target = _one_for_state_machine(schedules, state_machine, "schedule", path)
    text = _literal_text(target.get("Input", "{}"), "the schedule's input")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for attribute, value in (("scheduled-time", now), ("execution-id", str(uuid.uuid4())),
                             ("attempt-number", "1"), ("schedule-arn", "arn:aws:scheduler:local:schedule/run-local")):
        text = text.replace(f"<aws.scheduler.{attribute}>", value)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"the schedule's input is not JSON: {error}") from None


def trigger_input(path: Path, state_machine: str | None, obj: str, *, default_bucket: str | None = None) -> Any:
    """The execution input the new-data rule's input transformer would give for an S3
    "Object Created" event of ``obj`` (``s3://bucket/key`` or a key)."""
    rules: dict[str, Any] = {}
    for logical_id, rule in _resources(path, "AWS::Events::Rule").items():
        props = rule.get("Properties", {})
        pattern = props.get("EventPattern") or {}
        if "aws.s3" not in (pattern.get("source") or []):
            continue
        for target in props.get("Targets") or []:
            rules[logical_id] = (target.get("Arn"), (pattern, target))
    pattern, target = _one_for_state_machine(rules, state_machine, "new_data_trigger rule", path)
    if obj.startswith("s3://"):
        bucket, _, key = obj[len("s3://"):].partition("/")
    else:
        names = ((pattern.get("detail") or {}).get("bucket") or {}).get("name") or []
        bucket = names[0] if names and isinstance(names[0], str) else default_bucket
        key = obj
        if bucket is None:
            raise UsageError("the trigger's bucket is a reference resolved at deploy time: "
                             "give --trigger-object s3://BUCKET/KEY")
    if not key:
        raise UsageError(f"--trigger-object {obj!r}: expected [s3://BUCKET/]KEY")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "version": "0", "id": str(uuid.uuid4()), "detail-type": "Object Created", "source": "aws.s3",
        "account": "123456789012", "time": now, "region": "us-east-1", "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"version": "0", "bucket": {"name": bucket},
                   "object": {"key": key, "size": 0, "etag": uuid.uuid4().hex, "sequencer": "0"},
                   "request-id": "run-local", "requester": "123456789012", "reason": "PutObject"},
    }
    transformer = target.get("InputTransformer")
    if transformer is None:
        text = _literal_text(target.get("Input"), "the rule's input") if "Input" in target else json.dumps(event)
        return json.loads(text)
    template = _literal_text(transformer.get("InputTemplate"), "the rule's input template")
    for name, field in (transformer.get("InputPathsMap") or {}).items():
        value = resolve_path(event, field)
        template = template.replace(f'"<{name}>"', json.dumps(value)).replace(f"<{name}>", json.dumps(value))
    try:
        return json.loads(template)
    except json.JSONDecodeError as error:
        raise UsageError(f"the rule's input template is not JSON: {error}") from None


def input_data_line(engine: Any, created: Sequence[str]) -> str | None:
    """The channels of the (first) created job: where the resolved inputData points."""
    if not created:
        return None
    definition = engine.sagemaker.describe(created[0]).get("TrainingJobDefinition") or {}
    channels = [
        f"{c.get('ChannelName')} = {((c.get('DataSource') or {}).get('S3DataSource') or {}).get('S3Uri')}"
        for c in definition.get("InputDataConfig") or []
    ]
    return "inputData: " + ", ".join(channels) if channels else None


def _created_line(engine: Any, created: Sequence[str]) -> str:
    if not created:
        return "No tuning job was created."
    shown = []
    for job in created:
        status = engine.sagemaker.describe(job)["HyperParameterTuningJobStatus"]
        shown.append(f"{job} ({status})")
    return "Tuning job(s) created: " + ", ".join(shown)


def _json_summary(
    result: Any, specs: Sequence[tuple[str, Sequence[tuple[str, float | None]]]], created: Sequence[str], local: LocalRun
) -> dict[str, Any]:
    return {
        "executionName": result.name,
        "stateMachine": local.state_machine_id,
        "status": result.status,
        "output": result.output,
        "error": result.error,
        "cause": result.cause_json(),
        "violations": violations_of(result),
        "parents": {name: [[status, seconds] for status, seconds in path] for name, path in specs},
        "tuningJobsCreated": list(created),
        "statesEntered": [{"name": name, "elapsedSeconds": elapsed} for name, elapsed in result.states_entered],
        "historyEvents": result.history_events,
        "simulatedSeconds": result.duration_s,
    }
