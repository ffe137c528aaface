"""Issue 11: what a user meets right after `pip install` (fast checks; the real fresh
virtualenv is tests/test_install_from_wheel.py)."""

from __future__ import annotations

import importlib.util

import pytest

from warm_start_tuning.cli.main import main
from warm_start_tuning.local import requirements


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("warm-start-tuning 0.")


def test_example_parents_is_an_attribute_of_the_local_package():
    import warm_start_tuning.local as local

    assert local.example_parents.parse_status_path("InProgress=60,Completed") == [("InProgress", 60.0), ("Completed", None)]


@pytest.mark.parametrize("absent, named", [("moto", "moto"), ("antlr4", "antlr4-python3-runtime")])
def test_missing_extra_is_one_line_and_exit_2(monkeypatch, capsys, absent, named):
    real = importlib.util.find_spec
    monkeypatch.setattr(requirements.importlib.util, "find_spec", lambda name, *a: None if name == absent else real(name, *a))
    for command in (["run-local"], ["demo"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        (line,) = captured.err.strip().splitlines()
        assert line.startswith(f"warm-start-tuning {command[0]}: the local engine needs the [local] extra")
        assert f"missing: {named}" in line and line.endswith("pip install 'cdk-warm-start-tuning[local]'")
        assert captured.out == ""


def test_another_moto_release_is_named(monkeypatch):
    monkeypatch.setattr(requirements.metadata, "version", lambda name: "5.3.0")
    assert "moto==5.2.5 (installed: 5.3.0)" in requirements.missing_local_requirements()


def test_local_engine_names_raise_one_import_error_without_the_extra(monkeypatch):
    import warm_start_tuning.local as local

    monkeypatch.setattr(requirements, "missing_local_requirements", lambda: "the local engine needs the [local] extra")
    with pytest.raises(ImportError, match=r"needs the \[local\] extra"):
        local.LocalEngine  # noqa: B018
