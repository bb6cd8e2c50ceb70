"""Which errors are worth retrying: a lost connection may come back, bad input never will."""

from __future__ import annotations

import redis.exceptions
import sqlalchemy.exc


def is_transient(exc: BaseException) -> bool:
    """True for a database or Redis connection that failed or timed out."""
    if isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)):
        return True
    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        # OperationalError covers a refused or dropped connection, a restarting server, a
        # serialisation failure; invalidated means the pool saw the connection die.
        return exc.connection_invalidated or isinstance(
            exc, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError)
        )
    return isinstance(exc, (sqlalchemy.exc.DisconnectionError, ConnectionError, TimeoutError))
