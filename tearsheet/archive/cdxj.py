"""CDXJ indexes of WARC files: the lines webrecorder's cdxj-indexer writes, for pywb and WACZ.

The lines come from cdxj-indexer itself, used as a library, so they match
what archivists' tools expect byte for byte. Around it this module adds what
an archive needs: archive directories, the file and offset where a broken
file stops being readable (its readable records are still indexed), and an
index file that is replaced whole or not at all.
"""

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, TextIO

from cdxj_indexer.main import CDXJIndexer, SortingWriter
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from tearsheet.archive.atomic import written_whole
from tearsheet.archive.files import warc_files
from tearsheet.archive.reader import ReadProblem, check_record_type, opens_an_archive

INDEX_PATH = Path("indexes") / "index.cdxj"


class TruncatedRecordError(EOFError):
    """A record whose block ends before its Content-Length: the file was cut short."""


@dataclass
class IndexReport:
    """What an indexing did: files read (wholly or in part), lines written, problems."""

    files: list[Path] = field(default_factory=list)
    lines: int = 0
    problems: list[ReadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def default_index_path(paths: list[Path]) -> Path | None:
    """Where ``tearsheet index`` writes by default: inside a lone archive directory.

    For WARC files (or several directories) there is no natural home, so
    None: standard output.
    """
    if len(paths) == 1 and paths[0].is_dir():
        return paths[0] / INDEX_PATH
    return None


def write_index(paths: Iterable[Path], out: Path | TextIO) -> IndexReport:
    """Index WARC files and archive directories into one sorted CDXJ index.

    ``out`` is a path (written to a temporary file beside it, then renamed
    into place) or an open text stream such as standard output.
    """
    if not isinstance(out, Path):
        return index_warcs(paths, out)
    with written_whole(out) as temp, temp.open("w", encoding="utf-8", newline="\n") as stream:
        return index_warcs(paths, stream)


def index_warcs(paths: Iterable[Path], out: TextIO) -> IndexReport:
    """Write the sorted CDXJ lines of the WARC files in ``paths`` to ``out``.

    Sorting is cdxj-indexer's own (in memory up to its buffer size, then
    merged from temporary files), as is the dropping of duplicate lines.
    """
    report = IndexReport()
    indexer = _Indexer(None, [])
    sorted_lines = SortingWriter(out)
    for path in warc_files(paths):
        for line in _index_file(indexer, path, report):
            sorted_lines.write(line)
            report.lines += 1
    sorted_lines.flush()
    return report


def _index_file(indexer: "_Indexer", path: Path, report: IndexReport) -> list[str]:
    """The lines of one file's readable records; a file with none is not counted as indexed."""
    lines = io.StringIO()
    try:
        with path.open("rb") as stream:
            problem = _index_stream(indexer, stream, path, lines)
    except OSError as exc:
        problem = ReadProblem(path.name, None, f"{path}: cannot read: {exc.strerror or exc}")
    if problem is not None:
        report.problems.append(problem)
        if not problem.offset:
            return []
    report.files.append(path)
    return lines.getvalue().splitlines(keepends=True)


def _index_stream(
    indexer: "_Indexer", stream: BinaryIO, path: Path, lines: TextIO
) -> ReadProblem | None:
    if not opens_an_archive(stream.read(4096)):
        return ReadProblem(path.name, 0, f"{path}: not a WARC or ARC file")
    stream.seek(0)
    try:
        indexer.process_one(stream, lines, str(path))
        _check_read_to_end(stream, indexer.readable_to)
    except TruncatedRecordError as exc:
        offset = exc.args[0]
        message = f"{path}: record at offset {offset} is cut short (the file ends inside it)"
        return ReadProblem(path.name, offset, message)
    except ArchiveLoadFailed as exc:
        if "non-chunked gzip" in str(exc):
            message = (
                f"{path}: one gzip stream, not one gzip member per record, so records"
                " cannot be addressed by offset; `warcio recompress` rewrites it"
            )
            return ReadProblem(path.name, 0, message)
        return _unreadable(path, indexer.readable_to, " ".join(str(exc).split())[:80])
    except Exception:  # warcio raises whatever its parser trips on in broken bytes
        return _unreadable(path, indexer.readable_to, "malformed record")
    return None


def _unreadable(path: Path, offset: int, detail: str) -> ReadProblem:
    return ReadProblem(
        path.name, offset, f"{path}: no readable WARC record at offset {offset}: {detail}"
    )


def _check_read_to_end(stream: BinaryIO, readable_to: int) -> None:
    """warcio ends a file without a word at a record whose headers are cut off."""
    stream.seek(readable_to)
    if stream.read(4096).strip(b"\r\n"):
        raise TruncatedRecordError(readable_to)


class _Indexer(CDXJIndexer):
    """cdxj-indexer with its default fields and records, reading through _CheckedRecords."""

    readable_to = 0

    def _create_record_iter(self, input_: BinaryIO) -> "_CheckedRecords":
        self.readable_to = 0
        return _CheckedRecords(super()._create_record_iter(input_), self)


class _CheckedRecords:
    """warcio's record iterator, noting where the readable part of a file ends.

    warcio takes a record cut short by the end of its file for a whole one;
    asking for a record's extent here raises instead, so no index line points
    at half a record.
    """

    def __init__(self, records: ArchiveIterator, indexer: _Indexer) -> None:
        self._records = records
        self._indexer = indexer

    def __iter__(self) -> Iterator[ArcWarcRecord]:
        for record in self._records:
            check_record_type(record)
            yield record
            self._extent()

    def get_record_offset(self) -> int:
        return self._extent()[0]

    def get_record_length(self) -> int:
        return self._extent()[1]

    def _extent(self) -> tuple[int, int]:
        records = self._records
        offset, length = records.get_record_offset(), records.get_record_length()
        unread = getattr(records.record.raw_stream, "limit", None)  # None: no Content-Length
        if unread is None or unread > 0:
            raise TruncatedRecordError(offset)
        self._indexer.readable_to = records.offset  # the next record's start, past blank lines
        return offset, length
