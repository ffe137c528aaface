"""4. Rounds: each round's job is the next round's only parent (IdenticalDataAndAlgorithm),
its MaxNumberOfTrainingJobs grows by the step, and the rounds stop at the round limit
or when the best objective improves by less than the threshold."""

from __future__ import annotations

from warm_start_tuning.local import LocalEngine


def _limits(engine: LocalEngine, name: str) -> int:
    return engine.sagemaker.describe(name)["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"]


def test_three_rounds_chain_their_jobs_and_stop_at_the_round_limit(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("rounds-parent")
    arn = synthesized.deploy(engine, synthesized.features.rounds)

    result = engine.run(arn, {}, name="weekly-2024-06-02")

    assert result.status == "SUCCEEDED", result.cause
    rounds = result.output["rounds"]
    assert [r["round"] for r in rounds] == [0, 1, 2]
    names = [r["tuningJobName"] for r in rounds]
    assert len(set(names)) == 3 and all(n.startswith("rounds-") for n in names)
    assert result.output["roundsStopReason"].startswith("round limit reached")
    # Each round warm-starts from the one before; the budget grows by the step (5).
    assert [_parents(engine, n) for n in names] == [["rounds-parent"], [names[0]], [names[1]]]
    assert [_limits(engine, n) for n in names] == [20, 25, 30]
    assert {engine.sagemaker.describe(n)["WarmStartConfig"]["WarmStartType"] for n in names} == {
        "IdenticalDataAndAlgorithm"
    }
    # Each round's best objective is listed, and each later round improved on the earlier ones.
    for entry, name in zip(rounds, names):
        best = engine.sagemaker.describe(name)["BestTrainingJob"]
        assert entry["bestTrainingJob"] == best["TrainingJobName"]
        assert entry["bestObjective"] == best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
        assert entry["objectiveType"] == "Maximize"
    assert rounds[0]["improvement"] is None
    assert all(r["improvement"] >= 0 for r in rounds[1:])
    # The output describes the last round's job.
    assert result.output["tuningJobName"] == names[-1]
    assert result.output["parents"] == [names[1]]
    assert result.output["selection"]["mode"] == "defaults"
    # Three jobs, named deterministically: the execution's name, then "/round-<n>".
    assert sorted(engine.sagemaker.jobs) == sorted(["rounds-parent", *names])


def test_rounds_stop_when_the_improvement_is_below_the_threshold(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("thresh-parent")
    arn = synthesized.deploy(engine, synthesized.features.rounds_threshold)

    result = engine.run(arn, {}, name="weekly-2024-06-02")

    assert result.status == "SUCCEEDED", result.cause
    rounds = result.output["rounds"]
    # Round 0 has nothing to compare with; round 1 improves by less than 1.0 (the
    # objective is an AUC in [0, 1]): the rounds stop there, far before max_rounds=5.
    assert [r["round"] for r in rounds] == [0, 1]
    assert rounds[1]["improvement"] < 1.0
    assert "< threshold 1" in result.output["roundsStopReason"]
    assert len(engine.sagemaker.jobs) == 3


def test_each_round_job_name_is_the_same_on_a_rerun_of_the_same_execution(engine: LocalEngine, synthesized) -> None:
    """Names come from '<execution name>/round-<n>': deterministic, so a retried create
    attaches to the round's job instead of starting a second one."""
    engine.sagemaker.add_tuning_job("rounds-parent")
    arn = synthesized.deploy(engine, synthesized.features.rounds)

    first = engine.run(arn, {}, name="same-name")
    validate_names = [
        event["stateEnteredEventDetails"]
        for event in first.history
        if event["type"] == "TaskStateEntered" and event["stateEnteredEventDetails"]["name"] == "ValidateWarmStart"
    ]

    assert first.status == "SUCCEEDED", first.cause
    assert len(validate_names) == 3
    from warm_start_tuning.rules import tuning_job_name

    expected = [tuning_job_name("rounds", n) for n in ("same-name", "same-name/round-1", "same-name/round-2")]
    assert [r["tuningJobName"] for r in first.output["rounds"]] == expected


def _parents(engine: LocalEngine, name: str) -> list[str]:
    config = engine.sagemaker.describe(name)["WarmStartConfig"]
    return [p["HyperParameterTuningJobName"] for p in config["ParentHyperParameterTuningJobs"]]


def test_a_failed_round_keeps_the_completed_rounds_results_in_its_cause(engine: LocalEngine, synthesized) -> None:
    """Round 1's job fails: the run is TuningJobFailed and its cause lists round 0's
    result (job, best training job, objective). On main the cause was the failure alone."""
    import json

    engine.sagemaker.add_tuning_job("rounds-parent")
    arn = synthesized.deploy(engine, synthesized.features.rounds)
    engine.sagemaker.plan(None, "Completed")
    engine.sagemaker.plan(None, "Failed", failure_reason="ResourceLimitExceeded: no capacity")

    result = engine.run(arn, {}, name="weekly-2024-06-09")

    assert (result.status, result.error) == ("FAILED", "TuningJobFailed"), result.cause
    cause = json.loads(result.cause)
    (completed,) = cause["completedRounds"]
    assert completed["round"] == 0 and completed["tuningJobName"].startswith("rounds-")
    best = engine.sagemaker.describe(completed["tuningJobName"])["BestTrainingJob"]
    assert completed["bestTrainingJob"] == best["TrainingJobName"]
    assert completed["bestObjective"] == best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
    assert cause["error"]["Error"]  # the failure itself is there too
