"""clean_related: "Related", "Read more" and "You may also like" lists."""

from tearsheet.article import Article, Block
from tearsheet.cleaning.related import clean_article

from .article_pages import STORY, URL, extract, lines, news_page


def test_inline_related_links_go() -> None:
    inline = (
        '<p><strong>Related:</strong> <a href="/news/2024/03/barrier-delay/">Barrier delayed'
        " again as costs rise</a></p>"
        '<p>READ MORE: <a href="/news/2023/flood-map/">The streets most at risk</a></p>'
    )
    html = news_page(inline)
    assert "Barrier delayed again" in extract(html, without=("clean_related",)).text
    assert lines(extract(html)) == STORY


def test_a_related_posts_box_goes_by_its_classes() -> None:
    box = [
        Block(
            "Related", "heading", "div.jp-relatedposts#jp-relatedposts h3.jp-relatedposts-headline"
        ),
        Block(
            "Council approves barrier budget",
            "heading",
            "div.jp-relatedposts div.jp-relatedposts-post h4",
        ),
    ]
    article = Article(URL, "").set_blocks([*map(Block, STORY), *box])
    assert lines(clean_article(article)) == STORY


def test_a_heading_starts_a_list_of_headlines() -> None:
    listing = (
        "<h3>You may also like</h3><ul><li>Mill Lane bridge to close for repairs</li>"
        "<li>River festival returns in June</li></ul>"
    )
    html = news_page(listing)
    assert "River festival" in extract(html, without=("clean_related",)).text
    assert lines(extract(html)) == STORY


def test_linked_headlines_after_a_lead_in_go() -> None:
    items = [
        Block(f"- {title}", "item", "ul li a", links=1.0)
        for title in ("Bridge closes", "Fair returns")
    ]
    lead_in = Block("Related: Barrier delayed again as costs rise", links=0.8)
    article = Article(URL, "").set_blocks(
        [*map(Block, STORY[:3]), lead_in, *items, *map(Block, STORY[3:])]
    )
    assert lines(clean_article(article)) == STORY


def test_a_sentence_that_starts_with_more_is_kept() -> None:
    paragraph = "<p>More than 300 people came to watch the gates close for the first time.</p>"
    assert "More than 300 people" in extract(news_page(paragraph)).text
