"""What an API key's scope leaves of its owner's rights (docs/access.md, "API keys")."""

from __future__ import annotations

from dataclasses import replace

from models.credentials import ApiKeyAccess, KeyGrant
from models.users import Role, User

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A tickets_write key may change what lies under this path, and only that. Requests to the
# deprecated /api/tickets alias arrive here as /api/v1/tickets (api/api_versions.py).
TICKETS_PATH = "/api/v1/tickets"


class OutOfScope(Exception):
    """The key may not be used for this request; the message says why."""


def user_within_key(user: User, grant: KeyGrant, *, method: str, path: str) -> User:
    """The user as the key lets it act on this request, or OutOfScope.

    A key bound to a customer acts as a customer user of that customer, whoever
    owns it: it sees that customer's data alone and may do what customers may.
    """
    if method.upper() not in SAFE_METHODS:
        if grant.access is ApiKeyAccess.READ_ONLY:
            raise OutOfScope("this API key is read-only: it may only read (GET)")
        if grant.access is ApiKeyAccess.TICKETS_WRITE and not _under(path, TICKETS_PATH):
            raise OutOfScope("this API key may change tickets only (/api/v1/tickets/...)")
    if grant.customer_id is None:
        return user
    return replace(user, role=Role.CUSTOMER, customer_id=grant.customer_id)


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")
