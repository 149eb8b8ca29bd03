"""Who is signed in, and the demo accounts offered on the sign-in page."""

from __future__ import annotations

from api.schemas.base import PublicModel
from models.users import DemoUser, Role, User


class UserPublic(PublicModel):
    login: str
    display_name: str
    role: Role
    customer_id: str | None
    customer_name: str | None

    @classmethod
    def of(cls, user: User, customer_name: str | None) -> UserPublic:
        return cls(
            login=user.login,
            display_name=user.display_name,
            role=user.role,
            customer_id=user.customer_id,
            customer_name=customer_name,
        )


class DemoTokenPublic(PublicModel):
    token: str
    display_name: str
    role: Role
    customer_id: str | None

    @classmethod
    def of(cls, demo: DemoUser) -> DemoTokenPublic:
        return cls(
            token=demo.token,
            display_name=demo.display_name,
            role=demo.role,
            customer_id=demo.customer_id,
        )
