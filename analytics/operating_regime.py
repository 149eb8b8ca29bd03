"""Operating regimes: which product a machine ran, and in which speed band. Pure.

A signal's normal level depends on what the machine is doing: a filler runs
hotter on 1 l bottles than on 0.5 l ones, and vibration grows with speed. Each
observation is labelled with its regime so that the model can normalise it by
that regime's normals (``analytics.condition_training``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from models.condition_model import ANY_REGIME
from models.plant import Product
from models.telemetry_series import ConditionWindow

PRODUCT_SIGNAL = "product"
SPEED_SIGNAL = "speed"
REGIME_SIGNALS = (PRODUCT_SIGNAL, SPEED_SIGNAL)
# Speed bands are quarters of the product's ideal speed: 75 %, 100 %, 125 % ...
_BANDS_PER_IDEAL = 4


def regime_key(product: int | None, speed: float | None, products: Sequence[Product]) -> str:
    """``p<code>@<band>%`` (e.g. ``p2@100%``); ``p<code>`` without a speed reading,
    ``*`` without a product."""
    if product is None:
        return ANY_REGIME
    known = next((p for p in products if p.code == product), None)
    if known is None or speed is None:
        return f"p{product}"
    ideal_per_min = 60.0 / known.ideal_cycle_s
    band = round(speed / ideal_per_min * _BANDS_PER_IDEAL) * (100 // _BANDS_PER_IDEAL)
    return f"p{product}@{band}%"


def with_regimes(
    windows: Sequence[ConditionWindow], products: Sequence[Product]
) -> list[ConditionWindow]:
    """The windows labelled with their regime, the product and speed means taken out.

    A window without a product reading keeps the product of the window before it.
    """
    labelled: list[ConditionWindow] = []
    product: int | None = None
    for window in windows:
        means = {m.signal: m.mean for m in window.signals}
        if PRODUCT_SIGNAL in means:
            product = round(means[PRODUCT_SIGNAL])
        signals = tuple(m for m in window.signals if m.signal not in REGIME_SIGNALS)
        key = regime_key(product, means.get(SPEED_SIGNAL), products)
        labelled.append(replace(window, signals=signals, regime=key))
    return [w for w in labelled if w.signals]
