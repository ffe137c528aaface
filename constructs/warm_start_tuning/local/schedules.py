"""EventBridge Scheduler's ``rate(...)`` schedules, on the simulated clock.

A schedule of the template whose target is a Lambda function of the template is
invoked every interval of simulated time while the engine runs: the
first invocation one interval after :meth:`Schedules.register` (the deploy), then every
interval, each at its scheduled moment even when the clock jumps over several. With a
``FLEXIBLE`` time window, each invocation comes at the end of the window, the latest
moment Scheduler allows (the less convenient reading of "invokes the target within the
time window"). Invocations go through the engine's EventBridge router
(:meth:`.events_router.EventRouter.invoke_target`): asynchronous Lambda invocations with
Lambda's retries, ``event_deliveries`` times. The target's ``Input`` gets Scheduler's
context attributes (``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.schedule-arn>``,
``<aws.scheduler.execution-id>``, ``<aws.scheduler.attempt-number>``). ``cron(...)`` and
``at(...)`` schedules, and schedules of other targets (a pipeline's StartExecution
schedule: ``run-local --schedule`` runs that one), are not run. Sources: EventBridge Scheduler user guide, "Schedule types" (rate-based
schedules: ``rate(value unit)``, units minute(s), hour(s), day(s)) and "Configuring
flexible time windows".
"""

from __future__ import annotations

import re
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .clock import SimulatedClock
from .events_router import EventRouter, event_time
from .template import RuleSpec, ScheduleSpec

__all__ = ["Schedules", "rate_seconds"]

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """Seconds between two invocations of a ``rate(...)`` expression; None for another
    kind of expression. ValueError for a rate Scheduler would refuse (value < 1, or a
    plural/singular unit that does not fit the value)."""
    match = _RATE.match(expression.strip())
    if match is None:
        if expression.strip().startswith("rate("):
            raise ValueError(f"not a valid rate expression: {expression!r}")
        return None
    value, unit = int(match.group(1)), match.group(2)
    if value < 1 or (value == 1) != (not unit.endswith("s")):
        raise ValueError(f"not a valid rate expression: {expression!r} (rate(1 minute), rate(5 minutes))")
    return float(value * _UNIT_SECONDS[unit.rstrip("s")])


@dataclass
class _Running:
    spec: ScheduleSpec
    interval: float
    next_due: datetime  # the next scheduled moment (without the flexible window)


class Schedules:
    """The deployed schedules; :meth:`check` (a clock listener) invokes what is due."""

    def __init__(self, clock: SimulatedClock, router: EventRouter, *, enabled: bool = True) -> None:
        self._clock = clock
        self._router = router
        #: Whether schedules run at all (``LocalEngine(run_schedules=False)``).
        self.enabled = enabled
        self._running: dict[str, _Running] = {}
        self._lock = threading.Lock()

    def register(self, spec: ScheduleSpec) -> None:
        """Start (or, on redeploy, keep) a schedule; one whose expression is not a
        rate is kept out."""
        interval = rate_seconds(spec.expression)
        is_lambda = str(spec.target.get("Arn", "")).split(":")[2:3] == ["lambda"]
        with self._lock:
            if interval is None or not spec.enabled or not is_lambda:
                self._running.pop(spec.name, None)
                return
            known = self._running.get(spec.name)
            if known is not None and known.interval == interval:
                known.spec = spec
                return
            self._running[spec.name] = _Running(spec, interval, self._clock.now() + timedelta(seconds=interval))

    def seconds_until_next_due(self) -> float | None:
        """Simulated seconds until the next invocation of any schedule; None when none
        runs."""
        if not self.enabled:
            return None
        now = self._clock.now()
        with self._lock:
            moments = [
                r.next_due + timedelta(minutes=r.spec.flexible_window_minutes) for r in self._running.values()
            ]
        return max(0.0, (min(moments) - now).total_seconds()) if moments else None

    def check(self) -> None:
        """Invoke every schedule whose moment has come, once per scheduled moment."""
        if not self.enabled:
            return
        now = self._clock.now()
        due: list[tuple[datetime, ScheduleSpec]] = []
        with self._lock:
            for running in self._running.values():
                window = timedelta(minutes=running.spec.flexible_window_minutes)
                while running.next_due + window <= now:
                    due.append((running.next_due, running.spec))
                    running.next_due += timedelta(seconds=running.interval)
        for scheduled, spec in sorted(due, key=lambda pair: pair[0]):
            self._invoke(spec, scheduled)

    def _invoke(self, spec: ScheduleSpec, scheduled: datetime) -> None:
        # What the delivery log shows as the "event": the schedule and its moment.
        event: dict[str, Any] = {
            "source": "aws.scheduler",
            "schedule": spec.arn,
            "scheduled-time": event_time(scheduled),
        }
        target = {"Id": spec.name, **{k: v for k, v in spec.target.items() if k in ("Arn", "Input")}}
        if "Input" not in target:
            # The engine's choice: Scheduler's documentation does not say what a
            # target without Input receives.
            target["Input"] = "{}"
        context = {
            "<aws.scheduler.scheduled-time>": event_time(scheduled),
            "<aws.scheduler.schedule-arn>": spec.arn,
            "<aws.scheduler.execution-id>": str(uuid.uuid4()),
            "<aws.scheduler.attempt-number>": "1",
        }
        for token, value in context.items():
            target["Input"] = str(target["Input"]).replace(token, value)
        source = RuleSpec(
            logical_id=spec.logical_id, name=spec.name, arn=spec.arn, event_bus="", event_pattern=None,
            schedule_expression=spec.expression, state=spec.state, targets=(target,),
        )
        self._router.invoke_target(source, target, event)
