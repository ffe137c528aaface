"""The first step of a run: check the execution input before anything waits.

A pipeline may wait days for its parents; a typo in the execution input must not be
found only after that. ``prepare_run`` applies the pipeline's defaults (parents, warm
start type) and checks everything knowable without AWS: the input's shape, the parent
list, the warm-start type, the overrides merged into the static request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._access import show
from .codes import INVALID_REQUEST
from .engine import check_static
from .errors import Violation, WarmStartValidationError
from .planner import OVERRIDE_KEYS, _read_settings, merge_overrides


def prepare_run(event: Any) -> dict[str, Any]:
    """``{"parents", "warmStartType", "overrides"}`` for the rest of the run.

    ``event`` = ``{"input": <execution input>, "defaults": {"parents", "warmStartType"},
    "request": <static request>, "settings": {...}}``. Raises WarmStartValidationError
    with every problem; never anything else.
    """
    try:
        return _prepare(event)
    except WarmStartValidationError:
        raise
    except Exception as error:  # the promise is: nothing but our error
        raise WarmStartValidationError([Violation(INVALID_REQUEST, f"prepare: {type(error).__name__}: {error}")]) from None


def _prepare(event: Any) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise WarmStartValidationError([Violation(INVALID_REQUEST, f"prepare event must be an object; got {show(event)}")])
    run_input = {} if event.get("input") is None else event["input"]
    if not isinstance(run_input, Mapping):
        raise WarmStartValidationError(
            [Violation(INVALID_REQUEST, f"execution input must be a JSON object (or empty); got {show(run_input)}")]
        )
    defaults = event.get("defaults") if isinstance(event.get("defaults"), Mapping) else {}
    violations: list[Violation] = []
    unknown = [key for key in run_input if key not in OVERRIDE_KEYS]
    if unknown:
        violations.append(
            Violation(
                INVALID_REQUEST,
                f"execution input: unknown field(s) {', '.join(map(show, unknown[:10]))}; "
                f"allowed: {', '.join(OVERRIDE_KEYS)}",
            )
        )
    parents = _chosen(run_input, defaults, "parents")
    warm_start_type = _chosen(run_input, defaults, "warmStartType")
    if parents in (None, []):
        violations.append(
            Violation(INVALID_REQUEST, "execution input: name the parent tuning jobs (\"parents\"): "
                                       "the pipeline has no default parents")
        )
    prefix, limit, _policy = _read_settings(event.get("settings"), violations)
    request, override_violations = merge_overrides(event.get("request"), run_input, job_name_prefix=prefix)
    violations.extend(override_violations)
    violations.extend(
        check_static(request, warm_start_type, parents if parents not in (None, []) else None,
                     training_job_limit=limit)
    )
    if violations:
        raise WarmStartValidationError(_unique(violations))
    return {"parents": list(parents), "warmStartType": warm_start_type, "overrides": dict(run_input)}


def _chosen(run_input: Mapping[str, Any], defaults: Mapping[str, Any], key: str) -> Any:
    """The input's value when given (not null), else the pipeline's default."""
    value = run_input.get(key)
    return defaults.get(key) if value is None else value


def _unique(violations: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(violations))
