"""SageMaker's tuning job state change events, for the simulated tuning jobs.

A simulated job's status is a function of simulated time (:mod:`.simulated_jobs`), so
nothing "happens" when it changes. :class:`TuningJobEvents` looks whenever the clock
moves, a job is created or a job is stopped, and sends one event for each status a job
entered since it last looked, in order, each described as the job was at the moment
it entered that status (so a clock that jumps over Stopping still sends Stopping, then
Stopped). A job created with a past ``created_at`` (a parent that existed before the
test) sends nothing for the statuses it took before the engine saw it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .clock import SimulatedClock
from .simulated_jobs import SimulatedSageMaker
from .status_events import tuning_job_state_change

__all__ = ["TuningJobEvents"]


class TuningJobEvents:
    """Sends ``SageMaker HyperParameter Tuning Job State Change`` events through
    ``put`` (the engine's EventBridge)."""

    def __init__(
        self,
        sagemaker: SimulatedSageMaker,
        clock: SimulatedClock,
        put: Callable[[dict[str, Any]], Any],
        *,
        account: str,
        region: str,
    ) -> None:
        self._sagemaker = sagemaker
        self._clock = clock
        self._put = put
        self._account = account
        self._region = region
        self._lock = threading.Lock()
        #: Per job: the (status, moment) transitions already sent or already past.
        self._sent: dict[str, set[tuple[str, datetime]]] = {}
        self._last_status: dict[str, str] = {}

    def check(self) -> None:
        """Send the events of every status change up to now."""
        now = self._clock.now()
        events: list[tuple[datetime, dict[str, Any]]] = []
        with self._lock:
            for name in self._sagemaker.jobs:
                job = self._sagemaker.job(name)
                if job is None:
                    continue
                sent = self._sent.get(name)
                transitions = [t for t in job.transitions() if t[1] <= now]
                if sent is None:
                    # First sight: a job born now announces its first status; what a job
                    # created in the past went through is history.
                    sent = self._sent[name] = set()
                    if job.created_at < now:
                        sent.update(transitions)
                        if transitions:
                            self._last_status[name] = transitions[-1][0]
                        continue
                for status, moment in transitions:
                    if (status, moment) in sent:
                        continue
                    sent.add((status, moment))
                    if self._last_status.get(name) == status:
                        continue  # a step of the same status: no change
                    self._last_status[name] = status
                    event = tuning_job_state_change(
                        job.describe(moment), job.tags, account=self._account, region=self._region, now=moment
                    )
                    events.append((moment, event))
        # In the order the changes happened, across jobs.
        for _moment, event in sorted(events, key=lambda pair: pair[0]):
            self._put(event)
