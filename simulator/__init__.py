"""The plant simulator: the source of all demo and test data.

The pure, seeded model lives in ``plant_simulation`` (whole plant),
``machine_model`` (one machine) and ``scenarios`` (what happens when); it does
no I/O. ``opcua_server`` and ``mqtt_publisher`` put its ticks on the wire and
``run_simulator.run_simulation`` runs both on an accelerated clock.
"""

from simulator.machine_model import MachineModel
from simulator.plant_simulation import (
    PlantSimulation,
    SimulationTick,
    generate_readings,
    simulate_ticks,
)
from simulator.scenarios import (
    QUIET,
    BearingWear,
    Changeovers,
    MicroStops,
    RejectRates,
    Scenario,
    ScrapBurst,
)

__all__ = [
    "QUIET",
    "BearingWear",
    "Changeovers",
    "MachineModel",
    "MicroStops",
    "PlantSimulation",
    "RejectRates",
    "Scenario",
    "ScrapBurst",
    "SimulationTick",
    "generate_readings",
    "simulate_ticks",
]
