"""What EventBridge would do with an event, for a rule in a synthesized template.

The local engine has no EventBridge delivering to Step Functions. To run what a rule
would start, :func:`matches` applies the rule's event pattern to an event and
:func:`target_input` renders a target's input the way EventBridge does (the whole event,
a constant ``Input``, an ``InputPath``, or an ``InputTransformer``)::

    rule = template["Resources"]["PipelineNewDataRule1234"]["Properties"]
    if matches(rule["EventPattern"], event):
        engine.run(arn, target_input(rule["Targets"][0], event))

Patterns: exact values, ``prefix``, ``suffix``, ``wildcard``, ``anything-but`` (values
or ``prefix``), ``exists``, ``equals-ignore-case``, and ``numeric`` comparisons; a
pattern that uses anything else raises ValueError rather than answer wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .jsonpath import resolve_path

__all__ = ["matches", "s3_object_created_event", "target_input"]

_MISSING = object()


def s3_object_created_event(
    bucket: str, key: str, *, account: str = "123456789012", region: str = "us-east-1"
) -> dict[str, Any]:
    """An S3 "Object Created" event as S3 sends it to EventBridge."""
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": account,
        "time": "2024-06-01T00:00:00Z",
        "region": region,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": 0, "etag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0"},
            "request-id": "N4N7GDK58NMKJ12R",
            "requester": account,
            "source-ip-address": "192.0.2.1",
            "reason": "PutObject",
        },
    }


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether ``event`` matches the event pattern (every field of the pattern)."""
    for key, expected in pattern.items():
        value = event.get(key, _MISSING) if isinstance(event, Mapping) else _MISSING
        if isinstance(expected, Mapping):
            if value is _MISSING or not isinstance(value, Mapping) or not matches(expected, value):
                return False
        elif isinstance(expected, list):
            if not _any_matcher(expected, value):
                return False
        else:
            raise ValueError(f"event pattern field {key!r}: expected an object or a list, got {expected!r}")
    return True


def _any_matcher(matchers: list[Any], value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    for matcher in matchers:
        if isinstance(matcher, Mapping):
            if "exists" in matcher:
                if bool(matcher["exists"]) == (value is not _MISSING):
                    return True
                continue
            if value is not _MISSING and any(_content_matches(matcher, v) for v in values):
                return True
        elif value is not _MISSING and any(v == matcher for v in values):
            return True
    return False


def _content_matches(matcher: Mapping[str, Any], value: Any) -> bool:
    (kind, argument), = matcher.items()
    if kind == "prefix":
        return isinstance(value, str) and value.startswith(_text(argument))
    if kind == "suffix":
        return isinstance(value, str) and value.endswith(_text(argument))
    if kind == "wildcard":
        return isinstance(value, str) and _wildcard(argument).fullmatch(value) is not None
    if kind == "equals-ignore-case":
        return isinstance(value, str) and value.lower() == str(argument).lower()
    if kind == "anything-but":
        if isinstance(argument, Mapping):
            return not _content_matches(argument, value)
        excluded = argument if isinstance(argument, list) else [argument]
        return value not in excluded
    if kind == "numeric":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and _numeric(argument, value)
    raise ValueError(f"event pattern matcher {kind!r} is not supported by the local renderer")


def _text(argument: Any) -> str:
    if isinstance(argument, Mapping) and "equals-ignore-case" in argument:
        raise ValueError("prefix/suffix with equals-ignore-case is not supported by the local renderer")
    return str(argument)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """EventBridge wildcards: ``*`` is any run of characters, ``\\*`` a literal star."""
    parts, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            parts.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def _numeric(conditions: list[Any], value: float) -> bool:
    checks = {"<": float.__lt__, "<=": float.__le__, "=": float.__eq__, ">": float.__gt__, ">=": float.__ge__}
    for operator, bound in zip(conditions[::2], conditions[1::2]):
        if not checks[operator](float(value), float(bound)):
            return False
    return True


def _path(event: Any, path: str) -> Any:
    """A simple JSONPath (``$``, ``$.a.b``, ``$.a[0]``) into the event; None when absent."""
    return resolve_path(event, path)


def target_input(target: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
    """The input EventBridge delivers to ``target`` (a rule's ``Targets[i]``) for ``event``."""
    if "Input" in target:
        return json.loads(target["Input"])
    if "InputPath" in target:
        return _path(event, target["InputPath"])
    transformer = target.get("InputTransformer")
    if transformer is None:
        return json.loads(json.dumps(event))
    values = {name: _path(event, path) for name, path in (transformer.get("InputPathsMap") or {}).items()}
    template = transformer["InputTemplate"]

    def render(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in values and name != "aws.events.event.json":
            return match.group(0)
        value = event if name == "aws.events.event.json" else values[name]
        if match.group(1) and match.group(3):
            # Inside a JSON string: the text itself, escaped for that string.
            text = value if isinstance(value, str) else json.dumps(value)
            return '"' + json.dumps(text)[1:-1] + '"'
        return "null" if value is None else json.dumps(value)

    rendered = re.sub(r'(")?<([A-Za-z0-9_.\-]+)>(")?', render, template)
    try:
        return json.loads(rendered)
    except json.JSONDecodeError:
        return rendered  # a template that is not JSON delivers text
