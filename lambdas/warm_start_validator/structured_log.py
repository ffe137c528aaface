"""The validator's log: one JSON object per line, which CloudWatch Logs Insights parses
without a pattern. Every action logs its decision through :func:`log`."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

LOGGER = logging.getLogger("warm_start_validator")
LOGGER.setLevel(logging.INFO)


def log(record: Mapping[str, Any]) -> None:
    LOGGER.info(json.dumps(record, default=str, sort_keys=True))
