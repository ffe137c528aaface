"""The rejection type shared by the Lambda, synth-time validation and the command line."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .codes import INVALID_REQUEST

# Marks a violation that only exists because the engine itself failed. Tests assert it
# never appears; in production it still turns a bug into a clean rejection.
INTERNAL_ERROR_MARKER = "internal error in the warm-start rule engine"
#: Step Functions' limit for an error cause is 32,768 characters; stay below it.
MAX_CAUSE_CHARS = 30_000
_SUMMARY_ROOM = 200


@dataclass(frozen=True)
class Violation:
    """One broken rule. ``parent`` names the parent tuning job it concerns, if any."""

    code: str
    message: str
    parent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # The parent key is always present so that consumers need no `.get`.
        return {"code": self.code, "message": self.message, "parent": self.parent}


class WarmStartValidationError(Exception):
    """Raised when a warm start would be rejected; carries every violation at once.

    The class name is the Step Functions error name (Catch matches on it): never rename.
    ``str(err)`` is the Step Functions Cause: ``{"violations": [{code, message, parent}]}``.
    ``report`` is the engine's report (``accepted: false``) when the engine produced one,
    so that the command line can show what it knows even for a rejection.
    """

    def __init__(
        self, violations: Iterable[Violation], report: Mapping[str, Any] | None = None
    ) -> None:
        self.violations: list[Violation] = list(violations)
        self.report: Mapping[str, Any] | None = report
        super().__init__(self._cause())

    def _cause(self) -> str:
        """The violations as JSON, at most MAX_CAUSE_CHARS: Step Functions keeps an error
        cause of 32,768 characters and the run's state 256 KiB, so a thousand bad keys must
        not make the rejection itself the failure. What does not fit is counted in a last
        violation."""
        shown: list[dict[str, Any]] = []
        size = len('{"violations": []}')
        for index, violation in enumerate(self.violations):
            item = violation.to_dict()
            item_size = len(json.dumps(item)) + 2
            if size + item_size > MAX_CAUSE_CHARS - _SUMMARY_ROOM:
                omitted = self.violations[index:]
                shown.append(Violation(omitted[0].code, f"and {len(omitted)} more violation(s), not shown: the cause "
                                       f"is kept under {MAX_CAUSE_CHARS:,} characters").to_dict())
                break
            shown.append(item)
            size += item_size
        return json.dumps({"violations": shown})

    def __str__(self) -> str:
        return self._cause()

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception pickling replays __init__ with self.args (the JSON text); replay it
        # with the violations instead, so the error survives multiprocessing and logging.
        return (type(self), (self.violations, self.report))


def internal_error(error: BaseException) -> Violation:
    """The violation reported instead of an unexpected exception (the engine never raises)."""
    return Violation(INVALID_REQUEST,
                     f"{INTERNAL_ERROR_MARKER} ({type(error).__name__}); the input could not be "
                     "checked. Please report this with the request that caused it.")
