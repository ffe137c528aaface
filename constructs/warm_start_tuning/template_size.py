"""Fail `cdk synth` when a stack's template is too large for CloudFormation to deploy.

CloudFormation takes a template of at most 1 MB from S3 (its quotas page: "Template body
size in an Amazon S3 object"; the CDK CLI uploads every template of more than 50 KiB
there). Read as 1,000,000 bytes, the stricter reading of "1 MB". A stack with too many
pipelines synthesizes without complaint and no deploy accepts it, so the check runs at
synth: a policy-validation plugin (the mechanism cdk-nag 3 uses) that reads the size of
each written template file, which is what the CLI uploads. It costs one ``stat`` per
stack and depends only on the template's bytes, not on what a pipeline adds.
"""

from __future__ import annotations

import collections
import json
import os
from typing import Optional

import jsii
from aws_cdk import (
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Stage,
    Validations,
)
from constructs import Construct, IConstruct

# CloudFormation quotas, "Template body size in an Amazon S3 object": 1 MB.
TEMPLATE_BODY_LIMIT_BYTES = 1_000_000
RULE_NAME = "WarmStartTuning-TemplateSize"
# The construct under the Stage that holds the Stage's one plugin.
_CHECK_ID = "WarmStartTuningTemplateSizeCheck"


@jsii.implements(IPolicyValidationPlugin)
class TemplateSizeCheck:
    """The plugin: one violation per stack whose template file is over the limit."""

    def __init__(self, limit_bytes: int = TEMPLATE_BODY_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.pipelines: collections.Counter[str] = collections.Counter()  # stack path -> pipelines

    @property
    def name(self) -> str:
        return "warm-start-tuning-template-size"

    @property
    def version(self) -> Optional[str]:
        return "1.0.0"

    @property
    def rule_ids(self) -> Optional[list[str]]:
        return [RULE_NAME]

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        violations = []
        for stack in context.stack_templates:
            size = os.path.getsize(stack.template_path)
            if size > self.limit_bytes:
                violations.append(self._violation(stack.stack_construct_path, stack.template_path, size))
        return PolicyValidationPluginReport(success=not violations, violations=violations)

    def _violation(self, stack_path: str, template_path: str, size: int) -> PolicyViolation:
        pipelines = self.pipelines.get(stack_path.lstrip("/"), 0)
        largest = _largest_resource(template_path)
        return PolicyViolation(
            rule_name=RULE_NAME,
            description=(
                f"stack {stack_path.lstrip('/')}: its template is {size:,} bytes, over CloudFormation's limit of "
                f"{self.limit_bytes:,} bytes (1 MB, a template body in S3); it holds {pipelines} warm-start "
                "tuning pipeline(s): no deploy accepts it"
            ),
            fix=f"split the {pipelines} pipeline(s) into several stacks (each stack's template under 1 MB)",
            violating_resources=[
                PolicyViolatingResource(
                    resource_logical_id=largest, template_path=template_path, locations=[f"Resources/{largest}"]
                )
            ],
        )


class _TemplateSizeCheckHolder(Construct):
    """Keeps the Stage's plugin findable from every pipeline (no resource of its own)."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.check = TemplateSizeCheck()


def register_template_size_check(scope: IConstruct) -> None:
    """Check the template size of ``scope``'s stack at synth, counting ``scope`` as one of
    its pipelines (one plugin per Stage, registered by the first pipeline)."""
    stack = Stack.of(scope)
    stage = Stage.of(stack)
    if stage is None:  # a stack outside any App or Stage is never synthesized to a file
        return
    holder = stage.node.try_find_child(_CHECK_ID)
    if not isinstance(holder, _TemplateSizeCheckHolder):
        holder = _TemplateSizeCheckHolder(stage, _CHECK_ID)
        Validations.of(stage).add_plugins(holder.check)
    holder.check.pipelines[stack.node.path] += 1


def _largest_resource(template_path: str) -> str:
    """The logical id of the template's largest resource (where to look first)."""
    with open(template_path, encoding="utf-8") as template:
        resources = json.load(template).get("Resources", {})
    return max(resources, key=lambda logical_id: len(json.dumps(resources[logical_id])), default="Resources")
