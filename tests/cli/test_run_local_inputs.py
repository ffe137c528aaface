"""Issue 11: run-local with any JSON input, with the schedule's or the trigger's input,
and notes that say what the run really waits for (resume, automatic selection)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="the local engine needs the [local] extra")

from aws_cdk.assertions import Template  # noqa: E402

from behaviour.example_pipeline import Templates, synthesize  # noqa: E402
from cdk_helpers import new_app  # noqa: E402
from stacks import FeaturePipelinesStack  # noqa: E402
from warm_start_tuning.cli.main import main  # noqa: E402


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Templates:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module")
def features(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("features") / "Features.template.json"
    path.write_text(json.dumps(Template.from_stack(FeaturePipelinesStack(new_app(), "Features")).to_json()))
    return path


def _run(template: Path, *args: str) -> list[str]:
    return ["run-local", "--template", str(template), "--time-scale", "inf", *args]


@pytest.mark.parametrize("text, shown", [('"hello"', "got string 'hello'"), ("[1]", "got a list of 1 item(s)"),
                                         ("42", "got")])
def test_any_json_input_is_judged_by_the_pipeline_not_a_traceback(templates, capsys, text, shown):
    assert main(_run(templates.example, "--input", text)) == 1
    out = capsys.readouterr()
    assert "FAILED: WarmStartValidationError" in out.out and shown in out.out
    assert "Traceback" not in out.err


def test_null_input_is_an_empty_one(templates, capsys):
    assert main(_run(templates.example, "--input", "null")) == 0


def test_an_unknown_field_is_reported_once_with_a_suggestion(templates, capsys):
    assert main(_run(templates.example, "--input", '{"parentz": ["imgcls-parent-1"]}')) == 1
    out = capsys.readouterr().out
    assert out.count("parentz") == 2  # the input line and the one violation
    assert "OVERRIDE_NOT_ALLOWED: execution input: 'parentz' is not a field of the execution input " \
           "(did you mean 'parents'?)" in out
    assert "unknown field(s)" not in out


def test_resume_note_names_the_resumed_job(templates, capsys):
    main(_run(templates.example, "--input", '{"resume": "imgcls-0123456789abcdef0123"}', "--parent", "imgcls-parent-1"))
    out = capsys.readouterr().out
    assert "note: this run resumes imgcls-0123456789abcdef0123 (its one parent), which is not simulated; add " \
           "--parent imgcls-0123456789abcdef0123:Stopped" in out
    assert "note: this run waits for" not in out


def test_resume_without_parents_simulates_the_resumed_job_stopped(templates, capsys):
    code = main(_run(templates.example, "--input", '{"resume": "imgcls-0123456789abcdef0123"}'))
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Parent imgcls-0123456789abcdef0123: Stopped" in out
    assert '"mode": "resume"' in out


def test_automatic_selection_note(features, capsys):
    main(_run(features, "--state-machine", "Automatic", "--parent", "somebody-else-1"))
    out = capsys.readouterr().out
    assert "note: this run chooses its parents automatically among the pipeline's own jobs (auto-*)" in out
    assert "note: this run waits for" not in out
    main(_run(features, "--state-machine", "Automatic", "--parent", "auto-earlier-1:Completed"))
    assert "note:" not in capsys.readouterr().out


def test_schedule_input(features, capsys):
    code = main(_run(features, "--state-machine", "Scheduled", "--schedule", "--parent", "sched-earlier-1:Completed"))
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"maxTrainingJobs": 12' in out.split("; simulated time")[0]
    assert "inputData: " in out


def test_trigger_object_input(features, capsys):
    code = main(_run(features, "--state-machine", "NewData", "--trigger-object", "incoming/2024-06-01/_SUCCESS"))
    out = capsys.readouterr().out
    assert code == 0, out
    assert '"newObject": {"bucket": ' in out and '"key": "incoming/2024-06-01/_SUCCESS"' in out
    assert "inputData: train = s3://" in out and "/incoming/2024-06-01/train/" in out


def test_input_sources_are_exclusive(templates, capsys):
    assert main(_run(templates.example, "--input", '{"a": 1}', "--schedule")) == 2
    assert "give one of --input, --schedule" in capsys.readouterr().err
