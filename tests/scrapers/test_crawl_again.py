"""Limits and reruns: a page cap stops the crawl; a second crawl adds no duplicate articles."""

from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve

pytestmark = pytest.mark.slow

SECTIONS = [f"/news/{n}.html" for n in range(12)]


def routes() -> dict[str, Route]:
    pages = {
        path: Route(
            html_page(
                f"Story {n}",
                [f"Story number {n} is about the harbour festival and its {n} brass bands."] * 3,
            )
        )
        for n, path in enumerate(SECTIONS)
    }
    return {"/": Route(html_page("Harbour Gazette", ["Today's news."], SECTIONS)), **pages}


def test_max_pages_stops_the_crawl_early(tmp_path: Path) -> None:
    with serve(routes()) as server:
        result = run_tearsheet(
            "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(tmp_path), "--max-pages", "3"
        )
        fetched = [path for path in server.requests if path != "/robots.txt"]
    assert result.returncode == 0, result.stderr
    assert len(fetched) == 3


def test_crawling_again_adds_captures_but_no_duplicate_articles(tmp_path: Path) -> None:
    with serve(routes()) as server:
        for _ in range(2):
            result = run_tearsheet("crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(tmp_path))
            assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    urls = [row["url"] for row in db["articles"].rows]
    assert len(urls) == len(set(urls)) == len(SECTIONS)  # the home page is a hub
    assert db["captures"].count == 2 * (len(SECTIONS) + 2)  # pages, home and robots.txt, twice
    assert db["runs"].count == 2
    latest = db.execute(
        "select count(*) from articles join captures on articles.capture = captures.warc_record_id"
        " where captures.fetched_at ="
        " (select max(fetched_at) from captures c where c.url = articles.url)"
    ).fetchone()[0]
    assert latest == len(urls)  # each article row comes from its URL's newest capture
    second_run = db.execute(
        "select record_type, count(*) from captures where status = 200 and url not like"
        " '%/robots.txt' group by record_type"
    ).fetchall()
    # Unchanged pages of the second crawl are revisits of the first crawl's records.
    assert dict(second_run) == {"response": len(SECTIONS) + 1, "revisit": len(SECTIONS) + 1}
    rebuilt = tmp_path / "rebuilt.db"
    assert run_tearsheet("extract", str(tmp_path), "-o", str(rebuilt)).returncode == 0
    again = sqlite_utils.Database(rebuilt)
    assert list(again["articles"].rows_where(order_by="url")) == list(
        db["articles"].rows_where(order_by="url")
    )
