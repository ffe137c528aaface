"""The validator Lambda against moto's SageMaker backend (parents really described)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import handler as handler_module
import parents
import pytest
from botocore.exceptions import ClientError
from moto_fixtures import (  # noqa: F401  (fixtures are used by name)
    REGION,
    aws_credentials,
    create_parent,
    sagemaker,
    set_creation_time,
    set_status,
    valid_event,
    valid_request,
)
from warm_start_rules import WarmStartValidationError
from warm_start_rules.planner import EXECUTION_TAG_KEY, RUN_KEY_TAG_KEY, run_key_tag_value, tuning_job_name


@pytest.fixture
def handler(sagemaker: Any) -> Iterator[Any]:  # noqa: F811
    """The handler module with a fresh per-container client (created inside the mock)."""
    handler_module._client = None
    yield handler_module
    handler_module._client = None


class _NoAws:
    """Stands in for the client where no AWS call may happen: any use fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected AWS access: {name}")


@pytest.fixture
def offline_handler() -> Iterator[Any]:
    """The handler for events rejected before any AWS call (no moto needed: fast)."""
    handler_module._client = _NoAws()
    yield handler_module
    handler_module._client = None


def violations_of(error: pytest.ExceptionInfo[WarmStartValidationError]) -> list[dict[str, Any]]:
    return json.loads(str(error.value))["violations"]


# --- lambda_handler --------------------------------------------------------------------


def test_accepted_against_moto_parents(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    create_parent(sagemaker, "p2")

    result = handler.lambda_handler(valid_event(["p1", "p2"]), None)

    json.dumps(result)  # Step Functions payloads are JSON
    request, report = result["request"], result["report"]
    assert request["HyperParameterTuningJobName"] == tuning_job_name("imgcls", "run-2024-06-01")
    assert request["Tags"] == [{"Key": EXECUTION_TAG_KEY, "Value": "run-2024-06-01"},
                               {"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("run-2024-06-01")}]
    assert report["accepted"] is True
    assert [(p["name"], p["status"]) for p in report["parents"]] == [("p1", "Completed"), ("p2", "Completed")]
    # moto's parents each report one completed training job
    assert report["trainingJobs"] == {"usedByParents": 2, "newMaximum": 20, "total": 22, "limit": 500}
    # moto's CreationTime is "now", handed over as an ISO-8601 string
    created = datetime.fromisoformat(report["parents"][0]["creationTime"])
    assert created.tzinfo is not None and created > datetime(2018, 10, 1, tzinfo=timezone.utc)
    # the planned request is one SageMaker (moto) takes as is
    sagemaker.create_hyper_parameter_tuning_job(**request)
    created_job = sagemaker.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=request["HyperParameterTuningJobName"]
    )
    assert created_job["WarmStartConfig"] == request["WarmStartConfig"]


def test_identical_data_with_changed_data_is_rejected(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    event = valid_event(["p1"], warmStartType="IdenticalDataAndAlgorithm",
                        overrides={"inputData": {"train": "s3://example-bucket/other/train/"}})
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(event, None)
    assert {v["code"] for v in violations_of(error)} == {"DATA_CHANGED"}
    assert error.value.report is not None and error.value.report["accepted"] is False


def test_missing_parent(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(valid_event(["p1", "nope"]), None)
    assert [(v["code"], v["parent"]) for v in violations_of(error)] == [("PARENT_NOT_FOUND", "nope")]


def test_parent_still_running(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    set_status("p1", "InProgress")
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(valid_event(["p1"]), None)
    assert {v["code"] for v in violations_of(error)} == {"PARENT_NOT_TERMINAL"}


def test_failed_parent_without_completed_jobs_follows_the_policy(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    set_status("p1", "Failed", completed=0)
    with pytest.raises(WarmStartValidationError):
        handler.lambda_handler(valid_event(["p1"]), None)
    event = valid_event(["p1"], settings={"jobNamePrefix": "imgcls", "failedParentPolicy": "warn"})
    assert handler.lambda_handler(event, None)["report"]["warnings"]


def test_hyperparameter_changes_against_a_real_parent(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    event = valid_event(["p1"])
    ranges = event["request"]["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["CategoricalParameterRanges"] = []  # booster: tunable -> static (2 values)
    # The definition makes booster static; the input may only change existing values.
    event["request"]["TrainingJobDefinition"]["StaticHyperParameters"]["booster"] = "gbtree"
    event["overrides"] = {"staticHyperParameters": {"num_round": 300}}
    report = handler.lambda_handler(event, None)["report"]
    assert report["parents"][0]["changes"]["count"] == 3  # booster 2 + num_round (numeric) 1


@pytest.mark.parametrize("event", [None, [], "x", {}, {"parents": "p1"}])
def test_malformed_events_are_validation_errors(offline_handler: Any, event: Any) -> None:
    with pytest.raises(WarmStartValidationError) as error:
        offline_handler.lambda_handler(event, None)
    assert "INVALID_REQUEST" in {v["code"] for v in violations_of(error)}


def _failing_client(code: str, message: str = "boom") -> Any:
    class Client:
        def describe_hyper_parameter_tuning_job(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": code, "Message": message}},
                              "DescribeHyperParameterTuningJob")

    return Client()


@pytest.mark.parametrize("code", ["ThrottlingException", "AccessDeniedException", "InternalFailure"])
def test_aws_errors_propagate_unchanged(offline_handler: Any, code: str) -> None:
    offline_handler._client = _failing_client(code)
    with pytest.raises(ClientError) as error:
        offline_handler.lambda_handler(valid_event(["p1"]), None)
    assert error.value.response["Error"]["Code"] == code


def test_one_json_log_line_per_decision(handler: Any, sagemaker: Any, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    with caplog.at_level(logging.INFO, logger="warm_start_validator"):
        handler.lambda_handler(valid_event(["p1"]), None)
        with pytest.raises(WarmStartValidationError):
            handler.lambda_handler(valid_event(["p1", "gone"]), None)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "warm_start_validator"]
    assert [r["decision"] for r in records] == ["accepted", "rejected"]
    assert records[0]["execution"] == "run-2024-06-01" and records[0]["parents"] == ["p1"]
    assert records[1]["violations"] == ["PARENT_NOT_FOUND"]


def test_client_is_created_once_with_retries_and_env_region(handler: Any) -> None:
    client = handler.sagemaker_client()
    assert handler.sagemaker_client() is client
    assert client.meta.region_name == REGION
    # five calls in all (botocore's max_attempts would count retries only)
    assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 5}


# --- parents.describe_parent -------------------------------------------------------------


def test_describe_parent_is_json_safe(sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "p1")
    described = parents.describe_parent(sagemaker, "p1")
    assert described is not None and "ResponseMetadata" not in described
    assert json.loads(json.dumps(described)) == described
    assert described["CreationTime"].endswith("+00:00")
    assert described["BestTrainingJob"]["CreationTime"].endswith("+00:00")


def test_describe_parent_not_found(sagemaker: Any) -> None:  # noqa: F811
    assert parents.describe_parent(sagemaker, "nope") is None


@pytest.mark.parametrize(
    "code, message",
    [
        ("ResourceNotFound", "whatever"),
        ("ValidationException", "Requested resource not found."),
        ("ValidationException", "Tuning job x does not exist"),
    ],
)
def test_not_found_spellings(code: str, message: str) -> None:
    assert parents.describe_parent(_failing_client(code, message), "x") is None


def test_other_validation_errors_propagate() -> None:
    with pytest.raises(ClientError):
        parents.describe_parent(_failing_client("ValidationException", "1 validation error"), "x")


def test_json_safe_normalises_to_utc() -> None:
    from datetime import timedelta

    local = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert parents.json_safe({"t": [local]}) == {"t": ["2024-01-01T10:00:00+00:00"]}


# --- poll_handler ------------------------------------------------------------------------


def poll_event(jobs: list[str], iteration: int = 0, waited: int = 0, timeout: int = 3600) -> dict[str, Any]:
    return {
        "jobs": jobs,
        "poll": {"iteration": iteration, "waitedSeconds": waited},
        "settings": {"initialIntervalSeconds": 60, "maxIntervalSeconds": 1800,
                     "backoffRate": 2.0, "timeoutSeconds": timeout},
    }


def test_poll_all_terminal(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    create_parent(sagemaker, "b")
    set_status("b", "Stopped")
    result = handler.poll_handler(poll_event(["a", "b"], iteration=2, waited=180), None)
    assert result == {
        "allTerminal": True, "missing": [], "statuses": {"a": "Completed", "b": "Stopped"},
        "nextWaitSeconds": 240, "iteration": 3, "waitedSeconds": 180, "timedOut": False,
    }


def test_poll_waits_with_backoff(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    create_parent(sagemaker, "b")
    set_status("b", "InProgress")
    first = handler.poll_handler(poll_event(["a", "b"]), None)
    assert first["allTerminal"] is False and first["timedOut"] is False
    assert (first["nextWaitSeconds"], first["iteration"], first["waitedSeconds"]) == (60, 1, 60)
    later = handler.poll_handler(poll_event(["a", "b"], iteration=10, waited=1000, timeout=10**6), None)
    assert (later["nextWaitSeconds"], later["waitedSeconds"]) == (1800, 2800)


def test_poll_times_out(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    set_status("a", "Stopping")
    result = handler.poll_handler(poll_event(["a"], iteration=5, waited=3600), None)
    assert result["timedOut"] is True and result["allTerminal"] is False
    assert result["waitedSeconds"] == 3600


def test_poll_terminal_at_the_deadline_is_not_a_timeout(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    result = handler.poll_handler(poll_event(["a"], iteration=5, waited=3600), None)
    assert result["allTerminal"] is True and result["timedOut"] is False


def test_poll_lists_missing_jobs(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    result = handler.poll_handler(poll_event(["a", "gone", "also-gone"]), None)
    assert result["missing"] == ["gone", "also-gone"]
    assert result["allTerminal"] is False and result["statuses"] == {"a": "Completed"}
    assert result["waitedSeconds"] == 0


def test_poll_describes_every_job_once_in_one_invocation(
    handler: Any, sagemaker: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    for name in ("a", "b", "c"):
        create_parent(sagemaker, name)
    calls: list[str] = []
    real = parents.describe_parent
    monkeypatch.setattr(parents, "describe_parent", lambda c, n: calls.append(n) or real(c, n))
    handler.poll_handler(poll_event(["a", "b", "c", "a"]), None)
    assert calls == ["a", "b", "c"]


def test_poll_accepts_float_counters(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    set_status("a", "InProgress")
    event = poll_event(["a"])
    event["poll"] = {"iteration": 1.0, "waitedSeconds": 60.0}
    result = handler.poll_handler(event, None)
    assert (result["iteration"], result["waitedSeconds"]) == (2, 180)


def test_poll_without_poll_state_starts_at_zero(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "a")
    event = poll_event(["a"])
    del event["poll"]
    assert handler.poll_handler(event, None)["iteration"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"jobs": []},
        {"jobs": "a"},
        {"jobs": ["a"] * 6},
        {"jobs": [5]},
        {"jobs": ["bad name"]},
        {"poll": []},
        {"poll": {"iteration": -1}},
        {"poll": {"iteration": True}},
        {"poll": {"waitedSeconds": "60"}},
        {"poll": {"waitedSeconds": 1.5}},
        {"settings": None},
        {"settings": {"initialIntervalSeconds": 60}},
        {"settings": {"timeoutSeconds": 0}},
        {"settings": {"timeoutSeconds": 60, "backoffRate": 0.5}},
        {"settings": {"timeoutSeconds": 60, "initialIntervalSeconds": "60"}},
    ],
)
def test_malformed_poll_events(offline_handler: Any, change: dict[str, Any]) -> None:
    event = {**poll_event(["a"]), **change}
    with pytest.raises(WarmStartValidationError) as error:
        offline_handler.poll_handler(event, None)
    assert {v["code"] for v in violations_of(error)} == {"INVALID_REQUEST"}


@pytest.mark.parametrize("event", [None, [], "x", 0])
def test_poll_event_must_be_an_object(offline_handler: Any, event: Any) -> None:
    with pytest.raises(WarmStartValidationError, match="INVALID_REQUEST"):
        offline_handler.poll_handler(event, None)


def test_log_fields_survive_any_value() -> None:
    assert handler_module._short({(1, 2): 3}) == "<unloggable dict>"
    assert handler_module._short("x" * 5000).endswith("...")
    assert handler_module._short(["p1"]) == ["p1"]


# --- prepare: automatic selection and resume against moto ---------------------------------


def prepare_event(run_input: dict[str, Any], default_parents: list[str] | None = None) -> dict[str, Any]:
    return {
        "action": "prepare",
        "input": run_input,
        "defaults": {"parents": default_parents or [], "warmStartType": "TransferLearning"},
        "request": valid_request(),
        "settings": {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject"},
    }


def create_child(client: Any, name: str, parents_of_it: list[str]) -> None:
    client.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        WarmStartConfig={"ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": p} for p in parents_of_it],
                         "WarmStartType": "TransferLearning"},
        **valid_request(),
    )


def day(n: int) -> datetime:
    return datetime(2024, 6, n, tzinfo=timezone.utc)


def test_prepare_chooses_the_pipelines_newest_job_and_its_lineage(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "imgcls-1")
    create_child(sagemaker, "imgcls-2", ["imgcls-1"])
    create_parent(sagemaker, "imgcls-3")
    create_parent(sagemaker, "old-imgcls-9")  # another pipeline's job that contains the prefix
    for name, n in (("imgcls-1", 1), ("imgcls-2", 2), ("imgcls-3", 3), ("old-imgcls-9", 9)):
        set_creation_time(name, day(n))
    set_status("imgcls-3", "InProgress")  # a concurrent run's job

    run = handler.lambda_handler(prepare_event({}), None)

    json.dumps(run)
    assert run["parents"] == ["imgcls-2", "imgcls-1"]
    assert run["selection"] == {
        "mode": "automatic",
        "chosen": ["imgcls-2", "imgcls-1"],
        "reasons": [
            "skipped imgcls-3 (InProgress)",
            "picked imgcls-2 (Completed, created 2024-06-02T00:00:00+00:00): the newest finished job named imgcls-*",
            "added ancestor imgcls-1 (Completed, created 2024-06-01T00:00:00+00:00) of imgcls-2: warm start is not "
            "recursive, so ancestors are listed directly",
        ],
        "trainingJobs": {"used": 22, "limit": 500},  # moto: 1 training job each + MaxNumberOfTrainingJobs 20
    }
    # the chosen parents pass the validation, without an unlisted-parent warning
    validated = handler.lambda_handler(valid_event(run["parents"], overrides=run["overrides"]), None)
    assert validated["report"]["accepted"] is True and validated["report"]["warnings"] == []


def test_prepare_without_any_earlier_job_asks_for_parents(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "other-1")
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(prepare_event({}), None)
    (violation,) = violations_of(error)
    assert violation["code"] == "INVALID_REQUEST" and "name parents in the input" in violation["message"]


def test_prepare_resumes_a_stopped_job_and_the_validation_accepts_it(handler: Any, sagemaker: Any) -> None:  # noqa: F811
    create_parent(sagemaker, "imgcls-early")
    set_status("imgcls-early", "Stopped", completed=3, stopped=2)

    run = handler.lambda_handler(prepare_event({"resume": "imgcls-early"}, ["imgcls-default"]), None)

    assert (run["parents"], run["warmStartType"]) == (["imgcls-early"], "IdenticalDataAndAlgorithm")
    assert run["overrides"] == {"maxTrainingJobs": 15}  # 20 - 5 launched
    assert run["selection"]["mode"] == "resume" and run["selection"]["trainingJobs"] == {"used": 20, "limit": 500}
    event = valid_event(run["parents"], warmStartType=run["warmStartType"], overrides=run["overrides"])
    validated = handler.lambda_handler(event, None)
    assert validated["request"]["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 15


@pytest.mark.parametrize("status, code, text", [
    ("Completed", "INVALID_REQUEST", "start a normal warm start"),
    ("InProgress", "INVALID_REQUEST", "ended early"),
])
def test_prepare_refuses_to_resume_a_job_that_did_not_end_early(
    handler: Any, sagemaker: Any, status: str, code: str, text: str  # noqa: F811
) -> None:
    create_parent(sagemaker, "imgcls-job")
    set_status("imgcls-job", status)
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(prepare_event({"resume": "imgcls-job"}), None)
    (violation,) = violations_of(error)
    assert violation["code"] == code and text in violation["message"]


def test_prepare_resume_of_a_missing_job(handler: Any) -> None:
    with pytest.raises(WarmStartValidationError) as error:
        handler.lambda_handler(prepare_event({"resume": "imgcls-gone"}), None)
    assert [(v["code"], v["parent"]) for v in violations_of(error)] == [("PARENT_NOT_FOUND", "imgcls-gone")]


def test_prepare_with_named_parents_makes_no_aws_call(offline_handler: Any) -> None:
    run = offline_handler.lambda_handler(prepare_event({}, ["imgcls-default"]), None)
    assert run["selection"]["mode"] == "defaults"
    run = offline_handler.lambda_handler(prepare_event({"parents": ["imgcls-a"]}), None)
    assert run["selection"]["mode"] == "input"


@pytest.mark.parametrize("code", ["ThrottlingException", "AccessDeniedException"])
def test_prepare_lets_aws_errors_through_for_the_retry(offline_handler: Any, code: str) -> None:
    class Client:
        def get_paginator(self, name: str) -> Any:
            raise ClientError({"Error": {"Code": code, "Message": "no"}}, "ListHyperParameterTuningJobs")

    offline_handler._client = Client()
    with pytest.raises(ClientError) as error:
        offline_handler.lambda_handler(prepare_event({}), None)
    assert error.value.response["Error"]["Code"] == code
    offline_handler._client = _failing_client(code)
    with pytest.raises(ClientError):
        offline_handler.lambda_handler(prepare_event({"resume": "imgcls-x"}), None)


def test_prepare_logs_its_selection(handler: Any, sagemaker: Any, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    create_parent(sagemaker, "imgcls-1")
    with caplog.at_level(logging.INFO, logger="warm_start_validator"):
        handler.lambda_handler(prepare_event({}), None)
    (record,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "warm_start_validator"]
    assert record["decision"] == "input accepted" and record["selection"]["mode"] == "automatic"


# --- parents.list_tuning_jobs --------------------------------------------------------------


def test_list_tuning_jobs_pages_through_newest_first_json_safe(
    sagemaker: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.setattr(parents, "_PAGE_SIZE", 2)
    for n in (3, 1, 5, 2, 4):
        create_parent(sagemaker, f"imgcls-{n}")
        set_creation_time(f"imgcls-{n}", day(n))
    create_parent(sagemaker, "unrelated")
    listed = parents.list_tuning_jobs(sagemaker, "imgcls")
    assert [s["HyperParameterTuningJobName"] for s in listed] == ["imgcls-5", "imgcls-4", "imgcls-3", "imgcls-2", "imgcls-1"]
    assert json.loads(json.dumps(listed)) == listed
    assert listed[0]["CreationTime"] == "2024-06-05T00:00:00+00:00"
    assert len(parents.list_tuning_jobs(sagemaker, "imgcls", max_jobs=3)) == 3
