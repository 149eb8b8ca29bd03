"""GET /api/v1/audit: the audit log of sign-ins and account changes, for administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from pydantic import AwareDatetime

from api.deps import ConnDep, CurrentUser
from api.schemas.sign_in import AuditEntryPublic, AuditPage
from models.credentials import AuditEvent
from models.permissions import Permission, allowed
from storage.audit_store import AuditFilter, list_entries

router = APIRouter(tags=["audit"])


@router.get("/audit")
async def audit_log(
    user: CurrentUser,
    conn: ConnDep,
    request: Request,
    response: Response,
    event: Annotated[AuditEvent | None, Query(description="Only entries of this event")] = None,
    login: Annotated[
        str | None, Query(max_length=254, description="entries by or about this login")
    ] = None,
    since: Annotated[
        AwareDatetime | None, Query(description="from this time on, with its zone (ISO 8601)")
    ] = None,
    until: Annotated[AwareDatetime | None, Query(description="before this time")] = None,
    before_id: Annotated[
        int | None, Query(gt=0, lt=2**63, description="next page: the last page's next_before_id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Entries newest first, filtered; the next page is ``before_id=next_before_id``, also
    given as the ``Link`` header's ``next``. Administrators only."""
    if not allowed(user.role, Permission.READ_AUDIT_LOG):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only administrators read the audit log")
    entries = await list_entries(
        conn,
        AuditFilter(
            event=event,
            login=login,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit + 1,
        ),
    )
    more = len(entries) > limit
    page = entries[:limit]
    if more:
        following = request.url.include_query_params(before_id=page[-1].id).query
        response.headers["Link"] = f'<{request.url.path}?{following}>; rel="next"'
    return AuditPage(
        entries=[AuditEntryPublic.of(e) for e in page],
        next_before_id=page[-1].id if more else None,
    )
