"""The parent wait in wait_mode="events" beside wait_mode="polling", on the local engine.

One stack of pipelines like the example's (no run lock, no completion event: only the
wait differs), synthesized once; each run on a fresh engine with simulated time:

(a) history events of one whole run for parent waits of 1 h, 1 d, 30 d and 300 d, with 1
    and with 5 parents (polling: 7-day default timeout; 35 days for the 30-day wait; a
    300-day wait does not fit 25,000 events and is refused at synth);
(b) detection latency: simulated seconds from the last parent's end to ValidateWarmStart,
    with the events delivered, with the parent's event dropped (the sweep recovers), and
    polling at its default 30-minute cap;
(c) states in the definition and template bytes per pipeline.

The engine delivers SageMaker's state-change events 1 simulated second after the change
(EventBridge: "near real-time", no bound given); the sweep runs every 5 minutes.
"""

from __future__ import annotations

import json
import math
import sys
import time
from typing import Any

from benchmarks import Table

NAME = "Waiting on SageMaker's events vs polling (issue: event-driven waits)"
DURATIONS = (("1 h", 3600), ("1 d", 86400), ("30 d", 30 * 86400), ("300 d", 300 * 86400))


def _stack() -> tuple[dict[str, Any], dict[str, str], dict[str, int]]:
    from aws_cdk import Duration, Stack
    from aws_cdk.assertions import Template

    from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
    from warm_start_tuning.local.simulated_jobs import default_tuning_request

    sys.path.insert(0, "tests")
    from cdk_helpers import new_app  # noqa: E402  (bundling skipped, as the tests do)

    request = default_tuning_request()
    common = {
        "tuning_job_config": request["HyperParameterTuningJobConfig"],
        "training_job_definition": request["TrainingJobDefinition"],
        "warm_start_type": WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        "max_concurrent_runs": None,
        "publish_completion_event": False,
    }
    app = new_app()
    stack = Stack(app, "BenchWaits")
    pipelines = {
        "events": WarmStartTuningPipeline(stack, "Events", job_name_prefix="bev", wait_mode="events",
                                          parent_wait_timeout=Duration.days(330),
                                          state_machine_timeout=Duration.days(364), **common),
        "polling": WarmStartTuningPipeline(stack, "Polling", job_name_prefix="bpo", wait_mode="polling", **common),
        "polling-35d": WarmStartTuningPipeline(stack, "Polling35", job_name_prefix="bpl", wait_mode="polling",
                                               parent_wait_timeout=Duration.days(35), **common),
    }
    template = Template.from_stack(stack).to_json()
    ids = {name: stack.resolve(stack.get_logical_id(p.state_machine.node.default_child))
           for name, p in pipelines.items()}
    states = {name: len(json.loads(_definition(template, ids[name]))["States"]) for name in pipelines}
    return template, ids, states


def _definition(template: dict[str, Any], machine_id: str) -> str:
    body = template["Resources"][machine_id]["Properties"]["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return "".join(p if isinstance(p, str) else "0" for p in parts)


def _refused_at_synth() -> str:
    from aws_cdk import Duration, Stack

    from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
    from warm_start_tuning.local.simulated_jobs import default_tuning_request
    from cdk_helpers import new_app

    request = default_tuning_request()
    try:
        WarmStartTuningPipeline(Stack(new_app(), "Refused"), "P", job_name_prefix="bre", wait_mode="polling",
                                warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
                                tuning_job_config=request["HyperParameterTuningJobConfig"],
                                training_job_definition=request["TrainingJobDefinition"],
                                parent_wait_timeout=Duration.days(330), state_machine_timeout=Duration.days(364))
    except ValueError as error:
        return "refused at synth: " + str(error).split("history events")[0].split("- ")[-1].strip() + " history events"
    return "accepted"


def _run(template: dict[str, Any], machine_id: str, *, parents: int, seconds: float, drop: bool = False,
         sweeps: bool = True) -> dict[str, Any]:
    from warm_start_tuning.local import LocalEngine

    prefix = {"Events": "bev", "Polling": "bpo", "Polling35": "bpl"}[next(
        k for k in ("Events", "Polling35", "Polling") if machine_id.startswith(k))]
    names = [f"{prefix}-parent-{i}" for i in range(parents)]
    # Long waits without the sweep: 300 days of 5-minute sweeps are 86,400 Lambda calls;
    # the sweep's cost is measured by the dropped-event run instead.
    events_mode = machine_id.startswith("Events")
    scale = 3600.0 if events_mode and (drop or sweeps) else math.inf
    with LocalEngine(time_scale=scale, run_schedules=sweeps) as engine:
        for name in names:
            engine.sagemaker.add_tuning_job(name, status_path=[("InProgress", seconds), ("Completed", None)])
        arn = engine.deploy(template, state_machine=machine_id)
        if drop:
            engine.drop_events(parents, detail_type="SageMaker HyperParameter Tuning Job State Change")
        started = time.perf_counter()
        result = engine.run(arn, {"parents": names}, timeout_s=900)
        real = time.perf_counter() - started
    entered = dict(reversed(result.states_entered))  # the first time each state was entered
    noticed = entered.get("ValidateWarmStart")
    return {
        "status": result.status if result.succeeded else f"{result.status} ({result.error})",
        "events": result.history_events,
        "latency": None if noticed is None else noticed - seconds,
        "real": real,
    }


def run() -> list[Table]:
    template, ids, states = _stack()
    refused = _refused_at_synth()
    history_rows = []
    for label, seconds in DURATIONS:
        for parents in (1, 5):
            events = _run(template, ids["events"], parents=parents, seconds=seconds, sweeps=seconds <= 86400)
            if seconds <= 86400:
                polling = _run(template, ids["polling"], parents=parents, seconds=seconds)
                polled = f"{polling['events']} ({polling['status']})"
            elif seconds <= 30 * 86400:
                polling = _run(template, ids["polling-35d"], parents=parents, seconds=seconds)
                polled = f"{polling['events']} ({polling['status']}, 35-day timeout)"
            else:
                polled = refused
            history_rows.append([label, str(parents), f"{events['events']} ({events['status']})", polled,
                                 f"{events['real']:.1f} s"])
    no_wait = _run(template, ids["events"], parents=1, seconds=0)
    latency_rows = []
    # End times off the sweep's and the polls' grid: a parent ending right on a sweep or a
    # poll would show no latency at all. 3,601 s is 1 s after a sweep (the worst case for
    # it); 86,461 s is 1 s after a capped poll (the worst case for polling).
    delivered = _run(template, ids["events"], parents=1, seconds=3601)
    dropped = _run(template, ids["events"], parents=1, seconds=3601, drop=True)
    polled_day = _run(template, ids["polling"], parents=1, seconds=86461)
    polled_hour = _run(template, ids["polling"], parents=1, seconds=3601)
    latency_rows.append(["events, event delivered (parent ends after 1 h)", f"{delivered['latency']:.0f} s"])
    latency_rows.append(["events, the parent's event dropped: the next sweep (every 300 s)",
                         f"{dropped['latency']:.0f} s"])
    latency_rows.append(["polling, parent ends after 1 h (polls back off: 60, 120, ... 1,800 s)",
                         f"{polled_hour['latency']:.0f} s"])
    latency_rows.append(["polling, parent ends 1 s after a poll at the 30-minute cap (after 1 d)",
                         f"{polled_day['latency']:.0f} s"])
    size_rows = []
    resources = template["Resources"]
    for name in ("events", "polling"):
        machine = resources[ids[name]]
        size_rows.append([name, str(states[name]), f"{len(json.dumps(machine)):,}"])
    shared = [k for k, v in resources.items() if "WarmStartEventWaits" in k]
    shared_bytes = sum(len(json.dumps(resources[k])) for k in shared)
    return [
        Table(
            title="History events of one whole run, by parent wait and number of parents",
            headers=["parent wait", "parents", "events mode", "polling mode", "events run, real time"],
            rows=history_rows,
            notes=[f"The same run without any wait (parents Completed at the start), events mode: "
                   f"{no_wait['events']} events.",
                   "Polling at the defaults (first wait 60 s, x2, cap 30 min, timeout 7 days); the 30-day row "
                   "uses a pipeline with a 35-day timeout; 300 days do not fit the 25,000-event history."],
        ),
        Table(
            title="Detection latency after the last parent ends (simulated time)",
            headers=["run", "parent end to ValidateWarmStart"],
            rows=latency_rows,
            notes=["Events are delivered 1 simulated second after the change (engine default)."],
        ),
        Table(
            title="States in the definition and template bytes per pipeline",
            headers=["wait mode", "states", "state machine resource (bytes of JSON)"],
            rows=size_rows,
            notes=[f"Events mode adds, once per stack: the SageMaker state-change rule, the sweep schedule and "
                   f"its role, the SendTask policy ({len(shared)} resources, {shared_bytes:,} bytes).",
                   "Both pipelines here have no run lock and no completion event."],
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    for table in run():
        print(table.markdown(), end="\n\n")
    sys.exit(0)
