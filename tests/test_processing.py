"""The processing path without Scrapy: captures in, corpus rows out."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from tearsheet import extract_html
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.article import Article
from tearsheet.corpus import Corpus
from tearsheet.extraction import extract_warcs
from tearsheet.plugins import hookimpl
from tearsheet.plugins.manager import new_plugin_manager
from tearsheet.processing import ExtractionError, Limits, Processor

PARAGRAPHS = [
    "The river authority opened the new flood barrier on Monday after four years of work.",
    "Engineers said the barrier would protect about twelve thousand homes in the low town.",
    "Residents who had been flooded twice in a decade watched the gates close for a test.",
]
ARTICLE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
    "<title>Flood barrier opens</title><meta name='author' content='Ada Brook'></head>"
    "<body><article><h1>Flood barrier opens</h1>"
    + "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    + "</article></body></html>"
).encode()


@pytest.fixture
def writer(tmp_path: Path):
    with WarcFileWriter(tmp_path / "warc", {"software": "tests"}) as warc_writer:
        yield warc_writer


def capture_of(writer: WarcFileWriter, path: str, body: bytes, content_type: str = "text/html"):
    return writer.write_exchange(
        f"http://news.test{path}",
        HttpRequest("GET", path, [("Host", "news.test")]),
        HttpResponse(200, "OK", [("Content-Type", content_type)], body),
    )


def rows(db_path: Path, table: str) -> list[dict]:
    return list(sqlite_utils.Database(db_path)[table].rows)


def test_an_article_is_stored_with_its_capture_and_is_searchable(tmp_path, writer) -> None:
    capture = capture_of(writer, "/flood", ARTICLE)
    corpus = Corpus(tmp_path / "corpus.db")
    assert Processor(corpus).process(capture) == "article"
    [article] = rows(tmp_path / "corpus.db", "articles")
    assert article["title"] == "Flood barrier opens"
    assert json.loads(article["authors"]) == ["Ada Brook"]
    assert all(p in article["text"] for p in PARAGRAPHS)
    assert article["capture"] == capture.warc_record_id
    [stored] = rows(tmp_path / "corpus.db", "captures")
    assert (stored["warc_file"], stored["warc_offset"]) == (capture.warc_file, capture.warc_offset)
    hits = corpus.db["articles"].search("barrier")
    assert [hit["url"] for hit in hits] == ["http://news.test/flood"]


def test_processing_the_same_capture_twice_adds_no_rows(tmp_path, writer) -> None:
    capture = capture_of(writer, "/flood", ARTICLE)
    processor = Processor(Corpus(tmp_path / "corpus.db"))
    processor.process(capture)
    processor.process(capture)
    for table in ("captures", "articles"):
        assert len(rows(tmp_path / "corpus.db", table)) == 1


def test_non_html_is_kept_as_a_capture_without_an_article(tmp_path, writer) -> None:
    capture = capture_of(writer, "/logo.png", b"\x89PNG\r\n\x1a\n", "image/png")
    assert Processor(Corpus(tmp_path / "corpus.db")).process(capture) == "skipped"
    assert len(rows(tmp_path / "corpus.db", "captures")) == 1
    assert rows(tmp_path / "corpus.db", "articles") == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"", "empty_body"),
        (b"\x00\x01\x02\x03PK\x03\x04" * 200, "binary_body"),
        (b"<html>" + b"<p>word</p>" * 2000 + b"</html>", "too_large"),
    ],
)
def test_unusable_bodies_get_an_error_row_and_no_article(tmp_path, writer, body, kind) -> None:
    capture = capture_of(writer, "/bad", body)
    processor = Processor(Corpus(tmp_path / "corpus.db"), limits=Limits(max_extract_bytes=10_000))
    assert processor.process(capture) == "failed"
    [error] = rows(tmp_path / "corpus.db", "errors")
    assert (error["kind"], error["url"], error["capture"]) == (
        kind,
        "http://news.test/bad",
        capture.warc_record_id,
    )
    assert rows(tmp_path / "corpus.db", "articles") == []


def test_undecodable_bytes_are_reported_and_the_article_kept(tmp_path, writer) -> None:
    body = ARTICLE.replace(b"four years", b"four \xff\xfe years")
    capture = capture_of(writer, "/flood", body, "text/html; charset=utf-8")
    Processor(Corpus(tmp_path / "corpus.db")).process(capture)
    [error] = rows(tmp_path / "corpus.db", "errors")
    assert error["kind"] == "undecodable_bytes"
    assert "utf-8" in error["message"]
    [article] = rows(tmp_path / "corpus.db", "articles")
    assert "\ufffd" in article["text"]


class RaisingExtractor:
    @hookimpl(tryfirst=True)
    def extract_article(self, capture):
        raise RuntimeError("site layout changed")


def test_an_extractor_that_raises_is_recorded_and_the_next_one_used(tmp_path, writer) -> None:
    manager = new_plugin_manager()
    manager.register(RaisingExtractor(), name="fragile_extractor")
    capture = capture_of(writer, "/flood", ARTICLE)
    assert Processor(Corpus(tmp_path / "corpus.db"), manager).process(capture) == "article"
    [error] = rows(tmp_path / "corpus.db", "errors")
    assert (error["plugin"], error["hook"]) == ("fragile_extractor", "extract_article")
    assert "site layout changed" in error["traceback"]


def test_a_capture_prepared_elsewhere_gives_the_rows_of_processing_it_here(
    tmp_path, writer
) -> None:
    """``extract --workers`` extracts in one task and cleans in another, pickled between."""
    manager = new_plugin_manager()
    manager.register(RaisingExtractor(), name="fragile_extractor")
    captures = [
        capture_of(writer, "/flood", ARTICLE),
        capture_of(writer, "/odd-bytes", ARTICLE.replace(b"Monday", b"Monday \xff")),
        capture_of(writer, "/binary", b"\x00\x01\x02\x03PK\x03\x04" * 200),
    ]
    here = Processor(Corpus(tmp_path / "here.db"), manager)
    outcomes = here.process_batch(captures)
    preparer = Processor(Corpus(tmp_path / "scratch.db"), manager)
    prepared = {c.warc_record_id: pickle.loads(pickle.dumps(preparer.prepare(c))) for c in captures}
    assert rows(tmp_path / "scratch.db", "errors") == []  # kept with what was prepared
    elsewhere = Processor(Corpus(tmp_path / "elsewhere.db"), manager)
    assert (
        elsewhere.process_batch(captures, prepared) == outcomes == ["article", "article", "failed"]
    )
    assert elsewhere.counts == here.counts
    for table in ("articles", "errors"):
        found = [rows(tmp_path / f"{name}.db", table) for name in ("here", "elsewhere")]
        for row in (*found[0], *found[1]):
            row.pop("at", None)
        assert found[0] == found[1]
    kinds = {(e["url"].rsplit("/", 1)[1], e["kind"]) for e in rows(tmp_path / "here.db", "errors")}
    assert {("odd-bytes", "undecodable_bytes"), ("binary", "binary_body")} <= kinds
    assert ("flood", "plugin_error") in kinds


class TitleReader:
    """An exporter that reads the parsed page."""

    def __init__(self) -> None:
        self.titles: list[str | None] = []

    @hookimpl
    def export_article(self, article, capture, corpus) -> None:
        self.titles.append(capture.page.findtext(".//title"))


class TreeCountingProcessor(Processor):
    """Counts, at each extraction, the other pages of the batch still holding a parsed tree."""

    batch: list
    others_parsed: list[int]

    def _extract(self, capture, prepared=None):
        parsed = [other for other in self.batch if other is not capture and "page" in vars(other)]
        self.others_parsed.append(len(parsed))
        return super()._extract(capture, prepared)


def test_a_batch_frees_each_parsed_page_and_exporters_still_read_it(tmp_path, writer) -> None:
    reader = TitleReader()
    manager = new_plugin_manager()
    manager.register(reader, name="title_reader")
    processor = TreeCountingProcessor(Corpus(tmp_path / "corpus.db"), manager)
    processor.batch = [capture_of(writer, f"/flood-{n}", ARTICLE) for n in range(3)]
    processor.others_parsed = []
    assert processor.process_batch(processor.batch) == ["article"] * 3
    assert processor.others_parsed == [0, 0, 0]  # one page's tree in memory at a time
    assert reader.titles == ["Flood barrier opens"] * 3  # parsed again for the exporter


def test_extract_rebuilds_the_same_rows_and_reruns_add_nothing(tmp_path, writer) -> None:
    live = Processor(Corpus(tmp_path / "live.db"))
    for n in range(3):
        live.process(
            capture_of(writer, f"/story-{n}", ARTICLE.replace(b"Monday", f"day {n}".encode()))
        )
    writer.close()
    for _ in range(2):
        report = extract_warcs([tmp_path / "warc"], tmp_path / "rebuilt.db")
        assert report.ok and report.counts["article"] == 3
    for table in ("captures", "articles"):
        assert rows(tmp_path / "rebuilt.db", table) == rows(tmp_path / "live.db", table)


def test_extract_skips_a_file_that_is_not_a_warc_and_names_it(tmp_path, writer) -> None:
    capture_of(writer, "/flood", ARTICLE)
    writer.close()
    stray = tmp_path / "warc" / "notes.warc.gz"
    stray.write_bytes(b"not a warc at all\n")
    report = extract_warcs([tmp_path / "warc"], tmp_path / "corpus.db")
    assert not report.ok
    assert [p.warc_file for p in report.problems] == ["notes.warc.gz"]
    assert report.counts["article"] == 1
    [error] = rows(tmp_path / "corpus.db", "errors")
    assert error["kind"] == "unreadable_warc" and "notes.warc.gz" in error["message"]


def test_extract_html_needs_no_network_and_no_corpus() -> None:
    article = extract_html(ARTICLE, "http://news.test/flood")
    assert article.title == "Flood barrier opens"
    assert article.url == "http://news.test/flood"
    assert all(p in article.text for p in PARAGRAPHS)
    with pytest.raises(ExtractionError):
        extract_html(b"   ")


def test_importing_tearsheet_and_extracting_load_no_scrapy_or_twisted() -> None:
    code = (
        "import sys, tearsheet\n"
        "assert 'trafilatura' not in sys.modules\n"
        "page = '<html><body><p>' + 'A sentence about rain. ' * 20 + '</p></body></html>'\n"
        "tearsheet.extract_html(page)\n"
        "print(sorted(m for m in ('scrapy', 'twisted') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


class UnpicklableArticle(Article):
    """An article a plugin made with something pickle cannot carry."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.callback = lambda: None


class UnpicklableExtractor:
    @hookimpl(tryfirst=True)
    def extract_article(self, capture):
        return UnpicklableArticle(url=capture.url, text="\n".join(PARAGRAPHS), title="Kept anyway")


def test_an_article_that_cannot_be_kept_between_passes_is_extracted_again(tmp_path, writer) -> None:
    manager = new_plugin_manager()
    manager.register(UnpicklableExtractor(), name="unpicklable_extractor")
    capture_of(writer, "/flood", ARTICLE)
    writer.close()
    report = extract_warcs([tmp_path / "warc"], tmp_path / "rebuilt.db", manager=manager)
    assert report.ok and report.counts["article"] == 1
    [article] = rows(tmp_path / "rebuilt.db", "articles")
    assert article["title"] == "Kept anyway"
    assert rows(tmp_path / "rebuilt.db", "errors") == []
