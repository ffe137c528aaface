"""Worst-case Step Functions history events of the parent wait, checked at synth time.

A Standard workflow stops at 25,000 history events. The wait loop is the only part of a
pipeline whose length depends on time, so its worst case (every parent still running
until the timeout) is computed from the same backoff schedule the poll Lambda uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import PollSettings, cumulative_wait_seconds, worst_case_iterations

HISTORY_EVENT_LIMIT = 25_000

# Events AWS writes per state: a Lambda task is Entered, Scheduled, Started, Succeeded,
# Exited; a Choice, Wait or Pass is Entered and Exited.
TASK_EVENTS = 5
CHOICE_EVENTS = 2
WAIT_EVENTS = 2
PASS_EVENTS = 2
POLL_ITERATION_EVENTS = TASK_EVENTS + CHOICE_EVENTS + WAIT_EVENTS

# Kept free for what the budget cannot predict: retried Lambda calls (3 events each:
# Scheduled, Started, Failed), the rest of the workflow the wait is embedded in.
RESERVED_EVENTS = 1_000


@dataclass(frozen=True)
class WaitBudget:
    """How many history events the wait can write at most, and how much room is left."""

    iterations: int
    events: int
    available: int

    @property
    def fits(self) -> bool:
        return self.events <= self.available


def wait_budget(settings: PollSettings, other_events: int = 0) -> WaitBudget:
    """Worst case of the wait loop: the init Pass, then polls until the timeout ends it.

    ``other_events`` are the surrounding workflow's own events (the pipeline's fixed steps).
    """
    iterations = worst_case_iterations(settings)
    # The last iteration polls and chooses but does not wait (it ends in a Fail state).
    events = PASS_EVENTS + iterations * POLL_ITERATION_EVENTS - WAIT_EVENTS + 1
    available = HISTORY_EVENT_LIMIT - RESERVED_EVENTS - other_events
    return WaitBudget(iterations=iterations, events=events, available=available)


def longest_fitting_timeout_seconds(settings: PollSettings, other_events: int = 0) -> int:
    """The longest timeout that fits the budget with the other settings unchanged."""
    available = HISTORY_EVENT_LIMIT - RESERVED_EVENTS - other_events
    max_iterations = max(0, (available - PASS_EVENTS + WAIT_EVENTS - 1) // POLL_ITERATION_EVENTS)
    return cumulative_wait_seconds(max_iterations - 1, settings) if max_iterations > 0 else 0


def smallest_fitting_max_interval_seconds(settings: PollSettings, other_events: int = 0) -> int | None:
    """The smallest poll-interval cap that fits the budget, or None if none does."""
    def fits(cap: int) -> bool:
        candidate = PollSettings(
            initial_interval_seconds=min(settings.initial_interval_seconds, cap),
            max_interval_seconds=cap,
            backoff_rate=settings.backoff_rate,
            timeout_seconds=settings.timeout_seconds,
        )
        return wait_budget(candidate, other_events).fits

    # Step Functions' Wait accepts up to one year; beyond that no cap helps.
    low, high = 1, 365 * 24 * 3600
    if not fits(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return low
