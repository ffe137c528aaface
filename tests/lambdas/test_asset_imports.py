"""The validator asset runs on the Lambda Python runtime: stdlib + boto3/botocore only,
imported top-level from the asset folder, with the rule engine free of AWS imports."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ASSET = Path(__file__).resolve().parents[2] / "lambdas" / "warm_start_validator"
ENGINE = ASSET / "warm_start_rules"
LOCAL = {"handler", "parents", "run_actions", "runs", "structured_log", "wait_actions", "warm_start_rules"}
AWS_SDK = {"boto3", "botocore"}
# What boto3/botocore themselves pull in on the Lambda runtime (they ship there together).
SDK_DEPENDENCIES = {"s3transfer", "jmespath", "dateutil", "urllib3", "six", "certifi", "awscrt"}
# __mp_main__: the alias multiprocessing registers for __main__ when something imports it.
STDLIB = set(sys.stdlib_module_names) | {"__future__", "__mp_main__"}


def imported_top_levels(path: Path) -> set[str]:
    """Top-level names of every absolute import in ``path`` (relative ones stay local)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def asset_files() -> list[Path]:
    return sorted(p for p in ASSET.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", asset_files(), ids=lambda p: str(p.relative_to(ASSET)))
def test_asset_imports_only_stdlib_boto3_and_itself(path: Path) -> None:
    outside = imported_top_levels(path) - STDLIB - AWS_SDK - LOCAL
    assert not outside, f"{path.name} imports {sorted(outside)}: not on the Lambda runtime"


@pytest.mark.parametrize("path", sorted(ENGINE.glob("*.py")), ids=lambda p: p.name)
def test_rule_engine_is_pure(path: Path) -> None:
    outside = imported_top_levels(path) - STDLIB
    assert not outside, f"the rule engine must stay stdlib-only; {path.name} imports {sorted(outside)}"


def test_parents_does_not_import_the_engine() -> None:
    # parents.py is imported both top-level (Lambda) and as a package module (CLI): a
    # top-level `import warm_start_rules` would break the second.
    assert "warm_start_rules" not in imported_top_levels(ASSET / "parents.py")


_PROBE = r"""
import json, sys
asset, checkout = sys.argv[1], sys.argv[2]
# The asset folder, the stdlib and the installed packages: nothing else of the checkout.
sys.path[:] = [asset] + [
    p for p in sys.path if p and (not p.startswith(checkout) or "site-packages" in p)
]
def loaded():
    # Successful imports only: packages also *try* optional ones (brotli, OpenSSL...).
    return {name.split(".")[0] for name in sys.modules}
before = loaded()
import handler
after_import = sorted(loaded() - before)
boto3_at_import = "boto3" in sys.modules
handler.sagemaker_client()      # boto3 is imported here, on first use
handler.model_violations({})     # and botocore.validate here
print(json.dumps({"import": after_import, "all": sorted(loaded() - before), "boto3_at_import": boto3_at_import,
                  "handler_file": handler.__file__, "rules_file": sys.modules["warm_start_rules"].__file__}))
"""


def test_handler_imports_with_only_the_asset_on_sys_path(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    completed = subprocess.run(
        [sys.executable, "-I", "-c", _PROBE, str(ASSET), str(ASSET.parents[1])],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    probe = json.loads(completed.stdout)
    assert Path(probe["handler_file"]).parent == ASSET
    assert Path(probe["rules_file"]).parent == ENGINE
    assert probe["boto3_at_import"] is False, "boto3 must load on first use, not at import"
    unexpected = set(probe["all"]) - STDLIB - AWS_SDK - SDK_DEPENDENCIES - LOCAL
    assert not unexpected, f"the handler pulled in {sorted(unexpected)}"
    assert "boto3" not in probe["import"]
