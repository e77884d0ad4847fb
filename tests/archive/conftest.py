"""An archive made the way a user makes one: ``tearsheet crawl`` of a small loopback news site."""

import gzip
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

HTML = ("Content-Type", "text/html; charset=utf-8")
ROCKETS = html_page(
    "Rockets fired at a base in Syria",
    ["Five rockets were fired from Iraq's town of Zummar towards a base on Sunday."] * 3,
)
BUDGET = html_page(
    "Council approves the harbour budget",
    ["The council approved the harbour budget by nine votes to two on Tuesday."] * 3,
)


@dataclass
class CrawledSite:
    """The archive a crawl made, and what the site sent for each path."""

    archive: Path
    url: str
    routes: dict[str, Route]


def news_routes() -> dict[str, Route]:
    """A front page, a plain article, a gzip-encoded article and a page that is gone."""
    links = ["/world/rockets", "/city/budget", "/gone"]
    home = html_page("Fixture Times", ["Today's news."], links)
    return {
        "/": Route(home),
        "/world/rockets": Route(ROCKETS),
        "/city/budget": Route(gzip.compress(BUDGET), headers=[HTML, ("Content-Encoding", "gzip")]),
        "/gone": Route(b"<html><body><h1>Gone</h1></body></html>", 404, [HTML]),
    }


@pytest.fixture(scope="session")
def crawled_site(tmp_path_factory: pytest.TempPathFactory) -> CrawledSite:
    """One crawl for the whole session, into WARC files small enough that there are several."""
    archive = tmp_path_factory.mktemp("crawled") / "archive"
    routes = news_routes()
    with serve(routes) as server:
        result = run_tearsheet(
            "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(archive), "--max-warc-size", "1024"
        )
    assert result.returncode == 0, result.stderr
    return CrawledSite(archive, server.url, routes)


def write_warc(path: Path, pages: dict[str, bytes]) -> None:
    """A small WARC of 200 responses written by warcio alone, for tests that need no crawl."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, body in pages.items():
            http = StatusAndHeaders("200 OK", [HTML], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http
            )
            writer.write_record(record)


def record_offsets(path: Path) -> list[int]:
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return [records.get_record_offset() for _ in records]


def cdxj_indexer(*paths: Path) -> str:
    """What webrecorder's own ``cdxj-indexer --sort`` writes for these files."""
    command = [sys.executable, "-m", "cdxj_indexer.main", "--sort", *map(str, paths)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return result.stdout
