"""The planner: event reading, overrides, job name, WarmStartConfig, Tags (no AWS)."""

from __future__ import annotations

import copy
import json
import math
import re
from typing import Any

import pytest
from moto_fixtures import valid_event, valid_request
from warm_start_rules import WarmStartValidationError
from warm_start_rules.planner import (
    EXECUTION_TAG_KEY,
    OVERRIDE_KEYS,
    RUN_KEY_TAG_KEY,
    merge_overrides,
    plan,
    run_key_tag_value,
    tuning_job_name,
)

NAME_RULE = re.compile(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}")


def parent(name: str, request: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A DescribeHyperParameterTuningJob response as parents.describe_parent returns it."""
    body = valid_request() if request is None else request
    described = {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": "2024-01-01T00:00:00+00:00",
        "HyperParameterTuningJobConfig": body["HyperParameterTuningJobConfig"],
        "TrainingJobDefinition": body["TrainingJobDefinition"],
        "TrainingJobStatusCounters": {
            "Completed": 20, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0, "Stopped": 0,
        },
    }
    described.update(fields)
    return described


class Describer:
    """describe(name) over a dict; records every call."""

    def __init__(self, *jobs: dict[str, Any]) -> None:
        self.jobs = {job["HyperParameterTuningJobName"]: job for job in jobs}
        self.calls: list[str] = []

    def __call__(self, name: str) -> dict[str, Any] | None:
        self.calls.append(name)
        return copy.deepcopy(self.jobs.get(name))


def rejection(event: Any, describe: Any = None) -> list[dict[str, Any]]:
    with pytest.raises(WarmStartValidationError) as caught:
        plan(event, describe or Describer(parent("p1")))
    cause = json.loads(str(caught.value))
    assert cause["violations"], "a rejection names at least one violation"
    return cause["violations"]


def codes(violations: list[dict[str, Any]]) -> set[str]:
    return {v["code"] for v in violations}


def messages(violations: list[dict[str, Any]]) -> str:
    return "\n".join(v["message"] for v in violations)


# --- tuning_job_name ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["a", "imgcls", "warm-start", "x" * 18, "a--b"])
def test_job_name_is_valid_deterministic_and_prefixed(prefix: str) -> None:
    name = tuning_job_name(prefix, "exec-1")
    assert name == tuning_job_name(prefix, "exec-1")
    assert name.startswith(prefix + "-")
    assert len(name) <= 32 and NAME_RULE.fullmatch(name)
    assert name != tuning_job_name(prefix, "exec-2")


def test_job_name_suffix_carries_at_least_64_bits_at_the_longest_prefix() -> None:
    # The trust model: two runs never share a name by chance. 13 base-36 digits = 67 bits.
    suffix = tuning_job_name("x" * 18, "e").split("-")[-1]
    assert len(suffix) == 13 and suffix.isalnum() and suffix == suffix.lower()
    assert len(suffix) * math.log2(36) >= 64
    assert len(tuning_job_name("x" * 18, "e")) == 32 == len(tuning_job_name("a", "e"))


def test_names_of_the_issue_example_no_longer_collide() -> None:
    # At main before the trust model both gave 'imgcls-classifier-night-e2f7334c'.
    assert tuning_job_name("imgcls-classifier", "nightly-26896") != tuning_job_name("imgcls-classifier", "nightly-39373")


@pytest.mark.parametrize("prefix", ["", "Upper", "x" * 19, "-a", "a-", "a_b", 7, None])
def test_job_name_rejects_bad_prefix(prefix: Any) -> None:
    with pytest.raises(WarmStartValidationError, match="INVALID_REQUEST"):
        tuning_job_name(prefix, "exec")


@pytest.mark.parametrize("execution", ["", None, 3])
def test_job_name_rejects_bad_execution(execution: Any) -> None:
    with pytest.raises(WarmStartValidationError, match="executionName"):
        tuning_job_name("p", execution)


def test_job_name_accepts_any_unicode_execution_name() -> None:
    assert NAME_RULE.fullmatch(tuning_job_name("p", "\ud800-ünïcode"))


# --- plan: accepted ------------------------------------------------------------------


def test_accepted_plan_builds_the_final_request() -> None:
    event = valid_event(["p1", "p2"])
    event["request"]["Tags"] = [{"Key": "team", "Value": "ml"}]
    original = copy.deepcopy(event)
    describe = Describer(parent("p1"), parent("p2"))

    result = plan(event, describe)

    final = result["request"]
    assert final["HyperParameterTuningJobName"] == tuning_job_name("imgcls", "run-2024-06-01")
    assert final["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": "p1"},
            {"HyperParameterTuningJobName": "p2"},
        ],
        "WarmStartType": "TransferLearning",
    }
    assert final["Tags"] == [
        {"Key": "team", "Value": "ml"},
        {"Key": EXECUTION_TAG_KEY, "Value": "run-2024-06-01"},
        {"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("run-2024-06-01")},
    ]
    assert final["TrainingJobDefinition"] == event["request"]["TrainingJobDefinition"]
    assert event == original, "the event is not modified"
    assert describe.calls == ["p1", "p2"]
    report = result["report"]
    assert report["accepted"] is True
    assert [p["name"] for p in report["parents"]] == ["p1", "p2"]
    json.dumps(result)  # the Lambda returns it to Step Functions


def test_tags_are_always_present() -> None:
    event = valid_event(["p1"])
    assert "Tags" not in event["request"]
    assert plan(event, Describer(parent("p1")))["request"]["Tags"] == [
        {"Key": EXECUTION_TAG_KEY, "Value": "run-2024-06-01"},
        {"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("run-2024-06-01")},
    ]


def test_run_key_is_the_event_run_key_and_a_pasted_one_is_replaced() -> None:
    event = valid_event(["p1"], executionName="run-2024-06-01-round-1", runKey="run-2024-06-01")
    event["request"]["Tags"] = [{"Key": RUN_KEY_TAG_KEY, "Value": "forged"}]
    tags = plan(event, Describer(parent("p1")))["request"]["Tags"]
    assert [t for t in tags if t["Key"] == RUN_KEY_TAG_KEY] == [
        {"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("run-2024-06-01")}]


def test_existing_execution_tag_is_replaced_not_duplicated() -> None:
    event = valid_event(["p1"])
    event["request"]["Tags"] = [{"Key": EXECUTION_TAG_KEY, "Value": "old"}]
    tags = plan(event, Describer(parent("p1")))["request"]["Tags"]
    assert [t for t in tags if t["Key"] == EXECUTION_TAG_KEY] == [{"Key": EXECUTION_TAG_KEY, "Value": "run-2024-06-01"}]


def test_execution_tag_value_keeps_to_sagemakers_tag_characters() -> None:
    event = valid_event(["p1"], executionName="run(1)!#x")
    tags = plan(event, Describer(parent("p1")))["request"]["Tags"]
    assert tags[0] == {"Key": EXECUTION_TAG_KEY, "Value": "run_1___x"}


def test_pasted_name_and_warm_start_config_are_replaced() -> None:
    event = valid_event(["p1"])
    event["request"]["HyperParameterTuningJobName"] = "pasted"
    event["request"]["WarmStartConfig"] = {"ParentHyperParameterTuningJobs": [], "WarmStartType": "X"}
    final = plan(event, Describer(parent("p1")))["request"]
    assert final["HyperParameterTuningJobName"].startswith("imgcls-")
    assert final["WarmStartConfig"]["WarmStartType"] == "TransferLearning"


def test_settings_are_optional() -> None:
    event = valid_event(["p1"])
    del event["settings"], event["overrides"]
    final = plan(event, Describer(parent("p1")))["request"]
    assert final["HyperParameterTuningJobName"] == tuning_job_name("warm-start", "run-2024-06-01")


def test_null_settings_and_overrides_are_defaults() -> None:
    event = valid_event(["p1"], settings=None, overrides=None)
    assert plan(event, Describer(parent("p1")))["report"]["trainingJobs"]["limit"] == 500


# --- overrides -----------------------------------------------------------------------


def test_tuning_job_name_override_within_prefix() -> None:
    event = valid_event(["p1"], overrides={"tuningJobName": "imgcls-nightly-7"})
    assert plan(event, Describer(parent("p1")))["request"]["HyperParameterTuningJobName"] == "imgcls-nightly-7"


def test_tuning_job_name_override_needs_no_execution_name() -> None:
    event = valid_event(["p1"], overrides={"tuningJobName": "imgcls-a"})
    del event["executionName"]
    final = plan(event, Describer(parent("p1")))["request"]
    assert final["HyperParameterTuningJobName"] == "imgcls-a"
    assert final["Tags"] == []


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("imgcls_x", "does not match"),
        ("imgcls-" + "x" * 30, "1 to 32 characters"),
        ("", "1 to 32 characters"),
        (12, "expected a string"),
        (None, "expected a string"),
    ],
)
def test_bad_tuning_job_name_override(name: Any, fragment: str) -> None:
    violations = rejection(valid_event(["p1"], overrides={"tuningJobName": name}))
    assert codes(violations) == {"INVALID_REQUEST"}
    assert fragment in messages(violations)


def test_tuning_job_name_outside_the_name_space_is_not_allowed() -> None:
    for name in ("other-name", "imgcls2-x", "imgcls"):  # imgcls owns imgcls-*, nothing else
        violations = rejection(valid_event(["p1"], overrides={"tuningJobName": name}))
        assert codes(violations) == {"OVERRIDE_NOT_ALLOWED"}
        assert "must start with 'imgcls-'" in messages(violations)


def test_input_data_replaces_existing_channels() -> None:
    overrides = {"inputData": {"train": "s3://example-bucket/new/train/"}}
    final = plan(valid_event(["p1"], overrides=overrides), Describer(parent("p1")))["request"]
    channels = {c["ChannelName"]: c for c in final["TrainingJobDefinition"]["InputDataConfig"]}
    assert list(channels) == ["train", "validation"]
    assert channels["train"]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://example-bucket/new/train/"
    assert channels["validation"]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://example-bucket/data/validation/"


def test_merge_overrides_alone_adds_a_channel_with_the_first_channels_settings() -> None:
    # merge_overrides merges; the input policy (checked by plan and prepare) refuses new channels.
    merged, violations = merge_overrides(valid_request(), {"inputData": {"extra": "s3://new/extra"}})
    assert violations == []
    extra = merged["TrainingJobDefinition"]["InputDataConfig"][-1]
    assert extra["ContentType"] == "text/csv"
    assert extra["DataSource"]["S3DataSource"] == {
        "S3DataType": "S3Prefix", "S3Uri": "s3://new/extra", "S3DataDistributionType": "FullyReplicated",
    }


def test_input_data_change_is_data_changed_for_identical_data() -> None:
    event = valid_event(
        ["p1"], warmStartType="IdenticalDataAndAlgorithm",
        overrides={"inputData": {"train": "s3://example-bucket/new/train/"}},
    )
    assert "DATA_CHANGED" in codes(rejection(event))


def test_input_data_into_a_request_without_channels() -> None:
    request = valid_request()
    del request["TrainingJobDefinition"]["InputDataConfig"]
    merged, violations = merge_overrides(request, {"inputData": {"train": "s3://b/t"}})
    assert violations == []
    assert merged["TrainingJobDefinition"]["InputDataConfig"] == [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/t"}}}
    ]


@pytest.mark.parametrize(
    "input_data",
    [
        {"train": "https://example.com/x"},
        {"train": "s3://"},
        {"train": "/local/path"},
        {"train": 5},
        {"train": None},
        {"bad name!": "s3://b/x"},
        {"train": "s3://example-bucket/" + "x" * 1100},
        ["s3://b/x"],
        "s3://b/x",
    ],
)
def test_bad_input_data(input_data: Any) -> None:
    violations = rejection(valid_event(["p1"], overrides={"inputData": input_data}))
    # A malformed channel name is also no channel of the definition (OVERRIDE_NOT_ALLOWED).
    assert "INVALID_REQUEST" in codes(violations) and codes(violations) <= {"INVALID_REQUEST", "OVERRIDE_NOT_ALLOWED"}
    assert "inputData" in messages(violations)


@pytest.mark.parametrize("value, expected", [(30, 30), (30.0, 30), (1, 1)])
def test_max_training_jobs(value: Any, expected: int) -> None:
    final = plan(valid_event(["p1"], overrides={"maxTrainingJobs": value, "maxParallelTrainingJobs": 1.0}),
                 Describer(parent("p1")))["request"]
    limits = final["HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert limits == {"MaxNumberOfTrainingJobs": expected, "MaxParallelTrainingJobs": 1}
    assert type(limits["MaxNumberOfTrainingJobs"]) is int


@pytest.mark.parametrize("key", ["maxTrainingJobs", "maxParallelTrainingJobs"])
@pytest.mark.parametrize("value", [0, -3, 2.5, True, "5", None, float("nan"), float("inf"), [5]])
def test_bad_resource_limits(key: str, value: Any) -> None:
    violations = rejection(valid_event(["p1"], overrides={key: value}))
    assert f"overrides.{key} must be an integer >= 1" in messages(violations)


def test_max_training_jobs_counts_toward_the_limit() -> None:
    event = valid_event(["p1"], overrides={"maxTrainingJobs": 481})  # parent used 20
    assert codes(rejection(event)) == {"TRAINING_JOB_LIMIT"}


def test_static_hyperparameters_are_stringified() -> None:
    overrides = {"staticHyperParameters": {"num_round": 200, "objective": "binary:logistic"}}
    final = plan(valid_event(["p1"], overrides=overrides), Describer(parent("p1")))["request"]
    assert final["TrainingJobDefinition"]["StaticHyperParameters"] == {
        "objective": "binary:logistic", "num_round": "200",
    }


def test_static_float_values() -> None:
    merged, violations = merge_overrides(valid_request(), {"staticHyperParameters": {"alpha": 0.25, "big": 1e20}})
    assert violations == []
    statics = merged["TrainingJobDefinition"]["StaticHyperParameters"]
    assert statics["alpha"] == "0.25" and statics["big"] == "1e+20"


@pytest.mark.parametrize("value", [True, None, [1], {"a": 1}, float("nan"), "x" * 2501, 10**3000])
def test_bad_static_values(value: Any) -> None:
    violations = rejection(valid_event(["p1"], overrides={"staticHyperParameters": {"num_round": value}}))
    assert "overrides.staticHyperParameters.num_round" in messages(violations)


def test_static_change_counts_as_a_change() -> None:
    overrides = {"staticHyperParameters": {"num_round": "300"}}
    report = plan(valid_event(["p1"], overrides=overrides), Describer(parent("p1")))["report"]
    assert report["changes"]["max"] >= 1


def test_unknown_override_lists_the_allowed_ones() -> None:
    violations = rejection(valid_event(["p1"], overrides={"maxJobs": 3, "tuningJobName": "imgcls-a"}))
    assert codes(violations) == {"INVALID_REQUEST"}
    text = messages(violations)
    assert "'maxJobs'" in text
    for key in OVERRIDE_KEYS:
        assert key in text


def test_whole_execution_input_as_overrides_is_fine() -> None:
    overrides = {"parents": ["ignored"], "warmStartType": "ignored", "maxTrainingJobs": 5}
    final = plan(valid_event(["p1"], overrides=overrides), Describer(parent("p1")))["request"]
    assert final["WarmStartConfig"]["ParentHyperParameterTuningJobs"] == [{"HyperParameterTuningJobName": "p1"}]


def test_merge_overrides_leaves_the_input_alone() -> None:
    request = valid_request()
    before = copy.deepcopy(request)
    merged, violations = merge_overrides(
        request, {"inputData": {"train": "s3://b/x"}, "staticHyperParameters": {"a": "1"}, "maxTrainingJobs": 3}
    )
    assert violations == [] and request == before and merged != before


def test_definition_overrides_need_a_training_job_definition() -> None:
    request = valid_request()
    request["TrainingJobDefinitions"] = [request.pop("TrainingJobDefinition")]
    _, violations = merge_overrides(request, {"inputData": {"train": "s3://b/x"}})
    assert [v.code for v in violations] == ["INVALID_REQUEST"]
    assert "TrainingJobDefinition" in violations[0].message


# --- malformed events -----------------------------------------------------------------


@pytest.mark.parametrize("event", [None, [], "x", 3, True])
def test_event_must_be_an_object(event: Any) -> None:
    assert codes(rejection(event)) == {"INVALID_REQUEST"}


@pytest.mark.parametrize("key", ["parents", "warmStartType", "request"])
def test_required_event_keys(key: str) -> None:
    event = valid_event(["p1"])
    del event[key]
    assert f"event.{key} is required" in messages(rejection(event))


@pytest.mark.parametrize("request_", [None, [], "x", 5])
def test_request_must_be_an_object(request_: Any) -> None:
    assert codes(rejection(valid_event(["p1"], request=request_))) == {"INVALID_REQUEST"}


@pytest.mark.parametrize("execution", [None, ""])
def test_execution_name_required_without_override(execution: Any) -> None:
    violations = rejection(valid_event(["p1"], executionName=execution))
    assert "executionName is required" in messages(violations)


def test_execution_name_must_be_a_string() -> None:
    assert "executionName must be a string" in messages(rejection(valid_event(["p1"], executionName=5)))


@pytest.mark.parametrize(
    "settings, fragment",
    [
        ({"jobNamePrefix": "Upper"}, "jobNamePrefix"),
        ({"jobNamePrefix": "x" * 24}, "jobNamePrefix"),
        ({"jobNamePrefix": 5}, "jobNamePrefix"),
        ({"trainingJobLimit": 0}, "trainingJobLimit"),
        ({"trainingJobLimit": "500"}, "trainingJobLimit"),
        ({"failedParentPolicy": "ignore"}, "failedParentPolicy"),
        ({"other": 1}, "unknown setting"),
        ([], "settings must be an object"),
    ],
)
def test_bad_settings(settings: Any, fragment: str) -> None:
    violations = rejection(valid_event(["p1"], settings=settings))
    assert codes(violations) == {"INVALID_REQUEST"}
    assert fragment in messages(violations)


@pytest.mark.parametrize("overrides", [[], "x", 3])
def test_overrides_must_be_an_object(overrides: Any) -> None:
    assert "overrides must be an object" in messages(rejection(valid_event(["p1"], overrides=overrides)))


def test_bad_user_tags() -> None:
    event = valid_event(["p1"])
    event["request"]["Tags"] = {"team": "ml"}
    assert "INVALID_REQUEST" in codes(rejection(event))


def test_too_many_tags_with_the_execution_tag() -> None:
    event = valid_event(["p1"])
    event["request"]["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    assert "SageMaker allows 50" in messages(rejection(event))


# --- parents -----------------------------------------------------------------------------


def test_missing_parent() -> None:
    violations = rejection(valid_event(["p1", "gone"]), Describer(parent("p1")))
    assert codes(violations) == {"PARENT_NOT_FOUND"}
    assert [v["parent"] for v in violations] == ["gone"]


def test_at_most_five_describes_and_count_reported() -> None:
    names = [f"p{i}" for i in range(8)]
    describe = Describer(*(parent(n) for n in names))
    violations = rejection(valid_event(names), describe)
    assert "PARENT_COUNT" in codes(violations)
    assert describe.calls == names[:5]


def test_duplicates_are_described_once() -> None:
    describe = Describer(parent("p1"))
    violations = rejection(valid_event(["p1", "p1"]), describe)
    assert "PARENT_COUNT" in codes(violations)
    assert describe.calls == ["p1"]


@pytest.mark.parametrize("parents", [[], "p1", None, [5], ["bad name"], ["x" * 40]])
def test_malformed_parents_are_rejected_without_describing_them(parents: Any) -> None:
    describe = Describer(parent("p1"))
    violations = rejection({**valid_event(["p1"]), "parents": parents}, describe)
    assert codes(violations) & {"PARENT_COUNT", "INVALID_REQUEST", "PARENT_NOT_FOUND"}
    assert describe.calls == []


def test_all_violations_at_once() -> None:
    event = valid_event(["p1", "gone"], overrides={"maxTrainingJobs": 0, "bogus": 1}, warmStartType="Nope")
    found = codes(rejection(event, Describer(parent("p1"))))
    assert {"INVALID_REQUEST", "PARENT_NOT_FOUND"} <= found


def test_not_terminal_parent() -> None:
    describe = Describer(parent("p1", HyperParameterTuningJobStatus="InProgress"))
    assert codes(rejection(valid_event(["p1"]), describe)) == {"PARENT_NOT_TERMINAL"}


def test_old_parent() -> None:
    describe = Describer(parent("p1", CreationTime="2018-09-30T23:00:00+00:00"))
    assert codes(rejection(valid_event(["p1"]), describe)) == {"PARENT_TOO_OLD"}


def test_training_job_limit_setting() -> None:
    event = valid_event(["p1"], settings={"trainingJobLimit": 30})
    assert codes(rejection(event)) == {"TRAINING_JOB_LIMIT"}


def test_failed_parent_policy_setting() -> None:
    failed = parent(
        "p1", HyperParameterTuningJobStatus="Failed",
        TrainingJobStatusCounters={"Completed": 0, "InProgress": 0, "RetryableError": 0,
                                   "NonRetryableError": 3, "Stopped": 0},
    )
    assert "PARENT_NOT_TERMINAL" in codes(rejection(valid_event(["p1"]), Describer(failed)))
    warned = plan(valid_event(["p1"], settings={"failedParentPolicy": "warn"}), Describer(failed))
    assert warned["report"]["warnings"]


def test_describe_errors_propagate() -> None:
    class Throttled(Exception):
        pass

    def describe(name: str) -> None:
        raise Throttled(name)

    with pytest.raises(Throttled):
        plan(valid_event(["p1"]), describe)


def test_the_library_adds_exactly_the_tags_the_budget_counts() -> None:
    # limits.LIBRARY_TAGS is what the synth-time budget subtracts: if the planner adds
    # another tag of its own, this fails until the budget counts it too.
    from warm_start_rules.limits import LIBRARY_TAGS

    result = plan(valid_event(["p1"]), Describer(parent("p1")))
    assert len(result["request"]["Tags"]) == LIBRARY_TAGS


def test_user_tags_up_to_the_budget_fit_with_step_functions_tags() -> None:
    from warm_start_rules import user_tag_budget

    event = valid_event(["p1"])
    event["request"]["Tags"] = [{"Key": f"k{i}", "Value": "v"} for i in range(user_tag_budget())]
    tags = plan(event, Describer(parent("p1")))["request"]["Tags"]
    assert len(tags) == 50 - 2  # what is left when Step Functions has added its 2
    event["request"]["Tags"].append({"Key": "one-more", "Value": "v"})
    assert "Step Functions adds 2 to every job a .sync task starts" in messages(rejection(event))


def test_autotune_in_the_request_is_refused_not_dropped() -> None:
    event = valid_event(["p1"])
    event["request"]["Autotune"] = {"Mode": "Enabled"}
    found = messages(rejection(event))
    assert "Autotune is not among the parameters Step Functions' optimized SageMaker integration" in found
