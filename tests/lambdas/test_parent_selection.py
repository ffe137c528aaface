"""Automatic parent selection (pure, AWS injected) and the parent precedence of prepare."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import factories
import pytest
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.limits import MAX_PARENTS
from warm_start_rules.parent_selection import MAX_DESCRIBES, select_automatically
from warm_start_rules.planner import plan
from warm_start_rules.run_input import prepare_run

PREFIX = "imgcls"
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


class FakeSageMaker:
    """ListHyperParameterTuningJobs (NameContains, like SageMaker) and Describe over a
    dict of Describe responses; records every call."""

    def __init__(self, *jobs: dict[str, Any]) -> None:
        self.jobs = {job["HyperParameterTuningJobName"]: job for job in jobs}
        self.calls: list[tuple[str, str]] = []

    def list_jobs(self, prefix: str) -> list[dict[str, Any]]:
        self.calls.append(("list", prefix))
        keys = ("HyperParameterTuningJobName", "HyperParameterTuningJobStatus", "CreationTime",
                "TrainingJobStatusCounters")
        # Deliberately not sorted: the selection must order the jobs itself.
        return [{k: job[k] for k in keys if k in job} for name, job in sorted(self.jobs.items()) if prefix in name]

    def describe(self, name: str) -> dict[str, Any] | None:
        self.calls.append(("describe", name))
        return self.jobs.get(name)


def job(name: str, day: int | None, status: str = "Completed", parents: list[str] | None = None,
        launched: int = 50, completed: int | None = None) -> dict[str, Any]:
    """A Describe response created ``day`` days after START (None: no CreationTime)."""
    counters = {"Completed": launched if completed is None else completed, "InProgress": 0, "RetryableError": 0,
                "NonRetryableError": 0,
                "Stopped": 0 if completed is None else launched - completed}
    described = factories.parent_describe(name, status=status, counters=counters, warm_start_parents=parents,
                                          creation_time=None if day is None else START + timedelta(days=day))
    if day is None:
        del described["CreationTime"]
    return described


def select(fake: FakeSageMaker, *, new_maximum: int | None = 50, limit: int = 500) -> Any:
    return select_automatically(PREFIX, fake.list_jobs, fake.describe, new_maximum=new_maximum,
                                training_job_limit=limit)


# --- the newest usable job -----------------------------------------------------------------


def test_newest_terminal_job_is_picked() -> None:
    fake = FakeSageMaker(job("imgcls-a", 1), job("imgcls-c", 3), job("imgcls-b", 2))
    selection = select(fake)
    assert selection.chosen == ["imgcls-c"]
    assert selection.reasons == [
        "picked imgcls-c (Completed, created 2024-01-04T00:00:00+00:00): the newest finished job named imgcls-*"
    ]
    assert selection.to_dict() == {"mode": "automatic", "chosen": ["imgcls-c"], "reasons": selection.reasons,
                                   "trainingJobs": {"used": 100, "limit": 500}}


def test_running_jobs_are_skipped_with_a_reason() -> None:
    fake = FakeSageMaker(job("imgcls-old", 1), job("imgcls-running", 5, "InProgress"),
                         job("imgcls-stopping", 4, "Stopping"))
    selection = select(fake)
    assert selection.chosen == ["imgcls-old"]
    assert selection.reasons[:2] == ["skipped imgcls-running (InProgress)", "skipped imgcls-stopping (Stopping)"]
    assert selection.reasons[2].startswith("picked imgcls-old (Completed")


def test_failed_job_is_taken_only_with_a_completed_training_job() -> None:
    fake = FakeSageMaker(job("imgcls-a", 1), job("imgcls-failed-empty", 4, "Failed", completed=0),
                         job("imgcls-failed-useful", 3, "Failed", completed=2))
    selection = select(fake)
    assert selection.chosen == ["imgcls-failed-useful"]
    assert selection.reasons[0] == "skipped imgcls-failed-empty (Failed without a completed training job)"


def test_stopped_job_is_a_candidate() -> None:
    assert select(FakeSageMaker(job("imgcls-a", 1), job("imgcls-s", 2, "Stopped"))).chosen == ["imgcls-s"]


def test_only_names_starting_with_the_prefix_are_taken() -> None:
    # NameContains also returns other pipelines' jobs that merely contain the prefix.
    fake = FakeSageMaker(job("imgcls-mine", 1), job("old-imgcls-theirs", 9), job("xx-imgcls", 8))
    selection = select(fake)
    assert selection.chosen == ["imgcls-mine"]
    assert ("list", "imgcls") in fake.calls
    assert not any("theirs" in reason for reason in selection.reasons)


def test_unknown_creation_time_sorts_last() -> None:
    assert select(FakeSageMaker(job("imgcls-undated", None), job("imgcls-dated", 1))).chosen == ["imgcls-dated"]


def test_same_creation_time_is_decided_by_name() -> None:
    assert select(FakeSageMaker(job("imgcls-a", 1), job("imgcls-b", 1))).chosen == ["imgcls-b"]


@pytest.mark.parametrize("jobs", [
    [],
    [job("other-1", 1)],
    [job("imgcls-running", 1, "InProgress"), job("imgcls-empty", 2, "Failed", completed=0)],
])
def test_no_usable_earlier_job_is_an_invalid_request(jobs: list[dict[str, Any]]) -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        select(FakeSageMaker(*jobs))
    (violation,) = json.loads(str(caught.value))["violations"]
    assert violation["code"] == "INVALID_REQUEST"
    assert violation["message"].startswith("no parents given and no earlier terminal job named 'imgcls-'*")
    assert "name parents in the input" in violation["message"]


def test_listed_but_not_describable_job_is_skipped() -> None:
    fake = FakeSageMaker(job("imgcls-a", 1), job("imgcls-b", 2))
    real = fake.describe
    fake.describe = lambda name: None if name == "imgcls-b" else real(name)  # type: ignore[method-assign]
    selection = select(fake)
    assert selection.chosen == ["imgcls-a"]
    assert "skipped imgcls-b (listed, but DescribeHyperParameterTuningJob found nothing)" in selection.reasons


@pytest.mark.parametrize("listed", [None, "x", [None, 3, {"HyperParameterTuningJobName": 7}]])
def test_malformed_listing_reads_as_no_job(listed: Any) -> None:
    with pytest.raises(WarmStartValidationError, match="no earlier terminal job"):
        select_automatically(PREFIX, lambda prefix: listed, lambda name: None, new_maximum=5,
                             training_job_limit=500)


# --- lineage -------------------------------------------------------------------------------


def lineage() -> FakeSageMaker:
    """imgcls-5 <- (imgcls-4, imgcls-3); imgcls-4 <- (imgcls-2, seed-1); imgcls-3 <- (imgcls-1);
    imgcls-2 <- (seed-0). Numbers are creation days."""
    return FakeSageMaker(
        job("imgcls-5", 5, parents=["imgcls-3", "imgcls-4"]),
        job("imgcls-4", 4, parents=["imgcls-2", "seed-1"]),
        job("imgcls-3", 3, parents=["imgcls-1"]),
        job("imgcls-2", 2, parents=["seed-0"]),
        job("imgcls-1", 1.5),  # type: ignore[arg-type]
        job("seed-1", 1),
        job("seed-0", 0),
    )


def test_lineage_is_flattened_breadth_first_newest_first_up_to_five() -> None:
    selection = select(lineage(), limit=10_000)
    assert len(selection.chosen) == MAX_PARENTS
    # generation 1 newest first (4 before 3), then generation 2 newest first
    assert selection.chosen == ["imgcls-5", "imgcls-4", "imgcls-3", "imgcls-2", "imgcls-1"]
    assert "added ancestor imgcls-4 (Completed, created 2024-01-05T00:00:00+00:00) of imgcls-5" in selection.reasons[1]
    assert selection.reasons[3].startswith("added ancestor imgcls-2 (Completed")
    assert selection.reasons[3].endswith("of imgcls-4: warm start is not recursive, so ancestors are listed directly")
    assert "left out ancestor seed-1 of imgcls-4: a warm start takes at most 5 parents" in selection.reasons
    assert not any("seed-0" in reason for reason in selection.reasons)  # never reached


def test_lineage_skips_unusable_and_missing_ancestors_but_searches_through_them() -> None:
    fake = FakeSageMaker(
        job("imgcls-3", 3, parents=["imgcls-2", "gone"]),
        job("imgcls-2", 2, "Failed", parents=["imgcls-1"], completed=0),
        job("imgcls-1", 1),
    )
    selection = select(fake)
    assert selection.chosen == ["imgcls-3", "imgcls-1"]
    assert "skipped ancestor gone of imgcls-3 (not found)" in selection.reasons
    assert "skipped ancestor imgcls-2 of imgcls-3 (Failed without a completed training job)" in selection.reasons
    assert any(r.startswith("added ancestor imgcls-1 (Completed") and "of imgcls-2" in r for r in selection.reasons)


def test_lineage_with_a_cycle_ends() -> None:
    fake = FakeSageMaker(job("imgcls-b", 2, parents=["imgcls-a"]), job("imgcls-a", 1, parents=["imgcls-b"]))
    assert select(fake).chosen == ["imgcls-b", "imgcls-a"]


def test_a_wide_lineage_is_described_within_the_budget() -> None:
    # Each job names five parents that cannot be used: the search goes on, within its budget.
    jobs = [job("imgcls-top", 100, parents=[f"imgcls-x{i}" for i in range(5)])]
    for i in range(60):
        jobs.append(job(f"imgcls-x{i}", 50 - i / 100, "Failed", completed=0,
                        parents=[f"imgcls-x{5 * (i + 1) + k}" for k in range(5)]))
    fake = FakeSageMaker(*jobs)
    selection = select(fake)
    assert selection.chosen == ["imgcls-top"]
    assert sum(1 for call in fake.calls if call[0] == "describe") <= MAX_DESCRIBES
    assert any(f"at most {MAX_DESCRIBES} jobs are described" in reason for reason in selection.reasons)


# --- the training-job limit ----------------------------------------------------------------


def test_oldest_parents_are_dropped_to_fit_the_limit() -> None:
    # Five parents of 50 training jobs each + 50 new = 300; the limit 210 leaves room for three.
    selection = select(lineage(), new_maximum=50, limit=210)
    assert selection.chosen == ["imgcls-5", "imgcls-4", "imgcls-3"]
    dropped = [r for r in selection.reasons if r.startswith("dropped")]
    assert dropped == [
        "dropped imgcls-1 (oldest, 50 training jobs) to keep within the training-job limit 210: "
        "parents' 250 + MaxNumberOfTrainingJobs 50 = 300",
        "dropped imgcls-2 (oldest, 50 training jobs) to keep within the training-job limit 210: "
        "parents' 200 + MaxNumberOfTrainingJobs 50 = 250",
    ]
    assert selection.used == 200 and selection.limit == 210


def test_the_newest_parent_is_never_dropped() -> None:
    selection = select(lineage(), new_maximum=50, limit=60)
    assert selection.chosen == ["imgcls-5"]
    assert selection.reasons[-1].startswith("kept imgcls-5 although its 50 training jobs")
    assert selection.used == 100


def test_unknown_new_maximum_drops_nothing() -> None:
    selection = select(lineage(), new_maximum=None, limit=60)
    assert len(selection.chosen) == MAX_PARENTS and selection.used is None


# --- precedence in prepare: input > resume > defaults > automatic ----------------------------


SETTINGS = {"jobNamePrefix": PREFIX, "trainingJobLimit": 500, "failedParentPolicy": "reject"}


def prepare_event(run_input: Mapping[str, Any], default_parents: list[str]) -> dict[str, Any]:
    return {"action": "prepare", "input": dict(run_input),
            "defaults": {"parents": default_parents, "warmStartType": "TransferLearning"},
            "request": factories.valid_request(), "settings": SETTINGS}


def aws() -> FakeSageMaker:
    return FakeSageMaker(job("imgcls-auto", 3), job("imgcls-stopped", 2, "Stopped", launched=10))


@pytest.mark.parametrize("run_input, defaults, mode, parents, aws_used", [
    ({"parents": ["imgcls-named"]}, ["imgcls-default"], "input", ["imgcls-named"], False),
    ({"resume": "imgcls-stopped"}, ["imgcls-default"], "resume", ["imgcls-stopped"], True),
    ({}, ["imgcls-default"], "defaults", ["imgcls-default"], False),
    ({"parents": None}, ["imgcls-default"], "defaults", ["imgcls-default"], False),
    ({"parents": []}, ["imgcls-default"], "defaults", ["imgcls-default"], False),
    ({}, [], "automatic", ["imgcls-auto"], True),
    ({"resume": None}, [], "automatic", ["imgcls-auto"], True),
])
def test_parent_precedence(run_input: dict[str, Any], defaults: list[str], mode: str, parents: list[str],
                           aws_used: bool) -> None:
    fake = aws()
    run = prepare_run(prepare_event(run_input, defaults), list_jobs=fake.list_jobs, describe=fake.describe)
    assert (run["selection"]["mode"], run["parents"], run["selection"]["chosen"]) == (mode, parents, parents)
    assert bool(fake.calls) is aws_used
    assert "resume" not in run["overrides"]
    json.dumps(run)


def test_parents_and_resume_together_are_invalid_before_any_aws_call() -> None:
    fake = aws()
    with pytest.raises(WarmStartValidationError) as caught:
        prepare_run(prepare_event({"parents": ["imgcls-a"], "resume": "imgcls-stopped"}, []),
                    list_jobs=fake.list_jobs, describe=fake.describe)
    (violation,) = json.loads(str(caught.value))["violations"]
    assert violation["code"] == "INVALID_REQUEST" and "either parents or resume" in violation["message"]
    assert fake.calls == []


def test_bad_input_is_rejected_before_automatic_selection_calls_aws() -> None:
    fake = aws()
    with pytest.raises(WarmStartValidationError):
        prepare_run(prepare_event({"maxTrainingJobs": "many"}, []), list_jobs=fake.list_jobs, describe=fake.describe)
    assert fake.calls == []


def test_automatic_selection_uses_the_overridden_maximum_against_the_limit() -> None:
    fake = FakeSageMaker(job("imgcls-b", 2, parents=["imgcls-a"], launched=200), job("imgcls-a", 1, launched=200))
    run = prepare_run(prepare_event({"maxTrainingJobs": 150}, []), list_jobs=fake.list_jobs, describe=fake.describe)
    # 200 + 200 + 150 > 500: the ancestor goes; 200 + 150 fits.
    assert run["parents"] == ["imgcls-b"]
    assert run["selection"]["trainingJobs"] == {"used": 350, "limit": 500}


def test_automatic_selection_needs_the_aws_calls() -> None:
    with pytest.raises(WarmStartValidationError, match="needs AWS access"):
        prepare_run(prepare_event({}, []))


def test_aws_errors_of_the_injected_calls_propagate_unchanged() -> None:
    class Throttled(Exception):
        pass

    def list_jobs(prefix: str) -> list[dict[str, Any]]:
        raise Throttled("slow down")

    with pytest.raises(Throttled):
        prepare_run(prepare_event({}, []), list_jobs=list_jobs, describe=lambda name: None)


def test_automatically_chosen_lineage_passes_the_validation_without_unlisted_parent_warnings() -> None:
    fake = lineage()
    for name in ("imgcls-1", "imgcls-2", "imgcls-3", "imgcls-4", "imgcls-5", "seed-0", "seed-1"):
        fake.jobs[name]["TrainingJobStatusCounters"] = {"Completed": 5}
    run = prepare_run(prepare_event({}, []), list_jobs=fake.list_jobs, describe=fake.describe)
    event = {"parents": run["parents"], "warmStartType": run["warmStartType"], "request": factories.valid_request(),
             "overrides": run["overrides"], "executionName": "scheduled-1", "settings": SETTINGS}
    report = plan(event, fake.describe)["report"]
    assert report["accepted"] is True
    # Only the seeds, which did not fit in five, are left unlisted (and warned about).
    assert [(w["code"], w["parent"]) for w in report["warnings"]] == [
        ("PARENT_HAS_UNLISTED_PARENTS", "imgcls-4"), ("PARENT_HAS_UNLISTED_PARENTS", "imgcls-2")]
