"""Demo archives for the Datasette tests: as crawled, and with stories and an edit added.

The stories tables are written here as story detection will write them, so
these tests hold whether or not detection has run on the corpus.
"""

import shutil
from pathlib import Path

import sqlite_utils
from conftest import run_tearsheet

SEED_WORD = "Zummar"  # in every outlet's telling of the demo's wire story
HOSTILE = '<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">'


def build_demo(folder: Path) -> Path:
    archive = folder / "archive"
    result = run_tearsheet("demo", "-o", str(archive))
    assert result.returncode == 0, result.stderr
    return archive


def without_stories(demo: Path, folder: Path) -> Path:
    """A copy of the demo archive as a corpus before story detection: no stories tables."""
    archive = folder / "plain"
    shutil.copytree(demo, archive)
    db = sqlite_utils.Database(archive / "corpus.db")
    drop_stories(db)
    db.conn.close()
    return archive


def drop_stories(db: sqlite_utils.Database) -> None:
    for name in db.table_names():
        if name.startswith("stor"):
            db[name].drop()


def with_stories(demo: Path, folder: Path) -> Path:
    """A copy of the demo archive with one story across outlets and one edited article."""
    archive = folder / "stories"
    shutil.copytree(demo, archive)
    db = sqlite_utils.Database(archive / "corpus.db")
    drop_stories(db)
    seeds = list(
        db.query(
            "select articles.url, articles.site, articles.published, articles.title"
            " from articles join articles_fts on articles_fts.rowid = articles.rowid"
            " where articles_fts match ? order by articles.published",
            [SEED_WORD],
        )
    )
    origin = seeds[0]
    db["stories"].insert(
        {
            "id": 1,
            "title": origin["title"],
            "origin": origin["url"],
            "origin_source": "Reuters",
            "method": "test",
            "articles": len(seeds),
            "first_published": origin["published"],
        },
        pk="id",
        foreign_keys=[("origin", "articles", "url")],
    )
    db["story_members"].insert_all(
        (
            {"story": 1, "article": row["url"], "similarity": 0.9, "is_origin": int(row is origin)}
            for row in seeds
        ),
        foreign_keys=[("story", "stories", "id"), ("article", "articles", "url")],
    )
    edit_article(db, seeds[-1]["url"])
    db.conn.close()
    return archive


def edit_article(db: sqlite_utils.Database, url: str) -> None:
    """A later version of the article, with a changed paragraph and hostile markup in it."""
    article = db["articles"].get(url)
    capture = db["captures"].get(article["capture"])
    later = {**capture, "warc_record_id": "<urn:uuid:00000000-0000-4000-8000-000000000001>"}
    later["fetched_at"] = "2099-01-01T00:00:00Z"
    db["captures"].insert(later)
    text = article["text"] + "\n" + f"Update: the base was not hit. {HOSTILE}"
    db["versions"].insert(
        {
            "capture": later["warc_record_id"],
            "url": url,
            "fetched_at": later["fetched_at"],
            "title": article["title"],
            "text": text,
        }
    )
    db["articles"].update(url, {"text": text, "capture": later["warc_record_id"]})
    # A capture whose file name points outside the archive's warc/ folder.
    db["captures"].insert(
        {**capture, "warc_record_id": "<urn:uuid:bad>", "warc_file": "../corpus.db"}
    )
