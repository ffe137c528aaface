"""Prop checking shared by the fragment and the pipeline: every conflict in one error."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Token

from ..rules import DEFAULT_TRAINING_JOB_LIMIT, check_static


class WarmStartType(str, Enum):
    """The two kinds of warm start (the API spellings of ``WarmStartConfig.WarmStartType``)."""

    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    """Same data and training image as the parents; ranges and job counts may change."""

    TRANSFER_LEARNING = "TransferLearning"
    """Data, ranges, job counts and the image version may change."""


FAILED_PARENT_POLICIES = ("reject", "warn")


def warm_start_type_value(value: Any) -> Any:
    """The API spelling of a WarmStartType or of a string naming one (others pass through
    unchanged, so that the rule engine reports them)."""
    return value.value if isinstance(value, WarmStartType) else value


def static_request(
    tuning_job_config: Any, training_job_definition: Any, tags: Optional[Sequence[Mapping[str, str]]]
) -> dict:
    """The part of CreateHyperParameterTuningJob known at synth time."""
    request: dict = {
        "HyperParameterTuningJobConfig": tuning_job_config,
        "TrainingJobDefinition": training_job_definition,
    }
    if tags:
        request["Tags"] = list(tags)
    return request


def check_pipeline_props(
    owner: str,
    *,
    request: Mapping[str, Any],
    warm_start_type: Any,
    parents: Optional[Sequence[str]],
    job_name_prefix: Any,
    training_job_limit: Any,
    failed_parent_policy: Any,
) -> None:
    """Raise one ValueError listing every problem, with the rule codes of the engine.

    The rule engine is the same one the validator Lambda runs: a configuration that can
    never be valid fails `cdk synth` instead of every execution.
    """
    problems: list[str] = []
    if not isinstance(training_job_limit, int) or isinstance(training_job_limit, bool) or training_job_limit < 1:
        problems.append(
            f"training_job_limit must be an int >= 1 (default {DEFAULT_TRAINING_JOB_LIMIT}), got {training_job_limit!r}"
        )
        training_job_limit = DEFAULT_TRAINING_JOB_LIMIT
    if failed_parent_policy not in FAILED_PARENT_POLICIES:
        problems.append(f"failed_parent_policy must be one of {FAILED_PARENT_POLICIES}, got {failed_parent_policy!r}")
    if parents is not None and not isinstance(parents, (list, tuple)):
        problems.append(f"parents must be a list of tuning job names, got {type(parents).__name__}")
        parents = None
    violations = check_static(
        _without_tokens(request),
        warm_start_type_value(warm_start_type),
        list(parents) if parents is not None else None,
        training_job_limit=training_job_limit,
        job_name_prefix=job_name_prefix,
    )
    problems.extend(f"[{v.code}] {v.message}" for v in violations)
    if problems:
        raise ValueError(f"{owner}: invalid props:\n  - " + "\n  - ".join(problems))


def _without_tokens(value: Any) -> Any:
    """Replace unresolved tokens by a neutral stand-in the checks accept.

    A token (a role ARN, a bucket name) is only known at deploy time; the Lambda checks
    the resolved value on every run.
    """
    if isinstance(value, str) and Token.is_unresolved(value):
        return "resolved-at-deploy-time"
    if isinstance(value, Mapping):
        return {k: _without_tokens(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_without_tokens(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and Token.is_unresolved(value):
        return 1
    return value


def to_json_safe(value: Any) -> Any:
    """Fail early, with the field named, if a prop holds something that is not JSON."""
    try:
        json.dumps(value, default=_reject)
    except TypeError as error:
        raise ValueError(str(error)) from None
    return value


def _reject(obj: Any) -> Any:
    if isinstance(obj, str) or Token.is_unresolved(obj):
        return str(obj)
    raise TypeError(f"props must be JSON data (dict, list, str, number, bool), got a {type(obj).__name__}: {obj!r}")
