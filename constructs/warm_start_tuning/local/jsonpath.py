"""The plain JSONPaths the local tools read (``$``, ``$.a.b``, ``$.a[0]``): no filters,
no wildcards. Enough for EventBridge input paths and the state data a run prints."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def resolve_path(data: Any, path: Any) -> Any:
    """The value at ``path`` in ``data``; None when absent or when ``path`` is not a JSONPath."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    value = data
    for name, index in _PATH_TOKEN.findall(path[1:]):
        if name:
            value = value.get(name) if isinstance(value, Mapping) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        if value is None:
            return None
    return value
