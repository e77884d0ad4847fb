"""clean_disclaimers: investment and affiliate disclaimers, legal and standards footers."""

from .article_pages import STORY, extract, lines, news_page

INVESTMENT = (
    "<p>Information for this story was found via Reuters, and the sources and companies"
    " mentioned. The author has no securities or affiliations related to the organizations"
    " discussed. Not a recommendation to buy or sell. Always do additional research and"
    " consult a professional before purchasing a security. The author holds no licenses.</p>"
)


def test_an_investment_disclaimer_goes_and_its_source_is_kept() -> None:
    html = news_page(INVESTMENT)
    assert "Not a recommendation" in extract(html, without=("clean_disclaimers",)).text
    article = extract(html)
    assert lines(article) == STORY
    assert "Reuters" in article.sources


def test_legal_footers_go() -> None:
    footers = (
        "<p>© 2024 The Riverside Courier. All rights reserved. This material may not be"
        " published, broadcast, rewritten or redistributed.</p>"
        "<p><em>The views expressed in this article are the author’s own and do not"
        " necessarily reflect the position of the Courier.</em></p>"
        "<p>Our Standards: The Riverside Courier Trust Principles.</p>"
    )
    html = news_page(footers)
    assert "All rights reserved" in extract(html, without=("clean_disclaimers",)).text
    assert lines(extract(html)) == STORY


def test_a_disclaimer_box_goes_by_its_class() -> None:
    box = '<div class="article-disclaimer"><p>Prices were correct at the time of writing.</p></div>'
    html = news_page(box)
    assert "Prices were correct" in extract(html, without=("clean_disclaimers",)).text
    assert lines(extract(html)) == STORY


def test_a_story_about_advice_keeps_its_sentences() -> None:
    paragraph = (
        "<p>The authority said homeowners should take advice before buying flood insurance,"
        " and that it would publish a guide in May.</p>"
    )
    assert extract(news_page(paragraph)).text.endswith("would publish a guide in May.")


def test_a_legal_sentence_in_a_paragraph_of_prose_goes_alone() -> None:
    paragraph = (
        "<p>The barrier cost 48 million pounds. The council will vote on the second phase in"
        " June. Past performance is not a guide to future returns.</p>"
    )
    article = extract(news_page(paragraph))
    assert article.text.endswith("The council will vote on the second phase in June.")
