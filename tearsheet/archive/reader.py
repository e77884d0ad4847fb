"""Reading WARC files back into Captures, record by record, streaming."""

import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from tearsheet.archive.capture import Capture

log = logging.getLogger(__name__)


class NotAWarcError(ValueError):
    """Raised when a file given as a WARC cannot be read as one."""


@dataclass
class ReadProblem:
    """A record or file that could not be read; reported, never fatal."""

    warc_file: str
    offset: int | None
    message: str


def capture_from_record(record: ArcWarcRecord, warc_file: str, offset: int, length: int) -> Capture:
    """Build a Capture from a warcio response record positioned at its start."""
    status_line = record.http_headers.get_statuscode() if record.http_headers else "0"
    try:
        status = int(status_line)
    except ValueError:
        status = 0
    headers = tuple(record.http_headers.headers) if record.http_headers else ()
    body = record.content_stream().read()
    return Capture(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        status=status,
        headers=headers,
        body=body,
        fetched_at=record.rec_headers.get_header("WARC-Date") or "",
        warc_file=warc_file,
        warc_offset=offset,
        warc_length=length,
        warc_record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
        payload_digest=record.rec_headers.get_header("WARC-Payload-Digest"),
    )


def iter_captures(
    stream: BinaryIO, warc_file: str, problems: list[ReadProblem] | None = None
) -> Iterator[Capture]:
    """Yield a Capture for each HTTP response record in an open WARC stream.

    A broken record ends the reading of that file: what came before it is
    still yielded, and the problem is appended to ``problems``.
    """
    if stream.seekable():
        start = stream.tell()
        head = stream.read(4096)
        stream.seek(start)
        if not opens_an_archive(head):
            raise NotAWarcError(f"{warc_file}: not a WARC or ARC file")
    iterator = ArchiveIterator(stream, arc2warc=True)
    next_offset = 0
    try:
        for record in iterator:
            if not _is_http_response(record):
                iterator.read_to_end(record)
                next_offset = iterator.get_record_offset() + iterator.get_record_length()
                continue
            # The body must be read before asking the iterator for the
            # record's offset: asking reads the record to its end.
            capture = capture_from_record(record, warc_file, 0, 0)
            iterator.read_to_end(record)
            offset, length = iterator.get_record_offset(), iterator.get_record_length()
            next_offset = offset + length
            yield replace(capture, warc_offset=offset, warc_length=length)
    except ArchiveLoadFailed as exc:
        message = f"{warc_file}: not a readable WARC record at offset {next_offset}: {exc}"
        if next_offset == 0:
            raise NotAWarcError(message) from exc
        _report(problems, ReadProblem(warc_file, next_offset, message))
    except (OSError, EOFError, ValueError) as exc:
        message = f"{warc_file}: truncated or corrupt data after offset {next_offset}: {exc}"
        _report(problems, ReadProblem(warc_file, next_offset, message))


def opens_an_archive(head: bytes) -> bool:
    """A WARC starts with 'WARC/', an ARC with its 'filedesc://' record, gzipped or not.

    warcio reads any five-word line as an ARC header, so this check is ours.
    """
    if head.startswith(b"\x1f\x8b"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 16)
        except zlib.error:
            return False
    return head.startswith((b"WARC/", b"filedesc://"))


def _is_http_response(record: ArcWarcRecord) -> bool:
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return (
        record.rec_type == "response"
        and record.http_headers is not None
        and uri.lower().startswith(("http:", "https:"))
    )


def _report(problems: list[ReadProblem] | None, problem: ReadProblem) -> None:
    log.warning(problem.message)
    if problems is not None:
        problems.append(problem)


def read_captures(path: Path, problems: list[ReadProblem] | None = None) -> Iterator[Capture]:
    """Yield the Captures of one WARC file on disk, named by its file name."""
    with path.open("rb") as stream:
        yield from iter_captures(stream, path.name, problems)
