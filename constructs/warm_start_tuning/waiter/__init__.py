"""Waiting for tuning jobs to be terminal, within Step Functions' history-event budget."""

from .wait_for_tuning_jobs import WaitForTuningJobs

__all__ = ["WaitForTuningJobs"]
