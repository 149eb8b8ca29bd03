"""GET /api/v1/me: who the token belongs to, so the console can greet and scope itself."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, PlantDep
from api.schemas.users import UserPublic

router = APIRouter(tags=["users"])


@router.get("/me")
async def me(user: CurrentUser, plant: PlantDep) -> UserPublic:
    """The signed-in user, with the customer's name for customer users."""
    customer = next((c for c in plant.customers if c.id == user.customer_id), None)
    return UserPublic.of(user, customer.name if customer else None)
