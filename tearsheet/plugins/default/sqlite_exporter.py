"""Default exporter: the ``articles`` table (with full-text search) and ``versions``."""

import json
from typing import Any

import sqlite_utils

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.corpus import upsert_row
from tearsheet.merge import shard_columns
from tearsheet.plugins import hookimpl
from tearsheet.versions import create_table as create_versions_table
from tearsheet.versions import merge_versions, record_version

COLUMNS = {
    "url": str,
    "title": str,
    "authors": str,
    "editors": str,
    "sources": str,
    "published": str,
    "language": str,
    "site": str,
    "description": str,
    "canonical_url": str,
    "text": str,
    "capture": str,
}


@hookimpl
def prepare_corpus(db: sqlite_utils.Database) -> None:
    create_versions_table(db)
    if db["articles"].exists():
        _add_missing_columns(db["articles"])
        return
    db["articles"].create(
        COLUMNS, pk="url", foreign_keys=[("capture", "captures", "warc_record_id")]
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


def _add_missing_columns(table: sqlite_utils.db.Table) -> None:
    """A corpus written by an older tearsheet gains the columns added since."""
    present = set(table.columns_dict)
    for name, kind in COLUMNS.items():
        if name not in present:
            table.add_column(name, kind)


@hookimpl
def export_article(article: Article, capture: Capture, corpus: Any) -> None:
    """One row per URL, the article from its most recent capture; each change a version."""
    record_version(corpus.db, article.url, capture, article.title, article.text)
    if _newer_capture_stored(corpus.db, article.url, capture.fetched_at):
        return
    upsert_row(
        corpus.db,
        "articles",
        {
            "url": article.url,
            "title": article.title,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "editors": json.dumps(article.editors, ensure_ascii=False),
            "sources": json.dumps(article.sources, ensure_ascii=False),
            "published": article.published,
            "language": article.language,
            "site": article.site,
            "description": article.description,
            "canonical_url": article.canonical_url,
            "text": article.text,
            "capture": capture.warc_record_id,
        },
        "url",
    )


@hookimpl
def merge_shard(db: sqlite_utils.Database, shard: str) -> None:
    """A shard's articles join, each URL keeping the article of its latest capture."""
    merge_versions(db, shard)
    theirs = set(shard_columns(db, shard, "articles"))
    if not {"url", "capture"} <= theirs:
        return
    columns = [name for name in COLUMNS if name in theirs]
    names = ", ".join(columns)
    updates = ", ".join(f"{name} = excluded.{name}" for name in columns if name != "url")
    fetched = "(select fetched_at from captures where warc_record_id = {}.capture)"
    db.execute(
        f"insert into articles ({names}) select {names} from {shard}.articles where true"
        f" on conflict (url) do update set {updates}"
        f" where {fetched.format('excluded')} >= {fetched.format('articles')}"
    )


def _newer_capture_stored(db: sqlite_utils.Database, url: str, fetched_at: str) -> bool:
    row = db.execute(
        "select captures.fetched_at from articles join captures"
        " on articles.capture = captures.warc_record_id where articles.url = ?",
        [url],
    ).fetchone()
    return row is not None and row[0] > fetched_at
