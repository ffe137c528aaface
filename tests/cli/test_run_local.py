"""`warm-start-tuning run-local` and `demo` on app.py's synthesized pipeline."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from behaviour.example_pipeline import (  # noqa: E402
    EXAMPLE_STACK,
    PARENT,
    SHORT_WAIT_STACK,
    Templates,
    job_name,
    synthesize,
)

from warm_start_tuning.cli.main import main  # noqa: E402
from warm_start_tuning.local.example_parents import format_status_path, parse_status_path  # noqa: E402

COUNTS = re.compile(r"^states entered: (\d+), history events: (\d+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


def run_local(templates: Templates, *args: str) -> list[str]:
    return ["run-local", "--template", str(templates.example), "--time-scale", "inf", *args]


def output_json(out: str) -> dict:
    """The execution output: the JSON block after the SUCCEEDED line."""
    block = out.split("(simulated)\n", 1)[1].split("\nTuning job(s) created", 1)[0]
    return json.loads(block)


def test_prints_each_state_with_elapsed_time_then_output_and_counts(
    templates: Templates, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(run_local(templates, "--name", "cli-run"))
    out = capsys.readouterr().out

    assert code == 0, out
    assert f"Parent {PARENT}: InProgress for 1:00:00, then Completed" in out
    assert "[+0:00:00] PrepareRun\n" in out
    assert f"[+0:00:00] AllParentJobsTerminal?  ({PARENT} InProgress)" in out
    assert "[+0:00:00] WaitBeforeNextPoll  (wait 60 s)" in out
    assert "[+0:31:00] WaitBeforeNextPoll  (wait 1800 s)" in out
    assert f"[+1:01:00] AllParentJobsTerminal?  ({PARENT} Completed)" in out
    assert "[+1:01:00] CreateTuningJob\n" in out
    assert "SUCCEEDED after 1:31:00 (simulated)" in out
    output = output_json(out)
    assert output["tuningJobName"] == job_name("cli-run")
    assert output["bestTrainingJob"]["TuningJobName"] == job_name("cli-run")
    assert f"Tuning job(s) created: {job_name('cli-run')} (Completed)" in out
    states, events = map(int, COUNTS.search(out).groups())
    assert states == out.count("\n[+") and events > states


def test_json_summary(templates: Templates, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(run_local(templates, "--name", "cli-json", "--json"))
    summary = json.loads(capsys.readouterr().out)

    assert code == 0
    assert summary["status"] == "SUCCEEDED" and summary["error"] is None
    assert summary["output"]["tuningJobName"] == job_name("cli-json")
    assert summary["tuningJobsCreated"] == [job_name("cli-json")]
    assert summary["parents"] == {PARENT: [["InProgress", 3600.0], ["Completed", None]]}
    names = [s["name"] for s in summary["statesEntered"]]
    assert names.count("PollParentJobs") == 7
    assert summary["historyEvents"] > len(names)
    assert summary["simulatedSeconds"] == pytest.approx(5460)


def test_rejection_lists_each_violation_and_exits_1(
    templates: Templates, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_input = tmp_path / "input.json"
    run_input.write_text(json.dumps(
        {"inputData": {"train": "s3://example-ml-data/image-classification/new/"}, "maxTrainingJobs": 491}
    ))
    code = main(run_local(templates, "--input", f"@{run_input}"))
    out = capsys.readouterr().out

    assert code == 1
    assert "\nFAILED: WarmStartValidationError\n" in out
    assert re.search(rf"^  DATA_CHANGED {PARENT}: input data channels differ", out, re.MULTILINE)
    assert re.search(r"^  TRAINING_JOB_LIMIT( \S+)?: .*= 501 > limit 500", out, re.MULTILINE)
    assert "No tuning job was created." in out
    assert COUNTS.search(out)


def test_parents_given_on_the_command_line(templates: Templates, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(run_local(
        templates,
        "--parent", f"{PARENT}:InProgress=2h,Completed",
        "--parent", "imgcls-parent-2:Completed",
        "--input", json.dumps({"parents": [PARENT, "imgcls-parent-2"]}),
    ))
    out = capsys.readouterr().out

    assert code == 0, out
    assert f"Parent {PARENT}: InProgress for 2:00:00, then Completed" in out
    assert "Parent imgcls-parent-2: Completed" in out
    assert f"({PARENT} InProgress, imgcls-parent-2 Completed)" in out
    assert output_json(out)["parents"] == [PARENT, "imgcls-parent-2"]


def test_parents_the_run_does_not_use_get_a_note(templates: Templates, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(run_local(templates, "--parent", "imgcls-other:Completed"))
    out = capsys.readouterr().out

    assert code == 1  # the default parent was not simulated
    assert f"note: this run waits for {PARENT}" in out
    assert "FAILED: ParentTuningJobNotFound" in out


def test_no_parents_ends_in_parent_not_found(templates: Templates, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(run_local(templates, "--no-parents"))
    out = capsys.readouterr().out

    assert code == 1
    assert "Parents: none simulated" in out
    assert f'FAILED: ParentTuningJobNotFound\n  Tuning job(s) not found or being deleted: ["{PARENT}"]' in out


def test_a_failing_tuning_job(templates: Templates, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(run_local(templates, "--tuning-job", "InProgress=10m,Failed", "--name", "cli-doomed"))
    out = capsys.readouterr().out

    assert code == 1
    assert "FAILED: TuningJobFailed" in out
    assert f"  tuning job {job_name('cli-doomed')} ended Failed: " in out
    assert f"Tuning job(s) created: {job_name('cli-doomed')} (Failed)" in out


def test_default_template_is_app_py_pipeline_in_cdk_out(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "cdk.out").symlink_to(templates.example.parent, target_is_directory=True)
    monkeypatch.chdir(tmp_path)

    assert main(["run-local", "--time-scale", "inf", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["status"] == "SUCCEEDED" and EXAMPLE_STACK in summary["stateMachine"]

    # The short-wait variant is an app of its own (its name space is the example's).
    other = tmp_path / "other"
    other.mkdir()
    (other / "cdk.out").symlink_to(templates.short_wait.parent, target_is_directory=True)
    monkeypatch.chdir(other)
    assert main(["run-local", "--time-scale", "inf", "--json", "--stack", SHORT_WAIT_STACK]) == 0
    assert SHORT_WAIT_STACK in json.loads(capsys.readouterr().out)["stateMachine"]


def test_several_other_stacks_need_stack(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    artifacts = {}
    for stack in ("First", "Second"):
        shutil.copy(templates.short_wait, out / f"{stack}.template.json")
        artifacts[stack] = {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{stack}.template.json"}}
    (out / "manifest.json").write_text(json.dumps({"version": "1", "artifacts": artifacts}))
    monkeypatch.chdir(tmp_path)

    assert main(["run-local"]) == 2
    assert "2 stacks with a state machine (First, Second): pass --stack" in capsys.readouterr().err
    assert main(["run-local", "--stack", "Third"]) == 2
    assert "no stack 'Third'" in capsys.readouterr().err


def test_app_is_synthesized_with_bundling_skipped(
    templates: Templates, capsys: pytest.CaptureFixture[str]
) -> None:
    # A stand-in for `python3 app.py`: checks what the CDK CLI would pass, then writes the
    # assembly that app.py writes (a real synth is covered by the tests of app.py).
    fake_app = (
        "import json, os, shutil, sys; "
        "context = json.loads(os.environ['CDK_CONTEXT_JSON']); "
        "sys.exit(3) if context.get('aws:cdk:bundling-stacks') != [] else None; "
        "shutil.copytree(sys.argv[1], os.environ['CDK_OUTDIR'], dirs_exist_ok=True)"
    )
    command = shlex.join([sys.executable, "-c", fake_app, str(templates.example.parent)])

    code = main(["run-local", "--app", command, "--stack", EXAMPLE_STACK, "--time-scale", "inf", "--json"])

    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["status"] == "SUCCEEDED"


def test_an_app_that_fails_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    command = shlex.join([sys.executable, "-c", "import sys; print('boom', file=sys.stderr); sys.exit(4)"])
    assert main(["run-local", "--app", command]) == 2
    err = capsys.readouterr().err
    assert "failed (exit 4)" in err and "boom" in err


def test_missing_cdk_out_hints_at_synth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    # The hint speaks of the user's project (`cdk synth`, --app), not this repository's make.
    assert main(["run-local"]) == 2
    err = capsys.readouterr().err
    assert "`cdk synth` in your project" in err and "--app 'python3 app.py'" in err and "make" not in err
    assert main(["run-local", "--template", "cdk.out/Nope.template.json"]) == 2
    assert "`cdk synth` in your project" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--input", "{not json"],
        ["--input", "@/nonexistent/input.json"],
        ["--parent", "p1:Completed,InProgress"],
        ["--parent", "p1:InProgress,Completed"],
        ["--parent", ":Completed"],
        ["--parent", "p1:Done"],
        ["--parent", "p1", "--no-parents"],
        ["--parent", "p1", "--parent", "p1:Completed"],
        ["--time-scale", "0"],
        ["--time-scale", "fast"],
        ["--name", "has spaces"],
        ["--app", "python3 app.py"],  # with --template: one source only
        ["--state-machine", "NoSuchMachine"],
    ],
)
def test_usage_errors_exit_2(templates: Templates, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(run_local(templates, *argv)) == 2
    assert capsys.readouterr().err


def test_subcommands_are_registered(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run-local", "--help"]) == 0
    assert "--parent NAME[:STATUS_PATH]" in capsys.readouterr().out
    assert main(["demo", "--help"]) == 0


def test_demo_shows_an_accepted_and_a_rejected_warm_start(
    templates: Templates, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["demo", "--template", str(templates.example), "--time-scale", "inf"])
    out = capsys.readouterr().out

    assert code == 0, out
    first, second = out.split("\nRun 2: ", 1)
    assert "Run 1: " in first
    assert f"  [+0:00:00] AllParentJobsTerminal?  ({PARENT} InProgress)" in first
    assert f"  [+1:01:00] AllParentJobsTerminal?  ({PARENT} Completed)" in first
    assert f"Warm-start tuning job {job_name('demo-accepted-warm-start')}: Completed" in first
    assert re.search(r"Best training job: +imgcls-\w+-\d{3}-\w+  validation:accuracy = 0\.\d+ \(Maximize\)", first)
    assert f"Parent {PARENT}'s best: " in first
    assert "  FAILED: WarmStartValidationError" in second
    assert f"    DATA_CHANGED {PARENT}: " in second and "    TRAINING_JOB_LIMIT" in second
    assert "No tuning job was created (CreateHyperParameterTuningJob was never called)." in second
    assert out.rstrip().endswith("stopped before creating anything.")


@pytest.mark.parametrize(
    ("text", "path", "shown"),
    [
        ("Completed", [("Completed", None)], "Completed"),
        ("InProgress=3600,Completed", [("InProgress", 3600.0), ("Completed", None)],
         "InProgress for 1:00:00, then Completed"),
        ("inprogress=2h, stopping=90s, stopped", [("InProgress", 7200.0), ("Stopping", 90.0), ("Stopped", None)],
         "InProgress for 2:00:00, then Stopping for 0:01:30, then Stopped"),
        ("InProgress=1d,Failed", [("InProgress", 86400.0), ("Failed", None)], "InProgress for 24:00:00, then Failed"),
    ],
)
def test_status_paths(text: str, path: list, shown: str) -> None:
    assert parse_status_path(text) == path
    assert format_status_path(path) == shown


@pytest.mark.parametrize("text", ["", "InProgress", "Completed=5", "InProgress=-1,Completed", "Completed,Failed",
                                  "InProgress=soon,Completed", "Running=5,Completed"])
def test_bad_status_paths(text: str) -> None:
    with pytest.raises(ValueError):
        parse_status_path(text)
