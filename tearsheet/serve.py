"""Serve an archive's corpus in Datasette: read-only, described, searchable.

``tearsheet serve ARCHIVE_DIR`` is ``datasette ARCHIVE_DIR/corpus.db`` with
what a researcher needs to read it without knowing the schema: table and
column descriptions, facets for news (site, language, day, story), search
on articles and the questions people ask first as canned queries. The
corpus is opened immutable, as a snapshot of the archive, unless a crawl may
still be writing it (``live``).
"""

import sqlite3
from pathlib import Path
from typing import Any

from datasette.app import Datasette

from tearsheet.corpus import CORPUS_NAME

DATABASE = CORPUS_NAME.removesuffix(".db")
# What every current corpus has: a corpus without one of them came from an older tearsheet.
REQUIRED_TABLES = ("captures", "errors", "runs", "articles", "versions")


class ServeError(Exception):
    """A corpus that cannot be served; the message says which command fixes it."""


def corpus_file(archive_dir: Path) -> Path:
    """ARCHIVE_DIR/corpus.db, or a ServeError pointing at the command that builds it."""
    path = Path(archive_dir) / CORPUS_NAME
    if not path.is_file():
        raise ServeError(
            f"{archive_dir} has no {CORPUS_NAME}; `tearsheet extract {archive_dir} "
            f"-o {path}` builds it from the WARC files"
        )
    return path


def missing_parts(path: Path) -> list[str]:
    """Tables, columns and the search index an older tearsheet did not write."""
    from tearsheet.plugins.default.sqlite_exporter import COLUMNS

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in connection.execute("select name from sqlite_master")}
        missing = [f"table {name}" for name in REQUIRED_TABLES if name not in tables]
        if "articles" in tables:
            columns = {row[1] for row in connection.execute("pragma table_info(articles)")}
            missing += [f"column articles.{name}" for name in COLUMNS if name not in columns]
            if "articles_fts" not in tables:
                missing.append("search index articles_fts")
    except sqlite3.DatabaseError as exc:
        raise ServeError(f"{path} is not a readable SQLite corpus ({exc})") from exc
    finally:
        connection.close()
    return missing


def upgrade_corpus(path: Path) -> list[str]:
    """Bring a corpus from an older tearsheet up to date in place; return what was added.

    The same code that prepares a corpus for a crawl does it (core tables and
    every plugin's ``prepare_corpus``), so the result is what a new crawl writes.
    """
    missing = missing_parts(path)
    if not missing:
        return []
    from tearsheet.corpus import Corpus
    from tearsheet.processing import Processor

    try:
        corpus = Corpus(path)
        try:
            Processor(corpus)
            articles = corpus.db["articles"]
            if articles.exists() and not corpus.db["articles_fts"].exists():
                articles.enable_fts(["title", "text"], create_triggers=True, tokenize="porter")
            corpus.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            corpus.close()
    except sqlite3.Error as exc:
        raise ServeError(
            f"{path} was written by an older tearsheet (no {', '.join(missing)}) and could not "
            f"be upgraded ({exc}); `tearsheet extract {path.parent} -o {path}` rebuilds it"
        ) from exc
    return missing


def _wal_pending(path: Path) -> bool:
    """A write-ahead log with content: an immutable open would not see its rows."""
    wal = path.with_name(path.name + "-wal")
    return wal.exists() and wal.stat().st_size > 0


def datasette_app(
    archive_dir: Path,
    *,
    live: bool = False,
    pywb_url: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> Datasette:
    """A Datasette for ARCHIVE_DIR's corpus, with tearsheet's metadata and plugin.

    ``live`` opens the file read-only but not immutable, for a corpus a crawl
    is still writing. ``metadata`` is merged over tearsheet's (title, licence…).
    """
    register_plugin()
    path = corpus_file(archive_dir)
    upgrade_corpus(path)
    tables = _table_names(path)
    merged = _merge(corpus_metadata(Path(archive_dir), tables, pywb_url), metadata or {})
    if live or _wal_pending(path):
        return Datasette(files=[str(path)], metadata=merged)
    return Datasette(immutables=[str(path)], metadata=merged)


def register_plugin() -> None:
    """Load tearsheet's Datasette plugin, unless its entry point already has."""
    from datasette.plugins import pm

    import tearsheet.datasette_plugin as plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="tearsheet")


def _table_names(path: Path) -> set[str]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {row[0] for row in connection.execute("select name from sqlite_master")}
    finally:
        connection.close()


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def serve(app: Datasette, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run the app under uvicorn until interrupted, as ``datasette serve`` does."""
    import asyncio

    import uvicorn

    asyncio.run(app.invoke_startup())
    uvicorn.run(app.app(), host=host, port=port, log_level="warning")


# The metadata: what each table and column means, facets and the first questions.

COLUMNS = {
    "articles": {
        "url": "The article's URL, as crawled (one row per URL: its latest version)",
        "title": "Headline",
        "authors": "Authors (JSON list), from the byline, metadata or a credit line",
        "editors": "Editors named in a credit line such as (Editing by …) (JSON list)",
        "sources": "News agencies and outlets the text cites (JSON list)",
        "published": "Publication date and time the page states (ISO 8601)",
        "language": "Language of the text (ISO 639-1)",
        "site": "The outlet: its name, or its host when it states none",
        "description": "The page's own summary (meta description)",
        "canonical_url": "The URL the page names as canonical",
        "text": "The article's text, boilerplate removed, paragraphs on their own lines",
        "capture": "The HTTP response (WARC record) this version was extracted from",
    },
    "captures": {
        "warc_record_id": "WARC-Record-ID of the response or revisit record",
        "url": "WARC-Target-URI: the URL fetched",
        "status": "HTTP status code",
        "content_type": "Content-Type of the response",
        "fetched_at": "WARC-Date: when the response was received (UTC)",
        "warc_file": "The WARC file in ARCHIVE_DIR/warc holding the record",
        "warc_offset": "Byte offset of the record in its WARC file",
        "warc_length": "Length in bytes of the record (its gzip member)",
        "payload_digest": "WARC-Payload-Digest of the body",
        "record_type": "response, or revisit when the body repeats an earlier capture",
        "refers_to": "For a revisit: the record holding the body",
        "etag": "ETag the server sent, for a conditional request next time",
        "last_modified": "Last-Modified the server sent",
    },
    "errors": {
        "url": "The URL concerned",
        "stage": "fetch, extract, clean, export or read",
        "kind": "What kind of failure",
        "message": "What went wrong",
        "plugin": "The plugin that failed, if one did",
        "hook": "The plugin hook that failed",
        "capture": "The capture being processed",
        "traceback": "Python traceback, for a plugin's author",
        "at": "When it happened (UTC)",
    },
    "versions": {
        "capture": "The capture this version of the article comes from",
        "url": "The article's URL",
        "fetched_at": "When this version was fetched (UTC)",
        "title": "Headline of this version",
        "text": "Text of this version",
    },
    "stories": {
        "id": "Story number",
        "title": "Headline of the story's origin article",
        "origin": "The article the story starts from: the earliest one",
        "origin_source": "The outlet or agency the story comes from",
        "method": "How the articles were grouped into the story",
        "articles": "How many articles tell the story",
        "first_published": "When the first of them was published",
    },
    "story_members": {
        "story": "The story",
        "article": "An article telling it",
        "similarity": "How close its text is to the origin's (0 to 1)",
        "is_origin": "1 for the story's origin article",
    },
}

DESCRIPTIONS = {
    "articles": "One row per article URL, its latest version. Search title and text; "
    'FTS syntax works: "exact phrase", word*, AND, OR, NOT.',
    "captures": "One row per archived HTTP response, with where its WARC record is.",
    "errors": "Everything that went wrong: nothing is lost silently.",
    "versions": "Each change of an article seen by a crawl: edits after publication.",
    "stories": "One story told by several articles, across outlets.",
    "story_members": "Which article tells which story.",
    "runs": "Each crawl or extract run, its options and counts.",
}

FACETS: dict[str, list[Any]] = {
    "articles": ["site", "language", {"date": "published"}],
    "captures": ["status", "record_type", "content_type"],
    "errors": ["stage", "kind", "plugin"],
    "stories": ["origin_source", "method"],
    "story_members": ["story", "is_origin"],
}

QUERIES = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The most recently published articles, newest first.",
        "sql": "select url, title, site, published, language from articles\n"
        "order by published desc limit 100",
    },
    "articles_per_site_per_day": {
        "title": "Articles per site per day",
        "description": "How many articles each outlet published each day (by published date).",
        "sql": "select date(published) as day, site, count(*) as articles from articles\n"
        "where published is not null\ngroup by day, site order by day desc, articles desc",
    },
    "changed_after_publication": {
        "title": "Articles changed after publication",
        "description": "Articles with two versions or more: edited between crawls.",
        "sql": "select articles.url, articles.title, articles.site, articles.published,\n"
        "  count(*) as versions, max(versions.fetched_at) as last_changed\n"
        "from articles join versions on versions.url = articles.url\n"
        "group by articles.url having count(*) >= 2 order by last_changed desc",
    },
}

STORY_QUERY = {
    "title": "Stories covered by the most outlets",
    "description": "Each story with the number of outlets and articles that tell it.",
    "sql": "select stories.id as story, stories.title, stories.origin_source,\n"
    "  count(distinct articles.site) as outlets, count(*) as articles,\n"
    "  min(articles.published) as first_published\n"
    "from stories join story_members on story_members.story = stories.id\n"
    "  join articles on articles.url = story_members.article\n"
    "group by stories.id order by outlets desc, articles desc limit 100",
}


def corpus_metadata(archive_dir: Path, tables: set[str], pywb_url: str | None) -> dict[str, Any]:
    """Datasette metadata for a corpus holding ``tables``; the story parts only with stories."""
    described = {}
    for table, columns in COLUMNS.items():
        if table not in tables:
            continue
        described[table] = {"description": DESCRIPTIONS[table], "columns": columns}
        if table in FACETS:
            described[table]["facets"] = FACETS[table]
    described["runs"] = {"description": DESCRIPTIONS["runs"]}
    if "articles" in described:
        # Raw search mode: researchers' phrase, prefix and boolean queries work as FTS5
        # reads them; the plugin turns a syntax error into advice, not an error page.
        described["articles"] |= {
            "sort_desc": "published",
            "label_column": "title",
            "searchmode": "raw",
        }
    queries = dict(QUERIES)
    if {"stories", "story_members"} <= tables:
        described["stories"]["label_column"] = "title"
        described["articles"]["facets"] = [*FACETS["articles"], {"story": "url"}]
        queries["stories_by_outlets"] = STORY_QUERY
    return {
        "title": f"tearsheet: {archive_dir.resolve().name}",
        "description": "News articles archived by tearsheet: each row links to the WARC "
        "record it was extracted from. Open an article's title to read it with its "
        "versions, its story in other outlets and the archived original.",
        # The directory's name only: a published instance need not tell the server's paths.
        "source": f"the WARC files of {archive_dir.resolve().name}/warc, crawled by tearsheet",
        "license": "Articles remain their publishers'; archived for research",
        "databases": {DATABASE: {"tables": described, "queries": queries}},
        "plugins": {"tearsheet": {"pywb_url": pywb_url}},
    }
