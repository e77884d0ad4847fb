"""An article's metadata from what the publisher declared, then from the page itself.

Publishers state title, authors, date, language and site in JSON-LD and meta
tags for search engines and social networks; those are exact where a
heuristic is a guess, so they win. trafilatura's and htmldate's findings
fill what the page does not declare; htmldate, the costly one, runs only
when no date is declared.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml.etree import XPath
from lxml.html import HtmlElement

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "BackgroundNewsArticle",
        "ReviewNewsArticle",
        "AskPublicNewsArticle",
        "SatiricalArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "SocialMediaPosting",
        "TechArticle",
        "Report",
    }
)
META_FIELDS = {
    "title": ("og:title", "twitter:title", "dc.title", "parsely-title", "sailthru.title"),
    "authors": (
        "author",
        "article:author",
        "dc.creator",
        "byl",
        "parsely-author",
        "sailthru.author",
        "citation_author",
    ),
    "published": (
        "article:published_time",
        "og:article:published_time",
        "datepublished",
        "parsely-pub-date",
        "pubdate",
        "publishdate",
        "publish-date",
        "sailthru.date",
        "dc.date.issued",
        "dc.date",
        "dcterms.created",
        "citation_publication_date",
        "date",
    ),
    "description": ("og:description", "description", "twitter:description", "dc.description"),
    "site": ("og:site_name", "application-name"),
    "language": ("dc.language", "content-language", "og:locale"),
    "canonical_url": ("og:url",),
}
META_KEY = {name: field for field, names in META_FIELDS.items() for name in names}
SITE_SUFFIX = re.compile(r"\s+[|–—:-]\s+[^|–—:]{2,60}$")
EARLIEST_YEAR = 1990
BYLINE_CHARS = 100
BYLINE_END = re.compile(
    r"\s(?:published|updated|posted|on|at)\b|\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|"
    r"dec)[a-z]*\.?(?:\s|$)|\s?\d|\s[|·•–—]",
    re.IGNORECASE,
)
BYLINE_ELEMENTS = XPath(
    "//body//*[@rel='author' or @itemprop='author' or contains(@class, 'byline')"
    " or contains(@class, 'author')][not(ancestor-or-self::*[contains(@class, 'comment')"
    " or contains(@id, 'comment')])]"
)
DATE_PREFIX = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


@dataclass
class Metadata:
    """What is known about an article apart from its text."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    language: str | None = None
    site: str | None = None
    description: str | None = None
    canonical_url: str | None = None


def page_metadata(page: HtmlElement, url: str) -> Metadata:
    """The metadata of a parsed page: JSON-LD, then meta tags, then heuristics."""
    found = Metadata()
    _merge(found, json_ld_metadata(page))
    _merge(found, meta_tag_metadata(page))
    found.language = found.language or page.get("lang") or page.get("xml:lang")
    _fill_from_heuristics(found, page, url)
    return _normalised(found, url)


def json_ld_metadata(page: HtmlElement) -> Metadata:
    """The first article described in the page's JSON-LD, with its publisher."""
    found = Metadata()
    site_names: list[str] = []
    for script in page.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        for node in _nodes(_load_json(script.text or "")):
            types = _types(node)
            if types & ARTICLE_TYPES and found.title is None:
                _merge(found, _article_node(node))
            elif types & {"WebSite", "Organization", "NewsMediaOrganization"}:
                site_names.extend(_names(node.get("name")))
    found.site = found.site or next(iter(site_names), None)
    return found


def meta_tag_metadata(page: HtmlElement) -> Metadata:
    """Open Graph, Dublin Core, article:* and plain meta tags, and the canonical link.

    For each field the best-named tag wins (``article:published_time``
    before a generic ``date``), whatever their order in the page.
    """
    values: dict[str, list[str]] = {}
    for meta in page.iter("meta"):
        key = (
            meta.get("property")
            or meta.get("name")
            or meta.get("itemprop")
            or meta.get("http-equiv")
        )
        content = (meta.get("content") or "").strip()
        if key and content and key.strip().lower() in META_KEY:
            values.setdefault(key.strip().lower(), []).append(content)
    for link in page.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            values.setdefault("canonical", []).append(link.get("href", "").strip())

    def best(field: str) -> list[str]:
        return next((values[name] for name in META_FIELDS[field] if name in values), [])

    authors = [
        name
        for value in best("authors")
        if not value.lower().startswith(("http:", "https:"))
        for name in split_authors(value)
    ]
    dates = [date for value in best("published") if (date := normalise_date(value))]
    return Metadata(
        title=next(iter(best("title")), None),
        authors=list(dict.fromkeys(authors)),
        published=next(iter(dates), None),
        language=next(iter(best("language")), None),
        site=next(iter(best("site")), None),
        description=next(iter(best("description")), None),
        canonical_url=next(iter(values.get("canonical", []) + best("canonical_url")), None),
    )


def byline_authors(page: HtmlElement) -> list[str]:
    """Names in the page's first short byline element, outside comment sections.

    trafilatura's own author search copies and prunes the whole tree, which
    costs more than the rest of the metadata together; this looks where
    bylines are marked up (rel/itemprop author, byline and author classes).
    """
    found = BYLINE_ELEMENTS(page)
    marked = set(found)
    for element in found:
        if any(inner in marked for inner in element.iterdescendants()):
            continue
        text = BYLINE_END.split(" ".join(element.text_content().split()), maxsplit=1)[0]
        if 2 < len(text) <= BYLINE_CHARS and (names := split_authors(text)):
            return names
    return []


def split_authors(value: str) -> list[str]:
    """Names in a byline or author field: "By A, B and C" gives three."""
    from trafilatura.json_metadata import normalize_authors

    joined = normalize_authors(None, value)
    return [name for name in (joined or "").split("; ") if name]


def normalise_date(value: str | None) -> str | None:
    """An ISO 8601 date, with the time and offset when the page gives them."""
    if not value:
        return None
    value = value.strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            match = DATE_PREFIX.match(value)
            if not match:
                return None
            try:
                moment = datetime(*map(int, match.groups()))
            except ValueError:
                return None
    if not EARLIEST_YEAR <= moment.year <= datetime.now().year + 1:
        return None
    has_time = "T" in value or ":" in value
    return moment.isoformat() if has_time else moment.date().isoformat()


def _article_node(node: dict[str, Any]) -> Metadata:
    publisher = node.get("publisher")
    entity = node.get("mainEntityOfPage")
    canonical = node.get("url") or (entity.get("@id") if isinstance(entity, dict) else entity)
    language = node.get("inLanguage")
    if isinstance(language, dict):
        language = language.get("alternateName") or language.get("name")
    return Metadata(
        title=_text(node.get("headline")) or _text(node.get("name")),
        authors=_authors(node.get("author")),
        published=normalise_date(_text(node.get("datePublished")))
        or normalise_date(_text(node.get("dateCreated"))),
        language=_text(language),
        site=next(iter(_names(publisher.get("name"))), None)
        if isinstance(publisher, dict)
        else None,
        description=_text(node.get("description")),
        canonical_url=_text(canonical),
    )


def _authors(value: Any) -> list[str]:
    """People first: an organisation is named as author only when no person is."""
    people: list[str] = []
    organisations: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict):
            names = [n for name in _names(item.get("name")) for n in split_authors(name)]
            is_person = not _types(item) - {"Person"}
            (people if is_person else organisations).extend(names)
        elif isinstance(item, str) and not item.lower().startswith(("http:", "https:")):
            people.extend(split_authors(item))
    return list(dict.fromkeys(people or organisations))


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {item for item in values if isinstance(item, str)}


def _names(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [text for item in values if (text := _text(item))]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON-LD object, including those inside lists and ``@graph``."""
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item)
    elif isinstance(data, dict):
        yield data
        if "@graph" in data:
            yield from _nodes(data["@graph"])


def _merge(target: Metadata, source: Metadata) -> None:
    """Fill the target's empty fields from the source."""
    for name in target.__dataclass_fields__:
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))


def _fill_from_heuristics(found: Metadata, page: HtmlElement, url: str) -> None:
    from trafilatura.metadata import extract_sitename, extract_title

    found.title = found.title or extract_title(page)
    found.authors = found.authors or byline_authors(page)
    found.site = found.site or extract_sitename(page)
    if not normalise_date(found.published):
        from htmldate import find_date

        found.published = find_date(page, url=url, original_date=True, extensive_search=False)


def _normalised(found: Metadata, url: str) -> Metadata:
    found.published = normalise_date(found.published)
    if found.language:
        found.language = found.language.replace("_", "-").split("-")[0].strip().lower() or None
    if found.canonical_url:
        found.canonical_url = urljoin(url, found.canonical_url)
    if found.site:
        found.site = found.site.lstrip("@").strip()
    else:
        found.site = (urlsplit(url).hostname or "").removeprefix("www.") or None
    if found.title and found.site:
        found.title = _without_site_suffix(found.title, found.site)
    return found


def _without_site_suffix(title: str, site: str) -> str:
    """ "Headline | The Daily" → "Headline": the <title> and og:title often carry the site."""
    match = SITE_SUFFIX.search(title)
    if match and site.lower() in match.group().lower():
        return title[: match.start()].strip()
    return title
