"""The customer a connection serves: the database's wall between customers.

A connection that serves a customer user switches to the role ``linecare_customer``
and names the customer in the setting ``linecare.customer_id``; row-level security
(migrations 054 and 055) then shows it that customer's rows alone, whatever the
query forgets. The switch is made at session level and committed at once, so a
rollback later in the request cannot undo it, and it is undone by
``leave_customer_scope`` before the pool hands the connection to anyone else
(``storage.database.open_pool`` installs it as the pool's reset). Staff connections
never switch: the login role owns the tables and the policies do not apply to it.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from storage.connections import Connection

CUSTOMER_ROLE = "linecare_customer"
CUSTOMER_SETTING = "linecare.customer_id"

# Connections switched to a customer, so only those pay for the reset on return.
_switched: weakref.WeakSet[Connection] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class CustomerScope:
    """Whose rows a query may return: one customer's, or every customer's for staff.

    Storage functions that take a scope apply it in their WHERE clause; the
    row-level security behind it is the second wall, not the first.
    """

    customer_id: str | None

    @property
    def everyone(self) -> bool:
        return self.customer_id is None


EVERY_CUSTOMER = CustomerScope(customer_id=None)


async def enter_customer_scope(conn: Connection, *, customer_id: str) -> None:
    """From here on the connection reads and writes only ``customer_id``'s rows."""
    if not customer_id:
        raise ValueError("a customer scope needs a customer id")
    # Marked before the switch: a switch that fails half-way is still reset.
    _switched.add(conn)
    await conn.execute(
        "SELECT set_config('role', %s, false), set_config(%s, %s, false)",
        (CUSTOMER_ROLE, CUSTOMER_SETTING, customer_id),
    )
    await conn.commit()


def is_switched(conn: Connection) -> bool:
    """Whether the connection was switched to a customer and not reset since."""
    return conn in _switched


async def leave_customer_scope(conn: Connection) -> None:
    """Back to the login role with no customer named; a no-op on a staff connection.

    The pool calls this on every connection it takes back, failed requests and
    cancelled streams included; if it raises, the pool closes the connection
    instead of reusing it.
    """
    if conn not in _switched:
        return
    await conn.rollback()
    await conn.execute("RESET ROLE; RESET linecare.customer_id")
    await conn.commit()
    _switched.discard(conn)


async def ticket_within(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> bool:
    """Whether the ticket exists within the scope: the first wall, in the query itself."""
    cursor = await conn.execute(
        "SELECT 1 FROM tickets WHERE id = %s AND (%s::text IS NULL OR customer_id = %s)",
        (ticket_id, scope.customer_id, scope.customer_id),
    )
    return await cursor.fetchone() is not None
