"""Default exporter: the ``articles`` table, with full-text search."""

import json
from typing import Any

import sqlite_utils

from tearsheet.archive import Capture
from tearsheet.article import Article
from tearsheet.plugins import hookimpl


@hookimpl
def prepare_corpus(db: sqlite_utils.Database) -> None:
    if db["articles"].exists():
        return
    db["articles"].create(
        {
            "url": str,
            "title": str,
            "authors": str,
            "published": str,
            "language": str,
            "site": str,
            "description": str,
            "text": str,
            "capture": str,
        },
        pk="url",
        foreign_keys=[("capture", "captures", "warc_record_id")],
    )
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


@hookimpl
def export_article(article: Article, capture: Capture, corpus: Any) -> None:
    """Keep one row per URL: the article from its most recent capture."""
    articles = corpus.db["articles"]
    if _newer_capture_stored(corpus.db, article.url, capture.fetched_at):
        return
    articles.upsert(
        {
            "url": article.url,
            "title": article.title,
            "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published,
            "language": article.language,
            "site": article.site,
            "description": article.description,
            "text": article.text,
            "capture": capture.warc_record_id,
        },
        pk="url",
    )


def _newer_capture_stored(db: sqlite_utils.Database, url: str, fetched_at: str) -> bool:
    row = db.execute(
        "select captures.fetched_at from articles join captures"
        " on articles.capture = captures.warc_record_id where articles.url = ?",
        [url],
    ).fetchone()
    return row is not None and row[0] > fetched_at
