"""``tearsheet index``: the CDXJ lines webrecorder's cdxj-indexer writes, and broken files named."""

import io
import json
from pathlib import Path

import pytest
from conftest import run_tearsheet

from tearsheet.archive import cdxj
from tearsheet.archive.cdxj import write_index

from .conftest import cdxj_indexer, record_offsets, write_warc

PAGES = {f"http://news.test/story/{n}": f"<p>Story {n}</p>".encode() * 40 for n in range(3)}


def index_entries(text: str) -> dict[str, dict]:
    """The index's records by URL path."""
    entries = (json.loads(line.split(" ", 2)[2]) for line in text.splitlines())
    return {"/" + entry["url"].split("/", 3)[3]: entry for entry in entries}


@pytest.mark.slow
def test_the_index_of_an_archive_is_what_cdxj_indexer_writes(crawled_site) -> None:
    warcs = sorted((crawled_site.archive / "warc").iterdir())
    result = run_tearsheet("index", str(crawled_site.archive))
    assert result.returncode == 0, result.stderr
    index = crawled_site.archive / "indexes" / "index.cdxj"
    assert index.read_text() == cdxj_indexer(*warcs)
    statuses = {path: entry["status"] for path, entry in index_entries(index.read_text()).items()}
    assert statuses == {
        "/robots.txt": "404",
        "/": "200",
        "/world/rockets": "200",
        "/city/budget": "200",
        "/gone": "404",
    }
    assert len(warcs) > 1


@pytest.mark.slow
def test_the_index_of_warc_files_goes_to_standard_output(crawled_site) -> None:
    warcs = sorted((crawled_site.archive / "warc").iterdir())
    result = run_tearsheet("index", *map(str, warcs))
    assert result.returncode == 0, result.stderr
    assert result.stdout == cdxj_indexer(*warcs)
    assert run_tearsheet("index", str(crawled_site.archive), "-o", "-").stdout == result.stdout


def test_broken_files_are_named_with_an_offset_and_their_readable_records_indexed(
    tmp_path: Path,
) -> None:
    whole = tmp_path / "whole" / "news.warc.gz"
    write_warc(whole, PAGES)
    data = whole.read_bytes()
    first, second, third = record_offsets(whole)
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(data[:-30])
    corrupt = tmp_path / "corrupt.warc.gz"
    corrupt.write_bytes(data[:second] + b"GARBAGE IN THE MIDDLE\r\n" + data[second:])
    notes = tmp_path / "notes.warc"
    notes.write_text("shopping list\n")
    out = tmp_path / "index.cdxj"

    result = run_tearsheet("index", str(truncated), str(corrupt), str(notes), "-o", str(out))

    assert result.returncode == 1
    problems = [line for line in result.stderr.splitlines() if line.startswith("tearsheet:")]
    assert problems == [
        f"tearsheet: {truncated}: record at offset {third} is cut short (the file ends inside it)",
        f"tearsheet: {corrupt}: no readable WARC record at offset {second}: "
        "Unknown archive format, first line: ['GARBAGE', 'IN', 'THE', 'MIDDLE']",
        f"tearsheet: {notes}: not a WARC or ARC file",
    ]
    # The readable records are indexed exactly as their intact prefix would be.
    (tmp_path / "prefix").mkdir()
    readable = [(truncated, third), (corrupt, second)]
    for path, end in readable:
        (tmp_path / "prefix" / path.name).write_bytes(path.read_bytes()[:end])
    expected = cdxj_indexer(*(tmp_path / "prefix" / path.name for path, _ in readable))
    assert out.read_text() == expected
    assert len(expected.splitlines()) == 3 and first == 0


def test_the_index_file_is_replaced_whole_or_not_at_all(tmp_path: Path, monkeypatch) -> None:
    write_warc(tmp_path / "archive" / "warc" / "news.warc.gz", PAGES)
    out = tmp_path / "archive" / "indexes" / "index.cdxj"
    out.parent.mkdir()
    out.write_text("the previous index\n")

    def interrupted(paths: object, stream: io.TextIOBase) -> None:
        stream.write("half a line")
        raise KeyboardInterrupt

    monkeypatch.setattr(cdxj, "index_warcs", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_index([tmp_path / "archive"], out)
    assert out.read_text() == "the previous index\n"
    assert list(out.parent.iterdir()) == [out]


def test_an_archive_directory_gets_its_index_inside(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    write_warc(archive / "warc" / "news.warc.gz", PAGES)
    result = run_tearsheet("index", str(archive))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert (archive / "indexes" / "index.cdxj").read_text() == cdxj_indexer(
        archive / "warc" / "news.warc.gz"
    )
    assert "Indexed 1 WARC files" in result.stderr and "3 records" in result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["index"], "Missing argument 'PATHS...'"),
        (["index", "empty"], "no WARC files in"),
        (["index", "no-such.warc.gz"], "does not exist"),
    ],
)
def test_wrong_use_exits_2_with_a_one_line_reason(tmp_path: Path, args, reason) -> None:
    (tmp_path / "empty").mkdir()
    args = [str(tmp_path / a) if a in ("empty", "no-such.warc.gz") else a for a in args]
    result = run_tearsheet(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tearsheet: ") and reason in lines[0]
