"""Exactly-once runs: the stack's run table, the run lock's states, the cleanup rule."""

from .run_table import RunTable

__all__ = ["RunTable"]
