"""Hostile and broken pages among normal ones, crawled from loopback.

One crawl meets them all: each hostile page must become a clear errors row
and a log line, the normal pages must still be archived and extracted, every
WARC file must pass ``tearsheet verify``, and the crawl's memory must stay
bounded although a body is endless and another decompresses to a gigabyte.
"""

import functools
import json
import logging
import os
import re
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
import zlib
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from conftest import FAST_CRAWL, TEARSHEET
from rawserver import raw_server
from servers import Route, html_page, serve
from warcio.archiveiterator import ArchiveIterator

from tearsheet.archive.verify import verify_paths
from tearsheet.cli import cli
from tearsheet.crawlfile import load_crawl_file
from tearsheet.extraction import extract_warcs
from tearsheet.scrapers.options import CrawlOptions
from tearsheet.scrapers.settings import build_settings
from tearsheet.scrapers.traps import without_session_ids

pytestmark = pytest.mark.slow

MAX_DOWNLOAD = 640 * 1024
TIMEOUT = 8.0  # the endless body must reach MAX_DOWNLOAD well within it, on a busy machine
MAX_VARIANTS = 5
MAX_PER_SITE = 24  # the first site has 22 pages, the second 30
BOMB_MIB = 512  # about 530 kB compressed: under MAX_DOWNLOAD, so only decompression stops it
MEMORY_BOUND = 600 * 1024 * 1024  # a crawl takes ~230 MiB; the bomb alone would take 512

STORY = [
    "The harbour board approved the new sea wall on Tuesday after two years of debate.",
    "Work starts in June and should be finished before the winter storms next year.",
    "Fishermen said the wall would let them keep their boats in the inner harbour.",
]
CAFE = [
    "The café on the quay served its last coffee on Friday after sixty years of trade.",
    "Regulars said the old espresso machine will go to the town museum next month.",
]
GOOD = ["/2024/05/02/sea-wall-approved.html", "/2024/05/03/ferry-returns.html"]
LONG_URL = "/archive/" + "a" * 3000
NOT_HTTP_LINKS = [
    "mailto:desk@harbour.example",
    "javascript:void(0)",
    "ftp://files.harbour.example/report.pdf",
    "http://[::1",
    "http://exa mple.example/",
    "http://127.0.0.1:99999/",
]
SESSION_LINKS = [
    "/2024/05/04/quay-cafe-closes.html;jsessionid=0A1B2C3D",
    "/2024/05/04/quay-cafe-closes.html?sid=8f14e45fceea167a5a36dedd4bea2543",
    "/2024/05/04/quay-cafe-closes.html?PHPSESSID=abc",
]
HOSTILE = {
    "nested": "/2024/05/05/deeply-nested-page.html",
    "unclosed": "/2024/05/05/unclosed-tags.html",
    "binary": "/2024/05/05/binary-labelled-html.html",
    "wrong_charset": "/2024/05/06/wrong-charset.html",
    "no_charset": "/2024/05/06/no-charset.html",
    "conflicting_charsets": "/2024/05/06/conflicting-charsets.html",
    "endless": "/2024/05/07/endless-body.html",
    "declared_huge": "/2024/05/07/declared-huge-body.html",
    "bomb": "/2024/05/07/gzip-bomb.html",
    "drip": "/2024/05/08/slow-drip.html",
    "cut": "/2024/05/08/closed-mid-body.html",
    "loop": "/loop-a",
    "chain": "/hop/0",
    "calendar": "/calendar?month=0",
    "long": LONG_URL,
}


def http(
    body: bytes, headers: list[tuple[str, str]] | None = None, status: str = "200 OK"
) -> bytes:
    headers = headers if headers is not None else [("Content-Type", "text/html; charset=utf-8")]
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return f"HTTP/1.1 {status}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


def plain_page(title: str, paragraphs: list[str], links: list[str] = ()) -> str:  # type: ignore[assignment]
    """An article page that names no charset of its own."""
    anchors = "".join(f'<a href="{href}">{href}</a> ' for href in links)
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav>{anchors}</nav>"
        f"<article><h1>{title}</h1>{text}</article></body></html>"
    )


@functools.cache
def gzip_bomb(mebibytes: int = BOMB_MIB) -> bytes:
    """One gzip member of that many MiB of zeros, about 1 kB per MiB on the wire.

    Built from one compressed MiB repeated: after a full flush, deflate
    output no longer depends on what came before.
    """
    zeros = bytes(1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(mebibytes):
        crc = zlib.crc32(zeros, crc)
    final_empty_block = b"\x03\x00"
    trailer = struct.pack("<II", crc, (mebibytes * len(zeros)) & 0xFFFFFFFF)
    return first + again * (mebibytes - 1) + final_empty_block + trailer


def endless(conn: socket.socket) -> None:
    """A chunked body that never ends (1 GiB at most)."""
    conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"<p>" + b"more " * 13_000 + b"</p>"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    for _ in range(1024**3 // len(chunk)):
        conn.sendall(frame)


def drip(conn: socket.socket) -> None:
    """A byte every 0.2 s: each read is quick, the response never completes in time."""
    body = html_page("Slow", STORY)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
    conn.sendall(head.encode())
    for byte in body:
        conn.sendall(bytes([byte]))
        time.sleep(0.2)


def cut(conn: socket.socket) -> None:
    """Promises a whole page, sends part of it and closes the connection."""
    body = html_page("Cut short", STORY * 40)
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {len(body)}\r\n\r\n"
    conn.sendall(head.encode() + body[: len(body) // 3])


def routes() -> dict:
    html = [("Content-Type", "text/html; charset=utf-8")]
    nested = (
        "<html><head><title>Nested</title></head><body>"
        + "<div>" * 5000
        + "".join(f"<p>{p}</p>" for p in STORY)
        + "</div>" * 5000
        + "</body></html>"
    )
    unclosed = "<html><body><article><h1>Unclosed tags<p>" + "".join(
        f"<p>{p} <b>and <i>more <div>" for p in STORY * 3
    )
    calendar = {
        f"/calendar?month={n}": http(
            plain_page(
                f"Events, month {n}", ["What's on."], [f"?month={n - 1}", f"?month={n + 1}"]
            ).encode()
        )
        for n in range(-60, 61)
    }
    hops = {f"/hop/{n}": http(b"", [("Location", f"/hop/{n + 1}")], "301 Moved") for n in range(25)}
    # Scrapy takes the last link first: the endless body starts before the pages that cost CPU.
    early = ["drip", "endless"]
    others = [path for page, path in HOSTILE.items() if page not in early]
    home_links = [*GOOD, *SESSION_LINKS, *NOT_HTTP_LINKS, *others, *(HOSTILE[p] for p in early)]
    return {
        "__default__": http(b"not found", [("Content-Type", "text/plain")], "404 Not Found"),
        "/": http(html_page("Harbour News", ["The latest from the harbour."], home_links)),
        GOOD[0]: http(html_page("Sea wall approved", STORY)),
        GOOD[1]: http(html_page("Ferry returns", STORY[::-1])),
        "/2024/05/04/quay-cafe-closes.html": http(html_page("Quay café closes", CAFE)),
        HOSTILE["nested"]: http(nested.encode()),
        HOSTILE["unclosed"]: http(unclosed.encode()),
        HOSTILE["binary"]: http(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8),
        # Declared UTF-8, written in Latin-1.
        HOSTILE["wrong_charset"]: http(
            html_page("Wrong charset", CAFE).replace("é".encode(), b"\xe9")
        ),
        # No charset in header or page: read by sniffing the bytes (Windows-1252 here).
        HOSTILE["no_charset"]: http(
            plain_page("No charset", CAFE).encode("cp1252"), [("Content-Type", "text/html")]
        ),
        # Header says Latin-1, the page says UTF-8 and starts with a UTF-8 BOM: the BOM wins.
        HOSTILE["conflicting_charsets"]: http(
            b"\xef\xbb\xbf" + html_page("Conflicting charsets", CAFE),
            [("Content-Type", "text/html; charset=iso-8859-1")],
        ),
        HOSTILE["endless"]: endless,
        HOSTILE["declared_huge"]: b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        b"Content-Length: 10000000000\r\n\r\n<html>",
        HOSTILE["bomb"]: http(gzip_bomb(), [*html, ("Content-Encoding", "gzip")]),
        HOSTILE["drip"]: drip,
        HOSTILE["cut"]: cut,
        "/loop-a": http(b"", [("Location", "/loop-b")], "301 Moved"),
        "/loop-b": http(b"", [("Location", "/loop-a")], "301 Moved"),
        **hops,
        **calendar,
    }


def crawl_measured(args: list[str], timeout: float = 120) -> tuple[int, str, int]:
    """Run a crawl; its exit status, stderr and peak resident memory in bytes.

    ``os.wait4`` gives this one child's own peak, whatever else the test
    process ran before.
    """
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen([*TEARSHEET, *args], stdout=subprocess.DEVNULL, stderr=stderr)
        watchdog = threading.Timer(timeout, os.kill, [process.pid, signal.SIGKILL])
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        return process.returncode, stderr.read().decode("utf-8", "replace"), usage.ru_maxrss * 1024


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    archive = tmp_path_factory.mktemp("hostile") / "archive"
    # A second site of 30 section pages (hubs, cheap to process) for the per-site cap.
    other_pages = [f"/section/{n}/" for n in range(1, 30)]
    other = {"/": Route(html_page("Other Times", ["Sections."], other_pages))}
    other |= {path: Route(html_page(f"Section {path}", ["Links."])) for path in other_pages}
    with raw_server(routes()) as server, serve(other) as second:
        started = time.monotonic()
        status, log, peak = crawl_measured(
            [
                "crawl",
                *FAST_CRAWL,
                *("--retries", "0", "--concurrency", "4", "--depth", "0"),
                *("--download-timeout", str(TIMEOUT), "--max-download-size", str(MAX_DOWNLOAD)),
                *("--max-query-variants", str(MAX_VARIANTS)),
                *("--max-pages-per-site", str(MAX_PER_SITE)),
                f"{server.url}/",
                f"{second.url}/",
                "-o",
                str(archive),
            ]
        )
        elapsed = time.monotonic() - started
        received = dict(server.received)
    assert status == 0, log
    return archive, server.url, second.url, received, log, peak, elapsed


def errors(archive: Path) -> dict[tuple[str, str], dict]:
    """The errors rows by URL and stage."""
    rows = sqlite_utils.Database(archive / "corpus.db")["errors"].rows
    return {(row["url"], row["stage"]): row for row in rows}


def articles(archive: Path) -> dict[str, dict]:
    return {
        row["url"]: row for row in sqlite_utils.Database(archive / "corpus.db")["articles"].rows
    }


def response_records(archive: Path) -> dict[str, list]:
    """Response records by target URI: (WARC headers, HTTP status, payload length)."""
    found: dict[str, list] = {}
    for path in sorted((archive / "warc").iterdir()):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    payload = record.raw_stream.read()
                    found.setdefault(record.rec_headers.get_header("WARC-Target-URI"), []).append(
                        (record.rec_headers, record.http_headers.get_statuscode(), len(payload))
                    )
    return found


# (page, stage, kind, words the message must contain)
EXPECTED_ERRORS = [
    ("nested", "extract", "no_article", "no article text found"),
    ("binary", "extract", "binary_body", "binary data"),
    ("wrong_charset", "extract", "undecodable_bytes", "not valid utf-8"),
    ("endless", "fetch", "too_large", f"download size limit of {MAX_DOWNLOAD:,} bytes"),
    ("declared_huge", "fetch", "too_large", f"download size limit of {MAX_DOWNLOAD:,} bytes"),
    (
        "bomb",
        "fetch",
        "too_large",
        f"decompresses past the download size limit of {MAX_DOWNLOAD:,}",
    ),
    ("bomb", "extract", "too_large", "body of more than 16,777,216 bytes"),
    ("drip", "fetch", "timeout", f"no complete response within {TIMEOUT:g} s"),
    ("cut", "fetch", "connection_lost", "closed the connection before the whole response"),
    ("loop", "fetch", "redirect_loop", "redirect loop"),
    ("chain", "fetch", "too_many_redirects", "redirections"),
    ("long", "fetch", "cap_url_length", "over the 2,048-character limit"),
]


@pytest.mark.parametrize(("page", "stage", "kind", "words"), EXPECTED_ERRORS)
def test_each_hostile_page_is_a_clear_error_row_and_a_log_line(
    crawl, page, stage, kind, words
) -> None:
    archive, base, _, _, log, _, _ = crawl
    url = base + HOSTILE[page]
    row = errors(archive)[(url, stage)]
    assert row["kind"] == kind
    assert words in row["message"]
    assert any(url in line and words in line for line in log.splitlines()), log[-3000:]


def test_the_normal_pages_are_archived_and_extracted(crawl) -> None:
    archive, base, second, _, _, _, _ = crawl
    stored = articles(archive)
    for path in GOOD:
        assert all(line in stored[base + path]["text"] for line in STORY[:1])
    captures = sqlite_utils.Database(archive / "corpus.db")["captures"].rows
    pages = [row["url"] for row in captures if row["url"].startswith(second)]
    assert len([url for url in pages if not url.endswith("/robots.txt")]) == MAX_PER_SITE
    # Malformed but readable markup still gives its article.
    assert STORY[0] in stored[base + HOSTILE["unclosed"]]["text"]


def test_charsets_are_read_as_a_browser_reads_them(crawl) -> None:
    archive, base, _, _, _, _, _ = crawl
    stored = articles(archive)
    assert "café" in stored[base + HOSTILE["no_charset"]]["text"]  # sniffed
    assert "café" in stored[base + HOSTILE["conflicting_charsets"]]["text"]  # the BOM wins
    assert "caf\ufffd" in stored[base + HOSTILE["wrong_charset"]]["text"]  # kept, marked


def test_cut_off_responses_are_archived_as_truncated_and_give_no_article(crawl) -> None:
    archive, base, _, _, _, _, _ = crawl
    records = response_records(archive)
    reasons = {
        "endless": "length",
        "declared_huge": "length",
        "drip": "time",
        "cut": "disconnect",
    }
    for page, reason in reasons.items():
        [(fields, status, length)] = records[base + HOSTILE[page]]
        assert fields.get_header("WARC-Truncated") == reason and status == "200"
        if page == "endless":
            assert MAX_DOWNLOAD // 2 < length <= MAX_DOWNLOAD + 1024 * 1024
        assert base + HOSTILE[page] not in articles(archive)
    # The bomb is archived whole, compressed as sent, and never decompressed in full.
    [(fields, status, length)] = records[base + HOSTILE["bomb"]]
    assert fields.get_header("WARC-Truncated") is None and length == len(gzip_bomb())


def test_extract_rebuilds_the_articles_and_counts_the_truncated_records(crawl, tmp_path) -> None:
    archive = crawl[0]
    report = extract_warcs([archive], tmp_path / "corpus.db")
    assert report.ok and report.counts["truncated"] == 4  # endless, declared huge, drip, cut
    assert articles(tmp_path) == articles(archive)


def test_every_warc_file_passes_verify(crawl) -> None:
    reports = verify_paths([crawl[0]])  # what `tearsheet verify ARCHIVE_DIR` checks
    assert reports and all(report.records for report in reports)
    assert [problem for report in reports for problem in report.problems] == []


def test_memory_stays_bounded_and_nothing_hangs(crawl) -> None:
    *_, peak, elapsed = crawl
    assert peak < MEMORY_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"
    assert elapsed < 60


def test_traps_are_capped_with_one_row_per_cap_and_site(crawl) -> None:
    archive, base, second, received, log, _, _ = crawl
    calendar = [path for path in received if path.startswith("/calendar")]
    assert len(calendar) == MAX_VARIANTS
    rows = list(sqlite_utils.Database(archive / "corpus.db")["errors"].rows)
    [variants] = [row for row in rows if row["kind"] == "cap_query_variants"]
    assert variants["url"].startswith(f"{base}/calendar?month=")
    assert f"limit of {MAX_VARIANTS} query-string variants" in variants["message"]
    [per_site] = [row for row in rows if row["kind"] == "cap_pages_per_site"]
    assert per_site["url"].startswith(second)
    assert f"limit of {MAX_PER_SITE} pages" in per_site["message"]
    for row in (variants, per_site):
        assert f"{row['url']}: not fetched: " in log  # the log line
    assert LONG_URL not in received
    assert re.search(r"errors, \d+ links refused by caps", log)  # the summary line
    [run] = sqlite_utils.Database(archive / "corpus.db")["runs"].rows
    assert json.loads(run["stats"])["cap_pages_per_site"] == 30 - MAX_PER_SITE  # counted


def test_session_ids_are_stripped_so_a_page_is_fetched_once(crawl) -> None:
    archive, base, _, received, _, _, _ = crawl
    fetched = [path for path in received if "quay-cafe-closes" in path]
    assert fetched == ["/2024/05/04/quay-cafe-closes.html"]
    assert len(received[fetched[0]]) == 1
    assert CAFE[0] in articles(archive)[base + fetched[0]]["text"]


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        (
            "http://news.example/a.html;jsessionid=0A1B2C?page=2",
            "http://news.example/a.html?page=2",
        ),
        ("http://news.example/a.php?id=7&PHPSESSID=abc&x=1", "http://news.example/a.php?id=7&x=1"),
        ("http://news.example/article.php?sid=4418", "http://news.example/article.php?sid=4418"),
        ("http://news.example/a?q=%20x+y&b", "http://news.example/a?q=%20x+y&b"),  # untouched
    ],
)
def test_session_ids_are_told_from_story_ids(url: str, kept: str) -> None:
    assert without_session_ids(url) == kept


def test_links_that_are_not_http_are_ignored_quietly(crawl) -> None:
    archive, _, _, _, log, _, _ = crawl
    urls = [url for url, _ in errors(archive)]
    for link in NOT_HTTP_LINKS:
        assert link not in urls
        assert link not in log
    assert not [url for url in urls if not url.startswith("http")]
    assert "Traceback" not in log


def test_a_crawl_file_sets_the_limits(tmp_path: Path) -> None:
    crawl_file = tmp_path / "crawl.toml"
    crawl_file.write_text(
        'output = "archive"\n[crawl]\ndownload_timeout = 7.5\nmax_download_size = 4096\n'
        "max_url_length = 500\nmax_query_variants = 3\nmax_pages_per_site = 10\n"
    )
    options = CrawlOptions(**load_crawl_file(crawl_file).options)
    settings = build_settings(options)
    assert (settings["DOWNLOAD_TIMEOUT"], settings["DOWNLOAD_MAXSIZE"]) == (7.5, 4096)
    assert (options.max_url_length, options.max_query_variants) == (500, 3)
    assert options.max_pages_per_site == 10


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "not a valid URL: 'http://[::1': Invalid IPv6 URL"),
        ("http://news.example:99999/", "Port out of range"),
        ("http://exa mple.example/", "not a valid host name"),
    ],
)
def test_invalid_start_urls_exit_2_with_one_line(tmp_path, url, reason) -> None:
    root = logging.getLogger()
    handlers = root.handlers[:]
    try:  # the command's own click runner: no interpreter to start for a usage error
        result = CliRunner().invoke(cli, ["crawl", url, "-o", str(tmp_path / "out")])
    finally:
        root.handlers[:] = handlers  # the command installs its log handler on CliRunner's stderr
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("tearsheet: ") and reason in line
    assert not (tmp_path / "out").exists()
