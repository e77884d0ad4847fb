"""record_sources: attributions stay in the text and are recorded as cited sources."""

import pytest

from tearsheet.cleaning.sources import cited_names

from .article_pages import STORY, extract, news_page


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("At least five rockets were fired, according to Reuters.", ["Reuters"]),
        ("A US official told the Reuters news agency no one was hurt.", ["Reuters"]),
        (
            "The figures, first reported by The Wall Street Journal, were denied.",
            ["The Wall Street Journal"],
        ),
        ("Bloomberg News reported on Friday that the deal was off.", ["Bloomberg News"]),
        ("The story was found via Reuters and other wires.", ["Reuters"]),
        (
            "According to a statement from the Iraqi Security Media Cell, forces searched.",
            ["Iraqi Security Media Cell"],
        ),
        ("HAYWARD, Calif. (AP) — A man was stabbed on a train.", ["AP"]),
        ("Five rockets were fired, according to U.S. officials.", []),
        ("According to two security sources, the truck was seized.", []),
        ("He reported the damage to the council.", []),
    ],
)
def test_cited_names(sentence: str, names: list[str]) -> None:
    assert cited_names(sentence) == names


def test_attributions_stay_in_the_text_and_fill_sources() -> None:
    paragraphs = [*STORY, "The barrier was first proposed in 2015, according to the BBC."]
    article = extract(news_page(paragraphs=paragraphs))
    assert article.text.endswith("according to the BBC.")
    assert article.sources == ["BBC"]


def test_the_site_citing_itself_is_not_a_source() -> None:
    paragraphs = [*STORY, "The figures were first reported by The Riverside Courier."]
    assert extract(news_page(paragraphs=paragraphs)).sources == []
