"""clean_comments: comment sections, comment forms and their counters."""

import pytest

from tearsheet.article import Article, Block
from tearsheet.cleaning.comments import clean_article

from .article_pages import STORY, URL, extract, lines, news_page

# Comment sections seen through the extractor: its output lines with the
# classes of the elements they came from, as the extractor records them.
COMMENT_CONTEXTS = [
    "div.comments-area#comments ol.comment-list li.comment div.comment-content p",
    "div.comment-respond#respond form.comment-form#commentform p.comment-notes",
    "div#disqus_thread p",
]

LEAKED_FORM = (
    "<p>Leave a Reply</p>"
    "<p>Your email address will not be published. Required fields are marked *</p>"
)
# A regional portal's template: the counters sit inside the story's own box,
# with class names in another language, so only their words give them away.
PORTAL_COUNTERS = """
<div class="arama-baslik">Search For Keyword.</div>
<p class="yorum-sayisi">Total Comments (0)</p>
<h3 class="yorum-baslik">Comments About This Article</h3>
<div class="yorum-not">Please fill the fields below.</div>
<div class="kod-not">*code confirming note</div>"""


def test_a_leaked_wordpress_comment_form_goes() -> None:
    html = news_page(LEAKED_FORM)
    assert "Leave a Reply" in extract(html, without=("clean_comments",)).text
    assert lines(extract(html)) == STORY


@pytest.mark.parametrize("context", COMMENT_CONTEXTS)
def test_lines_from_a_comment_section_go_whatever_their_words(context: str) -> None:
    reader = Block("About time too. My street flooded every other winter.", context=context)
    article = Article(URL, "").set_blocks([*map(Block, STORY), reader])
    assert lines(clean_article(article)) == STORY


def test_a_comment_heading_near_the_end_takes_the_comments_after_it() -> None:
    thread = ["3 Comments", "Dave R", "About time too.", "Jo P", "Well done all."]
    article = Article(URL, "").set_blocks(map(Block, [*STORY, *thread]))
    assert lines(clean_article(article)) == STORY


def test_comment_counters_and_form_labels_go_by_their_words() -> None:
    html = news_page(PORTAL_COUNTERS)
    assert "Total Comments (0)" in extract(html, without=("clean_comments",)).text
    assert lines(extract(html)) == STORY


def test_an_invitation_to_write_in_goes() -> None:
    note = (
        "<p><em>The Courier is committed to publishing a range of letters. We’d like to hear"
        " what you think about this or any of our articles.</em></p>"
    )
    assert lines(extract(news_page(note))) == STORY


def test_the_word_comment_in_the_story_is_not_a_comment_section() -> None:
    paragraph = "<p>The authority declined to comment on the cost of the upstream barrier.</p>"
    article = extract(news_page(paragraph))
    assert article.text.endswith("declined to comment on the cost of the upstream barrier.")
