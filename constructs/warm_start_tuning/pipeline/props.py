"""Prop checking shared by the fragment and the pipeline: every problem in one error."""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Token
from aws_cdk import aws_iam as iam

from ..rules import DEFAULT_TRAINING_JOB_LIMIT, FAILED_PARENT_POLICIES, PollSettings, Violation, check_static
from ..waiter.wait_for_tuning_jobs import wait_problems


class WarmStartType(str, Enum):
    """The two kinds of warm start (the API spellings of ``WarmStartConfig.WarmStartType``)."""

    IDENTICAL_DATA_AND_ALGORITHM = "IdenticalDataAndAlgorithm"
    """Same data and training image as the parents; ranges and job counts may change."""

    TRANSFER_LEARNING = "TransferLearning"
    """Data, ranges, job counts and the image version may change."""


# Stands in for the role ARN in the synth-time check when no role is given at all, so the
# missing role is reported once (as a prop problem), not again as a missing RoleArn.
_MISSING_ROLE_STAND_IN = "arn:aws:iam::000000000000:role/missing"


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


def definition_with_role(training_job_definition: Any, role_arn: Any) -> Any:
    """``training_job_definition`` with ``RoleArn`` set (left as is when not a mapping, so
    that the rule engine reports it)."""
    if not isinstance(training_job_definition, Mapping):
        return training_job_definition
    return {**training_job_definition, "RoleArn": role_arn}


def role_problems(sagemaker_role: Optional[iam.IRole], training_job_definition: Any) -> list[str]:
    """The role SageMaker runs as must be given exactly once (or twice, the same)."""
    role_arn = training_job_definition.get("RoleArn") if isinstance(training_job_definition, Mapping) else None
    if sagemaker_role is None and role_arn is None:
        return ["give sagemaker_role or training_job_definition['RoleArn'] (the role SageMaker runs as)"]
    if sagemaker_role is not None and role_arn is not None and role_arn != sagemaker_role.role_arn:
        return ["sagemaker_role and training_job_definition['RoleArn'] name different roles: give one of them"]
    return []


def warm_start_problems(
    *,
    warm_start_type: Any,
    tuning_job_config: Any,
    training_job_definition: Any,
    job_name_prefix: Any,
    parents: Optional[Sequence[str]],
    sagemaker_role: Optional[iam.IRole],
    tags: Optional[Sequence[Mapping[str, str]]],
    training_job_limit: Any,
    failed_parent_policy: Any,
    poll_settings: PollSettings,
    other_history_events: int,
) -> list[str]:
    """Every problem of the WarmStartTuning props, each with the rule code when the rule
    engine found it.

    The rule engine is the same one the validator Lambda runs: a configuration that can
    never be valid fails `cdk synth` instead of every execution.
    """
    problems = role_problems(sagemaker_role, training_job_definition)
    if sagemaker_role is not None:
        role_arn = sagemaker_role.role_arn
    elif isinstance(training_job_definition, Mapping) and training_job_definition.get("RoleArn") is not None:
        role_arn = training_job_definition["RoleArn"]
    else:
        role_arn = _MISSING_ROLE_STAND_IN
    request = static_request(tuning_job_config, definition_with_role(training_job_definition, role_arn), tags)

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
    violations = _static_violations(
        request,
        warm_start_type_value(warm_start_type),
        list(parents) if parents is not None else None,
        training_job_limit=training_job_limit,
        job_name_prefix=job_name_prefix,
    )
    problems.extend(f"[{v.code}] {v.message}" for v in violations)
    problems.extend(
        wait_problems(
            poll_settings,
            other_history_events,
            timeout_prop="parent_wait_timeout",
            max_interval_prop="parent_poll_max_interval",
        )
    )
    return problems


def raise_problems(owner: str, problems: Sequence[str]) -> None:
    """One ValueError listing every problem (nothing when there is none)."""
    if problems:
        raise ValueError(f"{owner}: invalid props:\n  - " + "\n  - ".join(problems))


def _static_violations(request: Any, warm_start_type: Any, parents: Any, **kwargs: Any) -> list[Violation]:
    """check_static, judging only what is known at synth time.

    A token (a role ARN, a bucket name, a CfnParameter) is only known at deploy time, and
    the Lambda checks the resolved value on every run. No single stand-in is neutral (a
    token MaxNumberOfTrainingJobs of 1 would be below MaxParallelTrainingJobs, one of
    1,000,000 above the training-job limit; two token parents would be duplicates), so
    the check runs with two different stand-ins and keeps only the violations found, word
    for word, both times: those do not depend on any token's value.
    """
    def check(variant: int) -> list[Violation]:
        return check_static(
            _with_stand_ins(request, variant), warm_start_type, _with_stand_ins(parents, variant), **kwargs
        )

    first = check(0)
    if not (_has_tokens(request) or _has_tokens(parents)):
        return first
    second = {(v.code, v.message, v.parent) for v in check(1)}
    return [v for v in first if (v.code, v.message, v.parent) in second]


_STRING_STAND_INS = ("resolved-at-deploy-time", "resolved-at-deploy-time-2")
_NUMBER_STAND_INS = (1, 1_000_000)


def _is_token(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool) and Token.is_unresolved(value)


def _has_tokens(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_has_tokens(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_tokens(v) for v in value)
    return _is_token(value)


def _with_stand_ins(value: Any, variant: int) -> Any:
    """``value`` with every unresolved token replaced by stand-in number ``variant``."""
    if _is_token(value):
        return _STRING_STAND_INS[variant] if isinstance(value, str) else _NUMBER_STAND_INS[variant]
    if isinstance(value, Mapping):
        return {k: _with_stand_ins(v, variant) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_stand_ins(v, variant) for v in value]
    return value
