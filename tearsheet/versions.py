"""Versions of an article: one row per capture whose article differs from the one before.

News articles are edited after publication; keeping each version (with
its capture) and diffing two of them is a reason to archive news at all.
Rows follow capture time, so ``tearsheet extract`` rebuilds the same ones.
"""

import difflib
from typing import Any

import sqlite_utils

from tearsheet.archive import Capture
from tearsheet.corpus import upsert_row


def create_table(db: sqlite_utils.Database) -> None:
    if db["versions"].exists():
        return
    db["versions"].create(
        {"capture": str, "url": str, "fetched_at": str, "title": str, "text": str},
        pk="capture",
        foreign_keys=[("capture", "captures", "warc_record_id")],
    )
    db["versions"].create_index(["url", "fetched_at"])


def record_version(
    db: sqlite_utils.Database, url: str, capture: Capture, title: str | None, text: str
) -> None:
    """Add this capture's article as a version, unless it repeats the version before it."""
    previous = db.execute(
        "select title, text from versions where url = ? and fetched_at < ?"
        " order by fetched_at desc limit 1",
        [url, capture.fetched_at],
    ).fetchone()
    if previous is not None and tuple(previous) == (title, text):
        db["versions"].delete_where("capture = ?", [capture.warc_record_id])
        return
    row = {
        "capture": capture.warc_record_id,
        "url": url,
        "fetched_at": capture.fetched_at,
        "title": title,
        "text": text,
    }
    upsert_row(db, "versions", row, "capture")


def merge_versions(db: sqlite_utils.Database, shard: str) -> None:
    """Add an attached shard's versions, then drop each that repeats the one before it.

    Each shard kept the versions that differ within it; only side by side,
    in capture time, is a repeat across shards seen.
    """
    columns = "capture, url, fetched_at, title, text"
    if not db.execute(f"select 1 from {shard}.sqlite_master where name = 'versions'").fetchone():
        return
    create_table(db)
    db.execute(
        f"insert into versions ({columns}) select {columns} from {shard}.versions where true"
        " on conflict (capture) do nothing"
    )
    for (url,) in db.execute(f"select distinct url from {shard}.versions").fetchall():
        _drop_repeats(db, url)


def _drop_repeats(db: sqlite_utils.Database, url: str) -> None:
    previous = None
    repeats = []
    rows = db.execute(
        "select capture, title, text from versions where url = ? order by fetched_at", [url]
    )
    for capture, title, text in rows.fetchall():
        if previous == (title, text):
            repeats.append((capture,))
        previous = (title, text)
    db.conn.executemany("delete from versions where capture = ?", repeats)


def versions_of(db: sqlite_utils.Database, url: str) -> list[dict[str, Any]]:
    """An article's versions, oldest first."""
    return list(db["versions"].rows_where("url = ?", [url], order_by="fetched_at"))


def diff(db: sqlite_utils.Database, url: str, older: int = -2, newer: int = -1) -> str:
    """A unified diff of two versions' text (by default the last two), line by line."""
    versions = versions_of(db, url)
    if len(versions) < 2:
        raise LookupError(f"{url} has {len(versions)} version(s) in this corpus; a diff needs two")
    before, after = versions[older], versions[newer]
    lines = difflib.unified_diff(
        [f"{before['title']}\n", *(line + "\n" for line in before["text"].split("\n"))],
        [f"{after['title']}\n", *(line + "\n" for line in after["text"].split("\n"))],
        fromfile=f"{url} @ {before['fetched_at']}",
        tofile=f"{url} @ {after['fetched_at']}",
    )
    return "".join(lines)
