"""cdk-warm-start-tuning: AWS CDK constructs for SageMaker warm-start hyperparameter tuning.

Public API:

- :class:`WarmStartTuningPipeline`: the whole state machine, secure by default.
- :class:`WarmStartTuning`: the same steps as a fragment for a larger workflow.
- :class:`SageMakerCreateHyperParameterTuningJob`: Step Functions task (REQUEST_RESPONSE, RUN_JOB).
- :class:`WaitForTuningJobs`: waits for 1 to 5 tuning jobs to be terminal.
- :class:`WarmStartValidator`: the validator Lambda, one per stack.
- :class:`PipelineSchedule`, :class:`NewDataTrigger`, :class:`WarmStartRounds`: options of
  the pipeline (scheduled runs, runs on new data, repeated warm-start rounds).
- :class:`TuningJobConfig`, :class:`ContinuousRange`, :class:`IntegerRange`,
  :class:`CategoricalRange`, :class:`Objective`, :class:`S3Channel`: typed helpers that
  are the boto3 dicts (mix them with raw dicts freely).
- :class:`WarmStartType`, and the rule engine in :mod:`warm_start_tuning.rules`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The constructs import aws_cdk (jsii starts a Node process: seconds); the command line
# and the rule engine must not pay for that, so the public names load on first use.
_PUBLIC = {
    "CategoricalRange": ".helpers",
    "ContinuousRange": ".helpers",
    "IntegerRange": ".helpers",
    "Objective": ".helpers",
    "S3Channel": ".helpers",
    "TuningJobConfig": ".helpers",
    "NewDataTrigger": ".pipeline",
    "PipelineSchedule": ".pipeline",
    "WarmStartRounds": ".pipeline",
    "SageMakerCreateHyperParameterTuningJob": ".tasks",
    "WaitForTuningJobs": ".waiter",
    "WarmStartTuning": ".pipeline",
    "WarmStartTuningPipeline": ".pipeline",
    "WarmStartType": ".pipeline",
    "WarmStartValidator": ".validator",
}

__all__ = sorted(_PUBLIC)

if TYPE_CHECKING:  # pragma: no cover
    from .helpers import CategoricalRange, ContinuousRange, IntegerRange, Objective, S3Channel, TuningJobConfig
    from .pipeline import (
        NewDataTrigger,
        PipelineSchedule,
        WarmStartRounds,
        WarmStartTuning,
        WarmStartTuningPipeline,
        WarmStartType,
    )
    from .tasks import SageMakerCreateHyperParameterTuningJob
    from .validator import WarmStartValidator
    from .waiter import WaitForTuningJobs


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))
