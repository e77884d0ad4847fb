"""Checking WARC files record by record: structure and both digests.

warcio's iterator stops quietly at a cut-off gzip member, so this module
walks the members itself; the crawl's writer uses the same walk to find a
record left half-written by a crash.
"""

import base64
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.bufferedreaders import ChunkedDataReader

from tearsheet.archive.files import warc_files

READ_SIZE = 1 << 20
REQUIRED_FIELDS = ("WARC-Type", "WARC-Record-ID", "WARC-Date", "Content-Length")


@dataclass
class Problem:
    """Something wrong with one record (or the file), where it is."""

    warc_file: str
    offset: int
    record_id: str | None
    message: str

    def __str__(self) -> str:
        record = f" {self.record_id}" if self.record_id else ""
        return f"{self.warc_file}:{self.offset}{record}: {self.message}"


@dataclass
class FileReport:
    """What checking one file found; ``whole_end`` is where its last whole record ends."""

    path: Path
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    whole_end: int = 0
    truncated_at: int | None = None


@dataclass
class _Member:
    offset: int
    end: int
    data: bytes
    complete: bool
    plain: bool = False  # an uncompressed file: one section, records end anywhere


def _gzip_members(stream: io.BufferedReader) -> Iterator[_Member]:
    """Decompress a multi-member gzip file member by member, keeping offsets."""
    offset = 0
    pending = b""
    while True:
        if not pending:
            pending = stream.read(READ_SIZE)
            if not pending:
                return
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = []
        consumed = 0
        try:
            while True:
                out.append(decompressor.decompress(pending))
                if decompressor.eof:
                    consumed += len(pending) - len(decompressor.unused_data)
                    pending = decompressor.unused_data
                    break
                consumed += len(pending)
                pending = stream.read(READ_SIZE)
                if not pending:
                    yield _Member(offset, offset + consumed, b"".join(out), complete=False)
                    return
        except zlib.error:
            yield _Member(offset, offset + consumed, b"".join(out), complete=False)
            return
        yield _Member(offset, offset + consumed, b"".join(out), complete=True)
        offset += consumed


def _sections(path: Path) -> Iterator[_Member]:
    """The file as members (gzip) or as one section (uncompressed)."""
    with path.open("rb") as stream:
        if stream.peek(2)[:2] == b"\x1f\x8b":
            yield from _gzip_members(stream)
        else:
            data = stream.read()
            yield _Member(0, len(data), data, complete=True, plain=True)


def _digest_matches(declared: str, content: bytes) -> bool:
    algorithm, _, value = declared.partition(":")
    try:
        digest = hashlib.new(algorithm.lower().replace("-", ""), content).digest()
    except ValueError:
        return False
    encodings = (base64.b32encode(digest).decode(), digest.hex())
    return value.strip().upper() in (e.upper() for e in encodings)


def _payloads(block: bytes) -> tuple[bytes, ...]:
    """An HTTP block's payload: the entity body, and the chunk-framed body if chunked.

    WARC/1.1 digests the entity with transfer coding removed; wget and warcio
    digest the body as framed. Either is accepted.
    """
    head, separator, body = block.partition(b"\r\n\r\n")
    if not separator:
        return (b"",)
    if b"transfer-encoding: chunked" not in head.lower():
        return (body,)
    return ChunkedDataReader(io.BytesIO(body)).read(), body


def _record_id(data: bytes) -> str | None:
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"warc-record-id":
            return value.strip().decode("utf-8", "replace")
    return None


def _check_record(data: bytes, start: int, report: FileReport, offset: int) -> int | None:
    """Check the record at ``data[start:]``; return where the next one starts, or None."""
    name = report.path.name
    head_end = data.find(b"\r\n\r\n", start)
    if head_end == -1:
        report.problems.append(Problem(name, offset, None, "record header is cut off"))
        report.truncated_at = offset
        return None
    lines = data[start:head_end].decode("utf-8", "replace").split("\r\n")
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    record_id = fields.get("WARC-Record-ID")
    if not lines[0].startswith("WARC/"):
        report.problems.append(Problem(name, offset, record_id, f"not a WARC record: {lines[0]!r}"))
        return None
    missing = [f for f in REQUIRED_FIELDS if f not in fields]
    if missing:
        message = f"missing {', '.join(missing)}"
        report.problems.append(Problem(name, offset, record_id, message))
        return None
    length = int(fields["Content-Length"])
    block = data[head_end + 4 : head_end + 4 + length]
    if len(block) < length:
        message = f"truncated: {len(block)} of {length} block bytes present"
        report.problems.append(Problem(name, offset, record_id, message))
        report.truncated_at = offset
        return None
    report.records += 1
    declared = fields.get("WARC-Block-Digest")
    if declared and not _digest_matches(declared, block):
        report.problems.append(Problem(name, offset, record_id, f"block digest {declared} fails"))
    declared = fields.get("WARC-Payload-Digest")
    is_http = fields.get("Content-Type", "").startswith("application/http")
    checkable = declared and is_http and fields["WARC-Type"] != "revisit"
    if checkable and not any(_digest_matches(declared, p) for p in _payloads(block)):
        message = f"payload digest {declared} fails"
        report.problems.append(Problem(name, offset, record_id, message))
    end = head_end + 4 + length
    if data[end : end + 4] != b"\r\n\r\n":
        message = "record not followed by CRLF CRLF (Content-Length wrong?)"
        report.problems.append(Problem(name, offset, record_id, message))
    return end + 4


def verify_file(path: Path) -> FileReport:
    """Check every record of one WARC file."""
    report = FileReport(path)
    for member in _sections(path):
        if not member.complete:
            message = f"truncated record: its gzip member is cut off after {len(member.data)} bytes"
            report.problems.append(
                Problem(path.name, member.offset, _record_id(member.data), message)
            )
            report.truncated_at = member.offset
            return report
        start = 0
        while start < len(member.data) and member.data[start:].strip():
            next_start = _check_record(member.data, start, report, member.offset + start)
            if next_start is None:
                return report
            start = next_start
            if member.plain:
                report.whole_end = member.offset + start
        report.whole_end = member.end
    return report


def verify_paths(paths: list[Path]) -> list[FileReport]:
    """Check every WARC file of the given archive directories and files."""
    return [verify_file(path) for path in warc_files(paths)]


def cut_truncated_tail(path: Path) -> int | None:
    """Drop a record a crash left half-written at the end of one of our files.

    Returns the offset it was cut at, or None when the file ends whole.
    """
    report = verify_file(path)
    if report.truncated_at is None:
        return None
    with path.open("r+b") as stream:
        stream.truncate(report.whole_end)
    return report.truncated_at
