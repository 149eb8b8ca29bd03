"""The names of the people a response names by login, as its reader may read them."""

from __future__ import annotations

from collections.abc import Collection

from api.schemas.people import PeopleNames
from models.users import User
from storage import user_store
from storage.connections import Connection


async def people_names(conn: Connection, user: User, logins: Collection[str]) -> PeopleNames:
    """The names of these people as ``user`` may read them."""
    return PeopleNames.of(await user_store.people_named(conn, logins=logins), user)
