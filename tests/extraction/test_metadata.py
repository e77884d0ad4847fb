"""Metadata: what the page declares (JSON-LD, meta tags) first, heuristics after."""

import json

import pytest
from lxml.html import document_fromstring

from tearsheet.metadata import normalise_date, page_metadata

URL = "https://www.harbour-times.example/2024/04/22/port-strike/"
BODY = "<body><article><h1>Dockers strike at the port</h1><p>Text.</p></article></body>"


def page(head: str, body: str = BODY, lang: str = "en-GB") -> str:
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{head}</head>{body}</html>'
    )


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def metadata(html: str, url: str = URL):
    return page_metadata(document_fromstring(html), url)


NEWS_ARTICLE = {
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "Dockers strike at the port over night shifts",
    "author": [
        {"@type": "Person", "name": "Ana Ruiz"},
        {"@type": "Person", "name": "Ben Cole"},
    ],
    "datePublished": "2024-04-22T06:15:00Z",
    "inLanguage": "en-GB",
    "description": "Crane drivers walked out at dawn.",
    "mainEntityOfPage": {"@id": "https://www.harbour-times.example/port-strike"},
    "publisher": {"@type": "NewsMediaOrganization", "name": "The Harbour Times"},
}


def test_json_ld_gives_every_field() -> None:
    found = metadata(page(json_ld(NEWS_ARTICLE)))
    assert found.title == "Dockers strike at the port over night shifts"
    assert found.authors == ["Ana Ruiz", "Ben Cole"]
    assert found.published == "2024-04-22T06:15:00+00:00"
    assert found.language == "en"
    assert found.description == "Crane drivers walked out at dawn."
    assert found.canonical_url == "https://www.harbour-times.example/port-strike"
    assert found.site == "The Harbour Times"


def test_json_ld_in_a_graph_with_an_organisation_as_author() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "name": "Harbour Times Online"},
            {
                "@type": ["Article", "NewsArticle"],
                "headline": "Port reopens",
                "author": {"@type": "Organization", "name": "Harbour Times Staff"},
                "datePublished": "2024-04-23",
            },
        ],
    }
    found = metadata(page(json_ld(graph)))
    assert (found.title, found.authors, found.published, found.site) == (
        "Port reopens",
        ["Harbour Times Staff"],
        "2024-04-23",
        "Harbour Times Online",
    )


def test_meta_tags_when_there_is_no_json_ld() -> None:
    head = (
        '<meta property="og:title" content="Dockers strike at the port | The Harbour Times">'
        '<meta property="og:site_name" content="The Harbour Times">'
        '<meta property="og:description" content="Crane drivers walked out.">'
        '<meta property="article:published_time" content="2024-04-22T07:15:00+01:00">'
        '<meta name="author" content="By Ana Ruiz and Ben Cole">'
        '<link rel="canonical" href="/2024/04/22/port-strike/">'
    )
    found = metadata(page(head, lang="pt-BR"))
    assert found.title == "Dockers strike at the port"
    assert found.authors == ["Ana Ruiz", "Ben Cole"]
    assert found.published == "2024-04-22T07:15:00+01:00"
    assert found.language == "pt"
    assert found.site == "The Harbour Times"
    assert found.description == "Crane drivers walked out."
    assert found.canonical_url == "https://www.harbour-times.example/2024/04/22/port-strike/"


def test_json_ld_wins_over_meta_tags() -> None:
    head = '<meta property="og:title" content="Old headline">' + json_ld(NEWS_ARTICLE)
    assert metadata(page(head)).title == NEWS_ARTICLE["headline"]


def test_heuristics_fill_what_is_not_declared() -> None:
    body = (
        "<body><article><h1>Dockers strike at the port</h1>"
        '<div class="byline">By <a rel="author" href="/ana">Ana Ruiz</a> Apr 22, 2024</div>'
        "<p>Crane drivers walked out at dawn on 22 April 2024 over night shifts.</p>"
        "</article></body>"
    )
    found = metadata(page("<title>Dockers strike at the port - Harbour Times</title>", body))
    assert found.title == "Dockers strike at the port"
    assert found.authors == ["Ana Ruiz"]
    assert found.published == "2024-04-22"
    assert found.site == "harbour-times.example"


def test_an_author_in_a_comment_section_is_not_the_byline() -> None:
    body = (
        "<body><article><h1>Dockers strike</h1><p>Text.</p></article>"
        '<div class="comments"><span class="author">Port Watcher</span></div></body>'
    )
    assert metadata(page("", body)).authors == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-04-22T06:15:00Z", "2024-04-22T06:15:00+00:00"),
        ("2024-04-22", "2024-04-22"),
        ("Mon, 22 Apr 2024 06:15:00 GMT", "2024-04-22T06:15:00+00:00"),
        ("2024/04/22 some text", "2024-04-22"),
        ("0001-01-01T00:00:00+00:00", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_dates_are_iso_8601(value: str, expected: str | None) -> None:
    assert normalise_date(value) == expected
