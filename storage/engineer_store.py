"""Field engineers in the database: their profiles and certificates, and their open jobs.

A field engineer is an active user with the role field_engineer; one without a
stored profile has an empty one. The open jobs are counted from the current
assignments of tickets still in the field (``models.dispatch.OPEN_JOB_STATUSES``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from models.dispatch import OPEN_JOB_STATUSES, Certification, EngineerProfile, FieldEngineer
from models.plant import Location
from models.tickets import TicketType
from models.users import Role
from storage.connections import Connection

_SELECT = """
    SELECT u.login, u.display_name, p.home_region, p.base_name, p.base_lat, p.base_lon,
        p.machine_models, p.ticket_types, p.updated_at, p.updated_by,
        (SELECT count(*) FROM ticket_assignments a JOIN tickets t ON t.id = a.ticket_id
         WHERE a.engineer_login = u.login AND a.released_at IS NULL
           AND t.status = ANY(%(open)s))
    FROM users u LEFT JOIN engineer_profiles p ON p.login = u.login
    WHERE u.role = %(role)s AND u.revoked_at IS NULL
"""


async def list_field_engineers(
    conn: Connection,
    *,
    machine_model: str | None = None,
    home_region: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[FieldEngineer]:
    """Every active field engineer with their profile and open jobs, by login; optionally
    only those trained on ``machine_model`` or based in ``home_region``."""
    return await _engineers(
        conn,
        login=None,
        machine_model=machine_model,
        home_region=home_region,
        limit=limit,
        offset=offset,
    )


async def find_field_engineer(conn: Connection, *, login: str) -> FieldEngineer | None:
    """The active field engineer with this login, or None (unknown, revoked or another role)."""
    found = await _engineers(conn, login=login)
    return found[0] if found else None


async def _engineers(
    conn: Connection,
    *,
    login: str | None,
    machine_model: str | None = None,
    home_region: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[FieldEngineer]:
    cursor = await conn.execute(
        _SELECT
        + """
          AND (%(login)s::text IS NULL OR u.login = %(login)s)
          AND (%(model)s::text IS NULL OR %(model)s = ANY(p.machine_models))
          AND (%(region)s::text IS NULL OR p.home_region = %(region)s)
        ORDER BY u.login
        LIMIT %(limit)s OFFSET %(offset)s
        """,
        {
            "open": [s.value for s in OPEN_JOB_STATUSES],
            "role": Role.FIELD_ENGINEER.value,
            "login": login,
            "model": machine_model,
            "region": home_region,
            "limit": limit,
            "offset": offset,
        },
    )
    rows = await cursor.fetchall()
    certificates = await _certifications(conn, logins=[row[0] for row in rows])
    return [_engineer(row, certificates.get(row[0], ())) for row in rows]


async def _certifications(
    conn: Connection, *, logins: list[str]
) -> dict[str, tuple[Certification, ...]]:
    cursor = await conn.execute(
        "SELECT login, name, valid_until, machine_models FROM engineer_certifications"
        " WHERE login = ANY(%s) ORDER BY login, valid_until, name",
        (logins,),
    )
    found: dict[str, list[Certification]] = defaultdict(list)
    for login, name, valid_until, models in await cursor.fetchall():
        found[login].append(Certification(name, valid_until, tuple(models)))
    return {login: tuple(certs) for login, certs in found.items()}


def _engineer(row: tuple[Any, ...], certifications: tuple[Certification, ...]) -> FieldEngineer:
    login, display_name = row[0], row[1]
    lat, lon = row[4], row[5]
    profile = EngineerProfile(
        login=login,
        home_region=row[2] or "",
        base_name=row[3] or "",
        base_location=Location(lat=lat, lon=lon) if lat is not None else None,
        machine_models=tuple(row[6] or ()),
        ticket_types=tuple(TicketType(t) for t in row[7] or ()),
        certifications=certifications,
        updated_at=row[8],
        updated_by=row[9],
    )
    return FieldEngineer(
        login=login, display_name=display_name, profile=profile, open_jobs=int(row[10])
    )


async def save_profile(
    conn: Connection, *, profile: EngineerProfile, by: str, at: datetime
) -> None:
    """Store the engineer's whole profile, replacing their certificates, in one transaction."""
    location = profile.base_location
    async with conn.transaction():
        await conn.execute(
            """
            INSERT INTO engineer_profiles (login, home_region, base_name, base_lat, base_lon,
                machine_models, ticket_types, updated_at, updated_by)
            VALUES (%(login)s, %(region)s, %(base)s, %(lat)s, %(lon)s, %(models)s, %(types)s,
                %(at)s, %(by)s)
            ON CONFLICT (login) DO UPDATE SET
                home_region = EXCLUDED.home_region, base_name = EXCLUDED.base_name,
                base_lat = EXCLUDED.base_lat, base_lon = EXCLUDED.base_lon,
                machine_models = EXCLUDED.machine_models, ticket_types = EXCLUDED.ticket_types,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """,
            {
                "login": profile.login,
                "region": profile.home_region,
                "base": profile.base_name,
                "lat": location.lat if location else None,
                "lon": location.lon if location else None,
                "models": list(profile.machine_models),
                "types": [t.value for t in profile.ticket_types],
                "at": at,
                "by": by,
            },
        )
        await conn.execute("DELETE FROM engineer_certifications WHERE login = %s", (profile.login,))
        async with conn.cursor() as cursor:
            await cursor.executemany(
                "INSERT INTO engineer_certifications (login, name, valid_until, machine_models)"
                " VALUES (%s, %s, %s, %s)",
                [
                    (profile.login, c.name, c.valid_until, list(c.machine_models))
                    for c in profile.certifications
                ],
            )


_ALL_REPAIRS = (
    TicketType.EMERGENCY_REPAIR,
    TicketType.GENERAL_FAULT,
    TicketType.PREVENTIVE_MAINTENANCE,
)
# The demo's field engineers, fitting the demo plant: one by the Hamburg brewery for
# the filling lines, one by the Bern plant for the case packing line, and one in
# Munich who knows a little of both and whose filler certificate has run out.
DEMO_ENGINEER_PROFILES: tuple[EngineerProfile, ...] = (
    EngineerProfile(
        login="demo-field-1",
        home_region="north-germany",
        base_name="Hamburg service base",
        base_location=Location(lat=53.5511, lon=9.9937),
        machine_models=("FIL-12", "CAP-6", "LAB-2"),
        ticket_types=(*_ALL_REPAIRS, TicketType.INSTALLATION),
        certifications=(
            Certification("FIL-12 service training", date(2028, 6, 30), ("FIL-12",)),
            Certification("CAP-6 service training", date(2027, 12, 31), ("CAP-6",)),
        ),
    ),
    EngineerProfile(
        login="demo-field-2",
        home_region="switzerland",
        base_name="Zurich service base",
        base_location=Location(lat=47.3769, lon=8.5417),
        machine_models=("CE-4", "PK-9", "SL-3"),
        ticket_types=(*_ALL_REPAIRS, TicketType.UPGRADE),
        certifications=(
            Certification("PK-9 service training", date(2028, 3, 31), ("PK-9",)),
            Certification("Electrical safety", date(2027, 9, 30)),
        ),
    ),
    EngineerProfile(
        login="demo-field-3",
        home_region="south-germany",
        base_name="Munich service base",
        base_location=Location(lat=48.1351, lon=11.5820),
        machine_models=("FIL-12", "PK-9"),
        ticket_types=(TicketType.GENERAL_FAULT, TicketType.PREVENTIVE_MAINTENANCE),
        certifications=(Certification("FIL-12 service training", date(2025, 12, 31), ("FIL-12",)),),
    ),
)


async def seed_demo_profiles(conn: Connection) -> None:
    """Store the demo engineers' profiles where they have none yet (their users must exist);
    a profile the desk edited stays as edited."""
    cursor = await conn.execute(
        "SELECT login FROM engineer_profiles WHERE login = ANY(%s)",
        ([p.login for p in DEMO_ENGINEER_PROFILES],),
    )
    present = {row[0] for row in await cursor.fetchall()}
    for profile in DEMO_ENGINEER_PROFILES:
        if profile.login not in present:
            await save_profile(conn, profile=profile, by="demo", at=datetime.now(UTC))
