"""clean_bylines: reading times, stray date stamps and byline leftovers."""

from tearsheet.article import Article, Block
from tearsheet.cleaning.bylines import clean_article

from .article_pages import STORY, TITLE, URL, extract, lines, news_page

HEADER_LEFTOVERS = (
    f'<p class="stamp">date 2024-04-22 {TITLE}</p>'
    "<p>2 minutes</p><p>By Tom Hale</p><p>Updated at 1:23 p.m.</p>"
)


def test_stamps_reading_time_and_byline_before_the_story_go() -> None:
    html = news_page(before_body=HEADER_LEFTOVERS)
    assert "2 minutes" in extract(html, without=("clean_bylines",)).text
    assert lines(extract(html)) == STORY


def test_reading_times_in_other_forms_and_languages_go() -> None:
    for stamp in ("5 min read", "Reading time: 4 minutes", "Tempo de leitura: 1 minuto"):
        assert lines(extract(news_page(before_body=f"<p>{stamp}</p>"))) == STORY


def test_filing_notes_after_the_story_go() -> None:
    html = news_page("<p>Filed under: Flooding | Riverside</p><p>Tags: barrier, river</p>")
    assert "Filed under" in extract(html, without=("clean_bylines",)).text
    assert lines(extract(html)) == STORY


def test_a_news_dateline_stays_with_its_sentence() -> None:
    first = "RIVERSIDE, England (Reuters) - The river authority opened the new flood barrier."
    article = extract(news_page(paragraphs=[first, *STORY[1:]]))
    assert lines(article)[0] == first


def test_a_bare_time_heading_a_live_report_stays() -> None:
    paragraphs = [STORY[0], "10 p.m.", *STORY[1:]]
    assert "10 p.m." in lines(extract(news_page(paragraphs=paragraphs)))


def test_page_furniture_before_the_headline_goes() -> None:
    sidebar = Block(
        "Night mode takes advantage of the new wide-angle camera and a larger sensor that lets"
        " in more light, so photos taken in the dark come out brighter and sharper than before.",
        context="div#right ul li a p",
        links=1.0,
        outside=True,
    )
    headline = Block(TITLE, "heading", "h1.entry-title")
    article = Article(URL, "", title="Another title").set_blocks(
        [Block("Deals", "heading", outside=True), sidebar, headline, *map(Block, STORY)]
    )
    assert lines(clean_article(article)) == STORY


def test_a_subtitle_repeating_the_description_goes() -> None:
    subtitle = "The gates closed for the first full test on Monday"
    article = Article(URL, "", title=TITLE, description=subtitle + ".").set_blocks(
        [
            Block(TITLE, "heading", "h1"),
            Block(subtitle, "heading", "h2.subline"),
            *map(Block, STORY),
        ]
    )
    assert lines(clean_article(article)) == STORY
