"""Exactly-once runs under AWS's semantics (issue 9): the DynamoDB run lock, waiting or
skipping when it is full, and no job outliving its run.

Every test runs the synthesized state machine on the local engine, which models what
AWS documents: ListExecutions lagging behind starts, Step Functions status-change events
delivered asynchronously (at least once, sometimes never), execution timeouts that do
not stop a ``.sync`` job, DynamoDB's atomic conditional writes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

pytest.importorskip("moto", reason="the local engine needs the dev extra (moto)")

from aws_cdk import Duration, RemovalPolicy, Stack  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402

from cdk_helpers import new_app  # noqa: E402
from warm_start_tuning import NewDataTrigger, WarmStartRounds, WarmStartTuningPipeline, WarmStartType  # noqa: E402
from warm_start_tuning.local import LocalEngine  # noqa: E402
from warm_start_tuning.local.eventbridge import s3_object_created_event  # noqa: E402
from warm_start_tuning.local.simulated_jobs import default_tuning_request  # noqa: E402
from warm_start_tuning.rules import RUN_KEY_TAG_KEY, run_key_tag_value, tuning_job_name  # noqa: E402

NAMED_ERRORS = {"WarmStartValidationError", "ParentTuningJobNotFound", "ParentWaitTimeout", "TuningJobFailed",
                "TuningJobNotCreated", "TuningJobNameConflict", "ValidatorFailed"}
STATUS_CHANGE = "Step Functions Execution Status Change"


class _Stacks:
    def __init__(self) -> None:
        app = new_app()
        stack = Stack(app, "RunLock")
        request = default_tuning_request()
        common = {
            "tuning_job_config": request["HyperParameterTuningJobConfig"],
            "training_job_definition": request["TrainingJobDefinition"],
            "parent_poll_interval": Duration.minutes(1),
            "wait_mode": "polling",  # the poll loop's own tests (tests/features/test_feature_event_waits.py: events)
            "parent_poll_max_interval": Duration.minutes(5),
        }
        waits = {"parent_wait_timeout": Duration.hours(6)}
        self.bucket = s3.Bucket(stack, "Data", enforce_ssl=True, removal_policy=RemovalPolicy.RETAIN)
        self.waiting = WarmStartTuningPipeline(
            stack, "Waiting", warm_start_type=WarmStartType.TRANSFER_LEARNING, job_name_prefix="lockw",
            parents=["lock-parent"], new_data_trigger=NewDataTrigger(self.bucket, "incoming/", ["train", "validation"]),
            **waits, **common,
        )
        self.skipping = WarmStartTuningPipeline(
            stack, "Skipping", warm_start_type=WarmStartType.TRANSFER_LEARNING, job_name_prefix="locks",
            parents=["lock-parent"], new_data_trigger=NewDataTrigger(self.bucket, "skipped/", ["train", "validation"]),
            when_busy="skip", **waits, **common,
        )
        # A short state machine timeout, so that an execution times out while its job runs.
        self.short = WarmStartTuningPipeline(
            stack, "Short", warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM, job_name_prefix="lockt",
            parents=["lock-parent"], parent_wait_timeout=Duration.hours(1), state_machine_timeout=Duration.hours(3),
            **common,
        )
        self.rounds = WarmStartTuningPipeline(
            stack, "Rounds", warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM, job_name_prefix="lockr",
            parents=["lock-parent"], rounds=WarmStartRounds(max_rounds=3, min_improvement=0.0),
            parent_wait_timeout=Duration.hours(1), state_machine_timeout=Duration.hours(4), **common,
        )
        app.synth()
        self.stack = stack
        self.template = Template.from_stack(stack).to_json()

    def logical_id(self, construct: Any) -> str:
        return self.stack.resolve(self.stack.get_logical_id(construct.node.default_child))

    def deploy(self, engine: LocalEngine, pipeline: WarmStartTuningPipeline) -> str:
        return engine.deploy(self.template, state_machine=self.logical_id(pipeline.state_machine))

    def rule_target(self, pipeline: WarmStartTuningPipeline) -> dict:
        (target,) = self.template["Resources"][self.logical_id(pipeline.new_data_rule)]["Properties"]["Targets"]
        return target


@pytest.fixture(scope="module")
def stacks() -> _Stacks:
    return _Stacks()


@pytest.fixture
def engine() -> Iterator[LocalEngine]:
    """Runs must overlap: one simulated hour per real second; ListExecutions lags."""
    with LocalEngine(time_scale=3600, list_executions_lag_seconds=30) as running:
        yield running


def _bucket(engine: LocalEngine, arn: str) -> str:
    import re

    definition = engine.client("stepfunctions").describe_state_machine(stateMachineArn=arn)["definition"]
    (name,) = set(re.findall(r'"newDataBucket"\s*:\s*"([^"]+)"', definition))
    return name


def _created(engine: LocalEngine) -> list[str]:
    return [name for operation, name in engine.sagemaker.calls if operation == "CreateHyperParameterTuningJob"]


def _job_intervals(engine: LocalEngine, names: list[str]) -> list[tuple[datetime, datetime]]:
    intervals = []
    for name in names:
        described = engine.client("sagemaker").describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        intervals.append((described["CreationTime"], described.get("HyperParameterTuningEndTime")
                          or described["LastModifiedTime"]))
    return sorted(intervals)


def _status(engine: LocalEngine, name: str) -> str:
    return engine.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name)["HyperParameterTuningJobStatus"]


def _stopped(engine: LocalEngine, name: str, timeout_s: float = 20.0) -> bool:
    """Whether the job is stopped (Stopping or Stopped) once the run's status-change event
    has been handled: the event is put on moto's worker thread right after the execution
    ends, so it may not be pending yet when the test sees the end."""
    deadline = time.monotonic() + timeout_s
    while True:
        engine.wait_for_events()
        if _status(engine, name) in ("Stopping", "Stopped"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _entered(result: Any) -> list[str]:
    return [name for name, _ in result.states_entered]


# --- 1. the lock: never two runs in flight ---------------------------------------------


@pytest.mark.parametrize("starts", [2, 5])
def test_simultaneous_starts_with_a_lagging_listexecutions_never_run_two_jobs(
    stacks: _Stacks, engine: LocalEngine, starts: int
) -> None:
    """On main, the ListExecutions lock let starts a moment apart both proceed (or fail in
    States.Runtime when the caller was missing from the list)."""
    engine.sagemaker.add_tuning_job("lock-parent")
    seeded = set(_created(engine))
    arn = stacks.deploy(engine, stacks.waiting)
    executions = [engine.start_execution(arn, {"maxTrainingJobs": 10 + i}) for i in range(starts)]
    results = [engine.wait(execution, timeout_s=120) for execution in executions]

    assert [r.status for r in results] == ["SUCCEEDED"] * starts, [r.cause for r in results]
    jobs = [name for name in _created(engine) if name not in seeded]
    assert len(jobs) == starts == len(set(jobs))  # each waited its turn and ran once
    intervals = _job_intervals(engine, jobs)
    for (_, ended), (started, _) in zip(intervals, intervals[1:]):
        assert ended <= started, "two tuning jobs of the pipeline were in flight at once"
    assert sum("WaitForRunSlot" in _entered(r) for r in results) >= starts - 1


def _fail_by(kind: str, engine: LocalEngine, stacks: _Stacks) -> tuple[str, dict[str, Any], str]:
    """Start a run of the short pipeline that ends the way ``kind`` says; its arn, and
    the status and error it must end with."""
    arn = stacks.deploy(engine, stacks.short)
    if kind == "rejected input":
        return arn, {"startExecution": {"sagemaker_program": "evil.py"}}, "FAILED"
    if kind == "parent missing":
        return arn, {"parents": ["lockt-nobody"]}, "FAILED"
    if kind == "job failed":
        engine.sagemaker.plan("lockt-*", "Failed", after_seconds=600, failure_reason="out of memory")
        return arn, {}, "FAILED"
    if kind == "parent wait timed out":
        return arn, {"parents": ["lock-slow-parent"]}, "FAILED"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["rejected input", "parent missing", "job failed", "parent wait timed out"])
def test_the_lease_is_released_after_each_failure(stacks: _Stacks, engine: LocalEngine, kind: str) -> None:
    engine.sagemaker.add_tuning_job("lock-parent")
    engine.sagemaker.add_tuning_job("lock-slow-parent", status_path=[("InProgress", 86400), ("Completed", None)])
    arn, execution_input, status = _fail_by(kind, engine, stacks)
    failed = engine.run(arn, execution_input, timeout_s=60)
    assert failed.status == status and failed.error in NAMED_ERRORS, (failed.error, failed.cause)
    engine.wait_for_events()

    after = engine.run(arn, {}, timeout_s=60)
    assert after.status == "SUCCEEDED", after.cause
    assert "WaitForRunSlot" not in _entered(after)  # the lease was free at once


def test_the_lease_is_released_after_success_and_after_an_abort(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("lock-parent", status_path=[("InProgress", 4 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.waiting)
    aborted = engine.start_execution(arn, {})
    while "PollParentJobs" not in _entered(engine.result(aborted)):
        time.sleep(0.01)  # it waits for its parent, holding the lease
    engine.stop(aborted)
    assert engine.wait(aborted).status == "ABORTED"
    engine.wait_for_events()
    second = engine.run(arn, {}, timeout_s=60)
    assert second.status == "SUCCEEDED", second.cause
    assert "WaitForRunSlot" not in _entered(second)
    engine.wait_for_events()
    third = engine.run(arn, {"maxTrainingJobs": 11}, timeout_s=60)
    assert third.status == "SUCCEEDED" and "WaitForRunSlot" not in _entered(third), third.cause


def test_a_lease_whose_release_event_was_lost_is_reclaimed(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("lock-parent")
    arn = stacks.deploy(engine, stacks.short)
    engine.drop_events(1, detail_type=STATUS_CHANGE)  # the first run's end never arrives
    first = engine.run(arn, {}, timeout_s=60)
    assert first.status == "SUCCEEDED", first.cause
    engine.wait_for_events()
    assert any(d.outcome == "dropped" for d in engine.event_log)

    second = engine.run(arn, {"maxTrainingJobs": 11}, timeout_s=60)
    assert second.status == "SUCCEEDED", second.cause
    assert "WaitForRunSlot" not in _entered(second)  # reclaimed at its first attempt


# --- 2. nothing silently dropped -----------------------------------------------------------


@pytest.fixture
def slow_engine() -> Iterator[LocalEngine]:
    """Ten simulated minutes per real second: a run holds the lease for real seconds,
    whatever the machine's load, until the test lets its parent end."""
    with LocalEngine(time_scale=600, list_executions_lag_seconds=30) as running:
        yield running


def _until_entered(engine: LocalEngine, execution: str, state: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while state not in _entered(engine.result(execution)):
        assert time.monotonic() < deadline, f"{execution} never entered {state}"
        time.sleep(0.05)


def test_a_batch_landing_during_a_run_is_tuned_on_afterwards(stacks: _Stacks, slow_engine: LocalEngine) -> None:
    """On main the second batch's run ended {"skipped": true}: its data was never tuned on."""
    engine = slow_engine
    engine.sagemaker.add_tuning_job("lock-parent", status_path=[("InProgress", 100 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.waiting)
    bucket = _bucket(engine, arn)
    target = stacks.rule_target(stacks.waiting)
    (first,) = engine.deliver(arn, target, s3_object_created_event(bucket, "incoming/2024-06-01/_SUCCESS"))
    _until_entered(engine, first, "PollParentJobs")  # in flight, holding the lease
    (second,) = engine.deliver(arn, target, s3_object_created_event(bucket, "incoming/2024-06-02/_SUCCESS"))
    _until_entered(engine, second, "WaitForRunSlot")
    engine.client("sagemaker").stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="lock-parent")
    results = [engine.wait(first, timeout_s=120), engine.wait(second, timeout_s=120)]

    assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
    assert results[0].output["tuningJobName"] != results[1].output["tuningJobName"]
    described = engine.client("sagemaker").describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=results[1].output["tuningJobName"])
    uris = {c["DataSource"]["S3DataSource"]["S3Uri"] for c in described["TrainingJobDefinition"]["InputDataConfig"]}
    assert uris == {f"s3://{bucket}/incoming/2024-06-02/train/", f"s3://{bucket}/incoming/2024-06-02/validation/"}
    first_job = engine.sagemaker.describe(results[0].output["tuningJobName"])
    assert described["CreationTime"] >= first_job["HyperParameterTuningEndTime"]  # after the first, not beside it


def test_when_configured_to_skip_a_busy_run_is_reported(stacks: _Stacks, slow_engine: LocalEngine) -> None:
    engine = slow_engine
    engine.sagemaker.add_tuning_job("lock-parent", status_path=[("InProgress", 100 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.skipping)
    bucket = _bucket(engine, arn)
    target = stacks.rule_target(stacks.skipping)
    (first,) = engine.deliver(arn, target, s3_object_created_event(bucket, "skipped/2024-06-01/_SUCCESS"))
    _until_entered(engine, first, "PollParentJobs")
    jobs_before = set(_created(engine))
    (second,) = engine.deliver(arn, target, s3_object_created_event(bucket, "skipped/2024-06-02/_SUCCESS"))
    skipped = engine.wait(second, timeout_s=60)

    assert skipped.status == "SUCCEEDED", skipped.cause
    assert skipped.output["skipped"] is True
    assert "1 of at most 1 runs of this pipeline were in flight" in skipped.output["reason"]
    assert _entered(skipped)[-3:] == ["PublishRunSkipped", "RunSkipped", "AnotherRunInFlight"]
    assert "WaitForRunSlot" not in _entered(skipped)
    assert set(_created(engine)) == jobs_before
    engine.wait_for_events()
    put = [e for e in engine.eventbridge.events if e.get("detail-type") == "Warm-start tuning run skipped"]
    assert [e["detail"]["executionArn"] for e in put] == [second]
    assert put[0]["source"] == "warm-start-tuning" and put[0]["detail"]["whenBusy"] == "skip"
    engine.stop(first)


def test_a_duplicated_s3_event_under_the_lock_makes_one_job(stacks: _Stacks) -> None:
    with LocalEngine(time_scale=3600, event_deliveries=2) as engine:
        engine.sagemaker.add_tuning_job("lock-parent")
        seeded = set(_created(engine))
        arn = stacks.deploy(engine, stacks.waiting)
        event = s3_object_created_event(_bucket(engine, arn), "incoming/2024-06-03/_SUCCESS")
        executions = engine.deliver(arn, stacks.rule_target(stacks.waiting), event)
        results = [engine.wait(e, timeout_s=120) for e in executions]

        assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
        assert len({r.output["tuningJobName"] for r in results}) == 1
        assert len(set(_created(engine)) - seeded) == 1


# --- 4. no job outlives its run -----------------------------------------------------------


def test_an_execution_timeout_stops_the_sync_job(stacks: _Stacks, engine: LocalEngine) -> None:
    """Step Functions does not stop a .sync job when the execution times out (DESIGN.md)."""
    engine.sagemaker.add_tuning_job("lock-parent")
    engine.sagemaker.plan("lockt-*", status_path=[("InProgress", 10 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "TIMED_OUT"
    (job,) = [n for n in _created(engine) if n.startswith("lockt-")]
    assert _stopped(engine, job)


def test_an_abort_during_the_attach_path_stops_the_job(stacks: _Stacks, engine: LocalEngine) -> None:
    """The run finds its job created already (a retried create): it attaches and polls it.
    On main, stopping the execution then left that job running."""
    engine.sagemaker.add_tuning_job("lock-parent")
    name = tuning_job_name("lockt", "attach-run")
    request = default_tuning_request(name)
    request["Tags"] = [{"Key": RUN_KEY_TAG_KEY, "Value": run_key_tag_value("attach-run")}]
    engine.sagemaker.add_tuning_job(name, request, status_path=[("InProgress", 10 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.short)
    execution = engine.start_execution(arn, {}, name="attach-run")
    _until_entered(engine, execution, "ExistingJob: PollParentJobs")  # attached, polling its job
    engine.stop(execution)
    assert engine.wait(execution).status == "ABORTED"
    assert _stopped(engine, name)


def test_a_timeout_during_a_later_round_stops_that_rounds_job(stacks: _Stacks, engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("lock-parent")
    engine.sagemaker.plan("lockr-*", status_path=[("InProgress", 1800), ("Completed", None)])
    engine.sagemaker.plan("lockr-*", status_path=[("InProgress", 10 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.rounds)
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "TIMED_OUT"
    jobs = [n for n in _created(engine) if n.startswith("lockr-")]
    assert len(jobs) == 2
    assert _stopped(engine, jobs[1])
    assert _status(engine, jobs[0]) == "Completed"


def test_a_job_of_another_run_is_never_stopped(stacks: _Stacks, engine: LocalEngine) -> None:
    """A name conflict's job belongs to another run: the conflicted run's end leaves it be."""
    engine.sagemaker.add_tuning_job("lock-parent")
    name = tuning_job_name("lockt", "conflict-run")
    engine.sagemaker.add_tuning_job(name, status_path=[("InProgress", 10 * 3600), ("Completed", None)])
    arn = stacks.deploy(engine, stacks.short)
    result = engine.run(arn, {}, name="conflict-run", timeout_s=60)
    assert result.status == "FAILED" and result.error == "TuningJobNameConflict", result.cause
    engine.wait_for_events()
    assert _status(engine, name) == "InProgress"


def test_a_lambda_failure_in_the_lock_ends_in_validator_failed_creating_nothing(
    stacks: _Stacks, engine: LocalEngine
) -> None:
    engine.sagemaker.add_tuning_job("lock-parent")
    seeded = set(_created(engine))
    arn = stacks.deploy(engine, stacks.short)
    engine.lambdas.inject_failure("Sandbox.Timedout", action="acquireLock")
    result = engine.run(arn, {}, timeout_s=60)
    assert result.status == "FAILED" and result.error == "ValidatorFailed", result.cause
    assert set(_created(engine)) == seeded
