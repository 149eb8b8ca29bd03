"""Reading the parts catalogue and the installed base from CSV, checking every row.

An import is all or nothing: every bad row is reported with its line number and
what is wrong with it, and a file with any bad row imports nothing.

Catalogue columns: ``part_number, description, class, serialized, unit_cost,
currency, supplier, lead_time_days, fits`` where ``fits`` is
``MODEL:position;MODEL:position``. Installed base columns: ``machine_id,
position, part_number, serial, quantity, installed_at``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Generic, TypeVar

from models.parts import InstalledPart, Money, Part, PartClass, PartFit

T = TypeVar("T")

CATALOGUE_COLUMNS = (
    "part_number",
    "description",
    "class",
    "serialized",
    "unit_cost",
    "currency",
    "supplier",
    "lead_time_days",
    "fits",
)
INSTALLED_BASE_COLUMNS = (
    "machine_id",
    "position",
    "part_number",
    "serial",
    "quantity",
    "installed_at",
)
PART_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9._/-]{1,63}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n", ""}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportResult(Generic[T]):
    """The rows read, or (when ``errors`` is not empty) nothing to import."""

    rows: tuple[T, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


class RowProblem(ValueError):
    """One row is wrong; the message says how."""


def part_problem(part: Part) -> str | None:
    """What is wrong with a part as a whole (shared by the import and the API), or None."""
    if not PART_NUMBER.match(part.part_number):
        return (
            f"part number {part.part_number!r}: 2 to 64 capitals, digits and . _ / -,"
            " starting with a capital or digit"
        )
    if not part.description.strip():
        return "the description is empty"
    if part.unit_cost.amount < 0:
        return "the unit cost cannot be negative"
    if not CURRENCY.match(part.unit_cost.currency):
        return f"currency {part.unit_cost.currency!r} is no ISO 4217 code such as EUR"
    if part.lead_time_days < 0:
        return "the lead time cannot be negative"
    if not part.supplier.strip():
        return "the supplier is empty"
    return None


def read_catalogue(text: str) -> ImportResult[Part]:
    """The parts of a catalogue CSV, or all its bad rows."""
    result = _read_rows(text, CATALOGUE_COLUMNS, _part_of)
    seen: dict[str, int] = {}
    errors = list(result.errors)
    for line, part in _numbered(result):
        if part.part_number in seen:
            errors.append(
                RowError(line, f"{part.part_number} is listed on line {seen[part.part_number]}")
            )
        seen.setdefault(part.part_number, line)
    return _result(result.rows, errors)


def read_installed_base(
    text: str, *, machine_models: Mapping[str, str], catalogue: Mapping[str, Part]
) -> ImportResult[InstalledPart]:
    """The installed parts of a CSV, checked against the plant's machines and the catalogue."""
    result = _read_rows(text, INSTALLED_BASE_COLUMNS, _installed_of)
    errors = list(result.errors)
    taken: dict[tuple[str, str], int] = {}
    for line, row in _numbered(result):
        problem = _installed_problem(row, machine_models, catalogue)
        key = (row.machine_id, row.position)
        if problem is None and key in taken:
            problem = f"{row.machine_id} at {row.position} is filled on line {taken[key]}"
        if problem is not None:
            errors.append(RowError(line, problem))
        taken.setdefault(key, line)
    return _result(result.rows, errors)


def _installed_problem(
    row: InstalledPart, machine_models: Mapping[str, str], catalogue: Mapping[str, Part]
) -> str | None:
    model = machine_models.get(row.machine_id)
    part = catalogue.get(row.part_number)
    if model is None:
        return f"no machine {row.machine_id!r} in the plant file"
    if part is None:
        return f"no part {row.part_number!r} in the catalogue"
    if not part.fits_at(model, row.position):
        return f"{row.part_number} does not fit a {model} at {row.position!r}"
    if part.serialized != (row.serial is not None):
        return f"{row.part_number} is {'' if part.serialized else 'not '}serialized"
    if part.serialized and row.quantity != 1:
        return "a serialized part is installed one unit per position"
    return None


@dataclass(frozen=True, slots=True)
class _Numbered(Generic[T]):
    rows: tuple[T, ...]
    lines: tuple[int, ...]
    errors: tuple[RowError, ...]


def _numbered(result: _Numbered[T]) -> list[tuple[int, T]]:
    return list(zip(result.lines, result.rows, strict=True))


def _result(rows: tuple[T, ...], errors: list[RowError]) -> ImportResult[T]:
    ordered = tuple(sorted(errors, key=lambda e: e.line))
    return ImportResult(rows=() if ordered else rows, errors=ordered)


def _read_rows(
    text: str, columns: tuple[str, ...], convert: Callable[[dict[str, str]], T]
) -> _Numbered[T]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in columns if name not in header]
    if missing:
        return _Numbered((), (), (RowError(1, f"missing columns: {', '.join(missing)}"),))
    rows: list[T] = []
    lines: list[int] = []
    errors: list[RowError] = []
    for raw in reader:
        line = reader.line_num
        values = {key.strip(): (value or "").strip() for key, value in raw.items() if key}
        if not any(values.values()):
            continue
        try:
            rows.append(convert(values))
            lines.append(line)
        except RowProblem as problem:
            errors.append(RowError(line, str(problem)))
    return _Numbered(tuple(rows), tuple(lines), tuple(errors))


def _part_of(values: dict[str, str]) -> Part:
    part = Part(
        part_number=values["part_number"],
        description=values["description"],
        part_class=_choice(values["class"], PartClass, "class"),
        serialized=_flag(values["serialized"], "serialized"),
        unit_cost=Money(_decimal(values["unit_cost"]), values["currency"]),
        supplier=values["supplier"],
        lead_time_days=_integer(values["lead_time_days"], "lead_time_days"),
        fits=_fits(values["fits"]),
    )
    problem = part_problem(part)
    if problem is not None:
        raise RowProblem(problem)
    return part


def _installed_of(values: dict[str, str]) -> InstalledPart:
    quantity = _integer(values["quantity"] or "1", "quantity")
    if quantity < 1:
        raise RowProblem("the quantity must be at least 1")
    if not values["position"]:
        raise RowProblem("the position is empty")
    try:
        installed_at = datetime.fromisoformat(values["installed_at"])
    except ValueError:
        raise RowProblem(f"installed_at {values['installed_at']!r} is no ISO 8601 time") from None
    if installed_at.tzinfo is None:
        raise RowProblem("installed_at needs a time zone, e.g. 2025-03-01T08:00:00+00:00")
    return InstalledPart(
        machine_id=values["machine_id"],
        position=values["position"],
        part_number=values["part_number"],
        serial=values["serial"] or None,
        quantity=quantity,
        installed_at=installed_at,
    )


def _choice(value: str, enum: type[PartClass], column: str) -> PartClass:
    try:
        return enum(value.lower())
    except ValueError:
        names = ", ".join(member.value for member in enum)
        raise RowProblem(f"{column} {value!r} is not one of {names}") from None


def _flag(value: str, column: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise RowProblem(f"{column} {value!r} is not yes or no")


def _decimal(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowProblem(f"unit_cost {value!r} is not a number") from None
    if not amount.is_finite():
        raise RowProblem(f"unit_cost {value!r} is not a number")
    return amount


def _integer(value: str, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise RowProblem(f"{column} {value!r} is not a whole number") from None


def _fits(value: str) -> tuple[PartFit, ...]:
    fits: list[PartFit] = []
    for item in filter(None, (piece.strip() for piece in value.split(";"))):
        model, colon, position = item.partition(":")
        if not colon or not model.strip() or not position.strip():
            raise RowProblem(f"fit {item!r} is not MODEL:position")
        fits.append(PartFit(model.strip(), position.strip()))
    return tuple(dict.fromkeys(fits))
