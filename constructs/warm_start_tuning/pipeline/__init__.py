"""The warm-start workflow: as a fragment to embed, and as a ready-made pipeline."""

from .props import WarmStartType
from .rounds import WarmStartRounds
from .triggers import NewDataTrigger, PipelineSchedule
from .warm_start_tuning import WarmStartTuning
from .warm_start_tuning_pipeline import WarmStartTuningPipeline

__all__ = [
    "NewDataTrigger",
    "PipelineSchedule",
    "WarmStartRounds",
    "WarmStartType",
    "WarmStartTuning",
    "WarmStartTuningPipeline",
]
