"""The two halves of an HTTP exchange, as handed to the WARC writer."""

from dataclasses import dataclass, field

Headers = list[tuple[str, str]]


@dataclass
class HttpRequest:
    """A request as sent: method, request target, headers in order, body."""

    method: str
    target: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    protocol: str = "HTTP/1.1"


@dataclass
class HttpResponse:
    """A response as received; ``body`` keeps its Content-Encoding."""

    status: int
    reason: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    protocol: str = "HTTP/1.1"
