"""The example app's pipeline, synthesized in-process, run on the local engine.

Shared by the behavioural tests and the run-local CLI tests: one synth per test module
(bundling skipped, no CDK CLI), then every scenario in its own LocalEngine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from cdk_helpers import load_example_app, new_app

from warm_start_tuning import WarmStartTuningPipeline, WarmStartType
from warm_start_tuning.local import ExecutionResult, LocalEngine
from warm_start_tuning.local.example_parents import PipelineInfo, add_parents, pipeline_info
from warm_start_tuning.rules import tuning_job_name

EXAMPLE_STACK = "WarmStartTuningExample"
#: The example pipeline with a 6-hour parent wait: a run that times out takes ~30 polls
#: instead of the ~340 of the default 7 days.
SHORT_WAIT_STACK = "WarmStartTuningShortWait"
SHORT_WAIT_TIMEOUT_S = 6 * 3600
PARENT = "imgcls-parent-1"
PREFIX = "imgcls"
#: A simulated day in under a second: runs that wait for hours take a fraction of one.
TIME_SCALE = 100_000.0
COMPLETED = (("Completed", None),)


@dataclass(frozen=True)
class Templates:
    example: Path
    short_wait: Path


def synthesize(outdir: Path) -> Templates:
    """app.py's stack as `cdk synth` writes it, plus the short-wait variant (its own app)."""
    example = load_example_app()
    app = new_app(outdir)
    # wait_mode="polling": these are the poll loop's tests (its states, its backoff); the
    # default event wait runs in tests/features/test_feature_event_waits.py and `make demo`.
    example.ImageClassifierTuningStack(app, EXAMPLE_STACK, bucket_name="example-ml-data", parent_job=PARENT,
                                       wait_mode="polling")
    # Its own app: the same name space twice in one app is refused (the trust model).
    variant_app = new_app(outdir / "short-wait")
    variant = Stack(variant_app, SHORT_WAIT_STACK)
    WarmStartTuningPipeline(
        variant,
        "ImageClassifierTuning",
        warm_start_type=WarmStartType.IDENTICAL_DATA_AND_ALGORITHM,
        tuning_job_config=example.tuning_job_config(),
        training_job_definition=example.training_job_definition(
            "example-ml-data", "arn:aws:iam::123456789012:role/imgcls-sagemaker"
        ),
        job_name_prefix=PREFIX,
        parents=[PARENT],
        parent_wait_timeout=Duration.seconds(SHORT_WAIT_TIMEOUT_S),
        wait_mode="polling",
    )
    app.synth()
    variant_app.synth()
    return Templates(
        example=outdir / f"{EXAMPLE_STACK}.template.json",
        short_wait=outdir / "short-wait" / f"{SHORT_WAIT_STACK}.template.json",
    )


@dataclass
class Pipeline:
    """A deployed pipeline on its own engine."""

    engine: LocalEngine
    arn: str
    info: PipelineInfo

    def add_parents(self, names: Sequence[str] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        """Parents created with the pipeline's own request (default: Completed already)."""
        kwargs.setdefault("status_path", COMPLETED)
        return add_parents(self.engine, self.info, names, **kwargs)

    def run(self, run_input: Mapping[str, Any] | None = None, *, name: str | None = None,
            timeout_s: float = 60.0) -> ExecutionResult:
        return self.engine.run(self.arn, dict(run_input or {}), name=name, timeout_s=timeout_s)

    def creates(self) -> list[str | None]:
        """Job names of every CreateHyperParameterTuningJob call so far."""
        return [name for operation, name in self.engine.sagemaker.calls
                if operation == "CreateHyperParameterTuningJob"]


@contextmanager
def running(template: Path, *, time_scale: float = TIME_SCALE, **engine_kwargs: Any) -> Iterator[Pipeline]:
    with LocalEngine(time_scale=time_scale, stack_name=template.name.split(".")[0], **engine_kwargs) as engine:
        arn = engine.deploy(template)
        yield Pipeline(engine=engine, arn=arn, info=pipeline_info(engine, arn))


def job_name(execution_name: str) -> str:
    return tuning_job_name(PREFIX, execution_name)


def entered(result: ExecutionResult) -> list[str]:
    return [name for name, _elapsed in result.states_entered]


def entered_at(result: ExecutionResult, state: str) -> list[float]:
    return [elapsed for name, elapsed in result.states_entered if name == state]


__all__ = [
    "COMPLETED", "PARENT", "PREFIX", "SHORT_WAIT_TIMEOUT_S", "TIME_SCALE", "Pipeline", "Templates",
    "entered", "entered_at", "job_name", "running", "synthesize",
]
