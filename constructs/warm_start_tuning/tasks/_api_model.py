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
