"""Versioned condition models of machines: store, list, promote, retire, load.

Only the active version scores. Loading falls back, version by version, to the
newest older model that decodes and whose signals the machine still has, and
says so, so a bad model never stops the scorer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb

from models.condition_model import ConditionModel, ModelStatus, StoredModel
from storage.condition_model_codec import ModelDecodeError, model_from_json, model_to_json
from storage.connections import Connection
from storage.customer_scope import CustomerScope, scope_filter

_INSERT = """
INSERT INTO condition_models
    (machine_id, version, status, reason, trained_from, trained_until, method, signals,
     metadata, model)
SELECT %(machine)s, coalesce(max(version), 0) + 1, %(status)s, %(reason)s, %(trained_from)s,
       %(trained_until)s, %(method)s, %(signals)s, %(metadata)s, %(model)s
FROM condition_models WHERE machine_id = %(machine)s
RETURNING id, version, created_at
"""

_COLUMNS = "id, machine_id, version, status, created_at, reason, model"

_VERSIONS = f"""
SELECT {_COLUMNS} FROM condition_models
WHERE machine_id = %(machine)s AND {scope_filter("machine", "machine_id")}
ORDER BY version DESC
"""

_ALL = f"SELECT {_COLUMNS} FROM condition_models ORDER BY machine_id, version"


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A stored version as listed, decoded or not."""

    id: int
    machine_id: str
    version: int
    status: ModelStatus
    created_at: Any
    reason: str
    raw: dict[str, Any]

    def decoded(self) -> StoredModel:
        """Raises ModelDecodeError when the stored model cannot be read back."""
        return StoredModel(
            self.id,
            self.machine_id,
            self.version,
            self.status,
            self.created_at,
            self.reason,
            model_from_json(self.raw),
        )


def _row(row: tuple[Any, ...]) -> ModelRow:
    model_id, machine_id, version, status, created_at, reason, raw = row
    return ModelRow(model_id, machine_id, version, ModelStatus(status), created_at, reason, raw)


def _metadata(model: ConditionModel) -> dict[str, Any]:
    return {
        "calibration": {
            "false_alarm_probability": model.calibration.false_alarm_probability,
            "limit": model.calibration.limit,
            "training_exceedance": model.calibration.training_exceedance,
        },
        "observations": model.observations,
        "observation_width_s": model.observation_width_s,
        "library_versions": model.library_versions,
    }


async def insert_model(
    conn: Connection, *, model: ConditionModel, status: ModelStatus, reason: str
) -> StoredModel:
    """Store a new version; an active one replaces (retires) the machine's active model."""
    async with conn.transaction():
        if status is ModelStatus.ACTIVE:
            await _retire_active(conn, model.machine_id)
        cursor = await conn.execute(
            _INSERT,
            {
                "machine": model.machine_id,
                "status": status.value,
                "reason": reason,
                "trained_from": model.trained_from,
                "trained_until": model.trained_until,
                "method": model.method,
                "signals": list(model.signals),
                "metadata": Jsonb(_metadata(model)),
                "model": Jsonb(model_to_json(model)),
            },
        )
        row = await cursor.fetchone()
    assert row is not None
    model_id, version, created_at = row
    return StoredModel(model_id, model.machine_id, version, status, created_at, reason, model)


async def _retire_active(conn: Connection, machine_id: str) -> None:
    await conn.execute(
        "UPDATE condition_models SET status = 'retired'"
        " WHERE machine_id = %s AND status = 'active'",
        (machine_id,),
    )


async def versions(conn: Connection, *, machine_id: str, scope: CustomerScope) -> list[ModelRow]:
    """Every stored version of the machine's models, newest first; none outside the scope."""
    cursor = await conn.execute(_VERSIONS, {"machine": machine_id, **scope.params})
    return [_row(r) for r in await cursor.fetchall()]


async def all_models(conn: Connection) -> list[ModelRow]:
    cursor = await conn.execute(_ALL)
    return [_row(r) for r in await cursor.fetchall()]


async def promote(conn: Connection, *, machine_id: str, version: int) -> bool:
    """Make ``version`` the active model; False when there is no such version."""
    async with conn.transaction():
        cursor = await conn.execute(
            "SELECT 1 FROM condition_models WHERE machine_id = %s AND version = %s FOR UPDATE",
            (machine_id, version),
        )
        if await cursor.fetchone() is None:
            return False
        await _retire_active(conn, machine_id)
        await conn.execute(
            "UPDATE condition_models SET status = 'active' WHERE machine_id = %s AND version = %s",
            (machine_id, version),
        )
    return True


async def retire(conn: Connection, *, machine_id: str, version: int) -> bool:
    cursor = await conn.execute(
        "UPDATE condition_models SET status = 'retired' WHERE machine_id = %s AND version = %s",
        (machine_id, version),
    )
    return cursor.rowcount > 0


@dataclass(frozen=True, slots=True)
class UsableModel:
    """The model scoring should use, and why it is not the active one, if it is not."""

    stored: StoredModel
    note: str = ""


def _unusable_reason(row: ModelRow, signals: Collection[str]) -> tuple[StoredModel | None, str]:
    try:
        stored = row.decoded()
    except ModelDecodeError as error:
        return None, f"version {row.version} does not load ({error})"
    missing = sorted(set(stored.model.signals) - set(signals))
    if missing:
        return None, f"version {row.version} uses signals the machine no longer has: {missing}"
    return stored, ""


async def load_usable_model(
    conn: Connection,
    *,
    machine_id: str,
    signals: Collection[str],
    scope: CustomerScope,
) -> UsableModel | None:
    """The active model, or the newest earlier version that works; None without an
    active model. Raises ModelDecodeError when no version up to the active one works.

    Only versions up to the active one are tried: a candidate that was never
    promoted does not score behind people's backs. Without an active model
    nothing scores. A machine outside the scope has none.
    """
    rows = await versions(conn, machine_id=machine_id, scope=scope)
    active = next((r for r in rows if r.status is ModelStatus.ACTIVE), None)
    if active is None:
        return None
    problems: list[str] = []
    for row in rows:
        if row.version > active.version or row.status is ModelStatus.CANDIDATE:
            continue
        stored, problem = _unusable_reason(row, signals)
        if stored is not None:
            note = "; ".join(problems)
            if note:
                note = f"{note}; scoring with version {row.version} instead"
            return UsableModel(stored, note)
        problems.append(problem)
    # Every version failed: the caller reports the machine as unable to score.
    raise ModelDecodeError("; ".join(problems) or "no usable model")
