"""Reading WARC files back into Captures, record by record, streaming."""

import io
import logging
import os
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from tearsheet.archive.capture import Capture

log = logging.getLogger(__name__)

# A body is decoded up to this many bytes: a small gzip bomb must not fill memory.
# Extraction refuses bodies over 10 MiB anyway; the record itself is never cut.
MAX_DECODED_BODY = 16 * 1024 * 1024
GZIP_MEMBER = b"\x1f\x8b\x08"  # a gzip member's first bytes (magic, deflate)
SCAN_BYTES = 1024 * 1024  # read at a time when looking for a record's gzip member
PEEK_BYTES = 4096  # compressed bytes enough to show a member's first decompressed bytes
# A WARC-Type is a token (ISO 28500, known or future types): printable ASCII, no separators.
RECORD_TYPE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class NotAWarcError(ValueError):
    """Raised when a file given as a WARC cannot be read as one."""


@dataclass
class ReadProblem:
    """A record or file that could not be read; reported, never fatal."""

    warc_file: str
    offset: int | None
    message: str


def capture_from_record(
    record: ArcWarcRecord,
    warc_file: str,
    offset: int,
    length: int,
    entity: bytes | None = None,
) -> Capture:
    """Build a Capture from a warcio response or revisit record at its start.

    A revisit record holds no payload: ``entity`` is its original's payload
    (transfer coding removed), or None when the original is not at hand.
    """
    headers = record.http_headers
    try:
        status = int(headers.get_statuscode()) if headers else 0
    except ValueError:
        status = 0
    header_pairs = tuple(headers.headers) if headers else ()
    is_revisit = record.rec_type == "revisit"
    if is_revisit:
        encoding = headers.get_header("Content-Encoding") if headers else None
        body = decode_content(entity, encoding) if entity is not None else b""
    else:
        body = record.content_stream().read(MAX_DECODED_BODY + 1)
    fields = record.rec_headers
    return Capture(
        url=fields.get_header("WARC-Target-URI") or "",
        status=status,
        headers=header_pairs,
        body=body,
        fetched_at=fields.get_header("WARC-Date") or "",
        warc_file=warc_file,
        warc_offset=offset,
        warc_length=length,
        warc_record_id=fields.get_header("WARC-Record-ID") or "",
        payload_digest=fields.get_header("WARC-Payload-Digest"),
        record_type=record.rec_type,
        refers_to=fields.get_header("WARC-Refers-To") if is_revisit else None,
        truncated=fields.get_header("WARC-Truncated"),
    )


def decode_content(entity: bytes, encoding: str | None) -> bytes:
    """Undo a Content-Encoding as warcio's content_stream does; keep bytes it can't."""
    coding = (encoding or "").strip().lower()
    if coding not in ("gzip", "x-gzip", "deflate", "br"):
        return entity
    reader = DecompressingBufferedReader(
        io.BytesIO(entity), decomp_type="gzip" if coding == "x-gzip" else coding
    )
    try:
        return reader.read(MAX_DECODED_BODY + 1)
    except Exception:  # a body that lies about its coding is kept as sent
        return entity


@contextmanager
def archive_iterator(stream: BinaryIO, arc2warc: bool = False) -> Iterator[ArchiveIterator]:
    """warcio's ArchiveIterator over ``stream``, closed on leaving (``_end_iterator``).

    An ArchiveIterator refers to itself through its generator, so one that is
    merely dropped stays in a reference cycle with its stream and the bytes
    it read until a slow pass of the garbage collector: a crawl that reads
    each record back as it writes it held up to 38 MiB of records so.
    Ending the generator breaks the cycle and lets them go at once.
    """
    iterator = ArchiveIterator(stream, arc2warc=arc2warc)
    try:
        yield iterator
    finally:
        _end_iterator(iterator)


def _end_iterator(iterator: ArchiveIterator) -> None:
    """Close an ArchiveIterator and end its generator, which breaks its reference cycle."""
    iterator.close()
    iterator.the_iter.close()


class PayloadIndex:
    """Where each payload digest was first archived, to resolve revisit records.

    Files are read in time order, so an original precedes its revisits.
    """

    def __init__(self) -> None:
        self._where: dict[str, tuple[Path, int]] = {}

    def remember(self, digest: str | None, path: Path, offset: int) -> None:
        if digest:
            self._where.setdefault(digest, (path, offset))

    def entity(self, digest: str | None) -> bytes | None:
        """The original's payload with any transfer coding removed, if known."""
        if not digest or digest not in self._where:
            return None
        path, offset = self._where[digest]
        with path.open("rb") as stream:
            stream.seek(offset)
            with archive_iterator(stream) as iterator:
                record = next(iter(iterator))
                raw = record.raw_stream.read()
        if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
            return ChunkedDataReader(io.BytesIO(raw)).read()
        return raw


def iter_captures(
    stream: BinaryIO,
    warc_file: str,
    problems: list[ReadProblem] | None = None,
    payloads: PayloadIndex | None = None,
    path: Path | None = None,
    passed_over: Counter[str] | None = None,
    end: int | None = None,
) -> Iterator[Capture]:
    """Yield a Capture for each HTTP response or revisit record in an open WARC stream.

    Reading starts at the stream's position, a record's start, and stops
    before the record at offset ``end`` (None: at the end of the file).
    Other records (requests, warcinfo, metadata, dns, screenshots and other
    resources) are counted by type in ``passed_over``.

    A broken record ends the reading of that file: what came before it is
    still yielded, and the problem is appended to ``problems``. With
    ``payloads`` (and the file's ``path``), revisits are resolved to the
    payload of their original.
    """
    start = stream.tell() if stream.seekable() else 0
    if stream.seekable():
        head = stream.read(4096)
        stream.seek(start)
        if not opens_an_archive(head):
            raise NotAWarcError(f"{warc_file}: not a WARC or ARC file")
    iterator = ArchiveIterator(stream, arc2warc=True)
    next_offset = start
    try:
        for record in iterator:
            # warcio's offset is the start of the record just parsed, body unread.
            if end is not None and iterator.offset >= end:
                break
            check_record_type(record)
            if not _is_http_capture(record):
                if passed_over is not None:
                    passed_over[_kind(record)] += 1
                iterator.read_to_end(record)
                next_offset = iterator.get_record_offset() + iterator.get_record_length()
                continue
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            entity = payloads.entity(digest) if payloads and record.rec_type == "revisit" else None
            # The body must be read before asking the iterator for the
            # record's offset: asking reads the record to its end.
            capture = capture_from_record(record, warc_file, 0, 0, entity)
            iterator.read_to_end(record)
            offset, length = iterator.get_record_offset(), iterator.get_record_length()
            next_offset = offset + length
            if payloads is not None and path is not None and record.rec_type == "response":
                payloads.remember(digest, path, offset)
            yield replace(capture, warc_offset=offset, warc_length=length)
        if end is None and stream.seekable() and _leftover(stream, next_offset):
            # warcio ends quietly at a record cut off inside its gzip member.
            size = os.fstat(stream.fileno()).st_size
            message = (
                f"{warc_file}: {size - next_offset} bytes from offset {next_offset} to the end"
                " are a truncated or unreadable record; the whole records before it were read"
            )
            _report(problems, ReadProblem(warc_file, next_offset, message))
    except ArchiveLoadFailed as exc:
        if "non-chunked gzip" in str(exc):
            message = (
                f"{warc_file}: one gzip stream, not one gzip member per record, so records"
                " cannot be addressed by offset; `warcio recompress` rewrites it"
            )
            next_offset = 0
        else:
            reason = " ".join(str(exc).split())
            message = f"{warc_file}: not a readable WARC record at offset {next_offset}: {reason}"
        if next_offset == 0:
            raise NotAWarcError(message) from exc
        _report(problems, ReadProblem(warc_file, next_offset, message))
    except Exception as exc:  # warcio raises almost anything on garbage bytes
        message = (
            f"{warc_file}: corrupt record at offset {next_offset}"
            f" ({type(exc).__name__}: {exc}); the records before it were read"
        )
        _report(problems, ReadProblem(warc_file, next_offset, message))
    finally:
        _end_iterator(iterator)


def opens_an_archive(head: bytes) -> bool:
    """A WARC starts with 'WARC/', an ARC with its 'filedesc://' record, gzipped or not.

    warcio reads any five-word line as an ARC header, so this check is ours.
    """
    return _first_bytes(head).startswith((b"WARC/", b"filedesc://"))


def _first_bytes(head: bytes) -> bytes:
    """The first bytes of a file's records, decompressed if they are gzip."""
    if not head.startswith(b"\x1f\x8b"):
        return head
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
    except zlib.error:
        return b""


def check_record_type(record: ArcWarcRecord) -> None:
    """Refuse a record whose WARC-Type is no token: a damaged gzip member can inflate to garbage.

    warcio checks no gzip CRC, so such a record would otherwise be passed
    over as a record of a strange type and the damage never reported.
    """
    if not RECORD_TYPE.fullmatch(record.rec_type or ""):
        raise ArchiveLoadFailed(f"its WARC-Type {record.rec_type!r} is not a record type")


def _is_http_capture(record: ArcWarcRecord) -> bool:
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return (
        record.rec_type in ("response", "revisit")
        and record.http_headers is not None
        and uri.lower().startswith(("http:", "https:"))
    )


def _leftover(stream: BinaryIO, end: int) -> bool:
    """Whether bytes other than record-separating blank lines follow ``end``."""
    stream.seek(end)
    while chunk := stream.read(65536):
        if chunk.strip(b"\r\n"):
            return True
    return False


def _kind(record: ArcWarcRecord) -> str:
    """A record's type, with the URI scheme when it says more (``resource:dns``)."""
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme and scheme not in ("http", "https"):
        return f"{record.rec_type}:{scheme}"
    return record.rec_type


def _report(problems: list[ReadProblem] | None, problem: ReadProblem) -> None:
    log.warning(problem.message)
    if problems is not None:
        problems.append(problem)


def read_captures(
    path: Path,
    problems: list[ReadProblem] | None = None,
    payloads: PayloadIndex | None = None,
    passed_over: Counter[str] | None = None,
    start: int = 0,
    end: int | None = None,
) -> Iterator[Capture]:
    """Yield the Captures of one WARC file on disk, named by its file name.

    ``start`` and ``end`` read a run of its records only: see ``capture_places``.
    """
    with path.open("rb") as stream:
        stream.seek(start)
        yield from iter_captures(stream, path.name, problems, payloads, path, passed_over, end)


def capture_places(path: Path) -> list[tuple[int, str | None]]:
    """Where each HTTP capture of a WARC file starts, with the payload digest of each response.

    A reading may start at any of these offsets (``read_captures``), so
    they cut a file into runs of records that processes read on their own;
    the digests tell where a revisit finds its original. Only record headers
    are parsed (bodies are skipped, a gzip file still decompressed), so this
    costs little beside extraction. It stops quietly at a record it cannot
    read (reading the file reports it), and finds no place in an ARC file:
    its records cannot be read from their offsets alone.
    """
    return places_between(path)[0]


def places_between(
    path: Path, start: int = 0, end: int | None = None
) -> tuple[list[tuple[int, str | None]], int | None]:
    """``capture_places`` of the records from offset ``start`` (a record's start) up to ``end``.

    Also returns where the reading stopped: the offset of the first record
    at or past ``end``, or None when the file ended or broke off before it.
    """
    places: list[tuple[int, str | None]] = []
    try:
        with path.open("rb") as stream:
            if not _first_bytes(stream.read(4096)).startswith(b"WARC/"):
                return [], None
            stream.seek(start)
            with archive_iterator(stream, arc2warc=True) as iterator:
                for record in iterator:
                    if end is not None and iterator.offset >= end:
                        return places, iterator.offset
                    check_record_type(record)
                    if _is_http_capture(record):
                        digest = record.rec_headers.get_header("WARC-Payload-Digest")
                        kind = record.rec_type
                        places.append((iterator.offset, digest if kind == "response" else None))
                    iterator.read_to_end(record)
    except Exception:  # warcio raises almost anything on garbage bytes
        pass
    return places, None


def record_start_after(path: Path, offset: int, end: int | None = None) -> int | None:
    """The first offset from ``offset`` to ``end`` where a gzip member opening a WARC record starts.

    Each record of a gzip WARC file is a gzip member of its own, so a file
    can be cut there and its parts read side by side. Found by the gzip
    header and the record's first bytes, so it is a guess: a WARC file
    archived uncompressed inside a record looks the same, and the reading
    of the part before the cut tells (``places_between``). None when there
    is none: a file that is not gzip, or one gzip stream for all records.
    """
    with path.open("rb") as stream:
        if stream.read(len(GZIP_MEMBER)) != GZIP_MEMBER:
            return None  # an uncompressed file is not scanned through for nothing
        position = offset
        while end is None or position < end:
            stream.seek(position)
            data = stream.read(SCAN_BYTES + PEEK_BYTES)
            found = data.find(GZIP_MEMBER)
            while found != -1 and found < SCAN_BYTES:
                if end is not None and position + found >= end:
                    return None
                if _first_bytes(data[found : found + PEEK_BYTES]).startswith(b"WARC/"):
                    return position + found
                found = data.find(GZIP_MEMBER, found + 1)
            if len(data) <= SCAN_BYTES:
                return None
            position += SCAN_BYTES
    return None
