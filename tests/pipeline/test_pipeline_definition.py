"""The example pipeline's state machine and IAM, asserted field by field (one synth)."""

from __future__ import annotations

from warm_start_tuning.validator.invoke import VALIDATOR_FAILURE_ERRORS

import pytest
from aws_cdk.assertions import Match, Template

from cdk_helpers import load_example_app, new_app, state_machine_definition


@pytest.fixture(scope="module")
def stack():
    example = load_example_app()
    app = new_app()
    return example.ImageClassifierTuningStack(
        app, "Example", bucket_name="example-ml-data", parent_job="imgcls-parent-1"
    )


@pytest.fixture(scope="module")
def template(stack) -> Template:
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def polling_states() -> dict:
    """The example's pipeline with wait_mode="polling": the poll loop's states."""
    from aws_cdk import Stack

    from warm_start_tuning import WarmStartTuningPipeline, WarmStartType

    example = load_example_app()
    stack = Stack(new_app(), "Polling")
    pipeline = WarmStartTuningPipeline(
        stack, "ImageClassifierTuning", warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        tuning_job_config=example.tuning_job_config(),
        training_job_definition=example.training_job_definition("example-ml-data", "arn:aws:iam::123456789012:role/r"),
        job_name_prefix="imgcls", parents=["imgcls-parent-1"], wait_mode="polling",
    )
    machine_id = stack.resolve(stack.get_logical_id(pipeline.state_machine.node.default_child))
    return state_machine_definition(Template.from_stack(stack), machine_id)["States"]


@pytest.fixture(scope="module")
def states(template) -> dict:
    return state_machine_definition(template, "ImageClassifierTuningStateMachine")["States"]


def test_state_order_lock_prepare_wait_validate_create_result_event(template):
    definition = state_machine_definition(template, "ImageClassifierTuningStateMachine")
    states = definition["States"]
    # The run lock (max_concurrent_runs=1 by default) comes first, then the run itself.
    assert definition["StartAt"] == "StartRunLock"
    assert states["StartRunLock"]["Next"] == "AcquireRunLock"
    assert states["RunAllowed"]["Next"] == "ReadRunInput"
    assert states["ReadRunInput"] == {
        "Type": "Pass",
        "Comment": "Keep the input, whatever its shape, for the prepare step to judge",
        "Parameters": {"input.$": "$"},
        "Next": "PrepareRun",
    }
    # The parent wait (wait_mode="events", the default): one task, whatever its length.
    assert states["PrepareRun"]["Next"] == "AwaitJobsTerminal"
    assert states["AwaitJobsTerminal"]["Next"] == "ValidateWarmStart"
    assert "PollParentJobs" not in states and "WaitBeforeNextPoll" not in states
    assert states["ValidateWarmStart"]["Next"] == "CreateTuningJob"
    # The .sync output is not read: the finished job is described, the output built from that.
    assert states["CreateTuningJob"]["Next"] == "DescribeTuningJob"
    assert states["DescribeTuningJob"]["Next"] == "HasOverallBestTrainingJob?"
    # The completion event (publish_completion_event=True by default) ends the run.
    assert states["ResultWithOverallBest"]["Next"] == "PublishCompletionEvent"
    assert states["Result"]["Next"] == "PublishCompletionEvent"
    assert states["PublishCompletionEvent"]["End"] is True


def test_prepare_passes_whole_input_defaults_and_settings(states):
    payload = states["PrepareRun"]["Parameters"]["Payload"]
    assert payload["action"] == "prepare"
    assert payload["input.$"] == "$.input"
    assert states["PrepareRun"]["ResultSelector"]["selection.$"] == "$.Payload.selection"
    assert payload["defaults"] == {"parents": ["imgcls-parent-1"], "warmStartType": "IdenticalDataAndAlgorithm"}
    assert payload["settings"] == {"jobNamePrefix": "imgcls", "trainingJobLimit": 500, "failedParentPolicy": "reject"}
    assert payload["request"]["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"] == {
        "Type": "Maximize",
        "MetricName": "validation:accuracy",
    }
    assert states["PrepareRun"]["ResultPath"] == "$.run"


def test_the_event_wait_registers_its_token_and_ends_in_the_named_errors(states):
    wait = states["AwaitJobsTerminal"]
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    payload = wait["Parameters"]["Payload"]
    assert payload["action"] == "registerWait" and payload["token.$"] == "$$.Task.Token"
    assert payload["jobs.$"] == "$.run.parents" and payload["executionArn.$"] == "$$.Execution.Id"
    assert payload["timeoutSeconds"] == 7 * 86400
    assert payload["errors"] == {"notFound": "ParentTuningJobNotFound", "timeout": "ParentWaitTimeout"}
    # The sweep ends an overdue wait; Step Functions' own timeout is the backstop, 2 sweeps later.
    assert wait["TimeoutSeconds"] == 7 * 86400 + 2 * 300 + 600
    catches = {c["Next"]: c["ErrorEquals"] for c in wait["Catch"]}
    assert catches["ParentTuningJobNotFound"] == ["ParentTuningJobNotFound"]
    assert catches["ParentWaitTimeout"] == ["ParentWaitTimeout", "States.Timeout"]
    assert catches["InvalidTuningJobList"] == ["WarmStartValidationError"]
    assert catches["AwaitJobsTerminalFailed"] == VALIDATOR_FAILURE_ERRORS
    assert states["ParentWaitTimeout"] == {"Type": "Fail", "Error": "ParentWaitTimeout", "CausePath": "$.error.Cause"}


def test_poll_describes_all_parents_in_one_call_with_backoff_settings(polling_states):
    states = polling_states
    poll = states["PollParentJobs"]
    assert poll["Resource"].endswith(":states:::lambda:invoke")
    payload = poll["Parameters"]["Payload"]
    assert payload["action"] == "poll"
    assert payload["jobs.$"] == "$.run.parents"
    assert payload["settings"] == {
        "initialIntervalSeconds": 60,
        "maxIntervalSeconds": 1800,
        "backoffRate": 2.0,
        "timeoutSeconds": 7 * 86400,
    }
    assert states["WaitBeforeNextPoll"]["SecondsPath"] == "$.parentWait.nextWaitSeconds"


def test_lambda_steps_retry_throttling_and_lambda_errors(states, polling_states):
    for name, state in [(n, states[n]) for n in ("PrepareRun", "ValidateWarmStart")] + [
            ("PollParentJobs", polling_states["PollParentJobs"])]:
        states = {name: state}
        (retry,) = states[name]["Retry"]
        assert "ClientError" in retry["ErrorEquals"], name
        assert "Lambda.TooManyRequestsException" in retry["ErrorEquals"], name
        # AWS's best-practice list of transient Lambda service errors, all of them.
        for error in (
            "Lambda.ServiceException",
            "Lambda.AWSLambdaException",
            "Lambda.SdkClientException",
            "Lambda.ClientExecutionTimeoutException",
        ):
            assert error in retry["ErrorEquals"], (name, error)
        assert not {"Sandbox.Timedout", "Runtime.ExitError", "Lambda.Unknown"} & set(retry["ErrorEquals"]), name
        assert retry["BackoffRate"] == 2 and retry["MaxAttempts"] == 5, name


def test_choice_routes_missing_timeout_and_terminal(polling_states):
    states = polling_states
    choices = states["AllParentJobsTerminal?"]["Choices"]
    assert choices[0] == {"Variable": "$.parentWait.missing[0]", "IsPresent": True, "Next": "ParentTuningJobNotFound"}
    assert choices[1] == {"Variable": "$.parentWait.allTerminal", "BooleanEquals": True, "Next": "ParentJobsTerminal"}
    assert choices[2] == {"Variable": "$.parentWait.timedOut", "BooleanEquals": True, "Next": "ParentWaitTimeout"}
    assert states["AllParentJobsTerminal?"]["Default"] == "WaitBeforeNextPoll"


def test_fail_states_carry_design_error_names(states):
    fails = {name: state for name, state in states.items() if state["Type"] == "Fail"}
    assert {state["Error"] for state in fails.values()} == {
        "WarmStartValidationError",
        "ParentTuningJobNotFound",
        "ParentWaitTimeout",
        "TuningJobFailed",
        "TuningJobNameConflict",
        "TuningJobNotCreated",
        "ValidatorFailed",
    }
    assert all("CausePath" in state for state in fails.values())


def test_validation_errors_are_caught_into_fail_states(states):
    (catch, failed) = states["ValidateWarmStart"]["Catch"]
    assert catch == {"ErrorEquals": ["WarmStartValidationError"], "ResultPath": "$.error", "Next": "WarmStartValidationError"}
    assert failed == {"ErrorEquals": VALIDATOR_FAILURE_ERRORS, "ResultPath": "$.error", "Next": "ValidateWarmStartFailed"}
    assert states["ValidateWarmStartFailed"] == {"Type": "Fail", "Error": "ValidatorFailed", "CausePath": "$.error.Cause"}
    # The input's rejection (and any failure of the prepare step) replaces the state: beside
    # an input near 256 KiB it would not fit.
    (catch, failed) = states["PrepareRun"]["Catch"]
    assert catch == {"ErrorEquals": ["WarmStartValidationError"], "ResultPath": "$", "Next": "InvalidRunInput"}
    assert failed == {"ErrorEquals": VALIDATOR_FAILURE_ERRORS, "ResultPath": "$", "Next": "PrepareRunFailed"}
    assert states["InvalidRunInput"]["CausePath"] == "$.Cause"
    assert states["PrepareRunFailed"] == {"Type": "Fail", "Error": "ValidatorFailed", "CausePath": "$.Cause"}
    for name in ("Sandbox.Timedout", "Runtime.ExitError", "Lambda.Unknown", "Lambda.ClientExecutionTimeoutException"):
        assert name in VALIDATOR_FAILURE_ERRORS


def test_validate_gets_the_run_key_and_defaulted_run(states):
    payload = states["ValidateWarmStart"]["Parameters"]["Payload"]
    # The run key (the execution name, or a trigger event's identity) seeds the job name.
    assert payload["executionName.$"] == "$.run.runKey"
    assert payload["runKey.$"] == "$.run.runKey"
    assert states["PrepareRun"]["Parameters"]["Payload"]["executionName.$"] == "$$.Execution.Name"
    assert payload["parents.$"] == "$.run.parents"
    assert payload["warmStartType.$"] == "$.run.warmStartType"
    assert payload["overrides.$"] == "$.run.overrides"
    assert states["ValidateWarmStart"]["ResultSelector"] == {
        "request.$": "$.Payload.request",
        "report.$": "$.Payload.report",
    }


def test_create_runs_sync_with_the_planned_request_and_catches_failure(states):
    create = states["CreateTuningJob"]
    assert create["Resource"].endswith(":states:::sagemaker:createHyperParameterTuningJob.sync")
    assert create["Parameters"] == {
        "HyperParameterTuningJobName.$": "$.validation.request.HyperParameterTuningJobName",
        "HyperParameterTuningJobConfig.$": "$.validation.request.HyperParameterTuningJobConfig",
        "TrainingJobDefinition.$": "$.validation.request.TrainingJobDefinition",
        "WarmStartConfig.$": "$.validation.request.WarmStartConfig",
        "Tags.$": "$.validation.request.Tags",
    }
    assert "ResultPath" in create and create["ResultPath"] is None  # discarded: the Describe reads the job
    already_exists, limit, anything_else = create["Catch"]
    assert already_exists == {
        "ErrorEquals": ["SageMaker.ResourceInUseException", "SageMaker.AmazonSageMakerException"],
        "ResultPath": "$.error",
        "Next": "JobAlreadyExists?",
    }
    # A refused create call is not a failed job: no job ran.
    assert limit == {
        "ErrorEquals": ["SageMaker.ResourceLimitExceededException"],
        "ResultPath": "$.error",
        "Next": "TuningJobNotCreated",
    }
    assert anything_else == {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TuningJobFailed"}
    (retry,) = create["Retry"]
    assert retry["ErrorEquals"] == ["SageMaker.AmazonSageMakerException"] and retry["MaxAttempts"] == 2


def test_a_job_that_already_exists_is_waited_for_not_created_again(states):
    choice = states["JobAlreadyExists?"]
    assert choice["Choices"] == [
        {"Variable": "$.error.Cause", "StringMatches": "*already exists*", "Next": "CheckJobOwner"}
    ]
    # SageMaker refused the create call for another reason: its message is the cause.
    assert choice["Default"] == "TuningJobNotCreated"
    assert states["TuningJobNotCreated"] == {"Type": "Fail", "Error": "TuningJobNotCreated", "CausePath": "$.error.Cause"}
    # Only this run's own job is attached to (its run-key tag); any other is a conflict.
    owner = states["CheckJobOwner"]
    assert owner["Parameters"]["Payload"] == {
        "action": "checkOwner",
        "jobName.$": "$.validation.request.HyperParameterTuningJobName",
        "runKey.$": "$.run.runKey",
    }
    assert states["OwnJob?"]["Choices"] == [{"Variable": "$.owner.owned", "BooleanEquals": True, "Next": "ExistingJobName"}]
    assert states["OwnJob?"]["Default"] == "TuningJobNameConflict"
    conflict = states["TuningJobNameConflict"]
    assert conflict["Type"] == "Fail" and conflict["Error"] == "TuningJobNameConflict"
    assert "nothing of it is reported" in conflict["CausePath"]
    assert states["ExistingJobName"]["Parameters"] == {
        "jobs.$": "States.Array($.validation.request.HyperParameterTuningJobName)"
    }
    # The same wait as the parents', on the job's name: no second poll loop.
    assert states["ExistingJobName"]["Next"] == "ExistingJob: AwaitJobsTerminal"
    payload = states["ExistingJob: AwaitJobsTerminal"]["Parameters"]["Payload"]
    assert payload["jobs.$"] == "$.existingJob.jobs"
    assert payload["errors"] == {"notFound": "TuningJobFailed", "timeout": "TuningJobFailed"}
    assert states["ExistingJob: TuningJobFailed"]["Error"] == "TuningJobFailed"
    assert states["ExistingJob: AwaitJobsTerminal"]["Next"] == "DescribeExistingJob"
    assert states["DescribeExistingJob"]["Resource"].endswith(":states:::aws-sdk:sagemaker:describeHyperParameterTuningJob")
    assert states["ExistingJobCompleted?"]["Choices"][0]["Next"] == "HasOverallBestTrainingJob?"
    assert states["ExistingJobNotCompleted"]["Error"] == "TuningJobFailed"


def test_the_finished_job_is_described_with_the_aws_sdk_integration(states):
    describe = states["DescribeTuningJob"]
    assert describe["Resource"].endswith(":states:::aws-sdk:sagemaker:describeHyperParameterTuningJob")
    assert describe["Parameters"] == {
        "HyperParameterTuningJobName.$": "$.validation.request.HyperParameterTuningJobName"
    }
    assert describe["ResultPath"] == "$.tuningJob"
    assert describe["Retry"][0]["ErrorEquals"] == ["SageMaker.ThrottlingException", "SageMaker.SageMakerException"]
    assert describe["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "TuningJobFailed"}]


def test_output_fields_match_design(states):
    expected = {
        "tuningJobName.$", "tuningJobArn.$", "status.$", "bestTrainingJob.$", "overallBestTrainingJob.$",
        "parents.$", "warmStartType.$", "validation.$", "selection.$",
    }
    assert set(states["ResultWithOverallBest"]["Parameters"]) == expected
    assert set(states["Result"]["Parameters"]) == expected
    assert states["Result"]["Parameters"]["overallBestTrainingJob.$"] == "States.StringToJson('null')"
    assert states["ResultWithOverallBest"]["Parameters"]["overallBestTrainingJob.$"] == "$.tuningJob.OverallBestTrainingJob"


def test_state_machine_logs_all_to_its_own_group_and_traces(template):
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": True,
                "Destinations": [
                    {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": [Match.string_like_regexp("ImageClassifierTuningStateMachineLogs"), "Arn"]}}}
                ],
            },
        },
    )
    template.has_resource("AWS::Logs::LogGroup", {"DeletionPolicy": "Retain", "Properties": {"RetentionInDays": 365}})


def test_alarms_on_failed_and_timed_out_executions(template):
    for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"MetricName": metric, "Namespace": "AWS/States", "Threshold": 1, "Statistic": "Sum"},
        )


def test_one_validator_lambda_with_least_privilege(template):
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Handler": "handler.lambda_handler", "TracingConfig": {"Mode": "Active"}, "Architectures": ["arm64"]},
    )
    policies = template.find_resources("AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("WarmStartValidatorRole")}]}})
    # The role's own policy, the run cleanup's (DescribeExecution of the pipeline's
    # executions: its own policy, so that the function does not depend on the state
    # machine) and the event waits' (SendTask*).
    assert len(policies) == 3
    actions = sorted(
        action
        for policy in policies.values()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert actions == [
        "dynamodb:DeleteItem",  # the run table only: leases and planned jobs
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sagemaker:DescribeHyperParameterTuningJob",  # its own jobs, imgcls-*
        "sagemaker:DescribeHyperParameterTuningJob",  # parents: any (no allowed_parent_prefixes)
        "sagemaker:ListHyperParameterTuningJobs",  # automatic parent selection (prepare)
        "sagemaker:ListTags",  # job ownership, its own jobs only
        "sagemaker:StopHyperParameterTuningJob",  # an ended run's own jobs, imgcls-*
        "states:DescribeExecution",  # whether a lease's holder still runs
        "states:SendTaskFailure",  # event waits: no resource-level permission exists ("*")
        "states:SendTaskHeartbeat",
        "states:SendTaskSuccess",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
    ]


def test_state_machine_role_scoped_to_prefix_and_passes_role_only_to_sagemaker(template):
    policies = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("ImageClassifierTuningStateMachineRole")}]}}
    )
    (policy,) = policies.values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action = {}
    for statement in statements:
        for action in [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]:
            by_action[action] = statement
    create = by_action["sagemaker:CreateHyperParameterTuningJob"]
    assert "hyper-parameter-tuning-job/imgcls-*" in str(create["Resource"])
    assert "sagemaker:StopHyperParameterTuningJob" in by_action
    pass_role = by_action["iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert "SageMakerRole" in str(pass_role["Resource"])
    assert "rule/StepFunctionsGetEventsForSageMakerTuningJobsRule" in str(by_action["events:PutRule"]["Resource"])
    assert "lambda:InvokeFunction" in by_action
