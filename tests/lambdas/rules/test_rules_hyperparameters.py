"""Hyperparameter extraction and the change count (the seed's examples, literally)."""

from __future__ import annotations

from factories import parent_describe, valid_request

from warm_start_rules.hyperparameters import (
    CATEGORICAL, CONTINUOUS, INTEGER, count_changes, extract, is_reserved, set_difference,
    type_changes)


def job(tunable: dict[str, tuple] | None = None, static: dict[str, str] | None = None) -> dict:
    """A minimal job: tunable name -> (type, values-or-bounds), static name -> value."""
    ranges: dict[str, list] = {}
    for name, (kind, spec) in (tunable or {}).items():
        if kind == CATEGORICAL:
            entry = {"Name": name, "Values": list(spec)}
        else:
            entry = {"Name": name, "MinValue": spec[0], "MaxValue": spec[1]}
        ranges.setdefault(f"{kind}ParameterRanges", []).append(entry)
    return {"HyperParameterTuningJobConfig": {"ParameterRanges": ranges},
            "TrainingJobDefinition": {"StaticHyperParameters": dict(static or {})}}


def changes(parent: dict, request: dict) -> list[dict]:
    return [c.to_dict() for c in count_changes(extract(parent), extract(request))]


def test_seed_tunable_categorical_red_blue_to_static_counts_2():
    found = changes(job({"color": (CATEGORICAL, ["red", "blue"])}), job(static={"color": "blue"}))
    assert found == [{"hyperParameter": "color", "from": "tunable Categorical ['red', 'blue']",
                      "to": "static 'blue'", "count": 2}]


def test_seed_static_red_to_blue_counts_2():
    found = changes(job(static={"color": "red"}), job(static={"color": "blue"}))
    assert found == [{"hyperParameter": "color", "from": "static 'red'", "to": "static 'blue'",
                      "count": 2}]


def test_numeric_tunable_to_static_counts_1():
    parent = job({"lr": (CONTINUOUS, ["0.1", "0.5"]), "depth": (INTEGER, ["1", "9"])})
    found = changes(parent, job(static={"lr": "0.2", "depth": "3"}))
    assert [(c["hyperParameter"], c["count"]) for c in found] == [("depth", 1), ("lr", 1)]
    assert found[1]["from"] == "tunable Continuous [0.1, 0.5]"


def test_categorical_counts_all_its_values():
    parent = job({"opt": (CATEGORICAL, ["sgd", "adam", "rmsprop", "nag"])})
    assert changes(parent, job(static={"opt": "sgd"}))[0]["count"] == 4


def test_free_changes_count_0():
    parent = job({"lr": (CONTINUOUS, ["0.1", "0.5"])}, static={"epochs": "10", "depth": "3"})
    request = job({"lr": (CONTINUOUS, ["0.01", "0.9"]),  # tunable -> tunable, new range
                   "epochs": (INTEGER, ["5", "50"])},    # static -> tunable
                  static={"depth": "3"})                 # static, same value
    assert changes(parent, request) == []


def test_reserved_keys_are_not_hyperparameters():
    assert is_reserved("_tuning_objective_metric")
    assert is_reserved("sagemaker_program")
    assert not is_reserved("sagemaker")  # no underscore: a user's name
    parent = parent_describe()  # Describe adds _tuning_objective_metric and sagemaker_* keys
    assert not any(is_reserved(n) for n in extract(parent).names())
    assert set_difference(extract(parent), extract(valid_request())) == ([], [])
    assert changes(parent, valid_request()) == []


def test_set_difference_lists_missing_and_extra():
    parent = job({"a": (INTEGER, ["1", "2"])}, static={"b": "1", "c": "2"})
    request = job(static={"a": "1", "c": "2", "d": "3"})
    assert set_difference(extract(parent), extract(request)) == (["b"], ["d"])


def test_type_changes_only_between_tunables():
    parent = job({"a": (INTEGER, ["1", "2"]), "b": (CATEGORICAL, ["x"]), "c": (CONTINUOUS, ["0", "1"])})
    request = job({"a": (CONTINUOUS, ["1", "2"]), "b": (CATEGORICAL, ["y"])}, static={"c": "0.5"})
    assert type_changes(extract(parent), extract(request)) == [("a", INTEGER, CONTINUOUS)]


def test_extraction_skips_garbage():
    garbage = {"HyperParameterTuningJobConfig": {"ParameterRanges": {
        "IntegerParameterRanges": [None, {"Name": 3}, {"Name": ""}, {"Name": "ok", "MinValue": 1}],
        "CategoricalParameterRanges": "nope"}},
        "TrainingJobDefinition": {"StaticHyperParameters": {1: "x", "s": 5}}}
    found = extract(garbage)
    assert set(found.tunable) == {"ok"}
    assert found.static == {"s": "integer 5"}
    assert extract(None).names() == frozenset()


def test_plural_single_definition_parent_is_read():
    request = valid_request()
    parent = parent_describe(request=request)
    definition = parent.pop("TrainingJobDefinition")
    definition["HyperParameterRanges"] = parent["HyperParameterTuningJobConfig"].pop("ParameterRanges")
    parent["TrainingJobDefinitions"] = [definition]
    assert extract(parent).names() == extract(request).names()


def test_static_numeric_change_counts_1():
    found = changes(job(static={"epochs": "30"}), job(static={"epochs": "40"}))
    assert [change["count"] for change in found] == [1]


def test_static_change_from_a_number_to_a_word_counts_as_categorical():
    found = changes(job(static={"precision": "32"}), job(static={"precision": "float16"}))
    assert [change["count"] for change in found] == [2]


def test_ten_numeric_static_changes_fit_the_limit_but_six_categorical_do_not():
    numeric_before = {f"n{i}": str(i) for i in range(10)}
    numeric_after = {f"n{i}": str(i + 1) for i in range(10)}
    assert sum(c["count"] for c in changes(job(static=numeric_before), job(static=numeric_after))) == 10
    words_before = {f"w{i}": "red" for i in range(6)}
    words_after = {f"w{i}": "blue" for i in range(6)}
    assert sum(c["count"] for c in changes(job(static=words_before), job(static=words_after))) == 12
