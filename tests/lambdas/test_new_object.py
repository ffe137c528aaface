"""New data: the S3 object that started a run becomes the run's inputData."""

from __future__ import annotations

import json
from typing import Any

import factories
import pytest
from warm_start_rules.errors import WarmStartValidationError
from warm_start_rules.new_data import batch_folder
from warm_start_rules.planner import plan
from warm_start_rules.run_input import prepare_run

CHANNELS = ["train", "validation"]
SETTINGS = {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject",
            "newDataChannels": CHANNELS, "newDataBucket": "ml-data"}


def prepare(run_input: dict[str, Any], settings: dict[str, Any] = SETTINGS) -> dict[str, Any]:
    event = {"action": "prepare", "input": run_input,
             "defaults": {"parents": ["imgcls-parent"], "warmStartType": "TransferLearning"},
             "request": factories.valid_request(), "settings": settings}
    return prepare_run(event)


def messages(caught: pytest.ExceptionInfo[WarmStartValidationError]) -> list[str]:
    found = json.loads(str(caught.value))["violations"]
    assert {v["code"] for v in found} == {"INVALID_REQUEST"}
    return [v["message"] for v in found]


@pytest.mark.parametrize("key, folder", [
    ("incoming/2024-06-01/_SUCCESS", "incoming/2024-06-01"),      # a marker next to the channel folders
    ("incoming/2024-06-01/train/part-0.csv", "incoming/2024-06-01"),  # an object inside a channel folder
    ("incoming/2024-06-01/validation/", "incoming/2024-06-01"),     # the console's "create folder"
    ("2024-06-01/manifest.json", "2024-06-01"),
    ("_SUCCESS", ""),                                              # at the bucket's root
])
def test_batch_folder(key: str, folder: str) -> None:
    assert batch_folder(key, CHANNELS) == folder


def test_new_object_becomes_input_data_for_every_channel() -> None:
    run = prepare({"newObject": {"bucket": "ml-data", "key": "incoming/2024-06-01/_SUCCESS"}})
    assert run["overrides"] == {"inputData": {
        "train": "s3://ml-data/incoming/2024-06-01/train/",
        "validation": "s3://ml-data/incoming/2024-06-01/validation/",
    }}
    assert run["parents"] == ["imgcls-parent"]


def test_object_at_the_bucket_root_uses_channel_folders_at_the_root() -> None:
    run = prepare({"newObject": {"bucket": "ml-data", "key": "_SUCCESS"}})
    assert run["overrides"]["inputData"] == {"train": "s3://ml-data/train/", "validation": "s3://ml-data/validation/"}


def test_other_overrides_are_kept_and_new_object_is_removed() -> None:
    run = prepare({"newObject": {"bucket": "ml-data", "key": "b/_SUCCESS"}, "maxTrainingJobs": 10})
    assert set(run["overrides"]) == {"inputData", "maxTrainingJobs"}


def test_channels_are_taken_once_in_order() -> None:
    settings = {**SETTINGS, "newDataChannels": ["validation", "train", "validation"]}
    run = prepare({"newObject": {"bucket": "ml-data", "key": "b/x"}}, settings)
    assert list(run["overrides"]["inputData"]) == ["validation", "train"]


def test_a_channel_the_definition_lacks_is_not_added() -> None:
    # The trust model: the input points existing channels at new data, never adds one.
    settings = {**SETTINGS, "newDataChannels": ["train", "validation", "test"]}
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"newObject": {"bucket": "ml-data", "key": "b/_SUCCESS"}}, settings)
    found = json.loads(str(caught.value))["violations"]
    assert [(v["code"], v["message"].split(" is ")[0]) for v in found] == [
        ("OVERRIDE_NOT_ALLOWED", "execution input: inputData.test")]


def test_new_object_in_another_bucket_is_not_allowed() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"newObject": {"bucket": "attacker-bucket", "key": "b/_SUCCESS"}})
    found = json.loads(str(caught.value))["violations"]
    assert {v["code"] for v in found} == {"OVERRIDE_NOT_ALLOWED"}
    assert all("outside the allowed input locations" in v["message"] for v in found)


def test_pipeline_without_new_data_channels_refuses_new_object() -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "newDataChannels"}
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"newObject": {"bucket": "ml-data", "key": "b/_SUCCESS"}}, settings)
    found = json.loads(str(caught.value))["violations"]
    assert [v["code"] for v in found] == ["OVERRIDE_NOT_ALLOWED"]  # reported once
    assert "written by the new-data trigger, and this pipeline has none" in found[0]["message"]


def test_new_object_and_input_data_together_are_invalid() -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"newObject": {"bucket": "ml-data", "key": "b/x"}, "inputData": {"train": "s3://ml-data/b"}})
    assert any("either newObject or inputData" in m for m in messages(caught))


def test_null_new_object_is_ignored() -> None:
    assert prepare({"newObject": None})["overrides"] == {}


@pytest.mark.parametrize("new_object, expected", [
    ("s3://ml-data/b/x", "newObject must be an object"),
    ({"bucket": "ml-data"}, "newObject.key must be a non-empty string"),
    ({"bucket": "ml-data", "key": ""}, "newObject.key must be a non-empty string"),
    ({"bucket": "ml-data", "key": 5}, "newObject.key must be a non-empty string"),
    ({"bucket": "ml-data", "key": "k" * 1025}, "S3 keys are at most 1024"),
    ({"bucket": "ml-data", "key": "\ud800"}, "not valid UTF-8"),
    ({"bucket": "ML_Data", "key": "b/x"}, "newObject.bucket must be an S3 bucket name"),
    ({"bucket": "ab", "key": "b/x"}, "newObject.bucket must be an S3 bucket name"),
    ({"bucket": None, "key": "b/x"}, "newObject.bucket must be an S3 bucket name"),
    ({"bucket": "ml-data", "key": "b/x", "size": 3}, "unknown field(s) 'size'"),
])
def test_malformed_new_object_is_invalid(new_object: Any, expected: str) -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({"newObject": new_object})
    assert any(expected in m for m in messages(caught)), messages(caught)


@pytest.mark.parametrize("channels", [[], "train", ["train", 5], ["bad channel"], {"train": 1}])
def test_malformed_new_data_channels_are_invalid(channels: Any) -> None:
    with pytest.raises(WarmStartValidationError) as caught:
        prepare({}, {**SETTINGS, "newDataChannels": channels})
    assert any("settings.newDataChannels must be a non-empty list" in m for m in messages(caught))


def test_validation_accepts_the_new_data_channels_setting() -> None:
    # The pipeline may hand the same settings object to every action.
    parent = factories.parent_describe("imgcls-parent")
    event = {"parents": ["imgcls-parent"], "warmStartType": "TransferLearning", "request": factories.valid_request(),
             "overrides": {}, "executionName": "e", "settings": SETTINGS}
    assert plan(event, lambda name: parent)["report"]["accepted"] is True
