"""Which deviations of a signal count, and where its limit is: the plant file decides."""

from __future__ import annotations

from analytics.condition_refresh_context import signal_directions, signal_limits
from models.condition_model import SignalDirection
from models.plant import Plant


def test_a_signal_direction_is_set_per_machine_and_per_machine_model(plant: Plant) -> None:
    raw = plant.model_dump(mode="json")
    raw["condition_directions"] = {"FIL-12": {"bearing_temp": "up", "motor_current": "down"}}
    filler = raw["customers"][0]["sites"][0]["lines"][0]["machines"][0]
    filler["signals"] = [
        {"name": "vibration_rms", "kind": "condition", "unit": "mm/s", "direction": "both"},
        {
            "name": "bearing_temp",
            "kind": "condition",
            "unit": "°C",
            "direction": "down",
            "limit": 80.0,
        },
        {"name": "motor_current", "kind": "condition", "unit": "A"},
    ]
    changed = Plant.model_validate(raw)

    first_filler = changed.placement_of(filler["id"]).machine
    other_filler = changed.placement_of("l2-filler").machine
    # The machine's own setting wins over its model's; the model's fills the rest.
    assert signal_directions(changed, first_filler) == {
        "vibration_rms": SignalDirection.BOTH,
        "bearing_temp": SignalDirection.DOWN,
        "motor_current": SignalDirection.DOWN,
    }
    assert signal_directions(changed, other_filler)["bearing_temp"] is SignalDirection.UP
    assert signal_limits(first_filler)["bearing_temp"].upper == 80.0
