"""Typed helpers for the request, offered beside boto3's raw dicts (never instead).

Each helper *is* the boto3 dict (a ``dict`` subclass built from typed arguments), so it
goes wherever the props take a dict, and the two can be mixed::

    tuning_job_config = TuningJobConfig(
        objective=Objective.maximize("validation:auc"),
        ranges=[ContinuousRange("eta", 0.1, 0.5), IntegerRange("max_depth", 3, 9),
                CategoricalRange("booster", ["gbtree", "dart"])],
        max_training_jobs=10, max_parallel_training_jobs=2,
    )
    training_job_definition = {..., "InputDataConfig": [S3Channel("train", "s3://my-ml-data/churn/train/")]}

Values are written as SageMaker takes them (range bounds as strings); the same checks
apply as to a hand-written dict (botocore's model and the warm-start rules at synth).
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Sequence, Union

Number = Union[int, float, str]
ScalingType = Literal["Auto", "Linear", "Logarithmic", "ReverseLogarithmic"]

__all__ = ["CategoricalRange", "ContinuousRange", "IntegerRange", "Objective", "S3Channel", "TuningJobConfig"]


def _text(value: Number) -> str:
    return value if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)


class ContinuousRange(dict):
    """``ContinuousParameterRange``: ``{"Name", "MinValue", "MaxValue", "ScalingType"}``."""

    def __init__(self, name: str, min_value: Number, max_value: Number, scaling_type: ScalingType = "Auto") -> None:
        super().__init__(Name=name, MinValue=_text(min_value), MaxValue=_text(max_value), ScalingType=scaling_type)


class IntegerRange(dict):
    """``IntegerParameterRange``: ``{"Name", "MinValue", "MaxValue", "ScalingType"}``."""

    def __init__(self, name: str, min_value: Union[int, str], max_value: Union[int, str],
                 scaling_type: ScalingType = "Auto") -> None:
        super().__init__(Name=name, MinValue=_text(min_value), MaxValue=_text(max_value), ScalingType=scaling_type)


class CategoricalRange(dict):
    """``CategoricalParameterRange``: ``{"Name", "Values"}``."""

    def __init__(self, name: str, values: Sequence[str]) -> None:
        super().__init__(Name=name, Values=[str(v) for v in values])


class Objective(dict):
    """``HyperParameterTuningJobObjective``: ``{"Type", "MetricName"}``."""

    def __init__(self, metric_name: str, type: Literal["Maximize", "Minimize"]) -> None:  # noqa: A002
        super().__init__(Type=type, MetricName=metric_name)

    @classmethod
    def maximize(cls, metric_name: str) -> "Objective":
        return cls(metric_name, "Maximize")

    @classmethod
    def minimize(cls, metric_name: str) -> "Objective":
        return cls(metric_name, "Minimize")


class S3Channel(dict):
    """A ``Channel`` of ``InputDataConfig`` reading an S3 prefix."""

    def __init__(self, name: str, s3_uri: str, *, content_type: Optional[str] = None,
                 compression_type: Optional[Literal["None", "Gzip"]] = None,
                 distribution: Literal["FullyReplicated", "ShardedByS3Key"] = "FullyReplicated",
                 s3_data_type: Literal["S3Prefix", "ManifestFile", "AugmentedManifestFile"] = "S3Prefix",
                 input_mode: Optional[Literal["Pipe", "File", "FastFile"]] = None) -> None:
        channel: dict[str, Any] = {
            "ChannelName": name,
            "DataSource": {"S3DataSource": {"S3DataType": s3_data_type, "S3Uri": s3_uri,
                                            "S3DataDistributionType": distribution}},
        }
        if content_type is not None:
            channel["ContentType"] = content_type
        if compression_type is not None:
            channel["CompressionType"] = compression_type
        if input_mode is not None:
            channel["InputMode"] = input_mode
        super().__init__(channel)


class TuningJobConfig(dict):
    """``HyperParameterTuningJobConfig`` from an objective, ranges and limits. ``ranges``
    may mix the three range helpers (or their dicts, each with a ``"type"`` chosen by
    which helper built it)."""

    def __init__(self, *, objective: dict, ranges: Sequence[dict], max_training_jobs: int,
                 max_parallel_training_jobs: int,
                 strategy: Literal["Bayesian", "Random", "Hyperband", "Grid"] = "Bayesian",
                 **extra: Any) -> None:
        groups: dict[str, list] = {"ContinuousParameterRanges": [], "IntegerParameterRanges": [],
                                   "CategoricalParameterRanges": []}
        for item in ranges:
            if isinstance(item, ContinuousRange):
                groups["ContinuousParameterRanges"].append(item)
            elif isinstance(item, IntegerRange):
                groups["IntegerParameterRanges"].append(item)
            elif isinstance(item, CategoricalRange):
                groups["CategoricalParameterRanges"].append(item)
            else:
                raise TypeError(f"TuningJobConfig: ranges: expected ContinuousRange, IntegerRange or "
                                f"CategoricalRange, got {type(item).__name__} {item!r} (put raw dicts in "
                                "a raw HyperParameterTuningJobConfig instead)")
        super().__init__(
            Strategy=strategy,
            HyperParameterTuningJobObjective=objective,
            ResourceLimits={"MaxNumberOfTrainingJobs": max_training_jobs,
                            "MaxParallelTrainingJobs": max_parallel_training_jobs},
            ParameterRanges=groups,
            **extra,
        )
