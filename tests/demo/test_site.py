"""The demo news site, served for real on loopback and fetched with urllib."""

import http.client
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from html import unescape
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from xml.etree import ElementTree

import pytest

from tearsheet.demo import DemoSite

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
"""The seed texts the demo was written from; absent outside the project's workspace."""


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with DemoSite() as running:
        yield running


@dataclass
class Response:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, headers: dict[str, str] | None = None) -> Response:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def fetch_head(url: str) -> Response:
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=5) as response:
        return Response(response.status, response.headers, response.read())


class _Scan(HTMLParser):
    """Collects link targets and class names, the two things these tests look at."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.classes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("a", "area") and values.get("href"):
            self.hrefs.append(values["href"] or "")
        self.classes.update((values.get("class") or "").split())


def scan(html: str) -> _Scan:
    parser = _Scan()
    parser.feed(html)
    return parser


def links(page_url: str, html: str) -> set[str]:
    return {urldefrag(urljoin(page_url, href)).url for href in scan(html).hrefs}


def page_text(html: str) -> str:
    """The page's text with tags dropped: what a naive extractor starts from."""
    return unescape(re.sub(r"<[^>]+>", "", html))


def test_five_outlets_each_with_the_seed_story_and_three_more(site: DemoSite) -> None:
    assert len(site.outlets) == 5
    assert len({outlet.base_url for outlet in site.outlets}) == 5  # one origin each
    assert site.start_urls == [f"{outlet.base_url}/" for outlet in site.outlets]
    for outlet in site.outlets:
        assert len(outlet.articles) >= 4
        assert sum(article.seed is not None for article in outlet.articles) == 1
        assert all(article.url.startswith(outlet.base_url + "/") for article in outlet.articles)
        assert all(article.outlet == outlet.name for article in outlet.articles)
    seeds = [article.seed for article in site.seed_articles]
    assert [seed[:3] for seed in seeds] == ["000", "001", "002", "003", "004"]
    assert [article.outlet for article in site.seed_articles] == [o.name for o in site.outlets]
    assert len({article.title for article in site.articles}) == len(site.articles)


def test_extra_articles_tell_other_stories(site: DemoSite) -> None:
    for article in site.articles:
        assert article.body_text == "\n".join(article.body_paragraphs)
        assert article.published.startswith("2024-04") and article.section
        if article.seed is None:
            assert article.boilerplate == []
            assert 4 <= len(article.body_paragraphs) <= 10
            assert "Zummar" not in article.body_text and "rocket" not in article.title.lower()


def test_home_pages_list_every_article(site: DemoSite) -> None:
    for outlet in site.outlets:
        home = fetch(outlet.home_url)
        assert home.status == 200
        assert home.headers["Content-Type"] == "text/html; charset=utf-8"
        assert {article.url for article in outlet.articles} <= links(outlet.home_url, home.text)
        assert 'type="application/rss+xml"' in home.text and outlet.feed_path in home.text


def test_every_link_within_an_outlet_leads_to_a_page(site: DemoSite) -> None:
    """A crawl of the demo must meet no broken links: each would be an error row."""
    for outlet in site.outlets:
        seen, queue = {outlet.home_url}, [outlet.home_url]
        while queue:
            url = queue.pop()
            response = fetch(url)
            assert response.status == 200, url
            assert response.headers.get_content_type() == "text/html", url
            for link in links(url, response.text):
                if urlsplit(link).netloc == urlsplit(url).netloc and link not in seen:
                    seen.add(link)
                    queue.append(link)
        assert {article.url for article in outlet.articles} <= seen
        assert len(seen) > len(outlet.articles) + 1  # section pages too


def test_robots_txt_names_the_sitemap(site: DemoSite) -> None:
    for outlet in site.outlets:
        robots = fetch(outlet.robots_url)
        assert robots.status == 200
        assert robots.headers.get_content_type() == "text/plain"
        lines = robots.text.splitlines()
        assert f"Sitemap: {outlet.sitemap_url}" in lines
        assert "Disallow: /search" in lines


def test_sitemap_and_feed_list_every_article(site: DemoSite) -> None:
    for outlet in site.outlets:
        urls = {article.url for article in outlet.articles}
        sitemap = fetch(outlet.sitemap_url)
        assert sitemap.headers.get_content_type() == "application/xml"
        root = ElementTree.fromstring(sitemap.body)
        ns = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
        assert {loc.text for loc in root.findall("sm:url/sm:loc", ns)} == urls

        feed = fetch(outlet.feed_url)
        assert feed.headers.get_content_type() == "application/rss+xml"
        rss = ElementTree.fromstring(feed.body)
        assert rss.tag == "rss" and rss.get("version") == "2.0"
        items = rss.findall("channel/item")
        assert {item.findtext("link") for item in items} == urls
        titles = {article.url: article.title for article in outlet.articles}
        assert all(item.findtext("title") == titles[item.findtext("link")] for item in items)


def test_seed_pages_show_their_body_and_their_boilerplate(site: DemoSite) -> None:
    for article in site.seed_articles:
        html = fetch(article.url).text
        text = page_text(html)
        h1 = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
        assert h1 is not None and unescape(h1.group(1)) == article.title
        for paragraph in article.body_paragraphs:
            assert paragraph in text
        for line in article.boilerplate:
            assert line in text, (article.outlet, line)


def test_seed_bodies_are_the_seed_texts_verbatim(site: DemoSite) -> None:
    """Body = the seed's lines less its title line and boilerplate lines, word for word."""
    if not SEEDS.is_dir():
        pytest.skip(f"no seed texts at {SEEDS}")
    for article in site.seed_articles:
        seed = (SEEDS / f"{article.seed}.txt").read_text(encoding="utf-8")
        lines = [line for line in seed.split("\n") if line.strip()]
        # 004's title line starts with its stray date stamp
        titles = {article.title} | {f"{b} {article.title}" for b in article.boilerplate}
        title_lines = [line for line in lines if line.strip() in titles]
        assert len(title_lines) <= 1
        body = [
            line
            for line in lines
            if line not in title_lines and line.strip() not in article.boilerplate
        ]
        assert article.body_paragraphs == body, article.seed
        seed_lines = {line.strip() for line in lines}
        seed_lines |= {line.strip().removesuffix(article.title).strip() for line in title_lines}
        assert set(article.boilerplate) <= seed_lines


def test_templates_differ_per_outlet(site: DemoSite) -> None:
    classes = {
        article.outlet: scan(fetch(article.url).text).classes for article in site.seed_articles
    }
    for (one, a), (other, b) in combinations(classes.items(), 2):
        assert len(a & b) / len(a | b) < 0.2, (one, other, a & b)


def test_unknown_path_is_404(site: DemoSite) -> None:
    for outlet in site.outlets:
        missing = fetch(f"{outlet.base_url}/no/such/page/")
        assert missing.status == 404
        assert missing.headers["Content-Type"] == "text/html; charset=utf-8"


def test_a_path_without_its_slash_redirects(site: DemoSite) -> None:
    article = next(a for a in site.articles if a.url.endswith("/"))
    parts = urlsplit(article.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    connection.request("GET", parts.path.rstrip("/"))
    response = connection.getresponse()
    assert response.status == 301 and response.getheader("Location") == parts.path
    connection.close()


def test_head_sends_headers_only(site: DemoSite) -> None:
    article = site.articles[0]
    response = fetch_head(article.url)
    assert response.status == 200 and response.body == b""
    assert int(response.headers["Content-Length"]) == len(fetch(article.url).body)


def test_articles_answer_conditional_requests(site: DemoSite) -> None:
    article = site.seed_articles[4]
    first = fetch(article.url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified.endswith("GMT")
    assert fetch(article.url, {"If-None-Match": etag}).status == 304
    assert fetch(article.url, {"If-Modified-Since": modified}).status == 304
    assert (
        fetch(article.url, {"If-None-Match": '"other"', "If-Modified-Since": modified}).status
        == 200
    )
    assert fetch(article.url, {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}).status == 200


def test_serves_quietly(site: DemoSite, capfd: pytest.CaptureFixture[str]) -> None:
    fetch(site.start_urls[0])
    fetch(site.start_urls[0] + "missing")
    assert capfd.readouterr().err == ""


def test_start_and_stop_without_a_with_block() -> None:
    demo = DemoSite()
    with pytest.raises(RuntimeError):
        demo.outlets  # noqa: B018 (the property access is the test)
    url = demo.start().start_urls[0]
    assert fetch(url).status == 200
    demo.stop()
    with pytest.raises(urllib.error.URLError):
        fetch(url)


def test_python_m_serves_and_prints_home_urls() -> None:
    command = [sys.executable, "-m", "tearsheet.demo"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        urls = [line.split()[-1] for line in lines]
        assert all(fetch(url).status == 200 for url in urls)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 0
