"""AWS side of the validator: describe and list tuning jobs (boto3/botocore only).

Deliberately imports nothing from ``warm_start_rules``: this module is loaded both as a
top-level module inside the Lambda and as ``warm_start_tuning.lambdas.warm_start_validator
.parents`` by the command line, and a top-level ``import warm_start_rules`` would only work
in the first case.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from botocore.exceptions import ClientError

#: Read by the handler and the CLI when they build their client: botocore's own retries
#: (standard mode, with jittered backoff) absorb throttling before Step Functions' Retry.
#: total_max_attempts counts the first call too (botocore's "max_attempts" would not:
#: max_attempts=5 means 6 calls), so this is 5 calls in all, like AWS_MAX_ATTEMPTS=5.
RETRY_CONFIG: dict[str, Any] = {"mode": "standard", "total_max_attempts": 5}

# DescribeHyperParameterTuningJob documents ResourceNotFound; older endpoints (and some
# SDK paths) answer ValidationException with a "not found"/"does not exist" message. Any
# other ValidationException is a real problem (e.g. malformed name) and must surface.
_NOT_FOUND_CODES = frozenset({"ResourceNotFound", "ResourceNotFoundException"})
_NOT_FOUND_HINTS = ("not found", "could not find", "does not exist", "cannot be found")


def is_not_found(error: ClientError) -> bool:
    """True when ``error`` means "this tuning job does not exist"."""
    info = error.response.get("Error", {}) if isinstance(error.response, dict) else {}
    code = str(info.get("Code", ""))
    if code in _NOT_FOUND_CODES:
        return True
    message = str(info.get("Message", "")).lower()
    return code == "ValidationException" and any(h in message for h in _NOT_FOUND_HINTS)


def json_safe(value: Any) -> Any:
    """Copy of ``value`` with datetimes as ISO-8601 strings, so it can leave the Lambda
    (Step Functions payloads and logs are JSON) and be compared by the rule engine."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            # Normalise to UTC: botocore hands back tzlocal(), which depends on the host.
            value = value.astimezone(_dt.timezone.utc)
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", "replace")
    return value


def describe_parent(client: Any, name: str) -> dict[str, Any] | None:
    """DescribeHyperParameterTuningJob ``name``; None when the job does not exist.

    Other ClientErrors (throttling, access denied...) propagate unchanged so that the
    caller's retry policy sees them as what they are.
    """
    try:
        response = client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    except ClientError as error:
        if is_not_found(error):
            return None
        raise
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return json_safe(response)


#: At most this many summaries are read per listing (10 pages of 100, newest first): the
#: newest finished job is almost always on the first page, and the Lambda has 30 seconds.
MAX_LISTED_JOBS = 1000
_PAGE_SIZE = 100  # ListHyperParameterTuningJobs' maximum MaxResults


def list_tuning_jobs(client: Any, prefix: str, *, max_jobs: int = MAX_LISTED_JOBS) -> list[dict[str, Any]]:
    """ListHyperParameterTuningJobs summaries whose name contains ``prefix``, newest first,
    JSON-safe. SageMaker only filters by "contains": the caller keeps the names that start
    with the prefix. AWS errors propagate (the caller's retry policy acts on them).
    """
    summaries: list[dict[str, Any]] = []
    paginator = client.get_paginator("list_hyper_parameter_tuning_jobs")
    pages = paginator.paginate(
        NameContains=prefix, SortBy="CreationTime", SortOrder="Descending",
        PaginationConfig={"MaxItems": max_jobs, "PageSize": _PAGE_SIZE},
    )
    for page in pages:
        summaries.extend(page.get("HyperParameterTuningJobSummaries", []))
    # Sorted again, on botocore's datetimes (before they become text): the contract is
    # "newest first" whatever the endpoint did. A missing time sorts last.
    oldest = _dt.datetime.min.replace(tzinfo=_dt.timezone.utc)
    summaries.sort(key=lambda s: _aware(s.get("CreationTime")) or oldest, reverse=True)
    return [json_safe(summary) for summary in summaries]


def _aware(value: Any) -> _dt.datetime | None:
    if not isinstance(value, _dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=_dt.timezone.utc)


def model_problems(client: Any, request: Any, operation: str = "CreateHyperParameterTuningJob") -> list[str]:
    """botocore's own validation of ``request`` against the client's service model, one
    line per problem (empty when valid). Offline: the model ships with botocore."""
    from botocore.validate import ParamValidator  # only needed once a request is final

    shape = client.meta.service_model.operation_model(operation).input_shape
    report = ParamValidator().validate(request, shape)
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines() if line.strip()]


def list_job_tags(client: Any, arn: str) -> list[dict[str, Any]]:
    """Every tag of the resource ``arn`` (ListTags, all pages). AWS errors propagate."""
    tags: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        response = client.list_tags(ResourceArn=arn, MaxResults=100, **({"NextToken": token} if token else {}))
        tags.extend(response.get("Tags") or [])
        token = response.get("NextToken")
        if not token:
            return tags
