"""The pipeline does not depend on the shape of the .sync output (issue 10).

AWS's .sync output of createHyperParameterTuningJob carries the best training job's name
only (the engine's default, "thin"); a Describe-shaped one ("full") is the other
reading. Under both, the output holds full TrainingJobSummary objects and rounds go on
past round 0: the pipeline describes the finished job and builds everything from that.
A create that SageMaker refuses ends in TuningJobNotCreated with SageMaker's message.
"""

from __future__ import annotations

import math

import pytest

from warm_start_tuning.local import LocalEngine

READINGS = ["thin", "full"]


def _summary_ok(summary: dict, job_name: str | None = None) -> None:
    assert isinstance(summary, dict), summary
    assert summary["TrainingJobName"].startswith(job_name or "")
    assert summary["TunedHyperParameters"]
    metric = summary["FinalHyperParameterTuningJobObjectiveMetric"]
    assert metric["MetricName"] == "validation:auc" and isinstance(metric["Value"], float)


def _run(synthesized, pipeline, parent: str, name: str, *, reading: str = "thin", prepare=None):
    """Run ``pipeline`` once on a fresh engine with the ``reading`` of .sync outputs;
    (result, Describe of the created job or None)."""
    with LocalEngine(time_scale=math.inf, sync_output=reading) as engine:
        engine.sagemaker.add_tuning_job(parent)
        if prepare is not None:
            prepare(engine)
        arn = synthesized.deploy(engine, pipeline)
        result = engine.run(arn, {}, name=name)
        created = [engine.sagemaker.describe(j) for j in engine.sagemaker.jobs if j != parent]
    return result, created[-1] if created else None


@pytest.mark.parametrize("reading", READINGS)
def test_output_holds_full_training_job_summaries(reading: str, synthesized) -> None:
    result, described = _run(
        synthesized, synthesized.features.unlocked, "free-parent", f"summaries-{reading}", reading=reading
    )
    assert result.status == "SUCCEEDED", result.cause
    output = result.output
    _summary_ok(output["bestTrainingJob"], output["tuningJobName"])
    assert output["bestTrainingJob"]["TrainingJobName"] == described["BestTrainingJob"]["TrainingJobName"]
    # IdenticalDataAndAlgorithm: the best across the job and its parents, never null here.
    _summary_ok(output["overallBestTrainingJob"])
    assert output["overallBestTrainingJob"]["TrainingJobName"] == described["OverallBestTrainingJob"]["TrainingJobName"]
    assert output["status"] == "Completed"
    assert "DescribeTuningJob" in [name for name, _ in result.states_entered]


@pytest.mark.parametrize("reading", READINGS)
def test_rounds_go_on_past_round_zero(reading: str, synthesized) -> None:
    result, _last = _run(synthesized, synthesized.features.rounds, "rounds-parent", f"rounds-{reading}", reading=reading)
    assert result.status == "SUCCEEDED", result.cause
    rounds = result.output["rounds"]
    assert [r["round"] for r in rounds] == [0, 1, 2]
    assert all(isinstance(r["bestObjective"], float) for r in rounds)
    assert result.output["roundsStopReason"].startswith("round limit reached")
    _summary_ok(result.output["bestTrainingJob"], result.output["tuningJobName"])


def test_a_create_sagemaker_refuses_ends_in_tuning_job_not_created(synthesized) -> None:
    message = (
        "The number of hyperparameter changes across all parent jobs exceeds the maximum allowed (10)"
    )
    result, created = _run(
        synthesized,
        synthesized.features.unlocked,
        "free-parent",
        "refused",
        # Refused on every attempt: the first and both retries of the create step.
        prepare=lambda engine: engine.sagemaker.inject_error(
            "CreateHyperParameterTuningJob", "ValidationException", message, times=3
        ),
    )
    assert (result.status, result.error) == ("FAILED", "TuningJobNotCreated")
    assert result.cause.startswith(message) and "Error Code: ValidationException" in result.cause
    assert created is None
    assert "TuningJobFailed" not in [name for name, _ in result.states_entered]


def test_a_job_that_ran_and_failed_is_still_tuning_job_failed(synthesized) -> None:
    result, created = _run(
        synthesized,
        synthesized.features.unlocked,
        "free-parent",
        "ran-and-failed",
        prepare=lambda engine: engine.sagemaker.plan("free-*", "Failed", after_seconds=600),
    )
    assert (result.status, result.error) == ("FAILED", "TuningJobFailed")
    assert created["HyperParameterTuningJobStatus"] == "Failed"
