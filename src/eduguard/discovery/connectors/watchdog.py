"""Cut a source connection a driver would wait on for ever.

Drivers bound connecting and (PyMySQL) reading, but a PostgreSQL server that accepts a
connection and then never answers leaves libpq waiting with no timeout of its own: TCP keeps
the connection alive. A :class:`Watchdog` is told of every connection a scan opens (a
SQLAlchemy ``connect`` listener) and, when :meth:`cut` is called — the run passed its deadline
or was cancelled — shuts their sockets down, so the blocked read returns at once with an error.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import weakref
from typing import Any


def _socket_fd(connection: Any) -> int | None:
    """The file descriptor of a live psycopg or PyMySQL connection, or None."""
    pgconn = getattr(connection, "pgconn", None)
    if pgconn is not None:
        try:
            return int(pgconn.socket) if not connection.closed else None
        except Exception:  # closed meanwhile: psycopg raises OperationalError
            return None
    sock = getattr(connection, "_sock", None)  # PyMySQL
    return sock.fileno() if isinstance(sock, socket.socket) and sock.fileno() >= 0 else None


class Watchdog:
    def __init__(self) -> None:
        self._connections: weakref.WeakSet[Any] = weakref.WeakSet()
        self._lock = threading.Lock()
        self.reason: tuple[str, str] | None = None  # (code, message) once cut

    def register(self, dbapi_connection: Any, _record: Any) -> None:
        if not hasattr(dbapi_connection, "pgconn") and not hasattr(dbapi_connection, "_sock"):
            return  # SQLite: a local file, nothing to wait on
        with self._lock:
            self._connections.add(dbapi_connection)
        if self.reason is not None:  # cut already: do not start anything new
            self.cut(*self.reason)

    def cut(self, code: str, message: str) -> None:
        """Shut down the socket of every connection still open; later ones too."""
        self.reason = (code, message)
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            fd = _socket_fd(connection)  # looked up now: never a descriptor reused meanwhile
            if fd is None:
                continue
            with contextlib.suppress(OSError):
                duplicate = socket.socket(fileno=os.dup(fd))
                try:
                    duplicate.shutdown(socket.SHUT_RDWR)
                finally:
                    duplicate.close()
