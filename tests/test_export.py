"""`tearsheet export`: articles out as JSON Lines, CSV or Parquet, filtered, round-tripping."""

import csv
import io
import json
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet

from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.corpus import Corpus
from tearsheet.processing import Processor

STORIES = {
    "harbour": ("Harbour budget approved", "The harbour board approved its budget on Monday."),
    "ferry": ("Ferry times change", "The island ferry will sail earlier from June onwards."),
    "school": ("School roof repaired", "Builders finished the primary school roof on Friday."),
}


def page(title: str, sentence: str, site: str) -> bytes:
    return (
        f"<html lang='en'><head><title>{title}</title>"
        "<meta property='og:type' content='article'>"
        f"<meta property='og:site_name' content='{site}'>"
        f"<meta property='article:published_time' content='2024-04-2{len(title) % 8}'>"
        f"</head><body><article><h1>{title}</h1>"
        + f"<p>{sentence} It was a long meeting, with many questions from the public.</p>" * 3
        + "</article></body></html>"
    ).encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("export")
    corpus = Corpus(directory / "corpus.db")
    processor = Processor(corpus)
    with WarcFileWriter(directory / "warc", {"software": "tests"}) as writer:
        for n, (slug, (title, sentence)) in enumerate(STORIES.items()):
            site = "Quay News" if n < 2 else "Hill Gazette"
            path = f"/2024/04/2{n}/{slug}-story-of-the-day"
            processor.process(
                writer.write_exchange(
                    f"http://news.test{path}",
                    HttpRequest("GET", path, [("Host", "news.test")]),
                    HttpResponse(
                        200, "OK", [("Content-Type", "text/html")], page(title, sentence, site)
                    ),
                )
            )
    corpus.close()
    return directory


def stored(archive: Path) -> dict[str, str]:
    return {
        r["url"]: r["text"] for r in sqlite_utils.Database(archive / "corpus.db")["articles"].rows
    }


def test_jsonl_round_trips_to_the_same_article_texts(archive: Path) -> None:
    result = run_tearsheet("export", str(archive))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {row["url"]: row["text"] for row in rows} == stored(archive)
    assert all(isinstance(row["authors"], list) and row["fetched_at"] for row in rows)


def test_csv_with_filters(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "quay.csv"
    result = run_tearsheet(
        "export", str(archive), "-f", "csv", "-o", str(out), "--site", "Quay News"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert sorted(row["title"] for row in rows) == ["Ferry times change", "Harbour budget approved"]
    searched = run_tearsheet("export", str(archive), "--search", "roof")
    assert [json.loads(line)["title"] for line in searched.stdout.splitlines()] == [
        "School roof repaired"
    ]


def test_parquet(archive: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "articles.parquet"
    assert run_tearsheet("export", str(archive), "-f", "parquet", "-o", str(out)).returncode == 0
    table = pq.read_table(out).to_pylist()
    assert {row["url"]: row["text"] for row in table} == stored(archive)


@pytest.mark.parametrize(
    ("args", "reason"),
    [(["-f", "xml"], "unknown format 'xml'"), (["--search", '"unbalanced'], "cannot export")],
)
def test_bad_export_requests_exit_2_with_one_line(archive: Path, args, reason) -> None:
    result = run_tearsheet("export", str(archive), *args)
    assert result.returncode == 2
    assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_archive_without_a_corpus_points_at_extract(tmp_path: Path) -> None:
    result = run_tearsheet("export", str(tmp_path))
    assert result.returncode == 2 and "tearsheet extract" in result.stderr
