"""Step Functions task for SageMaker CreateHyperParameterTuningJob.

aws-cdk-lib has no such task. This one is modelled on its ``SageMakerCreateTrainingJob``
(same integration patterns, same IAM shape), but it takes the raw boto3-shaped request
parameters, so a request that works with ``create_hyper_parameter_tuning_job`` can be
pasted as is.

Why ``sfn.CustomState`` and not ``sfn.TaskStateBase``: the task base class renders its
state through ``_renderTask``, which jsii does not let Python override. ``CustomState``
renders the state JSON we give it, so this module renders the ASL itself (Parameters,
paths, timeout) and registers its IAM statements with the state graph from
``whenBoundToGraph``, the same hook ``TaskStateBase`` uses.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union

from aws_cdk import Aws, Duration, IResolvable, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..rules import DOCUMENTED_TUNING_PARAMETERS, STEP_FUNCTIONS_SYNC_TAGS, undocumented_tuning_parameter
from . import _api_model

__all__ = [
    "DOCUMENTED_PARAMETERS",
    "SageMakerCreateHyperParameterTuningJob",
    "SUPPORTED_INTEGRATION_PATTERNS",
    "TUNING_JOB_EVENTS_RULE_NAME",
    "undocumented_parameter_problem",
]

#: Integration patterns the Step Functions SageMaker integration offers for this API.
#: ``.waitForTaskToken`` is not one of them (SageMaker never calls SendTaskSuccess).
SUPPORTED_INTEGRATION_PATTERNS: tuple[sfn.IntegrationPattern, ...] = (
    sfn.IntegrationPattern.REQUEST_RESPONSE,
    sfn.IntegrationPattern.RUN_JOB,
)

#: Managed EventBridge rule that Step Functions creates and listens on for ``.sync``.
TUNING_JOB_EVENTS_RULE_NAME = "StepFunctionsGetEventsForSageMakerTuningJobsRule"

#: The parameters the Step Functions optimized integration documents for
#: CreateHyperParameterTuningJob (Step Functions developer guide, "Create and manage
#: Amazon SageMaker AI jobs with Step Functions", supported APIs and parameters). The
#: integration carries only these: a field it does not know fails the state with
#: ``States.Runtime``, which no Catch (not even ``States.ALL``) sees. SageMaker's own API
#: has more (``TrainingJobDefinitions``, ``Autotune``): they cannot go through this task.
DOCUMENTED_PARAMETERS: tuple[str, ...] = DOCUMENTED_TUNING_PARAMETERS


def undocumented_parameter_problem(parameter: str) -> str:
    """Why ``parameter`` cannot be sent through the optimized integration."""
    return undocumented_tuning_parameter(parameter)


_API_ACTION = "createHyperParameterTuningJob"
_SAGEMAKER_SERVICE_PRINCIPAL = "sagemaker.amazonaws.com"

# A prefix is the start of a job name, so it follows the job-name alphabet; lowercase only
# because SageMaker writes job ARNs with the name lowercased and IAM compares ARNs
# case-sensitively: a capital in the prefix would make every statement match nothing.
_PREFIX_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]*")

DictOrJsonPath = Union[Mapping[str, Any], str, IResolvable]


def is_dynamic(value: Any) -> bool:
    """True when a string is only known at run time or deploy time.

    Tokens (CloudFormation references, ``sfn.JsonPath.string_at(...)``), JsonPath strings
    (``$.x``, ``$$.Execution.Name``) and intrinsic functions (``States.Format(...)``) are
    not validated at synth time.
    """
    return isinstance(value, str) and (
        Token.is_unresolved(value) or value.startswith("$") or value.startswith("States.")
    )


def _plain_json_path(value: Any) -> bool:
    # A JsonPath or intrinsic written as a plain string: CDK leaves it literal, so it is
    # rendered here as "Field.$". Tokens are left to sfn.FieldUtils.render_object.
    return isinstance(value, str) and not Token.is_unresolved(value) and is_dynamic(value)


def _is_token(value: Any) -> bool:
    """Token.is_unresolved for a value of any type (jsii cannot pass arbitrary objects)."""
    try:
        return bool(Token.is_unresolved(value))
    except Exception:  # a plain Python object that jsii cannot pass: not a token
        return False


def _type_name(value: Any) -> str:
    return type(value).__name__


class SageMakerCreateHyperParameterTuningJob(sfn.CustomState):
    """Start a SageMaker hyperparameter tuning job from Step Functions.

    Renders a Task state on ``arn:<partition>:states:::sagemaker:createHyperParameterTuningJob``
    (``REQUEST_RESPONSE``) or its ``.sync`` variant (``RUN_JOB``, the default). The default
    differs from aws-cdk-lib's ``SageMakerCreateTrainingJob``, whose default is
    ``REQUEST_RESPONSE``: a tuning job is only worth its result (the best training job),
    which exists once the job has ended, so waiting for it is what a tuning task is used
    for. Pass ``integration_pattern=sfn.IntegrationPattern.REQUEST_RESPONSE`` to only start it.

    Only the parameters the optimized integration documents are sent
    (:data:`DOCUMENTED_PARAMETERS`): ``training_job_definitions`` and ``autotune`` are
    refused with the reason (Step Functions would fail the state with ``States.Runtime``).

    Every request parameter is either a literal (a boto3-shaped ``dict``/``list``, rendered
    as is; inside it, use ``sfn.JsonPath.string_at(...)`` or a ``"Key.$"`` key for values
    known at run time) or a JsonPath string such as ``"$.plan.request.WarmStartConfig"``,
    rendered as ``"WarmStartConfig.$": "$.plan.request.WarmStartConfig"``::

        create = SageMakerCreateHyperParameterTuningJob(
            self, "CreateTuningJob",
            tuning_job_name="$.plan.request.HyperParameterTuningJobName",
            hyper_parameter_tuning_job_config="$.plan.request.HyperParameterTuningJobConfig",
            training_job_definition="$.plan.request.TrainingJobDefinition",
            warm_start_config="$.plan.request.WarmStartConfig",
            tags="$.plan.request.Tags",
            role=sagemaker_execution_role,
            job_name_prefix="imgcls",
            result_path="$.tuningJob",
        )

    Output of the state (before ``result_selector``/``result_path``/``output_path``):

    - ``REQUEST_RESPONSE``: the CreateHyperParameterTuningJob response,
      ``{"HyperParameterTuningJobArn": "..."}``. The job keeps running.
    - ``RUN_JOB``: once the job is terminal, what Step Functions returns for it. Do not
      rely on its shape: outputs captured on AWS carry the best training job's name only
      (no ``TrainingJobSummary``, no ``OverallBestTrainingJob``, no counters) and
      epoch-millisecond times. Read the finished job with
      ``aws-sdk:sagemaker:describeHyperParameterTuningJob`` (as ``WarmStartTuning``
      does). A job that ends other than ``Completed`` fails the state (error
      ``States.TaskFailed``); catch it to give it a name of your own. A create call that
      SageMaker refuses fails with ``SageMaker.AmazonSageMakerException`` (or
      ``SageMaker.ResourceInUseException``, ``SageMaker.ResourceLimitExceededException``),
      its message in the cause. Stopping the execution stops the job
      (``StopHyperParameterTuningJob``).

    IAM: the statements (``task_policies``) are added to the role of the state machine
    that contains this state, automatically, when the state machine is built from a chain
    (``sfn.DefinitionBody.from_chainable``, including inside Parallel and Map branches and
    fragments). For a definition given as a string or file, call ``grant_to(state_machine)``.

    - ``sagemaker:CreateHyperParameterTuningJob``, ``DescribeHyperParameterTuningJob``,
      ``StopHyperParameterTuningJob`` and ``ListTags`` on
      ``hyper-parameter-tuning-job/<job_name_prefix>-*`` (the prefix and a dash: ``imgcls``
      never reaches ``imgcls2-...``);
    - ``sagemaker:AddTags`` on the same, always: SageMaker authorizes tags given at
      creation as AddTags on the new job, and Step Functions tags every job a ``.sync``
      task starts (``AWS_STEP_FUNCTIONS_EXECUTION_ARN``, ``MANAGED_BY_AWS``) even when the
      task has no tags; without it every run is denied;
    - ``iam:PassRole`` on ``role`` only, when passed to ``sagemaker.amazonaws.com``;
    - ``RUN_JOB`` only: ``events:PutTargets``, ``PutRule``, ``DescribeRule`` on the managed
      rule ``StepFunctionsGetEventsForSageMakerTuningJobsRule``.

    The state is written in JSONPath (a state machine whose top-level query language is
    JSONata cannot hold it).
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        tuning_job_name: str,
        hyper_parameter_tuning_job_config: DictOrJsonPath,
        role: iam.IRole,
        job_name_prefix: str,
        training_job_definition: Optional[DictOrJsonPath] = None,
        training_job_definitions: Optional[Union[Sequence[Mapping[str, Any]], str, IResolvable]] = None,
        warm_start_config: Optional[DictOrJsonPath] = None,
        tags: Optional[Union[Sequence[Mapping[str, Any]], Mapping[str, str], str, IResolvable]] = None,
        autotune: Optional[DictOrJsonPath] = None,
        integration_pattern: sfn.IntegrationPattern = sfn.IntegrationPattern.RUN_JOB,
        state_name: Optional[str] = None,
        comment: Optional[str] = None,
        input_path: Optional[str] = None,
        result_selector: Optional[Mapping[str, Any]] = None,
        result_path: Optional[str] = None,
        output_path: Optional[str] = None,
        timeout: Optional[Duration] = None,
        task_timeout: Optional[sfn.Timeout] = None,
        heartbeat_timeout: Optional[sfn.Timeout] = None,
    ) -> None:
        """
        :param scope: construct scope.
        :param id: construct id; also the state name unless ``state_name`` is given.
        :param tuning_job_name: ``HyperParameterTuningJobName``. A literal (1-32 characters,
            ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``, starting with ``job_name_prefix``, case aside) or a
            JsonPath such as ``"$.plan.request.HyperParameterTuningJobName"``. Required.
        :param hyper_parameter_tuning_job_config: ``HyperParameterTuningJobConfig`` (strategy,
            objective, resource limits, parameter ranges), as boto3 takes it, or a JsonPath.
            Required.
        :param role: the SageMaker execution role the training jobs run as. ``iam:PassRole``
            is granted on it alone. Literal training job definitions without ``RoleArn`` get
            its ARN. Required.
        :param job_name_prefix: lowercase start of every job name this task creates; scopes
            the SageMaker statements to ``hyper-parameter-tuning-job/<prefix>-*``. Required.
        :param training_job_definition: ``TrainingJobDefinition``, as boto3 takes it, or a
            JsonPath. Required (keyword with a None default only so that a missing one is
            reported with this message).
        :param training_job_definitions: not supported: Step Functions' optimized
            integration does not document ``TrainingJobDefinitions`` (it would fail the
            state with ``States.Runtime``); giving it raises ValueError saying so.
        :param warm_start_config: ``WarmStartConfig`` (``ParentHyperParameterTuningJobs``,
            ``WarmStartType``), or a JsonPath. Default: no warm start.
        :param tags: ``Tags``: a list of ``{"Key": ..., "Value": ...}``, a ``{key: value}``
            mapping, or a JsonPath. SageMaker also puts them on the training jobs the tuning
            job launches, and allows 50 in all; with ``RUN_JOB``, Step Functions adds 2 of
            its own, so at most 48 literal tags are accepted. Default: no tags.
        :param autotune: not supported: Step Functions' optimized integration does not
            document ``Autotune``; giving it raises ValueError saying so.
        :param integration_pattern: ``REQUEST_RESPONSE`` (return once the job is created) or
            ``RUN_JOB`` (``.sync``: return when the job is terminal). Default: ``RUN_JOB``
            (not aws-cdk-lib's ``REQUEST_RESPONSE``: see the class docstring).
        :param state_name: name of the state in the state machine. Default: ``id``.
        :param comment: state comment. Default: none.
        :param input_path: JsonPath of the state input to use. Default: ``$``.
        :param result_selector: reshapes the result (values may be JsonPath tokens or
            ``"Key.$"`` keys). Default: the whole result.
        :param result_path: where the result goes in the state input; ``sfn.JsonPath.DISCARD``
            keeps the input unchanged. Default: ``$`` (the result replaces the input).
        :param output_path: JsonPath of the output to pass on. Default: ``$``.
        :param timeout: ``TimeoutSeconds`` of the state (for ``RUN_JOB``, the whole tuning
            job). Default: none (the execution's own limit).
        :param task_timeout: the same as an ``sfn.Timeout``, as aws-cdk-lib's tasks take it:
            ``sfn.Timeout.duration(Duration.days(2))`` (``TimeoutSeconds``) or
            ``sfn.Timeout.at("$.timeoutSeconds")`` (``TimeoutSecondsPath``). Conflicts with
            ``timeout``. Default: none.
        :param heartbeat_timeout: ``HeartbeatSeconds`` / ``HeartbeatSecondsPath``, an
            ``sfn.Timeout``. Default: none.
        """
        label = f"SageMakerCreateHyperParameterTuningJob '{id}'"

        # Every prop is checked before any construct is created, so that a rejected task
        # leaves nothing half-built in the tree.
        if not isinstance(integration_pattern, sfn.IntegrationPattern):
            raise TypeError(
                f"{label}: integration_pattern must be an sfn.IntegrationPattern "
                f"(REQUEST_RESPONSE or RUN_JOB); got {_type_name(integration_pattern)} "
                f"{integration_pattern!r}"
            )
        if integration_pattern not in SUPPORTED_INTEGRATION_PATTERNS:
            raise ValueError(
                f"{label}: integration pattern {integration_pattern.name} is not supported "
                f"by the SageMaker CreateHyperParameterTuningJob integration; supported: "
                f"{', '.join(p.name for p in SUPPORTED_INTEGRATION_PATTERNS)}"
            )
        role_arn = getattr(role, "role_arn", None)
        if not isinstance(role_arn, str):
            raise TypeError(
                f"{label}: role must be an iam.IRole (the SageMaker execution role); "
                f"got {_type_name(role)}"
            )
        _check_prefix(label, job_name_prefix)
        _check_job_name(label, tuning_job_name, job_name_prefix)

        config = _check_structure(
            label,
            "hyper_parameter_tuning_job_config",
            hyper_parameter_tuning_job_config,
            _api_model.member_shape("HyperParameterTuningJobConfig"),
        )
        for prop, parameter, value in (
            ("training_job_definitions", "TrainingJobDefinitions", training_job_definitions),
            ("autotune", "Autotune", autotune),
        ):
            if value is not None:
                raise ValueError(f"{label}: {prop}: {undocumented_parameter_problem(parameter)}")
        if training_job_definition is None:
            raise ValueError(f"{label}: training_job_definition is required")
        definition = _check_structure(
            label,
            "training_job_definition",
            _with_role(label, "training_job_definition", training_job_definition, role_arn),
            _api_model.member_shape("TrainingJobDefinition"),
        )
        warm_start = None
        if warm_start_config is not None:
            warm_start = _check_structure(
                label,
                "warm_start_config",
                warm_start_config,
                _api_model.member_shape("WarmStartConfig"),
            )
        run_job = integration_pattern == sfn.IntegrationPattern.RUN_JOB
        rendered_tags = _check_tags(label, tags, STEP_FUNCTIONS_SYNC_TAGS if run_job else 0)

        for name, path in (
            ("input_path", input_path),
            ("result_path", result_path),
            ("output_path", output_path),
        ):
            _check_path(label, name, path)
        if result_selector is not None and not isinstance(result_selector, Mapping):
            raise TypeError(
                f"{label}: result_selector must be a dict; got {_type_name(result_selector)}"
            )
        if comment is not None and not isinstance(comment, str):
            raise TypeError(f"{label}: comment must be a string; got {_type_name(comment)}")
        if state_name is not None and (not isinstance(state_name, str) or not state_name):
            raise ValueError(f"{label}: state_name must be a non-empty string; got {state_name!r}")
        timeout_seconds = _check_timeout(label, timeout)
        if timeout is not None and task_timeout is not None:
            raise ValueError(f"{label}: give timeout or task_timeout, not both")
        timeout_fields = _sfn_timeout_fields(label, "task_timeout", task_timeout, "TimeoutSeconds")
        timeout_fields.update(_sfn_timeout_fields(label, "heartbeat_timeout", heartbeat_timeout, "HeartbeatSeconds"))

        parameters: dict[str, Any] = {}
        _put(parameters, "HyperParameterTuningJobName", tuning_job_name)
        _put(parameters, "HyperParameterTuningJobConfig", config)
        _put(parameters, "TrainingJobDefinition", definition)
        _put(parameters, "WarmStartConfig", warm_start)
        _put(parameters, "Tags", rendered_tags)

        suffix = ".sync" if run_job else ""
        state_json: dict[str, Any] = {"Type": "Task"}
        if comment is not None:
            state_json["Comment"] = comment
        state_json["Resource"] = f"arn:{Aws.PARTITION}:states:::sagemaker:{_API_ACTION}{suffix}"
        if input_path is not None:
            state_json["InputPath"] = input_path
        state_json["Parameters"] = _render(label, "parameters", parameters)
        if result_selector is not None:
            state_json["ResultSelector"] = _render(label, "result_selector", result_selector)
        if result_path is not None:
            # sfn.JsonPath.DISCARD is a token that renders as JSON null.
            state_json["ResultPath"] = result_path
        if output_path is not None:
            state_json["OutputPath"] = output_path
        if timeout_seconds is not None:
            state_json["TimeoutSeconds"] = timeout_seconds
        state_json.update(timeout_fields)

        # Plain attributes, set before the jsii object exists: jsii only forwards members
        # that override a jsii member, and these names are not jsii members.
        self._wst_state_name = state_name
        self._wst_integration_pattern = integration_pattern
        self._wst_role = role
        self._wst_job_name_prefix = job_name_prefix
        self._wst_policy_statements = _policy_statements(
            Stack.of(scope),
            role_arn=role_arn,
            job_name_prefix=job_name_prefix,
            run_job=run_job,
        )
        super().__init__(scope, id, state_json=state_json)

    # --- jsii overrides ------------------------------------------------------------------
    # State.stateName is protected and CustomState does not take it as a prop; overriding
    # the getter is how jsii lets a Python subclass give the state its own name.
    @builtins.property
    def _state_name(self) -> Optional[str]:
        return self._wst_state_name

    def _when_bound_to_graph(self, graph: sfn.StateGraph) -> None:
        # Called by State.bindToGraph once per graph the state joins; a Parallel/Map branch
        # graph forwards the statements to its parent, so they reach the state machine role.
        super()._when_bound_to_graph(graph)
        for statement in self._wst_policy_statements:
            graph.register_policy_statement(statement)

    # --- public API ----------------------------------------------------------------------
    @builtins.property
    def task_policies(self) -> list[iam.PolicyStatement]:
        """The IAM statements the state machine role needs to run this task."""
        return list(self._wst_policy_statements)

    @builtins.property
    def policy_statements(self) -> list[iam.PolicyStatement]:
        """Same as ``task_policies``."""
        return list(self._wst_policy_statements)

    @builtins.property
    def integration_pattern(self) -> sfn.IntegrationPattern:
        return self._wst_integration_pattern

    @builtins.property
    def sagemaker_role(self) -> iam.IRole:
        """The SageMaker execution role passed to the tuning job."""
        return self._wst_role

    @builtins.property
    def job_name_prefix(self) -> str:
        return self._wst_job_name_prefix

    def grant_to(self, grantee: iam.IGrantable) -> None:
        """Add ``task_policies`` to ``grantee``'s policy.

        Only needed when the state machine is not built from a chain holding this state
        (definition from a string or a file); otherwise the statements are attached
        automatically. Granting twice is harmless: CDK merges identical statements.
        """
        for statement in self._wst_policy_statements:
            grantee.grant_principal.add_to_principal_policy(statement)


# --- validation helpers -----------------------------------------------------------------


def _check_prefix(label: str, prefix: Any) -> None:
    if not isinstance(prefix, str):
        raise TypeError(f"{label}: job_name_prefix must be a string; got {_type_name(prefix)}")
    if Token.is_unresolved(prefix):
        return
    _, max_len, _ = _api_model.job_name_constraints()
    if not prefix:
        raise ValueError(
            f"{label}: job_name_prefix must not be empty: it scopes the IAM statements "
            f"to hyper-parameter-tuning-job/<prefix>-*; got ''"
        )
    if prefix != prefix.lower():
        raise ValueError(
            f"{label}: job_name_prefix must be lowercase (SageMaker lowercases job names in "
            f"ARNs, so IAM would never match); got {prefix!r}, use {prefix.lower()!r}"
        )
    if len(prefix) > max_len or not _PREFIX_PATTERN.fullmatch(prefix):
        raise ValueError(
            f"{label}: job_name_prefix must be 1-{max_len} characters of a-z, 0-9 and '-', "
            f"starting with a letter or digit; got {prefix!r}"
        )


def _check_job_name(label: str, name: Any, prefix: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(
            f"{label}: tuning_job_name must be a string (a job name or a JsonPath); "
            f"got {_type_name(name)}"
        )
    if is_dynamic(name):
        return
    min_len, max_len, pattern = _api_model.job_name_constraints()
    if not (min_len <= len(name) <= max_len) or not pattern.fullmatch(name):
        raise ValueError(
            f"{label}: tuning_job_name must be {min_len}-{max_len} characters matching "
            f"{pattern.pattern} or a JsonPath starting with '$'; got {name!r} "
            f"({len(name)} characters)"
        )
    if isinstance(prefix, str) and not Token.is_unresolved(prefix):
        if not name.lower().startswith(f"{prefix}-"):
            raise ValueError(
                f"{label}: tuning_job_name must start with job_name_prefix and a dash, {prefix + '-'!r} "
                f"(IAM only allows hyper-parameter-tuning-job/{prefix}-*); got {name!r}"
            )


def _check_structure(label: str, prop: str, value: Any, shape: Any) -> Any:
    """A literal structure (first level checked against botocore) or a run-time value."""
    expected = f"a dict (boto3 {shape.name}) or a JsonPath string starting with '$'"
    if isinstance(value, str):
        if not is_dynamic(value):
            raise ValueError(f"{label}: {prop} must be {expected}; got the string {value!r}")
        return value
    if isinstance(value, Mapping):
        problems = _api_model.structure_problems(value, shape, is_dynamic)
        if problems:
            raise ValueError(f"{label}: {prop} is not a valid {shape.name}: {'; '.join(problems)}")
        return dict(value)
    if _is_token(value):
        return value  # e.g. sfn.JsonPath.object_at(...)
    raise TypeError(f"{label}: {prop} must be {expected}; got {_type_name(value)}")


def _with_role(label: str, prop: str, definition: Any, role_arn: str) -> Any:
    """Give a literal training job definition the role's ARN, the one PassRole allows."""
    if not isinstance(definition, Mapping):
        return definition
    if "RoleArn.$" in definition:
        return definition
    if "RoleArn" not in definition:
        return {**definition, "RoleArn": role_arn}
    given = definition["RoleArn"]
    if (
        isinstance(given, str)
        and not is_dynamic(given)
        and not Token.is_unresolved(role_arn)
        and given != role_arn
    ):
        raise ValueError(
            f"{label}: {prop} RoleArn must be the ARN of role ({role_arn}), the only role "
            f"iam:PassRole is granted on; got {given!r}"
        )
    return definition


def _check_tags(label: str, tags: Any, added_by_step_functions: int) -> Any:
    """Tags as SageMaker takes them (a list of Key/Value), or a run-time value; None if none.

    ``added_by_step_functions``: the tags Step Functions puts on the job besides these
    (a ``.sync`` task's two), which count against SageMaker's maximum too."""
    expected = "a list of {'Key': ..., 'Value': ...}, a {key: value} dict or a JsonPath string"
    if tags is None:
        return None
    if isinstance(tags, str):
        if not is_dynamic(tags):
            raise ValueError(f"{label}: tags must be {expected}; got the string {tags!r}")
        return tags
    if isinstance(tags, Mapping):
        items = [{"Key": k, "Value": v} for k, v in tags.items()]
    elif isinstance(tags, Sequence) and not isinstance(tags, (bytes, bytearray)):
        items = list(tags)
    elif _is_token(tags):
        return tags
    else:
        raise TypeError(f"{label}: tags must be {expected}; got {_type_name(tags)}")
    max_items = _api_model.list_max("Tags")
    if max_items is not None and len(items) > max_items - added_by_step_functions:
        with_sfn = (
            f" (SageMaker allows {max_items} and Step Functions adds {added_by_step_functions} "
            "to every job a .sync task starts)"
            if added_by_step_functions
            else ""
        )
        raise ValueError(
            f"{label}: tags must hold at most {max_items - added_by_step_functions} tags{with_sfn}; "
            f"got {len(items)}"
        )
    shape = _api_model.list_member_shape("Tags")
    for i, tag in enumerate(items):
        if not isinstance(tag, Mapping):
            raise TypeError(
                f"{label}: tags[{i}] must be a dict {{'Key': ..., 'Value': ...}}; "
                f"got {_type_name(tag)}"
            )
        problems = _api_model.structure_problems(tag, shape, is_dynamic)
        for key in ("Key", "Value"):
            if key in tag and not isinstance(tag[key], str):
                problems.append(f"{key} must be a string; got {_type_name(tag[key])}")
        if problems:
            raise ValueError(f"{label}: tags[{i}] is not a valid Tag: {'; '.join(problems)}")
    return items or None


def _check_path(label: str, prop: str, path: Any) -> None:
    if path is None:
        return
    if not isinstance(path, str):
        raise TypeError(f"{label}: {prop} must be a JsonPath string; got {_type_name(path)}")
    if Token.is_unresolved(path):
        return  # sfn.JsonPath.DISCARD
    if not path.startswith("$"):
        raise ValueError(
            f"{label}: {prop} must be a JsonPath starting with '$' (or sfn.JsonPath.DISCARD); "
            f"got {path!r}"
        )


def _sfn_timeout_fields(label: str, prop: str, timeout: Any, field: str) -> dict[str, Any]:
    """``{field: seconds}`` or ``{field + "Path": path}`` of an ``sfn.Timeout``."""
    if timeout is None:
        return {}
    if not isinstance(timeout, sfn.Timeout):
        raise TypeError(
            f"{label}: {prop}: expected an sfn.Timeout (sfn.Timeout.duration(...) or sfn.Timeout.at('$.path')), "
            f"got {_type_name(timeout)} {timeout!r}"
        )
    if timeout.path is not None:
        _check_path(label, prop, timeout.path)
        return {f"{field}Path": timeout.path}
    seconds = timeout.seconds
    if not isinstance(seconds, (int, float)) or seconds < 1 or seconds != int(seconds):
        raise ValueError(f"{label}: {prop}: expected a whole number of seconds, at least 1, got {seconds!r}")
    return {field: int(seconds)}


def _check_timeout(label: str, timeout: Any) -> Optional[int]:
    if timeout is None:
        return None
    if not isinstance(timeout, Duration):
        raise TypeError(f"{label}: timeout must be an aws_cdk.Duration; got {_type_name(timeout)}")
    # TimeoutSeconds is a whole number of seconds, at least 1.
    millis = timeout.to_milliseconds()
    if millis < 1000 or millis % 1000:
        raise ValueError(
            f"{label}: timeout must be a whole number of seconds, at least 1; "
            f"got {millis / 1000:g} seconds"
        )
    return int(millis // 1000)


# --- rendering ----------------------------------------------------------------------------


def _put(parameters: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        return
    if _plain_json_path(value):
        parameters[f"{key}.$"] = value
    else:
        parameters[key] = value


def _render(label: str, prop: str, value: Mapping[str, Any]) -> Any:
    # CustomState puts its state JSON in the definition as is: render JsonPath tokens
    # (sfn.JsonPath.string_at(...) anywhere in a literal) as "Key.$" fields here.
    try:
        return sfn.FieldUtils.render_object(value)
    except RuntimeError as err:  # raised inside jsii, e.g. a JsonPath token in a list
        raise ValueError(f"{label}: {prop} cannot be rendered: {err}") from err


# --- IAM ----------------------------------------------------------------------------------


def _policy_statements(
    stack: Stack,
    *,
    role_arn: str,
    job_name_prefix: str,
    run_job: bool,
) -> list[iam.PolicyStatement]:
    # The trailing '*' is unavoidable: job names are chosen per execution, so only their
    # prefix is known at deploy time.
    tuning_jobs = stack.format_arn(
        service="sagemaker",
        resource="hyper-parameter-tuning-job",
        resource_name=f"{job_name_prefix}-*",
    )
    statements = [
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateHyperParameterTuningJob",
                "sagemaker:DescribeHyperParameterTuningJob",
                "sagemaker:StopHyperParameterTuningJob",
            ],
            resources=[tuning_jobs],
        ),
        # Step Functions reads the job's tags; scoped to the jobs this task creates.
        iam.PolicyStatement(actions=["sagemaker:ListTags"], resources=[tuning_jobs]),
    ]
    # Tags given to Create* are authorized as sagemaker:AddTags on the new tuning job, and
    # Step Functions tags every job a .sync task starts: granted whatever the task's tags.
    statements.append(iam.PolicyStatement(actions=["sagemaker:AddTags"], resources=[tuning_jobs]))
    statements.append(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[role_arn],
            conditions={"StringEquals": {"iam:PassedToService": _SAGEMAKER_SERVICE_PRINCIPAL}},
        )
    )
    if run_job:
        statements.append(
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[
                    stack.format_arn(
                        service="events",
                        resource="rule",
                        resource_name=TUNING_JOB_EVENTS_RULE_NAME,
                    )
                ],
            )
        )
    return statements
