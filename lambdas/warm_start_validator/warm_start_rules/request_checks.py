"""INVALID_REQUEST: is this a well-formed CreateHyperParameterTuningJob request?

Only what the warm-start rules rely on, plus the mistakes that are easy to make when
pasting a request by hand. The handler also validates the final request against
botocore's own model, so this does not restate all of it. Every problem is collected
(never stop at the first) and each message starts with the JSON path of the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ._access import format_int, is_int, is_nonempty_str, quote, shorten, show
from .codes import INVALID_REQUEST
from .errors import Violation, internal_error
from .hyperparameters import AUTO, CATEGORICAL, CONTINUOUS, INTEGER, RANGE_KEYS
from .limits import (DOCUMENTED_TUNING_PARAMETERS, MAX_TUNABLE_HYPERPARAMETERS,
                     undocumented_tuning_parameter)

JOB_NAME_MAX_LENGTH = 32
# SageMaker's own pattern. Length is checked apart: `-*` makes the pattern alone allow
# more than 32 characters ("a--b" is one repetition).
JOB_NAME_PATTERN = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")
# Generated names are "<prefix>-<suffix>". SageMaker lowercases job names in ARNs, so a
# lowercase prefix is what IAM resources "hyper-parameter-tuning-job/<prefix>-*" match;
# 18 characters leave "-" and 13 base-36 digits (67 bits) to keep runs apart: two runs
# share a name by chance only about once in 10^20 (DESIGN.md: at least 64 bits).
MAX_JOB_NAME_PREFIX_LENGTH = 18
JOB_NAME_PREFIX_PATTERN = re.compile(r"[a-z0-9](-*[a-z0-9])*")
STRATEGIES = ("Bayesian", "Random", "Hyperband", "Grid")
GRID = "Grid"
OBJECTIVE_TYPES = ("Maximize", "Minimize")
SCALING_TYPES = ("Auto", "Linear", "Logarithmic", "ReverseLogarithmic")
TRAINING_INPUT_MODES = ("File", "Pipe", "FastFile")
# botocore caps MinValue/MaxValue at 256 characters; it also keeps int() away from
# the megabyte-long digit strings that Python refuses to convert.
RANGE_VALUE_MAX_LENGTH = 256
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_TEXT = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")

CONFIG = "HyperParameterTuningJobConfig"
DEFINITION = "TrainingJobDefinition"


class _Problems:
    """Collects INVALID_REQUEST violations; every message starts with a JSON path."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []

    def add(self, path: str, message: str) -> None:
        self.violations.append(Violation(INVALID_REQUEST, f"{path}: {message}"))

    def require_dict(self, parent: Mapping[str, Any], key: str,
                     path: str) -> Mapping[str, Any] | None:
        value = parent.get(key)
        if value is None:
            self.add(path, "missing; expected an object")
            return None
        if not isinstance(value, Mapping):
            self.add(path, f"expected an object, got {show(value)}")
            return None
        return value

    def require_str(self, parent: Mapping[str, Any], key: str, path: str) -> str | None:
        value = parent.get(key)
        if value is None:
            self.add(path, "missing; expected a non-empty string")
        elif not is_nonempty_str(value):
            self.add(path, f"expected a non-empty string, got {show(value)}")
        else:
            return value
        return None

    def require_choice(self, parent: Mapping[str, Any], key: str, path: str,
                       choices: tuple[str, ...]) -> str | None:
        value = parent.get(key)
        expected = "one of " + ", ".join(choices)
        if value is None:
            self.add(path, f"missing; expected {expected}")
        elif not isinstance(value, str) or value not in choices:
            self.add(path, f"expected {expected}, got {show(value)}")
        else:
            return value
        return None


def job_name_problem(name: Any) -> str | None:
    """Why ``name`` is not a valid tuning job name, or None when it is."""
    if not isinstance(name, str):
        return f"expected a string, got {show(name)}"
    if not 1 <= len(name) <= JOB_NAME_MAX_LENGTH:
        return f"expected 1 to {JOB_NAME_MAX_LENGTH} characters, got {len(name)}"
    if not JOB_NAME_PATTERN.fullmatch(name):
        return (f"{quote(name)} does not match {JOB_NAME_PATTERN.pattern} (letters, digits "
                "and hyphens; starts and ends with a letter or digit)")
    return None


def check_job_name(name: Any) -> list[str]:
    """Problems of a tuning job name as a list (empty when valid), for prop checks."""
    problem = job_name_problem(name)
    return [problem] if problem else []


def job_name_prefix_problem(prefix: Any) -> str | None:
    """Why ``prefix`` cannot start generated job names, or None when it can."""
    if not isinstance(prefix, str):
        return f"expected a string, got {show(prefix)}"
    if not 1 <= len(prefix) <= MAX_JOB_NAME_PREFIX_LENGTH:
        return f"expected 1 to {MAX_JOB_NAME_PREFIX_LENGTH} characters, got {len(prefix)}"
    if not JOB_NAME_PREFIX_PATTERN.fullmatch(prefix):
        return (f"expected lowercase letters, digits and inner hyphens (IAM matches the "
                f"lowercased job ARN), got {quote(prefix)}")
    return None


def check_request(request: Any, *, require_name: bool = False) -> list[Violation]:
    """Every INVALID_REQUEST problem of a CreateHyperParameterTuningJob request.

    WarmStartConfig is not required (the planner adds it). Never raises.
    """
    try:
        return _check_request(request, require_name)
    except Exception as error:  # the promise is: never raise
        return [internal_error(error)]


def _check_request(request: Any, require_name: bool) -> list[Violation]:
    problems = _Problems()
    if not isinstance(request, Mapping):
        problems.add("request", f"expected an object (CreateHyperParameterTuningJob "
                                f"request), got {show(request)}")
        return problems.violations
    _check_name(request, problems, require_name)
    _check_parameters(request, problems)
    tunable_names = _check_config(request, problems)
    _check_definition(request, problems, tunable_names)
    return problems.violations


def _check_name(request: Mapping[str, Any], problems: _Problems, require_name: bool) -> None:
    if "HyperParameterTuningJobName" not in request and not require_name:
        return
    if request.get("HyperParameterTuningJobName") is None:
        problems.add("HyperParameterTuningJobName", "missing; expected a tuning job name")
        return
    problem = job_name_problem(request["HyperParameterTuningJobName"])
    if problem:
        problems.add("HyperParameterTuningJobName", problem)


def _check_parameters(request: Mapping[str, Any], problems: _Problems) -> None:
    """Only what Step Functions' optimized integration carries: anything else (Autotune,
    an unknown field) would fail the create state with States.Runtime, or be dropped."""
    for key in request:
        if key in DOCUMENTED_TUNING_PARAMETERS or key == "TrainingJobDefinitions":
            continue  # TrainingJobDefinitions: _check_definition says more
        problems.add(shorten(key) if isinstance(key, str) else show(key),
                     undocumented_tuning_parameter(key if isinstance(key, str) else show(key)))


def _check_config(request: Mapping[str, Any], problems: _Problems) -> set[str]:
    """Checks HyperParameterTuningJobConfig; returns the tunable names it declares."""
    config = problems.require_dict(request, CONFIG, CONFIG)
    if config is None:
        return set()
    strategy = problems.require_choice(config, "Strategy", f"{CONFIG}.Strategy", STRATEGIES)
    _check_limits(config, problems, strategy)
    _check_objective(config, problems)
    names = _check_ranges(config, problems)
    if len(names) > MAX_TUNABLE_HYPERPARAMETERS:
        problems.add(f"{CONFIG}.ParameterRanges",
                     f"{len(names)} tunable hyperparameters; SageMaker searches at most "
                     f"{MAX_TUNABLE_HYPERPARAMETERS} (all range kinds together)")
    if strategy == GRID:
        _check_grid(config, problems)
    return names


def grid_combinations(config: Any) -> int | None:
    """The number of distinct combinations of a Grid search's categorical values (the
    number of training jobs SageMaker launches), None when the ranges are malformed."""
    ranges = config.get("ParameterRanges") if isinstance(config, Mapping) else None
    if not isinstance(ranges, Mapping):
        return None
    entries = ranges.get(RANGE_KEYS[CATEGORICAL]) or []
    if not isinstance(entries, list) or not entries:
        return None
    total = 1
    for entry in entries:
        values = entry.get("Values") if isinstance(entry, Mapping) else None
        if not isinstance(values, list) or not values:
            return None
        total *= len(values)
    return total


def _check_grid(config: Mapping[str, Any], problems: _Problems) -> None:
    """Grid search (SageMaker's "Grid search" docs): categorical ranges only;
    MaxNumberOfTrainingJobs may be left out, and when given equals the number of
    combinations, which is how many training jobs SageMaker launches."""
    path = f"{CONFIG}.ParameterRanges"
    ranges = config.get("ParameterRanges")
    ranges = ranges if isinstance(ranges, Mapping) else {}
    for kind in (INTEGER, CONTINUOUS, AUTO):
        if ranges.get(RANGE_KEYS[kind]):
            problems.add(f"{path}.{RANGE_KEYS[kind]}",
                         f"Grid search takes only categorical ranges; got {kind} ranges")
    combinations = grid_combinations(config)
    if not ranges.get(RANGE_KEYS[CATEGORICAL]):
        problems.add(f"{path}.{RANGE_KEYS[CATEGORICAL]}",
                     "Grid search needs at least one categorical range")
        return
    limits = config.get("ResourceLimits")
    maximum = limits.get("MaxNumberOfTrainingJobs") if isinstance(limits, Mapping) else None
    if combinations is not None and is_int(maximum) and maximum != combinations:
        problems.add(f"{CONFIG}.ResourceLimits.MaxNumberOfTrainingJobs",
                     f"{format_int(maximum)}; Grid search launches one training job per "
                     f"combination of the categorical values ({format_int(combinations)}): "
                     f"leave it out or give {format_int(combinations)}")


def _check_limits(config: Mapping[str, Any], problems: _Problems, strategy: Any) -> None:
    path = f"{CONFIG}.ResourceLimits"
    limits = problems.require_dict(config, "ResourceLimits", path)
    if limits is None:
        return
    # Optional for Grid only (SageMaker then launches one job per combination, which is
    # what the training-job limit counts); required for every other strategy.
    if strategy == GRID and limits.get("MaxNumberOfTrainingJobs") is None:
        maximum = grid_combinations(config)
    else:
        maximum = _positive_int(limits, "MaxNumberOfTrainingJobs",
                                f"{path}.MaxNumberOfTrainingJobs", problems)
    parallel = _positive_int(limits, "MaxParallelTrainingJobs", f"{path}.MaxParallelTrainingJobs",
                             problems)
    if maximum is not None and parallel is not None and parallel > maximum:
        problems.add(f"{path}.MaxParallelTrainingJobs",
                     f"{format_int(parallel)} > MaxNumberOfTrainingJobs {format_int(maximum)}")


def _positive_int(parent: Mapping[str, Any], key: str, path: str,
                  problems: _Problems) -> int | None:
    value = parent.get(key)
    if value is None:
        problems.add(path, "missing; expected an integer >= 1")
    elif not is_int(value) or value < 1:
        problems.add(path, f"expected an integer >= 1, got {show(value)}")
    else:
        return value
    return None


def _check_objective(config: Mapping[str, Any], problems: _Problems) -> None:
    path = f"{CONFIG}.HyperParameterTuningJobObjective"
    objective = problems.require_dict(config, "HyperParameterTuningJobObjective", path)
    if objective is None:
        return
    problems.require_choice(objective, "Type", f"{path}.Type", OBJECTIVE_TYPES)
    problems.require_str(objective, "MetricName", f"{path}.MetricName")


def _check_ranges(config: Mapping[str, Any], problems: _Problems) -> set[str]:
    path = f"{CONFIG}.ParameterRanges"
    ranges = config.get("ParameterRanges")
    if ranges is None:
        return set()  # a tuning job without tunable hyperparameters is allowed
    if not isinstance(ranges, Mapping):
        problems.add(path, f"expected an object, got {show(ranges)}")
        return set()
    seen: dict[str, str] = {}  # name -> path of its first range
    for kind, key in RANGE_KEYS.items():
        entries = ranges.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            problems.add(f"{path}.{key}", f"expected a list, got {show(entries)}")
            continue
        for index, entry in enumerate(entries):
            entry_path = f"{path}.{key}[{index}]"
            if not isinstance(entry, Mapping):
                problems.add(entry_path, f"expected an object, got {show(entry)}")
                continue
            name = problems.require_str(entry, "Name", f"{entry_path}.Name")
            if kind == AUTO:
                problems.require_str(entry, "ValueHint", f"{entry_path}.ValueHint")
            elif kind == CATEGORICAL:
                _check_categorical(entry, entry_path, problems)
            else:
                _check_numeric(kind, entry, entry_path, problems)
            if name is None:
                continue
            if name in seen:
                problems.add(entry_path, f"hyperparameter {quote(name)} already has a range at "
                                         f"{seen[name]}; each name may appear once")
            else:
                seen[name] = entry_path
    return set(seen)


def _check_categorical(entry: Mapping[str, Any], path: str, problems: _Problems) -> None:
    values = entry.get("Values")
    if not isinstance(values, list) or not values:
        problems.add(f"{path}.Values", f"expected a non-empty list of strings, got {show(values)}")
        return
    seen: set[str] = set()
    for index, value in enumerate(values):
        if not isinstance(value, str):
            problems.add(f"{path}.Values[{index}]", f"expected a string, got {show(value)}")
        elif value in seen:
            problems.add(f"{path}.Values[{index}]", f"duplicate value {quote(value)}")
        else:
            seen.add(value)


def _check_numeric(kind: str, entry: Mapping[str, Any], path: str, problems: _Problems) -> None:
    low = _parse_bound(kind, entry, "MinValue", path, problems)
    high = _parse_bound(kind, entry, "MaxValue", path, problems)
    scaling = entry.get("ScalingType")
    if scaling is not None:
        allowed = SCALING_TYPES if kind == CONTINUOUS else SCALING_TYPES[:3]
        if not isinstance(scaling, str) or scaling not in allowed:
            problems.add(f"{path}.ScalingType", f"expected one of {', '.join(allowed)} for "
                                                f"{kind} ranges, got {show(scaling)}")
            scaling = None
    if low is None or high is None:
        return
    if low > high:
        problems.add(path, f"MinValue {entry['MinValue']} > MaxValue {entry['MaxValue']}")
    if scaling == "Logarithmic" and low <= 0:
        problems.add(path, f"Logarithmic scaling needs MinValue > 0, got {entry['MinValue']}")
    if scaling == "ReverseLogarithmic" and not (low >= 0 and high < 1):
        problems.add(path, "ReverseLogarithmic scaling needs 0 <= MinValue and MaxValue < 1, got "
                           f"[{entry['MinValue']}, {entry['MaxValue']}]")


def _parse_bound(kind: str, entry: Mapping[str, Any], key: str, path: str,
                 problems: _Problems) -> float | int | None:
    value = entry.get(key)
    field_path = f"{path}.{key}"
    expected = "an integer string such as \"10\"" if kind == INTEGER else \
        "a number string such as \"0.1\""
    if value is None:
        problems.add(field_path, f"missing; expected {expected}")
        return None
    if not isinstance(value, str):
        problems.add(field_path, f"expected {expected} (the API takes strings), got {show(value)}")
        return None
    text = value.strip()
    if len(text) > RANGE_VALUE_MAX_LENGTH:
        problems.add(field_path, f"expected at most {RANGE_VALUE_MAX_LENGTH} characters, "
                                 f"got {len(text)}")
        return None
    if kind == INTEGER:
        if _INTEGER_TEXT.fullmatch(text):
            return int(text)
        problems.add(field_path, f"expected {expected}, got {show(value)}")
        return None
    number = float(text) if _DECIMAL_TEXT.fullmatch(text) else math.nan
    if not math.isfinite(number):
        problems.add(field_path, f"expected a finite {expected}, got {show(value)}")
        return None
    return number


def _check_definition(request: Mapping[str, Any], problems: _Problems,
                      tunable_names: set[str]) -> None:
    if request.get("TrainingJobDefinitions") is not None:
        problems.add("TrainingJobDefinitions", "the multi-algorithm form is not supported: "
                     "use a single TrainingJobDefinition (warm start is checked against it); "
                     + undocumented_tuning_parameter("TrainingJobDefinitions"))
        if request.get(DEFINITION) is None:
            return  # one message is enough when only the plural form is used
    definition = problems.require_dict(request, DEFINITION, DEFINITION)
    if definition is None:
        return
    _check_algorithm(definition, problems)
    problems.require_str(definition, "RoleArn", f"{DEFINITION}.RoleArn")
    output = problems.require_dict(definition, "OutputDataConfig", f"{DEFINITION}.OutputDataConfig")
    if output is not None:
        problems.require_str(output, "S3OutputPath", f"{DEFINITION}.OutputDataConfig.S3OutputPath")
    # The API accepts HyperParameterTuningResourceConfig instead of ResourceConfig.
    if definition.get("HyperParameterTuningResourceConfig") is None:
        problems.require_dict(definition, "ResourceConfig", f"{DEFINITION}.ResourceConfig")
    problems.require_dict(definition, "StoppingCondition", f"{DEFINITION}.StoppingCondition")
    _check_static(definition, problems, tunable_names)
    _check_channels(definition, problems)


def _check_algorithm(definition: Mapping[str, Any], problems: _Problems) -> None:
    path = f"{DEFINITION}.AlgorithmSpecification"
    spec = problems.require_dict(definition, "AlgorithmSpecification", path)
    if spec is None:
        return
    image, algorithm = spec.get("TrainingImage"), spec.get("AlgorithmName")
    if image is None and algorithm is None:
        problems.add(path, "expected TrainingImage or AlgorithmName, got neither")
    for key, value in (("TrainingImage", image), ("AlgorithmName", algorithm)):
        if value is not None and not is_nonempty_str(value):
            problems.add(f"{path}.{key}", f"expected a non-empty string, got {show(value)}")
    problems.require_choice(spec, "TrainingInputMode", f"{path}.TrainingInputMode",
                            TRAINING_INPUT_MODES)


def _check_static(definition: Mapping[str, Any], problems: _Problems,
                  tunable_names: set[str]) -> None:
    path = f"{DEFINITION}.StaticHyperParameters"
    static = definition.get("StaticHyperParameters")
    if static is None:
        return
    if not isinstance(static, Mapping):
        problems.add(path, f"expected an object of string -> string, got {show(static)}")
        return
    for name, value in static.items():
        if not is_nonempty_str(name):
            problems.add(path, f"expected non-empty string keys, got {show(name)}")
            continue
        if not isinstance(value, str):
            problems.add(f"{path}.{shorten(name)}", "expected a string value (the API takes "
                                                    f"strings), got {show(value)}")
        if name in tunable_names:
            problems.add(f"{path}.{shorten(name)}", f"{quote(name)} is also tunable in "
                         f"{CONFIG}.ParameterRanges; a hyperparameter is either static or tunable")


def _check_channels(definition: Mapping[str, Any], problems: _Problems) -> None:
    path = f"{DEFINITION}.InputDataConfig"
    channels = definition.get("InputDataConfig")
    if channels is None:
        return
    if not isinstance(channels, list):
        problems.add(path, f"expected a list of channels, got {show(channels)}")
        return
    seen: set[str] = set()
    for index, channel in enumerate(channels):
        channel_path = f"{path}[{index}]"
        if not isinstance(channel, Mapping):
            problems.add(channel_path, f"expected an object, got {show(channel)}")
            continue
        name = problems.require_str(channel, "ChannelName", f"{channel_path}.ChannelName")
        if name is not None:
            if name in seen:
                problems.add(f"{channel_path}.ChannelName", f"duplicate channel {quote(name)}")
            seen.add(name)
        problems.require_dict(channel, "DataSource", f"{channel_path}.DataSource")
