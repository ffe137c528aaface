"""Step Functions history events of app.py's pipeline in wait_mode="polling", measured on
the local engine (bench_event_waits.py sets both wait modes side by side).

A Standard workflow stops at 25,000 history events, and the parent wait is the only part
of a run whose length grows with time. Measured here, on the synthesized example
pipeline (simulated time, so a 7-day wait takes seconds):

(a) the happy path with 1 and with 5 parents, Completed when the run starts;
(b) runs whose parents stay InProgress for a while: the events one more poll iteration
    costs is the difference between two such runs;
(c) from (a) and (b), the longest parent wait that fits in 25,000 events at the default
    settings, next to what the construct's synth-time budget (``history_budget``, with
    its model constant ``POLL_ITERATION_EVENTS``) says; and a run that waits until the
    default 7-day timeout, against the budget's worst case.

The local engine writes the events AWS writes for these states (Entered/Exited, a
Lambda task's Scheduled/Started/Succeeded, a ``.sync`` task's Submitted); a retried task
adds 3 per attempt, which no run here has.
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Table

NAME = "Step Functions history events (issue: local engine)"
REPO = Path(__file__).resolve().parents[1]
STACK = "WarmStartTuningExample"
PARENT_PREFIX = "imgcls-parent-"
LIMIT = 25_000
#: Parent durations of the waiting runs (hours): the first and last give the slope.
WAIT_HOURS = (1, 6, 24)


def _synthesize(outdir: Path) -> tuple[Path, Any]:
    """app.py's stack, bundling skipped, and the parent wait construct (for its budget)."""
    import importlib.util

    from aws_cdk import App

    from warm_start_tuning.waiter import WaitForTuningJobs

    spec = importlib.util.spec_from_file_location("example_app", REPO / "app.py")
    example = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(example)
    app = App(outdir=str(outdir), context={"aws:cdk:bundling-stacks": []})
    stack = example.ImageClassifierTuningStack(app, STACK, bucket_name="example-ml-data", parent_job="imgcls-parent-1",
                                               wait_mode="polling")
    app.synth()
    waits = [c for c in stack.node.find_all() if isinstance(c, WaitForTuningJobs) and c.node.id == "WaitForParents"]
    if len(waits) != 1:
        raise RuntimeError(f"expected one WaitForParents in the example stack, found {len(waits)}")
    return outdir / f"{STACK}.template.json", waits[0]


def _run(template: Path, parents: int, status_path: Any) -> dict[str, Any]:
    from warm_start_tuning.local import LocalEngine
    from warm_start_tuning.local.example_parents import add_parents, pipeline_info

    names = [f"{PARENT_PREFIX}{i}" for i in range(1, parents + 1)]
    with LocalEngine(time_scale=math.inf, stack_name=STACK) as engine:
        arn = engine.deploy(template)
        add_parents(engine, pipeline_info(engine, arn), names, status_path=status_path)
        started = time.perf_counter()
        result = engine.run(arn, {"parents": names}, timeout_s=600)
        real = time.perf_counter() - started
    polls = sum(1 for name, _ in result.states_entered if name == "PollParentJobs")
    return {
        "status": result.status if result.succeeded else f"{result.status} ({result.error})",
        "states": len(result.states_entered),
        "events": result.history_events,
        "polls": polls,
        "simulated": result.duration_s or 0.0,
        "real": real,
    }


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h ({seconds / 86400:.2f} days)"


def run() -> list[Table]:
    from warm_start_tuning.rules import cumulative_wait_seconds, worst_case_iterations
    from warm_start_tuning.waiter.history_budget import (
        HISTORY_EVENT_LIMIT,
        POLL_ITERATION_EVENTS,
        RESERVED_EVENTS,
        longest_fitting_timeout_seconds,
    )

    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        template, wait = _synthesize(Path(tmp))
        settings = wait.settings
        completed = (("Completed", None),)

        def in_progress(hours: float) -> Any:
            return (("InProgress", hours * 3600.0), ("Completed", None))

        happy = {count: _run(template, count, completed) for count in (1, 5)}
        waiting = {hours: _run(template, 1, in_progress(hours)) for hours in WAIT_HOURS}
        forever = _run(template, 1, (("InProgress", 400 * 86400.0), ("Completed", None)))

    # (a)
    happy_rows = [
        [f"{count} parent{'s' if count > 1 else ''}, Completed at start", r["status"], str(r["polls"]),
         str(r["states"]), str(r["events"]), f"{r['real']:.2f} s"]
        for count, r in happy.items()
    ]
    # (b)
    first, last = waiting[WAIT_HOURS[0]], waiting[WAIT_HOURS[-1]]
    extra_polls = last["polls"] - first["polls"]
    per_poll_events = (last["events"] - first["events"]) / extra_polls
    per_poll_states = (last["states"] - first["states"]) / extra_polls
    wait_rows = [
        [f"1 parent InProgress for {hours} h", r["status"], str(r["polls"]), str(r["states"]),
         str(r["events"]), _hours(r["simulated"]), f"{r['real']:.2f} s"]
        for hours, r in waiting.items()
    ]
    wait_rows.append([
        f"per poll iteration ({WAIT_HOURS[0]} h vs {WAIT_HOURS[-1]} h run)", "", "1",
        f"{per_poll_states:g}", f"{per_poll_events:g}", "", "",
    ])
    # (c) measured: a run of k polls writes happy + (k - 1) * per_poll events.
    base = happy[1]["events"]
    fixed_measured = base - per_poll_events  # everything but the poll iterations
    budget = wait.budget
    other_model = HISTORY_EVENT_LIMIT - RESERVED_EVENTS - budget.available

    def longest(available: float) -> tuple[int, int]:
        polls = 1 + int((available - base) // per_poll_events)
        return polls, cumulative_wait_seconds(polls - 1, settings)

    polls_all, wait_all = longest(LIMIT)
    polls_reserved, wait_reserved = longest(LIMIT - RESERVED_EVENTS)
    model_wait = longest_fitting_timeout_seconds(settings, other_model)
    worst_iterations = worst_case_iterations(settings)
    fit_rows = [
        ["events per poll iteration", f"{per_poll_events:g} (measured)", f"{POLL_ITERATION_EVENTS} (POLL_ITERATION_EVENTS)"],
        ["events outside the poll loop", f"{fixed_measured:g} (happy path minus one iteration)",
         f"{other_model} (the other states at their worst, incl. the attach-to-existing-job wait)"],
        ["longest wait in 25,000 events", f"{_hours(wait_all)}: {polls_all} polls", "-"],
        [f"longest wait in 25,000 - {RESERVED_EVENTS:,} reserved", f"{_hours(wait_reserved)}: {polls_reserved} polls",
         f"{_hours(model_wait)} (longest_fitting_timeout_seconds)"],
        [f"default timeout ({_hours(settings.timeout_seconds)}) reached: polls",
         f"{forever['polls']} ({forever['status']})", f"{worst_iterations} (worst_case_iterations)"],
        ["default timeout reached: history events", f"{forever['events']} ({forever['real']:.1f} s real)",
         f"{budget.events} wait + {other_model} other, of {budget.available} available"],
    ]
    defaults = (f"defaults: first wait {settings.initial_interval_seconds} s, x{settings.backoff_rate:g} per poll, "
                f"cap {settings.max_interval_seconds} s, timeout {settings.timeout_seconds} s")
    return [
        Table(
            title="Happy path (no wait): states entered and history events",
            headers=["run", "status", "polls", "states entered", "history events", "real time"],
            rows=happy_rows,
            notes=["One poll step describes every parent: 5 parents cost what 1 does."],
        ),
        Table(
            title="While waiting for parents (default poll settings)",
            headers=["run", "status", "polls", "states entered", "history events", "simulated", "real time"],
            rows=wait_rows,
            notes=[defaults, "A poll iteration is the poll Lambda task, the Choice and the Wait."],
        ),
        Table(
            title="Longest parent wait within Step Functions' 25,000 history events",
            headers=["", "measured on the local engine", "synth-time model (history_budget)"],
            rows=fit_rows,
            notes=[
                "Measured: happy-path events + (polls - 1) x events per iteration <= the limit; the wait "
                "is the sum of the backed-off waits before the last poll.",
                "The model keeps 1,000 events in reserve (retries) and counts the worst case of every "
                "other path, so it is the conservative one; the construct refuses a timeout beyond it.",
            ],
        ),
    ]


if __name__ == "__main__":  # pragma: no cover - `python -m benchmarks.bench_history_events`
    for table in run():
        print(table.markdown(), end="\n\n")
    sys.exit(0)
