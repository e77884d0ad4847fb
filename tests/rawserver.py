"""A loopback HTTP server that answers from a raw socket with fixed bytes.

It shows what a crawler archives against what really crossed the wire: the
bytes it sends are fixed per path, and the bytes it receives are kept.
"""

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
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


# A route is the exact bytes to send, or a function that writes to the socket
# as it likes (slowly, endlessly, cut short); the connection closes after it.
Answer = bytes | Callable[[socket.socket], None]


def _serve_connection(conn: socket.socket, routes: dict[str, Answer], server: RawServer) -> None:
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
            answer = routes.get(path, routes["__default__"])
            if callable(answer):
                with contextlib.suppress(OSError):  # the client gave up, as it should
                    answer(conn)
                return
            conn.sendall(answer)
            if b"connection: close" in answer.lower():
                return


@contextmanager
def raw_server(routes: dict[str, Answer], tls: ssl.SSLContext | None = None) -> Iterator[RawServer]:
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
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() at once
        listener.close()
        thread.join(timeout=5)
