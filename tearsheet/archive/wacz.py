"""Packaging an archive directory as a WACZ 1.1.1 file, for ReplayWeb.page and pywb.

A WACZ is a ZIP holding the WARCs (stored uncompressed in the ZIP, so a
reader can seek to a record), their CDXJ index, a page list and a
``datapackage.json`` manifest with a SHA-256 digest of every file. The page
list is built from the corpus: one entry per article, with its text, so
ReplayWeb.page can search the archive's articles by their words.
"""

import hashlib
import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tearsheet import __version__
from tearsheet.archive.atomic import written_whole
from tearsheet.archive.cdxj import IndexReport, index_warcs
from tearsheet.archive.reader import ReadProblem

WACZ_VERSION = "1.1.1"
CORPUS_NAME = "corpus.db"
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages", "hasText": True}
COPY_CHUNK = 1 << 20


class NoCorpusError(ValueError):
    """The archive has no corpus whose articles could be listed as pages."""


@dataclass(frozen=True)
class Page:
    """An article as a WACZ page: its capture's URL and time, its title and text."""

    id: str
    url: str
    ts: str
    title: str | None
    text: str | None
    warc_file: str
    warc_offset: int

    def as_json(self) -> str:
        entry = {
            "id": self.id,
            "url": self.url,
            "ts": self.ts,
            "title": self.title,
            "text": self.text,
        }
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False)


@dataclass
class WaczReport:
    """What went into a package, and the WARC files or records that could not.

    ``cut`` maps each broken WARC to the bytes of it packaged: its readable records.
    """

    warcs: list[Path] = field(default_factory=list)
    cut: dict[Path, int] = field(default_factory=dict)
    index_lines: int = 0
    pages: int = 0
    problems: list[ReadProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def write_wacz(archive_dir: Path, out_path: Path, title: str | None = None) -> WaczReport:
    """Package ARCHIVE_DIR's WARCs, their index and its corpus's articles as a WACZ.

    The package is written to a temporary file beside ``out_path`` and
    renamed into place only when complete. A WARC that is broken part-way
    is packaged up to where it stops being readable; a file that is no WARC
    at all is left out. Both are listed in the report's problems.
    """
    corpus = open_corpus(archive_dir / CORPUS_NAME)
    try:
        with (
            written_whole(out_path) as temp,
            tempfile.TemporaryFile() as index,
            zipfile.ZipFile(temp, "w") as package,
        ):
            indexing = _index_into(index, archive_dir)
            return _write_package(package, index, indexing, corpus, title or archive_dir.name)
    finally:
        corpus.close()


def open_corpus(path: Path) -> sqlite3.Connection:
    """Open a corpus read-only, or say how to build one (the pages come from its articles)."""
    how = f"build it with `tearsheet extract {path.parent} -o {path}`"
    if not path.is_file():
        raise NoCorpusError(f"no corpus at {path}: {how}")
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    if not db.execute("select 1 from sqlite_master where name = 'articles'").fetchone():
        db.close()
        raise NoCorpusError(f"no articles in the corpus {path}: {how}")
    return db


def corpus_pages(corpus: sqlite3.Connection) -> Iterator[Page]:
    """The corpus's articles as WACZ pages, oldest capture first.

    A page's URL and time are its capture's (WARC-Target-URI and WARC-Date):
    that is how a replay tool finds it in the index, and an article's own
    URL may be a canonical one that was never fetched.
    """
    rows = corpus.execute(
        "select captures.warc_record_id, captures.url, captures.fetched_at, articles.title,"
        " articles.text, captures.warc_file, captures.warc_offset"
        " from articles join captures on articles.capture = captures.warc_record_id"
        " order by captures.fetched_at, captures.url"
    )
    for record_id, *rest in rows:
        yield Page(_page_id(record_id), *rest)


def _page_id(record_id: str) -> str:
    """The capture's record UUID: stable across runs, unique per capture."""
    return record_id.strip("<>").removeprefix("urn:uuid:")


def _index_into(index: IO[bytes], archive_dir: Path) -> IndexReport:
    text = io.TextIOWrapper(index, encoding="utf-8", newline="\n")
    report = index_warcs([archive_dir], text)
    text.flush()
    text.detach()
    return report


def _write_package(
    package: zipfile.ZipFile,
    index: IO[bytes],
    indexing: IndexReport,
    corpus: sqlite3.Connection,
    title: str,
) -> WaczReport:
    report = WaczReport(index_lines=indexing.lines, problems=indexing.problems)
    resources = _add_warcs(package, indexing, report)
    index_size = index.seek(0, os.SEEK_END)
    index.seek(0)
    replayable = _indexed_records(index)
    index.seek(0)
    resources.append(_add(package, "indexes/index.cdxj", index, index_size))
    with tempfile.TemporaryFile() as pages:
        pages.write(json.dumps(PAGES_HEADER).encode() + b"\n")
        for page in corpus_pages(corpus):
            if (page.warc_file, page.warc_offset) in replayable:
                pages.write(page.as_json().encode() + b"\n")
                report.pages += 1
        pages_size = pages.tell()
        pages.seek(0)
        resources.append(_add(package, "pages/pages.jsonl", pages, pages_size))
    datapackage = json.dumps(_datapackage(resources, title), indent=2).encode()
    _add_bytes(package, "datapackage.json", datapackage)
    digest = {"path": "datapackage.json", "hash": _sha256(datapackage)}
    _add_bytes(package, "datapackage-digest.json", json.dumps(digest, indent=2).encode())
    return report


def _add_warcs(
    package: zipfile.ZipFile, indexing: IndexReport, report: WaczReport
) -> list[dict[str, Any]]:
    """Add each indexed WARC whole, or a broken one up to where it stops being readable.

    Replay tools and validators read every record of a packaged WARC, so the
    package keeps only what the index could read. (A file with no readable
    record at all is not among the indexed files.)
    """
    readable_to = {problem.warc_file: problem.offset for problem in indexing.problems}
    resources = []
    for warc in indexing.files:
        length = readable_to.get(warc.name)
        if length is None:
            length = warc.stat().st_size
        else:
            report.cut[warc] = length
        with warc.open("rb") as source:
            resources.append(_add(package, f"archive/{warc.name}", source, length, stored=True))
        report.warcs.append(warc)
    return resources


def _indexed_records(index: IO[bytes]) -> set[tuple[str, int]]:
    """(WARC file, offset) of every indexed record: only a replayable page is listed."""
    found = set()
    for line in index:
        fields = json.loads(line.split(b" ", 2)[2])
        found.add((fields["filename"], int(fields["offset"])))
    return found


def _datapackage(resources: list[dict[str, Any]], title: str) -> dict[str, Any]:
    return {
        "profile": "data-package",
        "wacz_version": WACZ_VERSION,
        "title": title,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": f"tearsheet {__version__}",
        "resources": resources,
    }


def _add(
    package: zipfile.ZipFile, path: str, source: IO[bytes], length: int, stored: bool = False
) -> dict[str, Any]:
    """Copy ``length`` bytes of ``source`` into the package, hashing them on the way.

    WARCs are already gzipped record by record and must stay seekable, so
    they are stored; the rest is deflated, as the WACZ spec allows.
    """
    info = zipfile.ZipInfo(path, date_time=datetime.now().timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    hasher = hashlib.sha256()
    size = 0
    with package.open(info, "w", force_zip64=length >= zipfile.ZIP64_LIMIT) as target:
        while size < length and (chunk := source.read(min(COPY_CHUNK, length - size))):
            hasher.update(chunk)
            target.write(chunk)
            size += len(chunk)
    name = re.sub(r"[^-a-z0-9._/]", "-", path.rsplit("/", 1)[-1].lower())  # frictionless names
    return {"name": name, "path": path, "hash": f"sha256:{hasher.hexdigest()}", "bytes": size}


def _add_bytes(package: zipfile.ZipFile, path: str, data: bytes) -> dict[str, Any]:
    return _add(package, path, io.BytesIO(data), len(data))


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()
