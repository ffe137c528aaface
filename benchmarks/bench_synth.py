"""Synth time of 1, 10 and 20 pipelines against an empty stack; template and asset sizes.

20, not 50: since the template-size check, a stack whose template passes
CloudFormation's 1 MB limit (30 pipelines do, at about 34 KB each) fails synth, as it should.

Each synth runs in a fresh process (`python -m benchmarks.synth_app N`), as `cdk synth`
does, so jsii's start-up is in every number; the ratios to the empty stack show what the
pipelines themselves cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import Table, median

NAME = "Synth time and size (issue: CDK constructs)"
COUNTS = (0, 1, 10, 20)
REPEATS = 3


def _synth(count: int, outdir: Path) -> float:
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "benchmarks.synth_app", str(count), str(outdir)], check=True, env=env)
    return time.perf_counter() - started


def _asset_bytes(outdir: Path) -> tuple[int, int]:
    """(files, bytes) of the validator asset folder staged in the assembly."""
    (asset,) = [p for p in outdir.glob("asset.*") if p.is_dir()]
    files = [p for p in asset.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def run() -> list[Table]:
    times: dict[int, float] = {}
    sizes: dict[int, int] = {}
    asset = (0, 0)
    with tempfile.TemporaryDirectory() as tmp:
        for count in COUNTS:
            samples = []
            for repeat in range(REPEATS):
                outdir = Path(tmp) / f"out-{count}-{repeat}"
                samples.append(_synth(count, outdir))
            times[count] = median(samples)
            sizes[count] = (outdir / "Bench.template.json").stat().st_size
            if count == 1:
                asset = _asset_bytes(outdir)
    base = times[0]
    rows = [
        [str(count), f"{times[count]:.2f} s", f"{times[count] / base:.2f}x",
         f"{(times[count] - base) / count * 1000:.0f} ms" if count else "-",
         f"{sizes[count] / 1024:.1f} KiB"]
        for count in COUNTS
    ]
    per_pipeline = (sizes[20] - sizes[0]) / 20
    return [
        Table(
            "Synth of an app with N pipelines (median of 3 fresh processes each)",
            ["pipelines", "synth time", "vs empty stack", "per pipeline", "template"],
            rows,
            [f"Template size per pipeline (from 20): {per_pipeline / 1024:.1f} KiB; "
             f"CloudFormation's limit is 1 MB (1,000,000 bytes) per template, so about {int((1_000_000 - sizes[0]) // per_pipeline)} pipelines fit one stack."],
        ),
        Table(
            "Validator Lambda asset (staged in cdk.out)",
            ["files", "bytes"],
            [[str(asset[0]), f"{asset[1]:,} ({asset[1] / 1024:.1f} KiB)"]],
            ["Standard library and boto3 only (boto3 comes with the Lambda runtime), so nothing is bundled."],
        ),
    ]
