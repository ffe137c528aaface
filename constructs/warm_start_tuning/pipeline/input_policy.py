"""The trust model at synth time: the input policy props, the settings they become, and
the name spaces pipelines claim (README, "Trust model").

The execution input is written by whoever may call StartExecution. It may only adjust
what the props define; the validator Lambda enforces that on every run (its rule module
``input_policy``), from the settings built here. What can be judged at synth time fails
``cdk synth`` instead.
"""

from __future__ import annotations

import re
from typing import Any, Optional, Sequence

from aws_cdk import Token
from constructs import Construct

from ..lambdas.warm_start_validator.warm_start_rules.input_policy import (
    OVERRIDE_FIELDS,
    bucket_location,
    name_space,
    suggestion,
)
_REGISTRY_ATTRIBUTE = "_warm_start_tuning_name_spaces"
# The start of a tuning job name: SageMaker's alphabet, a letter or digit first.
_PARENT_PREFIX = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,31}")


def _is_token(value: Any) -> bool:
    return isinstance(value, str) and Token.is_unresolved(value)


def _string_list_problem(prop: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        return f"{prop} must be a list of strings, got {value!r}"
    return None


def policy_problems(
    *,
    allowed_overrides: Any,
    allowed_input_locations: Any,
    allowed_parent_prefixes: Any,
    job_name_prefix: Any,
    parents: Any,
    new_data_bucket: Any,
) -> list[str]:
    """Every problem of the input policy props (one list, for the one error)."""
    problems = [
        p
        for p in (
            _string_list_problem("allowed_overrides", allowed_overrides),
            _string_list_problem("allowed_input_locations", allowed_input_locations),
            _string_list_problem("allowed_parent_prefixes", allowed_parent_prefixes),
        )
        if p
    ]
    if problems:
        return problems
    for field in allowed_overrides or ():
        if field not in OVERRIDE_FIELDS:
            problems.append(
                f"allowed_overrides: {field!r} is not an execution input override{suggestion(field, OVERRIDE_FIELDS)}; "
                f"expected some of {', '.join(OVERRIDE_FIELDS)}"
            )
    for location in allowed_input_locations or ():
        if not _is_token(location) and bucket_location(location) is None:
            problems.append(f"allowed_input_locations: expected s3://bucket/ or s3://bucket/prefix/, got {location!r}")
    for prefix in allowed_parent_prefixes or ():
        if not _is_token(prefix) and not _PARENT_PREFIX.fullmatch(prefix):
            problems.append(
                f"allowed_parent_prefixes: expected the start of tuning job names (1-32 of a-z A-Z 0-9 and '-'), got {prefix!r}"
            )
    if allowed_parent_prefixes is not None and isinstance(job_name_prefix, str) and isinstance(parents, (list, tuple)):
        spaces = [name_space(job_name_prefix), *allowed_parent_prefixes]
        outside = [
            p for p in parents
            if isinstance(p, str) and not _is_token(p) and not any(p.lower().startswith(s.lower()) for s in spaces)
        ]
        if outside:
            problems.append(
                f"parents {outside!r} are outside allowed_parent_prefixes: the validator may only describe jobs "
                f"named {', '.join(s + '*' for s in spaces)}"
            )
    bucket = new_data_bucket if isinstance(new_data_bucket, str) and not _is_token(new_data_bucket) else None
    if allowed_input_locations is not None and bucket is not None:
        if not any(_is_token(loc) or bucket_location(loc) == f"s3://{bucket}/" for loc in allowed_input_locations):
            problems.append(
                f"allowed_input_locations {list(allowed_input_locations)!r} leave out the new-data trigger's bucket "
                f"{bucket!r}: every triggered run would be rejected"
            )
    return problems


def run_settings(
    *,
    job_name_prefix: str,
    training_job_limit: Any,
    failed_parent_policy: Any,
    new_data_channels: Optional[Sequence[str]],
    new_data_bucket: Optional[str],
    allowed_overrides: Optional[Sequence[str]],
    new_data_prefix: Optional[str] = None,
    allowed_input_locations: Optional[Sequence[str]],
    allowed_parent_prefixes: Optional[Sequence[str]],
) -> dict[str, Any]:
    """The ``settings`` every validator step of the pipeline gets (the Lambda's contract:
    planner.SETTINGS_KEYS). Absent keys take the Lambda's defaults."""
    settings: dict[str, Any] = {
        "jobNamePrefix": job_name_prefix,
        "trainingJobLimit": training_job_limit,
        "failedParentPolicy": failed_parent_policy,
    }
    optional = {
        "newDataChannels": new_data_channels,
        "newDataBucket": new_data_bucket,
        "newDataPrefix": new_data_prefix,
        "allowedOverrides": allowed_overrides,
        "inputLocations": allowed_input_locations,
        "parentPrefixes": allowed_parent_prefixes,
    }
    settings.update({key: (list(value) if isinstance(value, (list, tuple)) else value)
                     for key, value in optional.items() if value is not None})
    return settings


def claim_name_space(scope: Construct, job_name_prefix: str) -> None:
    """Record that ``scope`` creates the jobs ``<prefix>-*`` in this app; raise when
    another pipeline of the app already claimed an overlapping name space (``imgcls``
    and ``imgcls-deploy``: ``imgcls-deploy-x`` would be both pipelines' job)."""
    if _is_token(job_name_prefix) or not isinstance(job_name_prefix, str):
        return
    root = scope.node.root
    claimed: dict[str, str] = getattr(root, _REGISTRY_ATTRIBUTE, None) or {}
    mine = name_space(job_name_prefix)
    for other_space, other_path in claimed.items():
        if mine.startswith(other_space) or other_space.startswith(mine):
            raise ValueError(
                f"{type(scope).__name__} {scope.node.path}: job_name_prefix {job_name_prefix!r} (jobs {mine}*) overlaps "
                f"the name space {other_space}* of {other_path}; each pipeline of an app needs a name space of its "
                "own (its IAM, name checks and parent selection are scoped to it): choose prefixes where neither "
                "plus '-' starts the other"
            )
    claimed[mine] = scope.node.path
    setattr(root, _REGISTRY_ATTRIBUTE, claimed)
