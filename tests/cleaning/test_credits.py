"""clean_credits: credit lines become authors, editors and sources."""

from .article_pages import STORY, extract, lines, news_page

REUTERS = (
    "<p>(Reporting by Jamal al-Badrani in Mosul and Ahmed Rasheed and Timour Azhari in"
    " Baghdad; Editing by Andrew Cawthorne, Chizu Nomiyama, Diane Craft and Lincoln Feast.)</p>"
)


def test_a_wire_credit_line_fills_authors_and_editors() -> None:
    html = news_page(REUTERS)
    assert "(Reporting by" in extract(html, without=("clean_credits",)).text
    article = extract(html)
    assert lines(article) == STORY
    assert article.authors == ["Tom Hale", "Jamal al-Badrani", "Ahmed Rasheed", "Timour Azhari"]
    assert article.editors == ["Andrew Cawthorne", "Chizu Nomiyama", "Diane Craft", "Lincoln Feast"]


def test_additional_reporting_and_lower_case_roles_are_read() -> None:
    line = (
        "<p>(Reporting by Greg Roumeliotis, Joshua Franklin, with reporting by Herb Lash and"
        " Megan Davies, editing by Martin Howell.)</p>"
    )
    article = extract(news_page(line))
    assert lines(article) == STORY
    assert article.authors[1:] == [
        "Greg Roumeliotis",
        "Joshua Franklin",
        "Herb Lash",
        "Megan Davies",
    ]
    assert article.editors == ["Martin Howell"]


def test_a_credit_at_the_end_of_the_last_paragraph_is_cut_off() -> None:
    last = STORY[-1] + " (Writing by Kim Lowe; Editing by Pat Green)"
    article = extract(news_page(paragraphs=[*STORY[:-1], last]))
    assert lines(article) == STORY
    assert "Kim Lowe" in article.authors and article.editors == ["Pat Green"]


def test_source_lines_and_a_closing_outlet_name_become_sources() -> None:
    html = news_page('<p>SOURCE: News agencies</p><p class="haber-kaynak">Al Jazeera</p>')
    assert "Al Jazeera" in extract(html, without=("clean_credits",)).text
    article = extract(html)
    assert lines(article) == STORY
    assert article.sources[:2] == ["News agencies", "Al Jazeera"]


def test_a_closing_line_that_names_the_site_is_not_a_source() -> None:
    article = extract(news_page("<p>The Riverside Courier</p>"))
    assert lines(article) == STORY
    assert article.sources == []


def test_a_short_closing_sentence_is_kept() -> None:
    paragraphs = [*STORY, "Nobody was hurt."]
    assert lines(extract(news_page(paragraphs=paragraphs)))[-1] == "Nobody was hurt."


def test_a_sentence_that_opens_like_a_credit_is_kept() -> None:
    sentence = "Reporting by the BBC has shown that the gates were tested twice before Monday."
    article = extract(news_page(paragraphs=[*STORY, sentence]))
    assert lines(article)[-1] == sentence
    assert article.authors == ["Tom Hale"]
