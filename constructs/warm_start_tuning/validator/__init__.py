"""The validator Lambda construct (one per stack)."""

from .warm_start_validator import WarmStartValidator

__all__ = ["WarmStartValidator"]
