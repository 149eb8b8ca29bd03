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
from storage.trend_reader import AlignedJson, Pieces


def _text(value: str | None) -> str:
    # ASCII (non-ASCII escaped): the document then encodes as one copy, not char by char.
    return json.dumps(value)


def _time(moment: datetime) -> str:
    """As pydantic writes a UTC time: ISO 8601 with ``Z``."""
    return _text(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


def _machine_series(out: list[str], machine: Machine, aligned: AlignedJson) -> None:
    """One machine's signals on the grid, ``MachineSeriesPublic`` as JSON, onto ``out``."""
    specs = {spec.name: spec for spec in machine.signals}
    out.append(
        f'{{"machine_id":{_text(machine.id)},"machine_name":{_text(machine.name)},'
        f'"machine_model":{_text(machine.model)},"series":['
    )
    for index, one in enumerate(aligned.series):
        spec = specs[one.signal]
        out.append(
            f'{"," if index else ""}{{"signal":{_text(one.signal)},"unit":{_text(spec.unit)},'
            f'"kind":{_text(spec.kind.value)}'
        )
        for name, pieces in zip(_FIGURES, one.figures, strict=True):
            out.append(name)
            _array(out, pieces)
        out.append("}")
    out.append("]}")


_FIGURES = (',"avg":', ',"min":', ',"max":', ',"samples":')


def _array(out: list[str], pieces: Pieces) -> None:
    """A JSON array of these entry texts onto ``out``, copying none of them."""
    out.append("[")
    for index, piece in enumerate(pieces):
        if index:
            out.append(",")
        out.append(piece)
    out.append("]")


def trends_document(
    *,
    machine: Machine,
    grid: BucketGrid,
    source: str,
    aligned: AlignedJson,
    compare: tuple[Machine, AlignedJson] | None,
    baseline: BaselinePublic | None,
) -> bytes:
    """The whole ``TrendsPublic`` document, UTF-8.

    Written as a list of texts joined once: the arrays are hundreds of kilobytes, and
    every intermediate string copied them again (a third of a cached read's time in
    the API process).
    """
    out = [
        f'{{"machine_id":{_text(machine.id)},"since":{_time(grid.since)},'
        f'"until":{_time(grid.until)},"bucket_s":{json.dumps(grid.width.total_seconds())},'
        f'"source":{_text(source)},"times":',
        aligned.times,
        ',"machine":',
    ]
    _machine_series(out, machine, aligned)
    out.append(',"compare":')
    if compare is not None:
        _machine_series(out, *compare)
    else:
        out.append("null")
    baseline_json = baseline.model_dump_json() if baseline is not None else "null"
    out.append(f',"baseline":{baseline_json}}}')
    return "".join(out).encode()
