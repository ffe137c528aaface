"""3. Parent selection: a run that names no parents (and whose pipeline has no default
parents) warm-starts from the pipeline's own newest finished job, with that job's
lineage listed directly, within the training-job limit, and reports why."""

from __future__ import annotations

from datetime import timedelta

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.simulated_jobs import default_tuning_request


def _warm_started_from(name: str, *parents: str) -> dict:
    request = default_tuning_request(name)
    request["WarmStartConfig"] = {
        "WarmStartType": "IdenticalDataAndAlgorithm",
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": p} for p in parents],
    }
    return request


def _lineage(engine: LocalEngine) -> None:
    """auto-gen1 <- auto-gen2 <- auto-gen3 (newest finished), plus jobs that must not be picked."""
    sim = engine.sagemaker
    sim.add_tuning_job("auto-gen1", launched=40, created_at=timedelta(days=3))
    sim.add_tuning_job("auto-gen2", _warm_started_from("auto-gen2", "auto-gen1"), launched=30, created_at=timedelta(days=2))
    sim.add_tuning_job("auto-gen3", _warm_started_from("auto-gen3", "auto-gen2"), launched=20, created_at=timedelta(days=1))
    # Newer, but still running: not a parent yet.
    sim.add_tuning_job("auto-running", status_path=[("InProgress", 10 * 86400), ("Completed", None)])
    # Another pipeline's job: not this pipeline's prefix.
    sim.add_tuning_job("other-newest", created_at=timedelta(hours=1))


def test_no_parents_picks_the_newest_job_and_its_lineage_within_the_limit(engine: LocalEngine, synthesized) -> None:
    _lineage(engine)
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {}, name="retrain-2024-06-02")

    assert result.status == "SUCCEEDED", result.cause
    # gen1 + gen2 + gen3 launched 90 training jobs; with the new job's 20 that is 110 >
    # the pipeline's limit of 100, so the oldest (gen1) is dropped.
    assert result.output["parents"] == ["auto-gen3", "auto-gen2"]
    selection = result.output["selection"]
    assert selection["mode"] == "automatic"
    assert selection["chosen"] == ["auto-gen3", "auto-gen2"]
    assert selection["trainingJobs"] == {"used": 70, "limit": 100}
    reasons = "\n".join(selection["reasons"])
    assert "skipped auto-running (InProgress)" in reasons
    assert "picked auto-gen3" in reasons
    assert "added ancestor auto-gen2" in reasons
    assert "dropped auto-gen1" in reasons
    assert "other-newest" not in reasons
    created = engine.sagemaker.describe(result.output["tuningJobName"])
    assert [p["HyperParameterTuningJobName"] for p in created["WarmStartConfig"]["ParentHyperParameterTuningJobs"]] == [
        "auto-gen3",
        "auto-gen2",
    ]
    assert result.output["validation"]["trainingJobs"]["total"] <= 100


def test_the_whole_lineage_when_it_fits(engine: LocalEngine, synthesized) -> None:
    _lineage(engine)
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"maxTrainingJobs": 10}, name="retrain-small")

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["parents"] == ["auto-gen3", "auto-gen2", "auto-gen1"]
    assert result.output["selection"]["trainingJobs"] == {"used": 100, "limit": 100}


def test_named_parents_are_reported_as_given(engine: LocalEngine, synthesized) -> None:
    _lineage(engine)
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"parents": ["auto-gen1"]})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["selection"]["mode"] == "input"
    assert result.output["selection"]["chosen"] == ["auto-gen1"]


def test_no_earlier_job_fails_before_anything_waits_or_is_created(engine: LocalEngine, synthesized) -> None:
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {})

    assert (result.status, result.error) == ("FAILED", "WarmStartValidationError")
    assert "no earlier terminal job named" in result.cause
    assert engine.sagemaker.jobs == []
