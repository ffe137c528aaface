"""Run synthesized pipelines without AWS: Step Functions on moto, real Lambda handlers
in-process, simulated SageMaker tuning jobs, and scalable simulated time.

Needs the ``[local]`` extra (``pip install 'cdk-warm-start-tuning[local]'``: moto and
its Step Functions parser). Names are imported on first use, so importing this package
does not import moto; without the extra, the first use raises one ImportError
(:class:`~.requirements.LocalEngineUnavailable`) naming the command that installs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "Delivery",
    "ExecutionResult",
    "ExecutionTimeout",
    "LocalEngine",
    "SimulatedClock",
    "SimulatedSageMaker",
    "StateEvent",
    "InvalidDefinitionError",
    "TemplateError",
    "UnsupportedDefinitionError",
    "default_tuning_request",
    "example_parents",
]

# Submodules reachable as attributes (``warm_start_tuning.local.example_parents``).
_SUBMODULES = {"example_parents", "requirements"}

_WHERE = {
    "Delivery": ".events_router",
    "ExecutionResult": ".engine",
    "ExecutionTimeout": ".engine",
    "LocalEngine": ".engine",
    "StateEvent": ".engine",
    "SimulatedClock": ".clock",
    "SimulatedSageMaker": ".simulated_jobs",
    "default_tuning_request": ".simulated_jobs",
    "TemplateError": ".template",
    "InvalidDefinitionError": ".template",
    "UnsupportedDefinitionError": ".template",
}

if TYPE_CHECKING:  # pragma: no cover
    from .clock import SimulatedClock
    from .engine import ExecutionResult, ExecutionTimeout, LocalEngine, StateEvent
    from .events_router import Delivery
    from .simulated_jobs import SimulatedSageMaker, default_tuning_request
    from .template import InvalidDefinitionError, TemplateError, UnsupportedDefinitionError


def __getattr__(name: str) -> Any:
    from importlib import import_module

    if name in _SUBMODULES:
        return import_module(f".{name}", __name__)
    if name in _WHERE:
        from .requirements import require_local_engine

        require_local_engine()
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
