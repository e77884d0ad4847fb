"""Render one outlet's pages once its address is known.

Pages are rendered up front: the site is small, and fixed bytes give every
page a stable ETag for the conditional requests a re-crawl sends.
"""

import hashlib
import math
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tearsheet.demo.content import OutletContent, Story

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Page:
    """A response body with what the server needs to answer for it."""

    body: bytes
    content_type: str
    last_modified: datetime

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


def reading_time(story: Story) -> str:
    """The "N minutes" widget news sites put near the headline (200 words a minute)."""
    words = sum(len(block.text.split()) for block in story.body)
    minutes = max(1, math.ceil(words / 200))
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def summary(story: Story, limit: int = 200) -> str:
    """The first paragraph, cut at a word, for meta descriptions, lists and feeds."""
    text = next(block.text for block in story.body if not block.heading).strip()
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def post_id(story: Story) -> int:
    """A stable numeric id, as CMSs put in class names and comment forms."""
    return 10000 + zlib.crc32(story.path.encode()) % 90000


def persons(names: tuple[str, ...]) -> list[dict[str, str]]:
    """Authors as schema.org Person objects, for JSON-LD."""
    return [{"@type": "Person", "name": name} for name in names]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tearsheet.demo", "templates"),
        autoescape=select_autoescape(["html", "xml"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        reading_time=reading_time,
        summary=summary,
        post_id=post_id,
        persons=persons,
        rfc822=format_datetime,
    )
    return env


_ENV = _environment()


def render_outlet(outlet: OutletContent, base_url: str) -> dict[str, Page]:
    """Every page of one outlet by path: home, sections, articles, robots, sitemap, feed."""
    stories = list(outlet.stories)
    newest = max(story.published for story in stories)
    common = {"outlet": outlet, "base_url": base_url, "today": newest, "latest": stories}

    def html(template: str, modified: datetime, **context: object) -> Page:
        text = _ENV.get_template(f"{outlet.key}_{template}.html").render(**common, **context)
        return Page(text.encode("utf-8"), HTML, modified)

    pages = {"/": html("index", newest, section=None, articles=stories)}
    for section in outlet.sections:
        listed = [story for story in stories if story.section == section]
        modified = max((story.published for story in listed), default=newest)
        pages[section.path] = html("index", modified, section=section, articles=listed)
    for story in stories:
        related = [other for other in stories if other is not story]
        pages[story.path] = html("article", story.published, article=story, related=related)

    for path, template, content_type in (
        ("/sitemap.xml", "sitemap.xml", XML),
        (outlet.feed_path, "rss.xml", RSS),
    ):
        text = _ENV.get_template(template).render(**common, articles=stories)
        pages[path] = Page(text.encode("utf-8"), content_type, newest)
    robots = f"User-agent: *\nDisallow: /search\n\nSitemap: {base_url}/sitemap.xml\n"
    pages["/robots.txt"] = Page(robots.encode("utf-8"), TEXT, newest)
    return pages
