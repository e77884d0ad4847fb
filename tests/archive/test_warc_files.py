"""The WARC layer on its own: files that warcio checks, offsets that point at records."""

import gc
import gzip
import hashlib
import io
import subprocess
import sys
import tracemalloc
from base64 import b32encode
from itertools import pairwise
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import (
    NotAWarcError,
    capture_places,
    read_captures,
    record_start_after,
)
from tearsheet.archive.writer import WarcFileWriter

PAGE = b"<html><body><article><p>Council approves budget.</p></article></body></html>"


def write_pages(directory: Path, count: int, max_file_size: int = 1_000_000) -> list:
    body = gzip.compress(PAGE, mtime=0)
    with WarcFileWriter(directory, {"software": "tests"}, max_file_size=max_file_size) as writer:
        return [
            writer.write_exchange(
                f"http://news.test/{n}",
                HttpRequest("GET", f"/{n}", [("Host", "news.test"), ("Accept-Encoding", "gzip")]),
                HttpResponse(
                    200,
                    "OK",
                    [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
                    body,
                ),
                ip_address="127.0.0.1",
            )
            for n in range(count)
        ]


def records(path: Path) -> list:
    with path.open("rb") as stream:
        return [
            (record.rec_type, dict(record.rec_headers.headers), record.raw_stream.read())
            for record in ArchiveIterator(stream)
        ]


def test_each_file_starts_with_warcinfo_and_pairs_request_with_response(tmp_path: Path) -> None:
    write_pages(tmp_path, 2)
    [path] = sorted(tmp_path.iterdir())
    found = records(path)
    assert [kind for kind, _, _ in found] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "request",
    ]
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip, one member per record
    responses = [h for kind, h, _ in found if kind == "response"]
    requests = [h for kind, h, _ in found if kind == "request"]
    for response, request in zip(responses, requests, strict=True):
        assert request["WARC-Concurrent-To"] == response["WARC-Record-ID"]
        assert request["WARC-Target-URI"] == response["WARC-Target-URI"]
        assert response["WARC-IP-Address"] == "127.0.0.1"
    assert found[0][1]["WARC-Filename"] == path.name


def test_response_keeps_the_compressed_body_and_its_digests(tmp_path: Path) -> None:
    [capture] = write_pages(tmp_path, 1)
    [path] = sorted(tmp_path.iterdir())
    _, headers, payload = records(path)[1]
    assert payload == gzip.compress(PAGE, mtime=0)
    digest = "sha1:" + b32encode(hashlib.sha1(payload).digest()).decode()
    assert headers["WARC-Payload-Digest"] == digest == capture.payload_digest
    assert capture.body == PAGE  # what extractors see: content encoding undone
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", str(path)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_files_rotate_at_the_size_limit(tmp_path: Path) -> None:
    captures = write_pages(tmp_path, 5, max_file_size=1500)
    files = sorted(tmp_path.iterdir())
    assert len(files) > 1
    assert all(records(path)[0][0] == "warcinfo" for path in files)
    assert {c.warc_file for c in captures} == {path.name for path in files}


def test_capture_offsets_point_at_their_records(tmp_path: Path) -> None:
    captures = write_pages(tmp_path, 3)
    for capture in captures:
        with (tmp_path / capture.warc_file).open("rb") as stream:
            stream.seek(capture.warc_offset)
            member = stream.read(capture.warc_length)
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert record.rec_headers.get_header("WARC-Record-ID") == capture.warc_record_id


def test_reader_yields_what_the_writer_returned(tmp_path: Path) -> None:
    written = write_pages(tmp_path, 3)
    [path] = sorted(tmp_path.iterdir())
    assert list(read_captures(path)) == written


def test_a_file_is_read_in_runs_from_its_capture_places(tmp_path: Path) -> None:
    written = write_pages(tmp_path, 5)
    [path] = sorted(tmp_path.iterdir())
    places = capture_places(path)
    assert places == [(c.warc_offset, c.payload_digest) for c in written]
    cuts = [0, places[2][0], None]  # a run starts at the file's start or at a capture
    runs = [list(read_captures(path, start=start, end=end)) for start, end in pairwise(cuts)]
    assert runs == [written[:2], written[2:]]


def test_a_cut_inside_a_record_moves_on_to_where_the_next_record_starts(tmp_path: Path) -> None:
    write_pages(tmp_path, 3)
    [path] = sorted(tmp_path.iterdir())
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        starts = [iterator.get_record_offset() for record in iterator if record]
    assert [record_start_after(path, start) for start in starts] == starts
    assert [record_start_after(path, start + 1) for start in starts] == [*starts[1:], None]
    assert record_start_after(path, starts[1] + 1, end=starts[2]) is None  # none before ``end``
    plain = tmp_path / "plain.warc"
    plain.write_bytes(gzip.decompress(path.read_bytes()))  # every record, uncompressed
    assert record_start_after(plain, 0) is None


def test_a_file_that_is_not_a_warc_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list\n")
    with pytest.raises(NotAWarcError, match="notes.txt"):
        list(read_captures(path))


def test_writing_large_pages_holds_none_of_them_once_written(tmp_path: Path) -> None:
    """The record read back for each capture is freed at once, not by a later GC pass."""
    page = b"<html><body>" + b"<p>The council met and voted.</p>" * 30_000 + b"</body></html>"
    response = HttpResponse(200, "OK", [("Content-Type", "text/html")], page)
    with WarcFileWriter(tmp_path, {"software": "tests"}) as writer:
        writer.write_exchange("http://news.test/0", HttpRequest("GET", "/0"), response)
        gc.disable()
        tracemalloc.start()
        try:
            for n in range(1, 11):  # ten pages of 1 MB
                request = HttpRequest("GET", f"/{n}")
                writer.write_exchange(f"http://news.test/{n}", request, response)
            held, _ = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            gc.enable()
    assert held < len(page)  # not even one page left behind, with the collector off
