"""The validator's whole flow, with AWS access injected: read the event, merge the
execution's overrides, name the job, add WarmStartConfig and Tags, describe the parents
and let the engine judge. Pure (stdlib only) so the Lambda, the command line and tests
share it.
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

from ._access import json_int, show, text
from .codes import INVALID_REQUEST, PARENT_NOT_FOUND
from .engine import evaluate
from .errors import Violation, WarmStartValidationError
from .limits import (
    DEFAULT_FAILED_PARENT_POLICY,
    DEFAULT_TRAINING_JOB_LIMIT,
    FAILED_PARENT_POLICIES,
    MAX_PARENTS,
    SAGEMAKER_MAX_TAGS,
    STEP_FUNCTIONS_SYNC_TAGS,
    TAGS_LEFT_FOR_REQUEST,
)
from .input_policy import InputPolicy, in_name_space, name_is_parent_violations, name_violation
from .state_size import state_size_violations
from .request_checks import JOB_NAME_MAX_LENGTH, job_name_prefix_problem, job_name_problem

Describe = Callable[[str], "Mapping[str, Any] | None"]

DEFAULT_JOB_NAME_PREFIX = "warm-start"
EXECUTION_TAG_KEY = "warm-start-tuning:execution"
# Job ownership (DESIGN.md, "Trust model"): every job carries the SHA-256 of the run key
# that created it; a create that finds its name taken attaches only to a job with this
# run's value. The digest, not the key: tag values allow fewer characters than execution
# names, and a lossy cleaning could make two run keys look alike.
RUN_KEY_TAG_KEY = "warm-start-tuning:run-key"
MAX_TAGS = SAGEMAKER_MAX_TAGS  # SageMaker's TagList maximum (limits.py holds the budget)

OVERRIDE_KEYS = (
    "tuningJobName",
    "inputData",
    "maxTrainingJobs",
    "maxParallelTrainingJobs",
    "staticHyperParameters",
    # The state machine hands over the whole execution input as overrides; these two
    # are read from the event's top level (already defaulted) and ignored here.
    "parents",
    "warmStartType",
    # Resolved by the prepare action (run_input.py) into parents, maxTrainingJobs and
    # inputData, and removed from the overrides it returns; ignored here.
    "resume",
    "newObject",
)
# newDataChannels is only read by the prepare action (new_data.py); the pipeline may pass
# the same settings object to every action.
# allowedOverrides, inputLocations, parentPrefixes and newDataBucket describe the input
# policy (input_policy.py).
SETTINGS_KEYS = ("jobNamePrefix", "trainingJobLimit", "failedParentPolicy", "newDataChannels",
                 "allowedOverrides", "inputLocations", "parentPrefixes", "newDataBucket", "newDataPrefix",
                 "explainForeignParents")
# Generated names are "<prefix>-<suffix>", the suffix in base 36 (SageMaker names are
# case-insensitive: ARNs are lowercased), at least 13 characters = 67 bits.
_SUFFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

_CHANNEL_NAME = re.compile(r"[A-Za-z0-9.\-_]{1,64}")
_S3_URI = re.compile(r"s3://[^/\s]+(/.*)?", re.DOTALL)
_MAX_S3_URI_LENGTH = 1024
_MAX_HP_NAME_LENGTH = 256
_MAX_HP_VALUE_LENGTH = 2500
_MAX_TAG_VALUE_LENGTH = 256
_TAG_VALUE_EXTRA = frozenset("_.:/=+-@ ")


def _invalid(message: str) -> Violation:
    return Violation(INVALID_REQUEST, message)


def _writable(container: dict[str, Any], key: str, kind: type, violations: list[Violation],
              problem: str) -> Any:
    """``container[key]`` for an override to write into, created empty when absent;
    None (with ``problem`` recorded) when the request holds something else there."""
    if container.get(key) is None:
        container[key] = kind()
    if not isinstance(container[key], kind):
        violations.append(_invalid(problem))
        return None
    return container[key]


def is_job_name(value: Any) -> bool:
    """True when ``value`` passes SageMaker's tuning-job name rule (1-32 characters)."""
    return job_name_problem(value) is None


def _prefix_problem(prefix: Any) -> str | None:
    problem = job_name_prefix_problem(prefix)
    return None if problem is None else f"settings.jobNamePrefix: {problem}"


def tuning_job_name(prefix: str, execution_name: str) -> str:
    """Deterministic job name for a run: ``<prefix>-<suffix>``, 32 characters.

    The suffix is the SHA-256 of ``execution_name`` in base 36, as long as the name allows
    (at least 13 characters, 67 bits, at the longest prefix), so that two runs never
    share a name by chance. Deterministic so that a retried validation names the same job
    (CreateHyperParameterTuningJob then fails on the duplicate instead of launching a
    second one, and the run attaches to its own job).
    """
    problem = _prefix_problem(prefix)
    if problem is not None:
        raise WarmStartValidationError([_invalid(problem)])
    if not isinstance(execution_name, str) or execution_name == "":
        raise WarmStartValidationError(
            [_invalid(f"executionName must be a non-empty string; got {text(execution_name)}")]
        )
    number = int.from_bytes(_digest(execution_name), "big")
    digits = []
    for _ in range(JOB_NAME_MAX_LENGTH - len(prefix) - 1):
        number, digit = divmod(number, len(_SUFFIX_ALPHABET))
        digits.append(_SUFFIX_ALPHABET[digit])
    return f"{prefix}-{''.join(digits)}"


def _digest(value: str) -> bytes:
    # surrogatepass: JSON can carry lone surrogates, which plain utf-8 refuses to encode.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


def run_key_tag_value(run_key: str) -> str:
    """The value of the run-key tag: the SHA-256 of the run key, in hex."""
    return _digest(run_key).hex()


def owned_by(tags: Any, run_key: Any) -> bool:
    """True when ``tags`` (a job's ListTags) carry the run-key tag of ``run_key``."""
    if not isinstance(run_key, str) or not run_key or not isinstance(tags, list):
        return False
    expected = run_key_tag_value(run_key)
    return any(isinstance(t, Mapping) and t.get("Key") == RUN_KEY_TAG_KEY and t.get("Value") == expected
               for t in tags)


# --- overrides ----------------------------------------------------------------------


def _positive_int(value: Any) -> int | None:
    """An int >= 1; JSON numbers like 50.0 count (Step Functions may pass floats)."""
    number = json_int(value)
    return number if number is not None and number >= 1 else None


def _hyperparameter_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None  # "True" is not what anyone meant; make them write the string
    if isinstance(value, int):
        # Python refuses to print ints beyond ~4300 digits; no value that long is valid.
        return str(value) if abs(value) < 10**_MAX_HP_VALUE_LENGTH else None
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _s3_uri_problem(channel: Any, uri: Any) -> str | None:
    if not isinstance(channel, str) or not _CHANNEL_NAME.fullmatch(channel):
        return (
            "overrides.inputData keys must be channel names (1-64 of A-Z a-z 0-9 . - _); "
            f"got {text(channel)}"
        )
    if (
        not isinstance(uri, str)
        or len(uri) > _MAX_S3_URI_LENGTH
        or not _S3_URI.fullmatch(uri)
    ):
        return (
            f"overrides.inputData.{channel} must be an s3:// URI of at most "
            f"{_MAX_S3_URI_LENGTH} characters; got {text(uri)}"
        )
    return None


def _set_s3_uri(channel: dict[str, Any], uri: str) -> None:
    source = channel.get("DataSource")
    if isinstance(source, dict) and isinstance(source.get("S3DataSource"), dict):
        source["S3DataSource"]["S3Uri"] = uri
    else:
        # The channel read from EFS/FSx (or had no source): an S3 URI replaces that.
        channel["DataSource"] = {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}


def _merge_input_data(
    definition: dict[str, Any], input_data: Any, violations: list[Violation]
) -> None:
    if not isinstance(input_data, Mapping):
        violations.append(
            _invalid(
                "overrides.inputData must be an object {channel: s3 uri}; "
                f"got {show(input_data)}"
            )
        )
        return
    valid: list[tuple[str, str]] = []
    for name, uri in input_data.items():
        problem = _s3_uri_problem(name, uri)
        if problem is None:
            valid.append((name, uri))
        else:
            violations.append(_invalid(problem))
    if not valid:
        return
    channels = _writable(definition, "InputDataConfig", list, violations,
                         "overrides.inputData needs TrainingJobDefinition.InputDataConfig to be a list")
    if channels is None:
        return
    # A new channel copies the first channel's settings (content type, input mode...),
    # as the user wrote them, before this override changes anything.
    template = copy.deepcopy(next((c for c in channels if isinstance(c, dict)), {}))
    for name, uri in valid:
        existing = [c for c in channels if isinstance(c, dict) and c.get("ChannelName") == name]
        if not existing:
            existing = [{**copy.deepcopy(template), "ChannelName": name}]
            channels.append(existing[0])
        for channel in existing:
            _set_s3_uri(channel, uri)


def _merge_static_hyperparameters(
    definition: dict[str, Any], values: Any, violations: list[Violation]
) -> None:
    if not isinstance(values, Mapping):
        violations.append(
            _invalid(
                "overrides.staticHyperParameters must be an object {name: value}; "
                f"got {show(values)}"
            )
        )
        return
    statics = _writable(definition, "StaticHyperParameters", dict, violations,
                        "overrides.staticHyperParameters needs "
                        "TrainingJobDefinition.StaticHyperParameters to be an object")
    if statics is None:
        return
    for name, value in values.items():
        if not isinstance(name, str) or not 1 <= len(name) <= _MAX_HP_NAME_LENGTH:
            violations.append(
                _invalid(
                    "overrides.staticHyperParameters names must be strings of 1-"
                    f"{_MAX_HP_NAME_LENGTH} characters; got {text(name)}"
                )
            )
            continue
        rendered = _hyperparameter_value(value)
        if rendered is None or len(rendered) > _MAX_HP_VALUE_LENGTH:
            violations.append(
                _invalid(
                    f"overrides.staticHyperParameters.{name} must be a string or a finite "
                    f"number (at most {_MAX_HP_VALUE_LENGTH} characters); got {show(value)}"
                )
            )
            continue
        statics[name] = rendered


def _merge_resource_limits(
    request: dict[str, Any], overrides: Mapping[str, Any], violations: list[Violation]
) -> None:
    wanted: dict[str, int] = {}
    for key, field in (
        ("maxTrainingJobs", "MaxNumberOfTrainingJobs"),
        ("maxParallelTrainingJobs", "MaxParallelTrainingJobs"),
    ):
        if key not in overrides:
            continue
        number = _positive_int(overrides[key])
        if number is None:
            violations.append(
                _invalid(f"overrides.{key} must be an integer >= 1; got {show(overrides[key])}")
            )
        else:
            wanted[field] = number
    if not wanted:
        return
    config = request.get("HyperParameterTuningJobConfig")
    if not isinstance(config, dict):
        violations.append(
            _invalid(
                "overrides.maxTrainingJobs/maxParallelTrainingJobs need "
                "HyperParameterTuningJobConfig to be an object"
            )
        )
        return
    limits = _writable(config, "ResourceLimits", dict, violations,
                       "overrides.maxTrainingJobs/maxParallelTrainingJobs need "
                       "HyperParameterTuningJobConfig.ResourceLimits to be an object")
    if limits is None:
        return
    limits.update(wanted)


def merge_overrides(
    request: Any, overrides: Any, *, job_name_prefix: str | None = None
) -> tuple[Any, list[Violation]]:
    """A deep copy of ``request`` with the execution's ``overrides`` merged in.

    Returns ``(request, violations)``; only valid overrides are applied, so the engine can
    still judge the rest and every problem is reported at once. ``tuningJobName`` becomes
    ``HyperParameterTuningJobName``; with ``job_name_prefix`` it must start with it (the
    IAM policy only allows jobs under that prefix).
    """
    violations: list[Violation] = []
    try:
        merged = copy.deepcopy(request)
    except RecursionError:
        return None, [_invalid("request is nested too deeply")]
    if overrides is None:
        return merged, violations
    if not isinstance(overrides, Mapping):
        return merged, [_invalid(f"overrides must be an object or null; got {show(overrides)}")]

    unknown = [key for key in overrides if key not in OVERRIDE_KEYS]
    if unknown:
        violations.append(
            _invalid(
                f"unknown override(s) {', '.join(text(k) for k in unknown[:10])}; "
                f"allowed: {', '.join(OVERRIDE_KEYS)}"
            )
        )
    if not isinstance(merged, dict):
        if any(key in overrides for key in OVERRIDE_KEYS[:5]):
            violations.append(_invalid("overrides cannot be applied: request is not an object"))
        return merged, violations

    if "tuningJobName" in overrides:
        name = overrides["tuningJobName"]
        problem = job_name_problem(name)
        if problem is not None:
            violations.append(_invalid(f"overrides.tuningJobName: {problem}"))
        elif job_name_prefix is not None and name_violation("tuningJobName", name, job_name_prefix):
            violations.append(name_violation("tuningJobName", name, job_name_prefix))
        else:
            merged["HyperParameterTuningJobName"] = name

    _merge_resource_limits(merged, overrides, violations)

    needs_definition = [k for k in ("inputData", "staticHyperParameters") if k in overrides]
    if needs_definition:
        definition = merged.get("TrainingJobDefinition")
        if not isinstance(definition, dict):
            # TrainingJobDefinitions (several algorithms) would make these ambiguous.
            violations.append(
                _invalid(
                    f"overrides.{'/'.join(needs_definition)} need the request to have a "
                    "TrainingJobDefinition object"
                )
            )
        else:
            if "inputData" in overrides:
                _merge_input_data(definition, overrides["inputData"], violations)
            if "staticHyperParameters" in overrides:
                _merge_static_hyperparameters(
                    definition, overrides["staticHyperParameters"], violations
                )
    return merged, violations


# --- event --------------------------------------------------------------------------


def _tag_value(execution_name: str) -> str:
    """The execution name as a valid SageMaker tag value: Step Functions allows a few
    characters in names (e.g. ``(``, ``!``) that tag values do not, so those become ``_``."""
    cleaned = "".join(
        ch if ch.isalnum() or ch in _TAG_VALUE_EXTRA else "_" for ch in execution_name
    )
    return cleaned[:_MAX_TAG_VALUE_LENGTH]


def _read_settings(raw: Any, violations: list[Violation]) -> tuple[str, int, str]:
    prefix, limit, policy = DEFAULT_JOB_NAME_PREFIX, DEFAULT_TRAINING_JOB_LIMIT, DEFAULT_FAILED_PARENT_POLICY
    if raw is None:
        return prefix, limit, policy
    if not isinstance(raw, Mapping):
        violations.append(_invalid(f"settings must be an object or null; got {show(raw)}"))
        return prefix, limit, policy
    unknown = [key for key in raw if key not in SETTINGS_KEYS]
    if unknown:
        violations.append(
            _invalid(
                f"unknown setting(s) {', '.join(text(k) for k in unknown[:10])}; "
                f"allowed: {', '.join(SETTINGS_KEYS)}"
            )
        )
    if raw.get("jobNamePrefix") is not None:
        problem = _prefix_problem(raw["jobNamePrefix"])
        if problem is None:
            prefix = raw["jobNamePrefix"]
        else:
            violations.append(_invalid(problem))
    if raw.get("trainingJobLimit") is not None:
        number = _positive_int(raw["trainingJobLimit"])
        if number is None:
            violations.append(
                _invalid(
                    "settings.trainingJobLimit must be an integer >= 1; "
                    f"got {show(raw['trainingJobLimit'])}"
                )
            )
        else:
            limit = number
    if raw.get("failedParentPolicy") is not None:
        if raw["failedParentPolicy"] in FAILED_PARENT_POLICIES:
            policy = raw["failedParentPolicy"]
        else:
            violations.append(
                _invalid(
                    f"settings.failedParentPolicy must be one of {', '.join(FAILED_PARENT_POLICIES)}; "
                    f"got {text(raw['failedParentPolicy'])}"
                )
            )
    return prefix, limit, policy


def _with_tags(request: dict[str, Any], execution_name: str | None, run_key: str | None,
               violations: list[Violation]) -> None:
    tags = request.get("Tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list):
        violations.append(_invalid(f"request.Tags must be a list; got {show(tags)}"))
        tags = []
    # Replace, not duplicate: SageMaker rejects two tags with the same key; and a request
    # must never carry a run key of its own choosing.
    own = (EXECUTION_TAG_KEY, RUN_KEY_TAG_KEY)
    tags = [t for t in tags if not (isinstance(t, Mapping) and t.get("Key") in own)]
    if execution_name:
        tags.append({"Key": EXECUTION_TAG_KEY, "Value": _tag_value(execution_name)})
    if run_key:
        tags.append({"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value(run_key)})
    # The user's tags and the library's must leave room for the 2 that Step Functions
    # adds to every job a .sync task starts (limits.py: the one place of the budget).
    if len(tags) > TAGS_LEFT_FOR_REQUEST:
        violations.append(
            _invalid(
                f"request.Tags holds {len(tags)} tags with the library's own; SageMaker allows "
                f"{SAGEMAKER_MAX_TAGS} and Step Functions adds {STEP_FUNCTIONS_SYNC_TAGS} to every "
                f"job a .sync task starts, so at most {TAGS_LEFT_FOR_REQUEST} fit"
            )
        )
    request["Tags"] = tags


def _parents_to_describe(parents: Any) -> list[str]:
    """Unique, well-formed names, at most MAX_PARENTS: the engine reports PARENT_COUNT
    and bad names itself; no reason to spend API calls (or botocore errors) on them."""
    if not isinstance(parents, list):
        return []
    names: list[str] = []
    for name in parents:
        if is_job_name(name) and name not in names:
            names.append(name)
    return names[:MAX_PARENTS]


def plan(event: Any, describe: Describe) -> dict[str, Any]:
    """Run the validator on ``event``; return ``{"request": final, "report": report}``.

    ``describe(name)`` returns a DescribeHyperParameterTuningJob response or None when
    the job does not exist; its AWS errors propagate. Everything wrong with the event or
    the request raises WarmStartValidationError with all violations at once.
    """
    if not isinstance(event, Mapping):
        raise WarmStartValidationError([_invalid(f"event must be an object; got {show(event)}")])
    violations: list[Violation] = []
    for key in ("parents", "warmStartType", "request"):
        if key not in event:
            violations.append(_invalid(f"event.{key} is required"))
    if not isinstance(event.get("request"), Mapping):
        if "request" in event:
            violations.append(_invalid(f"event.request must be an object; got {show(event['request'])}"))
        raise WarmStartValidationError(violations)

    prefix, limit, policy = _read_settings(event.get("settings"), violations)
    overrides = event.get("overrides")
    request, override_violations = merge_overrides(
        dict(event["request"]), overrides, job_name_prefix=prefix
    )
    violations.extend(override_violations)
    if not isinstance(request, dict):
        raise WarmStartValidationError(violations)

    execution_name = event.get("executionName")
    if execution_name is not None and not isinstance(execution_name, str):
        violations.append(
            _invalid(f"event.executionName must be a string; got {show(execution_name)}")
        )
        execution_name = None
    if not isinstance(overrides, Mapping) or "tuningJobName" not in overrides:
        # No (usable) override: the name comes from the execution.
        if execution_name:
            request["HyperParameterTuningJobName"] = tuning_job_name(prefix, execution_name)
        else:
            violations.append(
                _invalid("event.executionName is required when overrides.tuningJobName is not given")
            )
            request.pop("HyperParameterTuningJobName", None)
    elif request.get("HyperParameterTuningJobName") != overrides["tuningJobName"]:
        # merge_overrides rejected the override: never fall back to a name the user pasted.
        request.pop("HyperParameterTuningJobName", None)

    parents = event.get("parents")
    # The prepare step enforced the input policy; checked again here because this step
    # is what creates the request, whoever called it.
    input_policy = InputPolicy.from_settings(event.get("settings"), event["request"], prefix, violations)
    violations.extend(input_policy.override_violations(overrides, event["request"]))
    violations.extend(input_policy.parent_violations(parents))
    violations.extend(name_is_parent_violations(request.get("HyperParameterTuningJobName"), parents))
    warm_start_type = event.get("warmStartType")
    request["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": p} for p in (parents if isinstance(parents, list) else [])
        ],
        "WarmStartType": warm_start_type,
    }
    run_key = event.get("runKey")
    if run_key is not None and not (isinstance(run_key, str) and run_key):
        violations.append(_invalid(f"event.runKey must be a non-empty string; got {show(run_key)}"))
        run_key = None
    _with_tags(request, execution_name, run_key or execution_name, violations)

    # Never describe a job the run may not use: its configuration would reach the report.
    described = {name: describe(name) for name in _parents_to_describe(parents) if input_policy.may_describe(name)}
    try:
        report = evaluate(
            parents,
            described,
            request,
            warm_start_type,
            training_job_limit=limit,
            failed_parent_policy=policy,
        )
    except WarmStartValidationError as error:
        found = [v for v in error.violations if not _undescribed(v, described)]
        if not _explains_foreign_parents(event.get("settings")):
            found = [_without_foreign_configuration(v, prefix) for v in found]
        raise WarmStartValidationError(_unique(violations + found), error.report) from None
    violations.extend(state_size_violations(run_input=overrides, static_request=event["request"],
                                            planned_request=request, report=report))
    if violations:
        raise WarmStartValidationError(_unique(violations), report)
    return {"request": request, "report": report}


# Violations whose message quotes the parent's configuration (image, data URIs,
# hyperparameter names, fields), and what each says without it.
_CONFIGURATION_CODES = {
    "ALGORITHM_CHANGED": "its training image or algorithm differs from the new job's",
    "DATA_CHANGED": "its input data channels or URIs differ from the new job's",
    "HYPERPARAMETER_SET_MISMATCH": "its set of hyperparameter names differs from the new job's",
    "HYPERPARAMETER_TYPE_CHANGED": "a hyperparameter has another type in it than in the new job",
    "OBJECTIVE_MISMATCH": "its objective metric differs from the new job's",
    "IMMUTABLE_FIELD_CHANGED": "a TrainingJobDefinition field that may not change differs from it",
    "TOO_MANY_CHANGES": "the new job changes more than 10 of its hyperparameters (tunable to static and values)",
}


def _explains_foreign_parents(settings: Any) -> bool:
    """The command line (run by the account's owner) sees every detail; a pipeline,
    whose execution input anyone with StartExecution writes, does not."""
    return isinstance(settings, Mapping) and settings.get("explainForeignParents") is True


def _without_foreign_configuration(violation: Violation, prefix: str) -> Violation:
    """``violation`` without the parent's configuration when the parent is not one of the
    pipeline's own jobs: whoever starts an execution must not read other jobs through
    the error cause (DESIGN.md, "Trust model")."""
    summary = _CONFIGURATION_CODES.get(violation.code)
    if summary is None or violation.parent is None or in_name_space(violation.parent, prefix):
        return violation
    return Violation(violation.code, f"parent {text(violation.parent)}: {summary}; its configuration is not echoed "
                     f"(it is not one of this pipeline's jobs, {prefix}-*): run `warm-start-tuning check` with "
                     "credentials for the details", violation.parent)


def _undescribed(violation: Violation, described: Mapping[str, Any]) -> bool:
    """A PARENT_NOT_FOUND for a parent past the fifth, which was never described: the
    engine cannot tell it from a missing one, and PARENT_COUNT already rejects the list."""
    return (
        violation.code == PARENT_NOT_FOUND
        and violation.parent is not None
        and violation.parent not in described
    )


def _unique(violations: list[Violation]) -> list[Violation]:
    # The planner and the engine may both notice the same thing (e.g. a bad Tags list).
    seen: set[Violation] = set()
    out: list[Violation] = []
    for violation in violations:
        if violation not in seen:
            seen.add(violation)
            out.append(violation)
    return out
