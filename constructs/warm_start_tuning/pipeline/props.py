"""Prop checking shared by the fragment and the pipeline: every problem in one error."""

from __future__ import annotations

from enum import Enum
from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Duration, Token
from aws_cdk import aws_iam as iam

from ..rules import DEFAULT_TRAINING_JOB_LIMIT, FAILED_PARENT_POLICIES, PollSettings, Violation, check_static
from ..waiter.history_budget import HISTORY_EVENT_LIMIT, RESERVED_EVENTS
from ..waiter.wait_for_tuning_jobs import EVENT_WAIT_EVENTS, wait_problems


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
    """The part of CreateHyperParameterTuningJob known at synth time, as plain dicts and
    lists (the typed helpers are dict subclasses)."""
    request: dict = {
        "HyperParameterTuningJobConfig": _plain(tuning_job_config),
        "TrainingJobDefinition": _plain(training_job_definition),
    }
    if tags:
        request["Tags"] = _plain(list(tags))
    return request


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def definition_with_role(training_job_definition: Any, role_arn: Any) -> Any:
    """``training_job_definition`` with ``RoleArn`` set (left as is when not a mapping, so
    that the rule engine reports it)."""
    if not isinstance(training_job_definition, Mapping):
        return training_job_definition
    return {**training_job_definition, "RoleArn": role_arn}


def role_problems(sagemaker_role: Optional[iam.IRole], training_job_definition: Any) -> list[str]:
    """The role SageMaker runs as must be given exactly once (or twice, the same)."""
    if sagemaker_role is not None and not is_role(sagemaker_role):
        return [f"sagemaker_role: expected an aws_iam.IRole (e.g. iam.Role.from_role_arn(self, 'Role', arn)), "
                f"got {_shown(sagemaker_role)}"]
    role_arn = training_job_definition.get("RoleArn") if isinstance(training_job_definition, Mapping) else None
    if sagemaker_role is None and role_arn is None:
        return ["give sagemaker_role or training_job_definition['RoleArn'] (the role SageMaker runs as)"]
    if sagemaker_role is not None and role_arn is not None and role_arn != sagemaker_role.role_arn:
        return ["sagemaker_role and training_job_definition['RoleArn'] name different roles: give one of them"]
    return []


_TAG_EXAMPLE = "[{'Key': 'team', 'Value': 'ml'}]"


def _shown(value: Any) -> str:
    """``value`` for a message: its type and a short repr (a token says it is one)."""
    if _is_token(value):
        return f"a token ({type(value).__name__} resolved at deploy time)"
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 80 else text[:77] + '...'}"


def is_role(value: Any) -> bool:
    """An ``iam.IRole`` (a Role, or one imported with ``Role.from_role_arn``)."""
    return hasattr(value, "role_arn") and hasattr(value, "grant_pass_role")


def type_problem(prop: str, value: Any, expected: str, ok: bool) -> list[str]:
    """``["<prop>: expected <expected>, got <value>"]`` unless ``ok``."""
    return [] if ok else [f"{prop}: expected {expected}, got {_shown(value)}"]


def bool_problems(**props: Any) -> list[str]:
    """Each prop that must be a bool and is not."""
    return [p for name, value in props.items() for p in type_problem(name, value, "a bool", isinstance(value, bool))]


def duration_problems(**props: Any) -> list[str]:
    """Each prop that must be an aws_cdk.Duration (or None) and is not."""
    problems: list[str] = []
    for name, value in props.items():
        if value is not None and not isinstance(value, Duration):
            example = "Duration.minutes(1)" if "interval" in name else "Duration.days(7)"
            problems.append(f"{name}: expected an aws_cdk.Duration such as {example}, got {_shown(value)}")
    return problems


def durations_or_none(*values: Any) -> list[Any]:
    """``values`` with each that is not a Duration replaced by None (its default), so that
    the remaining checks run after a type problem was reported."""
    return [value if isinstance(value, Duration) else None for value in values]


def literal_problems(**props: Any) -> list[str]:
    """Props that must be known at synth time, given as a token (a CfnParameter, a
    reference): they name IAM resources, job names and the state machine's own checks."""
    problems: list[str] = []
    for name, value in props.items():
        if _has_tokens(value):
            problems.append(
                f"{name}: expected a value known at synth time, got {_shown(value)}: it is used at synth time "
                "(IAM resource names, job names, the synth-time rule checks), so a CfnParameter or another "
                "resource's attribute cannot be used here; give the literal value (context values, "
                "`app.node.try_get_context(...)`, are literal at synth time)"
            )
    return problems


def tags_problems(tags: Any) -> list[str]:
    """``tags`` must be boto3's shape: a list of ``{"Key": str, "Value": str}`` (keys and
    values may be tokens). Lengths and the count are judged with the request."""
    if tags is None:
        return []
    if not isinstance(tags, (list, tuple)):
        return [f"tags: expected a list of {{'Key': str, 'Value': str}} such as {_TAG_EXAMPLE}, got {_shown(tags)}"]
    problems = []
    for index, tag in enumerate(tags):
        if not isinstance(tag, Mapping):
            problems.append(f"tags[{index}]: expected a dict {{'Key': str, 'Value': str}} such as "
                            f"{{'Key': 'team', 'Value': 'ml'}}, got {_shown(tag)}")
            continue
        extra = sorted(str(k) for k in tag if k not in ("Key", "Value"))
        missing = [k for k in ("Key", "Value") if k not in tag]
        if extra or missing:
            problems.append(f"tags[{index}]: expected exactly the keys 'Key' and 'Value'"
                            + (f"; missing {', '.join(repr(k) for k in missing)}" if missing else "")
                            + (f"; unknown {', '.join(repr(k) for k in extra)}" if extra else ""))
        for key in ("Key", "Value"):
            if key in tag and not isinstance(tag[key], str):
                problems.append(f"tags[{index}].{key}: expected a string, got {_shown(tag[key])}")
    return problems


def request_model_problems(request: Any) -> list[str]:
    """The static request against botocore's model of CreateHyperParameterTuningJob, at
    every depth (unknown keys with a "did you mean", types, lengths, enums); tokens are
    left to the validator, which checks the resolved request on every run."""
    from ..tasks._api_model import request_problems

    return request_problems(request, _is_token)


def _problem_path(message: str) -> str:
    return message.split(":", 1)[0]


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
    wait_mode: str = "polling",
) -> list[str]:
    """Every problem of the WarmStartTuning props, each with the rule code when the rule
    engine found it.

    The rule engine is the same one the validator Lambda runs: a configuration that can
    never be valid fails `cdk synth` instead of every execution.
    """
    problems = role_problems(sagemaker_role, training_job_definition)
    if sagemaker_role is not None and not is_role(sagemaker_role):
        sagemaker_role = None
    if sagemaker_role is not None:
        role_arn = sagemaker_role.role_arn
    elif isinstance(training_job_definition, Mapping) and training_job_definition.get("RoleArn") is not None:
        role_arn = training_job_definition["RoleArn"]
    else:
        role_arn = _MISSING_ROLE_STAND_IN
    for name, value in (("tuning_job_config", tuning_job_config), ("training_job_definition", training_job_definition)):
        problems += type_problem(name, value, "a dict (boto3's shape)", isinstance(value, Mapping))
    problems += literal_problems(job_name_prefix=job_name_prefix, training_job_limit=training_job_limit,
                                 failed_parent_policy=failed_parent_policy)
    if _has_tokens(job_name_prefix):
        job_name_prefix = "token-prefix"
    if _has_tokens(training_job_limit):
        training_job_limit = DEFAULT_TRAINING_JOB_LIMIT
    found_tags = tags_problems(tags)
    problems += found_tags
    if found_tags:
        tags = None
    request = static_request(tuning_job_config, definition_with_role(training_job_definition, role_arn), tags)
    model_found = request_model_problems(request) if isinstance(tuning_job_config, Mapping) and isinstance(
        training_job_definition, Mapping) else []
    problems.extend(f"[INVALID_REQUEST] {p}" for p in model_found)

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
    # What botocore's model found is said once: the rule engine's message on the same
    # path (or under it) would repeat it.
    model_paths = [_problem_path(p) for p in model_found]
    problems.extend(
        f"[{v.code}] {v.message}"
        for v in violations
        if not (v.code == "INVALID_REQUEST" and any(_problem_path(v.message).startswith(path) for path in model_paths))
    )
    if wait_mode == "events":
        problems.extend(event_wait_problems(poll_settings, other_history_events))
    else:
        problems.extend(
            wait_problems(
                poll_settings,
                other_history_events,
                timeout_prop="parent_wait_timeout",
                max_interval_prop="parent_poll_max_interval",
            )
        )
    return problems


def event_wait_problems(settings: PollSettings, other_history_events: int) -> list[str]:
    """An event wait costs the same few events however long it waits: only the rest of
    the execution (counted as if its attach paths polled: an over-estimate) must fit."""
    problems = settings.problems()
    total = other_history_events + EVENT_WAIT_EVENTS
    available = HISTORY_EVENT_LIMIT - RESERVED_EVENTS
    if not problems and total > available:
        problems.append(f"one execution may write up to {total} history events (the run lock's "
                        f"wait, rounds), more than the {available} available (Step Functions stops a Standard "
                        f"workflow at {HISTORY_EVENT_LIMIT}): lower busy_wait_timeout or rounds.max_rounds")
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
