"""Property test: whatever it is given, the engine answers with a report or with
WarmStartValidationError whose violations carry known codes; nothing else, ever."""

from __future__ import annotations

import copy
import json
from typing import Any

from factories import parent_describe, valid_request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from warm_start_rules import (ALL_CODES, INTERNAL_ERROR_MARKER, WARM_START_TYPES, WARNING_CODES,
                              Violation, WarmStartValidationError, check_request, check_static,
                              evaluate)


def fuzz(examples: int) -> settings:
    # 1,800 examples across the file in ~8 s of CPU: generating parents dominates, the
    # engine is cheap. No deadline: a loaded machine must not turn slowness into failures.
    return settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


BASE_REQUEST = valid_request()
NAMES = ("p1", "p2", "p3")

def _too_long_to_print() -> int:
    # More digits than Python will turn into text (ValueError): messages must cope. Built
    # by a function so that Hypothesis never has to print it in a strategy's repr.
    return 10**5000


# Values that sit on the rules' edges, mixed into otherwise valid documents.
INTERESTING = st.builds(_too_long_to_print) | st.sampled_from([
    None, True, False, 0, 1, -1, 2**63, -(10**40), 0.5, float("nan"), float("inf"),
    "", "0", "-1", "1e400", "nan", "1.5", "abc", "x" * 300, "red", "Logarithmic",
    "ReverseLogarithmic", "Integer", "Categorical", "Completed", "Failed", "InProgress",
    "Maximize", "2018-09-30T23:59:59Z", "2024-01-01T00:00:00+05:00", "sagemaker_x",
    "_tuning_objective_metric", "learning_rate", "p1", "bad_name", "\ud800", [], {}, [None], {"": None},
])
SCALARS = (st.none() | st.booleans() | st.integers() | st.floats()
            | st.text(max_size=12) | INTERESTING)
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=10) | st.sampled_from(["Name", "Values", "MinValue"]),
                      inner, max_size=4),
    max_leaves=12,
)


def _paths(document: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, prefix + (index,))
    return found


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with a few random subtrees replaced by garbage or deleted."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 5))):
        path = draw(st.sampled_from(_paths(document)))
        # A copy: sampled_from hands out the same list/dict objects every time, and a
        # later mutation must not change the strategy itself.
        replacement = copy.deepcopy(draw(INTERESTING | GARBAGE))
        if not path:
            document = replacement
            continue
        container = document
        for key in path[:-1]:
            container = container[key]
        if draw(st.booleans()):
            del container[path[-1]]
        else:
            container[path[-1]] = replacement
    return document


def _sometimes(draw: st.DrawFn) -> bool:
    # Each edit is rare enough that a fair share of the warm starts is accepted.
    return draw(st.integers(0, 4)) == 0


@st.composite
def realistic_request(draw: st.DrawFn) -> dict[str, Any]:
    """A valid request with rule-relevant edits: tunables made static, static values,
    types swapped, images and channels changed."""
    request = copy.deepcopy(BASE_REQUEST)
    config, definition = request["HyperParameterTuningJobConfig"], request["TrainingJobDefinition"]
    ranges = config["ParameterRanges"]
    static = definition["StaticHyperParameters"]
    for kind in list(ranges):
        kept = []
        for entry in ranges[kind]:
            action = draw(st.sampled_from(["keep"] * 4 + ["static", "swap"]))
            if action == "static":
                static[entry["Name"]] = draw(st.sampled_from(["1", "sgd", "0.5"]))
            elif action == "swap" and kind != "CategoricalParameterRanges":
                other = ("IntegerParameterRanges" if kind == "ContinuousParameterRanges"
                         else "ContinuousParameterRanges")
                ranges.setdefault(other, []).append(
                    {"Name": entry["Name"], "MinValue": "1", "MaxValue": "2"})
            else:
                kept.append(entry)
        ranges[kind] = kept
    for name in list(static):
        if _sometimes(draw):
            static[name] = draw(st.sampled_from(["changed", "", "42"]))
    if _sometimes(draw):
        static[draw(st.sampled_from(["extra", "sagemaker_program"]))] = "1"
    if _sometimes(draw):
        definition["AlgorithmSpecification"]["TrainingImage"] = "other:1"
    if _sometimes(draw):
        definition["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://b/new/"
    if _sometimes(draw):
        definition[draw(st.sampled_from(["EnableNetworkIsolation", "Environment", "RoleArn"]))] = \
            draw(st.sampled_from([True, {"A": "b"}, {}, "arn:x"]))
    config["ResourceLimits"]["MaxNumberOfTrainingJobs"] = draw(st.integers(1, 300))
    config["ResourceLimits"]["MaxParallelTrainingJobs"] = 1
    return request


@st.composite
def parent(draw: st.DrawFn, name: str) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return None  # not found
    described = parent_describe(
        name,
        request=draw(st.just(BASE_REQUEST) | realistic_request()),
        status=draw(st.sampled_from(["Completed"] * 3 + ["Stopped", "Failed", "InProgress"])),
        creation_time=draw(st.sampled_from(
            ["2024-01-01T00:00:00Z"] * 3 + ["2018-01-01T00:00:00Z", 1.7e9, None, "garbage"])),
        counters={key: draw(st.integers(0, 30)) for key in
                  ("Completed", "InProgress", "RetryableError", "NonRetryableError", "Stopped")},
        warm_start_parents=draw(st.none() | st.lists(st.sampled_from(NAMES + ("p0",)), max_size=2)),
    )
    if draw(st.integers(0, 3)) == 0:
        return draw(mutated(described))
    return described


parent_names = (st.lists(st.sampled_from(NAMES), min_size=0, max_size=7)
                | mutated(list(NAMES)) | GARBAGE)
warm_start_types = st.sampled_from(WARM_START_TYPES) | INTERESTING
limits = st.sampled_from([500, 750, 1, 0, -5, True, 1.5, None, 10**40]) | st.builds(_too_long_to_print)
policies = st.sampled_from(["reject", "warn", "ignore", None, 0])
requests = realistic_request() | mutated(BASE_REQUEST) | GARBAGE


@st.composite
def parent_maps(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(GARBAGE)
    return {name: draw(parent(name)) for name in NAMES}


def assert_violations(violations: list[Violation]) -> None:
    for violation in violations:
        assert isinstance(violation, Violation)
        assert violation.code in ALL_CODES
        assert isinstance(violation.message, str) and violation.message
        assert INTERNAL_ERROR_MARKER not in violation.message, violation.message
        assert violation.parent is None or isinstance(violation.parent, str)


def assert_outcome(run) -> None:
    try:
        report = run()
    except WarmStartValidationError as error:
        assert error.violations
        assert_violations(error.violations)
        cause = json.loads(str(error))
        assert [v["code"] for v in cause["violations"]] == [v.code for v in error.violations]
        return
    assert report["accepted"] is True
    json.dumps(report, allow_nan=False)  # JSON-safe: the Lambda returns it as is
    assert all(w["code"] in WARNING_CODES for w in report["warnings"])
    jobs = report["trainingJobs"]
    assert jobs["total"] == jobs["usedByParents"] + jobs["newMaximum"] <= jobs["limit"]
    assert report["changes"]["max"] <= report["changes"]["limit"]


@fuzz(400)
@given(names=parent_names, parents=parent_maps(), request=requests,
       warm_start_type=warm_start_types, limit=limits, policy=policies)
def test_evaluate_answers_any_input_with_a_report_or_our_error(names, parents, request,
                                                               warm_start_type, limit, policy):
    assert_outcome(lambda: evaluate(names, parents, request, warm_start_type,
                                    training_job_limit=limit, failed_parent_policy=policy))


@fuzz(400)
@given(names=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True),
       parents=parent_maps(), request=realistic_request(),
       warm_start_type=st.sampled_from(WARM_START_TYPES))
def test_evaluate_on_realistic_warm_starts(names, parents, request, warm_start_type):
    assert_outcome(lambda: evaluate(names, parents, request, warm_start_type))


@fuzz(1000)
@given(request=requests, warm_start_type=warm_start_types, names=st.none() | parent_names,
       limit=limits, prefix=st.none() | st.text(max_size=30) | INTERESTING)
def test_check_static_and_check_request_never_raise(request, warm_start_type, names, limit, prefix):
    violations = check_static(request, warm_start_type, names, training_job_limit=limit,
                              job_name_prefix=prefix)
    assert isinstance(violations, list)
    assert_violations(violations)
    for require_name in (False, True):
        found = check_request(request, require_name=require_name)
        assert_violations(found)
        assert all(v.code == "INVALID_REQUEST" for v in found)

