"""Cleaners are default plugins, each switchable by name, each isolated from the others."""

import json
import uuid
from dataclasses import replace

import pytest
import sqlite_utils

from tearsheet.corpus import Corpus
from tearsheet.plugins import hookimpl
from tearsheet.plugins.manager import new_plugin_manager
from tearsheet.processing import Limits, Processor

from .article_pages import STORY, capture_of, extract, lines, news_page

CLEANERS = [
    "clean_bylines",
    "clean_captions",
    "clean_comments",
    "clean_credits",
    "clean_disclaimers",
    "clean_related",
    "clean_share",
    "clean_subscriptions",
    "clean_template",
    "record_sources",
]


def stored(capture_html: str | bytes, url: str = "https://www.riverside-courier.example/a"):
    capture = capture_of("", url)
    body = capture_html.encode() if isinstance(capture_html, str) else capture_html
    return replace(capture, body=body, warc_record_id=f"<urn:uuid:{uuid.uuid4()}>")


def test_every_cleaner_is_a_plugin_registered_under_its_name() -> None:
    names = {name for name, _ in new_plugin_manager().list_name_plugin()}
    assert set(CLEANERS) <= names


def test_blocking_a_cleaner_by_name_keeps_what_it_would_remove() -> None:
    html = news_page("<p>Leave a Reply</p>")
    assert lines(extract(html)) == STORY
    assert lines(extract(html, without=("clean_comments",))) == [*STORY, "Leave a Reply"]


class RaisingCleaner:
    @hookimpl(tryfirst=True)
    def clean_article(self, article):
        raise RuntimeError("cleaner bug")


def test_a_cleaner_that_raises_leaves_the_article_as_the_others_made_it(tmp_path) -> None:
    manager = new_plugin_manager()
    manager.register(RaisingCleaner(), name="fragile_cleaner")
    corpus = Corpus(tmp_path / "corpus.db")
    capture = stored(news_page("<p>Leave a Reply</p>"))
    assert Processor(corpus, manager).process(capture) == "article"
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    [article] = db["articles"].rows
    assert article["text"] == "\n".join(STORY)
    assert json.loads(article["authors"]) == ["Tom Hale"]
    [error] = db["errors"].rows
    assert (error["plugin"], error["hook"], error["stage"]) == (
        "fragile_cleaner",
        "clean_article",
        "clean",
    )
    assert "cleaner bug" in error["message"]


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"   \n", "empty_body"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "binary_body"),
        (news_page("<p>filler</p>" * 500).encode(), "too_large"),
    ],
)
def test_bad_input_gets_an_error_row_and_no_article(tmp_path, body: bytes, kind: str) -> None:
    corpus = Corpus(tmp_path / "corpus.db")
    processor = Processor(corpus, new_plugin_manager(), Limits(max_extract_bytes=8_000))
    assert processor.process(stored(body)) == "failed"
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    assert [row["kind"] for row in db["errors"].rows] == [kind]
    assert list(db["articles"].rows) == []


def test_an_undecodable_page_is_kept_with_an_error_row(tmp_path) -> None:
    body = news_page().encode("utf-8").replace(b"four years", b"four \xff\xfe years")
    corpus = Corpus(tmp_path / "corpus.db")
    Processor(corpus, new_plugin_manager()).process(stored(body))
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    assert [row["kind"] for row in db["errors"].rows] == ["undecodable_bytes"]
    [article] = db["articles"].rows
    assert "\ufffd" in article["text"]


def test_the_corpus_stores_editors_sources_and_canonical_url(tmp_path) -> None:
    head = '<link rel="canonical" href="/news/2024/04/22/flood-barrier-opens/">'
    html = news_page("<p>(Reporting by Kim Lowe; Editing by Pat Green)</p>", head=head).replace(
        STORY[0], STORY[0][:-1] + ", according to Reuters."
    )
    corpus = Corpus(tmp_path / "corpus.db")
    Processor(corpus, new_plugin_manager()).process(stored(html))
    [article] = sqlite_utils.Database(tmp_path / "corpus.db")["articles"].rows
    assert json.loads(article["editors"]) == ["Pat Green"]
    assert json.loads(article["sources"]) == ["Reuters"]
    assert article["canonical_url"] == (
        "https://www.riverside-courier.example/news/2024/04/22/flood-barrier-opens/"
    )
