"""Defensive accessors and value descriptions for input of any shape.

The engine promises never to raise on malformed input (None, lists where objects are
expected, NaN, huge numbers...). Every read of caller data goes through these helpers
so that a wrong shape reads as "absent" instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeGuard

# Python refuses to turn ints with more than ~4300 digits into text (ValueError), so
# anything we print goes through describe()/format_int(), which never do that.
_PRINTABLE_INT_LIMIT = 10**30
_SHOW_LIMIT = 60


def as_dict(value: Any) -> Mapping[str, Any]:
    """``value`` when it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list (or tuple), else an empty list."""
    return list(value) if isinstance(value, (list, tuple)) else []


def get_dict(container: Any, key: str) -> Mapping[str, Any]:
    return as_dict(as_dict(container).get(key))


def get_list(container: Any, key: str) -> list[Any]:
    return as_list(as_dict(container).get(key))


def get_str(container: Any, key: str) -> str | None:
    value = as_dict(container).get(key)
    return value if isinstance(value, str) else None


def is_int(value: Any) -> TypeGuard[int]:
    """True for real integers; ``True``/``False`` are ints to Python but not to SageMaker."""
    return isinstance(value, int) and not isinstance(value, bool)


def json_int(value: Any) -> int | None:
    """``value`` as an integer when it is one in JSON terms: Step Functions may hand 50
    over as 50.0 (a float that is an integer counts); booleans never do."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value if is_int(value) else None


def get_int(container: Any, key: str) -> int | None:
    value = as_dict(container).get(key)
    return value if is_int(value) else None


def is_nonempty_str(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and value != ""


def is_empty(value: Any) -> bool:
    """Absent, None, False, {} and []: what Describe returns for an unset field."""
    if value is None or value is False:
        return True
    return isinstance(value, (Mapping, list, tuple)) and len(value) == 0


def format_int(value: int) -> str:
    if abs(value) >= _PRINTABLE_INT_LIMIT:
        return f"a {value.bit_length()}-bit integer"
    return str(value)


def shorten(text: str, limit: int = _SHOW_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def show(value: Any) -> str:
    """A short, always-printable rendering of a value for messages ("got ...")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean " + ("true" if value else "false")
    if isinstance(value, int):
        return "integer " + format_int(value)
    if isinstance(value, float):
        return "number " + (repr(value) if math.isfinite(value) else str(value))
    if isinstance(value, str):
        return "string " + quote(value)
    if isinstance(value, Mapping):
        return f"an object with {len(value)} key(s)"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} item(s)"
    return f"a value of type {type(value).__name__}"


def text(value: Any) -> str:
    """A string as itself (quoted), anything else through show(): for names and values."""
    if isinstance(value, str):
        return quote(value)
    return show(value)


def quote(value: str) -> str:
    # Cut before repr() so that a megabyte of garbage costs nothing to describe.
    return shorten(repr(value[: _SHOW_LIMIT + 1]))
