"""``tearsheet stories ARCHIVE_DIR``: the command over ``compute_stories``."""

import pytest
import sqlite_utils
from conftest import run_tearsheet

from .corpora import demo_pieces, open_corpus, store


def test_stories_command_groups_the_corpus(tmp_path) -> None:
    corpus = open_corpus(tmp_path / "corpus.db")
    for piece in demo_pieces():
        store(corpus, piece)
    corpus.close()
    result = run_tearsheet("stories", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "1 stories of 5 articles (20 articles compared)" in result.stderr
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    [story] = db["stories"].rows
    assert story["origin_source"] == "Reuters"
    [run] = db["runs"].rows_where("command = 'stories'")
    assert run["finished_at"]


def test_stories_command_needs_a_corpus(tmp_path) -> None:
    result = run_tearsheet("stories", str(tmp_path))
    assert result.returncode == 2
    assert "has no corpus.db" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_demo_crawl_places_the_seed_story_and_the_command_agrees(tmp_path) -> None:
    """The crawl's export hook places articles as they come; a recompute changes nothing."""
    archive = tmp_path / "archive"
    assert run_tearsheet("demo", "-o", str(archive)).returncode == 0
    db = sqlite_utils.Database(archive / "corpus.db")
    crawled = (list(db["stories"].rows), list(db["story_members"].rows_where(order_by="article")))
    result = run_tearsheet("stories", str(archive))
    assert result.returncode == 0, result.stderr
    [story] = db["stories"].rows
    assert (story["origin_source"], story["method"], story["articles"]) == (
        "Reuters",
        "cited source",
        5,
    )
    titles = {
        row["title"]
        for row in db.query(
            "select articles.title from story_members join articles on article = url"
        )
    }
    assert all("Iraq" in title for title in titles) and len(titles) == 5
    again = (list(db["stories"].rows), list(db["story_members"].rows_where(order_by="article")))
    assert again == crawled
