"""Simulated time for the local engine.

Real Step Functions executions wait for hours: a Wait state, a Retry backoff, a
SageMaker tuning job. The local engine runs them on a simulated clock instead:

- simulated time moves only when something sleeps (a Wait state, a Retry interval, the
  ``.sync`` poller of a tuning job). Work in between (a Lambda handler, moto's
  bookkeeping) takes no simulated time, so the simulated timings of a run do not depend
  on how fast the machine is;
- each simulated second of sleep costs ``1 / time_scale`` real seconds, so
  ``time_scale=3600`` shows an hour as one second, and ``time_scale=math.inf`` does not
  sleep at all;
- sleepers that overlap (parallel branches, concurrent executions) share the clock: it
  moves to the latest deadline reached, never backwards, so two branches that each wait
  60 s starting together end at +60 s, not +120 s.

Simulated SageMaker jobs read the same clock, so a job planned to run for two hours
finishes after two simulated hours of Wait states or ``.sync`` polling.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

__all__ = ["SimulatedClock", "aws_timestamp"]


def aws_timestamp(moment: datetime) -> str:
    """ISO-8601 in UTC with milliseconds and a ``Z``, as Step Functions writes
    ``$$.Execution.StartTime`` and ``$$.State.EnteredTime``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass
class _Barrier:
    deadline: float  # simulated seconds since the clock's start
    expires: float | None  # monotonic real time after which it no longer holds
    # A deadline whose waiter timed out at it: it holds until that thread (the state
    # that timed out) touches the clock again, i.e. has ended its task and recorded the
    # timeout at the deadline's time.
    fired_by: int | None = None


class SimulatedClock:
    """A shared, monotonic, scalable clock (thread-safe)."""

    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        if not isinstance(time_scale, (int, float)) or isinstance(time_scale, bool):
            raise TypeError("time_scale must be a number")
        if not time_scale > 0:
            raise ValueError("time_scale must be > 0 (math.inf: never sleep for real)")
        if start is None:
            start = datetime.now(timezone.utc)
        elif start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        self._scale = float(time_scale)
        self._start = start.astimezone(timezone.utc)
        self._offset = 0.0  # simulated seconds since ``start``
        self._lock = threading.Lock()
        self._moved = threading.Condition(self._lock)
        # Deadlines that someone waits for (a Task state's TimeoutSeconds): the clock
        # stops at each until its waiter has seen it, so a timeout fires on time even
        # when another thread sleeps past it in one go.
        self._barriers: dict[int, _Barrier] = {}
        self._fired: set[float] = set()
        self._firing = 0  # barriers held by a waiter that timed out (fired_by set)
        self._next_barrier = 0
        # Called (outside the lock) after the clock moved: observers of what changes
        # with time, e.g. the simulated tuning jobs' state change events.
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` after each move of the clock (on the moving thread; it
        must not sleep on this clock)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    # --- reading ---------------------------------------------------------------------

    @property
    def time_scale(self) -> float:
        return self._scale

    @property
    def start(self) -> datetime:
        """The simulated moment the clock was created at (aware, UTC)."""
        return self._start

    def elapsed(self) -> float:
        """Simulated seconds since ``start``."""
        with self._lock:
            self._waiter_moved_on()
            return self._offset

    def _waiter_moved_on(self) -> None:
        """(Lock held.) The calling thread touches the clock: the deadlines it timed out
        at stop holding (it has ended its task by now)."""
        if not self._firing:
            return
        me = threading.get_ident()
        done = [token for token, b in self._barriers.items() if b.fired_by == me]
        for token in done:
            del self._barriers[token]
            self._firing -= 1
        if done:
            self._moved.notify_all()

    def now(self) -> datetime:
        """The current simulated moment (aware, UTC)."""
        return self._start + timedelta(seconds=self.elapsed())

    def real_seconds(self, simulated_seconds: float) -> float:
        """Real seconds that ``simulated_seconds`` of sleep cost at this scale."""
        if math.isinf(self._scale):
            return 0.0
        return max(0.0, simulated_seconds) / self._scale

    # --- moving ----------------------------------------------------------------------

    def advance(self, seconds: float) -> datetime:
        """Jump ``seconds`` forward at once (no real sleep); returns the new now()."""
        if seconds < 0:
            raise ValueError("the clock never goes backwards")
        with self._lock:
            target = self._offset + seconds
        self._advance_to(target)
        self._notify()
        return self.now()

    _BARRIER_PATIENCE = 5.0  # real seconds to wait for a deadline's waiter, at most
    # Real seconds a fired deadline holds at most when its waiter never touches the clock
    # again. Generous: only a waiter that died would reach it; a loaded machine must not.
    _FIRED_PATIENCE = 60.0
    _CANCEL_GRACE = 0.05  # real seconds a sleeper stopped at a deadline waits to be cancelled

    def _ahead(self, target: float) -> list[float]:
        now_real = time.monotonic()
        return [
            b.deadline
            for b in self._barriers.values()
            if self._offset <= b.deadline < target and (b.expires is None or b.expires > now_real)
        ]

    def _holding(self, deadline: float) -> bool:
        now_real = time.monotonic()
        return any(
            b.deadline == deadline and (b.expires is None or b.expires > now_real)
            for b in self._barriers.values()
        )

    def _fired_until(self, deadline: float) -> float:
        return max(
            (b.expires or 0.0 for b in self._barriers.values() if b.deadline == deadline and b.fired_by is not None),
            default=0.0,
        )

    def _cancelled_unlocked(self, cancelled: Callable[[], bool]) -> bool:
        """(Lock held.) ``cancelled()`` asked without the lock (it may take others)."""
        self._moved.release()
        try:
            return cancelled()
        finally:
            self._moved.acquire()

    def _advance_to(self, target: float, cancelled: Callable[[], bool] | None = None) -> bool:
        """Move to ``target`` (never back), stopping at each barrier on the way until
        its waiter has seen it; False when ``cancelled()`` says so at such a stop."""
        with self._moved:
            while True:
                ahead = self._ahead(target)
                if not ahead:
                    if target > self._offset:
                        self._offset = target
                        self._moved.notify_all()
                    return True
                stop = min(ahead)
                self._offset = stop
                self._moved.notify_all()
                give_up = time.monotonic() + self._BARRIER_PATIENCE
                while self._holding(stop) and time.monotonic() < give_up:
                    if stop in self._fired:
                        # Its waiter timed out and is ending its task: that may take
                        # a while on a loaded machine, and this sleeper is often the
                        # task's own (cancelled once the task ends).
                        give_up = max(give_up, self._fired_until(stop))
                        if cancelled is not None and self._cancelled_unlocked(cancelled):
                            return False
                    self._moved.wait(0.05)
                fired = stop in self._fired
                if cancelled is not None and fired:
                    # The deadline's waiter (a Task timing out) cancels its own sleeper
                    # right after it has seen the deadline: give it a moment to do so.
                    self._moved.release()
                    try:
                        grace = time.monotonic() + self._CANCEL_GRACE
                        while True:
                            if cancelled():
                                return False
                            if time.monotonic() >= grace:
                                break
                            time.sleep(0.001)
                    finally:
                        self._moved.acquire()

    def hold(self) -> int:
        """Stop the clock just after now until :meth:`set_barrier` or
        :meth:`release_barrier` (or ``_BARRIER_PATIENCE`` real seconds): the caller is
        about to wait for a deadline that starts now."""
        with self._lock:
            self._waiter_moved_on()
            self._next_barrier += 1
            self._barriers[self._next_barrier] = _Barrier(
                self._offset + 1e-6, time.monotonic() + self._BARRIER_PATIENCE
            )
            return self._next_barrier

    def set_barrier(self, token: int, deadline: float) -> None:
        """Make ``token`` a deadline (simulated seconds since start) someone waits for."""
        with self._moved:
            self._barriers[token] = _Barrier(deadline, None)
            self._moved.notify_all()

    def release_barrier(self, token: int, fired: bool = False, *, keep_fired: bool = False) -> None:
        """Drop ``token``; ``fired``: its waiter (the calling thread) timed out at it.

        A fired deadline keeps holding until the calling thread touches the clock again
        (:meth:`now`, :meth:`sleep`, ...): the state that timed out first ends its task
        and records the timeout, at the deadline's time, however long a loaded machine
        takes to schedule it. Sleepers stopped there in the meantime return as soon as
        they are cancelled (the task's own poller is, once the task has ended)."""
        with self._moved:
            barrier = self._barriers.get(token)
            if barrier is not None and barrier.fired_by is not None:
                if keep_fired:
                    return
                self._firing -= 1
            self._barriers.pop(token, None)
            if fired and barrier is not None:
                self._fired.add(barrier.deadline)
                if len(self._fired) > 1000:
                    self._fired.clear()
                    self._fired.add(barrier.deadline)
                self._barriers[token] = _Barrier(
                    barrier.deadline, time.monotonic() + self._FIRED_PATIENCE, threading.get_ident()
                )
                self._firing += 1
            self._moved.notify_all()

    def sleep(
        self,
        seconds: float,
        interrupt: threading.Event | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> bool:
        """Sleep ``seconds`` of simulated time; True when the whole sleep happened.

        ``interrupt`` is an Event whose ``set()`` (even a pulse: set then clear) wakes
        the sleeper early; it then asks ``cancelled()`` whether to give up (False is
        returned, and the clock moves only by the simulated time actually slept) or
        to go back to sleep for the rest.
        """
        if seconds is None or seconds <= 0:
            return not (cancelled() if cancelled else False)
        with self._lock:
            self._waiter_moved_on()
            begin = self._offset
        deadline = begin + seconds
        real_total = self.real_seconds(seconds)
        real_begin = time.monotonic()
        while True:
            real_left = real_total - (time.monotonic() - real_begin)
            if cancelled is not None and cancelled():
                slept = (time.monotonic() - real_begin) * self._scale
                self._advance_to(min(deadline, begin + slept))
                self._notify()
                return False
            if real_left <= 0:
                break
            if interrupt is not None:
                if interrupt.wait(real_left) and interrupt.is_set():
                    # A latched (not pulsed) event would wake us at once, forever.
                    time.sleep(min(real_left, 0.001))
                # Woken early: loop to check cancelled() and sleep the rest if not.
            else:
                time.sleep(real_left)
        whole = self._advance_to(deadline, cancelled)
        self._notify()
        return whole

    def __repr__(self) -> str:
        return f"SimulatedClock(time_scale={self._scale!r}, now={self.now().isoformat()})"


class ClockEvent:
    """A ``threading.Event`` whose ``wait(timeout)`` measures the timeout on the clock.

    Used for a Task state's ``TimeoutSeconds``: the state times out when that much
    simulated time has passed (moved by other sleepers, e.g. the ``.sync`` poller), or,
    as a safety net, when that much real time has passed.
    """

    _SLICE = 0.02  # real seconds between looks at the clock

    def __init__(self, clock: SimulatedClock) -> None:
        self._clock = clock
        self._event = threading.Event()
        # moto creates the event, starts the task's thread, then waits: hold the clock
        # from now so the task cannot run past its deadline before the wait begins.
        self._start = clock.elapsed()
        self._token = clock.hold()

    def set(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def started_at(self) -> float:
        """Simulated seconds since the clock's start at which the event was made."""
        return self._start

    def wait(self, timeout: float | None = None, *, hold_on_timeout: bool = False) -> bool:
        """``hold_on_timeout``: when the wait times out, keep the clock at the deadline
        until :meth:`release` (the caller first acts on the timeout, e.g. ends an
        execution, so that no other sleeper moves the clock past it meanwhile)."""
        if timeout is None:
            self._clock.release_barrier(self._token)
            return self._event.wait()
        deadline = self._start + timeout
        real_deadline = time.monotonic() + timeout
        self._clock.set_barrier(self._token, deadline)
        result = False
        try:
            while True:
                if self._event.is_set():
                    result = True
                    return True
                if self._clock.elapsed() >= deadline or time.monotonic() >= real_deadline:
                    result = self._event.is_set()
                    return result
                if self._event.wait(self._SLICE):
                    result = True
                    return True
        finally:
            if result or not hold_on_timeout:
                self._clock.release_barrier(self._token, fired=not result)

    def release(self) -> None:
        """Let the clock move past a deadline held by ``wait(hold_on_timeout=True)``."""
        self._clock.release_barrier(self._token, fired=True)

    def __del__(self) -> None:
        try:
            # A hold whose wait never came; a deadline that fired holds on (see
            # SimulatedClock.release_barrier) until its waiter touches the clock again.
            self._clock.release_barrier(self._token, keep_fired=True)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass
