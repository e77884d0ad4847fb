"""A real crawl of a loopback site with good and bad pages, checked record by record."""

import gzip
import io
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve
from warcio.archiveiterator import ArchiveIterator

pytestmark = pytest.mark.slow

STORY = [
    "The regional rail operator said on Thursday that night trains would return in May.",
    "Tickets go on sale next week, with sleeper cabins priced below the cost of a hotel room.",
    "Unions welcomed the plan but asked for more staff on the longest routes across the north.",
]
GZIPPED = [
    "A new bridge over the estuary opened to cyclists and walkers on a cold Saturday morning.",
    "The council said the crossing cut the journey between the two towns by forty minutes.",
]
HTML = [("Content-Type", "text/html; charset=utf-8")]
# Declared UTF-8, but the accented letters are Latin-1 bytes.
LATIN1_LABELLED_UTF8 = html_page(
    "Corner café closes",
    ["The corner café on the market square served its last coffee on Friday after sixty years."],
).replace("é".encode(), b"\xe9")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_routes() -> dict[str, Route]:
    home_links = [
        "/news/rail.html",
        "/news/bridge.html",
        "/missing.html",
        "/broken.html",
        "/report",
        "/2024/04/22/storm-damage-report-broken.html",
        "/latin.html",
        "/private/secret.html",
        "/deep/1.html",
    ]
    text = [("Content-Type", "text/plain")]
    return {
        "/robots.txt": Route(b"User-agent: *\nDisallow: /private/\n", 200, text),
        "/": Route(html_page("Fixture Times", ["Latest news from the fixture town."], home_links)),
        "/news/rail.html": Route(html_page("Night trains return", STORY)),
        "/news/bridge.html": Route(
            gzip.compress(html_page("Estuary bridge opens", GZIPPED)),
            headers=[*HTML, ("Content-Encoding", "gzip")],
        ),
        "/broken.html": Route(b"<h1>Internal error</h1>", 500, HTML),
        "/report": Route(
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", 200, [("Content-Type", "application/pdf")]
        ),
        # Malformed markup at an article's URL: nothing extractable in it.
        "/2024/04/22/storm-damage-report-broken.html": Route(
            b"<html><body><div><<<>>></div>", 200, HTML
        ),
        "/latin.html": Route(LATIN1_LABELLED_UTF8, 200, HTML),
        "/private/secret.html": Route(html_page("Secret", ["Never to be fetched."])),
        "/deep/1.html": Route(html_page("Deep one", GZIPPED, ["/deep/2.html"])),
        "/deep/2.html": Route(html_page("Deep two", GZIPPED, ["/deep/3.html"])),
        "/deep/3.html": Route(html_page("Deep three", GZIPPED)),
    }


def warc_records(archive: Path) -> list:
    found = []
    for path in sorted((archive / "warc").iterdir()):
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream)
            for record in iterator:
                payload = record.raw_stream.read()
                found.append((path.name, iterator.get_record_offset(), record, payload))
    return found


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    archive = tmp_path_factory.mktemp("crawl") / "archive"
    with serve(site_routes()) as server:
        dead = f"http://127.0.0.1:{closed_port()}/"
        result = run_tearsheet(
            "crawl",
            *FAST_CRAWL,
            f"{server.url}/",
            dead,
            "-o",
            str(archive),
            "--depth",
            "2",
            env={"XDG_STATE_HOME": str(archive.parent / "state")},
        )
        requested = list(server.requests)
    return archive, server.url, requested, result


def corpus(archive: Path) -> sqlite_utils.Database:
    return sqlite_utils.Database(archive / "corpus.db")


def test_crawl_finishes_and_says_what_it_did(crawl) -> None:
    archive, base, _, result = crawl
    assert result.returncode == 0, result.stderr
    assert "articles stored" in result.stderr


def test_no_remote_console_into_the_crawl_is_opened(crawl) -> None:
    """Scrapy's remote-control server runs code sent to it; it would keep its job file here."""
    archive, *_ = crawl
    assert not (archive.parent / "state" / "scrapy").exists()


def test_warc_files_pass_warcio_check(crawl) -> None:
    archive = crawl[0]
    files = sorted(str(p) for p in (archive / "warc").iterdir())
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_every_request_the_server_saw_has_a_request_and_a_response_record(crawl) -> None:
    archive, base, requested, _ = crawl
    records = warc_records(archive)
    assert records[0][2].rec_type == "warcinfo"
    info = records[0][3].decode()
    assert "software: tearsheet/" in info and "robots: obey" in info
    by_type: dict[str, list[str]] = {"request": [], "response": []}
    for _, _, record, _ in records:
        if record.rec_type in by_type:
            by_type[record.rec_type].append(record.rec_headers.get_header("WARC-Target-URI"))
    fetched = sorted(base + path for path in requested)
    assert sorted(by_type["response"]) == fetched
    assert sorted(by_type["request"]) == fetched


def test_no_page_is_fetched_twice(crawl) -> None:
    requested = crawl[2]
    repeated = {path for path in requested if requested.count(path) > 1}
    assert repeated <= {"/broken.html"}  # a 500 is retried, as it should be


def test_robots_txt_and_the_depth_limit_are_obeyed(crawl) -> None:
    requested = crawl[2]
    assert "/robots.txt" in requested
    assert "/private/secret.html" not in requested
    assert "/deep/1.html" in requested and "/deep/2.html" in requested
    assert "/deep/3.html" not in requested


def test_each_capture_row_points_at_its_response_record(crawl) -> None:
    archive = crawl[0]
    captures = list(corpus(archive)["captures"].rows)
    assert len(captures) == sum(1 for r in warc_records(archive) if r[2].rec_type == "response")
    for row in captures:
        with (archive / "warc" / row["warc_file"]).open("rb") as stream:
            stream.seek(row["warc_offset"])
            member = io.BytesIO(stream.read(row["warc_length"]))
        record = next(iter(ArchiveIterator(member)))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]


def test_articles_are_stored_with_their_text(crawl) -> None:
    archive, base, _, _ = crawl
    articles = {row["url"]: row for row in corpus(archive)["articles"].rows}
    rail = articles[f"{base}/news/rail.html"]
    assert rail["title"] == "Night trains return"
    assert all(line in rail["text"] for line in STORY)
    bridge = articles[f"{base}/news/bridge.html"]
    assert all(line in bridge["text"] for line in GZIPPED)
    hits = corpus(archive)["articles"].search("sleeper")
    assert [hit["url"] for hit in hits] == [f"{base}/news/rail.html"]


def test_a_gzipped_response_is_archived_as_sent(crawl) -> None:
    archive, base, _, _ = crawl
    [(_, _, record, payload)] = [
        r
        for r in warc_records(archive)
        if r[2].rec_type == "response"
        and r[2].rec_headers.get_header("WARC-Target-URI") == f"{base}/news/bridge.html"
    ]
    assert record.http_headers.get_header("Content-Encoding") == "gzip"
    assert gzip.decompress(payload) == html_page("Estuary bridge opens", GZIPPED)


def test_bad_responses_are_error_rows_and_the_crawl_went_on(crawl) -> None:
    archive, base, _, _ = crawl
    errors = {(row["url"], row["kind"]) for row in corpus(archive)["errors"].rows}
    dead_errors = [kind for url, kind in errors if not url.startswith(base)]
    assert dead_errors == ["connection_refused"]
    assert (f"{base}/missing.html", "http_404") in errors
    assert (f"{base}/broken.html", "http_500") in errors
    assert (f"{base}/report", "not_html") in errors
    assert (f"{base}/2024/04/22/storm-damage-report-broken.html", "no_article") in errors
    assert (f"{base}/latin.html", "undecodable_bytes") in errors
    assert len(list(corpus(archive)["articles"].rows)) >= 4


def test_the_run_is_recorded(crawl) -> None:
    [run] = list(corpus(crawl[0])["runs"].rows)
    assert run["command"] == "crawl" and run["finished_at"]
    assert json.loads(run["options"])["depth_limit"] == 2
    assert json.loads(run["stats"])["article"] >= 4


def test_extract_rebuilds_the_same_corpus_from_the_warcs_alone(crawl, tmp_path) -> None:
    archive = crawl[0]
    rebuilt = tmp_path / "rebuilt.db"
    for _ in range(2):
        result = run_tearsheet("extract", str(archive), "-o", str(rebuilt))
        assert result.returncode == 0, result.stderr
    for table, order in (("captures", "warc_record_id"), ("articles", "url")):
        live = list(corpus(archive)[table].rows_where(order_by=order))
        again = list(sqlite_utils.Database(rebuilt)[table].rows_where(order_by=order))
        assert again == live
