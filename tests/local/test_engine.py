"""The local engine end to end: a pipeline-shaped template, real handlers in-process,
simulated tuning jobs, simulated time."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from local_pipeline import FIXTURES, pipeline_definition, pipeline_input, pipeline_template

from warm_start_tuning._paths import validator_asset_dir
from warm_start_tuning.local import ExecutionTimeout, LocalEngine, TemplateError, UnsupportedDefinitionError


def _deploy(engine: LocalEngine, **definition_options: object) -> str:
    template = pipeline_template(pipeline_definition(**definition_options))  # type: ignore[arg-type]
    return engine.deploy(template, assets_root=FIXTURES)


def _eventually(condition, seconds: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _states(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [name for name, _elapsed in result.states_entered]


# --- the whole pipeline ---------------------------------------------------------------


def test_pipeline_waits_for_parents_then_tunes_to_completion(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a", status_path=[("InProgress", 600), ("Completed", None)])
    engine.sagemaker.add_tuning_job("parent-b")  # already Completed
    arn = _deploy(engine)
    seen = []

    result = engine.run(arn, pipeline_input(["parent-a", "parent-b"]), on_state=seen.append)

    assert result.status == "SUCCEEDED", result.cause
    states = _states(result)
    # Polled until parent-a completed at +600 s: waits of 60, 120, 240, 480 s.
    assert states.count("PollParents") == 5
    assert states[-3:] == ["Validate", "CreateTuningJob", "PublishResult"]
    entered = dict((name, elapsed) for name, elapsed in reversed(result.states_entered))
    assert entered["Validate"] == 900.0
    # The tuning job ran for the default 30 simulated minutes.
    assert entered["PublishResult"] == 900.0 + 1800.0
    job = result.output["tuningJob"]
    assert job["HyperParameterTuningJobStatus"] == "Completed"
    # The thin .sync output (the default): the best training job's name only, no
    # summary, no OverallBestTrainingJob, no counters.
    assert isinstance(job["BestTrainingJob"], str) and job["BestTrainingJob"].startswith(
        job["HyperParameterTuningJobName"]
    )
    assert "OverallBestTrainingJob" not in job and "TrainingJobStatusCounters" not in job
    # Optimized integrations write epoch milliseconds; Step Functions tags the job.
    assert isinstance(job["CreationTime"], int)
    assert job["Tags"]["MANAGED_BY_AWS"] == "STARTED_BY_STEP_FUNCTIONS"
    assert job["Tags"]["AWS_STEP_FUNCTIONS_EXECUTION_ARN"] == result.execution_arn
    # The Lambda got its template environment, with intrinsics resolved.
    poll = json.loads(result.events("TaskSucceeded")[0]["taskSucceededEventDetails"]["output"])
    assert poll["Payload"]["settingFromEnv"] == "fixture-us-east-1"
    # on_state saw every state, entered and exited, in order.
    assert [e.name for e in seen if e.kind == "entered"] == states
    assert seen[-1].kind == "exited" and seen[-1].name == "PublishResult"
    assert result.duration_s == pytest.approx(2700.0, abs=1.0)


def test_one_hour_wait_takes_well_under_a_second_at_time_scale() -> None:
    definition = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Done"},
            "Done": {
                "Type": "Pass",
                "Parameters": {"started.$": "$$.Execution.StartTime", "entered.$": "$$.State.EnteredTime"},
                "End": True,
            },
        },
    }
    with LocalEngine(time_scale=36_000) as engine:  # one simulated hour = 0.1 s
        arn = engine.deploy_definition(definition)
        before = engine.clock.now()
        began = time.monotonic()
        result = engine.run(arn, {})
        real = time.monotonic() - began

    assert result.status == "SUCCEEDED"
    assert real < 0.9
    assert result.states_entered == [("Wait", 0.0), ("Done", 3600.0)]
    # Context times are simulated and formatted as Step Functions does.
    started, entered = result.output["started"], result.output["entered"]
    assert started.endswith("Z") and entered.endswith("Z")
    assert started >= before.strftime("%Y-%m-%dT%H:%M:%S")
    from datetime import datetime

    gap = datetime.fromisoformat(entered[:-1]) - datetime.fromisoformat(started[:-1])
    assert 3600 <= gap.total_seconds() < 3601


def test_timestamp_wait_uses_simulated_now(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Until",
        "States": {
            "Until": {"Type": "Wait", "TimestampPath": "$.until", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    arn = engine.deploy_definition(definition)
    until = (engine.clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")

    result = engine.run(arn, {"until": until})

    assert result.status == "SUCCEEDED"
    assert dict(result.states_entered)["Done"] == pytest.approx(7200.0, abs=1.0)


def test_retry_intervals_are_simulated(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "Flaky",
        "States": {
            "Flaky": {
                "Type": "Task",
                "Resource": "arn:__PARTITION__:states:::lambda:invoke",
                "Parameters": {"FunctionName": "__ARN_FlakyFunction0F0F0F0F__", "Payload": {"failures": 2}},
                "OutputPath": "$.Payload",
                "Retry": [{"ErrorEquals": ["TransientError"], "IntervalSeconds": 600, "MaxAttempts": 3, "BackoffRate": 2}],
                "End": True,
            }
        },
    }
    arn = engine.deploy(pipeline_template(definition), assets_root=FIXTURES)

    result = engine.run(arn, {})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"attempts": 3, "context": "local-FlakyFunction0F0F0F0F"}
    failures = result.events("TaskFailed")
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == ["TransientError"] * 2
    # 600 s, then 1200 s of backoff, on the simulated clock.
    assert result.duration_s == pytest.approx(1800.0, abs=1.0)


# --- Lambda errors ----------------------------------------------------------------------


def test_validator_rejection_is_caught_by_its_exception_class_name(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    arn = _deploy(engine)

    result = engine.run(arn, pipeline_input(["parent-a"], reject=True))

    assert result.status == "FAILED"
    assert result.error == "WarmStartValidationError"  # from the Catch's Fail state
    cause = result.cause_json()  # the Lambda error payload, as on AWS
    assert cause["errorType"] == "WarmStartValidationError"
    assert set(cause) == {"errorMessage", "errorType", "requestId", "stackTrace"}
    assert any("raise WarmStartValidationError" in line for line in cause["stackTrace"])
    violations = json.loads(cause["errorMessage"])["violations"]
    assert violations[0]["code"] == "INVALID_REQUEST"
    assert _states(result)[-2:] == ["Validate", "ValidationFailed"]
    assert engine.sagemaker.jobs == ["parent-a"]  # nothing was created


def test_missing_parent_ends_in_parent_not_found(engine: LocalEngine) -> None:
    arn = _deploy(engine)

    result = engine.run(arn, pipeline_input(["no-such-job"]))

    assert (result.status, result.error) == ("FAILED", "ParentTuningJobNotFound")


# --- .sync -------------------------------------------------------------------------------


def test_failed_tuning_job_fails_the_task_with_states_task_failed(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    engine.sagemaker.plan("child-*", "Failed", after_seconds=900, failure_reason="AlgorithmError: boom")
    arn = _deploy(engine)

    result = engine.run(arn, pipeline_input(["parent-a"]))

    assert (result.status, result.error) == ("FAILED", "TuningJobFailed")
    task_failed = result.events("TaskFailed")[-1]["taskFailedEventDetails"]
    assert task_failed["error"] == "States.TaskFailed"
    assert task_failed["resource"] == "createHyperParameterTuningJob.sync"
    described = result.cause_json()  # the describe output is the cause
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"] == "AlgorithmError: boom"
    assert result.duration_s == pytest.approx(900.0, abs=1.0)


def test_stopping_the_execution_stops_the_tuning_job() -> None:
    # Real (scaled) time here: the job must still be running when the stop comes.
    with LocalEngine(time_scale=3600) as engine:
        engine.sagemaker.add_tuning_job("parent-a")
        engine.sagemaker.plan(None, "Completed", after_seconds=10 * 3600)
        arn = _deploy(engine)
        execution = engine.start_execution(arn, pipeline_input(["parent-a"]))
        deadline = time.monotonic() + 10
        while len(engine.sagemaker.jobs) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        child = next(name for name in engine.sagemaker.jobs if name.startswith("child-"))

        engine.stop(execution, error="Operator", cause="no longer needed")
        result = engine.wait(execution)

        assert result.status == "ABORTED"
        assert ("StopHyperParameterTuningJob", child) in engine.sagemaker.calls
        assert engine.sagemaker.describe(child)["HyperParameterTuningJobStatus"] == "Stopping"
        engine.clock.advance(120)
        described = engine.sagemaker.describe(child)
        assert described["HyperParameterTuningJobStatus"] == "Stopped"
        assert "HyperParameterTuningEndTime" in described
        aborted = result.events("ExecutionAborted")
        assert aborted and result.history[-1]["type"] == "ExecutionAborted"
        print([e["type"] for e in result.history[-6:]])


def test_task_timeout_is_simulated_and_stops_the_job(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    engine.sagemaker.plan(None, "Completed", after_seconds=2 * 3600)
    definition = pipeline_definition()
    definition["States"]["CreateTuningJob"]["TimeoutSeconds"] = 3600
    arn = engine.deploy(pipeline_template(definition), assets_root=FIXTURES)

    result = engine.run(arn, pipeline_input(["parent-a"]))

    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    child = next(name for name in engine.sagemaker.jobs if name.startswith("child-"))
    # The task's poller stops the job on its own thread, best effort, as on AWS.
    assert _eventually(lambda: ("StopHyperParameterTuningJob", child) in engine.sagemaker.calls)
    assert result.duration_s == pytest.approx(3600.0, abs=1.0)


def test_request_response_create_returns_the_arn(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    arn = _deploy(engine, sync=False)

    result = engine.run(arn, pipeline_input(["parent-a"]))

    assert result.status == "SUCCEEDED", result.cause
    created = result.output["tuningJob"]
    assert set(created) == {"HyperParameterTuningJobArn"}
    name = result.output["tuningJobName"]
    assert created["HyperParameterTuningJobArn"].endswith(f"hyper-parameter-tuning-job/{name}")
    assert engine.sagemaker.describe(name)["HyperParameterTuningJobStatus"] == "InProgress"


def test_duplicate_job_name_surfaces_as_sagemaker_error(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("taken")
    definition = {
        "StartAt": "Create",
        "States": {
            "Create": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createHyperParameterTuningJob.sync",
                "Parameters": {
                    "HyperParameterTuningJobName": "taken",
                    "HyperParameterTuningJobConfig.$": "$.request.HyperParameterTuningJobConfig",
                    "TrainingJobDefinition.$": "$.request.TrainingJobDefinition",
                },
                "End": True,
            }
        },
    }
    arn = engine.deploy_definition(definition)

    result = engine.run(arn, pipeline_input([]))

    assert (result.status, result.error) == ("FAILED", "SageMaker.ResourceInUseException")
    assert "Service: AmazonSageMaker; Status Code: 400; Error Code: ResourceInUse" in result.cause


# --- throttling ------------------------------------------------------------------------------


def test_injected_throttling_is_retried_by_the_state(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    engine.sagemaker.inject_throttling("DescribeHyperParameterTuningJob", times=2, job_name="parent-a")
    arn = _deploy(engine)

    result = engine.run(arn, pipeline_input(["parent-a"]))

    assert result.status == "SUCCEEDED", result.cause
    failures = [e["taskFailedEventDetails"] for e in result.events("TaskFailed")]
    assert [f["error"] for f in failures] == ["ClientError", "ClientError"]
    assert all("ThrottlingException" in f["cause"] for f in failures)
    # The poll step retried after 30 s, then 60 s.
    assert dict(result.states_entered)["Validate"] == pytest.approx(90.0)
    describes = [c for c in engine.sagemaker.calls if c == ("DescribeHyperParameterTuningJob", "parent-a")]
    assert len(describes) >= 4  # 2 throttled + poll + validator


# --- aws-sdk integrations ----------------------------------------------------------------------


def _aws_sdk_definition() -> dict:
    return {
        "StartAt": "Describe",
        "States": {
            "Describe": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeHyperParameterTuningJob",
                "Parameters": {"HyperParameterTuningJobName.$": "$.name"},
                "Retry": [{"ErrorEquals": ["SageMaker.SageMakerException"], "IntervalSeconds": 5, "MaxAttempts": 2}],
                "Catch": [
                    {
                        "ErrorEquals": ["SageMaker.ResourceNotFoundException"],
                        "ResultPath": "$.error",
                        "Next": "NotFound",
                    }
                ],
                "End": True,
            },
            "NotFound": {"Type": "Pass", "End": True},
        },
    }


def test_aws_sdk_output_with_datetimes_is_json_and_describable(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    arn = engine.deploy_definition(_aws_sdk_definition())

    result = engine.run(arn, {"name": "parent-a"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["HyperParameterTuningJobStatus"] == "Completed"
    assert result.output["CreationTime"].endswith("Z")  # ISO-8601, not a datetime
    described = engine.client("stepfunctions").describe_execution(executionArn=result.execution_arn)
    assert json.loads(described["output"])["HyperParameterTuningJobName"] == "parent-a"


def test_aws_sdk_error_names_are_spelled_as_on_aws(engine: LocalEngine) -> None:
    arn = engine.deploy_definition(_aws_sdk_definition())

    result = engine.run(arn, {"name": "missing"})

    assert result.status == "SUCCEEDED", result.cause
    assert result.output["error"]["Error"] == "SageMaker.ResourceNotFoundException"
    assert "Service: SageMaker" in result.output["error"]["Cause"]


def test_aws_sdk_throttling_error_name(engine: LocalEngine) -> None:
    engine.sagemaker.add_tuning_job("parent-a")
    engine.sagemaker.inject_throttling("DescribeHyperParameterTuningJob", times=1)
    arn = engine.deploy_definition(_aws_sdk_definition())

    result = engine.run(arn, {"name": "parent-a"})

    assert result.status == "SUCCEEDED", result.cause
    failed = result.events("TaskFailed")[0]["taskFailedEventDetails"]
    assert failed["error"] == "SageMaker.SageMakerException"
    assert result.duration_s == pytest.approx(5.0, abs=0.5)


# --- definitions the engine refuses ------------------------------------------------------------


def test_workflow_variables_are_refused_at_deploy(engine: LocalEngine) -> None:
    definition = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Assign": {"x.$": "$.a"}, "End": True}},
    }
    with pytest.raises(UnsupportedDefinitionError, match="Assign"):
        engine.deploy_definition(definition)



def test_a_lambda_the_engine_cannot_run_is_refused_at_deploy(engine: LocalEngine) -> None:
    template = pipeline_template(asset="no_such_asset")
    template["Resources"]["PollFunction1A2B3C4D"]["Properties"]["Handler"] = "poller.handle"
    with pytest.raises(TemplateError, match="PollFunction1A2B3C4D.*asset folder is missing"):
        engine.deploy(template, assets_root=FIXTURES)
    node = pipeline_template()
    node["Resources"]["PollFunction1A2B3C4D"]["Properties"]["Runtime"] = "nodejs20.x"
    with pytest.raises(TemplateError, match="only Python handlers run in-process"):
        engine.deploy(node, assets_root=FIXTURES)


def test_a_missing_asset_falls_back_to_the_packaged_validator(engine: LocalEngine) -> None:
    # cdk synth without asset metadata (or a deleted cdk.out): handler.* is found in the
    # package's own validator asset.
    arn = engine.deploy(pipeline_template(asset="no_such_asset"), assets_root=FIXTURES)
    function = engine.lambdas.get("local-ValidatorFunction5E6F7A8B")
    assert arn.endswith(":stateMachine:local-PipelineStateMachine9A8B7C6D")
    assert function is not None and function.asset_dir == validator_asset_dir()


def test_run_gives_up_after_its_real_time_budget() -> None:
    definition = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 86_400, "End": True}}}
    with LocalEngine(time_scale=1) as engine:
        arn = engine.deploy_definition(definition)
        with pytest.raises(ExecutionTimeout) as timeout:
            engine.run(arn, {}, timeout_s=0.2)
    assert timeout.value.result.status == "ABORTED"
    with pytest.raises(RuntimeError, match="runs once"):
        engine.start()
