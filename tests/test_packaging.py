"""`pip install .` gives a wheel that carries the Lambda sources and synthesizes anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from cdk_helpers import REPO, build_wheel

SYNTH_FROM_ELSEWHERE = """
import json, sys
from aws_cdk import App, Stack
import warm_start_tuning
from warm_start_tuning import WarmStartTuningPipeline
sys.path.insert(0, sys.argv[1])
import app as example
cdk_app = App(outdir="out")
stack = Stack(cdk_app, "FromWheel")
WarmStartTuningPipeline(stack, "P", warm_start_type="TransferLearning", job_name_prefix="wheel",
    tuning_job_config=example.tuning_job_config(), parents=["wheel-parent"],
    training_job_definition=example.training_job_definition("example-ml-data", "arn:aws:iam::111122223333:role/sm"))
cdk_app.synth()
print(json.dumps({"package": warm_start_tuning.__path__[0]}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_wheel_carries_package_lambda_sources_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "warm_start_tuning/__init__.py" in names
    assert "warm_start_tuning/lambdas/warm_start_validator/handler.py" in names
    assert "warm_start_tuning/lambdas/warm_start_validator/warm_start_rules/engine.py" in names
    # Every module of the source tree is in the wheel (the package list is explicit).
    sources = {
        "warm_start_tuning/" + str(path.relative_to(REPO / "constructs" / "warm_start_tuning"))
        for path in (REPO / "constructs" / "warm_start_tuning").rglob("*.py")
    } | {
        "warm_start_tuning/lambdas/" + str(path.relative_to(REPO / "lambdas"))
        for path in (REPO / "lambdas").rglob("*.py")
    }
    assert sources - set(names) == set()
    assert not [name for name in names if "tests/" in name or name.endswith(".pyc")]
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith("entry_points.txt"))
    ).decode()
    assert "warm-start-tuning = warm_start_tuning.cli.main:main" in entry_points


def test_installed_wheel_synthesizes_from_another_directory(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    # -I would drop PYTHONPATH; -s keeps user site out. The editable install's finder is
    # bypassed because PYTHONPATH comes before site-packages.
    result = subprocess.run(
        [sys.executable, "-s", "-c", SYNTH_FROM_ELSEWHERE, str(REPO)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    package_dir = json.loads(result.stdout.strip().splitlines()[-1])["package"]
    assert package_dir.startswith(str(site)), package_dir
    template = json.loads((workdir / "out" / "FromWheel.template.json").read_text())
    assert any(r["Type"] == "AWS::Lambda::Function" for r in template["Resources"].values())
    (asset,) = [p for p in (workdir / "out").glob("asset.*") if p.is_dir()]
    assert (asset / "handler.py").exists() and (asset / "warm_start_rules" / "engine.py").exists()


def test_wheel_ships_py_typed_and_license(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "warm_start_tuning/py.typed" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") or name.endswith("/LICENSE") for name in names), names
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Provides-Extra: local" in metadata
    assert 'Requires-Dist: moto[dynamodb,events,s3,sagemaker,stepfunctions]==5.2.5; extra == "local"' in metadata


def test_local_extra_pin_is_the_engine_pin():
    import tomllib

    from warm_start_tuning.local.moto_internals import MOTO_VERSION
    from warm_start_tuning.local.requirements import LOCAL_REQUIREMENT, MOTO_PIN

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["optional-dependencies"]["local"] == [LOCAL_REQUIREMENT]
    assert LOCAL_REQUIREMENT in project["optional-dependencies"]["dev"]
    assert MOTO_PIN == MOTO_VERSION
