"""One construct of a kind per stack (the validator, the run table, the event waits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from aws_cdk import Stack
from constructs import Construct

T = TypeVar("T", bound=Construct)


def stack_singleton(scope: Construct, construct_id: str, kind: type[T], create: Callable[[Stack, str], T]) -> T:
    """The construct ``construct_id`` at the root of ``scope``'s stack, created on first
    use with ``create(stack, construct_id)``; an error when another construct has the id."""
    stack = Stack.of(scope)
    existing = stack.node.try_find_child(construct_id)
    if existing is None:
        return create(stack, construct_id)
    if not isinstance(existing, kind):
        raise ValueError(
            f"{kind.__name__}.of: the id {construct_id!r} in stack {stack.stack_name!r} is taken by "
            f"a {type(existing).__name__}, expected a {kind.__name__}"
        )
    return existing
