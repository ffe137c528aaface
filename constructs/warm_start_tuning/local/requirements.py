"""What the local engine needs installed, checked without importing moto.

The engine runs on moto (pinned) with the parsers of its ``stepfunctions`` extra
(antlr4, jsonpath_ng). A library install from PyPI has none of them unless the
``[local]`` extra was asked for: :func:`missing_local_requirements` says so in one line,
so the command line never shows an ImportError or moto's internals.
"""

from __future__ import annotations

import importlib.util
from importlib import metadata
from typing import Optional

#: The moto release the engine is written against (moto_internals.MOTO_VERSION, pyproject's pin).
MOTO_PIN = "5.2.5"
#: The requirement the ``[local]`` extra installs (pyproject.toml lists the same).
LOCAL_REQUIREMENT = f"moto[sagemaker,stepfunctions,s3,events,dynamodb]=={MOTO_PIN}"
INSTALL_COMMAND = "pip install 'cdk-warm-start-tuning[local]'"

# Modules the engine imports: moto itself and what its extras bring.
_MODULES = {"moto": "moto", "antlr4": "antlr4-python3-runtime", "jsonpath_ng": "jsonpath_ng",
            "yaml": "PyYAML", "py_partiql_parser": "py-partiql-parser"}


def missing_local_requirements() -> Optional[str]:
    """None when the local engine can run; else one line naming what is missing and the
    command that installs it."""
    missing = [dist for module, dist in _MODULES.items() if importlib.util.find_spec(module) is None]
    if "moto" not in missing:
        try:
            version = metadata.version("moto")
        except metadata.PackageNotFoundError:
            version = None
        if version != MOTO_PIN:
            missing.insert(0, f"moto=={MOTO_PIN} (installed: {version or 'unknown'})")
    if not missing:
        return None
    return (f"the local engine needs the [local] extra ({LOCAL_REQUIREMENT}); missing: {', '.join(missing)}. "
            f"Install it with: {INSTALL_COMMAND}")


class LocalEngineUnavailable(ImportError):
    """The ``[local]`` extra is not (completely) installed."""


def require_local_engine() -> None:
    """Raise :class:`LocalEngineUnavailable` (one line) when the engine cannot run."""
    problem = missing_local_requirements()
    if problem is not None:
        raise LocalEngineUnavailable(problem)
