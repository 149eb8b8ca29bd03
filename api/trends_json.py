"""The trends response written around the arrays the database wrote as JSON.

A trend answers thousands of numbers. The database prints them
(``storage.trend_reader.aligned_json``) and this module writes the few fields
around them, in the shape of ``api.schemas.trends.TrendsPublic``: parsing the
numbers into Python and printing them again cost more than the query did.
tests/api/test_trends.py validates every variant against that model.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from api.schemas.trends import BaselinePublic
from models.plant import Machine
from storage.trend_queries import BucketGrid
from storage.trend_reader import AlignedJson


def _text(value: str | None) -> str:
    # ASCII (non-ASCII escaped): the document then encodes as one copy, not char by char.
    return json.dumps(value)


def _time(moment: datetime) -> str:
    """As pydantic writes a UTC time: ISO 8601 with ``Z``."""
    return _text(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def machine_series(machine: Machine, aligned: AlignedJson) -> str:
    """One machine's signals on the grid: ``MachineSeriesPublic`` as JSON."""
    specs = {spec.name: spec for spec in machine.signals}
    series = ",".join(
        f'{{"signal":{_text(one.signal)},"unit":{_text(specs[one.signal].unit)},'
        f'"kind":{_text(specs[one.signal].kind.value)},"avg":{one.avg},"min":{one.min},'
        f'"max":{one.max},"samples":{one.samples}}}'
        for one in aligned.series
    )
    return (
        f'{{"machine_id":{_text(machine.id)},"machine_name":{_text(machine.name)},'
        f'"machine_model":{_text(machine.model)},"series":[{series}]}}'
    )


def trends_document(
    *,
    machine: Machine,
    grid: BucketGrid,
    source: str,
    aligned: AlignedJson,
    compare: tuple[Machine, AlignedJson] | None,
    baseline: BaselinePublic | None,
) -> bytes:
    """The whole ``TrendsPublic`` document, UTF-8."""
    compared = machine_series(*compare) if compare is not None else "null"
    baseline_json = baseline.model_dump_json() if baseline is not None else "null"
    return (
        f'{{"machine_id":{_text(machine.id)},"since":{_time(grid.since)},'
        f'"until":{_time(grid.until)},"bucket_s":{json.dumps(grid.width.total_seconds())},'
        f'"source":{_text(source)},"times":{aligned.times},'
        f'"machine":{machine_series(machine, aligned)},"compare":{compared},'
        f'"baseline":{baseline_json}}}'
    ).encode()
