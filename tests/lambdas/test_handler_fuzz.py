"""Bad input of any shape gets WarmStartValidationError, never anything else.

Thousands of random events and of valid events mutated at random paths (keys deleted,
types swapped, None/ints/lists/huge strings injected) go to the real handler while moto
holds the parents. Every outcome must be a JSON-safe result whose request botocore's
model accepts, or a WarmStartValidationError whose cause is well-formed JSON. The
prepare (automatic selection, resume, new data) and nextRound actions get the same.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import handler as handler_module
import hypothesis
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws
from moto_fixtures import REGION, aws_credentials, create_parent, set_status, valid_event  # noqa: F401
from moto_fixtures import valid_request
from warm_start_rules import ALL_CODES, INTERNAL_ERROR_MARKER, WarmStartValidationError
from warm_start_rules.parent_selection import MODES

SHAPE = (
    botocore.session.get_session()
    .get_service_model("sagemaker")
    .operation_model("CreateHyperParameterTuningJob")
    .input_shape
)
FUZZ = settings(
    deadline=None,
    database=None,  # no example files written next to the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Built, not literal: hypothesis prints strategies, and a 300 kB repr drowns the report.
huge_strings = st.integers(100_000, 300_000).map(lambda n: "x" * n)
KNOWN_KEYS = [
    "parents", "warmStartType", "request", "overrides", "executionName", "settings",
    "tuningJobName", "inputData", "maxTrainingJobs", "maxParallelTrainingJobs",
    "staticHyperParameters", "jobNamePrefix", "trainingJobLimit", "failedParentPolicy",
    "Tags", "WarmStartConfig", "HyperParameterTuningJobName", "TrainingJobDefinitions",
    "ResourceLimits", "ParameterRanges", "StaticHyperParameters", "InputDataConfig", "S3Uri",
    "action", "input", "defaults", "resume", "newObject", "newDataChannels", "bucket", "key",
    "round", "rounds", "tuningJob", "run", "maxRounds", "minImprovement", "trainingJobsStep",
    "BestTrainingJob", "FinalHyperParameterTuningJobObjectiveMetric", "Value",
]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 5, 500, 2**63, 10**400, -(10**50)]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "p1", "p2", "gone", "s3://b/x", "TransferLearning", "IdenticalDataAndAlgorithm",
                     "Completed", "imgcls", "imgcls-x", "warn", "reject", "\ud800", "a" * 33,
                     "imgcls-old", "imgcls-stopped", "prepare", "nextRound", "Maximize", "Minimize"]),
    huge_strings,
)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=12), children, max_size=5),
    max_leaves=15,
)


@pytest.fixture(scope="module")
def handler(aws_credentials: None) -> Iterator[Any]:  # noqa: F811
    """One moto backend for the whole module: p1, p2 Completed, p3 InProgress; the
    pipeline's own earlier jobs imgcls-old (Completed), imgcls-stopped (Stopped, warm
    started from imgcls-old) and imgcls-running (InProgress)."""
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        for name in ("p1", "p2", "p3", "imgcls-old", "imgcls-running"):
            create_parent(client, name)
        client.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="imgcls-stopped",
            WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "imgcls-old"}],
                             "WarmStartType": "TransferLearning"},
            **valid_request(),
        )
        set_status("p3", "InProgress")
        set_status("imgcls-running", "InProgress")
        set_status("imgcls-stopped", "Stopped")
        handler_module._client = None
        yield handler_module
        handler_module._client = None


def check_outcome(handler: Any, event: Any) -> str:
    """Run the handler; assert the contract; return "accepted" or "rejected"."""
    try:
        result = handler.lambda_handler(event, None)
    except WarmStartValidationError as error:
        cause = json.loads(str(error))
        assert set(cause) == {"violations"} and cause["violations"]
        for violation in cause["violations"]:
            assert set(violation) == {"code", "message", "parent"}
            assert violation["code"] in ALL_CODES
            assert isinstance(violation["message"], str) and violation["message"]
            assert INTERNAL_ERROR_MARKER not in violation["message"], violation["message"]
        return "rejected"
    assert set(result) == {"request", "report"}
    assert result["report"]["accepted"] is True
    json.dumps(result)
    report = ParamValidator().validate(result["request"], SHAPE)
    assert not report.has_errors(), report.generate_report()
    return "accepted"


# --- random events ----------------------------------------------------------------------

random_events = st.one_of(
    json_values,
    st.dictionaries(st.sampled_from(KNOWN_KEYS[:6]), json_values, max_size=6),
    st.fixed_dictionaries(
        {"parents": st.lists(st.sampled_from(["p1", "p2", "p3", "gone", 7, None]), max_size=7),
         "warmStartType": st.sampled_from(["TransferLearning", "IdenticalDataAndAlgorithm", "x", None]),
         "request": st.just(None).map(lambda _: valid_event([])["request"]) | json_values,
         "executionName": st.text(max_size=90) | json_values},
        optional={"overrides": json_values, "settings": json_values},
    ),
)


@settings(FUZZ, max_examples=1000)
@given(event=random_events)
def test_random_events(handler: Any, event: Any) -> None:
    hypothesis.event(check_outcome(handler, event))


# --- mutated valid events ---------------------------------------------------------------


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from paths(value, prefix + (index,))


def container(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


def swapped(value: Any) -> Any:
    """The same content in another JSON type."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value) if abs(value) < 10**100 else None
    if isinstance(value, float):
        return str(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    return 0


@st.composite
def mutated_events(draw: st.DrawFn) -> Any:
    event: Any = valid_event(draw(st.sampled_from([["p1"], ["p1", "p2"], ["p2", "p1"]])))
    event["warmStartType"] = draw(st.sampled_from(["TransferLearning", "IdenticalDataAndAlgorithm"]))
    event["overrides"] = draw(st.sampled_from([
        {}, None, {"maxTrainingJobs": 10}, {"inputData": {"train": "s3://b/t"}},
        {"staticHyperParameters": {"num_round": 7}}, {"tuningJobName": "imgcls-z"},
    ]))
    return mutate(draw, event)


def mutate(draw: st.DrawFn, event: Any) -> Any:
    """1 to 4 random changes at random paths of ``event`` (deleted, replaced, swapped,
    special values, injected keys or items)."""
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(paths(event))))
        operation = draw(st.sampled_from(["delete", "replace", "swap", "inject", "special"]))
        if path == ():
            if operation in ("replace", "special"):
                event = draw(json_values)
            continue
        parent, key = container(event, path), path[-1]
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(json_values)
        elif operation == "swap":
            parent[key] = swapped(parent[key])
        elif operation == "special":
            parent[key] = draw(
                st.sampled_from([None, 0, -1, 10**100, [], {}, float("nan"), True]) | huge_strings
            )
        elif isinstance(parent[key], dict):  # inject a key
            parent[key][draw(st.sampled_from(KNOWN_KEYS) | st.text(max_size=8))] = draw(json_values)
        elif isinstance(parent[key], list):
            parent[key].append(draw(json_values))
    return event


@settings(FUZZ, max_examples=1500)
@given(event=mutated_events())
def test_mutated_events(handler: Any, event: Any) -> None:
    before = copy.deepcopy(event) if not _has_nan(event) else None
    hypothesis.event(check_outcome(handler, event))
    if before is not None:
        assert event == before, "the handler must not modify its input"


def _has_nan(value: Any) -> bool:
    return "NaN" in json.dumps(value) if not isinstance(value, str) else False


def test_unmutated_events_are_accepted(handler: Any) -> None:
    # The fuzz above starts from these: make sure they are accepted to begin with.
    for parents in (["p1"], ["p1", "p2"]):
        assert check_outcome(handler, valid_event(parents)) == "accepted"


# --- poll events --------------------------------------------------------------------------

poll_events = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"jobs": st.lists(st.sampled_from(["p1", "p3", "gone", 5, "", None]), max_size=6) | json_values},
        optional={
            "poll": st.fixed_dictionaries({}, optional={"iteration": json_values, "waitedSeconds": json_values})
            | json_values,
            "settings": st.fixed_dictionaries(
                {}, optional={k: json_values | st.integers(0, 10**6) for k in (
                    "initialIntervalSeconds", "maxIntervalSeconds", "backoffRate", "timeoutSeconds")}
            ) | json_values,
        },
    ),
)


@settings(FUZZ, max_examples=500)
@given(event=poll_events)
def test_random_poll_events(handler: Any, event: Any) -> None:
    try:
        result = handler.poll_handler(event, None)
    except WarmStartValidationError as error:
        assert {v["code"] for v in json.loads(str(error))["violations"]} == {"INVALID_REQUEST"}
        return
    json.dumps(result)
    assert isinstance(result["nextWaitSeconds"], int) and result["iteration"] >= 1


# --- prepare events: input, resume, defaults, automatic selection, new data ------------------


def check_error(error: WarmStartValidationError) -> None:
    cause = json.loads(str(error))
    assert set(cause) == {"violations"} and cause["violations"]
    for violation in cause["violations"]:
        assert set(violation) == {"code", "message", "parent"}
        assert violation["code"] in ALL_CODES
        assert isinstance(violation["message"], str) and violation["message"]
        assert INTERNAL_ERROR_MARKER not in violation["message"], violation["message"]


def check_prepare_outcome(handler: Any, event: Any) -> str:
    before = copy.deepcopy(event) if not _has_nan(event) else None
    try:
        run = handler.prepare_handler(event, None)
    except WarmStartValidationError as error:
        check_error(error)
        outcome = "rejected"
    else:
        json.dumps(run)
        assert set(run) == {"parents", "warmStartType", "overrides", "selection", "request", "runKey"}
        assert run["request"] == event["request"]  # handed on unchanged to the validate step
        assert isinstance(run["parents"], list) and 1 <= len(run["parents"]) <= 5
        assert all(isinstance(p, str) for p in run["parents"])
        assert not {"resume", "newObject"} & set(run["overrides"])
        assert run["selection"]["mode"] in MODES and run["selection"]["chosen"] == run["parents"]
        assert all(isinstance(reason, str) for reason in run["selection"]["reasons"])
        outcome = f"accepted ({run['selection']['mode']})"
    if before is not None:
        assert event == before, "the handler must not modify its input"
    return outcome


PREPARE_SETTINGS = {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject",
                    "newDataChannels": ["train", "validation"]}

random_prepare_events = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"input": st.dictionaries(st.sampled_from(KNOWN_KEYS[6:11] + ["parents", "resume", "newObject"]),
                                  json_values, max_size=4) | json_values},
        optional={"defaults": json_values, "request": json_values | st.just(None).map(lambda _: valid_request()),
                  "settings": json_values | st.builds(copy.deepcopy, st.just(PREPARE_SETTINGS))},
    ),
)


@st.composite
def mutated_prepare_events(draw: st.DrawFn) -> Any:
    event: Any = {
        "action": "prepare",
        "input": draw(st.sampled_from([
            {}, {"parents": ["p1"]}, {"resume": "imgcls-stopped"}, {"resume": "imgcls-old"},
            {"newObject": {"bucket": "ml-data", "key": "in/2024/_SUCCESS"}}, {"maxTrainingJobs": 5},
            {"parents": None, "warmStartType": "TransferLearning"},
        ])),
        "defaults": draw(st.sampled_from([{"parents": [], "warmStartType": "TransferLearning"},
                                          {"parents": ["p1", "p2"], "warmStartType": "TransferLearning"}])),
        "request": valid_request(),
        "settings": copy.deepcopy(PREPARE_SETTINGS),
    }
    return mutate(draw, event)


@settings(FUZZ, max_examples=300)
@given(event=random_prepare_events)
def test_random_prepare_events(handler: Any, event: Any) -> None:
    hypothesis.event(check_prepare_outcome(handler, event))


@settings(FUZZ, max_examples=600)
@given(event=mutated_prepare_events())
def test_mutated_prepare_events(handler: Any, event: Any) -> None:
    hypothesis.event(check_prepare_outcome(handler, event))


def test_unmutated_prepare_events_are_accepted(handler: Any) -> None:
    base = {"action": "prepare", "request": valid_request(), "settings": PREPARE_SETTINGS,
            "defaults": {"parents": [], "warmStartType": "TransferLearning"}}
    assert check_prepare_outcome(handler, {**base, "input": {}}) == "accepted (automatic)"
    assert check_prepare_outcome(handler, {**base, "input": {"resume": "imgcls-stopped"}}) == "accepted (resume)"
    assert check_prepare_outcome(handler, {**base, "input": {"parents": ["p1"]}}) == "accepted (input)"


# --- nextRound events ----------------------------------------------------------------------------


def check_round_outcome(handler: Any, event: Any) -> str:
    try:
        result = handler.next_round_handler(event, None)
    except WarmStartValidationError as error:
        check_error(error)
        assert {v["code"] for v in json.loads(str(error))["violations"]} == {"INVALID_REQUEST"}
        return "rejected"
    json.dumps(result)
    assert set(result) == {"continue", "reason", "rounds", "round", "next"}
    assert isinstance(result["continue"], bool) and isinstance(result["reason"], str)
    assert result["next"]["warmStartType"] == "IdenticalDataAndAlgorithm"
    assert "tuningJobName" not in result["next"]["overrides"]
    assert isinstance(result["next"]["overrides"]["maxTrainingJobs"], int)
    return "continue" if result["continue"] else "stop"


def round_event() -> dict[str, Any]:
    return {
        "action": "nextRound",
        "round": 1,
        "rounds": [{"round": 0, "tuningJobName": "imgcls-r0", "maxTrainingJobs": 10, "bestTrainingJob": "t",
                    "bestObjective": 0.8, "objectiveType": "Maximize", "improvement": None}],
        "tuningJob": {
            "HyperParameterTuningJobName": "imgcls-r1",
            "HyperParameterTuningJobConfig": {
                "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 15, "MaxParallelTrainingJobs": 2}},
            "TrainingJobStatusCounters": {"Completed": 15},
            "BestTrainingJob": {"TrainingJobName": "imgcls-r1-001",
                                "FinalHyperParameterTuningJobObjectiveMetric": {"Type": "Maximize", "Value": 0.9}},
        },
        "run": {"parents": ["imgcls-r0"], "warmStartType": "IdenticalDataAndAlgorithm",
                "overrides": {"maxTrainingJobs": 15, "tuningJobName": "imgcls-x"}},
        "settings": {"maxRounds": 4, "minImprovement": 0.01, "trainingJobsStep": 5},
    }


@st.composite
def mutated_round_events(draw: st.DrawFn) -> Any:
    return mutate(draw, round_event())


@settings(FUZZ, max_examples=300)
@given(event=json_values | st.dictionaries(st.sampled_from(["round", "rounds", "tuningJob", "run", "settings"]),
                                            json_values, max_size=5))
def test_random_round_events(handler: Any, event: Any) -> None:
    hypothesis.event(check_round_outcome(handler, event))


@settings(FUZZ, max_examples=600)
@given(event=mutated_round_events())
def test_mutated_round_events(handler: Any, event: Any) -> None:
    before = copy.deepcopy(event) if not _has_nan(event) else None
    hypothesis.event(check_round_outcome(handler, event))
    if before is not None:
        assert event == before, "the handler must not modify its input"


def test_unmutated_round_event_continues(handler: Any) -> None:
    assert check_round_outcome(handler, round_event()) == "continue"
