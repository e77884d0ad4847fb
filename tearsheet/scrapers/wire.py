"""Recording the bytes that cross the wire, below Scrapy's HTTP parsing.

Scrapy rebuilds headers (title-cased, connection headers dropped) and
decodes chunked bodies before any middleware sees a response. Archives need
the exchange as sent, so this download handler taps the HTTP/1.1 client
protocol itself: what it writes to its transport (the request) and what it
receives (the response), above TLS, so HTTPS is recorded in plaintext.
"""

import functools
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Response

WIRE_META_KEY = "tearsheet_wire"


@dataclass
class WireRecording:
    """The raw bytes of one HTTP exchange on one connection."""

    request: bytearray = field(default_factory=bytearray)
    response: bytearray = field(default_factory=bytearray)


RecordingKey = tuple[bytes, bytes]  # (method, absolute URI without fragment)


class _Recordings:
    """Recordings waiting for their download to finish, by method and URI."""

    def __init__(self) -> None:
        self._pending: dict[RecordingKey, deque[WireRecording]] = defaultdict(deque)

    def start(self, key: RecordingKey) -> WireRecording:
        recording = WireRecording()
        self._pending[key].append(recording)
        return recording

    def take(self, key: RecordingKey) -> WireRecording | None:
        """The finished exchange's bytes, moved out of the recording its connection holds.

        A kept-alive connection refers to its last recording until its next
        request, and the pool keeps idle connections to every site: with the
        bytes left there, a crawl of many sites held a page per connection.
        """
        queue = self._pending.get(key)
        if not queue:
            return None
        recording = queue.popleft()
        if not queue:
            del self._pending[key]
        taken = WireRecording(recording.request, recording.response)
        recording.request, recording.response = bytearray(), bytearray()
        return taken


class _RecordingTransport:
    """Forwards everything to the real transport, copying what is written."""

    def __init__(self, transport: Any, protocol: "_RecordingMixin") -> None:
        self._transport = transport
        self._protocol = protocol

    def write(self, data: bytes) -> None:
        self._protocol._record_sent(data)
        self._transport.write(data)

    def writeSequence(self, data: list[bytes]) -> None:  # noqa: N802 (Twisted's name)
        for chunk in data:
            self._protocol._record_sent(chunk)
        self._transport.writeSequence(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class _RecordingMixin:
    """Mixed into whatever client protocol class Scrapy's pool builds."""

    _recordings: _Recordings
    _recording: WireRecording | None = None

    def connectionMade(self) -> None:  # noqa: N802
        super().connectionMade()  # type: ignore[misc]
        self.transport = _RecordingTransport(self.transport, self)  # type: ignore[has-type]

    def request(self, request: Any) -> Any:
        key = (request.method, request.absoluteURI or b"")
        self._recording = self._recordings.start(key)
        return super().request(request)  # type: ignore[misc]

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self._recording is not None:
            self._recording.response += data
        super().dataReceived(data)  # type: ignore[misc]

    def _record_sent(self, data: bytes) -> None:
        if self._recording is not None:
            self._recording.request += data


@functools.cache
def _recording_class(protocol_class: type) -> type:
    return type(f"Recording{protocol_class.__name__}", (_RecordingMixin, protocol_class), {})


class RecordingHTTP11DownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, with each exchange's wire bytes in ``request.meta``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._recordings = _Recordings()
        base_factory = self._pool._factory
        recordings = self._recordings

        class RecordingFactory(base_factory):  # type: ignore[valid-type,misc]
            def buildProtocol(self, addr: Any) -> Any:  # noqa: N802
                protocol = super().buildProtocol(addr)
                protocol.__class__ = _recording_class(type(protocol))
                protocol._recordings = recordings
                return protocol

        self._pool._factory = RecordingFactory

    async def download_request(self, request: Request) -> Response:
        key = (request.method.encode("ascii"), urldefrag(request.url)[0].encode("ascii"))
        try:
            return await super().download_request(request)
        finally:  # a failed download's bytes too: the capture middleware keeps them, truncated
            recording = self._recordings.take(key)
            if recording is not None:
                request.meta[WIRE_META_KEY] = recording
