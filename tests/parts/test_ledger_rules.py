"""The ledger's rules: what each movement does, and over any sequence the books balance."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings

from alerts.stock_ledger_rules import (
    Balance,
    Refusal,
    check_request,
    deltas_for,
    incoming_deltas,
    installed,
    next_serial_status,
    removed,
)
from models.stock import Deltas, MovementKind, MovementRequest, SerialState, SerialStatus
from tests.parts.movement_strategies import movements

K = MovementKind
S = SerialState


def _issue(quantity: int, ticket: int | None = 7) -> MovementRequest:
    return MovementRequest(K.ISSUE, "van", "SEAL", quantity, ticket_id=ticket)


def test_an_issue_uses_the_tickets_reservation_before_free_stock() -> None:
    balance = Balance(on_hand=5, reserved=3, ticket_reserved=2)

    assert deltas_for(_issue(2), balance) == Deltas(on_hand=-2, reserved=-2)
    assert deltas_for(_issue(4), balance) == Deltas(on_hand=-4, reserved=-2)
    refusal = deltas_for(_issue(5), balance)
    assert isinstance(refusal, Refusal) and "has 4 available to this ticket" in refusal.message


def test_reserved_stock_of_another_ticket_cannot_be_issued() -> None:
    refusal = deltas_for(_issue(1), Balance(on_hand=1, reserved=1, ticket_reserved=0))

    assert isinstance(refusal, Refusal) and "has 0 available" in refusal.message


def test_faulty_returns_wait_for_repair_or_scrap_outside_the_serviceable_stock() -> None:
    back = MovementRequest(K.RETURN, "van", "PUMP", 1, faulty=True, reason="seized")
    repair = MovementRequest(K.REPAIR, "van", "PUMP", 1)
    scrap = MovementRequest(K.SCRAP, "van", "PUMP", 1, faulty=True, reason="beyond repair")

    assert deltas_for(back, Balance()) == Deltas(faulty=1)
    assert deltas_for(repair, Balance(faulty=1)) == Deltas(on_hand=1, faulty=-1)
    assert deltas_for(scrap, Balance(faulty=1)) == Deltas(faulty=-1)
    assert isinstance(deltas_for(repair, Balance(on_hand=3)), Refusal)


def test_a_count_below_the_reservations_is_refused() -> None:
    count = MovementRequest(K.ADJUSTMENT, "van", "SEAL", -2, reason="stock count")

    assert deltas_for(count, Balance(on_hand=4, reserved=2)) == Deltas(on_hand=-2)
    refusal = deltas_for(count, Balance(on_hand=4, reserved=3))
    assert isinstance(refusal, Refusal) and "release reservations first" in refusal.message


def test_requests_malformed_in_themselves_are_refused_before_the_books() -> None:
    cases = {
        "for a ticket": _issue(1, ticket=None),
        "must be positive": _issue(0),
        "needs a reason": MovementRequest(K.SCRAP, "van", "SEAL", 1),
        "another store": MovementRequest(K.TRANSFER_OUT, "van", "SEAL", 1, to_store_id="van"),
        "destination": MovementRequest(K.RECEIPT, "van", "SEAL", 1, to_store_id="central"),
        "without a serial": MovementRequest(K.RECEIPT, "van", "SEAL", 1, serial="S1"),
    }
    for expected, request in cases.items():
        refusal = check_request(request, serialized=False)
        assert refusal is not None and expected in refusal.message, expected


def test_serialized_parts_move_one_named_unit_at_a_time() -> None:
    def receipt(**changes: object) -> MovementRequest:
        return MovementRequest(K.RECEIPT, "central", "KIT", 1, **changes)  # type: ignore[arg-type]

    assert check_request(receipt(serial="S1"), serialized=True) is None
    assert "name the unit's serial" in _message(check_request(receipt(), serialized=True))
    assert "one at a time" in _message(
        check_request(MovementRequest(K.RECEIPT, "central", "KIT", 2, serial="S1"), serialized=True)
    )
    reservation = MovementRequest(K.RESERVATION, "central", "KIT", 1, ticket_id=1, serial="S1")
    assert "chosen at issue" in _message(check_request(reservation, serialized=True))
    count = MovementRequest(K.ADJUSTMENT, "central", "KIT", 1, reason="count")
    assert "unit by unit" in _message(check_request(count, serialized=True))


def _message(refusal: Refusal | None) -> str:
    assert refusal is not None
    return refusal.message


def test_a_serial_follows_its_unit_through_issue_install_removal_and_return() -> None:
    unit = next_serial_status(MovementRequest(K.RECEIPT, "central", "KIT", 1, serial="S1"), None)
    assert isinstance(unit, SerialStatus) and unit.state is S.IN_STORE
    issued = next_serial_status(
        MovementRequest(K.ISSUE, "central", "KIT", 1, ticket_id=5, serial="S1"), unit
    )
    assert isinstance(issued, SerialStatus) and (issued.state, issued.ticket_id) == (S.ISSUED, 5)
    assert isinstance(installed(issued, ticket_id=6, machine_id="m", position="p"), Refusal)
    inside = installed(issued, ticket_id=5, machine_id="m", position="p")
    assert isinstance(inside, SerialStatus) and inside.state is S.INSTALLED
    assert isinstance(removed(inside, ticket_id=9, machine_id="m", position="q"), Refusal)
    out = removed(inside, ticket_id=9, machine_id="m", position="p")
    assert isinstance(out, SerialStatus) and (out.state, out.ticket_id) == (S.REMOVED, 9)
    wrong_ticket = MovementRequest(K.RETURN, "van", "KIT", 1, ticket_id=5, serial="S1")
    assert "went out on ticket 9" in _message(_refused(next_serial_status(wrong_ticket, out)))
    back = next_serial_status(
        MovementRequest(K.RETURN, "van", "KIT", 1, ticket_id=9, serial="S1", faulty=True), out
    )
    assert isinstance(back, SerialStatus)
    assert (back.state, back.store_id) == (S.FAULTY_IN_STORE, "van")
    issue_faulty = MovementRequest(K.ISSUE, "van", "KIT", 1, ticket_id=10, serial="S1")
    assert "faulty_in_store" in _message(_refused(next_serial_status(issue_faulty, back)))


def test_a_unit_cannot_be_received_twice_or_moved_from_a_store_it_is_not_in() -> None:
    here = SerialStatus("KIT", "S1", S.IN_STORE, store_id="central")

    again = next_serial_status(MovementRequest(K.RECEIPT, "van", "KIT", 1, serial="S1"), here)
    elsewhere = next_serial_status(
        MovementRequest(K.ISSUE, "van", "KIT", 1, ticket_id=1, serial="S1"), here
    )

    assert "known already" in _message(_refused(again))
    assert "in_store in central" in _message(_refused(elsewhere))


def _refused(result: SerialStatus | Refusal) -> Refusal | None:
    return result if isinstance(result, Refusal) else None


@settings(max_examples=300, deadline=None)
@given(requests=movements())
def test_over_any_sequence_the_books_balance_and_never_go_negative(
    requests: list[MovementRequest],
) -> None:
    levels: dict[str, Balance] = defaultdict(Balance)
    ledger: list[tuple[str, int | None, Deltas]] = []
    for request in requests:
        if check_request(request, serialized=False) is not None:
            continue
        held = sum(
            d.reserved
            for store, ticket, d in ledger
            if store == request.store_id and ticket == request.ticket_id and ticket is not None
        )
        source = levels[request.store_id]
        deltas = deltas_for(request, Balance(source.on_hand, source.reserved, source.faulty, held))
        if isinstance(deltas, Refusal):
            continue
        booked = [(request.store_id, request.ticket_id, deltas)]
        if request.to_store_id is not None:
            booked.append((request.to_store_id, request.ticket_id, incoming_deltas(request)))
        for store, ticket, change in booked:
            levels[store] = levels[store].after(change)
            ledger.append((store, ticket, change))
        for store, level in levels.items():
            entries = [d for s, _, d in ledger if s == store]
            assert level.on_hand == sum(d.on_hand for d in entries) >= 0
            assert level.faulty == sum(d.faulty for d in entries) >= 0
            assert 0 <= level.reserved == sum(d.reserved for d in entries) <= level.on_hand
        for ticket in (1, 2):
            for store in levels:
                assert sum(d.reserved for s, t, d in ledger if (s, t) == (store, ticket)) >= 0
