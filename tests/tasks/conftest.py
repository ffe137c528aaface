"""Test environment of the task tests."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Node 20 makes jsii print an end-of-life banner on every start; set before aws_cdk loads.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

# The shared snapshot helper lives in tests/ (tests/snapshot.py); tests/ is not a package.
_TESTS_DIR = str(Path(__file__).resolve().parents[1])
if _TESTS_DIR not in sys.path:
    sys.path.insert(0, _TESTS_DIR)
