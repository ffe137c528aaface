"""Snapshot comparison of synthesized CloudFormation templates, shared by the test suite.

    from snapshot import assert_matches_snapshot
    assert_matches_snapshot(Template.from_stack(stack).to_json(), "my_stack")

The snapshot is ``__snapshots__/<name>.json`` next to the calling test module. Values
that change without any change of meaning are blanked first: asset hashes (64 hex
characters, e.g. ``S3Key: "<hash>.zip"`` or ``aws:asset:path: "asset.<hash>"``), the
asset path metadata and the CDK metadata resource. Run the tests with
``UPDATE_SNAPSHOTS=1`` to write or rewrite the snapshots, then review the diff in git.
"""

from __future__ import annotations

import copy
import difflib
import inspect
import json
import os
import re
from pathlib import Path
from typing import Any

ASSET_HASH = "<asset-hash>"
# Asset hashes are SHA-256 hex digests; nothing else in a template is 64 hex characters.
_HASH = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{64}(?![0-9a-fA-F])")
# Metadata that points at the local build folder.
_ASSET_METADATA_KEYS = ("aws:asset:path", "aws:asset:property", "aws:asset:is-bundled")


def normalize_template(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` with the volatile values blanked."""
    result = copy.deepcopy(template)
    resources = result.get("Resources", {})
    for logical_id in [k for k, v in resources.items() if v.get("Type") == "AWS::CDK::Metadata"]:
        del resources[logical_id]
    conditions = result.get("Conditions")
    if isinstance(conditions, dict):
        conditions.pop("CDKMetadataAvailable", None)
        if not conditions:
            del result["Conditions"]
    for resource in resources.values():
        metadata = resource.get("Metadata")
        if isinstance(metadata, dict):
            for key in _ASSET_METADATA_KEYS:
                if key in metadata:
                    metadata[key] = ASSET_HASH
    return _blank_hashes(result)


def _blank_hashes(value: Any) -> Any:
    if isinstance(value, str):
        return _HASH.sub(ASSET_HASH, value)
    if isinstance(value, list):
        return [_blank_hashes(v) for v in value]
    if isinstance(value, dict):
        return {_blank_hashes(k): _blank_hashes(v) for k, v in value.items()}
    return value


def _dump(template: dict[str, Any]) -> str:
    return json.dumps(template, indent=2, sort_keys=True) + "\n"


def assert_matches_snapshot(
    template: dict[str, Any], name: str, *, snapshot_dir: str | os.PathLike[str] | None = None
) -> None:
    """Compare ``template`` (a dict, e.g. ``Template.to_json()``) with its snapshot.

    ``snapshot_dir`` defaults to ``__snapshots__`` next to the calling test module.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"snapshot name must be usable as a file name; got {name!r}")
    if snapshot_dir is None:
        caller = Path(inspect.stack()[1].filename).resolve()
        snapshot_dir = caller.parent / "__snapshots__"
    path = Path(snapshot_dir) / f"{name}.json"
    actual = _dump(normalize_template(template))

    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise AssertionError(
            f"snapshot {path.name} does not exist; run the tests with UPDATE_SNAPSHOTS=1 "
            f"to create it, then review and commit {path}"
        )
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                actual.splitlines(keepends=True),
                fromfile=f"{path.name} (snapshot)",
                tofile=f"{path.name} (synthesized)",
            )
        )
        raise AssertionError(
            f"template differs from snapshot {path.name}; if the change is intended, rerun "
            f"with UPDATE_SNAPSHOTS=1 and review the diff.\n{diff}"
        )
