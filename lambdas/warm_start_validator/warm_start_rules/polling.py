"""The parent-wait schedule: how long to wait after each poll, and the worst case.

Pure, so that the poll Lambda (which waits) and the WaitForTuningJobs construct (which
checks at synth time that the worst case fits Step Functions' 25,000 history events)
use the very same numbers.

Model: poll run ``i`` (0-based) happens after the waits of the runs before it,
``cumulative_wait_seconds(i)``. A run that finds a job still running times out when
``timed_out(waited)``; otherwise it waits ``next_wait_seconds(i)`` and polls again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._access import is_int, show

# A Standard workflow runs at most one year; a longer wait can never finish.
MAX_TIMEOUT_SECONDS = 365 * 24 * 3600

# Poll contract keys (event "settings") <-> dataclass fields.
_EVENT_KEYS = {
    "initialIntervalSeconds": "initial_interval_seconds",
    "maxIntervalSeconds": "max_interval_seconds",
    "backoffRate": "backoff_rate",
    "timeoutSeconds": "timeout_seconds",
}


@dataclass(frozen=True, kw_only=True)
class PollSettings:
    """Backoff schedule of the parent wait. Check ``problems()`` before using it."""

    initial_interval_seconds: int = 60
    max_interval_seconds: int = 1800
    backoff_rate: float = 2.0
    timeout_seconds: int

    def problems(self) -> list[str]:
        """Every problem with these settings (empty when valid). Never raises."""
        problems: list[str] = []
        initial, cap = self.initial_interval_seconds, self.max_interval_seconds
        rate, timeout = self.backoff_rate, self.timeout_seconds
        if not is_int(initial) or initial < 1:
            problems.append("initial_interval_seconds must be an integer >= 1, "
                            f"got {show(initial)}")
        if not is_int(cap) or cap < 1:
            problems.append(f"max_interval_seconds must be an integer >= 1, got {show(cap)}")
        elif is_int(initial) and cap < initial:
            problems.append(f"max_interval_seconds ({cap}) must be >= initial_interval_seconds "
                            f"({initial})")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
                or not math.isfinite(rate) or rate < 1:
            problems.append(f"backoff_rate must be a finite number >= 1, got {show(rate)}")
        if not is_int(timeout) or not 1 <= timeout <= MAX_TIMEOUT_SECONDS:
            problems.append(f"timeout_seconds must be an integer from 1 to {MAX_TIMEOUT_SECONDS} "
                            "(one year, the longest a Standard workflow runs), "
                            f"got {show(timeout)}")
        return problems

    def to_event(self) -> dict[str, Any]:
        """The poll contract's ``settings`` object."""
        return {key: getattr(self, attr) for key, attr in _EVENT_KEYS.items()}


def poll_settings_from_event(data: Any) -> tuple[PollSettings | None, list[str]]:
    """Read the poll contract's ``settings``; (settings, []) or (None, problems). Never raises."""
    if not isinstance(data, Mapping):
        return None, [f"settings must be an object, got {show(data)}"]
    if data.get("timeoutSeconds") is None:
        return None, ["settings.timeoutSeconds is required"]
    values = {attr: data[key] for key, attr in _EVENT_KEYS.items() if data.get(key) is not None}
    settings = PollSettings(**values)
    problems = settings.problems()
    return (None, problems) if problems else (settings, [])


def next_wait_seconds(iteration: int, settings: PollSettings) -> int:
    """Wait after poll run ``iteration``: min(cap, round(initial * rate ** iteration)).

    Exact for any ``iteration >= 0``, however large: float overflow means "past the cap".
    """
    if not is_int(iteration) or iteration < 0:
        raise ValueError(f"iteration must be an integer >= 0, got {show(iteration)}")
    initial, cap = settings.initial_interval_seconds, settings.max_interval_seconds
    rate = float(settings.backoff_rate)
    if rate == 1.0:
        return min(cap, initial)
    try:
        raw = initial * rate ** iteration
    except OverflowError:
        return cap
    return cap if raw >= cap else min(cap, round(raw))


def timed_out(waited_seconds: int | float, settings: PollSettings) -> bool:
    """True when a poll run after ``waited_seconds`` of waits must give up (the model above)."""
    return waited_seconds >= settings.timeout_seconds


def cumulative_wait_seconds(iterations: int, settings: PollSettings) -> int:
    """Sum of the waits after the first ``iterations`` poll runs (when run ``iterations`` polls)."""
    _require_valid(settings)
    if not is_int(iterations) or iterations < 0:
        raise ValueError(f"iterations must be an integer >= 0, got {show(iterations)}")
    total = 0
    for start, end, wait in _runs_of_equal_waits(settings):
        stop = iterations if end is None else min(end, iterations)
        if stop <= start:
            break
        total += (stop - start) * wait
    return total


def worst_case_iterations(settings: PollSettings) -> int:
    """The most poll runs a wait can take: every run but the last one waits, and the
    last one is the first whose cumulative waits reach ``timeout_seconds`` (timed out).

    So the poll step runs this many times, the Wait state one time fewer.
    """
    _require_valid(settings)
    timeout, waited = settings.timeout_seconds, 0
    for start, end, wait in _runs_of_equal_waits(settings):
        if end is None or waited + (end - start) * wait >= timeout:
            waits = start + -(-(timeout - waited) // wait)  # ceil without floats
            return waits + 1
        waited += (end - start) * wait
    raise AssertionError("unreachable: the last run of waits never ends")


def _require_valid(settings: PollSettings) -> None:
    problems = settings.problems()
    if problems:
        raise ValueError("invalid poll settings: " + "; ".join(problems))


def _runs_of_equal_waits(settings: PollSettings) -> Iterator[tuple[int, int | None, int]]:
    """(first iteration, end iteration or None for "forever", wait) of each run of equal
    waits, in order. Jumps over long runs (rates barely above 1) instead of stepping."""
    start, cap = 0, settings.max_interval_seconds
    while True:
        wait = next_wait_seconds(start, settings)
        if wait >= cap or float(settings.backoff_rate) == 1.0:
            yield start, None, wait
            return
        end = _first_iteration_waiting_more(start, wait, settings)
        yield start, end, wait
        start = end


def _first_iteration_waiting_more(start: int, wait: int, settings: PollSettings) -> int:
    # Waits never decrease (rate >= 1), so gallop then bisect. Terminates because the
    # rate is > 1: the wait reaches the cap (> wait), at the latest by float overflow.
    low, step = start, 1
    while next_wait_seconds(start + step, settings) <= wait:
        low, step = start + step, step * 2
    high = start + step
    while high - low > 1:
        middle = (low + high) // 2
        if next_wait_seconds(middle, settings) <= wait:
            low = middle
        else:
            high = middle
    return high
