"""Simulated parent tuning jobs that a deployed warm-start pipeline accepts.

A pipeline validates its request against its parents (same objective, hyperparameters,
algorithm and data, ...), so parents made up by hand are rejected. Here they are made
from the pipeline itself: the request that the synthesized definition hands to its
validator (the ``PrepareRun`` payload) is the request each parent is created with, so
the rules accept them exactly as they accept a parent launched from the same notebook.
The same goes for the default parents and the job-name prefix.

Used by ``warm-start-tuning run-local`` and ``demo``, the behavioural tests and the
benchmarks::

    with LocalEngine(time_scale=3600) as engine:
        arn = engine.deploy("cdk.out/WarmStartTuningExample.template.json")
        pipeline = pipeline_info(engine, arn)
        add_parents(engine, pipeline, status_path=parse_status_path("InProgress=3600,Completed"))
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .simulated_jobs import STATUSES, TERMINAL_STATUSES, StatusPath

__all__ = [
    "DEFAULT_PARENT_STATUS_PATH",
    "PipelineInfo",
    "add_parents",
    "format_status_path",
    "parent_request",
    "parse_status_path",
    "pipeline_info",
    "pipeline_info_from_definition",
]

#: Parents of a local run unless told otherwise: still training for an hour, then done,
#: so that a run shows the wait, its backoff and the end of the wait.
DEFAULT_PARENT_STATUS_PATH: StatusPath = (("InProgress", 3600.0), ("Completed", None))


@dataclass(frozen=True)
class PipelineInfo:
    """What a deployed pipeline's definition says about its runs."""

    #: CreateHyperParameterTuningJob request without name and warm start (as synthesized).
    request: dict[str, Any]
    #: The pipeline's default parents (empty: the execution input must name them).
    default_parents: list[str]
    warm_start_type: str | None
    #: The validator settings: jobNamePrefix, trainingJobLimit, failedParentPolicy.
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def job_name_prefix(self) -> str | None:
        prefix = self.settings.get("jobNamePrefix")
        return prefix if isinstance(prefix, str) else None

    def parents_for(self, run_input: Any) -> list[str]:
        """The parents a run with ``run_input`` waits for: the input's, else the defaults."""
        if isinstance(run_input, Mapping):
            named = run_input.get("parents")
            if isinstance(named, list) and named and all(isinstance(p, str) for p in named):
                return list(dict.fromkeys(named))
        return list(self.default_parents)


def _lambda_payloads(states: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every Lambda task's Payload, nested Map/Parallel states included."""
    for state in states.values():
        if not isinstance(state, Mapping):
            continue
        parameters = state.get("Parameters")
        if isinstance(parameters, Mapping) and isinstance(parameters.get("Payload"), Mapping):
            yield parameters["Payload"]
        for branch in [*(state.get("Branches") or []), state.get("Iterator"), state.get("ItemProcessor")]:
            if isinstance(branch, Mapping) and isinstance(branch.get("States"), Mapping):
                yield from _lambda_payloads(branch["States"])


def pipeline_info_from_definition(definition: Mapping[str, Any]) -> PipelineInfo:
    """Read the request, defaults and settings of a WarmStartTuning definition.

    ValueError when the definition holds no warm-start step (not one of this library's
    pipelines, or one whose request is only known at run time).
    """
    prepare = validate = None
    for payload in _lambda_payloads(definition.get("States") or {}):
        if not isinstance(payload.get("request"), Mapping):
            continue
        if payload.get("action") == "prepare" and prepare is None:
            prepare = payload
        elif payload.get("action", "validate") == "validate" and validate is None:
            validate = payload
    chosen = prepare or validate
    if chosen is None:
        raise ValueError(
            "the state machine has no warm-start step with a literal request "
            "(a PrepareRun or ValidateWarmStart Lambda task of WarmStartTuning)"
        )
    defaults = chosen.get("defaults") if isinstance(chosen.get("defaults"), Mapping) else {}
    parents = defaults.get("parents") if isinstance(defaults.get("parents"), list) else []
    warm_start_type = defaults.get("warmStartType") or chosen.get("warmStartType")
    settings = chosen.get("settings") if isinstance(chosen.get("settings"), Mapping) else {}
    return PipelineInfo(
        request=copy.deepcopy(dict(chosen["request"])),
        default_parents=[p for p in parents if isinstance(p, str)],
        warm_start_type=warm_start_type if isinstance(warm_start_type, str) else None,
        settings=dict(settings),
    )


def pipeline_info(engine: Any, state_machine_arn: str) -> PipelineInfo:
    """:func:`pipeline_info_from_definition` of a state machine the engine deployed."""
    described = engine.client("stepfunctions").describe_state_machine(stateMachineArn=state_machine_arn)
    return pipeline_info_from_definition(json.loads(described["definition"]))


def parent_request(pipeline: PipelineInfo, name: str) -> dict[str, Any]:
    """The request a parent of ``pipeline`` was launched with: the pipeline's own."""
    request = copy.deepcopy(pipeline.request)
    request["HyperParameterTuningJobName"] = name
    for key in ("WarmStartConfig", "Tags"):
        request.pop(key, None)
    return request


def add_parents(
    engine: Any,
    pipeline: PipelineInfo,
    names: Sequence[str] | None = None,
    *,
    status_path: StatusPath = DEFAULT_PARENT_STATUS_PATH,
    launched: int | None = None,
    completed: int | None = None,
) -> list[dict[str, Any]]:
    """Create ``names`` (default: the pipeline's default parents) in the engine's
    simulated SageMaker with the pipeline's request; their describe responses."""
    chosen = list(pipeline.default_parents if names is None else names)
    return [
        engine.sagemaker.add_tuning_job(
            name,
            parent_request(pipeline, name),
            status_path=status_path,
            launched=launched,
            completed=completed,
        )
        for name in chosen
    ]


# --- status paths as text ------------------------------------------------------------


def parse_status_path(text: str) -> list[tuple[str, float | None]]:
    """``"InProgress=3600,Completed"`` -> ``[("InProgress", 3600.0), ("Completed", None)]``.

    Every step but the last is ``Status=SECONDS`` (``InProgress`` or ``Stopping``); the
    last is a terminal status alone. A lone terminal status means "already that".
    Durations may end in ``s``, ``m``, ``h`` or ``d``. ValueError with the reason otherwise.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty status path; e.g. InProgress=3600,Completed")
    steps: list[tuple[str, float | None]] = []
    parts = [part.strip() for part in text.split(",")]
    for index, part in enumerate(parts):
        status, _, duration = part.partition("=")
        status = _status(status.strip())
        last = index == len(parts) - 1
        if last:
            if status not in TERMINAL_STATUSES or duration:
                raise ValueError(
                    f"{text!r}: the last step must be a terminal status alone "
                    f"({', '.join(TERMINAL_STATUSES)}), got {part!r}"
                )
            steps.append((status, None))
        else:
            if status in TERMINAL_STATUSES:
                raise ValueError(f"{text!r}: terminal status {status} must come last")
            if not duration:
                raise ValueError(f"{text!r}: {status} needs a duration, e.g. {status}=3600")
            steps.append((status, _seconds(duration.strip(), text)))
    return steps


def _status(text: str) -> str:
    for status in STATUSES:
        if status.lower() == text.lower():
            return status
    raise ValueError(f"unknown status {text!r}; use one of {', '.join(STATUSES)}")


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _seconds(text: str, whole: str) -> float:
    unit = _UNITS.get(text[-1:].lower())
    number = text[:-1] if unit is not None else text
    try:
        value = float(number) * (unit or 1.0)
    except ValueError:
        raise ValueError(f"{whole!r}: {text!r} is not a duration (seconds, or 30m, 2h, 1d)") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{whole!r}: duration {text!r} must be a finite number >= 0")
    return value


def format_status_path(path: StatusPath) -> str:
    """``[("InProgress", 3600), ("Completed", None)]`` -> ``"InProgress for 1:00:00, then Completed"``."""
    words = []
    for status, seconds in path:
        words.append(status if seconds is None else f"{status} for {format_duration(seconds)}")
    return ", then ".join(words)


def format_duration(seconds: float) -> str:
    """``H:MM:SS`` (hours may pass 24, as in a long wait)."""
    whole = int(round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
