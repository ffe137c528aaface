"""WarmStartValidator: the Lambda that checks every warm-start rule, one per stack."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from aws_cdk import Duration, RemovalPolicy, Stack, Validations, Acknowledgment
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._paths import validator_asset_dir
from .._singleton import stack_singleton
from ..nag import arn_finding

# The id under the stack where the shared instance lives; `of()` looks it up there.
SINGLETON_ID = "WarmStartValidator"

# Files that must not travel in the asset (it is only handler.py, parents.py and the pure
# rule engine): bytecode caches, tool caches and editor files (dot files: .pytest_cache,
# .mypy_cache, .DS_Store...), and tests. An exclude list, not an allow list: a module
# added to the handler must not be left out silently.
RUNTIME = lambda_.Runtime.PYTHON_3_14
HANDLER = "handler.lambda_handler"
# function_props keys that would replace the library's handler.
FIXED_FUNCTION_PROPS = frozenset({"code", "handler", "runtime"})

ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".*", "tests", "test_*.py", "*_test.py", "conftest.py"]


class WarmStartValidator(Construct):
    """The validator Lambda: prepares a run, polls parent jobs and checks the warm-start rules.

    One function serves four actions of the state machine (see ``handler.py``):
    ``prepare`` (check the execution input and choose the parents before anything waits),
    ``poll`` (describe all parent jobs in one call), ``validate`` (check every rule and plan
    the final request) and ``nextRound`` (decide whether another warm-start round is worth it).
    Use :meth:`of` to get the stack's single instance; every pipeline of a stack shares it.

    Secure by default: its own role with only ``sagemaker:ListHyperParameterTuningJobs``
    (automatic parent selection) and write access to its own log group, X-Ray tracing,
    logs kept one year. Each pipeline it serves adds what it needs (:meth:`allow_pipeline`):
    Describe and ListTags on its own jobs, Describe on the parents it may use.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        memory_size: int = 256,
        timeout: Optional[Duration] = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        log_removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        existing_function: Optional[lambda_.IFunction] = None,
        function_props: Optional[Mapping[str, Any]] = None,
    ) -> None:
        """
        :param memory_size: Lambda memory in MiB. Default: 256 (the engine needs little; more
            memory only buys a faster cold start).
        :param timeout: Lambda timeout. Default: 30 seconds (five Describe calls with
            botocore's retries fit many times over).
        :param log_retention: how long the function's logs are kept. Default: one year.
        :param log_removal_policy: what happens to the log group when the stack is deleted.
            Default: RETAIN (validation reports are an audit trail).
        :param existing_function: use this function instead of creating one (it must run
            this library's handler: ``WarmStartValidator.code()``, handler
            ``handler.lambda_handler``). The statements each pipeline needs are added to its
            role (``add_to_role_policy``). Default: a new function.
        :param function_props: ``lambda_.Function`` keywords merged over the defaults, e.g.
            ``vpc``, ``vpc_subnets``, ``security_groups``, ``environment``,
            ``reserved_concurrent_executions``. ``code``, ``handler`` and ``runtime`` are
            the library's. Conflicts with ``existing_function``. Default: none.
        """
        super().__init__(scope, construct_id)
        if existing_function is not None and function_props is not None:
            raise ValueError("WarmStartValidator: give existing_function or function_props, not both")
        if function_props is not None and not isinstance(function_props, Mapping):
            raise ValueError(f"WarmStartValidator: function_props must be a dict of lambda_.Function keywords, got "
                             f"{type(function_props).__name__}")
        fixed = sorted(set(function_props or ()) & FIXED_FUNCTION_PROPS)
        if fixed:
            raise ValueError(f"WarmStartValidator: function_props may not set {', '.join(fixed)} (the library's handler)")
        self._granted: set[tuple[str, str]] = set()
        self._acknowledged: set[str] = set()
        self._own_role = existing_function is None
        stack = Stack.of(self)
        self._tuning_jobs = stack.format_arn(
            service="sagemaker", resource="hyper-parameter-tuning-job", resource_name="*"
        ).rsplit("*", 1)[0]
        if existing_function is not None:
            self.function = existing_function
            self.role = existing_function.role
            self.log_group = None
            self._add_to_policy(iam.PolicyStatement(actions=["sagemaker:ListHyperParameterTuningJobs"], resources=["*"]))
            return
        if not isinstance(memory_size, int) or isinstance(memory_size, bool) or not 128 <= memory_size <= 10240:
            raise ValueError(f"WarmStartValidator: memory_size must be an int from 128 to 10240 MiB, got {memory_size!r}")

        self.log_group = logs.LogGroup(
            self, "Logs", retention=log_retention, removal_policy=log_removal_policy
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="WarmStartValidator: describe and list tuning jobs, write its own logs",
        )
        # Written inline instead of AWSLambdaBasicExecutionRole: that managed policy allows
        # every log group of the account.
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        # DescribeHyperParameterTuningJob (and ListTags, for job ownership) are granted per
        # pipeline, scoped to what it may use: see allow_pipeline and allow_describe_any.
        # Automatic parent selection lists the pipeline's earlier jobs by name prefix.
        # ListHyperParameterTuningJobs, like SageMaker's other List actions, supports no
        # resource-level permission: Resource "*" is the only form that works. It is
        # read-only and returns job summaries only.
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["sagemaker:ListHyperParameterTuningJobs"], resources=["*"])
        )
        self.function = lambda_.Function(
            self,
            "Function",
            **{
                "description": "cdk-warm-start-tuning: checks SageMaker warm-start rules before a job is created",
                "architecture": lambda_.Architecture.ARM_64,
                "memory_size": memory_size,
                "timeout": timeout or Duration.seconds(30),
                "role": self.role,
                "log_group": self.log_group,
                "tracing": lambda_.Tracing.ACTIVE,
                "logging_format": lambda_.LoggingFormat.JSON,
                **(function_props or {}),
                "runtime": RUNTIME,
                "handler": HANDLER,
                "code": self.code(),
            },
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="X-Ray PutTraceSegments/PutTelemetryRecords and SageMaker ListHyperParameterTuningJobs "
                "(automatic parent selection, read-only) support no resource-level permissions.",
            ),
        )

    def allow_pipeline(self, job_name_prefix: str, parent_prefixes: Optional[Sequence[str]] = None) -> None:
        """Let the validator serve a pipeline whose jobs are ``<job_name_prefix>-*``:
        Describe and ListTags on its own jobs (automatic selection, resume, rounds, job
        ownership), and Describe on the parents it may name: jobs starting with one of
        ``parent_prefixes``, or (None) any tuning job of the account and region."""
        self._allow(["sagemaker:DescribeHyperParameterTuningJob", "sagemaker:ListTags",
                     "sagemaker:StopHyperParameterTuningJob"], f"{job_name_prefix}-*",
                    f"The pipeline's own jobs ('{job_name_prefix}-*'): job ownership (ListTags), automatic selection, "
                    "resume and rounds (Describe), and stopping the job of a run that was aborted, timed out or "
                    "failed (Stop, only for a job carrying that run's key).")
        if parent_prefixes is None:
            self.allow_describe_any()
        for prefix in parent_prefixes or ():
            self._allow(["sagemaker:DescribeHyperParameterTuningJob"], f"{prefix.lower()}*",
                        f"Parents the pipeline allows ('{prefix.lower()}*', from allowed_parent_prefixes), read-only.")

    def allow_describe_any(self) -> None:
        """Describe any tuning job of the account and region: parents named per
        execution, when a pipeline does not restrict them (allowed_parent_prefixes)."""
        self._allow(["sagemaker:DescribeHyperParameterTuningJob"], "*",
                    "Parents are chosen per execution and the pipeline does not restrict them "
                    "(allowed_parent_prefixes); Describe is read-only and limited to tuning jobs of this account "
                    "and region.")

    def _allow(self, actions: list[str], resource_name: str, reason: str) -> None:
        """One statement: ``actions`` on ``hyper-parameter-tuning-job/<resource_name>``,
        once, with its cdk-nag acknowledgment (every such resource is a wildcard)."""
        wanted = [action for action in actions if (action, resource_name) not in self._granted]
        if not wanted:
            return
        self._granted.update((action, resource_name) for action in wanted)
        self._add_to_policy(iam.PolicyStatement(actions=wanted, resources=[self._tuning_jobs + resource_name]))
        if resource_name not in self._acknowledged and self.role is not None:
            self._acknowledged.add(resource_name)
            Validations.of(self.role).acknowledge(
                Acknowledgment(
                    id=arn_finding(self, service="sagemaker", resource="hyper-parameter-tuning-job",
                                   resource_name=resource_name),
                    reason=reason,
                )
            )

    def _add_to_policy(self, statement: iam.PolicyStatement) -> None:
        if self._own_role:
            self.role.add_to_policy(statement)
        else:
            self.function.add_to_role_policy(statement)

    @staticmethod
    def code() -> lambda_.Code:
        """The validator's code (handler ``handler.lambda_handler``, Python 3.14), for a
        function of your own given as ``existing_function``."""
        return lambda_.Code.from_asset(str(validator_asset_dir()), exclude=ASSET_EXCLUDES)

    @classmethod
    def of(cls, scope: Construct) -> "WarmStartValidator":
        """The stack's single validator, created on first use."""
        return stack_singleton(scope, SINGLETON_ID, cls, cls)
