"""Fixtures of the local engine's tests: an engine on fast simulated time."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from warm_start_tuning.local import LocalEngine  # noqa: E402


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    """An engine that never sleeps for real: simulated time only moves."""
    with LocalEngine(time_scale=math.inf) as running:
        yield running
