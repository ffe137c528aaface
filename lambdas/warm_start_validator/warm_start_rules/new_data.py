"""New data: turn the S3 object that started a run into the run's ``inputData``.

The new-data trigger starts an execution with ``{"newObject": {"bucket", "key", "etag",
"sequencer"}}`` taken
from an S3 "Object Created" event (through EventBridge). The object marks a batch
folder; each of the pipeline's ``newDataChannels`` is a sub-folder of it:

    s3://bucket/incoming/2024-06-01/_SUCCESS        the object that landed
    s3://bucket/incoming/2024-06-01/train/          channel "train"
    s3://bucket/incoming/2024-06-01/validation/     channel "validation"

Pure: the URIs it builds go through the same checks as any ``inputData`` override
(planner.merge_overrides) afterwards.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from typing import Any

from ._access import show, text
from .codes import INVALID_REQUEST
from .errors import Violation
from .planner import _CHANNEL_NAME  # SageMaker's ChannelName rule, kept in one place

# S3's rule for bucket names (general purpose buckets): 3-63 of a-z 0-9 . -, starting and
# ending with a letter or digit. The key is up to 1024 bytes of UTF-8.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_MAX_KEY_BYTES = 1024


def _invalid(message: str) -> Violation:
    return Violation(INVALID_REQUEST, message)


def read_channels(settings: Any, violations: list[Violation]) -> list[str] | None:
    """``settings.newDataChannels`` (None when absent); problems go to ``violations``."""
    raw = settings.get("newDataChannels") if isinstance(settings, Mapping) else None
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(c, str) and _CHANNEL_NAME.fullmatch(c) for c in raw)
    ):
        violations.append(
            _invalid(
                "settings.newDataChannels must be a non-empty list of channel names "
                f"(1-64 of A-Z a-z 0-9 . - _); got {show(raw)}"
            )
        )
        return None
    return list(dict.fromkeys(raw))


def _key_problem(key: Any) -> str | None:
    if not isinstance(key, str) or key == "":
        return f"must be a non-empty string; got {show(key)}"
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: JSON carries it, S3 never made it
        return "is not valid UTF-8"
    if size > _MAX_KEY_BYTES:
        return f"is {size} bytes long; S3 keys are at most {_MAX_KEY_BYTES}"
    return None


def batch_folder(key: str, channels: list[str]) -> str:
    """The folder of the batch the object belongs to (no leading or trailing slash).

    Usually the object's own folder (a marker such as ``_SUCCESS`` next to the channel
    folders). When the object is itself inside a channel folder (``batch/train/part-0``),
    the batch is the folder above: ``batch/train/train/`` is never what anyone meant.
    """
    folder = posixpath.dirname(key).strip("/")
    if posixpath.basename(folder) in channels:
        folder = posixpath.dirname(folder)
    return folder


def input_data_for(new_object: Any, channels: list[str] | None, violations: list[Violation]) -> dict[str, str] | None:
    """``{channel: s3 uri}`` for the batch ``new_object`` marks; None (with violations)
    when the object or the pipeline's channels do not allow it."""
    if not isinstance(new_object, Mapping):
        violations.append(
            _invalid(f"execution input: newObject must be an object {{bucket, key}}; got {show(new_object)}")
        )
        return None
    problems = []
    bucket, key = new_object.get("bucket"), new_object.get("key")
    if not isinstance(bucket, str) or not _BUCKET.fullmatch(bucket):
        problems.append(
            f"execution input: newObject.bucket must be an S3 bucket name (3-63 of a-z 0-9 . -); got {text(bucket)}"
        )
    key_problem = _key_problem(key)
    if key_problem is not None:
        problems.append(f"execution input: newObject.key {key_problem}")
    # etag and sequencer: the event's identity (run_key.py), written by the trigger.
    unknown = [k for k in new_object if k not in ("bucket", "key", "etag", "sequencer")]
    if unknown:
        problems.append(
            f"execution input: newObject has unknown field(s) {', '.join(map(text, unknown[:10]))}; "
            "allowed: bucket, key, etag, sequencer"
        )
    if channels is None:
        problems.append(
            "execution input: newObject needs the pipeline's new-data channels (settings.newDataChannels), "
            "and this pipeline has none: configure the new-data trigger's channels, or give inputData instead"
        )
    violations.extend(_invalid(p) for p in problems)
    if problems or channels is None:
        return None
    folder = batch_folder(key, channels)
    base = f"s3://{bucket}/{folder}/" if folder else f"s3://{bucket}/"
    return {channel: f"{base}{channel}/" for channel in channels}
