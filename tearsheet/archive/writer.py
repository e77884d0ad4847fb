"""Writing HTTP exchanges to rotating, per-record-gzipped WARC/1.1 files."""

import base64
import hashlib
import io
import logging
import os
import re
import socket
import threading
import uuid
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from warcio.bufferedreaders import ChunkedDataReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tearsheet.archive.capture import Capture
from tearsheet.archive.exchange import HttpRequest, HttpResponse, parse_head
from tearsheet.archive.reader import archive_iterator, capture_from_record
from tearsheet.archive.verify import cut_truncated_tail

log = logging.getLogger(__name__)

DEFAULT_MAX_FILE_SIZE = 1_000_000_000  # the customary 1 GB WARC file
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")
UNSAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"

GZIP_LEVEL = 6  # zlib's default; each record is its own gzip member


@dataclass(frozen=True)
class Original:
    """The archived response a revisit record refers to."""

    record_id: str
    url: str
    date: str


@dataclass(frozen=True)
class Exchange:
    """A request and its response, and what their records say about them."""

    url: str
    request: HttpRequest
    response: HttpResponse
    ip_address: str | None = None
    fetched_at: datetime | None = None
    truncated: str | None = None
    revisit_of: Original | None = None
    response_id: str = field(default_factory=lambda: new_record_id())

    @cached_property
    def digest(self) -> str:
        """The payload's digest, worked out once: a crawl compares it before writing."""
        return payload_digest(self.response)


@dataclass(frozen=True)
class Prepared:
    """An exchange's records as gzip members, not yet in a file."""

    exchange: Exchange
    warcinfo_id: str
    response: bytes
    request: bytes
    capture: Capture  # its warc_file and warc_offset are set by ``append``


class WarcFileWriter:
    """Appends request/response pairs to WARC files, rotating at a size limit.

    Every file starts with a ``warcinfo`` record describing the crawl. Each
    record is its own gzip member, so readers can seek to any record's offset.
    """

    def __init__(
        self,
        directory: Path,
        info: dict[str, str],
        prefix: str = "tearsheet",
        max_file_size: int = DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        if not SAFE_NAME.fullmatch(prefix):
            raise ValueError(f"a WARC file prefix is letters, digits, '.', '_' or '-': {prefix!r}")
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.info = info
        self.prefix = prefix
        self.max_file_size = max_file_size
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._serial = 0
        self._warcinfo_id = ""
        self._lock = threading.Lock()
        self._builder = WARCWriter(None, gzip=True, warc_version="1.1")
        self._recover_interrupted_file()

    @property
    def current_path(self) -> Path | None:
        return self._path

    def _recover_interrupted_file(self) -> None:
        """Cut a record a crash left half-written at the end of our newest file.

        Only this writer's own files are touched; new records go to a new
        file either way.
        """
        # The time stamp after the prefix keeps another prefix that starts
        # with ours (worker "a" and worker "a-2") out of the match.
        ours = sorted(self.directory.glob(f"{self.prefix}-{'[0-9]' * 17}-*.warc.gz"))
        if not ours:
            return
        cut_at = cut_truncated_tail(ours[-1])
        if cut_at is not None:
            log.warning(
                "%s: removed a record cut off at offset %d by an interrupted crawl;"
                " the whole records before it are kept",
                ours[-1].name,
                cut_at,
            )

    def write_exchange(
        self,
        url: str,
        request: HttpRequest,
        response: HttpResponse,
        ip_address: str | None = None,
        fetched_at: datetime | None = None,
        truncated: str | None = None,
        revisit_of: Original | None = None,
    ) -> Capture:
        """Write a response (or revisit) record and its request record; return the Capture.

        ``truncated`` is the WARC-Truncated reason (``length``, ``time``,
        ``disconnect``) when the response was not received whole.
        ``revisit_of`` names an archived response with the same payload: the
        record then keeps only the HTTP head and refers to that original.
        """
        exchange = Exchange(url, request, response, ip_address, fetched_at, truncated, revisit_of)
        return self.append(self.prepare(exchange))

    def prepare(self, exchange: "Exchange") -> "Prepared":
        """The exchange's records serialised and compressed: the CPU work, in any thread.

        They name the current file's warcinfo record; ``append`` prepares
        them again in the rare case the file changed in between.
        """
        when = warc_date(exchange.fetched_at or datetime.now(UTC))
        warcinfo_id = self._warcinfo_id
        url, response = exchange.url, exchange.response
        common = {"WARC-Date": when, "WARC-Target-URI": url, "WARC-Warcinfo-ID": warcinfo_id}
        if exchange.ip_address:
            common["WARC-IP-Address"] = exchange.ip_address
        response_record = self._response_record(
            url,
            response,
            {
                **common,
                "WARC-Record-ID": exchange.response_id,
                "WARC-Payload-Digest": exchange.digest,
            },
            exchange.truncated,
            exchange.revisit_of,
        )
        request_record = self._builder.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(exchange.request.body),
            length=len(exchange.request.body),
            warc_headers_dict=_ordered(
                "request",
                {**common, "WARC-Concurrent-To": record_id(response_record)},
            ),
            http_headers=request_head(exchange.request),
        )
        response_raw = _record_bytes(response_record)
        response_bytes = _gzip_member(response_raw)
        # read back from the record's bytes before compression: what the file holds, unzipped
        with archive_iterator(io.BytesIO(response_raw)) as iterator:
            record = next(iter(iterator))
            entity = entity_body(response) if exchange.revisit_of is not None else None
            capture = capture_from_record(record, "", 0, len(response_bytes), entity)
        request_bytes = _gzip_member(_record_bytes(request_record))
        return Prepared(exchange, warcinfo_id, response_bytes, request_bytes, capture)

    def append(self, prepared: "Prepared") -> Capture:
        """Write prepared records at the end of the current file; their Capture. Thread-safe."""
        with self._lock:
            stream, path, warcinfo_id = self._ensure_file()
            if prepared.warcinfo_id != warcinfo_id:  # a new file began: name its warcinfo
                prepared = self.prepare(prepared.exchange)
            offset = stream.tell()
            stream.write(prepared.response)
            stream.write(prepared.request)
            stream.flush()
        return replace(prepared.capture, warc_file=path.name, warc_offset=offset)

    def _response_record(
        self,
        url: str,
        response: HttpResponse,
        common: dict[str, str],
        truncated: str | None,
        revisit_of: Original | None,
    ) -> ArcWarcRecord:
        fields = dict(common)
        if truncated:
            fields["WARC-Truncated"] = truncated
        if revisit_of is None:
            kind, body = "response", response.body
        else:
            kind, body = "revisit", b""
            fields.update(
                {
                    "WARC-Profile": REVISIT_PROFILE,
                    "WARC-Refers-To": revisit_of.record_id,
                    "WARC-Refers-To-Target-URI": revisit_of.url,
                    "WARC-Refers-To-Date": revisit_of.date,
                }
            )
        return self._builder.create_warc_record(
            url,
            kind,
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict=_ordered(kind, fields),
            http_headers=response_head(response),
        )

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> "WarcFileWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ensure_file(self) -> tuple[io.BufferedWriter, Path, str]:
        if self._file is not None and self._file.tell() >= self.max_file_size:
            self._file.close()
            self._file = None
        if self._file is None or self._path is None:
            self._path = self._next_path()
            self._file = self._path.open("xb")
            warcinfo = self._warcinfo(self._path.name)
            self._warcinfo_id = record_id(warcinfo)
            self._file.write(_gzip_member(_record_bytes(warcinfo)))
        return self._file, self._path, self._warcinfo_id

    def _next_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        while True:
            self._serial += 1
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{_host_name()}-{os.getpid()}"
            path = self.directory / f"{name}.warc.gz"
            if not path.exists():
                return path

    def _warcinfo(self, filename: str) -> ArcWarcRecord:
        return self._builder.create_warcinfo_record(filename, self.info)


class VerbatimHead(StatusAndHeaders):
    """An HTTP head that serialises to the bytes that crossed the wire.

    warcio would otherwise rebuild the head from its parsed fields, losing
    odd spacing, header case in continuation lines and non-ASCII bytes.
    """

    def __init__(self, parsed: StatusAndHeaders, raw: bytes) -> None:
        super().__init__(parsed.statusline, parsed.headers, parsed.protocol)
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        """Keep the wire bytes."""


def response_head(response: HttpResponse) -> StatusAndHeaders:
    if response.head is not None:
        return VerbatimHead(parse_head(response.head), response.head)
    statusline = f"{response.status} {response.reason}".rstrip()
    return StatusAndHeaders(statusline, list(response.headers), protocol=response.protocol)


def request_head(request: HttpRequest) -> StatusAndHeaders:
    if request.head is not None:
        return VerbatimHead(parse_head(request.head), request.head)
    statusline = f"{request.method} {request.target} {request.protocol}"
    return StatusAndHeaders(statusline, list(request.headers), is_http_request=True)


def entity_body(response: HttpResponse) -> bytes:
    """The body with any chunked transfer coding removed (content coding kept)."""
    if (response.header("Transfer-Encoding") or "").strip().lower() != "chunked":
        return response.body
    return ChunkedDataReader(io.BytesIO(response.body)).read()


def payload_digest(response: HttpResponse) -> str:
    """WARC/1.1 §6.3.2: the payload is the entity body, transfer coding removed.

    Chunk framing depends on how a server buffers, so a digest over it would
    make identical payloads look different and defeat deduplication.
    """
    digest = hashlib.sha1(entity_body(response)).digest()
    return "sha1:" + base64.b32encode(digest).decode("ascii")


def record_id(record: ArcWarcRecord) -> str:
    return record.rec_headers.get_header("WARC-Record-ID")


def new_record_id() -> str:
    """A fresh WARC-Record-ID."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 dates carry microseconds (ISO 8601, UTC, 'Z')."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _ordered(kind: str, fields: dict[str, str]) -> dict[str, str]:
    """WARC-Type, -Record-ID and -Date first, as archive tools write them."""
    return {
        "WARC-Type": kind,
        "WARC-Record-ID": fields.get("WARC-Record-ID") or new_record_id(),
        "WARC-Date": fields["WARC-Date"],
        **fields,
    }


def _host_name() -> str:
    """The machine's name as a file-name part: a host name may hold '/' or worse."""
    return UNSAFE_CHARACTERS.sub("-", socket.gethostname()).strip(".") or "host"


def _record_bytes(record: ArcWarcRecord) -> bytes:
    """The record as written to an uncompressed WARC file."""
    buffer = io.BytesIO()
    WARCWriter(buffer, gzip=False, warc_version="1.1").write_record(record)
    return buffer.getvalue()


def _gzip_member(data: bytes) -> bytes:
    """One gzip member, at zlib's default level.

    warcio compresses at level 9; level 6 (what wget's and Heritrix's
    writers use) makes files under 1 % larger for two thirds the CPU.
    """
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return compressor.compress(data) + compressor.flush()
