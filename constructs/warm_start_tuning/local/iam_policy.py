"""The identity policy of a state machine's role, as the local engine evaluates it.

The engine runs every state machine with a role of its own (moto checks nothing), so
without this a missing permission would only show on AWS. The template's role and its
policies (``AWS::IAM::Policy`` resources attached to it, and the role's inline
``Policies``) are read once at deploy; the simulated SageMaker then asks whether the
role may do what a create call needs, and answers ``AccessDeniedException`` as
SageMaker does when it may not.

Evaluated like IAM for one identity policy: an explicit Deny wins, else an Allow whose
Action and Resource match (``*`` and ``?`` wildcards, actions case-insensitive), else
denied. Conditions are not evaluated (treated as met): the engine only asks about
actions whose statements carry none, except ``iam:PassRole``, which it does not ask.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RolePolicy"]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _matches(patterns: Iterable[Any], value: str, *, case_sensitive: bool) -> bool:
    for pattern in patterns:
        if not isinstance(pattern, str):
            continue
        if case_sensitive and fnmatch.fnmatchcase(value, pattern):
            return True
        if not case_sensitive and fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            return True
    return False


@dataclass(frozen=True)
class RolePolicy:
    """The resolved identity-policy statements of one role."""

    role_arn: str
    statements: tuple[Mapping[str, Any], ...]

    def _applies(self, statement: Mapping[str, Any], action: str, resource: str) -> bool:
        if "NotAction" in statement or "NotResource" in statement:
            return False  # not written by this library; never counted as an Allow
        return _matches(_as_list(statement.get("Action")), action, case_sensitive=False) and _matches(
            _as_list(statement.get("Resource")), resource, case_sensitive=True
        )

    def allows(self, action: str, resource: str) -> bool:
        found = [s for s in self.statements if self._applies(s, action, resource)]
        if any(s.get("Effect") == "Deny" for s in found):
            return False
        return any(s.get("Effect") == "Allow" for s in found)

    def denial(self, action: str, resource: str) -> str:
        """SageMaker's AccessDeniedException message for a call the role may not make."""
        name = self.role_arn.rsplit("/", 1)[-1]
        account = self.role_arn.split(":")[4] if self.role_arn.count(":") >= 5 else "123456789012"
        return (
            f"User: arn:aws:sts::{account}:assumed-role/{name}/local-engine is not authorized to "
            f"perform: {action} on resource: {resource} because no identity-based policy allows "
            f"the {action} action"
        )
