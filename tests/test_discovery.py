"""Discovery documents: sitemaps (indexes, gzip, Google News, text), robots.txt, feeds, URL lists.

The documents are written the way CMSs and news sites write them; the demo
site's own robots.txt, sitemap and feeds are fetched over HTTP and must
yield exactly its articles.
"""

import gzip
import urllib.request
from pathlib import Path

import pytest

from tearsheet.demo import DemoSite
from tearsheet.discovery import (
    DiscoveryError,
    FeedDocument,
    SitemapDocument,
    document_kind,
    parse_feed,
    parse_sitemap,
    read_url_list,
    sitemaps_from_robots,
)

SITE = "https://www.harbourtimes.example"

SITEMAP_INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="//www.harbourtimes.example/sitemap.xsl"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>
    <loc>{SITE}/sitemaps/post-sitemap1.xml.gz</loc>
    <lastmod>2024-04-22T08:41:12+00:00</lastmod>
  </sitemap>
  <sitemap>
    <loc>{SITE}/sitemaps/post-sitemap2.xml.gz</loc>
    <lastmod>2024-03-30</lastmod>
  </sitemap>
</sitemapindex>
""".encode()


def urlset(paths: list[str]) -> bytes:
    """A WordPress-style child sitemap, with image entries whose own loc is not the page."""
    entries = "".join(
        f"""
  <url>
    <loc>{SITE}{path}</loc>
    <lastmod>2024-04-{10 + n:02d}T09:15:00+02:00</lastmod>
    <image:image><image:loc>{SITE}/wp-content/uploads/2024/04/photo-{n}.jpg</image:loc></image:image>
  </url>"""
        for n, path in enumerate(paths)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
        xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}
</urlset>
""".encode()


FIRST = ["/2024/04/22/port-strike-ends/", "/2024/04/21/ferry-timetable-changes/"]
SECOND = ["/2024/03/30/harbour-festival-returns/"]

GOOGLE_NEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>{SITE}/news/port-strike-ends-after-nine-days-4418</loc>
    <news:news>
      <news:publication>
        <news:name>The Harbour Times</news:name>
        <news:language>en</news:language>
      </news:publication>
      <news:publication_date>2024-04-22T06:15:00Z</news:publication_date>
      <news:title>Port strike ends after nine days</news:title>
    </news:news>
  </url>
  <url>
    <loc>{SITE}/news/council-approves-harbour-budget-4417</loc>
    <news:news>
      <news:publication><news:name>The Harbour Times</news:name>
      <news:language>en</news:language></news:publication>
      <news:publication_date>2024-04-21</news:publication_date>
      <news:title><![CDATA[Council approves harbour budget & ferry fares]]></news:title>
    </news:news>
  </url>
</urlset>
""".encode()

RSS2 = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>The Harbour Times</title>
  <atom:link href="{SITE}/feed/" rel="self" type="application/rss+xml" />
  <link>{SITE}/</link>
  <description>News from the harbour</description>
  <item>
    <title>Port strike ends after nine days</title>
    <link>{SITE}/2024/04/22/port-strike-ends/</link>
    <dc:creator><![CDATA[Ana Ruiz]]></dc:creator>
    <pubDate>Mon, 22 Apr 2024 08:15:00 +0200</pubDate>
    <guid isPermaLink="false">{SITE}/?p=4418</guid>
    <description><![CDATA[<p>Crane drivers returned to work at dawn.</p>]]></description>
    <content:encoded><![CDATA[<p>Crane drivers returned to work at dawn.</p>]]></content:encoded>
  </item>
  <item>
    <title>Ferry timetable changes</title>
    <guid isPermaLink="true">{SITE}/2024/04/21/ferry-timetable-changes/</guid>
    <pubDate>Sun, 21 Apr 2024 17:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Podcast: the week at sea</title>
    <guid isPermaLink="false">podcast-2024-16</guid>
  </item>
</channel>
</rss>
""".encode()

ATOM = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{SITE}/">
  <title type="text">The Harbour Times</title>
  <id>tag:harbourtimes.example,2024:feed</id>
  <updated>2024-04-22T08:00:00Z</updated>
  <link rel="self" href="{SITE}/atom.xml"/>
  <entry>
    <title>Port strike ends after nine days</title>
    <link rel="alternate" type="text/html" href="/2024/04/22/port-strike-ends/"/>
    <link rel="edit" href="/api/posts/4418"/>
    <id>tag:harbourtimes.example,2024:4418</id>
    <published>2024-04-22T08:15:00+02:00</published>
    <updated>2024-04-22T09:00:00+02:00</updated>
    <summary>Crane drivers returned to work at dawn.</summary>
  </entry>
  <entry>
    <title>Ferry timetable changes</title>
    <link href="{SITE}/2024/04/21/ferry-timetable-changes/"/>
    <id>tag:harbourtimes.example,2024:4417</id>
    <updated>2024-04-21T17:00:00Z</updated>
  </entry>
</feed>
""".encode()

RDF = f"""<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="{SITE}/index.rdf">
    <title>The Harbour Times</title>
    <link>{SITE}/</link>
    <items><rdf:Seq><rdf:li rdf:resource="{SITE}/2024/04/22/port-strike-ends/"/></rdf:Seq></items>
  </channel>
  <item rdf:about="{SITE}/2024/04/22/port-strike-ends/">
    <title>Port strike ends after nine days</title>
    <link>{SITE}/2024/04/22/port-strike-ends/</link>
    <dc:date>2024-04-22T06:15:00Z</dc:date>
  </item>
</rdf:RDF>
""".encode()

HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page not found | The Harbour Times</title>
</head><body><h1>Sorry, that page cannot be found</h1><p><a href="/">Home</a></p></body></html>
"""


def urls(document: SitemapDocument) -> list[str]:
    return [page.url for page in document.pages]


# Sitemaps


def test_a_sitemap_index_leads_to_gzip_children_and_their_pages() -> None:
    index = parse_sitemap(SITEMAP_INDEX, f"{SITE}/sitemap_index.xml")
    assert index.pages == []
    assert [(child.url, child.lastmod) for child in index.sitemaps] == [
        (f"{SITE}/sitemaps/post-sitemap1.xml.gz", "2024-04-22T08:41:12+00:00"),
        (f"{SITE}/sitemaps/post-sitemap2.xml.gz", "2024-03-30"),
    ]
    served = {
        f"{SITE}/sitemaps/post-sitemap1.xml.gz": gzip.compress(urlset(FIRST)),
        f"{SITE}/sitemaps/post-sitemap2.xml.gz": gzip.compress(urlset(SECOND)),
    }
    children = [parse_sitemap(served[child.url], child.url) for child in index.sitemaps]
    assert [url for child in children for url in urls(child)] == [
        SITE + path for path in FIRST + SECOND
    ]
    assert children[0].pages[0].lastmod == "2024-04-10T09:15:00+02:00"
    assert all(not child.problems for child in children)


def test_google_news_sitemap_gives_publication_date_and_title() -> None:
    document = parse_sitemap(GOOGLE_NEWS, f"{SITE}/news-sitemap.xml")
    assert [(page.news_published, page.news_title) for page in document.pages] == [
        ("2024-04-22T06:15:00+00:00", "Port strike ends after nine days"),
        ("2024-04-21", "Council approves harbour budget & ferry fares"),
    ]
    assert document.pages[0].url == f"{SITE}/news/port-strike-ends-after-nine-days-4418"


def test_a_sitemap_without_namespace_and_with_odd_entries_reads_with_problems() -> None:
    body = f"""<urlset>
      <url><loc> {SITE}/a-story </loc><lastmod>last tuesday</lastmod></url>
      <url><lastmod>2024-04-22</lastmod></url>
      <url><loc>ftp://files.harbourtimes.example/archive.zip</loc></url>
      <url><loc>/relative/story</loc><lastmod>Mon, 22 Apr 2024 08:15:00 GMT</lastmod></url>
    </urlset>""".encode()
    document = parse_sitemap(body, f"{SITE}/sitemap.xml")
    assert [(page.url, page.lastmod) for page in document.pages] == [
        (f"{SITE}/a-story", None),
        (f"{SITE}/relative/story", "2024-04-22T08:15:00+00:00"),
    ]
    assert document.problems == [
        "<url> number 1: 'last tuesday' is not a date",
        "<url> number 2 has no <loc>",
        "<url> number 3: 'ftp://files.harbourtimes.example/archive.zip' is not an http(s) URL",
    ]


def test_a_plain_text_sitemap_lists_one_url_a_line() -> None:
    body = f"\ufeff{SITE}/one\r\n\r\n{SITE}/two\r\nnot a url\r\n".encode()
    document = parse_sitemap(body, f"{SITE}/sitemap.txt")
    assert urls(document) == [f"{SITE}/one", f"{SITE}/two"]
    assert document.problems == ["line 4: 'not a url' is not an http(s) URL"]


def test_a_feed_given_as_a_sitemap_gives_its_entries_as_pages() -> None:
    document = parse_sitemap(RSS2, f"{SITE}/feed/")
    assert urls(document) == [
        f"{SITE}/2024/04/22/port-strike-ends/",
        f"{SITE}/2024/04/21/ferry-timetable-changes/",
    ]


def test_malformed_xml_names_the_line_and_keeps_the_urls_before_it() -> None:
    truncated = urlset(FIRST + SECOND)[:-160]  # cut inside the third <url>
    with pytest.raises(DiscoveryError) as caught:
        parse_sitemap(truncated, f"{SITE}/post-sitemap.xml")
    message = str(caught.value)
    assert message.startswith(f"sitemap {SITE}/post-sitemap.xml: malformed XML at line ")
    assert "recover mode; kept the 2 URLs read" in message
    assert isinstance(caught.value.salvaged, SitemapDocument)
    assert urls(caught.value.salvaged) == [SITE + path for path in FIRST]


def test_a_bare_ampersand_is_reported_but_the_url_kept_whole() -> None:
    body = urlset(["/search-results?q=port&page=2", *SECOND])
    with pytest.raises(DiscoveryError, match="line 6: EntityRef.*bare & escaped") as caught:
        parse_sitemap(body, f"{SITE}/sitemap.xml")
    assert urls(caught.value.salvaged) == [f"{SITE}/search-results?q=port&page=2", SITE + SECOND[0]]


def test_a_truncated_gzip_sitemap_keeps_whole_urls_from_before_the_cut() -> None:
    paths = [f"/2024/04/{day:02d}/story-number-{n}/" for day in range(1, 29) for n in range(30)]
    body = gzip.compress(urlset(paths))
    with pytest.raises(DiscoveryError, match="gzip data ends early") as caught:
        parse_sitemap(body[: len(body) // 2], f"{SITE}/post-sitemap.xml.gz")
    kept = urls(caught.value.salvaged)
    assert 0 < len(kept) < len(paths)
    assert kept == [SITE + path for path in paths[: len(kept)]]


def test_a_corrupt_gzip_sitemap_is_named() -> None:
    body = bytearray(gzip.compress(urlset(FIRST)))
    body[10:16] = b"\xff" * 6
    with pytest.raises(DiscoveryError, match="gzip data is corrupt after 0 bytes"):
        parse_sitemap(bytes(body), f"{SITE}/post-sitemap.xml.gz")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "the document is empty"),
        (b"  \n", "the document is empty"),
        (HTML_PAGE, "is an HTML page, not a sitemap"),
        (b'<?xml version="1.0"?><html><body>x</body></html>', "is an HTML page, not a sitemap"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "root element <svg>"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "neither XML nor UTF-8 text"),
        (b"\x1f\x8b\x08\x00", "gzip data ends early, after 0 uncompressed bytes"),
        (b"User-agent: *\nDisallow: /private/\n", "no line is a URL"),
    ],
)
def test_what_is_not_a_sitemap_is_named(body: bytes, problem: str) -> None:
    with pytest.raises(DiscoveryError) as caught:
        parse_sitemap(body, f"{SITE}/sitemap.xml")
    assert str(caught.value).startswith(f"sitemap {SITE}/sitemap.xml: ")
    assert problem in str(caught.value)


# robots.txt


def test_sitemaps_from_robots() -> None:
    robots = f"""# robots.txt for {SITE}
User-agent: *
Disallow: /wp-admin/
Allow: /wp-admin/admin-ajax.php

SITEMAP: {SITE}/sitemap_index.xml
sitemap:{SITE}/news-sitemap.xml
Sitemap: /sitemap.txt
Sitemap: {SITE}/sitemap_index.xml
""".encode()
    assert sitemaps_from_robots(robots, f"{SITE}/robots.txt") == [
        f"{SITE}/sitemap_index.xml",
        f"{SITE}/news-sitemap.xml",
        f"{SITE}/sitemap.txt",
    ]
    assert sitemaps_from_robots(b"User-agent: *\nDisallow:\n", f"{SITE}/robots.txt") == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [(HTML_PAGE, "is an HTML page"), (b"\x00\x01\x02\xff", "is binary data")],
)
def test_a_robots_txt_that_is_not_one_is_named(body: bytes, problem: str) -> None:
    with pytest.raises(DiscoveryError, match=f"^robots.txt {SITE}/robots.txt: {problem}"):
        sitemaps_from_robots(body, f"{SITE}/robots.txt")


# Feeds


def test_rss2_entries_with_link_or_permalink_guid() -> None:
    feed = parse_feed(RSS2, f"{SITE}/feed/")
    assert feed.title == "The Harbour Times"
    assert [(entry.link, entry.title, entry.published) for entry in feed.entries] == [
        (
            f"{SITE}/2024/04/22/port-strike-ends/",
            "Port strike ends after nine days",
            "2024-04-22T06:15:00+00:00",
        ),
        (
            f"{SITE}/2024/04/21/ferry-timetable-changes/",
            "Ferry timetable changes",
            "2024-04-21T17:00:00+00:00",
        ),
    ]
    assert feed.problems == ["entry 3 has no http(s) link"]


def test_atom_entries_resolve_against_xml_base() -> None:
    feed = parse_feed(ATOM, f"{SITE}/atom.xml")
    assert [(entry.link, entry.published) for entry in feed.entries] == [
        (f"{SITE}/2024/04/22/port-strike-ends/", "2024-04-22T06:15:00+00:00"),
        (f"{SITE}/2024/04/21/ferry-timetable-changes/", "2024-04-21T17:00:00+00:00"),
    ]


def test_rss1_rdf_entries() -> None:
    feed = parse_feed(RDF, f"{SITE}/index.rdf")
    assert [(entry.link, entry.title, entry.published) for entry in feed.entries] == [
        (
            f"{SITE}/2024/04/22/port-strike-ends/",
            "Port strike ends after nine days",
            "2024-04-22T06:15:00+00:00",
        )
    ]


def test_a_malformed_feed_names_the_line_and_keeps_its_entries() -> None:
    broken = RSS2.replace(b"Ferry timetable changes", b"Ferry times & fares <b>change")
    with pytest.raises(
        DiscoveryError, match=r"^feed .*/feed/: malformed XML \(line 19: .*kept the 2 entries"
    ) as caught:
        parse_feed(broken, f"{SITE}/feed/")
    assert isinstance(caught.value.salvaged, FeedDocument)
    assert [entry.link for entry in caught.value.salvaged.entries] == [
        f"{SITE}/2024/04/22/port-strike-ends/",
        f"{SITE}/2024/04/21/ferry-timetable-changes/",
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "the document is empty"),
        (HTML_PAGE, "is an HTML page, not a feed"),
        (urlset(FIRST), "not an RSS or Atom feed"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": []}', "not an RSS or Atom"),
    ],
)
def test_what_is_not_a_feed_is_named(body: bytes, problem: str) -> None:
    with pytest.raises(DiscoveryError, match=f"^feed {SITE}/feed/: {problem}"):
        parse_feed(body, f"{SITE}/feed/")


# Telling them apart


@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("application/xml", SITEMAP_INDEX, "sitemap"),
        ("application/octet-stream", gzip.compress(urlset(FIRST)), "sitemap"),
        ("text/xml", RSS2, "feed"),
        ("text/html", ATOM, "feed"),  # mislabelled, told by its root element
        ("application/rdf+xml", RDF, "feed"),
        ("application/atom+xml; charset=utf-8", b"", "feed"),
        ("text/html; charset=utf-8", HTML_PAGE, None),
        (None, b"plain words", None),
    ],
)
def test_document_kind(content_type: str | None, body: bytes, kind: str | None) -> None:
    assert document_kind(content_type, body) == kind


# URL lists


def test_a_url_list_skips_comments_blank_lines_and_repeats(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(
        "\ufeff# Harbour Times, April 2024\r\n"
        f"{SITE}/2024/04/22/port-strike-ends/\r\n"
        "\r\n"
        f"   {SITE}/2024/04/21/ferry-timetable-changes/   # the Sunday one\r\n"
        f"{SITE}/2024/04/22/port-strike-ends/\r\n"
        f"{SITE}/search#results\r\n",
        encoding="utf-8",
        newline="",
    )
    assert read_url_list(listed) == [
        f"{SITE}/2024/04/22/port-strike-ends/",
        f"{SITE}/2024/04/21/ferry-timetable-changes/",
        f"{SITE}/search#results",
    ]


def test_a_url_list_with_bad_lines_names_each(tmp_path: Path) -> None:
    listed = tmp_path / "urls.txt"
    listed.write_text(
        f"{SITE}/fine\nwww.harbourtimes.example/no-scheme\nmailto:desk@harbourtimes.example\n"
    )
    with pytest.raises(DiscoveryError) as caught:
        read_url_list(listed)
    assert str(caught.value) == (
        f"URL list {listed}: line 2: 'www.harbourtimes.example/no-scheme' has no scheme "
        "(https://www.harbourtimes.example/no-scheme?); "
        "line 3: 'mailto:desk@harbourtimes.example' is not an http(s) URL"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot be read"), (b"# nothing yet\n\n", "holds no URL"), (b"\xff\xfe\x00", "UTF-8")],
)
def test_an_unusable_url_list_is_named(tmp_path: Path, content: bytes | None, problem: str) -> None:
    listed = tmp_path / "urls.txt"
    if content is not None:
        listed.write_bytes(content)
    with pytest.raises(DiscoveryError, match=f"^URL list {listed}: .*{problem}"):
        read_url_list(listed)


# The demo site's own discovery documents


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_the_demo_sites_robots_sitemap_and_feed_list_exactly_its_articles() -> None:
    with DemoSite() as site:
        for outlet in site.outlets:
            expected = sorted(article.url for article in outlet.articles)
            sitemaps = sitemaps_from_robots(fetch(outlet.robots_url), outlet.robots_url)
            assert sitemaps == [outlet.sitemap_url]
            sitemap = parse_sitemap(fetch(sitemaps[0]), sitemaps[0])
            assert sorted(urls(sitemap)) == expected, outlet.name
            assert sitemap.problems == [] and sitemap.sitemaps == []
            feed = parse_feed(fetch(outlet.feed_url), outlet.feed_url)
            assert sorted(entry.link for entry in feed.entries) == expected, outlet.name
            assert feed.title == outlet.name and feed.problems == []
            titles = {article.url: article.title for article in outlet.articles}
            assert all(entry.title == titles[entry.link] for entry in feed.entries)
            assert all(entry.published for entry in feed.entries)
