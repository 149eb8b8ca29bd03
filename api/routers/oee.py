"""GET /api/v1/oee?line_id=..: availability, performance, quality and OEE per shift."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.access_scope import line_for, scope_of
from api.deps import ConnDep, CurrentUser, PlantDep
from api.oee_report import shifts_newest_first
from api.oee_report_builder import line_clock
from api.schemas.oee import OeeReportPublic
from api.time_ranges import resolve_range
from models.oee import OeeScope
from storage import oee_store

router = APIRouter(prefix="/oee", tags=["oee"])

DEFAULT_SPAN = timedelta(hours=24)


@router.get("")
async def line_oee(
    user: CurrentUser,
    plant: PlantDep,
    conn: ConnDep,
    line_id: Annotated[str, Query(min_length=1)],
    since: Annotated[datetime | None, Query(description="Default: 24 h before until")] = None,
    until: Annotated[datetime | None, Query(description="Default: the line's newest data")] = None,
) -> OeeReportPublic:
    """The line's and its machines' OEE for every shift in the range, newest shift first."""
    line = line_for(plant, user, line_id).line
    machine_ids = [m.id for m in line.machines]
    # The newest sample of any of the line's signals is the line's clock (as for the
    # report): the default end of the range and the mark of a shift still in progress.
    scope = scope_of(user)
    line_now = await line_clock(conn, line, scope=scope)
    anchor = line_now if until is None else None
    window = resolve_range(since, until, anchor=anchor, default_span=DEFAULT_SPAN)
    line_results = await oee_store.list_oee(
        conn,
        scope=OeeScope.LINE,
        subject_ids=[line.id],
        since=window.since,
        until=window.end_exclusive,
        customer_scope=scope,
    )
    machine_results = await oee_store.list_oee(
        conn,
        scope=OeeScope.MACHINE,
        subject_ids=machine_ids,
        since=window.since,
        until=window.end_exclusive,
        customer_scope=scope,
    )
    return OeeReportPublic(
        line_id=line.id,
        since=window.since,
        until=window.until,
        shifts=shifts_newest_first(
            [*line_results, *machine_results], machine_ids, measured_until=line_now
        ),
    )
