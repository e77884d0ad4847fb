"""Streaming a corpus's articles out, filtered, in a format a plugin provides."""

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import sqlite_utils

from tearsheet.corpus import CORPUS_NAME
from tearsheet.plugins.manager import get_plugin_manager

Writer = Callable[[Iterator[dict[str, Any]], BinaryIO], None]
LIST_COLUMNS = ("authors", "editors", "sources")


class ExportError(ValueError):
    pass


@dataclass
class Filters:
    """Which articles to export; None means no restriction."""

    site: str | None = None
    language: str | None = None
    since: str | None = None  # published on or after (ISO date)
    until: str | None = None  # published before (ISO date)
    search: str | None = None  # full-text search on title and text


def export_formats() -> dict[str, Writer]:
    """Every format the plugins register, by name."""
    formats: dict[str, Writer] = {}
    get_plugin_manager().hook.register_export_formats(register=formats.__setitem__)
    return formats


def article_rows(db: sqlite_utils.Database, filters: Filters) -> Iterator[dict[str, Any]]:
    """Articles matching the filters, by URL, with list columns decoded, one at a time."""
    where, params = [], []
    for column, value in (("site", filters.site), ("language", filters.language)):
        if value is not None:
            where.append(f"articles.{column} = ?")
            params.append(value)
    if filters.since:
        where.append("articles.published >= ?")
        params.append(filters.since)
    if filters.until:
        where.append("articles.published < ?")
        params.append(filters.until)
    if filters.search:
        where.append(
            "articles.rowid in (select rowid from articles_fts where articles_fts match ?)"
        )
        params.append(filters.search)
    sql = (
        "select articles.*, captures.fetched_at from articles left join captures"
        " on articles.capture = captures.warc_record_id"
    )
    if where:
        sql += " where " + " and ".join(where)
    cursor = db.execute(sql + " order by articles.url", params)
    names = [column[0] for column in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        for column in LIST_COLUMNS:
            if isinstance(row.get(column), str):
                row[column] = json.loads(row[column])
        yield row


def export_articles(archive_dir: Path, format_name: str, out: BinaryIO, filters: Filters) -> None:
    corpus = Path(archive_dir) / CORPUS_NAME
    if not corpus.exists():
        raise ExportError(f"{archive_dir} has no {CORPUS_NAME}; `tearsheet extract` builds it")
    formats = export_formats()
    if format_name not in formats:
        raise ExportError(f"unknown format {format_name!r} (known: {', '.join(sorted(formats))})")
    db = sqlite_utils.Database(corpus)
    try:
        formats[format_name](article_rows(db, filters), out)
    except sqlite3.OperationalError as exc:  # a search string SQLite's FTS cannot parse
        raise ExportError(f"cannot export: {exc}") from exc
