"""The parent-wait schedule shared by the poll Lambda and the synth-time event budget."""

from __future__ import annotations

import pytest

from warm_start_rules import (MAX_TIMEOUT_SECONDS, PollSettings, cumulative_wait_seconds,
                              next_wait_seconds, poll_settings_from_event, timed_out,
                              worst_case_iterations)


def settings(**fields) -> PollSettings:
    return PollSettings(**{"timeout_seconds": 3600, **fields})


def simulate(s: PollSettings) -> int:
    """Poll runs of the documented model, step by step: the reference for small cases."""
    runs, waited, iteration = 0, 0, 0
    while True:
        runs += 1
        if timed_out(waited, s):
            return runs
        waited += next_wait_seconds(iteration, s)
        iteration += 1


def test_defaults():
    s = PollSettings(timeout_seconds=7 * 86400)
    assert (s.initial_interval_seconds, s.max_interval_seconds, s.backoff_rate) == (60, 1800, 2.0)
    assert s.problems() == []


def test_timeout_is_required_and_fields_are_keywords():
    with pytest.raises(TypeError):
        PollSettings()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        PollSettings(60, 1800, 2.0, 3600)  # type: ignore[misc]


def test_backoff_sequence():
    s = settings()
    assert [next_wait_seconds(i, s) for i in range(8)] == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert next_wait_seconds(3, settings(backoff_rate=1.5, initial_interval_seconds=10)) == 34


@pytest.mark.parametrize("iteration", [10**3, 10**6, 10**18, 10**400])
def test_huge_iterations_do_not_overflow(iteration):
    assert next_wait_seconds(iteration, settings()) == 1800
    assert next_wait_seconds(iteration, settings(backoff_rate=1.0)) == 60


@pytest.mark.parametrize("bad", [-1, 1.5, None, True])
def test_iteration_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError):
        next_wait_seconds(bad, settings())


@pytest.mark.parametrize("fields, expected", [
    ({"initial_interval_seconds": 0}, "initial_interval_seconds must be an integer >= 1"),
    ({"initial_interval_seconds": 1.5}, "initial_interval_seconds must be an integer >= 1"),
    ({"max_interval_seconds": 30}, "max_interval_seconds (30) must be >= initial_interval_seconds (60)"),
    ({"max_interval_seconds": True}, "max_interval_seconds must be an integer >= 1"),
    ({"backoff_rate": 0.5}, "backoff_rate must be a finite number >= 1"),
    ({"backoff_rate": float("inf")}, "backoff_rate must be a finite number >= 1"),
    ({"backoff_rate": "2"}, "backoff_rate must be a finite number >= 1"),
    ({"timeout_seconds": 0}, "timeout_seconds must be an integer from 1 to 31536000"),
    ({"timeout_seconds": MAX_TIMEOUT_SECONDS + 1}, "timeout_seconds must be an integer from 1"),
])
def test_problems(fields, expected):
    problems = settings(**fields).problems()
    assert len(problems) == 1 and problems[0].startswith(expected)
    with pytest.raises(ValueError, match="invalid poll settings"):
        worst_case_iterations(settings(**fields))


def test_event_round_trip():
    s = settings(initial_interval_seconds=30, backoff_rate=1.5)
    assert s.to_event() == {"initialIntervalSeconds": 30, "maxIntervalSeconds": 1800,
                            "backoffRate": 1.5, "timeoutSeconds": 3600}
    assert poll_settings_from_event(s.to_event()) == (s, [])
    assert poll_settings_from_event({"timeoutSeconds": 10}) == (PollSettings(timeout_seconds=10), [])


@pytest.mark.parametrize("event, expected", [
    (None, "settings must be an object"),
    ({}, "settings.timeoutSeconds is required"),
    ({"timeoutSeconds": 10, "backoffRate": 0}, "backoff_rate must be"),
])
def test_bad_events(event, expected):
    parsed, problems = poll_settings_from_event(event)
    assert parsed is None and problems[0].startswith(expected)


def test_worst_case_of_the_defaults():
    # waits 60+120+240+480+960 = 1860, then 1800 each: 1 day = 86400 s needs 5 + 47 waits
    # (1860 + 47*1800 = 86460 >= 86400), so the poll step runs 53 times.
    s = PollSettings(timeout_seconds=86400)
    assert worst_case_iterations(s) == 53 == simulate(s)
    assert cumulative_wait_seconds(52, s) == 86460
    assert cumulative_wait_seconds(51, s) == 84660 < 86400


@pytest.mark.parametrize("fields", [
    {"timeout_seconds": 1},
    {"timeout_seconds": 60},
    {"timeout_seconds": 61},
    {"timeout_seconds": 3600, "backoff_rate": 1.0},
    {"timeout_seconds": 5000, "initial_interval_seconds": 7, "max_interval_seconds": 7},
    {"timeout_seconds": 90000, "initial_interval_seconds": 1, "backoff_rate": 1.05,
     "max_interval_seconds": 600},
    {"timeout_seconds": 200000, "initial_interval_seconds": 3, "backoff_rate": 1.001,
     "max_interval_seconds": 900},
    {"timeout_seconds": 12345, "initial_interval_seconds": 2, "backoff_rate": 3.7,
     "max_interval_seconds": 1000},
])
def test_worst_case_matches_a_step_by_step_simulation(fields):
    s = settings(**fields)
    runs = worst_case_iterations(s)
    assert runs == simulate(s)
    # The last run starts once the waits before it reach the timeout, the one before not.
    assert cumulative_wait_seconds(runs - 1, s) >= s.timeout_seconds
    assert runs == 1 or cumulative_wait_seconds(runs - 2, s) < s.timeout_seconds
    assert cumulative_wait_seconds(runs - 1, s) == sum(next_wait_seconds(i, s) for i in range(runs - 1))


def test_rates_barely_above_one_are_computed_without_stepping():
    # Stepping one iteration at a time would take ~10**9 steps here.
    s = PollSettings(initial_interval_seconds=1, max_interval_seconds=MAX_TIMEOUT_SECONDS,
                     backoff_rate=1.000000001, timeout_seconds=MAX_TIMEOUT_SECONDS)
    runs = worst_case_iterations(s)
    assert cumulative_wait_seconds(runs - 1, s) >= MAX_TIMEOUT_SECONDS
    assert cumulative_wait_seconds(10**15, PollSettings(timeout_seconds=60)) == 1860 + (10**15 - 5) * 1800


def test_one_year_timeout_with_the_default_schedule():
    s = PollSettings(timeout_seconds=MAX_TIMEOUT_SECONDS)
    assert worst_case_iterations(s) == 5 + -(-(MAX_TIMEOUT_SECONDS - 1860) // 1800) + 1
