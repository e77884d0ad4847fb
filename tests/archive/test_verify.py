"""`tearsheet verify` finds what is wrong, and the writer repairs what a crash left."""

import gzip
import io
import logging
from pathlib import Path

from conftest import run_tearsheet
from warcio.warcwriter import WARCWriter

from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import read_captures
from tearsheet.archive.verify import verify_file
from tearsheet.archive.writer import WarcFileWriter

BODY = b"<html><body><p>The lighthouse keeper retired after forty years.</p></body></html>"


def write(directory: Path, count: int) -> list:
    with WarcFileWriter(directory, {"software": "tests"}) as writer:
        return [
            writer.write_exchange(
                f"http://news.test/{n}",
                HttpRequest("GET", f"/{n}", [("Host", "news.test")]),
                HttpResponse(200, "OK", [("Content-Type", "text/html")], BODY + bytes([65 + n])),
            )
            for n in range(count)
        ]


def test_a_sound_archive_verifies(tmp_path: Path) -> None:
    write(tmp_path / "warc", 3)
    result = run_tearsheet("verify", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert "7 records in 1 files checked: 0 problems." in result.stderr  # warcinfo + 3 pairs


def test_a_flipped_byte_is_named_by_file_offset_and_record(tmp_path: Path) -> None:
    captures = write(tmp_path, 2)
    plain = tmp_path / "plain.warc"
    data = bytearray(gzip.decompress((tmp_path / captures[0].warc_file).read_bytes()))
    where = data.index(b"lighthouse keeper retired")
    data[where] ^= 0x20
    plain.write_bytes(bytes(data))
    record_start = data.rindex(b"WARC/1.1", 0, where)
    result = run_tearsheet("verify", str(plain))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith(f"plain.warc:{record_start} <urn:uuid:") for line in lines)
    assert any("block digest" in line for line in lines)
    assert any("payload digest" in line for line in lines)


def test_a_foreign_file_cut_short_is_reported_with_its_offset(tmp_path: Path) -> None:
    captures = write(tmp_path / "warc", 3)
    source = tmp_path / "warc" / captures[0].warc_file
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(source.read_bytes()[: captures[2].warc_offset + 40])
    report = verify_file(cut)
    assert report.truncated_at == captures[2].warc_offset
    [problem] = report.problems
    assert problem.offset == captures[2].warc_offset
    assert "truncated record" in problem.message
    assert source.read_bytes()[: captures[2].warc_offset] == cut.read_bytes()[: report.whole_end]


def test_not_a_warc_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    stray = tmp_path / "notes.warc"
    stray.write_text("dear diary\r\n\r\n")
    result = run_tearsheet("verify", str(stray))
    assert result.returncode == 1
    assert "notes.warc:0: not a WARC record: 'dear diary'" in result.stdout


def test_the_writer_cuts_a_half_written_record_and_moves_on(tmp_path: Path, caplog) -> None:
    directory = tmp_path / "warc"
    captures = write(directory, 3)
    [path] = sorted(directory.iterdir())
    whole = path.read_bytes()
    with path.open("ab") as stream:  # a crash in the middle of the next record
        stream.write(gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" + bytes(500))[:60])
    assert verify_file(path).truncated_at == len(whole)

    with caplog.at_level(logging.WARNING), WarcFileWriter(directory, {"software": "t"}) as writer:
        writer.write_exchange(
            "http://news.test/after",
            HttpRequest("GET", "/after", [("Host", "news.test")]),
            HttpResponse(200, "OK", [("Content-Type", "text/html")], BODY),
        )
    assert path.read_bytes() == whole
    assert f"offset {len(whole)}" in caplog.text
    files = sorted(directory.iterdir())
    assert len(files) == 2
    assert all(not verify_file(f).problems for f in files)
    assert list(read_captures(path)) == captures


def test_the_writer_leaves_a_foreign_file_alone(tmp_path: Path) -> None:
    directory = tmp_path / "warc"
    write(directory, 1)
    foreign = directory / "other-tool.warc.gz"
    damaged = gzip.compress(b"WARC/1.1\r\n")[:10]
    foreign.write_bytes(damaged)
    WarcFileWriter(directory, {"software": "t"}).close()
    assert foreign.read_bytes() == damaged


def test_verify_accepts_both_payload_digest_conventions_for_chunked_bodies(
    tmp_path: Path,
) -> None:
    """Ours digests the de-chunked entity (WARC/1.1); warcio and wget digest the framing."""
    body = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
    with WarcFileWriter(tmp_path / "ours", {"software": "t"}) as writer:
        writer.write_exchange(
            "http://news.test/c",
            HttpRequest("GET", "/c", [("Host", "news.test")]),
            HttpResponse.from_wire(head + body),
        )
    [ours] = sorted((tmp_path / "ours").iterdir())
    theirs = tmp_path / "warcio.warc.gz"
    with theirs.open("wb") as stream:
        warcio_writer = WARCWriter(stream, gzip=True)
        warcio_writer.write_record(
            warcio_writer.create_warc_record(
                "http://news.test/c", "response", payload=io.BytesIO(head + body)
            )
        )
    assert verify_file(ours).problems == []
    assert verify_file(theirs).problems == []
    assert verify_file(ours).records == 3 and verify_file(theirs).records == 1
