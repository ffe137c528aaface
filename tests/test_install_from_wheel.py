"""A user's install: the built wheel in a fresh virtualenv, first without extras, then
with ``[local]``, running the README's quick-start app (as pasted) on the local engine.

pip reuses its cache (the suite's own install downloaded the same releases), so this
costs about a minute, most of it unpacking aws-cdk-lib.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from cdk_helpers import REPO, build_wheel

from readme_examples import quickstart_app


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def _pip(env_dir: Path, *args: str) -> None:
    done = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q",
                           "--disable-pip-version-check", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]


def test_wheel_in_a_fresh_venv_without_then_with_the_local_extra(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    _pip(env_dir, str(wheel))
    cli = str(env_dir / "bin" / "warm-start-tuning")
    project = tmp_path / "project"
    project.mkdir()
    (project / "app.py").write_text(quickstart_app(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"

    def cli_run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([cli, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)

    # Without the extra: one line naming the install command, exit 2, no traceback.
    for command in (["run-local"], ["demo"]):
        done = cli_run(*command)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "pip install 'cdk-warm-start-tuning[local]'" in lines[0]
        assert "missing: moto" in lines[0]
    assert cli_run("--version").stdout.strip().startswith("warm-start-tuning ")

    # moto alone (the second attempt) is still incomplete: the same one line.
    _pip(env_dir, "moto==5.2.5")
    done = cli_run("run-local")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "antlr4-python3-runtime" in done.stderr and "Traceback" not in done.stderr

    # With [local]: the README's app runs end to end, from the user's own project.
    _pip(env_dir, f"{wheel}[local]")
    done = cli_run("run-local", "--app", "python3 app.py", "--time-scale", "inf")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "SUCCEEDED" in done.stdout and "Traceback" not in done.stderr
    assert "Tuning job(s) created: churn-" in done.stdout

