"""Writing HTTP exchanges to rotating, per-record-gzipped WARC/1.1 files."""

import io
import os
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tearsheet.archive.capture import Capture
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import capture_from_record

DEFAULT_MAX_FILE_SIZE = 1_000_000_000  # the customary 1 GB WARC file


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
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.info = info
        self.prefix = prefix
        self.max_file_size = max_file_size
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._serial = 0
        self._lock = threading.Lock()
        self._builder = WARCWriter(None, gzip=True, warc_version="1.1")

    @property
    def current_path(self) -> Path | None:
        return self._path

    def write_exchange(
        self,
        url: str,
        request: HttpRequest,
        response: HttpResponse,
        ip_address: str | None = None,
        fetched_at: datetime | None = None,
    ) -> Capture:
        """Write a response record and its request record; return the Capture."""
        when = _warc_date(fetched_at or datetime.now(UTC))
        extra = {"WARC-IP-Address": ip_address} if ip_address else {}
        response_record = self._builder.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(response.body),
            length=len(response.body),
            warc_headers_dict={"WARC-Date": when, **extra},
            http_headers=StatusAndHeaders(
                f"{response.status} {response.reason}".rstrip(),
                list(response.headers),
                protocol=response.protocol,
            ),
        )
        response_id = response_record.rec_headers.get_header("WARC-Record-ID")
        request_record = self._builder.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(request.body),
            length=len(request.body),
            warc_headers_dict={"WARC-Date": when, "WARC-Concurrent-To": response_id, **extra},
            http_headers=StatusAndHeaders(
                f"{request.method} {request.target} {request.protocol}",
                list(request.headers),
                is_http_request=True,
            ),
        )
        response_bytes = self._serialize(response_record)
        request_bytes = self._serialize(request_record)
        with self._lock:
            stream, path = self._ensure_file()
            offset = stream.tell()
            stream.write(response_bytes)
            stream.write(request_bytes)
            stream.flush()
        record = next(iter(ArchiveIterator(io.BytesIO(response_bytes))))
        return capture_from_record(record, path.name, offset, len(response_bytes))

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __enter__(self) -> "WarcFileWriter":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _serialize(record: ArcWarcRecord) -> bytes:
        buffer = io.BytesIO()
        WARCWriter(buffer, gzip=True, warc_version="1.1").write_record(record)
        return buffer.getvalue()

    def _ensure_file(self) -> tuple[io.BufferedWriter, Path]:
        if self._file is not None and self._file.tell() >= self.max_file_size:
            self._file.close()
            self._file = None
        if self._file is None or self._path is None:
            self._path = self._next_path()
            self._file = self._path.open("xb")
            self._file.write(self._serialize(self._warcinfo(self._path.name)))
        return self._file, self._path

    def _next_path(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        while True:
            self._serial += 1
            name = f"{self.prefix}-{stamp}-{self._serial:05d}-{socket.gethostname()}-{os.getpid()}"
            path = self.directory / f"{name}.warc.gz"
            if not path.exists():
                return path

    def _warcinfo(self, filename: str) -> ArcWarcRecord:
        return self._builder.create_warcinfo_record(filename, self.info)


def _warc_date(moment: datetime) -> str:
    """WARC/1.1 dates carry microseconds (ISO 8601, UTC, 'Z')."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
