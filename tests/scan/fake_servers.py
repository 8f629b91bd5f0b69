"""Hostile database servers on 127.0.0.1 (random ports), for the data-source hardening tests.

``FakeMySQL`` speaks just enough of the MySQL protocol: the handshake, then — ``mode``
"infile" — it answers the first query (after the driver's own SET statements) with a LOAD DATA LOCAL INFILE request (a 0xFB packet
naming ``steal``) and records every byte the client sends back; "silent" — it stops answering
after the handshake. ``SilentPort`` accepts connections and never says a word.
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

CLIENT_LOCAL_FILES = 0x80
_CAPABILITIES = 0x000AA28F  # PROTOCOL_41, SECURE_CONNECTION, PLUGIN_AUTH, LOCAL_FILES …


class _Server:
    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.received = bytearray()  # everything clients sent after their handshake response
        self.client_flags: list[int] = []
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        """Say nothing; keep the connection open."""

    def close(self) -> None:
        self.listener.close()
        for client in self.sockets:
            client.close()


class SilentPort(_Server):
    """Accepts, never answers."""


def _packet(seq: int, payload: bytes) -> bytes:
    return struct.pack("<I", len(payload))[:3] + bytes([seq]) + payload


def _read_packet(client: socket.socket) -> tuple[int, bytes]:
    header = _recv(client, 4)
    length = int.from_bytes(header[:3], "little")
    return header[3], _recv(client, length)


def _recv(client: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = client.recv(count - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


class FakeMySQL(_Server):
    def __init__(self, steal: Path | None = None, mode: str = "infile") -> None:
        self.steal, self.mode = steal, mode
        super().__init__()

    def _serve(self, client: socket.socket) -> None:
        salt = b"abcdefgh" + b"ijklmnopqrst"
        greeting = (
            b"\x0a5.7.99-fake\x00"
            + struct.pack("<I", 7)
            + salt[:8]
            + b"\x00"
            + struct.pack("<H", _CAPABILITIES & 0xFFFF)
            + b"\x21"
            + struct.pack("<H", 2)
            + struct.pack("<H", _CAPABILITIES >> 16)
            + bytes([21])
            + b"\x00" * 10
            + salt[8:]
            + b"\x00mysql_native_password\x00"
        )
        ok = b"\x00\x00\x00\x02\x00\x00\x00"
        try:
            client.sendall(_packet(0, greeting))
            _seq, response = _read_packet(client)
            self.client_flags.append(struct.unpack("<I", response[:4])[0])
            client.sendall(_packet(2, ok))
            if self.mode == "silent":
                return
            asked = False
            while True:
                seq, query = _read_packet(client)
                if query[1:].upper().startswith(b"SET "):  # PyMySQL's own SET NAMES, AUTOCOMMIT
                    client.sendall(_packet(seq + 1, ok))
                elif not asked:  # the first query: a LOAD DATA LOCAL INFILE request (0xFB)
                    asked = True
                    client.sendall(_packet(seq + 1, b"\xfb" + str(self.steal).encode()))
                    while True:  # the file's bytes, if the client sends them, then b""
                        seq, payload = _read_packet(client)
                        self.received += payload
                        if not payload:
                            break
                    client.sendall(_packet(seq + 1, ok))
                else:
                    client.sendall(_packet(seq + 1, b"\xff\x28\x04#42000fake server"))
        except (ConnectionError, OSError):
            return


class FakePostgres(_Server):
    """Completes PostgreSQL's startup (no password asked, ready for query), then never
    answers: libpq has no read timeout of its own for this."""

    def _serve(self, client: socket.socket) -> None:
        try:
            length = int.from_bytes(_recv(client, 4), "big")
            body = _recv(client, length - 4)
            if body[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest: no SSL here
                client.sendall(b"N")
                length = int.from_bytes(_recv(client, 4), "big")
                _recv(client, length - 4)  # the StartupMessage
            elif body[:4] == (80877104).to_bytes(4, "big"):  # GSSENCRequest
                client.sendall(b"N")
                length = int.from_bytes(_recv(client, 4), "big")
                _recv(client, length - 4)
            reply = b"R" + struct.pack(">II", 8, 0)  # AuthenticationOk
            for name, value in (
                (b"server_version", b"16.0"),
                (b"client_encoding", b"UTF8"),
                (b"server_encoding", b"UTF8"),
                (b"integer_datetimes", b"on"),
                (b"standard_conforming_strings", b"on"),
                (b"DateStyle", b"ISO, MDY"),
            ):
                payload = name + b"\x00" + value + b"\x00"
                reply += b"S" + struct.pack(">I", len(payload) + 4) + payload
            reply += b"K" + struct.pack(">III", 12, 1, 2) + b"Z" + struct.pack(">I", 5) + b"I"
            client.sendall(reply)
            while client.recv(65536):  # queries arrive; nothing is ever answered
                pass
        except (ConnectionError, OSError):
            return
