"""Site-template learning (tearsheet.boilerplate) and the clean_template cleaner."""

import sqlite3
import threading
import uuid
from dataclasses import replace

import sqlite_utils

from tearsheet.archive.capture import parse_html
from tearsheet.archive.exchange import HttpRequest, HttpResponse
from tearsheet.archive.reader import PayloadIndex
from tearsheet.archive.writer import WarcFileWriter
from tearsheet.boilerplate import (
    MIN_PAGES,
    count_kept_pages,
    create_kept_tables,
    keep_page,
    learn_capture,
    learn_page,
    learned_blocks,
    normalise,
    page_blocks,
    site_of,
    walk_page,
)
from tearsheet.corpus import Corpus
from tearsheet.extraction import ExtractReport, extract_file, learn_all
from tearsheet.merge import attached
from tearsheet.plugins.manager import new_plugin_manager
from tearsheet.processing import Processor

from .article_pages import STORY, capture_of, news_page

HOUSE_LINE = "The Riverside Courier has served the valley and its towns since 1887."
QUOTE = (
    "“We have waited a long time for this, and it is good to see it working,” said Maria Okafor."
)
OTHER_STORIES = [
    [
        f"Story {n}: the council met on Tuesday to discuss item {n} of its spring agenda.",
        f"Councillors voted to delay item {n} until the summer, citing the cost of the barrier.",
        "Residents at the meeting asked why the decision had taken so long to reach a vote.",
    ]
    for n in range(1, 6)
]


def captured(html: str, url: str):
    return replace(capture_of(html, url), warc_record_id=f"<urn:uuid:{uuid.uuid4()}>")


def test_a_site_is_scheme_host_and_port_in_lower_case() -> None:
    assert site_of("HTTPS://News.Example.COM:8443/a/b?c") == "https://news.example.com:8443"
    assert site_of("http://news.example/") == "http://news.example"


def test_page_blocks_are_lines_with_their_place_in_the_layout() -> None:
    html = news_page(
        "<p>Short one</p><p>A <a href='/x'>linked</a> <b>word</b> stays in its line.</p>"
        "<script>var tracking = 'not a line of text at all';</script>"
    )
    blocks = page_blocks(html)
    assert ("main.site-main#main article.post div.entry-content p", normalise(STORY[0])) in blocks
    assert any(text == "a linked word stays in its line" for _, text in blocks)
    assert not any("short one" in text or "tracking" in text for _, text in blocks)


def test_one_walk_gives_the_template_lines_and_the_text_line_origins_read() -> None:
    """Learning and extraction share the walk; an SVG picture's words are text, not template."""
    page = parse_html(
        news_page(
            "<p>Share <svg><text>the share icon drawn here</text></svg> this story now</p>"
            "<!-- a comment with words in it --><p>After the comment, <i>three</i> more words.</p>"
        )
    )
    walk = walk_page(page)
    assert "theshareicondrawnhere" in walk.text  # white space is left out of the page text
    assert "acommentwithwords" not in walk.text
    assert any(text == "this story now" for _, text in walk.blocks)  # the picture breaks the line
    assert not any("icon" in text or "comment with" in text for _, text in walk.blocks)
    assert walk.blocks == page_blocks(page)


def test_a_block_counts_once_per_page(tmp_path) -> None:
    db = sqlite_utils.Database(tmp_path / "corpus.db")
    block = ("div p", "the same words on every page")
    site = "https://news.example"
    for n in range(MIN_PAGES - 1):
        assert learn_page(db, site, f"{site}/{n}", [block, block])
    assert not learn_page(db, site, f"{site}/0", [block])
    assert learned_blocks(db, site) == set()
    assert learn_page(db, site, f"{site}/last", [block])
    assert learned_blocks(db, site) == {block}
    assert learned_blocks(db, "https://other.example") == set()


def test_pages_kept_elsewhere_count_as_learning_each_here_would(tmp_path) -> None:
    """How extract's parent counts the pages its workers walked: the same tables, whole."""
    common, rare = ("div p", "the same words on every page"), ("div p", "words of one page")
    site, other = "https://news.example", "https://other.example"
    counted_already = [(site, f"{site}/0", {common})]
    kept = [(site, f"{site}/0", {common, rare})]  # counted already: not again
    kept += [(site, f"{site}/{n}", {common}) for n in range(1, MIN_PAGES + 1)]
    kept += [(other, f"{other}/1", {common}), (site, f"{site}/blank", set())]

    one_by_one = sqlite_utils.Database(tmp_path / "one.db")
    for page in counted_already + kept:
        learn_page(one_by_one, *page)
    together = sqlite_utils.Database(tmp_path / "together.db")
    for page in counted_already:
        learn_page(together, *page)
    shard = sqlite3.connect(tmp_path / "shard.db")
    create_kept_tables(shard)
    for page in kept:
        keep_page(shard, *page)
    shard.commit()
    shard.close()
    with attached(together, tmp_path / "shard.db") as name, together.conn:
        count_kept_pages(together, name)

    assert learned_blocks(together, site) == {common}
    assert learned_blocks(together, other) == set()
    for table in ("boilerplate", "boilerplate_counts", "boilerplate_pages"):
        assert list(together[table].rows) == list(one_by_one[table].rows), table


def _site_pages(host: str, stories: list[list[str]], extra: str = "") -> list:
    return [
        captured(news_page(extra, paragraphs=paragraphs), f"https://{host}/news/{n}/")
        for n, paragraphs in enumerate(stories)
    ]


def _processed(tmp_path, captures: list) -> dict[str, str]:
    corpus = Corpus(tmp_path / "corpus.db")
    for capture in captures:
        learn_capture(corpus.db, capture)
    processor = Processor(corpus, new_plugin_manager())
    for capture in captures:
        processor.process(capture)
    rows = sqlite_utils.Database(tmp_path / "corpus.db")["articles"].rows
    return {row["url"]: row["text"] for row in rows}


def test_a_block_repeated_across_a_sites_articles_is_removed(tmp_path) -> None:
    pages = _site_pages(
        "www.riverside-courier.example", [STORY, *OTHER_STORIES[:2]], f"<p>{HOUSE_LINE}</p>"
    )
    texts = _processed(tmp_path, pages)
    assert len(texts) == 3
    assert all(HOUSE_LINE not in text for text in texts.values())
    assert texts[pages[0].url] == "\n".join(STORY)


def test_a_quote_carried_by_several_outlets_is_kept(tmp_path) -> None:
    hosts = ["www.riverside-courier.example", "valley-news.example", "www.county-post.example"]
    pages = [
        captured(news_page(paragraphs=[*OTHER_STORIES[n], QUOTE]), f"https://{host}/story/")
        for n, host in enumerate(hosts)
    ]
    texts = _processed(tmp_path, pages)
    assert len(texts) == 3
    assert all(text.endswith(QUOTE) for text in texts.values())


def test_a_lead_repeated_as_a_teaser_on_other_pages_is_kept(tmp_path) -> None:
    teaser = f'<aside class="latest"><h2>Latest</h2><ul><li><p>{STORY[0]}</p></li></ul></aside>'
    story = captured(news_page(paragraphs=STORY), "https://www.riverside-courier.example/barrier/")
    others = _site_pages("www.riverside-courier.example", OTHER_STORIES[:4])
    others = [
        replace(page, body=page.body.replace(b"</main>", teaser.encode() + b"</main>"))
        for page in others
    ]
    texts = _processed(tmp_path, [story, *others])
    assert texts[story.url] == "\n".join(STORY)
    learned = learned_blocks(Corpus(tmp_path / "corpus.db").db, site_of(story.url))
    assert ("main.site-main#main aside.latest ul li p", normalise(STORY[0])) in learned


def test_without_a_corpus_nothing_is_learned_or_removed() -> None:
    from tearsheet.processing import extract_html

    html = news_page(f"<p>{HOUSE_LINE}</p>")
    assert extract_html(html, "https://www.riverside-courier.example/x").text.endswith(HOUSE_LINE)


def test_extract_learns_every_page_before_cleaning_though_the_corpus_was_busy(tmp_path) -> None:
    """Counts kept while another process wrote (write_soon) are in before the first article."""
    pages = _site_pages(
        "www.riverside-courier.example", [STORY, *OTHER_STORIES[:2]], f"<p>{HOUSE_LINE}</p>"
    )
    with WarcFileWriter(tmp_path / "warc", {"software": "tests"}) as writer:
        for page in pages:
            path = page.url.split(".example", 1)[1]
            writer.write_exchange(
                page.url,
                HttpRequest("GET", path, [("Host", "www.riverside-courier.example")]),
                HttpResponse(200, "OK", [("Content-Type", "text/html")], page.body),
            )
    [warc] = (tmp_path / "warc").iterdir()
    corpus = Corpus(tmp_path / "corpus.db")
    processor = Processor(corpus, new_plugin_manager())
    other = sqlite3.connect(corpus.path, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("begin immediate")  # another process writing while the pages are learned
    release = threading.Timer(1.0, other.execute, ["commit"])
    release.start()
    try:
        learn_all([warc], processor)
    finally:
        release.join()
        other.close()
    site = site_of(pages[0].url)
    learned = learned_blocks(sqlite_utils.Database(corpus.path), site)  # as another reader sees
    assert any(block == normalise(HOUSE_LINE) for _, block in learned)
    extract_file(warc, processor, ExtractReport(), PayloadIndex())
    texts = {row["url"]: row["text"] for row in corpus.db["articles"].rows}
    assert len(texts) == 3
    assert all(HOUSE_LINE not in text for text in texts.values())
