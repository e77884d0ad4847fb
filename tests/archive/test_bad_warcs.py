"""Damaged WARC files given to extract: named with their offset, whole records kept."""

import gzip
import io
from pathlib import Path

import sqlite_utils

from tearsheet.archive.cdxj import index_warcs
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import capture_places
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.extraction import extract_warcs


def page(n: int) -> bytes:
    return (
        f"<html><head><title>Report {n}</title></head><body><article><h1>Report {n}</h1>"
        f"<p>The harbour authority published report number {n} on dredging the channel.</p>"
        "<p>It recommends deepening the approach before the autumn storms arrive.</p>"
        "</article></body></html>"
    ).encode()


def archive(directory: Path, count: int) -> list:
    with WarcFileWriter(directory, {"software": "tests"}) as writer:
        return [
            writer.write_exchange(
                f"http://news.test/{n}",
                HttpRequest("GET", f"/{n}", [("Host", "news.test")]),
                HttpResponse(200, "OK", [("Content-Type", "text/html")], page(n)),
            )
            for n in range(count)
        ]


def articles(corpus: Path) -> list[str]:
    return sorted(row["url"] for row in sqlite_utils.Database(corpus)["articles"].rows)


def test_a_file_cut_mid_record_keeps_the_whole_records(tmp_path: Path) -> None:
    captures = archive(tmp_path / "warc", 3)
    path = tmp_path / "warc" / captures[0].warc_file
    path.write_bytes(path.read_bytes()[: captures[2].warc_offset + 120])
    report = extract_warcs([tmp_path / "warc"], tmp_path / "corpus.db")
    assert not report.ok
    [problem] = report.problems
    assert problem.offset == captures[2].warc_offset
    assert path.name in problem.message and str(captures[2].warc_offset) in problem.message
    assert articles(tmp_path / "corpus.db") == ["http://news.test/0", "http://news.test/1"]
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    assert db["captures"].count == 2  # nothing of the cut record
    [error] = db["errors"].rows
    assert error["kind"] == "unreadable_warc"


def test_a_corrupt_record_is_named_and_the_records_before_it_kept(tmp_path: Path) -> None:
    captures = archive(tmp_path / "warc", 3)
    path = tmp_path / "warc" / captures[0].warc_file
    data = bytearray(path.read_bytes())
    start = captures[1].warc_offset
    # A line of text over the member's gzip header: neither gzip nor a WARC (or
    # five-word ARC) header. Zeros inside the member, as this test first wrote,
    # were now and then read past by warcio and noticed a record later.
    data[start : start + 60] = b"x" * 59 + b"\n"
    path.write_bytes(bytes(data))
    report = extract_warcs([tmp_path / "warc"], tmp_path / "corpus.db")
    assert not report.ok
    assert report.problems[0].offset == captures[1].warc_offset
    assert path.name in report.problems[0].message
    assert articles(tmp_path / "corpus.db") == ["http://news.test/0"]


def test_a_record_inflating_to_garbage_is_reported_not_passed_over(tmp_path: Path) -> None:
    captures = archive(tmp_path / "warc", 3)
    path = tmp_path / "warc" / captures[0].warc_file
    data = path.read_bytes()
    start = captures[1].warc_offset
    end = start + captures[1].warc_length  # the response's own gzip member
    # What a damaged gzip member can inflate to: warcio checks no CRC, so it parses the garbage.
    record = gzip.decompress(data[start:end])
    garbled = record.replace(b"WARC-Type: response", b"WARC-Type: r\x8b\xe9")
    path.write_bytes(data[:start] + gzip.compress(garbled) + data[end:])
    report = extract_warcs([tmp_path / "warc"], tmp_path / "corpus.db")
    [problem] = report.problems
    assert problem.offset == start and "WARC-Type" in problem.message
    assert set(report.passed_over) == {"warcinfo", "request"}  # the garbage is no record type
    assert articles(tmp_path / "corpus.db") == ["http://news.test/0"]
    assert [offset for offset, _ in capture_places(path)] == [captures[0].warc_offset]
    index = index_warcs([path], io.StringIO())
    [problem] = index.problems
    assert problem.offset == start and "WARC-Type" in problem.message
