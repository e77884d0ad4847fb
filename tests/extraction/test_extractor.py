"""The default extractor: trafilatura's text as lines that remember where they came from."""

from datetime import UTC, datetime

import pytest
from lxml import etree

from tearsheet.archive import Capture
from tearsheet.plugins.default.trafilatura_extractor import extract_article
from tearsheet.processing import ExtractionError, extract_html

URL = "https://www.harbour-times.example/2024/04/22/port-strike/"
PARAGRAPHS = [
    "Crane drivers at the container port walked out at dawn on Monday over a new rota that"
    " adds two night shifts a week without extra pay, their union said.",
    "The port authority said ships were being diverted to the northern terminal and that it"
    " expected talks with the union to resume on Wednesday afternoon.",
    "Truck queues stretched two miles along the coast road by mid-morning, and the police"
    " asked drivers heading for the port to wait at the lorry park instead.",
    "“We have been asking for a meeting since January and nobody answered,” said Ana Ruiz,"
    " a crane driver who has worked at the port for nineteen years.",
]


def page(body: str) -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Dockers strike at the port</title>
<meta property="og:site_name" content="The Harbour Times"></head>
<body><div id="page"><div class="layout">
<article class="story"><h1 class="story__headline">Dockers strike at the port</h1>
<div class="story__body">{body}</div></article></div></div></body></html>"""


def capture(html: str) -> Capture:
    return Capture(
        URL,
        200,
        (("Content-Type", "text/html; charset=utf-8"),),
        html.encode(),
        datetime.now(UTC).isoformat(),
        "",
        0,
        0,
        "",
        None,
    )


def test_lines_carry_their_kind_context_links_and_layout_path() -> None:
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[:3])
    body += (
        '<div class="fact-panel"><p>The port opened in 1887 and was rebuilt after the war;'
        ' its <a href="/history">history</a> is told in the harbour museum, which opens'
        " daily.</p></div>"
    )
    body += f"<h2>What happens next</h2><p>{PARAGRAPHS[3]}</p>"
    article = extract_article(capture(page(body)))
    assert article.text == "\n".join(block.text for block in article.blocks)
    by_text = {block.text: block for block in article.blocks}
    panel = by_text[
        "The port opened in 1887 and was rebuilt after the war; its history is told in the"
        " harbour museum, which opens daily."
    ]
    assert panel.context == "div.fact-panel p"
    assert 0 < panel.links < 0.1
    assert by_text["What happens next"].kind == "heading"
    assert by_text[PARAGRAPHS[0]].context == "p"
    assert by_text[PARAGRAPHS[0]].path == "div#page div.layout article.story div.story__body p"


def test_hover_cards_inside_a_paragraph_are_not_text() -> None:
    card = (
        '<span class="people-card"><img src="/img/ruiz.jpg" alt="">'
        '<a href="/people/ana-ruiz">Ana Ruiz</a><a href="/2024/04/vote">Dockers vote to strike</a>'
        '<a href="/2024/03/pay">Port pay talks stall</a></span>'
    )
    first = PARAGRAPHS[0].replace("their union", f"their union{card}")
    body = "".join(f"<p>{p}</p>" for p in [first, *PARAGRAPHS[1:]])
    assert extract_html(page(body), URL).text.split("\n")[0] == PARAGRAPHS[0]


def test_links_inside_a_sentence_are_kept() -> None:
    linked = PARAGRAPHS[0].replace(
        "their union said",
        '<span>their <a href="/union">union</a> said, citing <a href="/rota">the rota</a></span>',
    )
    body = "".join(f"<p>{p}</p>" for p in [linked, *PARAGRAPHS[1:]])
    first = extract_html(page(body), URL).text.split("\n")[0]
    assert first.endswith("their union said, citing the rota.")


def test_a_story_split_into_several_body_containers_is_read_whole() -> None:
    part = '<div class="body__container article__body">{}</div>'
    more = [
        "The union said a second walkout was planned for Friday if the rota was not withdrawn"
        " before the weekend, when two large ships are due.",
        "Shipping lines have warned customers that deliveries could be delayed by up to a week"
        " if the dispute drags on into next month.",
        "The port handles about a fifth of the country’s container traffic and employs some"
        " four thousand people, most of them on the night rota.",
    ]
    body = (
        part.format("".join(f"<p>{p}</p>" for p in PARAGRAPHS))
        + '<div class="ad"><span>Advertisement</span></div>'
        + part.format("".join(f"<p>{p}</p>" for p in more))
    )
    assert extract_html(page(body), URL).text.split("\n") == [*PARAGRAPHS, *more]


def test_a_page_without_text_is_an_extraction_error() -> None:
    with pytest.raises(ExtractionError):
        extract_html("<html><body><nav><a href='/'>Home</a></nav></body></html>", URL)


@pytest.mark.parametrize(
    "card", ["", '<span><img src="/a.jpg"><a href="/a">A</a><a href="/b">B</a></span>']
)
def test_extraction_leaves_the_shared_parsed_page_as_it_was(card: str) -> None:
    """Classification and the cleaners read the same tree after the extractor has run."""

    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS).replace("their union", f"their union{card}")
    found = capture(page(body))
    before = etree.tostring(found.page)
    assert extract_article(found) is not None
    assert etree.tostring(found.page) == before
