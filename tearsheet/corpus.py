"""The corpus database: core tables, runs and errors, written with sqlite-utils.

Plugins add their own tables through the ``prepare_corpus`` hook (the
SQLite exporter adds ``articles``); this module knows only what every corpus
has.
"""

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from traceback import format_exc
from typing import Any

import sqlite_utils

from tearsheet.archive import Capture
from tearsheet.archive.writer import Original

log = logging.getLogger(__name__)

CORPUS_NAME = "corpus.db"
BUSY_TIMEOUT_MS = 30_000  # how long a transaction waits for another process's to end
KEPT_WRITES_BATCH = 64  # writes kept by ``Corpus.keeping_writes`` that commit together


def is_busy(exc: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked": another process writes the corpus; worth a retry."""
    return "locked" in str(exc) or "busy" in str(exc)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Corpus:
    """A corpus database open for writing.

    ``for_merge`` marks a shard that ``tearsheet.merge`` merges before anyone
    reads it (an ``extract --workers`` task's): plugins may leave out what
    the merge works out again, as the stories plugin leaves story placement.
    """

    def __init__(self, path: Path | str, for_merge: bool = False) -> None:
        self.path = Path(path)
        self.for_merge = for_merge
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        self.db = sqlite_utils.Database(connection)
        self.db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL loses no committed row when a process dies, only
        # on power loss; the WARC files keep everything needed to rebuild.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self._in_transaction = False
        self._later: list[tuple[Callable[[], None], str]] = []  # for the next transaction
        self._keeping = False
        create_core_tables(self.db)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: a capture's row never commits without its article.

        ``BEGIN IMMEDIATE`` takes the write lock first, waiting for another
        writer (``tearsheet stories``) if need be: a transaction that read
        before writing would fail at once with "database is locked" when
        someone wrote in between. sqlite-utils' own writes nest inside as
        savepoints, and so does a transaction opened inside this one. Writes
        left open by raw ``conn`` calls before it are committed first.
        """
        if self._in_transaction:
            yield
            return
        self.db.commit()
        self.db.conn.execute("BEGIN IMMEDIATE")
        with self._begun():
            yield

    def write_soon(self, write: Callable[[], None], url: str = "") -> None:
        """Run ``write`` in a transaction now if no other process is writing, else in the next one.

        For writes that may come a little late, like what a crawl's worker
        learned from a page: waiting for the other worker's batch to be
        written took up to a twentieth of its time; inside ``keeping_writes``
        every write is kept, and they commit in batches. Kept writes go in first
        when this corpus's next transaction begins, and stay kept until it
        commits; one that raises then is undone alone and leaves an
        ``errors`` row (stage ``write``, for ``url``), the transaction goes on.
        """
        if self._in_transaction:
            write()
            return
        if self._keeping:
            self._later.append((write, url))
            if len(self._later) >= KEPT_WRITES_BATCH:
                self.write_kept()
            return
        self.db.commit()
        self.db.execute("PRAGMA busy_timeout = 0")
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
            self._later.append((write, url))
            return
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        with self._begun():
            write()

    @contextmanager
    def _begun(self) -> Iterator[None]:
        """The body of a transaction whose ``BEGIN IMMEDIATE`` succeeded, kept writes first."""
        self._in_transaction = True
        later, self._later = self._later, []
        try:
            for write, url in later:
                self._write_kept(write, url)
            yield
        except BaseException:
            self.db.rollback()
            self._later = later + self._later
            raise
        else:
            self.db.commit()
        finally:
            self._in_transaction = False

    def _write_kept(self, write: Callable[[], None], url: str) -> None:
        """A kept write in a savepoint of its own: one that fails is undone and recorded."""
        self.db.conn.execute("SAVEPOINT kept_write")
        try:
            write()
        except Exception as exc:
            self.db.conn.execute("ROLLBACK TO kept_write")
            message = f"a write kept until the corpus was free failed: {type(exc).__name__}: {exc}"
            log.warning("%s: %s", url or self.path, message)
            self.add_error(url, "write", "kept_write_failed", message, traceback=format_exc())
        self.db.conn.execute("RELEASE kept_write")

    def add_capture(self, capture: Capture) -> None:
        """Store (or replace) a capture's row; plain SQL, as it runs for every response."""
        self.db.execute(
            f"insert or replace into captures ({', '.join(CAPTURE_COLUMNS)})"
            f" values ({', '.join('?' * len(CAPTURE_COLUMNS))})",
            [
                capture.warc_record_id,
                capture.url,
                capture.status,
                capture.content_type,
                capture.fetched_at,
                capture.warc_file,
                capture.warc_offset,
                capture.warc_length,
                capture.payload_digest,
                capture.record_type,
                capture.refers_to,
                capture.header("ETag"),
                capture.header("Last-Modified"),
            ],
        )

    def original_of(self, payload_digest: str) -> Original | None:
        """An archived response with this payload, for a revisit record to refer to."""
        row = self.db.execute(
            "select warc_record_id, url, fetched_at from captures"
            " where payload_digest = ? and record_type = 'response' and status = 200"
            " order by fetched_at limit 1",
            [payload_digest],
        ).fetchone()
        return Original(*row) if row else None

    def record_places(self) -> set[tuple[str, int]]:
        """(WARC file, offset) of every capture stored, to find records not yet stored."""
        return {
            (row[0], row[1])
            for row in self.db.execute("select warc_file, warc_offset from captures")
        }

    def has_captures(self) -> bool:
        return bool(self.db.execute("select exists (select 1 from captures)").fetchone()[0])

    def validators_of(self, url: str) -> tuple[str | None, str | None]:
        """ETag and Last-Modified of the URL's latest full capture, for a conditional request."""
        row = self.db.execute(
            "select etag, last_modified from captures where url = ? and status = 200"
            " order by fetched_at desc limit 1",
            [url],
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def latest_full_capture(self, url: str) -> tuple[str, int] | None:
        """Where the URL's latest 200 capture is (WARC file, offset)."""
        row = self.db.execute(
            "select warc_file, warc_offset from captures where url = ? and status = 200"
            " order by fetched_at desc limit 1",
            [url],
        ).fetchone()
        return (row[0], row[1]) if row else None

    def add_error(
        self,
        url: str,
        stage: str,
        kind: str,
        message: str,
        *,
        capture: Capture | None = None,
        plugin: str | None = None,
        hook: str | None = None,
        traceback: str | None = None,
    ) -> None:
        """Record a failure; the same failure seen again replaces its row."""
        capture_id = capture.warc_record_id if capture else None
        key = "\x1f".join(str(part) for part in (url, stage, kind, capture_id, plugin, hook))
        row = {
            "id": hashlib.sha1(key.encode("utf-8")).hexdigest()[:16],
            "url": url,
            "stage": stage,
            "kind": kind,
            "message": message,
            "plugin": plugin,
            "hook": hook,
            "capture": capture_id,
            "traceback": traceback,
            "at": _now(),
        }
        with self.transaction():
            self.db["errors"].upsert(row, pk="id")

    def start_run(self, command: str, options: dict[str, Any]) -> int:
        table = self.db["runs"]
        with self.transaction():
            table.insert(
                {
                    "command": command,
                    "options": json.dumps(options, sort_keys=True, default=str),
                    "started_at": _now(),
                    "finished_at": None,
                    "stats": None,
                }
            )
        return int(table.last_pk)

    def finish_run(self, run_id: int, stats: dict[str, Any]) -> None:
        with self.transaction():
            self.db["runs"].update(
                run_id, {"finished_at": _now(), "stats": json.dumps(stats, sort_keys=True)}
            )

    @contextmanager
    def keeping_writes(self) -> Iterator[None]:
        """Meanwhile ``write_soon`` keeps each write; ``KEPT_WRITES_BATCH`` commit together.

        For a run of small writes and nothing else, like the learning pass
        of ``extract`` in one process: a commit of its own for each page's
        template blocks cost a millisecond a page. What is kept when the
        block ends is written then.
        """
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False
        self.write_kept()

    def write_kept(self) -> None:
        """Write what ``write_soon`` kept now, waiting for the write lock if need be."""
        if self._later:
            with self.transaction():
                pass

    def close(self) -> None:
        """Write what ``write_soon`` kept, then close."""
        self.write_kept()
        self.db.conn.close()


def upsert_row(db: sqlite_utils.Database, table: str, row: dict[str, Any], pk: str) -> None:
    """Insert ``row``, or update the stored row with its ``pk``, in plain SQL.

    For the rows written for every article: sqlite-utils' ``Table.upsert``
    reads the table's schema on each call, which costs more than writing a
    small row (half a millisecond an article on the processing path).
    """
    names = ", ".join(f"[{name}]" for name in row)
    updates = ", ".join(f"[{name}] = excluded.[{name}]" for name in row if name != pk)
    db.execute(
        f"insert into [{table}] ({names}) values ({', '.join('?' * len(row))})"
        f" on conflict ([{pk}]) do update set {updates}",
        list(row.values()),
    )


CAPTURE_COLUMNS: dict[str, type] = {
    "warc_record_id": str,
    "url": str,
    "status": int,
    "content_type": str,
    "fetched_at": str,
    "warc_file": str,
    "warc_offset": int,
    "warc_length": int,
    "payload_digest": str,
    "record_type": str,
    "refers_to": str,
    "etag": str,
    "last_modified": str,
}


def create_core_tables(db: sqlite_utils.Database) -> None:
    """Create the tables every corpus has, if they are missing."""
    if not db["captures"].exists():
        db["captures"].create(CAPTURE_COLUMNS, pk="warc_record_id")
        db["captures"].create_index(["url"])
        db["captures"].create_index(["payload_digest"])
    else:  # a corpus from before conditional requests
        present = db["captures"].columns_dict
        for name, kind in CAPTURE_COLUMNS.items():
            if name not in present:
                db["captures"].add_column(name, kind)
    if not db["errors"].exists():
        db["errors"].create(
            {
                "id": str,
                "url": str,
                "stage": str,
                "kind": str,
                "message": str,
                "plugin": str,
                "hook": str,
                "capture": str,
                "traceback": str,
                "at": str,
            },
            pk="id",
            foreign_keys=[("capture", "captures", "warc_record_id")],
        )
    if not db["runs"].exists():
        db["runs"].create(
            {
                "id": int,
                "command": str,
                "options": str,
                "started_at": str,
                "finished_at": str,
                "stats": str,
            },
            pk="id",
        )
