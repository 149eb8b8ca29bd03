"""What a user may see: customers see only their own lines, everyone else sees all.

Resources of another customer answer 404, exactly like ids that do not exist,
so a customer cannot even learn that another customer's line is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, status

from models.plant import Customer, Line, MachinePlacement, Plant, Site
from models.users import Role, User
from storage.customer_scope import EVERY_CUSTOMER, CustomerScope


@dataclass(frozen=True, slots=True)
class LinePlacement:
    """A line together with the customer and site it belongs to."""

    customer: Customer
    site: Site
    line: Line


def customer_filter(user: User) -> str | None:
    """The one customer a user is confined to, or None for staff who see every customer."""
    return user.customer_id if user.role is Role.CUSTOMER else None


def scope_of(user: User) -> CustomerScope:
    """The user's scope, for storage queries that apply it themselves."""
    confined_to = customer_filter(user)
    return EVERY_CUSTOMER if confined_to is None else CustomerScope(customer_id=confined_to)


def can_see(user: User, customer_id: str) -> bool:
    confined_to = customer_filter(user)
    return confined_to is None or confined_to == customer_id


def not_found(kind: str, ident: object) -> HTTPException:
    return HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"{kind} {ident} not found")


def visible_lines(plant: Plant, user: User) -> list[LinePlacement]:
    """The lines the user may see, in plant file order."""
    return [
        LinePlacement(customer, site, line)
        for customer, site, line in plant.lines()
        if can_see(user, customer.id)
    ]


def line_for(plant: Plant, user: User, line_id: str) -> LinePlacement:
    """The line with this id if the user may see it; otherwise 404."""
    for placement in visible_lines(plant, user):
        if placement.line.id == line_id:
            return placement
    raise not_found("line", repr(line_id))


def machine_for(plant: Plant, user: User, machine_id: str) -> MachinePlacement:
    """The machine with this id if the user may see it; otherwise 404."""
    try:
        placement = plant.placement_of(machine_id)
    except KeyError:
        raise not_found("machine", repr(machine_id)) from None
    if not can_see(user, placement.customer.id):
        raise not_found("machine", repr(machine_id))
    return placement
