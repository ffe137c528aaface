"""Synth-time shape checks of CreateHyperParameterTuningJob parameters, read from botocore.

The checks use botocore's own SageMaker model (the one the validator Lambda validates the
final request against), so no limit, pattern or member list is copied here: when SageMaker
adds a member, a new botocore knows it. Only the first level of each parameter is checked
(member names, required members, enum values of literal strings): the deep checks of a
request are the rule engine's (``warm_start_rules.check_request``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

OPERATION = "CreateHyperParameterTuningJob"


@functools.lru_cache(maxsize=1)
def _input_shape() -> Any:
    # Imported lazily: botocore is a dependency (through boto3) but loading the SageMaker
    # model costs time that constructs which never build this task should not pay.
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return model.operation_model(OPERATION).input_shape


def member_shape(parameter: str) -> Any:
    """botocore shape of one top-level request parameter, e.g. ``"WarmStartConfig"``."""
    return _input_shape().members[parameter]


def job_name_constraints() -> tuple[int, int, re.Pattern[str]]:
    """(min length, max length, full-match pattern) of HyperParameterTuningJobName."""
    meta = member_shape("HyperParameterTuningJobName").metadata
    return meta["min"], meta["max"], re.compile(meta["pattern"])


def list_max(parameter: str) -> int | None:
    """Maximum number of items of a list parameter (Tags, TrainingJobDefinitions)."""
    return member_shape(parameter).metadata.get("max")


def list_member_shape(parameter: str) -> Any:
    return member_shape(parameter).member


def structure_problems(value: Mapping[str, Any], shape: Any, is_dynamic: Any) -> list[str]:
    """First-level problems of a literal structure against a botocore structure shape.

    A key ``"Name.$"`` stands for the member ``Name`` (its value is a JsonPath resolved at
    run time, so only its presence is checked). ``is_dynamic(value)`` says whether a string
    value is a token or a JsonPath, which is never checked against an enum.
    """
    problems: list[str] = []
    members = shape.members
    present: set[str] = set()
    for key in value:
        if not isinstance(key, str):
            problems.append(f"key {key!r} is not a string")
            continue
        name = key[:-2] if key.endswith(".$") else key
        if name not in members:
            problems.append(f"unknown key {key!r} (expected one of: {', '.join(members)})")
            continue
        present.add(name)
        member = members[name]
        item = value[key]
        enum = getattr(member, "enum", None)
        if (
            not key.endswith(".$")
            and enum
            and isinstance(item, str)
            and not is_dynamic(item)
            and item not in enum
        ):
            problems.append(f"{key} must be one of {', '.join(enum)}; got {item!r}")
    for name in shape.required_members:
        if name not in present:
            problems.append(f"required key {name!r} is missing")
    return problems


# Request members the pipeline plans per run (the validator adds them): not required of
# the props.
PLANNED_MEMBERS = frozenset({"HyperParameterTuningJobName", "WarmStartConfig"})


def request_problems(request: Any, is_dynamic: Any, *, planned: frozenset = PLANNED_MEMBERS) -> list[str]:
    """Every problem of a literal CreateHyperParameterTuningJob request against botocore's
    model, at every depth: unknown keys (with a "did you mean" for a near miss), missing
    required keys, types ("expected X, got Y"), string lengths, list lengths, enum values
    and numeric bounds. One ``"<path>: <problem>"`` line each.

    ``is_dynamic(value)`` says whether a value is a token (resolved at deploy time): it is
    not judged. Members in ``planned`` may be missing at the top level.
    """
    problems: list[str] = []
    _walk(request, _input_shape(), "", is_dynamic, problems, planned)
    return problems


_TYPE_WORDS = {
    "structure": "a dict", "list": "a list", "map": "a dict", "string": "a string", "integer": "an int",
    "long": "an int", "float": "a number", "double": "a number", "boolean": "a bool", "timestamp": "a timestamp",
}


def _kind(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, (dict, list)) else type(value).__name__


def _join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _bound_problems(where: str, measured: Any, meta: Mapping[str, Any], at_least: str, at_most: str) -> list[str]:
    """``measured`` (a value or a length) against the shape's ``min`` and ``max``."""
    if "min" in meta and measured < meta["min"]:
        return [f"{where}: expected at least {meta['min']}{at_least}, got {measured!r}"]
    if "max" in meta and measured > meta["max"]:
        return [f"{where}: expected at most {meta['max']}{at_most}, got {measured!r}"]
    return []


def _walk(value: Any, shape: Any, path: str, is_dynamic: Any, problems: list[str], planned: frozenset = frozenset()) -> None:
    import difflib

    if is_dynamic(value):
        return
    kind = shape.type_name
    expected = _TYPE_WORDS.get(kind, kind)
    where = path or "request"
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, Mapping):
            problems.append(f"{where}: expected {expected} ({shape.name}), got {_kind(value)}")
            return
        members = shape.members
        for key, item in value.items():
            if key not in members:
                close = difflib.get_close_matches(str(key), list(members), n=1, cutoff=0.7)
                hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(members)}"
                problems.append(f"{_join(path, key)}: unknown key {key!r}; {hint}")
                continue
            _walk(item, members[key], _join(path, key), is_dynamic, problems)
        for name in shape.required_members:
            if name not in value and name not in planned:
                problems.append(f"{_join(path, name)}: required key is missing")
    elif kind == "list":
        if not isinstance(value, (list, tuple)):
            problems.append(f"{where}: expected {expected}, got {_kind(value)}")
            return
        problems += _bound_problems(where, len(value), meta, " item(s)", " item(s)")
        for index, item in enumerate(value):
            _walk(item, shape.member, f"{path}[{index}]", is_dynamic, problems)
    elif kind == "map":
        if not isinstance(value, Mapping):
            problems.append(f"{where}: expected {expected}, got {_kind(value)}")
            return
        problems += _bound_problems(where, len(value), {"max": meta["max"]} if "max" in meta else {}, "", " entries")
        for key, item in value.items():
            _walk(key, shape.key, f"{path} key {key!r}", is_dynamic, problems)
            _walk(item, shape.value, f"{path}[{key!r}]", is_dynamic, problems)
    elif kind == "string":
        if not isinstance(value, str):
            problems.append(f"{where}: expected {expected}, got {_kind(value)}")
            return
        problems += _bound_problems(where, len(value), meta, " character(s)", " characters")
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            close = difflib.get_close_matches(value, list(enum), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{where}: expected one of {', '.join(enum)}, got {value!r}{hint}")
    elif kind in ("integer", "long", "float", "double"):
        numeric = (int,) if kind in ("integer", "long") else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            problems.append(f"{where}: expected {expected}, got {_kind(value)}")
            return
        problems += _bound_problems(where, value, meta, "", "")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{where}: expected {expected}, got {_kind(value)}")
