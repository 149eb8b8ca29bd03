"""Service KPIs as the API, the KPI page and the monthly review show them.

Rates are null where nothing was there to rate (no milestone decided, no visit,
no fault code); ``hits`` of ``total`` always say how many. Durations are seconds.
Definitions: docs/service_kpis.md.
"""

from __future__ import annotations

from datetime import datetime

from api.schemas.base import PublicModel
from models.service_kpis import KpiBreakdown, KpiDimension, KpiFigures, KpiGroup, Ratio


class RatioPublic(PublicModel):
    hits: int
    total: int
    rate: float | None

    @classmethod
    def of(cls, ratio: Ratio) -> RatioPublic:
        return cls(hits=ratio.hits, total=ratio.total, rate=ratio.rate)


class AgeBandPublic(PublicModel):
    label: str
    count: int


class KpiFiguresPublic(PublicModel):
    """Every service KPI of a group over its period."""

    response_on_time: RatioPublic
    arrival_on_time: RatioPublic
    resolution_on_time: RatioPublic
    first_time_fix: RatioPublic
    mttr_s: float | None
    repairs: int
    repeat_faults: RatioPublic
    satisfaction: float | None
    surveys: int
    complaints: int
    backlog_open: int
    backlog: list[AgeBandPublic]
    received: int
    resolved: int

    @classmethod
    def of(cls, figures: KpiFigures) -> KpiFiguresPublic:
        return cls(
            response_on_time=RatioPublic.of(figures.response_on_time),
            arrival_on_time=RatioPublic.of(figures.arrival_on_time),
            resolution_on_time=RatioPublic.of(figures.resolution_on_time),
            first_time_fix=RatioPublic.of(figures.first_time_fix),
            mttr_s=figures.mttr.total_seconds() if figures.mttr is not None else None,
            repairs=figures.repairs,
            repeat_faults=RatioPublic.of(figures.repeat_faults),
            satisfaction=figures.satisfaction,
            surveys=figures.surveys,
            complaints=figures.complaints,
            backlog_open=figures.backlog_open,
            backlog=[AgeBandPublic(label=b.label, count=b.count) for b in figures.backlog],
            received=figures.received,
            resolved=figures.resolved,
        )


class KpiGroupPublic(PublicModel):
    """One engineer, customer, line model, fault type or month; ``since``/``until``: its period."""

    key: str
    label: str
    since: datetime
    until: datetime
    figures: KpiFiguresPublic

    @classmethod
    def of(cls, group: KpiGroup) -> KpiGroupPublic:
        return cls(
            key=group.group.key,
            label=group.group.label,
            since=group.period.start,
            until=group.period.end,
            figures=KpiFiguresPublic.of(group.figures),
        )


class ServiceKpisPublic(PublicModel):
    """The KPIs over ``[since, until)`` in total and per group; months in ``timezone``.

    ``until`` is the end asked for, or "now" when that lies in the future: the
    backlog is counted at ``until``. ``customer_id`` is set when the figures are
    one customer's only (a customer user sees nothing else).
    """

    group_by: KpiDimension
    since: datetime
    until: datetime
    timezone: str
    customer_id: str | None
    total: KpiFiguresPublic
    groups: list[KpiGroupPublic]

    @classmethod
    def of(
        cls, breakdown: KpiBreakdown, *, timezone: str, customer_id: str | None
    ) -> ServiceKpisPublic:
        return cls(
            group_by=breakdown.dimension,
            since=breakdown.period.start,
            until=breakdown.period.end,
            timezone=timezone,
            customer_id=customer_id,
            total=KpiFiguresPublic.of(breakdown.total),
            groups=[KpiGroupPublic.of(g) for g in breakdown.groups],
        )


class ServiceReviewPublic(PublicModel):
    """The monthly service review: the month against the one before, the trend of the
    last six months, and the month per customer, line model, fault type and engineer
    (``by_engineer`` is empty for a customer's own review)."""

    month: str
    month_label: str
    since: datetime
    until: datetime
    timezone: str
    customer_id: str | None
    month_figures: KpiFiguresPublic
    previous_month: KpiGroupPublic
    trend: list[KpiGroupPublic]
    by_customer: list[KpiGroupPublic]
    by_line_model: list[KpiGroupPublic]
    by_fault_type: list[KpiGroupPublic]
    by_engineer: list[KpiGroupPublic]
