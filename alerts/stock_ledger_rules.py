"""The stock ledger's rules: what a movement does to a level and to a serialized unit.

Pure functions. ``stock_commands`` locks the level (and the unit) it is about to
change, asks these rules, and books the answer in the same transaction, so the
rules always see the current books. A refusal says why in a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from models.stock import Deltas, MovementKind, MovementRequest, SerialState, SerialStatus

K = MovementKind
S = SerialState

# Kinds a person books; a transfer's incoming half is booked with its outgoing one.
BOOKABLE_KINDS: frozenset[MovementKind] = frozenset(set(MovementKind) - {K.TRANSFER_IN})
_NEEDS_TICKET = frozenset({K.RESERVATION, K.RELEASE, K.ISSUE})
_NEEDS_REASON = frozenset({K.SCRAP, K.ADJUSTMENT})
# Reservations are quantities: a serial is picked when the unit is issued.
_NO_SERIAL = frozenset({K.RESERVATION, K.RELEASE})


@dataclass(frozen=True, slots=True)
class Refusal:
    message: str


@dataclass(frozen=True, slots=True)
class Balance:
    """A level as the rules need it; ``ticket_reserved``: what the request's ticket holds."""

    on_hand: int = 0
    reserved: int = 0
    faulty: int = 0
    ticket_reserved: int = 0

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    def after(self, deltas: Deltas) -> Balance:
        return Balance(
            on_hand=self.on_hand + deltas.on_hand,
            reserved=self.reserved + deltas.reserved,
            faulty=self.faulty + deltas.faulty,
        )


def check_request(request: MovementRequest, *, serialized: bool) -> Refusal | None:
    """The checks that need no books: quantity, ticket, reason, serial, stores."""
    kind, quantity = request.kind, request.quantity
    if kind not in BOOKABLE_KINDS:
        return Refusal(f"a {kind} is booked with its transfer, not on its own")
    if kind is K.ADJUSTMENT:
        if quantity == 0:
            return Refusal("an adjustment changes the books: its quantity cannot be 0")
    elif quantity <= 0:
        return Refusal(f"the quantity of a {kind} must be positive")
    if kind in _NEEDS_TICKET and request.ticket_id is None:
        return Refusal(f"a {kind} is made for a ticket: name the ticket")
    if kind in _NEEDS_REASON and not request.reason.strip():
        return Refusal(f"a {kind} needs a reason")
    if (kind is K.TRANSFER_OUT) != (request.to_store_id is not None):
        return Refusal("only a transfer names a destination store, and it must")
    if request.to_store_id == request.store_id:
        return Refusal("a transfer goes to another store")
    return _check_serial(request, serialized=serialized)


def _check_serial(request: MovementRequest, *, serialized: bool) -> Refusal | None:
    if not serialized:
        if request.serial is not None:
            return Refusal(f"{request.part_number} is not serialized: book it without a serial")
        return None
    if request.kind in _NO_SERIAL:
        if request.serial is not None:
            return Refusal("reservations are quantities: the serial is chosen at issue")
        return None
    if request.kind is K.ADJUSTMENT:
        return Refusal(
            "a serialized part is counted unit by unit: book the receipt, scrap or"
            " transfer of the serial instead of an adjustment"
        )
    if request.serial is None or not request.serial.strip():
        return Refusal(f"{request.part_number} is serialized: name the unit's serial")
    if request.quantity != 1:
        return Refusal("a serialized unit is booked one at a time (quantity 1)")
    return None


def deltas_for(request: MovementRequest, balance: Balance) -> Deltas | Refusal:
    """What the movement does to the level of its store, or why it cannot be booked."""
    q = request.quantity
    match request.kind:
        case K.RECEIPT:
            return Deltas(on_hand=q)
        case K.RESERVATION:
            if balance.available < q:
                return _short(request, balance.available, "available")
            return Deltas(reserved=q)
        case K.RELEASE:
            if balance.ticket_reserved < q:
                return Refusal(
                    f"ticket {request.ticket_id} holds only {balance.ticket_reserved}"
                    f" reserved of {request.part_number} in {request.store_id}"
                )
            return Deltas(reserved=-q)
        case K.ISSUE:
            # The ticket's own reservation is used up first; the rest must be free stock.
            consumed = min(q, balance.ticket_reserved)
            if balance.available + consumed < q:
                return _short(request, balance.available + consumed, "available to this ticket")
            return Deltas(on_hand=-q, reserved=-consumed)
        case K.RETURN:
            return Deltas(faulty=q) if request.faulty else Deltas(on_hand=q)
        case K.REPAIR:
            if balance.faulty < q:
                return _short(request, balance.faulty, "faulty")
            return Deltas(on_hand=q, faulty=-q)
        case K.SCRAP | K.TRANSFER_OUT:
            if request.faulty:
                if balance.faulty < q:
                    return _short(request, balance.faulty, "faulty")
                return Deltas(faulty=-q)
            if balance.available < q:
                return _short(request, balance.available, "available")
            return Deltas(on_hand=-q)
        case K.ADJUSTMENT:
            if balance.on_hand + q < balance.reserved:
                return Refusal(
                    f"the count would leave {balance.on_hand + q} on hand but {balance.reserved}"
                    " are reserved: release reservations first"
                )
            return Deltas(on_hand=q)
    return Refusal(f"a {request.kind} cannot be booked directly")


def incoming_deltas(request: MovementRequest) -> Deltas:
    """The destination's half of a transfer."""
    q = request.quantity
    return Deltas(faulty=q) if request.faulty else Deltas(on_hand=q)


def _short(request: MovementRequest, have: int, what: str) -> Refusal:
    return Refusal(
        f"not enough stock: {request.store_id} has {have} {what} of {request.part_number},"
        f" {request.quantity} asked"
    )


def next_serial_status(
    request: MovementRequest, current: SerialStatus | None
) -> SerialStatus | Refusal:
    """Where the serialized unit is after the movement, or why the movement is wrong for it."""
    assert request.serial is not None  # check_request demands it for serialized parts
    unit = f"{request.part_number} serial {request.serial}"
    if request.kind is K.RECEIPT:
        if current is not None:
            return Refusal(f"{unit} is known already ({current.state}): it cannot be received")
        return SerialStatus(
            request.part_number, request.serial, S.IN_STORE, store_id=request.store_id
        )
    if current is None:
        return Refusal(f"{unit} was never received")
    expected = _expected_state(request)
    in_this_store = current.store_id == request.store_id
    if current.state not in expected or (_in_store(current.state) and not in_this_store):
        where = f" in {current.store_id}" if current.store_id else ""
        return Refusal(f"{unit} is {current.state}{where}: a {request.kind} is not possible")
    if request.kind is K.RETURN and request.ticket_id not in (None, current.ticket_id):
        return Refusal(f"{unit} went out on ticket {current.ticket_id}, not {request.ticket_id}")
    return _moved(request, current)


def _expected_state(request: MovementRequest) -> frozenset[SerialState]:
    match request.kind:
        case K.ISSUE:
            return frozenset({S.IN_STORE})
        case K.RETURN:
            return frozenset({S.ISSUED, S.REMOVED})
        case K.REPAIR:
            return frozenset({S.FAULTY_IN_STORE})
        case K.SCRAP | K.TRANSFER_OUT:
            return frozenset({S.FAULTY_IN_STORE if request.faulty else S.IN_STORE})
    return frozenset()


def _in_store(state: SerialState) -> bool:
    return state in (S.IN_STORE, S.FAULTY_IN_STORE)


def _moved(request: MovementRequest, current: SerialStatus) -> SerialStatus:
    bare = replace(current, store_id=None, ticket_id=None, machine_id=None, position=None)
    match request.kind:
        case K.ISSUE:
            return replace(bare, state=S.ISSUED, ticket_id=request.ticket_id)
        case K.RETURN:
            state = S.FAULTY_IN_STORE if request.faulty else S.IN_STORE
            return replace(bare, state=state, store_id=request.store_id)
        case K.REPAIR:
            return replace(bare, state=S.IN_STORE, store_id=request.store_id)
        case K.SCRAP:
            return replace(bare, state=S.SCRAPPED)
        case _:  # a transfer: the same state, in the other store
            return replace(current, store_id=request.to_store_id)


def installed(
    current: SerialStatus | None, *, ticket_id: int, machine_id: str, position: str
) -> SerialStatus | Refusal:
    """The unit goes into a machine; it must have been issued on this ticket."""
    if current is None or current.state is not S.ISSUED or current.ticket_id != ticket_id:
        state = "unknown" if current is None else f"{current.state}"
        return Refusal(
            f"only a unit issued on ticket {ticket_id} can be installed; this one is {state}"
        )
    return replace(
        current, state=S.INSTALLED, ticket_id=None, machine_id=machine_id, position=position
    )


def removed(
    current: SerialStatus | None, *, ticket_id: int, machine_id: str, position: str
) -> SerialStatus | Refusal:
    """The unit comes out of the machine, into the engineer's hands on this ticket."""
    if (
        current is None
        or current.state is not S.INSTALLED
        or (current.machine_id, current.position) != (machine_id, position)
    ):
        return Refusal(f"that serial is not installed in {machine_id} at {position}")
    return replace(current, state=S.REMOVED, ticket_id=ticket_id, machine_id=None, position=None)
