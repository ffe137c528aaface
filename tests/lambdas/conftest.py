"""Shared setup of the Lambda tests.

The validator Lambda imports its modules top-level (``handler``, ``parents``,
``warm_start_rules``) because its asset folder is the root of the Lambda's sys.path;
the tests import them exactly the same way. ``factories`` (next to this file) is
importable as a top-level module as well.
"""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any

import pytest

_HERE = Path(__file__).resolve().parent
_ASSET = _HERE.parents[1] / "lambdas" / "warm_start_validator"
for _path in (_ASSET, _HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import factories  # noqa: E402  (needs the path above)


@pytest.fixture
def valid_request() -> dict[str, Any]:
    """A fresh, valid CreateHyperParameterTuningJob request (no WarmStartConfig)."""
    return factories.valid_request()


@pytest.fixture
def make_parent() -> Callable[..., dict[str, Any]]:
    """``make_parent(name, request=..., status=..., ...)`` -> a Describe response."""
    return factories.parent_describe
