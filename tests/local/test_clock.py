"""Simulated time: scaled sleeps, a shared monotonic clock, timeouts on the clock."""

from __future__ import annotations

import math
import threading
import time
from datetime import datetime, timezone

import pytest

from warm_start_tuning.local.clock import ClockEvent, SimulatedClock, aws_timestamp

START = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)


def test_sleep_costs_scaled_real_time_and_moves_the_clock() -> None:
    clock = SimulatedClock(time_scale=36_000, start=START)
    began = time.monotonic()
    assert clock.sleep(3600) is True
    real = time.monotonic() - began
    assert 0.09 <= real < 0.6
    assert clock.elapsed() == 3600
    assert clock.now() == datetime(2024, 5, 1, 13, 0, tzinfo=timezone.utc)


def test_infinite_scale_never_sleeps() -> None:
    clock = SimulatedClock(time_scale=math.inf, start=START)
    began = time.monotonic()
    for _ in range(100):
        clock.sleep(86_400)
    assert time.monotonic() - began < 0.5
    assert clock.elapsed() == 100 * 86_400


def test_overlapping_sleepers_share_the_clock() -> None:
    # 60 s = 0.5 s: the second sleeper starts long before the first ends, even on a
    # loaded machine (at 10 ms it sometimes started after: 120 s).
    clock = SimulatedClock(time_scale=120, start=START)
    together = threading.Barrier(2)

    def sleeper() -> None:
        together.wait()
        clock.sleep(60)

    threads = [threading.Thread(target=sleeper) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.elapsed() == 60  # not 120: they slept side by side


def test_an_interrupted_sleep_stops_when_cancelled() -> None:
    clock = SimulatedClock(time_scale=3600, start=START)  # 1 h = 1 s
    interrupt = threading.Event()
    cancelled = threading.Event()

    def stop_soon() -> None:
        time.sleep(0.05)
        cancelled.set()
        interrupt.set()
        interrupt.clear()  # a pulse, as moto signals a state change

    threading.Thread(target=stop_soon).start()
    began = time.monotonic()
    assert clock.sleep(3600, interrupt=interrupt, cancelled=cancelled.is_set) is False
    assert time.monotonic() - began < 0.5
    assert 0 < clock.elapsed() < 3600


def test_advance_and_validation() -> None:
    clock = SimulatedClock(start=datetime(2024, 5, 1, 12, 0))  # naive means UTC
    assert clock.advance(90) == datetime(2024, 5, 1, 12, 1, 30, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        SimulatedClock(time_scale=0)
    with pytest.raises(TypeError):
        SimulatedClock(time_scale="fast")  # type: ignore[arg-type]
    assert clock.real_seconds(7200) == 7200
    assert SimulatedClock(math.inf).real_seconds(7200) == 0


def test_clock_event_times_out_on_simulated_time_even_when_a_sleeper_overshoots() -> None:
    clock = SimulatedClock(time_scale=math.inf, start=START)
    event = ClockEvent(clock)
    stop = threading.Event()

    def poller() -> None:  # what a .sync task does: sleep 600 s at a time
        while not stop.is_set():
            clock.sleep(600, cancelled=stop.is_set)

    thread = threading.Thread(target=poller)
    thread.start()
    assert event.wait(3600) is False
    stop.set()
    thread.join()
    assert clock.elapsed() == 3600  # the poller was held at the deadline


def _elsewhere(read):  # the clock as another thread than the waiter reads it
    seen = []
    thread = threading.Thread(target=lambda: seen.append(read()))
    thread.start()
    thread.join()
    return seen[0]


def test_a_fired_deadline_holds_until_its_waiter_has_ended_the_task() -> None:
    # On a loaded machine the thread whose task timed out may take long to run again
    # (end the task, record the timeout): the task's poller must not move the clock past
    # the deadline meanwhile (after a 50 ms grace it did: a States.Timeout at 3660 s).
    clock = SimulatedClock(time_scale=math.inf, start=START)
    event = ClockEvent(clock)
    task_ended = threading.Event()
    slept = []

    def poller() -> None:  # what a .sync task does: sleep 600 s at a time
        while not task_ended.is_set():
            slept.append(clock.sleep(600, cancelled=task_ended.is_set))

    thread = threading.Thread(target=poller)
    thread.start()
    assert event.wait(3600) is False
    time.sleep(0.5)  # the waiter is slow to end its task: ten times the old grace
    assert _elsewhere(clock.elapsed) == 3600 and thread.is_alive()
    task_ended.set()  # moto: frame.set_ended() right after the wait
    thread.join(5)
    assert not thread.is_alive() and slept[-1] is False
    assert clock.elapsed() == 3600


def test_a_fired_deadline_stops_holding_once_its_waiter_touches_the_clock() -> None:
    # A sleeper that is not the timed-out task's (another Parallel branch) goes on once
    # the waiter has recorded the timeout (it reads the clock for the event's time).
    clock = SimulatedClock(time_scale=math.inf, start=START)
    event = ClockEvent(clock)
    done = []
    thread = threading.Thread(target=lambda: done.append(clock.sleep(7200)))
    thread.start()
    assert event.wait(3600) is False
    time.sleep(0.3)
    assert _elsewhere(clock.elapsed) == 3600 and not done  # held: the waiter has not moved on
    clock.now()  # the waiter records its timeout
    thread.join(5)
    assert done == [True] and clock.elapsed() == 7200


def test_clock_event_returns_when_set() -> None:
    clock = SimulatedClock(time_scale=math.inf, start=START)
    event = ClockEvent(clock)
    threading.Timer(0.02, event.set).start()
    assert event.wait(99_999_999) is True
    assert event.is_set()


def test_aws_timestamp_format() -> None:
    assert aws_timestamp(datetime(2019, 3, 26, 20, 14, 13, 192_000, tzinfo=timezone.utc)) == (
        "2019-03-26T20:14:13.192Z"
    )
