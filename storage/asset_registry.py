"""Mirrors the plant file's installed base into the asset tables."""

from __future__ import annotations

from models.plant import Plant
from storage.connections import Connection


async def sync_assets(conn: Connection, plant: Plant) -> None:
    """Upsert customers, sites, lines and machines; rows the file no longer names stay."""
    async with conn.transaction():
        for customer in plant.customers:
            await conn.execute(
                """
                INSERT INTO customers (id, name, contract_number, contact_name,
                                       contact_phone, contact_email)
                VALUES (%s, %s, %s, %s, %s, %s)
                ON CONFLICT (id) DO UPDATE SET
                    name = EXCLUDED.name, contract_number = EXCLUDED.contract_number,
                    contact_name = EXCLUDED.contact_name,
                    contact_phone = EXCLUDED.contact_phone,
                    contact_email = EXCLUDED.contact_email
                """,
                (
                    customer.id,
                    customer.name,
                    customer.contract.number,
                    customer.contact.name,
                    customer.contact.phone,
                    customer.contact.email,
                ),
            )
            for site in customer.sites:
                await conn.execute(
                    """
                    INSERT INTO sites (id, customer_id, name, timezone)
                    VALUES (%s, %s, %s, %s)
                    ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id,
                        name = EXCLUDED.name, timezone = EXCLUDED.timezone
                    """,
                    (site.id, customer.id, site.name, site.timezone),
                )
                for line in site.lines:
                    await conn.execute(
                        """
                        INSERT INTO lines (id, site_id, name, model, serial, acceptance_date,
                                           warranty_months, protocol)
                        VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                        ON CONFLICT (id) DO UPDATE SET site_id = EXCLUDED.site_id,
                            name = EXCLUDED.name, model = EXCLUDED.model,
                            serial = EXCLUDED.serial,
                            acceptance_date = EXCLUDED.acceptance_date,
                            warranty_months = EXCLUDED.warranty_months,
                            protocol = EXCLUDED.protocol
                        """,
                        (
                            line.id,
                            site.id,
                            line.name,
                            line.model,
                            line.serial,
                            line.acceptance_date,
                            line.warranty_months,
                            line.source.protocol,
                        ),
                    )
                    for position, machine in enumerate(line.machines, start=1):
                        await conn.execute(
                            """
                            INSERT INTO machines (id, line_id, position, name, model, serial)
                            VALUES (%s, %s, %s, %s, %s, %s)
                            ON CONFLICT (id) DO UPDATE SET line_id = EXCLUDED.line_id,
                                position = EXCLUDED.position, name = EXCLUDED.name,
                                model = EXCLUDED.model, serial = EXCLUDED.serial
                            """,
                            (
                                machine.id,
                                line.id,
                                position,
                                machine.name,
                                machine.model,
                                machine.serial,
                            ),
                        )
