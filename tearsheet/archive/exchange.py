"""The two halves of an HTTP exchange, as handed to the WARC writer.

An exchange built ``from_wire`` keeps the exact bytes that crossed the
connection; the WARC writer then stores them verbatim. One built from fields
(another crawler's view of the exchange) is serialised by warcio.
"""

from dataclasses import dataclass, field
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

Headers = list[tuple[str, str]]


def split_head(raw: bytes) -> tuple[bytes, bytes]:
    """Split a message into its head (through the blank line) and its body."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = raw.find(separator)
        if end != -1:
            cut = end + len(separator)
            return raw[:cut], raw[cut:]
    return raw, b""


def parse_head(head: bytes) -> StatusAndHeaders:
    return StatusAndHeadersParser([], verify=False).parse(BytesIO(head))


@dataclass
class HttpRequest:
    """A request: method, request target, headers in order, body; ``head`` as sent."""

    method: str
    target: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    protocol: str = "HTTP/1.1"
    head: bytes | None = None

    @classmethod
    def from_wire(cls, raw: bytes) -> "HttpRequest":
        head, body = split_head(raw)
        parsed = parse_head(head)
        target, _, protocol = parsed.statusline.partition(" ")
        return cls(parsed.protocol, target, list(parsed.headers), body, protocol, head)


@dataclass
class HttpResponse:
    """A response: ``body`` as received (content- and transfer-encoded); ``head`` as sent."""

    status: int
    reason: str
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    protocol: str = "HTTP/1.1"
    head: bytes | None = None

    @classmethod
    def from_wire(cls, raw: bytes) -> "HttpResponse":
        head, body = split_head(raw)
        parsed = parse_head(head)
        code, _, reason = parsed.statusline.partition(" ")
        status = int(code) if code.isdigit() else 0
        return cls(status, reason, list(parsed.headers), body, parsed.protocol, head)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)
