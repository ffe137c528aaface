"""Prop errors of WarmStartTuningPipeline and WarmStartTuning, at construction (no synth).

Every static problem the rule engine can see reaches the user as one ValueError that
names the rule code; conflicts between props are in the same error.
"""

from __future__ import annotations

import pytest
from aws_cdk import CfnParameter, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from cdk_helpers import load_example_app, new_app
from warm_start_tuning import WarmStartTuning, WarmStartTuningPipeline, WarmStartType

ROLE_ARN = "arn:aws:iam::123456789012:role/imgcls-training"
OTHER_ROLE_ARN = "arn:aws:iam::123456789012:role/someone-else"
EXAMPLE = load_example_app()


@pytest.fixture
def stack() -> Stack:
    """A fresh stack per test: a refused construct stays in its scope."""
    return Stack(new_app(), "PropsTest")


def config(**limits) -> dict:
    return EXAMPLE.tuning_job_config(**limits)


def definition(bucket: str = "example-ml-data", role_arn: str | None = ROLE_ARN) -> dict:
    result = EXAMPLE.training_job_definition(bucket, role_arn)
    if role_arn is None:
        del result["RoleArn"]
    return result


def props(**overrides) -> dict:
    base = {
        "warm_start_type": WarmStartType.TRANSFER_LEARNING,
        "tuning_job_config": config(),
        "training_job_definition": definition(),
        "job_name_prefix": "imgcls",
    }
    return {**base, **overrides}


def pipeline_error(stack: Stack, **overrides) -> str:
    with pytest.raises(ValueError) as error:
        WarmStartTuningPipeline(stack, "Pipeline", **props(**overrides))
    message = str(error.value)
    assert message.startswith("WarmStartTuningPipeline: invalid props:\n  - ")
    return message


def problems_of(message: str) -> list[str]:
    """The listed problems, one per line."""
    return message.split("\n  - ")[1:]


def test_the_base_props_are_accepted(stack):
    WarmStartTuningPipeline(stack, "Pipeline", **props())


# --- rule-engine findings, one test each ---------------------------------------------------


def test_range_min_above_max(stack):
    tuning = config()
    tuning["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] = "0.5"
    message = pipeline_error(stack, tuning_job_config=tuning)
    assert problems_of(message) == [
        "[INVALID_REQUEST] HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0]: "
        "MinValue 0.5 > MaxValue 0.1"
    ]


def test_logarithmic_scaling_with_min_not_above_zero(stack):
    tuning = config()
    tuning["ParameterRanges"]["ContinuousParameterRanges"][0]["ScalingType"] = "Logarithmic"
    message = pipeline_error(stack, tuning_job_config=tuning)
    assert "[INVALID_REQUEST]" in message
    assert "Logarithmic scaling needs MinValue > 0, got 0.0" in message


def test_duplicated_categorical_values(stack):
    tuning = config()
    tuning["ParameterRanges"]["CategoricalParameterRanges"] = [{"Name": "lr_scheduler", "Values": ["step", "step"]}]
    message = pipeline_error(stack, tuning_job_config=tuning)
    assert "[INVALID_REQUEST] HyperParameterTuningJobConfig.ParameterRanges.CategoricalParameterRanges[0]" in message
    assert "duplicate value 'step'" in message


def test_max_parallel_above_max_number(stack):
    message = pipeline_error(stack, tuning_job_config=config(max_jobs=4, max_parallel_jobs=8))
    assert "[INVALID_REQUEST] HyperParameterTuningJobConfig.ResourceLimits.MaxParallelTrainingJobs: 8 > " \
           "MaxNumberOfTrainingJobs 4" in message


def _grid(**limits) -> dict:
    tuning = config()
    tuning["Strategy"] = "Grid"
    tuning["ResourceLimits"] = {"MaxParallelTrainingJobs": 2, **limits}
    tuning["ParameterRanges"] = {
        "CategoricalParameterRanges": [
            {"Name": "learning_rate", "Values": ["0.01", "0.05"]},
            {"Name": "momentum", "Values": ["0.8", "0.9"]},
        ]
    }
    return tuning


def test_grid_without_max_training_jobs_synthesizes(stack):
    WarmStartTuningPipeline(stack, "Pipeline", **props(tuning_job_config=_grid()))


def test_grid_with_a_continuous_range_fails_synth(stack):
    tuning = _grid(MaxNumberOfTrainingJobs=4)
    tuning["ParameterRanges"]["ContinuousParameterRanges"] = [{"Name": "wd", "MinValue": "0", "MaxValue": "1"}]
    training = definition()
    message = pipeline_error(stack, tuning_job_config=tuning, training_job_definition=training)
    assert "Grid search takes only categorical ranges; got Continuous ranges" in message


def test_grid_with_another_max_training_jobs_fails_synth(stack):
    message = pipeline_error(stack, tuning_job_config=_grid(MaxNumberOfTrainingJobs=10))
    assert "Grid search launches one training job per combination of the categorical values (4)" in message


def test_thirty_one_tunable_hyperparameters_fail_synth_and_thirty_pass(stack):
    def tuning(count: int) -> dict:
        result = config()
        result["ParameterRanges"] = {
            "IntegerParameterRanges": [{"Name": f"h{i}", "MinValue": "1", "MaxValue": "9"} for i in range(count)]
        }
        return result

    message = pipeline_error(stack, tuning_job_config=tuning(31))
    assert "31 tunable hyperparameters; SageMaker searches at most 30" in message
    WarmStartTuningPipeline(Stack(new_app(), "Thirty"), "Pipeline", **props(tuning_job_config=tuning(30)))


def test_more_user_tags_than_fit_beside_the_library_and_step_functions_fail_synth(stack):
    # 50 per job: 2 of Step Functions, 2 of the library (execution and run-key tags).
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(47)]
    message = pipeline_error(stack, tags=tags)
    assert "Tags: 47 tags; at most 46 fit" in message
    WarmStartTuningPipeline(Stack(new_app(), "Fits"), "Pipeline", **props(tags=tags[:46]))


def test_hyperparameter_both_static_and_tunable(stack):
    training = definition()
    training["StaticHyperParameters"]["learning_rate"] = "0.01"
    message = pipeline_error(stack, training_job_definition=training)
    assert "[INVALID_REQUEST] TrainingJobDefinition.StaticHyperParameters.learning_rate" in message
    assert "'learning_rate' is also tunable" in message


def test_missing_objective(stack):
    tuning = config()
    del tuning["HyperParameterTuningJobObjective"]
    message = pipeline_error(stack, tuning_job_config=tuning)
    assert "[INVALID_REQUEST] HyperParameterTuningJobConfig.HyperParameterTuningJobObjective: missing" in message


def test_six_default_parents(stack):
    message = pipeline_error(stack, parents=[f"imgcls-parent-{i}" for i in range(1, 7)])
    assert problems_of(message) == ["[PARENT_COUNT] parents: expected 1 to 5 parent tuning jobs, got 6"]


def test_duplicated_default_parents(stack):
    message = pipeline_error(stack, parents=["imgcls-parent-1", "imgcls-parent-1"])
    assert "[PARENT_COUNT] parents: 'imgcls-parent-1' is listed 2 times" in message


def test_training_job_limit_with_the_default_limit(stack):
    message = pipeline_error(stack, tuning_job_config=config(max_jobs=600))
    assert "[TRAINING_JOB_LIMIT] MaxNumberOfTrainingJobs 600 > training-job limit 500" in message


def test_training_job_limit_raised_to_the_current_quota_accepts_600(stack):
    WarmStartTuningPipeline(stack, "Pipeline", **props(tuning_job_config=config(max_jobs=600), training_job_limit=750))


@pytest.mark.parametrize("value", ["IDENTICAL_DATA_AND_ALGORITHM", "identicaldataandalgorithm", "", None])
def test_bad_warm_start_type(stack, value):
    message = pipeline_error(stack, warm_start_type=value)
    assert "[INVALID_REQUEST] WarmStartConfig.WarmStartType: expected IdenticalDataAndAlgorithm or TransferLearning" in message


def test_warm_start_type_as_sdk_spelling_gets_a_hint(stack):
    message = pipeline_error(stack, warm_start_type="TRANSFER_LEARNING")
    assert "the SageMaker Python SDK's TRANSFER_LEARNING is TransferLearning in the API" in message


@pytest.mark.parametrize(
    "prefix,expected",
    [
        ("ImgCls", "expected lowercase letters, digits and inner hyphens"),
        ("i" * 19, "expected 1 to 18 characters, got 19"),
        ("", "expected 1 to 18 characters, got 0"),
        ("imgcls-", "expected lowercase letters, digits and inner hyphens"),
    ],
    ids=["uppercase", "too long", "empty", "trailing hyphen"],
)
def test_bad_job_name_prefix(stack, prefix, expected):
    message = pipeline_error(stack, job_name_prefix=prefix)
    assert f"[INVALID_REQUEST] jobNamePrefix: {expected}" in message


def test_longest_job_name_prefix_is_accepted(stack):
    WarmStartTuningPipeline(stack, "Pipeline", **props(job_name_prefix="i" * 18))


def test_bad_construct_settings(stack):
    message = pipeline_error(stack, training_job_limit=0, failed_parent_policy="ignore")
    assert problems_of(message) == [
        "training_job_limit must be an int >= 1 (default 500), got 0",
        "failed_parent_policy must be one of ('reject', 'warn'), got 'ignore'",
    ]


def test_bad_parent_wait_settings_and_budget(stack):
    message = pipeline_error(stack, parent_poll_backoff_rate=0.5, wait_mode="polling")
    assert "backoff_rate must be a finite number >= 1, got number 0.5" in message
    # The poll schedule given to an event wait is a mistake, said so.
    message = pipeline_error(Stack(new_app(), "Events"), parent_poll_max_interval=Duration.minutes(5))
    assert "conflicting props: parent_poll_max_interval configure wait_mode='polling'" in message
    message = pipeline_error(
        Stack(new_app(), "Budget"), parent_wait_timeout=Duration.days(30), parent_poll_max_interval=Duration.minutes(1),
        wait_mode="polling",
    )
    assert "lower parent_wait_timeout to at most" in message
    assert "raise parent_poll_max_interval to at least" in message


def test_several_rule_problems_in_one_error(stack):
    tuning = config(max_jobs=4, max_parallel_jobs=8)
    tuning["ParameterRanges"]["ContinuousParameterRanges"][1]["MinValue"] = "2"
    message = pipeline_error(
        stack,
        tuning_job_config=tuning,
        parents=["imgcls-parent-1"] * 6,
        warm_start_type="Identical",
        job_name_prefix="ImgCls",
    )
    problems = problems_of(message)
    assert len(problems) == 6, message
    assert [problem.split("]")[0] + "]" for problem in problems] == [
        "[INVALID_REQUEST]",  # MaxParallel > MaxNumber
        "[INVALID_REQUEST]",  # momentum min > max
        "[INVALID_REQUEST]",  # warm-start type
        "[PARENT_COUNT]",  # six
        "[PARENT_COUNT]",  # the same one six times
        "[INVALID_REQUEST]",  # prefix
    ]


# --- conflicts ------------------------------------------------------------------------------


def test_existing_log_group_and_log_group_props(stack):
    message = pipeline_error(
        stack,
        existing_log_group=logs.LogGroup(stack, "Logs"),
        log_group_props={"retention": logs.RetentionDays.ONE_MONTH},
    )
    assert problems_of(message) == ["conflicting props: give existing_log_group or log_group_props, not both"]


def test_existing_topic_and_create_topic(stack):
    message = pipeline_error(stack, existing_notification_topic=sns.Topic(stack, "Topic"), create_notification_topic=True)
    assert problems_of(message) == [
        "conflicting props: give existing_notification_topic or create_notification_topic=True, not both"
    ]


def test_sagemaker_role_and_a_different_role_arn(stack):
    role = iam.Role.from_role_arn(stack, "Role", OTHER_ROLE_ARN)
    message = pipeline_error(stack, sagemaker_role=role)
    assert problems_of(message) == [
        "sagemaker_role and training_job_definition['RoleArn'] name different roles: give one of them"
    ]


def test_neither_sagemaker_role_nor_role_arn(stack):
    message = pipeline_error(stack, training_job_definition=definition(role_arn=None))
    # Reported once, as the missing prop, not again as a missing RoleArn of the request.
    assert problems_of(message) == [
        "give sagemaker_role or training_job_definition['RoleArn'] (the role SageMaker runs as)"
    ]


def test_the_same_role_twice_is_no_conflict(stack):
    role = iam.Role.from_role_arn(stack, "Role", ROLE_ARN)
    WarmStartTuningPipeline(stack, "Pipeline", **props(sagemaker_role=role))


def test_conflicts_and_rule_findings_in_one_error(stack):
    tuning = config()
    tuning["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] = "0.5"
    message = pipeline_error(
        stack,
        tuning_job_config=tuning,
        existing_log_group=logs.LogGroup(stack, "Logs"),
        log_group_props={},
        existing_notification_topic=sns.Topic(stack, "Topic"),
        create_notification_topic=True,
        sagemaker_role=iam.Role.from_role_arn(stack, "Role", OTHER_ROLE_ARN),
        parents=["imgcls-parent-1", "imgcls-parent-1"],
    )
    problems = problems_of(message)
    assert len(problems) == 5, message
    assert problems[0].startswith("conflicting props: give existing_log_group")
    assert problems[1].startswith("conflicting props: give existing_notification_topic")
    assert problems[2].startswith("sagemaker_role and training_job_definition['RoleArn'] name different roles")
    assert problems[3].startswith("[INVALID_REQUEST] HyperParameterTuningJobConfig.ParameterRanges")
    assert problems[4].startswith("[PARENT_COUNT]")


def test_fragment_reports_role_problems_and_rule_findings_in_one_error(stack):
    tuning = config(max_jobs=600)
    with pytest.raises(ValueError) as error:
        WarmStartTuning(
            stack,
            "Fragment",
            warm_start_type="TransferLearning",
            tuning_job_config=tuning,
            training_job_definition=definition(role_arn=None),
            job_name_prefix="imgcls",
        )
    assert problems_of(str(error.value)) == [
        "give sagemaker_role or training_job_definition['RoleArn'] (the role SageMaker runs as)",
        "[TRAINING_JOB_LIMIT] MaxNumberOfTrainingJobs 600 > training-job limit 500 even before the parents' "
        "training jobs are counted",
    ]
    assert str(error.value).startswith("WarmStartTuning: invalid props:")


# --- tokens ---------------------------------------------------------------------------------


def test_role_and_bucket_tokens_in_the_request_are_accepted(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    bucket = s3.Bucket(stack, "Data")
    WarmStartTuningPipeline(
        stack,
        "Pipeline",
        **props(training_job_definition=definition(bucket.bucket_name, role.role_arn), sagemaker_role=role),
    )


def test_a_role_token_alone_is_accepted(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    WarmStartTuningPipeline(stack, "Pipeline", **props(training_job_definition=definition(role_arn=role.role_arn)))


def test_a_number_token_is_judged_by_no_stand_in_value(stack):
    # A deploy-time MaxNumberOfTrainingJobs may be anything: neither "MaxParallel >
    # MaxNumber" (as if it were small) nor the training-job limit (as if it were large).
    tuning = config(max_parallel_jobs=8)
    tuning["ResourceLimits"]["MaxNumberOfTrainingJobs"] = CfnParameter(stack, "MaxJobs", type="Number").value_as_number
    WarmStartTuningPipeline(stack, "Pipeline", **props(tuning_job_config=tuning))


def test_a_token_does_not_hide_the_problems_of_literal_fields(stack):
    bucket = s3.Bucket(stack, "Data")
    tuning = config()
    tuning["ParameterRanges"]["ContinuousParameterRanges"][0]["MinValue"] = "0.5"
    tuning["ResourceLimits"]["MaxParallelTrainingJobs"] = CfnParameter(stack, "Parallel", type="Number").value_as_number
    message = pipeline_error(stack, tuning_job_config=tuning, training_job_definition=definition(bucket.bucket_name))
    assert problems_of(message) == [
        "[INVALID_REQUEST] HyperParameterTuningJobConfig.ParameterRanges.ContinuousParameterRanges[0]: "
        "MinValue 0.5 > MaxValue 0.1"
    ]


def test_token_parents_are_accepted(stack):
    parents = [CfnParameter(stack, f"Parent{i}").value_as_string for i in range(2)]
    WarmStartTuningPipeline(stack, "Pipeline", **props(parents=parents))


def test_token_parents_are_still_counted(stack):
    parents = [CfnParameter(stack, f"Parent{i}").value_as_string for i in range(6)]
    message = pipeline_error(stack, parents=parents)
    assert problems_of(message) == ["[PARENT_COUNT] parents: expected 1 to 5 parent tuning jobs, got 6"]


def test_a_literal_duplicate_is_found_among_token_parents(stack):
    parent = CfnParameter(stack, "Parent").value_as_string
    message = pipeline_error(stack, parents=["imgcls-parent-1", parent, "imgcls-parent-1"])
    assert problems_of(message) == ["[PARENT_COUNT] parents: 'imgcls-parent-1' is listed 2 times; list each parent once"]
