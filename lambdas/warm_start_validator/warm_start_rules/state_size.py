"""Bounded state: refuse a run whose data would pass Step Functions' 256 KiB per state.

Step Functions fails any state whose input or output passes 256 KiB (262,144 bytes of
UTF-8) with ``States.DataLimitExceeded``, which no Catch sees (DESIGN.md, "What AWS does
that a local engine must not hide"). The run's state carries the execution input and
its overrides (``$.input``, ``$.run.overrides``), the static request (``$.run.request``),
the planned request and the report (``$.validation``) and the finished job's
description (``$.tuningJob``, about the planned request again). The prepare and
validate steps add these up before anything waits or is created and reject what would
not fit as INVALID_REQUEST, with the sizes and the limit.
"""

from __future__ import annotations

import json
from typing import Any

from .codes import INVALID_REQUEST
from .errors import Violation

#: Step Functions' quota: "Maximum input or output size for a task, state, or execution".
STATE_LIMIT_BYTES = 256 * 1024
#: Room for everything else a run's state holds: the parent wait's results, the
#: selection report, the best training jobs, rounds, an error and its cause.
RESERVED_BYTES = 48 * 1024


def json_bytes(value: Any) -> int:
    """The size Step Functions counts: compact JSON, UTF-8."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return STATE_LIMIT_BYTES + 1  # unmeasurable is not going to fit either
    return len(text.encode("utf-8", "surrogatepass"))


def state_size_violations(*, run_input: Any, static_request: Any, planned_request: Any,
                          report: Any = None) -> list[Violation]:
    """INVALID_REQUEST when the run's largest state would pass the limit (empty list when
    it fits). The execution input counts twice (``$.input`` and its overrides in
    ``$.run``), the planned request twice (``$.validation`` and ``$.tuningJob``)."""
    sizes = {
        "execution input": json_bytes(run_input),
        "static request": json_bytes(static_request),
        "planned request": json_bytes(planned_request),
        "report": json_bytes(report) if report is not None else 0,
    }
    largest = (2 * sizes["execution input"] + sizes["static request"] + 2 * sizes["planned request"]
               + sizes["report"] + RESERVED_BYTES)
    if largest <= STATE_LIMIT_BYTES:
        return []
    parts = ", ".join(f"{name} {size:,} bytes" for name, size in sizes.items() if size)
    return [Violation(INVALID_REQUEST, (
        f"the run's state would reach about {largest:,} bytes ({parts}; the input and the planned request are "
        f"held twice, plus {RESERVED_BYTES:,} bytes for the rest); Step Functions allows {STATE_LIMIT_BYTES:,} "
        "bytes (256 KiB) per state and would fail the run with States.DataLimitExceeded: make the input or "
        "the request smaller"))]
