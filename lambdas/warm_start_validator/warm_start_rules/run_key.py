"""The run key: what makes two executions "the same run" (DESIGN.md, "Trust model").

A job belongs to the run that created it (its run-key tag); a create that finds its name
taken attaches only to a job with this run's key. The key, and with it the job name, is:

- for a run started by hand or by another workflow: the execution name;
- for a run a trigger started: ``trigger:`` and the SHA-256 of the whole execution input,
  which holds the triggering event's identity: the new-data trigger writes the object's
  ETag and sequencer into ``newObject``, the schedule writes ``scheduledTime``.
  EventBridge cannot choose the execution name, and S3 and EventBridge deliver an event
  at least once: two deliveries of one event give two executions with the same input,
  hence one run key, one job name, and the second attaches to the first one's job.

Why this cannot reach another run's job: Step Functions execution names never contain
``:``, so a trigger key never equals an execution-name key; and a trigger key is the
digest of the *whole* input, so an execution started by hand in the trigger's shape
shares a key only with a run whose input was exactly the same (the same batch, the same
scheduled time), whose job is the one that input asks for anyway.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from ._access import show, text
from .codes import INVALID_REQUEST
from .errors import Violation

TRIGGER_RUN_KEY_PREFIX = "trigger:"
#: The fields of ``newObject`` that identify one S3 event (besides bucket and key).
NEW_OBJECT_IDENTITY_FIELDS = ("etag", "sequencer")
#: Written by the schedule (EventBridge Scheduler's <aws.scheduler.scheduled-time>).
SCHEDULED_TIME_FIELD = "scheduledTime"
_MAX_IDENTITY_LENGTH = 1024


def identity_violations(run_input: Mapping[str, Any]) -> list[Violation]:
    """Problems of the event-identity fields a trigger writes."""
    problems = []
    new_object = run_input.get("newObject")
    if isinstance(new_object, Mapping):
        for field in NEW_OBJECT_IDENTITY_FIELDS:
            value = new_object.get(field)
            if value is not None and not (isinstance(value, str) and 0 < len(value) <= _MAX_IDENTITY_LENGTH):
                problems.append(f"execution input: newObject.{field} must be a string of 1-{_MAX_IDENTITY_LENGTH} "
                                f"characters (the S3 event's {field}); got {show(value)}")
    if SCHEDULED_TIME_FIELD in run_input:
        value = run_input[SCHEDULED_TIME_FIELD]
        if not (isinstance(value, str) and 0 < len(value) <= 64):
            problems.append(f"execution input: {SCHEDULED_TIME_FIELD} must be a string of 1-64 characters "
                            f"(the schedule's scheduled time); got {show(value)}")
    return [Violation(INVALID_REQUEST, p) for p in problems]


def is_trigger_input(run_input: Mapping[str, Any]) -> bool:
    """Whether the input carries a triggering event's identity."""
    new_object = run_input.get("newObject")
    has_object_identity = isinstance(new_object, Mapping) and any(
        new_object.get(f) is not None for f in NEW_OBJECT_IDENTITY_FIELDS)
    return has_object_identity or run_input.get(SCHEDULED_TIME_FIELD) is not None


def run_key(run_input: Any, execution_name: Any) -> str | None:
    """The run key of an execution (None when it has neither a trigger identity nor a name)."""
    if isinstance(run_input, Mapping) and is_trigger_input(run_input):
        canonical = json.dumps(run_input, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return TRIGGER_RUN_KEY_PREFIX + hashlib.sha256(canonical.encode("ascii")).hexdigest()
    if isinstance(execution_name, str) and execution_name:
        return execution_name
    return None


def execution_name_violations(execution_name: Any) -> list[Violation]:
    if execution_name is None or (isinstance(execution_name, str) and execution_name):
        return []
    return [Violation(INVALID_REQUEST, f"prepare: executionName must be a non-empty string; got {text(execution_name)}")]
