"""Synthesis helpers for construct tests: one synth per module, bundling skipped."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Stack
from aws_cdk.assertions import Template

REPO = Path(__file__).resolve().parent.parent


def new_app(outdir: Path | None = None, **context: Any) -> App:
    """An App that skips asset bundling (nothing to bundle, and it is slow)."""
    return App(outdir=str(outdir) if outdir else None, context={"aws:cdk:bundling-stacks": [], **context})


def template_of(stack: Stack) -> Template:
    return Template.from_stack(stack)


def state_machine_definition(template: Template, logical_id_prefix: str = "") -> dict:
    """The ASL of the (single, or first matching) state machine, with tokens flattened.

    DefinitionString is an Fn::Join of literal parts and references; the references are
    replaced by a readable placeholder (see :func:`flatten`) so that the JSON parses.
    """
    machines = template.find_resources("AWS::StepFunctions::StateMachine")
    for logical_id, resource in machines.items():
        if logical_id.startswith(logical_id_prefix):
            return json.loads(flatten(resource["Properties"]["DefinitionString"]))
    raise AssertionError(f"no state machine starting with {logical_id_prefix!r} in {list(machines)}")


def flatten(value: Any) -> str:
    """A CloudFormation string (Fn::Join of literals, Ref, GetAtt) as readable text:
    references become ``${Name}`` / ``${Resource.Attribute}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(flatten(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + value["Ref"] + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    raise AssertionError(f"unexpected CloudFormation value {value!r}")


def load_example_app():
    """The repository's app.py as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("example_app", REPO / "app.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def synth_with_nag(app: App, outdir: Path) -> Path:
    """Synthesize ``app`` with cdk-nag's AwsSolutionsChecks; on a finding, fail the test
    with cdk-nag's report (not only that synth failed)."""
    import pytest
    from aws_cdk import Validations
    from cdk_nag import AwsSolutionsChecks

    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    try:
        app.synth()
    except Exception as error:
        report = outdir / "validation-report.json"
        details = report.read_text() if report.exists() else ""
        pytest.fail(f"synth with AwsSolutionsChecks failed: {error}\n{details[:20000]}")
    return outdir


def nag_violations(outdir: Path) -> list:
    """The violations of every plugin's report (none when synth wrote no report)."""
    report = outdir / "validation-report.json"
    if not report.exists():
        return []
    return [
        violation
        for plugin in json.loads(report.read_text()).get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]


def acknowledgments(outdir: Path) -> dict[str, str]:
    """``"<construct path> <finding id>" -> reason`` of every acknowledgment in the assembly."""
    acknowledged = {}
    for metadata_file in outdir.glob("*.metadata.json"):
        for path, entries in json.loads(metadata_file.read_text()).items():
            for entry in entries:
                if entry["type"] == "aws:cdk:acknowledged-rules":
                    acknowledged.update({f"{path} {rule}": reason for rule, reason in entry["data"].items()})
    return acknowledged


def build_wheel(outdir: Path) -> Path:
    """The package's wheel, built into ``outdir``. pip builds a local project in its own
    tree (build/, *.egg-info): a lock keeps two pytest-xdist workers from building at once."""
    import fcntl
    import subprocess
    import sys
    import tempfile

    with open(Path(tempfile.gettempdir()) / "cdk-warm-start-tuning-wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(outdir), str(REPO)],
                       check=True, capture_output=True)
    (built,) = outdir.glob("cdk_warm_start_tuning-*.whl")
    return built
