"""Where the Lambda sources are, whether installed from a wheel or run from a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def validator_asset_dir() -> Path:
    """Folder that becomes the WarmStartValidator Lambda asset (handler + rule engine)."""
    return Path(str(resources.files("warm_start_tuning.lambdas") / "warm_start_validator"))
