"""The README's composition example runs as pasted (below the quick start's dicts):
`warm-start-tuning run-local --app 'python3 app.py'` in a project folder of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("moto", reason="the local engine needs the [local] extra")

from readme_examples import composition_app  # noqa: E402


def test_readme_composition_example_runs_on_the_local_engine(tmp_path):
    (tmp_path / "app.py").write_text(composition_app(), encoding="utf-8")
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    done = subprocess.run(
        [sys.executable, "-m", "warm_start_tuning.cli.main", "run-local", "--app", f"{sys.executable} app.py",
         "--time-scale", "inf", "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = json.loads(done.stdout)
    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["tuningJobName"].startswith("churnflow-")
    assert summary["output"]["bestModel"]["modelArtifacts"].startswith("s3://my-ml-data/churn/output/")
    names = [state["name"] for state in summary["statesEntered"]]
    assert names[0] == "Preprocess" and names[-1] == "DescribeBestTrainingJob"
