"""Random movement sequences for the ledger's property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from models.stock import MovementKind, MovementRequest

K = MovementKind
STORES = ("a", "b")
TICKETS = (1, 2)
_KINDS = (
    K.RECEIPT,
    K.RESERVATION,
    K.RELEASE,
    K.ISSUE,
    K.RETURN,
    K.REPAIR,
    K.SCRAP,
    K.TRANSFER_OUT,
    K.ADJUSTMENT,
)


@st.composite
def movement(
    draw: st.DrawFn,
    *,
    part_number: str = "P-1",
    stores: tuple[str, ...] = STORES,
    tickets: tuple[int, ...] = TICKETS,
) -> MovementRequest:
    """A movement of a non-serialized part, valid in form or not, sensible in amount or not."""
    kind = draw(st.sampled_from(_KINDS))
    store = draw(st.sampled_from(stores))
    quantity = draw(st.integers(-3, 6) if kind is K.ADJUSTMENT else st.integers(1, 6))
    return MovementRequest(
        kind=kind,
        store_id=store,
        part_number=part_number,
        quantity=quantity,
        ticket_id=draw(st.sampled_from((None, *tickets))),
        reason=draw(st.sampled_from(("", "count"))),
        faulty=draw(st.booleans()),
        to_store_id=(
            draw(st.sampled_from([s for s in stores if s != store]))
            if kind is K.TRANSFER_OUT
            else None
        ),
        emergency=draw(st.booleans()),
    )


def movements(**options: object) -> st.SearchStrategy[list[MovementRequest]]:
    return st.lists(movement(**options), max_size=40)  # type: ignore[arg-type]
