"""EventBridge's default bus, locally: rules of deployed templates, and their targets.

moto's EventBridge keeps rules but delivers only to queues, log groups and buses. The
local engine routes events itself, as EventBridge does (EventBridge user guide, "Rules"
and "Targets"):

- an event is matched against every enabled rule of its bus (:func:`.eventbridge.matches`),
  and each target of a matching rule receives the input :func:`.eventbridge.target_input`
  renders for it;
- delivery is asynchronous: each one happens on its own thread, ``delay_seconds``
  simulated seconds after the event was put, never inside the call that put it;
- at least once: each delivery happens ``deliveries`` times (EventBridge user guide,
  targets: "at least once");
- Lambda targets are invoked asynchronously (Lambda developer guide, "Asynchronous
  invocation"): a function error (the handler raised, or the function timed out or its
  runtime exited) is retried twice, one simulated minute after the first attempt and
  two minutes after the second ("Error handling and automatic retries"); throttling and
  service errors are not simulated;
- Step Functions targets start an execution (with a name of EventBridge's choosing);
- :meth:`EventRouter.drop` loses the next events that a rule would deliver: AWS services
  send their events "best effort" (Step Functions' and SageMaker's events among them;
  EventBridge events reference, "Delivery level for AWS service events": "in some rare
  cases an event might not be delivered").

Every event put is kept in :attr:`EventRouter.events`, every delivery attempt (and every
dropped event) in :attr:`EventRouter.deliveries`; :meth:`EventRouter.wait` returns once
nothing is pending.
"""

from __future__ import annotations

import copy
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .clock import SimulatedClock
from .eventbridge import matches, target_input
from .template import RuleSpec

__all__ = ["Delivery", "EventRouter", "RouterTargets", "LAMBDA_ASYNC_RETRY_DELAYS", "event_time", "normalise_event"]

#: Simulated seconds Lambda waits before each retry of a failed asynchronous invocation
#: (Lambda developer guide, "Error handling and automatic retries in Lambda": two more
#: attempts, one minute and then two minutes apart).
LAMBDA_ASYNC_RETRY_DELAYS = (60.0, 120.0)


def event_time(moment: datetime) -> str:
    """An event's ``time``: ISO-8601 in UTC to the second, as EventBridge writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_event(
    entry: Mapping[str, Any], *, account: str, region: str, now: datetime
) -> tuple[dict[str, Any], str]:
    """(the event as a rule sees it, its bus name) for a full event (``detail-type``,
    ``source``, ``detail`` ...) or a PutEvents entry (``Source``, ``DetailType``,
    ``Detail`` as JSON text, ``Resources``, ``EventBusName``)."""
    if "detail-type" in entry or "source" in entry:
        event = copy.deepcopy(dict(entry))
        event.setdefault("version", "0")
        event.setdefault("id", str(uuid.uuid4()))
        event.setdefault("account", account)
        event.setdefault("time", event_time(now))
        event.setdefault("region", region)
        event.setdefault("resources", [])
        event.setdefault("detail", {})
        bus = str(event.pop("event-bus-name", "default"))
        return event, _bus_name(bus)
    detail = entry.get("Detail", "{}")
    if isinstance(detail, str):
        detail = json.loads(detail)
    moment = entry.get("Time")
    event = {
        "version": "0",
        "id": str(entry.get("EventId") or uuid.uuid4()),
        "detail-type": entry.get("DetailType"),
        "source": entry.get("Source"),
        "account": account,
        "time": event_time(moment) if isinstance(moment, datetime) else event_time(now),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": detail,
    }
    return event, _bus_name(str(entry.get("EventBusName") or "default"))


def _bus_name(bus: str) -> str:
    return bus.rsplit("/", 1)[-1] if ":event-bus/" in bus else bus


@dataclass(frozen=True)
class Delivery:
    """One attempt to deliver an event to a target (or an event dropped on the way)."""

    rule: str | None  # the rule's name (None: a dropped event)
    target_id: str | None
    target_arn: str | None
    event: dict[str, Any]
    input: Any
    copy: int  # which of the ``deliveries`` copies (1-based)
    attempt: int  # 1, then 2 and 3 for Lambda's retries
    #: "succeeded" | "function_error" | "started" (an execution) | "dropped" |
    #: "unsupported" (a target kind the engine does not deliver to) | "failed"
    outcome: str
    error: str | None
    result: Any
    at: datetime  # simulated moment of the attempt


@dataclass
class RouterTargets:
    """What the router can deliver to (the engine fills these in)."""

    #: Invoke a Lambda function by ARN: (response payload, error type or None), or None
    #: when no such function is known.
    invoke_lambda: Callable[[str, bytes], tuple[bytes, str | None] | None]
    #: Start an execution of a state machine by ARN: the execution ARN, or None when no
    #: such state machine is known.
    start_execution: Callable[[str, Any], str | None]


@dataclass
class _Drop:
    remaining: int
    detail_type: str | None


class EventRouter:
    """The default bus and the rules deployed on it (and on other buses)."""

    def __init__(
        self,
        clock: SimulatedClock,
        targets: RouterTargets,
        *,
        account: str,
        region: str,
        delay_seconds: float,
        deliveries: int,
    ) -> None:
        if not isinstance(delay_seconds, (int, float)) or isinstance(delay_seconds, bool) or delay_seconds < 0:
            raise ValueError(f"event_delay_seconds must be a number >= 0, got {delay_seconds!r}")
        self.clock = clock
        self.account = account
        self.region = region
        self.delay_seconds = float(delay_seconds)
        self.deliveries_per_event = deliveries
        self._targets = targets
        self._rules: dict[tuple[str, str], RuleSpec] = {}
        self._drops: list[_Drop] = []
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0  # deliveries, and events about to be put
        self._putting = 0  # events about to be put (see pending())
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        #: Every event put on a bus, as rules see it, in order.
        self.events: list[dict[str, Any]] = []
        #: Every delivery attempt, and every dropped event, in order.
        self.deliveries: list[Delivery] = []

    # --- rules -----------------------------------------------------------------------

    def register(self, rule: RuleSpec) -> None:
        """Add (or replace, on redeploy) a rule."""
        with self._lock:
            self._rules[(rule.event_bus, rule.name)] = rule

    @property
    def rules(self) -> list[RuleSpec]:
        with self._lock:
            return list(self._rules.values())

    def drop(self, count: int, detail_type: str | None = None) -> None:
        """Lose the next ``count`` events (of ``detail_type``, when given) that a rule
        would deliver."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        with self._lock:
            self._drops.append(_Drop(count, detail_type))

    def _take_drop(self, event: Mapping[str, Any]) -> bool:
        for drop in self._drops:
            if drop.detail_type is None or drop.detail_type == event.get("detail-type"):
                drop.remaining -= 1
                if drop.remaining == 0:
                    self._drops.remove(drop)
                return True
        return False

    # --- putting events --------------------------------------------------------------

    @contextmanager
    def pending(self) -> Iterator[None]:
        """Count something about to put events (an execution changing status) as
        pending, so that :meth:`wait` does not return before it has."""
        with self._lock:
            self._pending += 1
            self._putting += 1
        try:
            yield
        finally:
            with self._idle:
                self._putting -= 1
            self._done()

    def settle(self, timeout_s: float = 2.0) -> bool:
        """Wait (``timeout_s`` real seconds at most) until the events announced with
        :meth:`pending` are put (not delivered); False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._putting > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def put(self, entries: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Put events (full events or PutEvents entries) on their bus; each one's
        ``{"EventId": ...}``, as PutEvents answers."""
        batch = [entries] if isinstance(entries, Mapping) else list(entries)
        answers = []
        for entry in batch:
            event, bus = normalise_event(entry, account=self.account, region=self.region, now=self.clock.now())
            answers.append({"EventId": event["id"]})
            self._route(event, bus)
        return answers

    def _route(self, event: dict[str, Any], bus: str) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self.events.append(event)
            matched = [
                rule
                for (rule_bus, _name), rule in self._rules.items()
                if rule_bus == bus and rule.enabled and rule.event_pattern is not None
                and matches(rule.event_pattern, event)
            ]
            if matched and self._take_drop(event):
                self.deliveries.append(
                    Delivery(None, None, None, event, None, 1, 1, "dropped", None, None, self.clock.now())
                )
                return
            jobs = [
                (rule, target, copy_number)
                for rule in matched
                for target in rule.targets
                for copy_number in range(1, self.deliveries_per_event + 1)
            ]
            self._pending += len(jobs)
        for rule, target, copy_number in jobs:
            thread = threading.Thread(
                target=self._deliver, args=(rule, target, event, copy_number), daemon=True,
                name=f"event-delivery-{rule.name}",
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()

    # --- delivering ------------------------------------------------------------------

    def _sleep(self, seconds: float) -> bool:
        """Sleep on the simulated clock; False when the router closed meanwhile."""
        if seconds > 0:
            self.clock.sleep(seconds, interrupt=self._closed, cancelled=self._closed.is_set)
        return not self._closed.is_set()

    def invoke_target(self, source: RuleSpec, target: Mapping[str, Any], event: dict[str, Any]) -> None:
        """Deliver to ``target`` at once, without a rule's matching (a schedule's
        invocation), ``deliveries`` times, each on a thread of its own."""
        with self._lock:
            if self._closed.is_set():
                return
            self._pending += self.deliveries_per_event
        for copy_number in range(1, self.deliveries_per_event + 1):
            thread = threading.Thread(
                target=self._deliver, args=(source, target, event, copy_number, 0.0), daemon=True,
                name=f"invoke-{source.name}",
            )
            with self._lock:
                self._threads.append(thread)
            thread.start()

    def _deliver(
        self, rule: RuleSpec, target: Mapping[str, Any], event: dict[str, Any], copy_number: int,
        delay_seconds: float | None = None,
    ) -> None:
        try:
            if not self._sleep(self.delay_seconds if delay_seconds is None else delay_seconds):
                return
            arn = str(target.get("Arn", ""))
            try:
                rendered = target_input(target, event)
            except (ValueError, KeyError) as error:
                self._record(rule, target, event, None, copy_number, 1, "failed", str(error), None)
                return
            service = arn.split(":")[2] if arn.count(":") >= 2 else ""
            if service == "lambda":
                self._deliver_to_lambda(rule, target, event, rendered, copy_number, arn)
            elif service == "states":
                execution = self._targets.start_execution(arn, rendered)
                outcome = "started" if execution is not None else "failed"
                error = None if execution is not None else f"no state machine {arn}"
                self._record(rule, target, event, rendered, copy_number, 1, outcome, error, execution)
            else:
                self._record(rule, target, event, rendered, copy_number, 1, "unsupported", None, None)
        except Exception as error:  # noqa: BLE001 - a delivery thread must never die silently
            self._record(rule, target, event, None, copy_number, 1, "failed", repr(error), None)
        finally:
            self._done()

    def _deliver_to_lambda(
        self, rule: RuleSpec, target: Mapping[str, Any], event: dict[str, Any], rendered: Any,
        copy_number: int, arn: str,
    ) -> None:
        payload = (rendered if isinstance(rendered, str) else json.dumps(rendered)).encode("utf-8")
        for attempt in range(1, len(LAMBDA_ASYNC_RETRY_DELAYS) + 2):
            answer = self._targets.invoke_lambda(arn, payload)
            if answer is None:
                self._record(rule, target, event, rendered, copy_number, attempt, "failed",
                             f"no Lambda function {arn}", None)
                return
            body, function_error = answer
            try:
                result = json.loads(body) if body else None
            except json.JSONDecodeError:
                result = body.decode("utf-8", errors="replace")
            if function_error is None:
                self._record(rule, target, event, rendered, copy_number, attempt, "succeeded", None, result)
                return
            error_type = result.get("errorType") if isinstance(result, dict) else function_error
            self._record(rule, target, event, rendered, copy_number, attempt, "function_error", error_type, result)
            if attempt > len(LAMBDA_ASYNC_RETRY_DELAYS) or not self._sleep(LAMBDA_ASYNC_RETRY_DELAYS[attempt - 1]):
                return

    def _record(
        self, rule: RuleSpec, target: Mapping[str, Any], event: dict[str, Any], rendered: Any,
        copy_number: int, attempt: int, outcome: str, error: str | None, result: Any,
    ) -> None:
        delivery = Delivery(
            rule=rule.name,
            target_id=target.get("Id"),
            target_arn=target.get("Arn"),
            event=event,
            input=rendered,
            copy=copy_number,
            attempt=attempt,
            outcome=outcome,
            error=error,
            result=result,
            at=self.clock.now(),
        )
        with self._lock:
            self.deliveries.append(delivery)

    def _done(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    # --- waiting ---------------------------------------------------------------------

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Wait (``timeout_s`` real seconds at most) until no delivery is pending,
        including those that deliveries cause; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(min(left, 0.05))
        return True

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop delivering: pending deliveries give up at their next sleep."""
        self._closed.set()
        deadline = time.monotonic() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            # A thread appended but not started yet (put() on another thread) has nothing to wait for.
            if thread is not threading.current_thread() and thread.ident is not None:
                thread.join(left)
