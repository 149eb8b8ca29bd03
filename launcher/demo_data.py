"""What the demo seeds beside the simulated plant: its people, parts and stores, the
fault-code manual, and a small past service history of the fillers (what the
suggested parts learn from).

Every seeding here is idempotent, and keeps what people edited since: a demo
restarted on its old database carries on where it was.
"""

from __future__ import annotations

from datetime import UTC, datetime

from launcher.knowledge_cli import seed_demo_knowledge
from launcher.parts_demo import seed_demo_parts
from launcher.service_history_demo import seed_service_history
from models.plant import Plant
from settings.linecare_settings import Settings
from storage.connections import Connection
from storage.user_store import seed_demo_users


async def seed_demo_data(conn: Connection, *, plant: Plant, settings: Settings) -> None:
    """The demo users (and field engineers' profiles), then the parts, stores and stock,
    then the knowledge base's manual (which names the parts), then the fillers' past
    repairs."""
    await seed_demo_users(conn)
    # The vans are the field engineers' stores: the users come first.
    await seed_demo_parts(
        conn, plant=plant, config_dir=settings.plant_file.parent, at=datetime.now(UTC)
    )
    await seed_demo_knowledge(conn, config_dir=settings.plant_file.parent, at=datetime.now(UTC))
    await seed_service_history(conn, plant=plant, now=datetime.now(UTC))
