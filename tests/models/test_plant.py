"""The plant file's signal declarations: counter widths."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from models.plant import Machine, SignalSpec

MACHINE_16_BIT = """
id: m1
name: Filler
model: FIL-12
serial: FIL12-1
signals:
  - {name: state, kind: state}
  - {name: good_count, kind: counter, unit: pcs, counter_bits: 16}
  - {name: reject_count, kind: counter, unit: pcs}
"""


def test_a_counter_declares_its_width() -> None:
    machine = Machine.model_validate(yaml.safe_load(MACHINE_16_BIT))

    assert machine.counter_bits("good_count") == 16
    assert machine.counter_bits("reject_count") == 32  # the default


def test_counters_are_32_bits_unless_declared() -> None:
    machine = Machine(id="m1", name="Filler", model="FIL-12", serial="FIL12-1")

    assert machine.counter_bits("good_count") == 32
    assert machine.counter_bits("not_declared") == 32


def test_a_counter_is_16_or_32_bits() -> None:
    with pytest.raises(ValidationError, match="counter_bits"):
        SignalSpec.model_validate({"name": "good_count", "kind": "counter", "counter_bits": 24})


@pytest.mark.parametrize("bits", [16, 32])
def test_only_counters_have_a_width(bits: int) -> None:
    with pytest.raises(ValidationError, match="counter_bits applies to counter signals only"):
        SignalSpec.model_validate({"name": "speed", "kind": "process", "counter_bits": bits})


def test_a_dumped_machine_loads_again() -> None:
    machine = Machine.model_validate(yaml.safe_load(MACHINE_16_BIT))

    assert Machine.model_validate(machine.model_dump()) == machine


def test_only_condition_signals_have_a_direction_or_limits() -> None:
    with pytest.raises(ValidationError, match="condition signals only"):
        SignalSpec.model_validate({"name": "speed", "kind": "process", "direction": "up"})
