"""/api/v1/stock-planning: recommended safety stock per part and region;
/api/v1/parts-consumption: parts used per month, customer and part (JSON or CSV).

For the parts manager and administrators only (403 for everyone else, customers
included: stock is closed to them as a whole). The formula: docs/spare_parts.md,
"Stock planning". The consumption report lives beside ``/api/v1/parts`` rather than
under it, where ``/api/v1/parts/{part_number}`` would take the word for a part number.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from api.deps import ConnDep, CurrentUser, PlantDep
from api.parts_access import require_parts_authority
from api.parts_consumption_report import (
    BadRange,
    consumption_report,
    csv_file_name,
    month_range,
    render_consumption_csv,
)
from api.routers.service_kpis import service_zone
from api.schemas.stock_planning import StockPlanPublic, StockRecommendationPublic
from api.ticket_clock import NowDep
from models.stock_planning import (
    DEFAULT_SERVICE_LEVEL,
    PRIOR_RATE_PER_UNIT_YEAR,
    PRIOR_WEIGHT_UNIT_YEARS,
    stock_plan,
)
from storage import parts_store, parts_usage_reader

router = APIRouter(tags=["stock planning"])


@router.get("/stock-planning")
async def stock_planning(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    service_level: Annotated[
        float, Query(gt=0.5, lt=1, description="Share of lead times the stock covers")
    ] = DEFAULT_SERVICE_LEVEL,
    history_days: Annotated[
        int, Query(ge=30, le=3660, description="How far back tickets and the installed base count")
    ] = 730,
) -> StockPlanPublic:
    """The recommended safety stock of every part in every region with units installed
    or safety stock held, and pooled over all regions against the central store."""
    require_parts_authority(user)
    since = now - timedelta(days=history_days)
    # The window is half-open: a booking made at this very instant counts too.
    until = now + timedelta(microseconds=1)
    histories = await parts_usage_reader.part_histories(conn, since=since, until=until)
    bases = await parts_usage_reader.regional_bases_now(conn, plant=plant)
    plan = stock_plan(histories, bases, service_level=service_level)
    by_part = {history.part_number: history for history in histories}
    names = await parts_store.parts_by_number(conn, part_numbers=list(by_part))
    return StockPlanPublic(
        service_level=service_level,
        history_since=since,
        history_until=now,
        prior_rate_per_unit_year=dict(PRIOR_RATE_PER_UNIT_YEAR),
        prior_weight_unit_years=PRIOR_WEIGHT_UNIT_YEARS,
        recommendations=[
            StockRecommendationPublic.of(
                item,
                description=names[item.part_number].description,
                part_class=by_part[item.part_number].part_class,
                units_used=by_part[item.part_number].units_used,
                unit_years=by_part[item.part_number].unit_years,
            )
            for item in plan
        ],
    )


@router.get(
    "/parts-consumption",
    responses={200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}},
)
async def parts_consumption(
    user: CurrentUser,
    conn: ConnDep,
    plant: PlantDep,
    now: NowDep,
    first_month: Annotated[
        str | None, Query(alias="from", description="First month, YYYY-MM; default: 11 back")
    ] = None,
    last_month: Annotated[
        str | None, Query(alias="to", description="Last month, YYYY-MM, included; default: now")
    ] = None,
    customer_id: Annotated[str | None, Query(max_length=100)] = None,
    part_number: Annotated[str | None, Query(max_length=64)] = None,
    file_format: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response:
    """Parts used on tickets (issued, less units returned unused) per month, customer
    and part, with their cost at the catalogue's unit cost."""
    require_parts_authority(user)
    zone = service_zone(plant)
    try:
        first, last = month_range(first_month, last_month, today=now.astimezone(zone).date())
    except BadRange as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None
    report = await consumption_report(
        conn,
        plant,
        zone=zone,
        first=first,
        last=last,
        customer_id=customer_id,
        part_number=part_number,
    )
    if file_format == "json":
        return Response(report.model_dump_json(), media_type="application/json")
    return Response(
        render_consumption_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{csv_file_name(report)}"'},
    )
