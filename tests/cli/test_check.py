"""`warm-start-tuning check` end to end against moto's SageMaker backend."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The moto helpers live with the Lambda tests; this folder has no conftest putting them on
# sys.path, and running this file alone must work too.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas"))

from moto_fixtures import aws_credentials, create_parent, sagemaker, valid_request  # noqa: E402,F401
from warm_start_tuning.cli.main import main  # noqa: E402


@pytest.fixture
def request_file(tmp_path: Path) -> Path:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(valid_request()))
    return path


@pytest.fixture
def parents(sagemaker: Any) -> Iterator[Any]:  # noqa: F811
    create_parent(sagemaker, "p1")
    create_parent(sagemaker, "p2")
    yield sagemaker


def check(*args: str) -> list[str]:
    return ["check", "--warm-start-type", "TransferLearning", *args]


def test_accepted_human_report(parents: Any, request_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(check("--parent", "p1", "--parent", "p2", "--request", str(request_file)))
    out = capsys.readouterr().out
    assert code == 0
    assert "ACCEPTED" in out
    assert "p1" in out and "p2" in out and "Completed" in out
    assert "Changes: 0 used of 10 allowed" in out
    assert "Training jobs: 2 used by parents + 20 new = 22 of 500 allowed" in out


def test_accepted_json_report(parents: Any, request_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(check("--parent", "p1", "--request", str(request_file), "--json"))
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["accepted"] is True and report["parents"][0]["name"] == "p1"


def test_rejected_human_report_names_codes_and_parents(
    parents: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = valid_request()
    request["TrainingJobDefinition"]["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "s3://new/"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(request))
    code = main(["check", "--warm-start-type", "IdenticalDataAndAlgorithm", "--parent", "p1",
                 "--parent", "gone", "--request", str(path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "REJECTED" in out and "Violations" in out
    assert "DATA_CHANGED [p1]" in out
    assert "PARENT_NOT_FOUND [gone]" in out


def test_rejected_json(parents: Any, request_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(check("--parent", "gone", "--request", str(request_file), "--json"))
    body = json.loads(capsys.readouterr().out)
    assert code == 1
    assert body == {"violations": [
        {"code": "PARENT_NOT_FOUND", "parent": "gone", "message": body["violations"][0]["message"]}
    ]}


def test_training_job_limit_option(parents: Any, request_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(check("--parent", "p1", "--request", str(request_file), "--training-job-limit", "10"))
    assert code == 1
    assert "TRAINING_JOB_LIMIT" in capsys.readouterr().out


def test_request_from_stdin(
    parents: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(valid_request())))
    assert main(check("--parent", "p1", "--request", "-", "--json")) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] is True


def test_malformed_request_is_a_rejection_not_a_crash(
    parents: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    assert main(check("--parent", "p1", "--request", str(path))) == 1
    assert "INVALID_REQUEST" in capsys.readouterr().out


def test_check_is_read_only(
    parents: Any, request_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from botocore.client import BaseClient

    operations: list[str] = []
    real = BaseClient._make_api_call

    def record(self: Any, operation: str, params: Any) -> Any:
        operations.append(operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    main(check("--parent", "p1", "--parent", "p2", "--request", str(request_file)))
    assert set(operations) == {"DescribeHyperParameterTuningJob"}
    assert len(parents.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"]) == 2


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["check"],
        ["check", "--parent", "p1", "--request", "r.json"],  # no --warm-start-type
        check("--request", "r.json"),  # no --parent
        ["check", "--parent", "p1", "--warm-start-type", "Nope", "--request", "r.json"],
        check("--parent", "p1", "--request", "r.json", "--training-job-limit", "0"),
        check("--parent", "p1", "--request", "r.json", "--training-job-limit", "many"),
        check("--parent", "p1", "--request", "r.json", "--failed-parent-policy", "ignore"),
        ["frobnicate"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "usage:" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--help"]) == 0
    assert "--warm-start-type" in capsys.readouterr().out


@pytest.mark.parametrize("content", [None, "{not json", b"\xff\xfe\x00"])
def test_unreadable_request_exits_2(
    aws_credentials: None, tmp_path: Path, content: Any, capsys: pytest.CaptureFixture[str]  # noqa: F811
) -> None:
    path = tmp_path / "request.json"
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    assert main(check("--parent", "p1", "--request", str(path))) == 2
    err = capsys.readouterr().err
    assert err.startswith("warm-start-tuning check: ") and err.count("\n") == 1


# --- no credentials: a real process, nothing from the developer's AWS setup -------------


def run_without_aws(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    empty = tmp_path / "empty"
    empty.write_text("")
    request = tmp_path / "request.json"
    request.write_text(json.dumps(valid_request()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_SHARED_CREDENTIALS_FILE=str(empty),
        AWS_CONFIG_FILE=str(empty),
        AWS_EC2_METADATA_DISABLED="true",  # no instance-metadata lookups (and their timeouts)
    )
    return subprocess.run(
        [sys.executable, "-m", "warm_start_tuning.cli.main", *check("--parent", "p1", "--request", str(request)), *extra],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )


def test_no_credentials_one_line_exit_2(tmp_path: Path) -> None:
    completed = run_without_aws(tmp_path, "--region", "us-east-1")
    assert completed.returncode == 2, completed.stderr
    assert completed.stdout == ""
    assert completed.stderr.startswith("warm-start-tuning: no AWS credentials found (")
    assert completed.stderr.count("\n") == 1


def test_no_region_one_line_exit_2(tmp_path: Path) -> None:
    completed = run_without_aws(tmp_path)
    assert completed.returncode == 2, completed.stderr
    assert completed.stderr.startswith("warm-start-tuning: no AWS region configured (")
    assert completed.stderr.count("\n") == 1
