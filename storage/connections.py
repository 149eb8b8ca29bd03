"""The connection and pool types every storage function takes."""

from __future__ import annotations

from typing import Any, TypeAlias

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

Connection: TypeAlias = AsyncConnection[TupleRow]
Pool: TypeAlias = AsyncConnectionPool[Connection]


class PooledConnection(AsyncConnection[TupleRow]):
    """A connection of the app's pool (storage.database.open_pool): it remembers whether
    a request switched it to a customer (storage/customer_scope.py), so the pool resets
    those connections alone and staff connections pay nothing."""

    __slots__ = ("serves_customer",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.serves_customer = False
