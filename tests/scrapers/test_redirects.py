"""Redirects: followed and archived hop by hop; loops and long chains are error rows."""

from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve

pytestmark = pytest.mark.slow

TARGET = "/2024/04/22/lighthouse-reopens-after-repairs.html"


def moved(to: str) -> Route:
    return Route(b"", 301, [("Location", to)])


def routes() -> dict[str, Route]:
    chain = {f"/hop/{n}": moved(f"/hop/{n + 1}") for n in range(30)}
    return {
        "/": Route(html_page("Coast News", ["Links."], ["/old-url", "/loop-a", "/hop/0", TARGET])),
        "/old-url": moved(TARGET),
        TARGET: Route(html_page("Lighthouse reopens", ["The lighthouse reopened today."] * 3)),
        "/loop-a": moved("/loop-b"),
        "/loop-b": moved("/loop-a"),
        **chain,
    }


def test_redirects_loops_and_long_chains(tmp_path: Path) -> None:
    with serve(routes()) as server:
        result = run_tearsheet("crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(tmp_path))
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    assert requested.count(TARGET) == 1  # linked and redirected to: fetched once
    statuses = {row["url"]: row["status"] for row in db["captures"].rows}
    assert statuses[server.url + "/old-url"] == 301  # each hop archived
    errors = {row["url"]: row for row in db["errors"].rows}
    loop = errors[server.url + "/loop-a"]
    assert loop["kind"] == "redirect_loop"
    assert "/loop-a -> " in loop["message"] and loop["message"].endswith("/loop-a")
    assert errors[server.url + "/hop/0"]["kind"] == "too_many_redirects"
    assert requested.count("/hop/25") == 0  # Scrapy's limit of 20 hops
    queued = (
        sqlite_utils.Database(tmp_path / "frontier.db")
        .execute("select count(*) from pages where state != 'done'")
        .fetchone()[0]
    )
    assert queued == 0  # every page of the crawl came to an end
