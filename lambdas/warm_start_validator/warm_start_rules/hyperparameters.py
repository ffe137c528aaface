"""Which hyperparameters a tuning job has, of which type, and what changed vs a parent.

Works on a CreateHyperParameterTuningJob request and on a DescribeHyperParameterTuningJob
response alike (both carry HyperParameterTuningJobConfig + TrainingJobDefinition).
Malformed entries are skipped, never raised on: request_checks reports them.
"""

from __future__ import annotations

import math

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._access import as_dict, get_dict, get_list, quote, show

INTEGER = "Integer"
CONTINUOUS = "Continuous"
CATEGORICAL = "Categorical"
# ParameterRanges.AutoParameters: names (with a ValueHint) whose range and type SageMaker
# chooses (Autotune). They are hyperparameters of the job all the same: they belong to
# the name set that warm start compares, and their type is never compared.
AUTO = "Auto"

# Range type -> key inside HyperParameterTuningJobConfig.ParameterRanges.
RANGE_KEYS: dict[str, str] = {
    INTEGER: "IntegerParameterRanges",
    CONTINUOUS: "ContinuousParameterRanges",
    CATEGORICAL: "CategoricalParameterRanges",
    AUTO: "AutoParameters",
}

# Static keys that SageMaker or the SageMaker Python SDK add on their own: SageMaker
# writes `_tuning_objective_metric` into every tuning job's static hyperparameters, and
# the SDK adds `sagemaker_*` keys (sagemaker_program, sagemaker_submit_directory,
# sagemaker_job_name, ...) whose values change from run to run. They are not the user's
# hyperparameters: counting them would report set mismatches and "changes" that
# SageMaker itself does not count against the warm start.
TUNING_OBJECTIVE_KEY = "_tuning_objective_metric"
RESERVED_PREFIX = "sagemaker_"

# A static value change counts the values it touches when they are categorical: the
# seed's "static red -> blue counts 2" (a categorical counts its values). A change
# between two numbers (epochs 30 -> 40) is one value of a numeric hyperparameter and
# counts 1: counting it 2 would let five epoch/batch-size edits block a valid warm start.
CATEGORICAL_STATIC_CHANGE_COUNT = 2
NUMERIC_STATIC_CHANGE_COUNT = 1


def is_reserved(name: str) -> bool:
    return name == TUNING_OBJECTIVE_KEY or name.startswith(RESERVED_PREFIX)


@dataclass(frozen=True)
class Tunable:
    """One tunable hyperparameter: its type and its range (as written, for messages)."""

    name: str
    kind: str
    values: tuple[str, ...] = ()
    min_value: str | None = None
    max_value: str | None = None

    def describe(self) -> str:
        if self.kind == AUTO:
            return "tunable Auto (range chosen by SageMaker)"
        if self.kind == CATEGORICAL:
            return f"tunable {CATEGORICAL} [{', '.join(quote(v) for v in self.values)}]"
        return f"tunable {self.kind} [{self.min_value}, {self.max_value}]"


@dataclass(frozen=True)
class HyperParameters:
    """User hyperparameters of one job: reserved static keys are already left out."""

    tunable: Mapping[str, Tunable] = field(default_factory=dict)
    static: Mapping[str, str] = field(default_factory=dict)

    def names(self) -> frozenset[str]:
        return frozenset(self.tunable) | frozenset(self.static)


@dataclass(frozen=True)
class Change:
    """A change that counts against the 10-change limit."""

    hyper_parameter: str
    before: str
    after: str
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"hyperParameter": self.hyper_parameter, "from": self.before,
                "to": self.after, "count": self.count}


def training_job_definition(job: Any) -> Mapping[str, Any]:
    """The job's single TrainingJobDefinition.

    A parent created with the plural TrainingJobDefinitions and exactly one definition
    is read through that definition, so that it can still be compared.
    """
    single = get_dict(job, "TrainingJobDefinition")
    if single:
        return single
    plural = get_list(job, "TrainingJobDefinitions")
    return as_dict(plural[0]) if len(plural) == 1 else {}


def parameter_ranges(job: Any) -> Mapping[str, Any]:
    """ParameterRanges of the tuning config, or of the single (plural-form) definition."""
    ranges = get_dict(get_dict(job, "HyperParameterTuningJobConfig"), "ParameterRanges")
    if ranges:
        return ranges
    return get_dict(training_job_definition(job), "HyperParameterRanges")


def extract(job: Any) -> HyperParameters:
    """Tunable and static hyperparameters of a request or Describe response."""
    tunable: dict[str, Tunable] = {}
    ranges = parameter_ranges(job)
    for kind, key in RANGE_KEYS.items():
        for entry in get_list(ranges, key):
            entry = as_dict(entry)
            name = entry.get("Name")
            if not isinstance(name, str) or not name or name in tunable:
                continue  # malformed or duplicate: request_checks reports it
            if kind == AUTO:
                tunable[name] = Tunable(name, kind, values=(_as_text(entry.get("ValueHint")),))
            elif kind == CATEGORICAL:
                values = tuple(_as_text(v) for v in get_list(entry, "Values"))
                tunable[name] = Tunable(name, kind, values=values)
            else:
                tunable[name] = Tunable(name, kind, min_value=_as_text(entry.get("MinValue")),
                                        max_value=_as_text(entry.get("MaxValue")))
    static: dict[str, str] = {}
    for name, value in get_dict(training_job_definition(job), "StaticHyperParameters").items():
        if isinstance(name, str) and name and not is_reserved(name) and name not in tunable:
            static[name] = _as_text(value)
    return HyperParameters(
        tunable={n: t for n, t in tunable.items() if not is_reserved(n)}, static=static
    )


def set_difference(parent: HyperParameters,
                   request: HyperParameters) -> tuple[list[str], list[str]]:
    """(names the request lacks, names the parent lacks), sorted."""
    parent_names, request_names = parent.names(), request.names()
    return sorted(parent_names - request_names), sorted(request_names - parent_names)


def type_changes(parent: HyperParameters, request: HyperParameters) -> list[tuple[str, str, str]]:
    """(name, parent type, request type) for hyperparameters tunable in both. An
    AutoParameters entry has no type of its own (SageMaker chooses it): not compared."""
    return [
        (name, parent.tunable[name].kind, request.tunable[name].kind)
        for name in sorted(set(parent.tunable) & set(request.tunable))
        if parent.tunable[name].kind != request.tunable[name].kind
        and AUTO not in (parent.tunable[name].kind, request.tunable[name].kind)
    ]


def count_changes(parent: HyperParameters, request: HyperParameters) -> list[Change]:
    """The changes that count against the limit, in name order.

    tunable -> static: a Categorical counts its number of values (seed: {red, blue} -> 2),
    Integer and Continuous count 1. static -> static with another value counts 2 when a
    value is categorical (seed: red -> blue), 1 between two numbers.
    static -> tunable and tunable -> tunable (new ranges) count 0.
    """
    changes: list[Change] = []
    for name in sorted(parent.names() & request.names()):
        after = request.static.get(name)
        if after is None:
            continue  # tunable in the request: free
        was_tunable = parent.tunable.get(name)
        if was_tunable is not None:
            count = len(was_tunable.values) if was_tunable.kind == CATEGORICAL else 1
            changes.append(Change(name, was_tunable.describe(), f"static {quote(after)}",
                                  max(count, 1)))
        elif parent.static.get(name) != after:
            changes.append(Change(name, f"static {quote(parent.static[name])}",
                                  f"static {quote(after)}", _static_change_count(parent.static[name], after)))
    return changes


def _static_change_count(before: Any, after: Any) -> int:
    numeric = _is_number(before) and _is_number(after)
    return NUMERIC_STATIC_CHANGE_COUNT if numeric else CATEGORICAL_STATIC_CHANGE_COUNT


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError, OverflowError):
        return False


def _as_text(value: Any) -> str:
    # Values are strings in the API; anything else is kept comparable and printable.
    return value if isinstance(value, str) else show(value)
