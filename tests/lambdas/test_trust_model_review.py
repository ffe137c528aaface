"""The trust model, cases an adversarial review found: an allowed input location is a
folder (an S3Prefix URI without its trailing slash reaches every key that merely starts
with the folder's name), a rejection stays small, resume and tuningJobName never name
the same job.

SageMaker reads S3Prefix channels as "all objects whose key starts with" the URI's key:
``s3://example-bucket/allowed`` reads ``allowed-secret/...`` too. So an input may not use
the folder's name without its slash (the bucket root ``s3://bucket`` is harmless).
"""

from __future__ import annotations

import pytest

from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.run_input import prepare_run
from warm_start_tuning.local.simulated_jobs import default_tuning_request


def _prepare(uri: str, location: str) -> dict:
    request = default_tuning_request("x")
    request.pop("HyperParameterTuningJobName")
    return prepare_run({
        "input": {"inputData": {"train": uri}},
        "defaults": {"parents": ["free-parent"], "warmStartType": "TransferLearning"},
        "request": request,
        "settings": {"jobNamePrefix": "free", "inputLocations": [location]},
    })


@pytest.mark.parametrize("location", ["s3://example-bucket/allowed/", "s3://example-bucket/allowed"])
def test_a_folder_name_without_its_slash_does_not_reach_sibling_folders(location: str) -> None:
    with pytest.raises(WarmStartValidationError) as raised:
        _prepare("s3://example-bucket/allowed", location)  # as S3Prefix: also allowed-secret/...
    assert {v.code for v in raised.value.violations} == {"OVERRIDE_NOT_ALLOWED"}


def test_inside_the_folder_is_allowed() -> None:
    assert _prepare("s3://example-bucket/allowed/x/", "s3://example-bucket/allowed/")["overrides"]["inputData"]


def test_the_bucket_root_without_slash_is_the_bucket() -> None:
    assert _prepare("s3://example-bucket", "s3://example-bucket/")["overrides"]["inputData"]


def test_the_rejection_of_many_bad_keys_stays_small() -> None:
    # 1000 unknown keys (13 KB of input) -> 1000 violations, ~260 KB of message: the
    # cause alone passes Step Functions' 256 KiB state limit (States.DataLimitExceeded).
    request = default_tuning_request("x")
    request.pop("HyperParameterTuningJobName")
    with pytest.raises(WarmStartValidationError) as raised:
        prepare_run({"input": {f"k{i:05d}": 0 for i in range(1000)},
                     "defaults": {"parents": ["free-parent"], "warmStartType": "TransferLearning"},
                     "request": request, "settings": {"jobNamePrefix": "free"}})
    assert len(str(raised.value).encode()) <= 32 * 1024


def test_resume_and_tuning_job_name_of_the_same_job_is_refused_by_prepare() -> None:
    # prepare checks "tuningJobName names a parent" only for input/default parents; with
    # resume the validate step catches it, after WaitForParents has already run.
    request = default_tuning_request("x")
    request.pop("HyperParameterTuningJobName")

    def describe(name: str) -> dict:
        job = default_tuning_request(name)
        job.update(HyperParameterTuningJobStatus="Stopped", CreationTime="2024-01-01T00:00:00Z",
                   TrainingJobStatusCounters={"Completed": 5, "Stopped": 1},
                   HyperParameterTuningJobArn=f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}")
        return job

    with pytest.raises(WarmStartValidationError) as raised:
        prepare_run({"input": {"resume": "free-stopped", "tuningJobName": "free-stopped"},
                     "defaults": {"parents": [], "warmStartType": "IdenticalDataAndAlgorithm"},
                     "request": request, "settings": {"jobNamePrefix": "free"}},
                    describe=describe, list_jobs=lambda prefix: [])
    assert {v.code for v in raised.value.violations} == {"OVERRIDE_NOT_ALLOWED"}
