"""The events AWS services send to EventBridge when something changes status.

**Step Functions Execution Status Change** (source ``aws.states``): sent for every
status a Standard workflow's execution takes, ``RUNNING`` at its start and
``SUCCEEDED``, ``FAILED``, ``TIMED_OUT`` or ``ABORTED`` at its end; Express workflows
send none. ``resources`` holds the execution ARN; ``detail`` carries what
DescribeExecution answers, with ``startDate``/``stopDate`` in epoch milliseconds,
``input``/``output`` as JSON text with ``inputDetails``/``outputDetails``
(``{"included": true}``; ``outputDetails`` is null without an output), ``error`` and
``cause`` (null unless the execution failed with them). Source: Step Functions developer
guide, "Automating Step Functions event delivery with EventBridge" (the example events
of each status); EventBridge events reference, "AWS Step Functions events" (delivery
type: best effort).

**SageMaker HyperParameter Tuning Job State Change** (source ``aws.sagemaker``): sent
when a tuning job's ``HyperParameterTuningJobStatus`` changes. ``resources`` holds the
job ARN; ``detail`` carries the DescribeHyperParameterTuningJob fields (times in epoch
milliseconds, ``Tags`` as a map). Source: SageMaker developer guide, "Events that Amazon
SageMaker AI sends to Amazon EventBridge" (hyperparameter tuning job state change; it
also notes that SageMaker "may send multiple events to EventBridge for each state
change").
"""

from __future__ import annotations

import datetime as _datetime
import json
import uuid
from collections.abc import Mapping
from typing import Any

from .events_router import event_time

__all__ = [
    "EXECUTION_STATUS_CHANGE",
    "SAGEMAKER_SOURCE",
    "STATES_SOURCE",
    "TUNING_JOB_STATE_CHANGE",
    "execution_status_change",
    "tuning_job_state_change",
]

STATES_SOURCE = "aws.states"
EXECUTION_STATUS_CHANGE = "Step Functions Execution Status Change"
SAGEMAKER_SOURCE = "aws.sagemaker"
TUNING_JOB_STATE_CHANGE = "SageMaker HyperParameter Tuning Job State Change"
_EPOCH = _datetime.datetime(1970, 1, 1, tzinfo=_datetime.timezone.utc)


def _epoch_millis(moment: Any) -> int | None:
    if not isinstance(moment, _datetime.datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_datetime.timezone.utc)
    # Whole milliseconds, truncated (exact integer arithmetic, no float rounding).
    return (moment - _EPOCH) // _datetime.timedelta(milliseconds=1)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _enum_value(value: Any) -> str:
    return str(getattr(value, "value", value))


def execution_status_change(
    description: Mapping[str, Any], *, account: str, region: str, now: _datetime.datetime
) -> dict[str, Any]:
    """The event for an execution as DescribeExecution describes it (boto3 or moto
    shape: datetimes for the dates)."""
    status = _enum_value(description["status"])
    output = _text(description.get("output")) if status == "SUCCEEDED" else None
    input_text = _text(description.get("input"))
    detail = {
        "executionArn": description["executionArn"],
        "stateMachineArn": description["stateMachineArn"],
        "name": description.get("name"),
        "status": status,
        "startDate": _epoch_millis(description.get("startDate")),
        "stopDate": None if status == "RUNNING" else _epoch_millis(description.get("stopDate")),
        "input": input_text,
        "output": output,
        "inputDetails": {"included": True} if input_text is not None else None,
        "outputDetails": {"included": True} if output is not None else None,
        "error": description.get("error") or None,
        "cause": description.get("cause") or None,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": EXECUTION_STATUS_CHANGE,
        "source": STATES_SOURCE,
        "account": account,
        "time": event_time(now),
        "region": region,
        "resources": [description["executionArn"]],
        "detail": detail,
    }


def _millis_everywhere(value: Any) -> Any:
    if isinstance(value, _datetime.datetime):
        return _epoch_millis(value)
    if isinstance(value, Mapping):
        return {key: _millis_everywhere(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_millis_everywhere(item) for item in value]
    return value


def tuning_job_state_change(
    description: Mapping[str, Any],
    tags: list[dict[str, str]] | None = None,
    *,
    account: str,
    region: str,
    now: _datetime.datetime,
) -> dict[str, Any]:
    """The event for a tuning job as DescribeHyperParameterTuningJob describes it."""
    detail = _millis_everywhere({k: v for k, v in description.items() if k != "ResponseMetadata"})
    detail["Tags"] = {tag["Key"]: tag.get("Value", "") for tag in tags or [] if "Key" in tag}
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": TUNING_JOB_STATE_CHANGE,
        "source": SAGEMAKER_SOURCE,
        "account": account,
        "time": event_time(now),
        "region": region,
        "resources": [description["HyperParameterTuningJobArn"]],
        "detail": detail,
    }
