"""The moto internals the local engine patches are where it expects them.

When a moto upgrade moves one, these tests fail naming the symbol, before any
pipeline test fails in a confusing way.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from warm_start_tuning.local import LocalEngine, moto_internals
from warm_start_tuning.local.moto_internals import MOTO_VERSION, REQUIRED, MotoInternalsChanged, check_internals

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_every_symbol_the_patches_rely_on_is_there() -> None:
    check_internals()  # raises MotoInternalsChanged listing what moved


def test_moto_is_the_pinned_version() -> None:
    import moto

    assert moto.__version__ == MOTO_VERSION
    pins = re.findall(r'"moto\[[^\]]*\]==([0-9.]+)"', PYPROJECT.read_text())
    # The [local] extra and the dev extra carry the same pin.
    assert pins and set(pins) == {MOTO_VERSION}, "pyproject.toml must pin moto to the version moto_internals targets"


def test_a_moved_symbol_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function"
    )
    monkeypatch.delattr(module.WaitFunction, "_wait_interval")
    with pytest.raises(MotoInternalsChanged, match=r"WaitFunction\._wait_interval is gone"):
        check_internals()


def test_a_changed_source_line_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        moto_internals,
        "REQUIRED",
        (*REQUIRED, ("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl",
                     "RetrierDecl._eval_body", "asyncio.sleep(")),
    )
    with pytest.raises(MotoInternalsChanged, match=r"RetrierDecl\._eval_body no longer contains 'asyncio\.sleep\('"):
        check_internals()


def test_a_moved_module_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_internals, "REQUIRED", (("moto.stepfunctions.no_such_module", "x", None),))
    with pytest.raises(MotoInternalsChanged, match="module moto.stepfunctions.no_such_module is gone"):
        check_internals()


def _patched_attributes() -> dict[tuple[int, str], object]:
    """Identity of every attribute the patches touch, read from the modules."""
    seen = {}
    for module_name, path, _snippet in REQUIRED:
        owner = importlib.import_module(module_name)
        parts = path.split(".")
        for part in parts[:-1]:
            owner = getattr(owner, part, None)
        if owner is None or not hasattr(owner, "__dict__"):
            continue
        seen[(id(owner), parts[-1])] = vars(owner).get(parts[-1])
    sagemaker = importlib.import_module("moto.sagemaker.models")
    responses = importlib.import_module("moto.sagemaker.responses")
    seen[(id(sagemaker.SageMakerModelBackend), "stop")] = vars(sagemaker.SageMakerModelBackend).get(
        "stop_hyper_parameter_tuning_job"
    )
    seen[(id(responses.SageMakerResponse), "stop")] = vars(responses.SageMakerResponse).get(
        "stop_hyper_parameter_tuning_job"
    )
    return seen


def test_the_engine_removes_every_patch_on_exit() -> None:
    before = _patched_attributes()
    with LocalEngine() as engine:
        assert moto_internals.is_installed()
        assert _patched_attributes() != before
        assert engine.running
    assert not moto_internals.is_installed()
    assert _patched_attributes() == before


def test_one_engine_at_a_time() -> None:
    with LocalEngine():
        with pytest.raises(RuntimeError, match="another LocalEngine"):
            LocalEngine().start()
    with LocalEngine():  # the first one released the patches
        pass


def test_an_engine_does_not_start_when_moto_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _patched_attributes()
    module = importlib.import_module("moto.awslambda_simple.models")
    monkeypatch.delattr(module.LambdaSimpleBackend, "invoke")
    engine = LocalEngine()
    try:
        with pytest.raises(MotoInternalsChanged, match=r"LambdaSimpleBackend\.invoke is gone"):
            engine.start()
    finally:
        engine.close()
    monkeypatch.undo()
    assert not moto_internals.is_installed()
    assert _patched_attributes() == before
