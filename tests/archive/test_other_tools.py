"""`tearsheet extract` reads what other archiving tools write."""

import gzip
import io
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet
from servers import Route, html_page, serve
from warcio.capture_http import capture_http
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

TITLE = "Ferry timetable changes"
PARAGRAPHS = [
    "The island ferry will run two extra crossings on weekdays from the first of June.",
    "Operators said the change followed a survey of commuters who work on the mainland.",
    "Weekend sailings stay as they are, with the last boat leaving the pier at nine.",
]
PAGE = html_page(TITLE, PARAGRAPHS)


def extract(tmp_path: Path, *files: Path) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    corpus = tmp_path / "corpus.db"
    result = run_tearsheet("extract", *map(str, files), "-o", str(corpus))
    return result, list(sqlite_utils.Database(corpus)["articles"].rows)


def assert_one_article(result, articles: list[dict], url: str) -> None:
    assert result.returncode == 0, result.stderr
    assert [a["url"] for a in articles] == [url]
    assert all(p in articles[0]["text"] for p in PARAGRAPHS)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("wget") is None, reason="Debian's wget is not installed")
def test_wget_warc_output(tmp_path: Path) -> None:
    with serve({"/ferry.html": Route(PAGE)}) as server:
        subprocess.run(
            [
                "wget",
                "-q",
                f"--warc-file={tmp_path / 'wget'}",
                "-O",
                "/dev/null",
                f"{server.url}/ferry.html",
            ],
            check=True,
            timeout=60,
        )
    result, articles = extract(tmp_path, tmp_path / "wget.warc.gz")
    assert_one_article(result, articles, f"{server.url}/ferry.html")
    assert "resource:metadata" in result.stderr  # wget's log and arguments, passed over


def test_warcio_capture_http_output(tmp_path: Path) -> None:
    warc = tmp_path / "captured.warc.gz"
    with serve({"/ferry.html": Route(PAGE)}) as server, capture_http(str(warc)):
        urllib.request.urlopen(f"{server.url}/ferry.html", timeout=10).read()
    result, articles = extract(tmp_path, warc)
    assert_one_article(result, articles, f"{server.url}/ferry.html")


def common_crawl_style(compress: bool) -> bytes:
    """WARC/1.0, a warcinfo then response records alone, as Common Crawl publishes."""
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=compress, warc_version="1.0")
    writer.write_record(writer.create_warcinfo_record("CC-MAIN-test.warc", {"software": "x"}))
    for url, body, kind in (
        ("http://news.test/ferry", PAGE, "text/html"),
        ("http://news.test/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64), "image/png"),
    ):
        headers = StatusAndHeaders("200 OK", [("Content-Type", kind)], protocol="HTTP/1.1")
        writer.write_record(
            writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Identified-Payload-Type": kind},
            )
        )
    return buffer.getvalue()


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_common_crawl_style_files(tmp_path: Path, compress: bool) -> None:
    warc = tmp_path / ("cc.warc.gz" if compress else "cc.warc")
    warc.write_bytes(common_crawl_style(compress))
    result, articles = extract(tmp_path, warc)
    assert_one_article(result, articles, "http://news.test/ferry")
    assert "1 responses without an article" in result.stderr  # the PNG
    assert "0 errors" in result.stderr


def arc_records() -> list[bytes]:
    """An ARC v1 file's records: a filedesc record, then one HTTP response record."""
    desc_body = b"1 0 Test Archive\nURL IP-address Archive-date Content-type Archive-length\n"
    filedesc = b"filedesc://test.arc 0.0.0.0 20240101000000 text/plain %d\n%s\n" % (
        len(desc_body),
        desc_body,
    )
    response = b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + PAGE
    record = b"http://arc.test/ferry 127.0.0.1 20240101000000 text/html %d\n%s\n" % (
        len(response),
        response,
    )
    return [filedesc, record]


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
def test_arc_files(tmp_path: Path, compress: bool) -> None:
    arc = tmp_path / ("old.arc.gz" if compress else "old.arc")
    records = arc_records()
    # A .arc.gz holds one gzip member per record, like a .warc.gz.
    arc.write_bytes(b"".join(map(gzip.compress, records)) if compress else b"".join(records))
    result, articles = extract(tmp_path, arc)
    assert_one_article(result, articles, "http://arc.test/ferry")


def test_a_single_gzip_stream_is_named_with_its_fix(tmp_path: Path) -> None:
    warc = tmp_path / "whole.warc.gz"
    warc.write_bytes(gzip.compress(common_crawl_style(compress=False)))
    result, articles = extract(tmp_path, warc)
    assert result.returncode == 1
    assert "whole.warc.gz: one gzip stream, not one gzip member per record" in result.stderr
    assert "warcio recompress" in result.stderr


def test_dns_and_screenshot_records_are_passed_over_and_counted(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    writer.write_record(
        writer.create_warc_record(
            "dns:news.test",
            "response",
            payload=io.BytesIO(b"20240101000000\nnews.test. 300 IN A 127.0.0.1\n"),
            warc_content_type="text/dns",
        )
    )
    writer.write_record(
        writer.create_warc_record(
            "urn:screenshot:http://news.test/",
            "resource",
            payload=io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(128)),
            warc_content_type="image/png",
        )
    )
    warc = tmp_path / "browser.warc.gz"
    warc.write_bytes(buffer.getvalue())
    result, articles = extract(tmp_path, warc)
    assert result.returncode == 0, result.stderr
    assert articles == []
    assert "Records passed over: resource:urn 1, response:dns 1." in result.stderr
    assert "0 errors" in result.stderr
