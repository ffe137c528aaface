"""5. Resume: a run continues a Stopped or Failed job with the rest of its training-job
budget, as an IdenticalDataAndAlgorithm warm start from that job alone."""

from __future__ import annotations

from datetime import timedelta

from warm_start_tuning.local import LocalEngine


def _launched(engine: LocalEngine, name: str) -> int:
    return sum(engine.sagemaker.describe(name)["TrainingJobStatusCounters"].values())


def test_resume_a_stopped_job_with_the_rest_of_its_budget(engine: LocalEngine, synthesized) -> None:
    # Stopped by hand after a while: it launched only part of its 20 training jobs.
    engine.sagemaker.add_tuning_job(
        "auto-stopped", status_path=[("InProgress", 3000), ("Stopped", None)], created_at=timedelta(days=1)
    )
    launched = _launched(engine, "auto-stopped")
    assert 0 < launched < 20
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"resume": "auto-stopped"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["parents"] == ["auto-stopped"]
    assert result.output["warmStartType"] == "IdenticalDataAndAlgorithm"
    assert result.output["selection"]["mode"] == "resume"
    created = engine.sagemaker.describe(result.output["tuningJobName"])
    assert created["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 20 - launched
    assert created["WarmStartConfig"] == {
        "WarmStartType": "IdenticalDataAndAlgorithm",
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "auto-stopped"}],
    }


def test_resume_a_failed_job_that_completed_training_jobs(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job(
        "auto-failed", status_path=[("InProgress", 1800), ("Failed", None)], created_at=timedelta(days=1)
    )
    launched = _launched(engine, "auto-failed")
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"resume": "auto-failed"})

    assert result.status == "SUCCEEDED", result.cause
    created = engine.sagemaker.describe(result.output["tuningJobName"])
    assert created["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"] == 20 - launched


def test_a_completed_job_cannot_be_resumed(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("auto-done")
    arn = synthesized.deploy(engine, synthesized.features.automatic)

    result = engine.run(arn, {"resume": "auto-done"})

    assert (result.status, result.error) == ("FAILED", "WarmStartValidationError")
    assert "no budget left to resume" in result.cause
    assert engine.sagemaker.jobs == ["auto-done"]
