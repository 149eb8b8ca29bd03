"""GET /api/sign-in/demo-tokens: the public demo tokens, offered as hints on the sign-in page.

Lists only demo accounts that exist in this database, so an installation
without them shows no hints. Needs no token: these tokens are public by design.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ConnDep
from api.schemas.users import DemoTokenPublic
from storage.user_store import active_demo_users

router = APIRouter(prefix="/sign-in", tags=["users"])


@router.get("/demo-tokens")
async def demo_tokens(conn: ConnDep) -> list[DemoTokenPublic]:
    """The demo accounts usable here; empty on an installation without them."""
    return [DemoTokenPublic.of(demo) for demo in await active_demo_users(conn)]
