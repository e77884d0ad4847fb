"""clean_share: share, like and follow widgets and their counts."""

import pytest

from tearsheet.article import Article, Block
from tearsheet.cleaning.share import clean_article

from .article_pages import STORY, URL, extract, lines, news_page

SHARE_CONTEXTS = [
    "div.sharedaddy div.robots-nocontent div.sd-content ul li a span",
    "div.article-tools ul.social-links li",
    "div.c-social-buttons",
]


def test_a_share_prompt_in_the_article_body_goes() -> None:
    html = news_page("<h4>Share this:</h4><p>Share on Facebook, Twitter, Email</p>")
    assert "Share this:" in extract(html, without=("clean_share",)).text
    assert lines(extract(html)) == STORY


@pytest.mark.parametrize("context", SHARE_CONTEXTS)
def test_lines_from_a_share_widget_go_whatever_their_words(context: str) -> None:
    widget = Block("Spread the word", context=context)
    article = Article(URL, "").set_blocks([*map(Block, STORY), widget])
    assert lines(clean_article(article)) == STORY


def test_share_and_like_counts_go() -> None:
    counts = (
        '<p class="paylas-begen"><span title="Shares">(16)</span>&nbsp;&nbsp;&nbsp;'
        ' <span title="Likes">(15)</span></p><p>1.2K Shares</p>'
    )
    html = news_page(counts)
    assert "(16)" in extract(html, without=("clean_share",)).text
    assert lines(extract(html)) == STORY


def test_prompts_to_share_or_follow_go() -> None:
    prompts = (
        "<p><strong><em>Like this story? Share it with a friend!</em></strong></p>"
        "<p>Follow The Riverside Courier on Instagram, Facebook, Twitter and YouTube.</p>"
    )
    html = news_page(prompts)
    assert "Share it with a friend" in extract(html, without=("clean_share",)).text
    assert lines(extract(html)) == STORY


def test_a_closing_author_note_that_asks_to_follow_goes() -> None:
    note = (
        "<p>Tom Hale has covered the river for ten years. His book on the 2019 flood is out now."
        " Follow him on Twitter @tomhale.</p>"
    )
    assert lines(extract(news_page(note))) == STORY


def test_numbers_in_a_table_row_are_not_counters() -> None:
    table = (
        "<table><tr><th>Year</th><th>Homes flooded</th></tr>"
        "<tr><td>2010</td><td>340</td></tr><tr><td>2019</td><td>512</td></tr></table>"
    )
    assert "| 2019 | 512 |" in lines(extract(news_page(table)))
