"""Simulated SageMaker hyperparameter tuning jobs, driven by the simulated clock.

moto's tuning jobs are born ``Completed`` with a fixed fake best training job. Here a
job follows a *status path* over simulated time, e.g. ``[("InProgress", 600),
("Completed", None)]``: InProgress for ten simulated minutes, then Completed. While it
runs, ``TrainingJobStatusCounters`` grow towards the number of training jobs it
launches; its ``BestTrainingJob`` is the best of the training jobs completed so far.

Objective values are deterministic: each training job's hyperparameters are drawn from
the request's ranges with a generator seeded by the tuning job's name and the training
job's index, and the objective is a smooth function of those values whose optimum
depends only on the hyperparameter names. The same request therefore gives the same
best training job on every run, and a warm-started job, whose first training jobs start
from its parents' best hyperparameters and improve on them, usually beats its parents.

This module knows nothing of moto: ``moto_internals`` calls the ``on_*`` hooks from
moto's SageMaker backend, and tests or demos use the public methods of
:class:`SimulatedSageMaker` (``engine.sagemaker``).
"""

from __future__ import annotations

import copy
import fnmatch
import hashlib
import math
import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ..rules import SAGEMAKER_MAX_TAGS
from .clock import SimulatedClock

__all__ = [
    "OPERATIONS",
    "STATUSES",
    "TERMINAL_STATUSES",
    "SimulatedApiError",
    "SimulatedSageMaker",
    "SimulatedTuningJob",
    "default_tuning_request",
]

# Deleting and DeleteFailed: SageMaker's statuses of a job being deleted (never terminal).
STATUSES = ("InProgress", "Stopping", "Completed", "Failed", "Stopped", "Deleting", "DeleteFailed")
TERMINAL_STATUSES = ("Completed", "Failed", "Stopped")
OPERATIONS = (
    "CreateHyperParameterTuningJob",
    "DescribeHyperParameterTuningJob",
    "ListHyperParameterTuningJobs",
    "StopHyperParameterTuningJob",
)

#: How long a simulated job stays ``Stopping`` after StopHyperParameterTuningJob.
STOPPING_SECONDS = 60.0
#: Duration of one training job when the status path does not imply one.
DEFAULT_TRAINING_JOB_SECONDS = 600.0

StatusPath = Sequence[tuple[str, float | None]]


class SimulatedApiError(Exception):
    """An error the simulated SageMaker API answers with (code as on AWS)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# --- requests ------------------------------------------------------------------------


def default_tuning_request(name: str = "local-tuning-job") -> dict[str, Any]:
    """A small valid CreateHyperParameterTuningJob request (XGBoost-shaped) for demos."""
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": "Maximize",
                "MetricName": "validation:auc",
            },
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Auto"},
                    {
                        "Name": "min_child_weight",
                        "MinValue": "1",
                        "MaxValue": "10",
                        "ScalingType": "Auto",
                    },
                ],
                "IntegerParameterRanges": [
                    {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"}
                ],
                "CategoricalParameterRanges": [],
            },
            "TrainingJobEarlyStoppingType": "Off",
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"objective": "binary:logistic", "num_round": "100"},
            "AlgorithmSpecification": {
                "TrainingImage": (
                    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
                ),
                "TrainingInputMode": "File",
            },
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "InputDataConfig": [
                {
                    "ChannelName": "train",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": "s3://example-bucket/train/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                },
                {
                    "ChannelName": "validation",
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": "s3://example-bucket/validation/",
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                },
            ],
            "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/output/"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 10,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    }


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _parameter_ranges(request: Mapping[str, Any]) -> Mapping[str, Any]:
    config = _as_mapping(request.get("HyperParameterTuningJobConfig"))
    ranges = config.get("ParameterRanges")
    if isinstance(ranges, Mapping):
        return ranges
    definition = request.get("TrainingJobDefinition")
    if not isinstance(definition, Mapping):
        definitions = request.get("TrainingJobDefinitions")
        definition = definitions[0] if isinstance(definitions, list) and definitions else {}
    return _as_mapping(_as_mapping(definition).get("HyperParameterRanges"))


def _objective(request: Mapping[str, Any]) -> tuple[str, str]:
    config = _as_mapping(request.get("HyperParameterTuningJobConfig"))
    objective = _as_mapping(config.get("HyperParameterTuningJobObjective"))
    kind = objective.get("Type") if objective.get("Type") in ("Maximize", "Minimize") else "Maximize"
    metric = objective.get("MetricName")
    return kind, metric if isinstance(metric, str) else "objective"


def _resource_limits(request: Mapping[str, Any]) -> tuple[int, int]:
    config = _as_mapping(request.get("HyperParameterTuningJobConfig"))
    limits = _as_mapping(config.get("ResourceLimits"))
    total = limits.get("MaxNumberOfTrainingJobs")
    parallel = limits.get("MaxParallelTrainingJobs")
    total = total if isinstance(total, int) and not isinstance(total, bool) and total > 0 else 10
    parallel = (
        parallel if isinstance(parallel, int) and not isinstance(parallel, bool) and parallel > 0 else 1
    )
    return total, min(parallel, total)


# --- the objective -------------------------------------------------------------------


def _unit(text: str) -> float:
    """A stable number in [0, 1) from ``text`` (same on every run and platform)."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _number(value: Any, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return number if math.isfinite(number) else default


@dataclass(frozen=True)
class _Range:
    kind: str  # "Continuous" | "Integer" | "Categorical"
    name: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    values: tuple[str, ...] = ()

    def position(self, value: Any) -> float:
        """Where ``value`` lies in the range, in [0, 1] (log scale when asked)."""
        number = _number(value, self.low)
        if self.log and self.low > 0 and number > 0:
            low, high, number = math.log(self.low), math.log(self.high), math.log(number)
        else:
            low, high = self.low, self.high
        if high <= low:
            return 0.5
        return min(1.0, max(0.0, (number - low) / (high - low)))

    def value_at(self, position: float) -> Any:
        position = min(1.0, max(0.0, position))
        if self.log and self.low > 0:
            value = math.exp(math.log(self.low) + position * (math.log(self.high) - math.log(self.low)))
        else:
            value = self.low + position * (self.high - self.low)
        if self.kind == "Integer":
            return int(round(value))
        return value

    def render(self, value: Any) -> str:
        if self.kind == "Integer":
            return str(int(value))
        if self.kind == "Continuous":
            return f"{float(value):.6g}"
        return str(value)


def _ranges(request: Mapping[str, Any]) -> list[_Range]:
    ranges = _parameter_ranges(request)
    found: list[_Range] = []
    for kind in ("Continuous", "Integer"):
        for spec in ranges.get(f"{kind}ParameterRanges") or []:
            if not isinstance(spec, Mapping) or not isinstance(spec.get("Name"), str):
                continue
            low = _number(spec.get("MinValue"), 0.0)
            high = _number(spec.get("MaxValue"), low + 1.0)
            found.append(
                _Range(kind, spec["Name"], low, max(low, high), spec.get("ScalingType") == "Logarithmic")
            )
    for spec in ranges.get("CategoricalParameterRanges") or []:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("Name"), str):
            continue
        values = tuple(str(v) for v in spec.get("Values") or [] if isinstance(v, (str, int, float)))
        if values:
            found.append(_Range("Categorical", spec["Name"], values=values))
    return found


def _optimum(spec: _Range) -> float:
    """Where in its range a numeric hyperparameter is best, in [0.2, 0.8]."""
    return 0.2 + 0.6 * _unit(f"optimum:{spec.name}")


def _quality(ranges: Sequence[_Range], values: Mapping[str, Any]) -> float:
    """How good a set of hyperparameters is, in (0, 1]: a smooth bump whose optimum
    depends only on the hyperparameter names (and categorical values)."""
    if not ranges:
        return 0.5
    penalty = 0.0
    for spec in ranges:
        if spec.kind == "Categorical":
            penalty += 0.5 * (1.0 - _unit(f"category:{spec.name}:{values.get(spec.name)}")) ** 2
        else:
            penalty += (spec.position(values.get(spec.name)) - _optimum(spec)) ** 2
    return math.exp(-4.0 * penalty / len(ranges))


def _metric_value(kind: str, quality: float) -> float:
    if kind == "Minimize":
        return round(0.02 + 0.98 * (1.0 - quality), 6)
    return round(0.5 + 0.49 * quality, 6)


def _better(kind: str, a: float, b: float) -> bool:
    return a < b if kind == "Minimize" else a > b


# --- one job -------------------------------------------------------------------------


def _check_status_path(path: StatusPath) -> list[tuple[str, float | None]]:
    if not isinstance(path, (list, tuple)) or not path:
        raise ValueError("status_path must be a non-empty list of (status, seconds) pairs")
    checked: list[tuple[str, float | None]] = []
    for index, step in enumerate(path):
        if not isinstance(step, (list, tuple)) or len(step) != 2:
            raise ValueError(f"status_path[{index}] must be a (status, seconds) pair")
        status, seconds = step
        if status not in STATUSES:
            raise ValueError(f"status_path[{index}]: unknown status {status!r}; use one of {STATUSES}")
        last = index == len(path) - 1
        if last:
            if status not in TERMINAL_STATUSES or seconds is not None:
                raise ValueError(
                    "status_path must end with a terminal status (Completed, Failed or Stopped) "
                    "and None as its duration"
                )
        else:
            if status in TERMINAL_STATUSES:
                raise ValueError(f"status_path[{index}]: terminal status {status!r} must come last")
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
                raise ValueError(f"status_path[{index}]: duration must be a number of seconds >= 0")
        checked.append((status, None if seconds is None else float(seconds)))
    return checked


@dataclass
class _Candidate:
    index: int
    values: dict[str, Any]
    value: float


@dataclass
class SimulatedTuningJob:
    """One tuning job's plan and request; its state is a pure function of time."""

    name: str
    arn: str
    request: dict[str, Any]
    created_at: datetime
    status_path: list[tuple[str, float | None]]
    launched: int
    completed: int | None = None
    failure_reason: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)
    parent_lookup: Callable[[str], SimulatedTuningJob | None] = field(
        default=lambda name: None, repr=False
    )
    _candidates: list[_Candidate] | None = field(default=None, repr=False)

    # --- timeline --------------------------------------------------------------------

    def _boundaries(self) -> list[tuple[str, float, float | None]]:
        """(status, start offset, end offset or None) for each step of the path."""
        steps = []
        offset = 0.0
        for status, seconds in self.status_path:
            end = None if seconds is None else offset + seconds
            steps.append((status, offset, end))
            if end is not None:
                offset = end
        return steps

    def _offset(self, now: datetime) -> float:
        return max(0.0, (now - self.created_at).total_seconds())

    def status_at(self, now: datetime) -> str:
        offset = self._offset(now)
        for status, start, end in self._boundaries():
            if end is None or offset < end:
                return status
        return self.status_path[-1][0]  # pragma: no cover - the last step is open

    def _terminal_offset(self) -> float:
        return self._boundaries()[-1][1]

    def _run_end(self) -> float:
        """Offset at which training stops: the first Stopping or terminal step."""
        for status, start, _end in self._boundaries():
            if status != "InProgress":
                return start
        return self._terminal_offset()  # pragma: no cover

    def _last_change(self, now: datetime) -> float:
        offset = self._offset(now)
        last = 0.0
        for _status, start, _end in self._boundaries():
            if start <= offset:
                last = start
        return last

    def transitions(self) -> list[tuple[str, datetime]]:
        """(status, moment it begins) for each step of the path, in order (a stop
        rewrites the steps still to come)."""
        return [(status, self.created_at + timedelta(seconds=start)) for status, start, _end in self._boundaries()]

    def seconds_until_change(self, now: datetime) -> float | None:
        """Simulated seconds until the status changes next; None once terminal."""
        offset = self._offset(now)
        for _status, _start, end in self._boundaries():
            if end is not None and offset < end:
                return end - offset
        return None

    def stop(self, now: datetime, stopping_seconds: float = STOPPING_SECONDS) -> None:
        """StopHyperParameterTuningJob at ``now``: Stopping for a while, then Stopped."""
        status = self.status_at(now)
        if status in TERMINAL_STATUSES:
            raise SimulatedApiError(
                "ValidationException",
                f"The hyperparameter tuning job {self.name} has already reached status "
                f"{status} and cannot be stopped.",
            )
        if status == "Stopping":
            return
        offset = self._offset(now)
        kept: list[tuple[str, float | None]] = []
        for step_status, start, end in self._boundaries():
            if start >= offset:
                break
            kept.append((step_status, (min(end, offset) if end is not None else offset) - start))
        self.status_path = [*kept, ("Stopping", stopping_seconds), ("Stopped", None)]

    # --- training jobs ---------------------------------------------------------------

    def _limits(self) -> tuple[int, int]:
        _total, parallel = _resource_limits(self.request)
        return self.launched, max(1, min(parallel, self.launched)) if self.launched else 1

    def _training_seconds(self) -> float:
        total, parallel = self._limits()
        waves = max(1, math.ceil(total / parallel)) if total else 1
        run_end = self._run_end()
        if self.status_path[-1][0] == "Completed":
            return run_end / waves
        return DEFAULT_TRAINING_JOB_SECONDS

    def _progress(self, offset: float) -> tuple[int, int]:
        """(finished, running) training jobs at ``offset`` while training."""
        total, parallel = self._limits()
        if total == 0:
            return 0, 0
        seconds = self._training_seconds()
        if seconds <= 0:
            return total, 0
        finished = min(total, parallel * int(offset // seconds))
        return finished, min(parallel, total - finished)

    def _counters(self, now: datetime) -> dict[str, int]:
        status = self.status_at(now)
        run_end = self._run_end()
        offset = min(self._offset(now), run_end)
        finished, running = self._progress(offset)
        total, _ = self._limits()
        counters = dict.fromkeys(
            ("Completed", "InProgress", "RetryableError", "NonRetryableError", "Stopped"), 0
        )
        if status == "InProgress":
            counters.update(Completed=finished, InProgress=running)
        elif status == "Stopping":
            counters.update(Completed=finished, InProgress=running)
        elif status == "Stopped":
            counters.update(Completed=finished, Stopped=running)
        elif status == "Completed":
            done = total if self.completed is None else min(self.completed, total)
            counters.update(Completed=done, NonRetryableError=total - done)
        else:  # Failed
            started = finished + running
            done = finished if self.completed is None else min(self.completed, started or total)
            counters.update(Completed=done, NonRetryableError=max(0, max(started, done) - done))
        return counters

    def _parent_centres(self) -> list[dict[str, Any]]:
        warm = _as_mapping(self.request.get("WarmStartConfig"))
        centres = []
        for parent in warm.get("ParentHyperParameterTuningJobs") or []:
            name = _as_mapping(parent).get("HyperParameterTuningJobName")
            job = self.parent_lookup(name) if isinstance(name, str) and name != self.name else None
            if job is not None:
                best = job.best_candidate()
                if best is not None:
                    centres.append(best.values)
        return centres

    def candidates(self) -> list[_Candidate]:
        """Every training job this tuning job would launch, in launch order."""
        if self._candidates is not None:
            return self._candidates
        ranges = _ranges(self.request)
        kind, _metric = _objective(self.request)
        centres = self._parent_centres()
        found = []
        for index in range(self.launched):
            seed = int.from_bytes(hashlib.sha256(f"{self.name}:{index}".encode()).digest()[:8], "big")
            rng = random.Random(seed)
            centre = centres[index % len(centres)] if centres and index < 2 * len(centres) else None
            values: dict[str, Any] = {}
            for spec in ranges:
                if spec.kind == "Categorical":
                    if centre is not None and centre.get(spec.name) in spec.values:
                        values[spec.name] = centre[spec.name]
                    else:
                        values[spec.name] = rng.choice(spec.values)
                elif centre is not None and spec.name in centre:
                    # What a warm start buys: the first training jobs start from the
                    # parents' best and move on from there, towards better values.
                    start = spec.position(centre[spec.name])
                    position = start + 0.5 * (_optimum(spec) - start) + rng.gauss(0.0, 0.02)
                    values[spec.name] = spec.value_at(position)
                else:
                    values[spec.name] = spec.value_at(rng.random())
            found.append(_Candidate(index, values, _metric_value(kind, _quality(ranges, values))))
        self._candidates = found
        return found

    def best_candidate(self, completed: int | None = None) -> _Candidate | None:
        """Best of the first ``completed`` training jobs (all when None)."""
        kind, _metric = _objective(self.request)
        pool = self.candidates()
        if completed is not None:
            pool = pool[:completed]
        best = None
        for candidate in pool:
            if best is None or _better(kind, candidate.value, best.value):
                best = candidate
        return best

    def training_job_name(self, index: int) -> str:
        suffix = hashlib.sha256(f"{self.name}:{index}:training".encode()).hexdigest()[:8]
        return f"{self.name}-{index + 1:03d}-{suffix}"

    def _training_summary(self, candidate: _Candidate) -> dict[str, Any]:
        ranges = {spec.name: spec for spec in _ranges(self.request)}
        kind, metric = _objective(self.request)
        _total, parallel = self._limits()
        seconds = self._training_seconds()
        start = (candidate.index // parallel) * seconds
        created = self.created_at + timedelta(seconds=start)
        end = self.created_at + timedelta(seconds=start + seconds)
        training_arn = self.arn.replace(
            "hyper-parameter-tuning-job/", "training-job/"
        ).rsplit("/", 1)[0] + "/" + self.training_job_name(candidate.index).lower()
        return {
            "TrainingJobName": self.training_job_name(candidate.index),
            "TrainingJobArn": training_arn,
            "TuningJobName": self.name,
            "CreationTime": created,
            "TrainingStartTime": created + timedelta(seconds=min(60.0, seconds / 10)),
            "TrainingEndTime": end,
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": {
                name: ranges[name].render(value) for name, value in candidate.values.items()
            },
            "FinalHyperParameterTuningJobObjectiveMetric": {
                "Type": kind,
                "MetricName": metric,
                "Value": candidate.value,
            },
            "ObjectiveStatus": "Succeeded",
        }

    def training_job_index(self, training_job_name: str) -> int | None:
        """The index of one of this job's training jobs, from its name (None if not one)."""
        if not training_job_name.startswith(f"{self.name}-"):
            return None
        number = training_job_name[len(self.name) + 1 :].split("-", 1)[0]
        if not number.isdigit() or not 1 <= int(number) <= self.launched:
            return None
        index = int(number) - 1
        return index if self.training_job_name(index) == training_job_name else None

    def describe_training_job(self, index: int, now: datetime) -> dict[str, Any] | None:
        """DescribeTrainingJob of training job ``index`` at ``now`` (None before it
        started). Its model artifact is where SageMaker writes one:
        ``<S3OutputPath>/<training job name>/output/model.tar.gz``."""
        candidate = self.candidates()[index]
        summary = self._training_summary(candidate)
        if now < summary["CreationTime"]:
            return None
        finished = now >= summary["TrainingEndTime"] and self._counters(now)["Completed"] > index
        definition = _as_mapping(self.request.get("TrainingJobDefinition"))
        output_path = str(_as_mapping(definition.get("OutputDataConfig")).get("S3OutputPath") or "s3://simulated/")
        name = summary["TrainingJobName"]
        response: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobArn": summary["TrainingJobArn"],
            "TuningJobArn": self.arn,
            "ModelArtifacts": {"S3ModelArtifacts": f"{output_path.rstrip('/')}/{name}/output/model.tar.gz"},
            "TrainingJobStatus": "Completed" if finished else "InProgress",
            "SecondaryStatus": "Completed" if finished else "Training",
            "HyperParameters": {
                **{str(k): str(v) for k, v in _as_mapping(definition.get("StaticHyperParameters")).items()},
                **summary["TunedHyperParameters"],
            },
            "CreationTime": summary["CreationTime"],
            "TrainingStartTime": summary["TrainingStartTime"],
            "LastModifiedTime": summary["TrainingEndTime"] if finished else summary["TrainingStartTime"],
        }
        for key in (
            "AlgorithmSpecification",
            "RoleArn",
            "InputDataConfig",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
        ):
            if key in definition:
                response[key] = copy.deepcopy(definition[key])
        if finished:
            metric = summary["FinalHyperParameterTuningJobObjectiveMetric"]
            response["TrainingEndTime"] = summary["TrainingEndTime"]
            response["FinalMetricDataList"] = [
                {"MetricName": metric["MetricName"], "Value": metric["Value"], "Timestamp": summary["TrainingEndTime"]}
            ]
        return response

    # --- API shapes ------------------------------------------------------------------

    def _times(self, now: datetime) -> dict[str, datetime]:
        status = self.status_at(now)
        times = {
            "CreationTime": self.created_at,
            "LastModifiedTime": self.created_at + timedelta(seconds=self._last_change(now)),
        }
        if status in TERMINAL_STATUSES:
            times["HyperParameterTuningEndTime"] = self.created_at + timedelta(
                seconds=self._terminal_offset()
            )
        return times

    def describe(self, now: datetime) -> dict[str, Any]:
        """DescribeHyperParameterTuningJob at ``now`` (datetimes, as boto3 returns)."""
        status = self.status_at(now)
        counters = self._counters(now)
        response: dict[str, Any] = {
            "HyperParameterTuningJobName": self.name,
            "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobConfig": copy.deepcopy(
                self.request.get("HyperParameterTuningJobConfig")
            ),
        }
        for key in ("TrainingJobDefinition", "TrainingJobDefinitions"):
            if key in self.request:
                response[key] = copy.deepcopy(self.request[key])
        response["HyperParameterTuningJobStatus"] = status
        response.update(self._times(now))
        response["TrainingJobStatusCounters"] = counters
        failed = counters["NonRetryableError"] + counters["RetryableError"] + counters["Stopped"]
        response["ObjectiveStatusCounters"] = {
            "Succeeded": counters["Completed"],
            "Pending": counters["InProgress"],
            "Failed": failed,
        }
        best = self.best_candidate(counters["Completed"]) if counters["Completed"] else None
        if best is not None:
            response["BestTrainingJob"] = self._training_summary(best)
        overall = self._overall_best(best)
        if overall is not None:
            response["OverallBestTrainingJob"] = overall
        for key in ("WarmStartConfig", "Autotune"):
            if key in self.request:
                response[key] = copy.deepcopy(self.request[key])
        if status == "Failed":
            response["FailureReason"] = self.failure_reason or (
                "Simulated failure: the tuning job was planned to fail."
            )
        if status in TERMINAL_STATUSES:
            response["TuningJobCompletionDetails"] = {
                "NumberOfTrainingJobsObjectiveNotImproving": max(
                    0, counters["Completed"] - 1 - (best.index if best else 0)
                )
            }
        running = min(self._offset(now), self._run_end())
        response["ConsumedResources"] = {"RuntimeInSeconds": int(running)}
        return response

    def _overall_best(self, own: _Candidate | None) -> dict[str, Any] | None:
        warm = _as_mapping(self.request.get("WarmStartConfig"))
        if warm.get("WarmStartType") != "IdenticalDataAndAlgorithm":
            return None
        kind, _metric = _objective(self.request)
        best_job, best = (self, own) if own is not None else (None, None)
        for parent in warm.get("ParentHyperParameterTuningJobs") or []:
            name = _as_mapping(parent).get("HyperParameterTuningJobName")
            job = self.parent_lookup(name) if isinstance(name, str) and name != self.name else None
            candidate = job.best_candidate() if job is not None else None
            if candidate is not None and (best is None or _better(kind, candidate.value, best.value)):
                best_job, best = job, candidate
        if best_job is None or best is None:
            return None
        return best_job._training_summary(best)

    def summary(self, now: datetime) -> dict[str, Any]:
        """A ListHyperParameterTuningJobs summary at ``now``."""
        config = _as_mapping(self.request.get("HyperParameterTuningJobConfig"))
        counters = self._counters(now)
        failed = counters["NonRetryableError"] + counters["RetryableError"] + counters["Stopped"]
        summary = {
            "HyperParameterTuningJobName": self.name,
            "HyperParameterTuningJobArn": self.arn,
            "HyperParameterTuningJobStatus": self.status_at(now),
            "Strategy": config.get("Strategy", "Bayesian"),
            **self._times(now),
            "TrainingJobStatusCounters": counters,
            "ObjectiveStatusCounters": {
                "Succeeded": counters["Completed"],
                "Pending": counters["InProgress"],
                "Failed": failed,
            },
        }
        if isinstance(config.get("ResourceLimits"), Mapping):
            summary["ResourceLimits"] = copy.deepcopy(config["ResourceLimits"])
        return summary


# --- the service ---------------------------------------------------------------------


@dataclass
class _Plan:
    pattern: str | None  # exact name, glob, or None for "the next job"
    status_path: list[tuple[str, float | None]]
    launched: int | None = None
    completed: int | None = None
    failure_reason: str | None = None
    created_at: datetime | None = None


class SimulatedSageMaker:
    """The simulated SageMaker tuning-job service of one LocalEngine.

    Test and demo API: :meth:`add_tuning_job` (a job that exists before the pipeline
    runs, e.g. a parent), :meth:`plan` (how a job the pipeline will create behaves),
    :meth:`inject_throttling`, :meth:`describe`, :attr:`calls`.
    """

    def __init__(
        self,
        clock: SimulatedClock,
        *,
        default_status_path: StatusPath = (("InProgress", 1800.0), ("Completed", None)),
        region: str = "us-east-1",
        account_id: str = "123456789012",
    ) -> None:
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.default_status_path = _check_status_path(default_status_path)
        self._jobs: dict[str, SimulatedTuningJob] = {}
        self._plans: list[_Plan] = []
        # [operation, job name or None, remaining, error code, message, HTTP status]
        self._throttles: list[list[Any]] = []
        self._calls: list[tuple[str, str | None, datetime]] = []
        self._lock = threading.RLock()
        #: Set by the engine: creates a job through the (mocked) SageMaker API.
        self.create_via_api: Callable[[dict[str, Any]], Any] | None = None
        #: Set by the engine: called after a job was created or stopped (its status
        #: changed other than by the passing of time).
        self.on_change: Callable[[], None] | None = None

    # --- test / demo API -------------------------------------------------------------

    def add_tuning_job(
        self,
        name: str,
        request: Mapping[str, Any] | None = None,
        *,
        status_path: StatusPath = (("Completed", None),),
        launched: int | None = None,
        completed: int | None = None,
        failure_reason: str | None = None,
        created_at: datetime | timedelta | None = None,
    ) -> dict[str, Any]:
        """Create a tuning job now (e.g. a parent), through the mocked SageMaker API.

        ``status_path`` runs from ``created_at`` (default: now; a ``timedelta`` means
        that long ago), so ``[("InProgress", 600), ("Completed", None)]`` with the default
        is InProgress for the next ten simulated minutes. ``launched`` is the number of
        training jobs it launches (default: MaxNumberOfTrainingJobs), ``completed`` how
        many of them complete (default: all). Returns the describe response.
        """
        if self.create_via_api is None:
            raise RuntimeError("add_tuning_job needs a running LocalEngine (use it inside `with`)")
        body = copy.deepcopy(dict(request)) if request is not None else default_tuning_request(name)
        body["HyperParameterTuningJobName"] = name
        if isinstance(created_at, timedelta):
            created_at = self.clock.now() - created_at
        elif created_at is not None and created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=timezone.utc)
        self._add_plan(
            _Plan(name, _check_status_path(status_path), launched, completed, failure_reason, created_at),
            front=True,
        )
        self.create_via_api(body)
        return self.describe(name)

    def plan(
        self,
        name: str | None = None,
        outcome: str = "Completed",
        *,
        after_seconds: float = 1800.0,
        status_path: StatusPath | None = None,
        launched: int | None = None,
        completed: int | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """Decide how a job that will be created later behaves.

        ``name`` is the exact job name, a glob (``"imgcls-*"``), or None for the next
        job created that no other plan names. ``outcome`` after ``after_seconds`` of
        InProgress: ``"Completed"``, ``"Failed"`` or ``"Stopped"``; or give the whole
        ``status_path``. Each plan is used once. Jobs without a plan follow
        ``default_status_path``.
        """
        if status_path is None:
            if outcome not in TERMINAL_STATUSES:
                raise ValueError(f"outcome must be one of {TERMINAL_STATUSES}")
            status_path = [("InProgress", after_seconds), (outcome, None)]
        self._add_plan(
            _Plan(name, _check_status_path(status_path), launched, completed, failure_reason)
        )

    def inject_throttling(self, operation: str, times: int = 1, *, job_name: str | None = None) -> None:
        """Make the next ``times`` calls of ``operation`` (optionally only for
        ``job_name``) fail with ThrottlingException, as a busy SageMaker API does."""
        self.inject_error(operation, "ThrottlingException", "Rate exceeded", times=times, job_name=job_name)

    def inject_error(
        self,
        operation: str,
        code: str,
        message: str,
        *,
        times: int = 1,
        job_name: str | None = None,
        status: int = 400,
    ) -> None:
        """Make the next ``times`` calls of ``operation`` (optionally only for
        ``job_name``) fail with SageMaker error ``code`` and ``message``, e.g. the
        ``ValidationException`` SageMaker answers a create it refuses."""
        if operation not in OPERATIONS:
            raise ValueError(f"operation must be one of {OPERATIONS}")
        if not isinstance(times, int) or times < 1:
            raise ValueError("times must be an integer >= 1")
        with self._lock:
            self._throttles.append([operation, job_name, times, code, message, status])

    def validate_create(self, name: str, tags: Any) -> None:
        """What SageMaker checks on CreateHyperParameterTuningJob that the simulation
        models: at most 50 tags in all (the ones Step Functions adds count)."""
        count = len(tags) if isinstance(tags, list) else 0
        if count > SAGEMAKER_MAX_TAGS:
            raise SimulatedApiError(
                "ValidationException",
                f"1 validation error detected: Value at 'tags' failed to satisfy constraint: Member "
                f"must have length less than or equal to {SAGEMAKER_MAX_TAGS} (got {count} for {name})",
            )

    def describe(self, name: str) -> dict[str, Any]:
        """The job's DescribeHyperParameterTuningJob response now (no API call)."""
        job = self.job(name)
        if job is None:
            raise KeyError(name)
        return job.describe(self.clock.now())

    def job(self, name: str) -> SimulatedTuningJob | None:
        with self._lock:
            return self._jobs.get(name)

    def describe_training_job(self, name: str) -> dict[str, Any] | None:
        """DescribeTrainingJob of a training job one of the simulated tuning jobs
        launched (None when no simulated tuning job launched it)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            index = job.training_job_index(name)
            if index is not None:
                return job.describe_training_job(index, self.clock.now())
        return None

    @property
    def jobs(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    @property
    def calls(self) -> list[tuple[str, str | None]]:
        """(operation, job name) of every API call the simulated service answered or
        throttled, in order: lets a test check, e.g., that a stop was requested."""
        with self._lock:
            return [(operation, name) for operation, name, _at in self._calls]

    # --- hooks for the mocked API (moto_internals) -------------------------------------

    def _add_plan(self, plan: _Plan, front: bool = False) -> None:
        with self._lock:
            if front:
                self._plans.insert(0, plan)
            else:
                self._plans.append(plan)

    def _take_plan(self, name: str) -> _Plan | None:
        with self._lock:
            for matcher in (
                lambda p: p.pattern == name,
                lambda p: p.pattern is not None and fnmatch.fnmatchcase(name, p.pattern),
                lambda p: p.pattern is None,
            ):
                for index, plan in enumerate(self._plans):
                    if matcher(plan):
                        return self._plans.pop(index)
            return None

    def record(self, operation: str, name: str | None) -> None:
        """Count a call, and raise ThrottlingException when one was injected for it."""
        with self._lock:
            self._calls.append((operation, name, self.clock.now()))
            for entry in self._throttles:
                if entry[0] == operation and entry[1] in (None, name) and entry[2] > 0:
                    entry[2] -= 1
                    if entry[2] == 0:
                        self._throttles.remove(entry)
                    raise SimulatedApiError(entry[3], entry[4], entry[5])

    def on_create(self, request: Mapping[str, Any], arn: str) -> SimulatedTuningJob:
        name = request["HyperParameterTuningJobName"]
        plan = self._take_plan(name)
        total, _parallel = _resource_limits(request)
        job = SimulatedTuningJob(
            name=name,
            arn=arn,
            request=copy.deepcopy(dict(request)),
            created_at=(plan.created_at if plan and plan.created_at else self.clock.now()),
            status_path=list(plan.status_path if plan else self.default_status_path),
            launched=plan.launched if plan and plan.launched is not None else total,
            completed=plan.completed if plan else None,
            failure_reason=plan.failure_reason if plan else None,
            tags=list(request.get("Tags") or []),
            parent_lookup=self.job,
        )
        with self._lock:
            self._jobs[name] = job
        if self.on_change is not None:
            self.on_change()
        return job

    def on_describe(self, name: str) -> dict[str, Any] | None:
        job = self.job(name)
        return None if job is None else job.describe(self.clock.now())

    def on_stop(self, name: str) -> None:
        job = self.job(name)
        if job is None:
            raise SimulatedApiError(
                "ResourceNotFound", f"Amazon SageMaker can't find a tuning job with name {name}"
            )
        job.stop(self.clock.now())
        if self.on_change is not None:
            self.on_change()

    def summaries(self, names: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
        now = self.clock.now()
        with self._lock:
            jobs = dict(self._jobs)
        wanted = jobs if names is None else {n: jobs[n] for n in names if n in jobs}
        return {name: job.summary(now) for name, job in wanted.items()}

    def seconds_until_change(self, name: str) -> float | None:
        job = self.job(name)
        return None if job is None else job.seconds_until_change(self.clock.now())

    def seconds_until_next_change(self) -> float | None:
        """Simulated seconds until any job's status changes next; None when none will."""
        now = self.clock.now()
        with self._lock:
            jobs = list(self._jobs.values())
        waits = [w for w in (job.seconds_until_change(now) for job in jobs) if w is not None]
        return min(waits) if waits else None
