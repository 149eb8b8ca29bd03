"""People named on tickets: their display names beside the logins the records keep.

Staff read every login with its name (a login without an account any more is its own
name). A customer reads the names of their own company's people; the service team's
people they read as the team, and their logins never.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from models.users import Role, User

# What a customer reads for one of the service team's people.
SERVICE_TEAM = "LineCare service team"


@dataclass(frozen=True)
class PeopleNames:
    """The names of the logins a response names, as its reader may read them."""

    known: Mapping[str, str]  # login -> display name, of the accounts the reader may read
    for_customer: bool

    @classmethod
    def of(cls, people: Mapping[str, User], reader: User) -> PeopleNames:
        """The names ``reader`` may read of these accounts (``user_store.people_named``)."""
        if reader.role is not Role.CUSTOMER:
            return cls({login: p.display_name for login, p in people.items()}, for_customer=False)
        own = {
            login: p.display_name
            for login, p in people.items()
            if p.customer_id is not None and p.customer_id == reader.customer_id
        }
        return cls(own, for_customer=True)

    def name(self, login: str | None) -> str | None:
        """The person's name; None for none (LineCare itself)."""
        if login is None:
            return None
        if login in self.known:
            return self.known[login]
        return SERVICE_TEAM if self.for_customer else login

    def in_text(self, text: str, login: str | None) -> str:
        """``text`` (a note its author's command wrote, "registered by <login> from
        hotline") with the login as the person's name."""
        name = self.name(login)
        if login is None or name is None or name == login:
            return text
        return re.sub(rf"(?<![\w-]){re.escape(login)}(?![\w-])", lambda _: name, text)

    def login(self, login: str | None) -> str | None:
        """The login as the reader may read it: a customer reads no staff login."""
        if login is None or not self.for_customer or login in self.known:
            return login
        return None


NO_NAMES = PeopleNames({}, for_customer=False)
