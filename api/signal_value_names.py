"""What a coded signal value means: the PackML state, the product or the fault behind a number.

PLCs publish states, products and faults as numbers. The console shows the
name next to the number, so nobody has to look "product 1" up in the plant file.
"""

from __future__ import annotations

import math

from models.plant import Plant, SignalKind, SignalSpec
from models.states import PackMLState

NO_FAULT = "no fault"


def state_name(code: int) -> str:
    """The PackML name of a state number, lower case; "unknown" for numbers PackML lacks."""
    try:
        return PackMLState(code).name.lower()
    except ValueError:
        return "unknown"


def value_name(spec: SignalSpec, value: float | None, plant: Plant) -> str | None:
    """The name of a state, product or fault code; None for measured values and unknown codes."""
    if value is None or not math.isfinite(value):
        return None
    code = round(value)
    if spec.kind is SignalKind.STATE:
        return state_name(code)
    if spec.kind is SignalKind.PRODUCT:
        product = plant.product(code)
        return product.name if product is not None else None
    if spec.kind is SignalKind.FAULT:
        return NO_FAULT if code == 0 else plant.fault_reasons.get(code)
    return None
