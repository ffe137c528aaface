"""The first step of a run: check the execution input before anything waits, and
decide the parents.

A pipeline may wait days for its parents; a typo in the execution input must not be
found only after that. ``prepare_run`` checks everything knowable without AWS first (the
input's shape, the parent list, the warm-start type, the overrides merged into the static
request) and only then, when the input asks for it, uses AWS:

- parents, by precedence: the input's ``parents`` > the input's ``resume`` (a Stopped or
  Failed job, continued with the rest of its budget) > the pipeline's default parents >
  automatic selection among the pipeline's earlier jobs;
- ``newObject`` (from the new-data trigger) becomes ``inputData``;
- the run key (``run_key.py``): the execution name, or for a trigger-started run the
  digest of its input, which holds the triggering event's identity.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._access import show
from .codes import INVALID_REQUEST
from .engine import check_static, max_training_jobs
from .errors import Violation, WarmStartValidationError
from .limits import IDENTICAL_DATA_AND_ALGORITHM
from .input_policy import InputPolicy, name_is_parent_violations, name_violation
from .new_data import input_data_for, read_channels
from .parent_selection import Describe, ListJobs, Selection, fixed_selection, select_automatically
from .planner import OVERRIDE_KEYS, _read_settings, merge_overrides, tuning_job_name
from .resume import resume_from, resume_name_problem
from .run_key import execution_name_violations, identity_violations, run_key
from .state_size import state_size_violations

# Input fields that prepare resolves; the overrides it returns no longer hold them.
_RESOLVED_KEYS = ("resume", "newObject")


class _Aws:
    """The injected AWS calls, remembering what they raised: an AWS error must leave
    prepare_run as itself (Step Functions retries it), not as a rejection."""

    def __init__(self, list_jobs: ListJobs | None, describe: Describe | None) -> None:
        self._list_jobs, self._describe = list_jobs, describe
        self.raised: BaseException | None = None

    def _call(self, function: Callable[[str], Any] | None, what: str, argument: str) -> Any:
        if function is None:
            raise WarmStartValidationError([Violation(
                INVALID_REQUEST, f"prepare: {what} needs AWS access, and none was given")])
        try:
            return function(argument)
        except Exception as error:
            self.raised = error
            raise

    def list_jobs(self, prefix: str) -> Sequence[Mapping[str, Any]]:
        return self._call(self._list_jobs, "choosing parents automatically", prefix)

    def describe(self, name: str) -> Mapping[str, Any] | None:
        return self._call(self._describe, "describing tuning jobs", name)


def prepare_run(event: Any, *, list_jobs: ListJobs | None = None,
                describe: Describe | None = None) -> dict[str, Any]:
    """``{"parents", "warmStartType", "overrides", "selection", "request"}`` for the rest
    of the run (``request``: the static request, handed on to the validate step).

    ``event`` = ``{"input": <execution input>, "defaults": {"parents", "warmStartType"},
    "request": <static request>, "settings": {...}}``. ``list_jobs(prefix)`` and
    ``describe(name)`` are only called for automatic selection and resume. Raises
    WarmStartValidationError with every problem; AWS errors of the injected calls
    propagate unchanged; nothing else.
    """
    aws = _Aws(list_jobs, describe)
    try:
        return _prepare(event, aws)
    except WarmStartValidationError:
        raise
    except Exception as error:  # the promise is: nothing but our error (or AWS's own)
        if error is aws.raised:
            raise
        raise WarmStartValidationError([Violation(INVALID_REQUEST, f"prepare: {type(error).__name__}: {error}")]) from None


def _given(value: Any) -> bool:
    """null and [] mean "not given": fall through to the next source of parents."""
    return value is not None and value != []


def _prepare(event: Any, aws: _Aws) -> dict[str, Any]:
    if not isinstance(event, Mapping):
        raise WarmStartValidationError([Violation(INVALID_REQUEST, f"prepare event must be an object; got {show(event)}")])
    run_input = {} if event.get("input") is None else event["input"]
    if not isinstance(run_input, Mapping):
        raise WarmStartValidationError(
            [Violation(INVALID_REQUEST, f"execution input must be a JSON object (or empty); got {show(run_input)}")]
        )
    defaults = event.get("defaults") if isinstance(event.get("defaults"), Mapping) else {}
    violations: list[Violation] = []
    prefix, limit, _policy = _read_settings(event.get("settings"), violations)
    policy = InputPolicy.from_settings(event.get("settings"), event.get("request"), prefix, violations)
    new_data = read_channels(event.get("settings"), []) is not None
    violations.extend(policy.field_violations(run_input, new_data=new_data))
    # Only known fields go on: an unknown one is reported once, above.
    overrides = {key: value for key, value in run_input.items()
                 if key in OVERRIDE_KEYS and key not in _RESOLVED_KEYS}
    _apply_new_object(run_input, event.get("settings"), overrides, violations)
    violations.extend(identity_violations(run_input))
    violations.extend(execution_name_violations(event.get("executionName")))
    violations.extend(policy.override_violations(overrides, event.get("request")))

    resume = run_input.get("resume")
    mode = _parent_mode(run_input, defaults, prefix, violations)
    parents = run_input.get("parents") if mode == "input" else defaults.get("parents")
    if mode == "input":
        violations.extend(policy.parent_violations(parents))
    if mode in ("input", "defaults", "resume"):
        # A resumed job is the run's only parent: it may not be the new job's name either.
        named = [resume] if mode == "resume" else parents
        violations.extend(name_is_parent_violations(run_input.get("tuningJobName"), named))
    warm_start_type = run_input.get("warmStartType")
    if warm_start_type is None:
        # A resume continues the same search: same data and algorithm, whatever the default.
        warm_start_type = IDENTICAL_DATA_AND_ALGORITHM if mode == "resume" else defaults.get("warmStartType")

    request, override_violations = merge_overrides(event.get("request"), overrides, job_name_prefix=prefix)
    violations.extend(override_violations)
    violations.extend(
        check_static(request, warm_start_type, parents if mode in ("input", "defaults") else None,
                     training_job_limit=limit)
    )
    violations.extend(state_size_violations(run_input=run_input, static_request=event.get("request"),
                                            planned_request=request))
    if violations:  # before any AWS call: a bad input costs nothing
        raise WarmStartValidationError(_unique(violations))

    selection: Selection
    key = run_key(run_input, event.get("executionName"))
    if mode == "automatic":
        selection = select_automatically(prefix, aws.list_jobs, aws.describe,
                                         new_maximum=max_training_jobs(request), training_job_limit=limit,
                                         may_use=policy.may_describe,
                                         own_job=tuning_job_name(prefix, key) if key else None)
    elif mode == "resume":
        plan = resume_from(resume, aws.describe, run_input, event.get("request"), training_job_limit=limit)
        selection = plan.selection
        overrides.update(plan.overrides)
        # The resume's budget replaces the request's maximum: check the result once more.
        request, override_violations = merge_overrides(event.get("request"), overrides, job_name_prefix=prefix)
        violations = override_violations + check_static(request, warm_start_type, selection.chosen,
                                                        training_job_limit=limit)
        if violations:
            raise WarmStartValidationError(_unique(violations))
    else:
        selection = fixed_selection(mode, parents, limit)
    # The static request travels on in the state (the validate step reads it there), so
    # the template embeds it once.
    # runKey: the job's owner and name seed (run_key.py); None only without executionName
    # (the synth-time check of a schedule's input).
    return {"parents": list(selection.chosen), "warmStartType": warm_start_type, "overrides": overrides,
            "selection": selection.to_dict(), "request": event.get("request"),
            "runKey": key}


def _parent_mode(run_input: Mapping[str, Any], defaults: Mapping[str, Any], prefix: str,
                 violations: list[Violation]) -> str:
    """Where the parents come from: input > resume > defaults > automatic selection."""
    resume = run_input.get("resume")
    if _given(run_input.get("parents")):
        if resume is not None:
            violations.append(Violation(INVALID_REQUEST, "execution input: give either parents or resume, not both "
                                                         "(resume makes the resumed job the only parent)"))
        return "input"
    if resume is not None:
        problem = resume_name_problem(resume)
        if problem is not None:
            violations.append(Violation(INVALID_REQUEST, problem))
        elif name_violation("resume", resume, prefix) is not None:
            # Another pipeline's job: never described, so nothing of it reaches the cause.
            violations.append(name_violation("resume", resume, prefix))
        return "resume"
    return "defaults" if _given(defaults.get("parents")) else "automatic"


def _apply_new_object(run_input: Mapping[str, Any], settings: Any, overrides: dict[str, Any],
                      violations: list[Violation]) -> None:
    """``newObject`` -> ``overrides["inputData"]`` (one batch folder, one URI per channel)."""
    channels = read_channels(settings, violations)
    new_object = run_input.get("newObject")
    if new_object is None:
        return
    if run_input.get("inputData") is not None:
        violations.append(Violation(INVALID_REQUEST, "execution input: give either newObject or inputData, not "
                                                     "both (newObject decides the input data)"))
        return
    if channels is None:
        return  # the input policy reports newObject on a pipeline without new-data channels
    input_data = input_data_for(new_object, channels, violations)
    if input_data is not None:
        overrides["inputData"] = input_data


def _unique(violations: list[Violation]) -> list[Violation]:
    return list(dict.fromkeys(violations))
