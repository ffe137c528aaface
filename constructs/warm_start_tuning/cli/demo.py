"""``warm-start-tuning demo``: app.py's pipeline end to end on the local engine, twice.

1. An accepted warm start: the parents are still InProgress when the run starts; the
   pipeline polls them with a growing wait until they are Completed, the validator
   accepts, the warm-start tuning job is created and runs to its end, and its best
   training job is printed next to the parent's.
2. A rejected warm start: the same pipeline, with an input that brings new training
   data (which IdenticalDataAndAlgorithm forbids) and asks for more training jobs than
   the warm-start limit leaves; the validator names every broken rule and no tuning job
   is created.

Exit status: 0 when both runs behaved as described, 1 when not, 2 usage error.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from .run_local import (
    PROG,
    LocalRun,
    StatePrinter,
    UsageError,
    add_source_arguments,
    counts_line,
    create_parents,
    describe_scale,
    failure_lines,
    format_elapsed,
    local_pipeline,
    require_local_engine,
    template_source,
    violations_of,
)

NAME = "demo"
HELP = (
    "Run the example pipeline on the local engine: parents still running, then accepted and "
    "tuned; then a warm start the rules reject."
)
ACCEPTED_EXECUTION = "demo-accepted-warm-start"
REJECTED_EXECUTION = "demo-rejected-warm-start"
INDENT = "  "


def configure(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "exit status: 0 both runs behaved as expected, 1 not, 2 usage error"
    add_source_arguments(parser)


def run(args: argparse.Namespace) -> int:
    try:
        require_local_engine()
        with template_source(args) as source:
            with local_pipeline(source, state_machine=args.state_machine, scale=args.time_scale) as local:
                if local.pipeline is None or not local.pipeline.default_parents:
                    raise UsageError(
                        f"{source.path}: the demo needs a WarmStartTuningPipeline with default parents"
                    )
                print(f"Warm-start tuning demo: {source.path}, state machine {local.state_machine_id}")
                print(f"No AWS account: Step Functions on moto, the validator in-process, SageMaker "
                      f"simulated; {describe_scale(args.time_scale)}.")
                accepted = _accepted_run(local, args.timeout)
                rejected = _rejected_run(local, args.timeout)
    except UsageError as error:
        print(f"{PROG} {NAME}: {error}", file=sys.stderr)
        return 2
    print()
    if accepted and rejected:
        print("Demo finished: the accepted run created and tuned a warm-start job; the rejected "
              "one stopped before creating anything.")
        return 0
    print("Demo FAILED: a run did not behave as described above.")
    return 1


def _heading(text: str) -> None:
    print()
    print(text)
    print("-" * len(text))


def _run(local: LocalRun, run_input: Any, name: str, timeout: float) -> tuple[Any, list[str], int]:
    from warm_start_tuning.local import ExecutionTimeout

    before_jobs = set(local.engine.sagemaker.jobs)
    before_calls = len(local.engine.sagemaker.calls)
    print(f"{INDENT}Execution {name}, input {json.dumps(run_input)}")
    try:
        result = local.engine.run(
            local.arn, run_input, name=name, on_state=StatePrinter(local.definition, indent=INDENT),
            timeout_s=timeout,
        )
    except ExecutionTimeout as error:
        print(f"{INDENT}still running after {timeout:g} real seconds: stopped (raise --timeout)")
        result = error.result
    created = [job for job in local.engine.sagemaker.jobs if job not in before_jobs]
    creates = sum(
        1 for operation, _job in local.engine.sagemaker.calls[before_calls:]
        if operation == "CreateHyperParameterTuningJob"
    )
    return result, created, creates


def _accepted_run(local: LocalRun, timeout: float) -> bool:
    from warm_start_tuning.local.example_parents import DEFAULT_PARENT_STATUS_PATH, format_status_path

    pipeline = local.pipeline
    _heading("Run 1: the parents are still training; the warm start waits, is accepted and runs")
    create_parents(local, [(name, DEFAULT_PARENT_STATUS_PATH) for name in pipeline.default_parents])
    for name in pipeline.default_parents:
        print(f"{INDENT}Parent {name}: {format_status_path(DEFAULT_PARENT_STATUS_PATH)}")
    result, created, _creates = _run(local, {}, ACCEPTED_EXECUTION, timeout)
    print()
    if not result.succeeded:
        for line in failure_lines(result):
            print(INDENT + line)
        print(INDENT + counts_line(result))
        return False
    output = result.output or {}
    job = output.get("tuningJobName")
    print(f"{INDENT}SUCCEEDED after {format_elapsed(result.duration_s or 0.0)} (simulated)")
    print(f"{INDENT}Warm-start tuning job {job}: {output.get('status')}, "
          f"{output.get('warmStartType')} from {', '.join(output.get('parents') or [])}")
    validation = output.get("validation") or {}
    jobs = validation.get("trainingJobs") or {}
    changes = validation.get("changes") or {}
    print(f"{INDENT}Validator: accepted; changes {changes.get('max')} of {changes.get('limit')}, "
          f"training jobs {jobs.get('total')} of {jobs.get('limit')}")
    print(f"{INDENT}Best training job:    {_training_job(output.get('bestTrainingJob'))}")
    if output.get("overallBestTrainingJob") is not None:
        print(f"{INDENT}Overall best (job and parents): {_training_job(output['overallBestTrainingJob'])}")
    for parent in output.get("parents") or []:
        best = local.engine.sagemaker.describe(parent).get("BestTrainingJob")
        print(f"{INDENT}Parent {parent}'s best: {_training_job(best)}")
    print(INDENT + counts_line(result))
    # The run waited for its parents: several polls (wait_mode="polling"), or one event
    # wait that ended later than it began (wait_mode="events", the default).
    polls = sum(1 for name, _ in result.states_entered if name == "PollParentJobs")
    entered = dict(reversed(result.states_entered))
    waited_on_events = "AwaitJobsTerminal" in entered and entered.get("ValidateWarmStart", 0) > entered[
        "AwaitJobsTerminal"]
    return bool(
        job and created == [job] and output.get("bestTrainingJob") and (polls > 1 or waited_on_events)
    )


def _training_job(summary: Any) -> str:
    if not isinstance(summary, Mapping):
        return "-"
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
    tuned = summary.get("TunedHyperParameters") or {}
    params = ", ".join(f"{k}={v}" for k, v in tuned.items())
    return (f"{summary.get('TrainingJobName')}  {metric.get('MetricName')} = {metric.get('Value')}"
            f" ({metric.get('Type')})" + (f"  [{params}]" if params else ""))


def rejected_input(pipeline: Any, parent_jobs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """New data for the first channel, and one more training job than the limit leaves.

    Both are rules of the seed's page: IdenticalDataAndAlgorithm keeps the parents' data,
    and the parents' training jobs plus the new maximum may not pass the limit.
    """
    definition = pipeline.request.get("TrainingJobDefinition") or {}
    channels = definition.get("InputDataConfig") or []
    run_input: dict[str, Any] = {}
    if channels:
        first = channels[0]
        uri = first["DataSource"]["S3DataSource"]["S3Uri"]
        run_input["inputData"] = {first["ChannelName"]: uri.rstrip("/") + "-new-data/"}
    limit = pipeline.settings.get("trainingJobLimit", 500)
    used = sum(
        (job.get("TrainingJobStatusCounters") or {}).get("Completed", 0)
        + (job.get("TrainingJobStatusCounters") or {}).get("NonRetryableError", 0)
        + (job.get("TrainingJobStatusCounters") or {}).get("RetryableError", 0)
        + (job.get("TrainingJobStatusCounters") or {}).get("Stopped", 0)
        for job in parent_jobs
    )
    run_input["maxTrainingJobs"] = max(1, limit - used + 1)
    return run_input


def _rejected_run(local: LocalRun, timeout: float) -> bool:
    pipeline = local.pipeline
    _heading("Run 2: a warm start the rules reject (new data for IdenticalDataAndAlgorithm, too many jobs)")
    parents = [local.engine.sagemaker.describe(name) for name in pipeline.default_parents]
    run_input = rejected_input(pipeline, parents)
    result, created, creates = _run(local, copy.deepcopy(run_input), REJECTED_EXECUTION, timeout)
    print()
    for line in failure_lines(result):
        print(INDENT + line)
    violations = violations_of(result) or []
    if created or creates:
        print(f"{INDENT}UNEXPECTED: tuning job(s) created: {', '.join(created)}")
    else:
        print(f"{INDENT}No tuning job was created (CreateHyperParameterTuningJob was never called).")
    print(INDENT + counts_line(result))
    return (
        result.status == "FAILED"
        and result.error == "WarmStartValidationError"
        and bool(violations)
        and not created
        and creates == 0
    )
