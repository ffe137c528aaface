"""RunTable: the stack's DynamoDB table of run-lock leases and planned jobs."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from constructs import Construct

from .._singleton import stack_singleton

SINGLETON_ID = "WarmStartRunTable"
#: DynamoDB's TTL attribute of the run records (epoch seconds).
TTL_ATTRIBUTE = "expiresAt"


class RunTable(Construct):
    """One table per stack, shared by its pipelines (as the validator is).

    Items (written by the validator Lambda; see its ``runs.py``):

    - ``pk = lock#<state machine ARN>``, ``sk = lock``: the run lock, one lease per
      running execution in its ``holders`` map;
    - ``pk = run#<execution ARN>``, ``sk = job#<name>``: a tuning job the execution
      planned, written before the job is created, so that an abort, a timeout or a
      failure can stop it; removed when the execution ends, and by TTL a year later;
    - ``pk = job#<name>``, ``sk = run#<execution ARN>``: the same record seen from the job
      (whether another execution still waits for it), removed with it.

    On demand (a few writes per run), encrypted with an AWS-managed key, point-in-time
    recovery on. Removal policy DESTROY by default: the items only describe executions in
    flight, which end with the stack's state machines; RETAIN keeps the table (and its
    leases) when the stack is deleted.
    """

    def __init__(self, scope: Construct, construct_id: str, *,
                 removal_policy: RemovalPolicy = RemovalPolicy.DESTROY) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            removal_policy=removal_policy,
        )

    @property
    def table_name(self) -> str:
        return self.table.table_name

    def grant_leases(self, grantee: iam.IGrantable) -> iam.Grant:
        """Read and write the leases and job records (the validator's actions)."""
        return self.table.grant(grantee, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                "dynamodb:DeleteItem", "dynamodb:Query")

    @classmethod
    def of(cls, scope: Construct) -> "RunTable":
        """The stack's run table, created on first use."""
        return stack_singleton(scope, SINGLETON_ID, cls, cls)
