"""The customer a query or a connection serves: the two walls between customers.

The first wall is in the queries themselves: a storage function that serves a
customer's data takes a ``CustomerScope`` and adds ``scope_filter(...)`` to its
WHERE clause, so a call naming another customer's machine, line or ticket returns
nothing even if the route forgot its own check. The scope is a required keyword, never
a default: routes pass ``api.access_scope.scope_of(user)``, and code that acts for the
service provider itself (analytics, alerts, the collector, the launcher's tools, the
benchmarks) says so by passing ``EVERY_CUSTOMER``.

The second wall is the database's: a connection that serves a customer user switches
to the role ``linecare_customer`` and names the customer in the setting
``linecare.customer_id``; row-level security (migrations 054 and 055) then shows it
that customer's rows alone, whatever the query forgets. The switch is made at session
level and committed at once, so a rollback later in the request cannot undo it, and
it is undone by ``leave_customer_scope`` before the pool hands the connection to
anyone else (``storage.database.open_pool`` installs it as the pool's reset). Staff
connections never switch: the login role owns the tables and the policies do not
apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from storage.connections import Connection, PooledConnection

CUSTOMER_ROLE = "linecare_customer"
CUSTOMER_SETTING = "linecare.customer_id"

# What ties a row to its customer: the column holds the id of a machine, a line, a
# ticket, or the customer itself.
ScopeKey = Literal["machine", "line", "ticket", "customer"]

# The ids of each kind that belong to the customer named by the scope's parameter.
_OWNED: dict[ScopeKey, str] = {
    "machine": "SELECT m.id FROM machines m JOIN lines l ON l.id = m.line_id"
    " JOIN sites s ON s.id = l.site_id WHERE s.customer_id = %(scope_customer)s",
    "line": "SELECT l.id FROM lines l JOIN sites s ON s.id = l.site_id"
    " WHERE s.customer_id = %(scope_customer)s",
    "ticket": "SELECT t.id FROM tickets t WHERE t.customer_id = %(scope_customer)s",
}


@dataclass(frozen=True, slots=True)
class CustomerScope:
    """Whose rows a query may return: one customer's, or every customer's for staff.

    Storage functions that take a scope apply it in their WHERE clause with
    ``scope_filter`` and pass ``scope.params`` with their own parameters; the
    row-level security behind it is the second wall, not the first.
    """

    customer_id: str | None

    @property
    def everyone(self) -> bool:
        return self.customer_id is None

    @property
    def params(self) -> dict[str, str | None]:
        """The named parameter ``scope_filter``'s predicate reads."""
        return {"scope_customer": self.customer_id}


EVERY_CUSTOMER = CustomerScope(customer_id=None)


def scope_filter(key: ScopeKey, column: str) -> str:
    """A predicate keeping the rows whose ``column`` (a ``key`` id) belongs to the scope.

    It reads the named parameter ``%(scope_customer)s`` (``CustomerScope.params``), so
    the query takes named parameters. For staff the parameter is NULL and the predicate
    is true before its subquery runs: folded by the planner, or under a generic plan
    (the API's sessions keep them) decided by the first operand of the OR. ``column`` is a
    column of the query, written in code, never input.
    """
    if key == "customer":
        return f"(%(scope_customer)s::text IS NULL OR {column} = %(scope_customer)s)"
    return f"(%(scope_customer)s::text IS NULL OR {column} IN ({_OWNED[key]}))"


async def enter_customer_scope(conn: Connection, *, customer_id: str) -> None:
    """From here on the connection reads and writes only ``customer_id``'s rows.

    Only a connection of the app's pool may switch: its pool undoes the switch.
    """
    if not customer_id:
        raise ValueError("a customer scope needs a customer id")
    if not isinstance(conn, PooledConnection):
        raise TypeError(
            "only a connection of storage.database.open_pool can serve a customer:"
            " its pool resets it before anyone else gets it"
        )
    # Marked before the switch: a switch that fails half-way is still reset.
    conn.serves_customer = True
    await conn.execute(
        "SELECT set_config('role', %s, false), set_config(%s, %s, false)",
        (CUSTOMER_ROLE, CUSTOMER_SETTING, customer_id),
    )
    await conn.commit()


def is_switched(conn: Connection) -> bool:
    """Whether the connection was switched to a customer and not reset since."""
    return isinstance(conn, PooledConnection) and conn.serves_customer


async def leave_customer_scope(conn: Connection) -> None:
    """Back to the login role with no customer named; a no-op on a staff connection.

    The pool calls this on every connection it takes back, failed requests and
    cancelled streams included; if it raises, the pool closes the connection
    instead of reusing it.
    """
    if not isinstance(conn, PooledConnection) or not conn.serves_customer:
        return
    await conn.rollback()
    await conn.execute("RESET ROLE; RESET linecare.customer_id")
    await conn.commit()
    conn.serves_customer = False


_TICKET_WITHIN = scope_filter("customer", "customer_id")
_MACHINE_WITHIN = scope_filter("machine", "id")


async def ticket_within(conn: Connection, *, ticket_id: int, scope: CustomerScope) -> bool:
    """Whether the ticket exists within the scope: the first wall, in the query itself."""
    cursor = await conn.execute(
        f"SELECT 1 FROM tickets WHERE id = %(ticket)s AND {_TICKET_WITHIN}",
        {"ticket": ticket_id, **scope.params},
    )
    return await cursor.fetchone() is not None


async def machine_within(conn: Connection, *, machine_id: str, scope: CustomerScope) -> bool:
    """Whether the machine exists within the scope: for reads whose SQL lives elsewhere
    (the trend rollups) and so cannot carry ``scope_filter`` themselves."""
    cursor = await conn.execute(
        f"SELECT 1 FROM machines WHERE id = %(machine)s AND {_MACHINE_WITHIN}",
        {"machine": machine_id, **scope.params},
    )
    return await cursor.fetchone() is not None
