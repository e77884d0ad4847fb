"""The crawl's to-do list on disk, so a stopped crawl can resume.

Each page the spider schedules is a row: ``queued`` when found,
``archived`` once its final response is in a WARC file (with where), and
``done`` once its links were taken. A worker of a shared crawl
(docs/distributed.md) keeps only the pages it took from the shared queue,
and the links it ``found`` until Redis has them. Rows are written as they change, in WAL
mode, so even a crawl killed with SIGKILL leaves an exact list behind.
``unprocessed`` lists the WARC records whose corpus rows are not written
yet, so that a crawl after a crash processes them first.
"""

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FRONTIER_NAME = "frontier.db"
SCHEMA = """
create table if not exists pages (
    url text primary key,
    depth integer not null,
    kind text not null default 'page',
    state text not null default 'queued',
    warc_file text,
    warc_offset integer
);
create table if not exists meta (key text primary key, value text);
create table if not exists unprocessed (
    warc_file text not null,
    warc_offset integer not null,
    primary key (warc_file, warc_offset)
);
"""


@dataclass
class Page:
    url: str
    depth: int
    kind: str = "page"  # or "sitemap", "feed": a discovery document
    warc_file: str | None = None
    warc_offset: int | None = None


class Frontier:
    """Pages found, archived and done by one crawl of an archive directory."""

    def __init__(self, archive_dir: Path, resume: bool) -> None:
        self.path = Path(archive_dir) / FRONTIER_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=30)
        self.db.execute("pragma journal_mode=wal")
        self.db.execute("pragma synchronous=normal")
        self.db.executescript(SCHEMA)
        if not resume:  # a new crawl (a revisit, say) starts from an empty list
            self.db.execute("delete from pages")

    def add(self, url: str, depth: int, kind: str = "page", state: str = "queued") -> bool:
        """Queue a page (or discovery document); False when this crawl has it already.

        A shared crawl adds a link it found as ``found`` until Redis has it.
        """
        cursor = self.db.execute(
            "insert or ignore into pages (url, depth, kind, state) values (?, ?, ?, ?)",
            [url, depth, kind, state],
        )
        return cursor.rowcount == 1

    def take(self, url: str, depth: int, kind: str = "page") -> None:
        """A shared crawl's page popped from the queue: this worker's to fetch."""
        if not self.add(url, depth, kind):
            self.db.execute(
                "update pages set state = 'queued' where url = ? and state = 'found'", [url]
            )

    def archived(self, url: str, warc_file: str, warc_offset: int) -> None:
        self.db.execute(
            "update pages set state = 'archived', warc_file = ?, warc_offset = ?"
            " where url = ? and state = 'queued'",
            [warc_file, warc_offset, url],
        )

    def release(self, url: str) -> None:
        """A shared crawl's queue holds the page now, or had it: no longer this worker's."""
        self.db.execute("delete from pages where url = ? and state in ('found', 'queued')", [url])

    def reopen_done(self) -> None:
        """Archived pages marked done become ``archived`` again, to take their links anew."""
        self.db.execute(
            "update pages set state = 'archived' where state = 'done' and warc_file is not null"
        )

    def urls(self) -> list[str]:
        """The pages this crawl took, not those it only found."""
        rows = self.db.execute("select url from pages where state != 'found' order by rowid")
        return [row[0] for row in rows]

    def done(self, url: str) -> None:
        self.db.execute("update pages set state = 'done' where url = ?", [url])

    def known(self, url: str) -> bool:
        return self.db.execute("select 1 from pages where url = ?", [url]).fetchone() is not None

    def count(self, kind: str = "page") -> int:
        return self.db.execute("select count(*) from pages where kind = ?", [kind]).fetchone()[0]

    def count_state(self, state: str) -> int:
        return self.db.execute("select count(*) from pages where state = ?", [state]).fetchone()[0]

    def in_state(self, state: str) -> list[Page]:
        rows = self.db.execute(
            "select url, depth, kind, warc_file, warc_offset from pages where state = ?"
            " order by rowid",
            [state],
        )
        return [Page(*row) for row in rows]

    def unprocessed(self) -> list[tuple[str, int]]:
        """Records archived whose rows the corpus may not have: a crash came first."""
        return self.db.execute(
            "select warc_file, warc_offset from unprocessed order by rowid"
        ).fetchall()

    def is_unprocessed(self, warc_file: str, warc_offset: int) -> bool:
        row = self.db.execute(
            "select 1 from unprocessed where warc_file = ? and warc_offset = ?",
            [warc_file, warc_offset],
        ).fetchone()
        return row is not None

    def to_process(self, warc_file: str, warc_offset: int) -> None:
        self.db.execute("insert or ignore into unprocessed values (?, ?)", [warc_file, warc_offset])

    def processed(self, records: list[tuple[str, int]]) -> None:
        if not records:  # most ticks of the crawl: no transaction for nothing
            return
        self.db.execute("begin")
        self.db.executemany(
            "delete from unprocessed where warc_file = ? and warc_offset = ?", records
        )
        self.db.execute("commit")

    def with_records(self) -> list[Page]:
        """Pages whose final response is in a WARC file (archived or done), in order."""
        rows = self.db.execute(
            "select url, depth, kind, warc_file, warc_offset from pages"
            " where warc_file is not null order by rowid"
        )
        return [Page(*row) for row in rows]

    def save_options(self, options: dict[str, Any]) -> None:
        self.db.execute(
            "insert or replace into meta values ('options', ?)", [json.dumps(options, default=str)]
        )

    def close(self) -> None:
        self.db.close()


def saved_options(archive_dir: Path) -> dict[str, Any] | None:
    """The options of the last crawl into ``archive_dir``, or None if it has none."""
    path = Path(archive_dir) / FRONTIER_NAME
    if not path.exists():
        return None
    with sqlite3.connect(str(path)) as db:
        try:
            row = db.execute("select value from meta where key = 'options'").fetchone()
        except sqlite3.OperationalError:
            return None
    return json.loads(row[0]) if row else None
