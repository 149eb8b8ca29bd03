"""Coded signal values read as names: PackML states, products, fault reasons."""

from __future__ import annotations

import math

import pytest

from api.signal_value_names import state_name, value_name
from models.plant import STANDARD_SIGNALS, Plant, SignalSpec

SPECS = {spec.name: spec for spec in STANDARD_SIGNALS}


@pytest.mark.parametrize(
    ("signal", "value", "name"),
    [
        ("state", 3.0, "starting"),
        ("state", 6.0, "execute"),
        ("state", 42.0, "unknown"),
        ("product", 2.0, "Bottle 1.0 l"),
        ("product", 99.0, None),
        ("fault_code", 0.0, "no fault"),
        ("fault_code", 101.0, "Infeed jam"),
        ("fault_code", 555.0, None),
        ("good_count", 1_607_616_072.0, None),
        ("bearing_temp", 3.0, None),
        ("product", None, None),
        ("state", math.nan, None),
    ],
)
def test_coded_values_are_named_from_the_plant_file(
    plant: Plant, signal: str, value: float | None, name: str | None
) -> None:
    assert value_name(SPECS[signal], value, plant) == name


def test_a_plant_specific_signal_of_a_coded_kind_is_named_too(plant: Plant) -> None:
    recipe = SignalSpec(name="recipe", kind=SPECS["product"].kind)
    assert value_name(recipe, 3.0, plant) == "Carton 6-pack"


def test_state_names_are_packml_in_lower_case() -> None:
    assert [state_name(code) for code in (0, 11, 17)] == ["undefined", "held", "complete"]
