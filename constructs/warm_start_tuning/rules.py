"""The warm-start rule engine, for library users (synth-time checks, scripts, notebooks).

A re-export, not a copy: the single engine lives with the Lambda asset
(``warm_start_tuning.lambdas.warm_start_validator.warm_start_rules``) so that the
validator Lambda, the constructs and the command line apply the very same rules.
"""

from __future__ import annotations

from warm_start_tuning.lambdas.warm_start_validator import warm_start_rules as _engine
from warm_start_tuning.lambdas.warm_start_validator.warm_start_rules import *  # noqa: F401,F403
from warm_start_tuning.lambdas.warm_start_validator.warm_start_rules.planner import (
    RUN_KEY_TAG_KEY,
    merge_overrides,
    plan,
    run_key_tag_value,
    tuning_job_name,
)

__all__ = sorted(
    set(getattr(_engine, "__all__", ()))
    | {"RUN_KEY_TAG_KEY", "merge_overrides", "plan", "run_key_tag_value", "tuning_job_name"}
)
