"""clean_subscriptions: newsletter, subscription and sign-up prompts."""

from tearsheet.article import Article, Block
from tearsheet.cleaning.subscriptions import clean_article

from .article_pages import STORY, URL, extract, lines, news_page

# A sports site's newsletter box, as the extractor let it through: the
# lines have ordinary words, the box's classes say what it is.
NEWSLETTER_BOX = [
    Block(
        "Matchday Newsletter",
        "heading",
        "section.newsletter-container div.newsletter#newsletter h3.newsletter-title--small",
    ),
    Block(
        "Get the day's big stories + fun stuff you love like mock drafts and power rankings.",
        "heading",
        "section.newsletter-container div.newsletter#newsletter h4.newsletter-description--small",
    ),
]


def test_a_newsletter_box_goes_by_its_classes() -> None:
    article = Article(URL, "").set_blocks([*map(Block, STORY), *NEWSLETTER_BOX])
    assert lines(clean_article(article)) == STORY


def test_sign_up_prompts_go_by_their_words() -> None:
    prompts = (
        "<p>Get the latest updates right in your inbox. Subscribe to the Courier’s newsletters.</p>"
        "<p>Already a subscriber? Log in to keep reading.</p>"
        "<p><strong>The Morning Newsletter</strong></p>"
    )
    html = news_page(prompts)
    assert "in your inbox" in extract(html, without=("clean_subscriptions",)).text
    assert lines(extract(html)) == STORY


def test_a_story_about_subscribers_is_kept() -> None:
    paragraph = (
        "<p>The water company said 4,000 customers had signed up for its flood alert service"
        " since January, and that more would be invited to subscribe once the barrier opens.</p>"
    )
    assert "signed up for its flood alert" in extract(news_page(paragraph)).text
