"""Captures prepared in one pass and cleaned in the next, kept in a SQLite table.

``tearsheet extract`` learns every page of the site templates before it
cleans any article, and both learning and extracting need the parsed page.
So the learning pass also prepares each capture (``Processor.prepare``:
classified and extracted, not yet cleaned) and keeps what it gave here, by
WARC record id; the processing pass cleans and exports it, parsing no page a
second time. The table lives in a file of its own: a task's shard, or a
temporary file next to the corpus. Each is pickled and compressed (about
4.5 KB a capture on the bench crawl, an eighth of its WARC records).
"""

import logging
import pickle
import sqlite3
import zlib
from pathlib import Path

from tearsheet.processing import Prepared

log = logging.getLogger(__name__)


def create_prepared_table(connection: sqlite3.Connection) -> None:
    connection.execute("create table prepared (record_id text primary key, data blob)")


def keep_prepared(connection: sqlite3.Connection, record_id: str, prepared: Prepared) -> None:
    """Keep what a capture was prepared into (pickled: our own temporary file).

    An article a plugin made that cannot be pickled is not kept: the
    processing pass extracts that capture again.
    """
    try:
        data = pickle.dumps(prepared)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        log.info("%s: prepared again when processed (%s)", record_id, exc)
        return
    connection.execute(
        "insert or replace into prepared values (?, ?)", [record_id, zlib.compress(data, 1)]
    )


class PreparedCaptures:
    """The prepared captures of a file, read by record id as the processing pass asks."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)

    def get(self, record_id: str) -> Prepared | None:
        row = self.connection.execute(
            "select data from prepared where record_id = ?", [record_id]
        ).fetchone()
        return None if row is None else pickle.loads(zlib.decompress(row[0]))

    def close(self) -> None:
        self.connection.close()
