"""The trust model on the local engine, cases an adversarial review found: a foreign
parent's configuration never reaches the cause (default pipelines, which may use any
parent), a rounds job name is never another execution's, and a rejection of a large or
many-keyed input still ends in WarmStartValidationError, not States.DataLimitExceeded.
"""

from __future__ import annotations

from typing import Any

from warm_start_tuning.local import LocalEngine
from warm_start_tuning.local.simulated_jobs import default_tuning_request

FOREIGN_IMAGE = "999999999999.dkr.ecr.us-east-1.amazonaws.com/other-team-secret:latest"


def _foreign_request(name: str) -> dict[str, Any]:
    request = default_tuning_request(name)
    definition = request["TrainingJobDefinition"]
    definition["AlgorithmSpecification"]["TrainingImage"] = FOREIGN_IMAGE
    definition["StaticHyperParameters"]["other_team_secret_flag"] = "1"
    for channel in definition["InputDataConfig"]:
        channel["DataSource"]["S3DataSource"]["S3Uri"] = f"s3://other-team-private/{channel['ChannelName']}/"
    return request


def test_foreign_parent_configuration_never_reaches_the_cause(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("free-parent")
    engine.sagemaker.add_tuning_job("other-team-job", _foreign_request("other-team-job"))
    arn = synthesized.deploy(engine, synthesized.features.unlocked)
    result = engine.run(arn, {"parents": ["other-team-job"], "warmStartType": "IdenticalDataAndAlgorithm"},
                        name="peek")
    assert result.status == "FAILED"
    cause = result.cause or ""
    assert "other-team-private" not in cause, cause
    assert "999999999999" not in cause and "other-team-secret" not in cause, cause
    assert "other_team_secret_flag" not in cause, cause


def test_a_rounds_job_name_is_never_another_executions(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("rounds-parent")
    arn = synthesized.deploy(engine, synthesized.features.rounds)
    assert engine.run(arn, None, name="victim-round-1").status == "SUCCEEDED"
    result = engine.run(arn, None, name="victim")
    assert result.status == "SUCCEEDED", (result.error, result.cause)


def test_an_input_of_many_unknown_keys_ends_in_a_named_error(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("free-parent")
    arn = synthesized.deploy(engine, synthesized.features.unlocked)
    result = engine.run(arn, {f"k{i:05d}": 0 for i in range(1000)}, name="many-keys")  # ~13 KB of input
    assert result.error == "WarmStartValidationError", (result.error, (result.cause or "")[:200])


def test_an_input_just_under_256_kib_ends_in_a_named_error(engine: LocalEngine, synthesized) -> None:
    engine.sagemaker.add_tuning_job("free-parent")
    arn = synthesized.deploy(engine, synthesized.features.unlocked)
    result = engine.run(arn, {"h": "y" * 260_500}, name="near-limit")  # < 262,144 bytes: StartExecution takes it
    assert result.error == "WarmStartValidationError", (result.error, (result.cause or "")[:200])
