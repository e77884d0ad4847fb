"""A loopback HTTP server that answers from a raw socket with fixed bytes.

It shows what a crawler archives against what really crossed the wire: the
bytes it sends are fixed per path, and the bytes it receives are kept.
"""

import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RawServer:
    url: str
    received: dict[str, list[bytes]] = field(default_factory=dict)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


def _serve_connection(conn: socket.socket, routes: dict[str, bytes], server: RawServer) -> None:
    with conn:
        while True:
            try:
                request = _read_request(conn)
            except (OSError, ssl.SSLError):
                return
            if not request:
                return
            path = request.split(b" ", 2)[1].decode("ascii")
            server.received.setdefault(path, []).append(request)
            conn.sendall(routes.get(path, routes["__default__"]))
            if b"connection: close" in routes.get(path, b"").lower():
                return


@contextmanager
def raw_server(routes: dict[str, bytes], tls: ssl.SSLContext | None = None) -> Iterator[RawServer]:
    """Serve ``routes`` (path → exact response bytes) on 127.0.0.1, over TLS if given."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    server = RawServer(f"{'https' if tls else 'http'}://127.0.0.1:{port}")
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            if tls is not None:
                try:
                    conn = tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):
                    conn.close()
                    continue
            threading.Thread(
                target=_serve_connection, args=(conn, routes, server), daemon=True
            ).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=5)
