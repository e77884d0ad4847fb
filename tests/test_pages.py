"""Article or hub: the demo site's pages, and pages written the way common CMSs write them.

Each fixture says which tier should decide it, so a change to the rule that
still gets the kind right by luck shows up.
"""

import json
import urllib.request

import pytest

from tearsheet.archive import Capture
from tearsheet.demo import DemoSite
from tearsheet.demo.content import load_outlets
from tearsheet.pages import ClassifyRules, page_kind, page_verdict

SITE = "https://www.harbourtimes.example"
SECTIONS = ["world", "politics", "business", "science", "sport", "culture", "opinion", "video"]
HEADLINES = [
    "Council approves harbour budget after a late-night session",
    "Port strike ends after nine days as crane drivers accept the offer",
    "Ferry timetable changes for the summer season announced",
    "New marine reserve protects seagrass meadows off the north shore",
    "Harbour festival returns with tall ships and a night market",
    "Fishing fleet faces new quota rules from next month",
    "Lifeboat crew rescues two kayakers near the lighthouse",
    "Rail link to the container terminal wins planning approval",
    "Old customs house to reopen as a maritime museum",
    "Storm damage repairs on the sea wall will take until autumn",
    "Local shipyard wins contract for two hybrid ferries",
    "School sailing programme expands to every primary school",
]
PROSE = [
    "Crane drivers at the container terminal returned to work at dawn on Monday after "
    "accepting a pay offer that ends the longest strike at the port in thirty years.",
    "The agreement, reached after eleven hours of talks at the conciliation service, gives "
    "drivers a rise of six per cent this year and a further four per cent next April, along "
    "with a cap on night shifts that the union had made its central demand.",
    "Shipping lines had diverted more than forty vessels to other ports during the dispute, "
    "and the port authority said it expected the backlog of containers on the quay to clear "
    "within a fortnight if the weather held.",
    "\u201cThis was never only about money,\u201d said the union\u2019s branch secretary. "
    "\u201cPeople were working five nights out of seven, and that is not a life.\u201d",
    "The port authority\u2019s chief executive said the deal was affordable because volumes "
    "had grown faster than forecast, and that both sides would meet again in the autumn to "
    "review how the new shift pattern was working.",
]


def slug(title: str) -> str:
    return "-".join(title.lower().replace(",", "").split())


def story_url(n: int) -> str:
    return f"{SITE}/2024/04/{22 - n % 20:02d}/{slug(HEADLINES[n % len(HEADLINES)])}/"


def chrome(head: str, main: str, title: str = "The Harbour Times") -> str:
    """A news site's page: header and navigation, the main part, footer links."""
    nav = "".join(f'<li><a href="/{section}/">{section.title()}</a></li>' for section in SECTIONS)
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{head}
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js" defer></script>
</head><body>
<header class="site-header"><a class="logo" href="/">The Harbour Times</a>
<form class="search" action="/search"><input name="q" placeholder="Search"></form>
<nav class="main-nav"><ul>{nav}</ul></nav></header>
<main id="main">{main}</main>
<footer class="site-footer"><ul><li><a href="/about/">About us</a></li>
<li><a href="/contact/">Contact</a></li><li><a href="/privacy/">Privacy</a></li>
<li><a href="/terms/">Terms</a></li><li><a href="/newsletters/">Newsletters</a></li></ul>
<p>&copy; 2024 The Harbour Times Ltd. All rights reserved.</p></footer>
</body></html>"""


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def capture(url: str, html: str) -> Capture:
    return Capture(
        url=url,
        status=200,
        headers=(("Content-Type", "text/html; charset=utf-8"),),
        body=html.encode("utf-8"),
        fetched_at="2024-04-22T10:00:00+00:00",
        warc_file="",
        warc_offset=0,
        warc_length=0,
        warc_record_id="",
        payload_digest=None,
    )


def teaser_list(count: int = 10) -> str:
    """A plain list of teasers: headline link, time, one-sentence standfirst."""
    items = "".join(
        f'<li class="teaser"><h3><a href="{story_url(n)}">{HEADLINES[n % len(HEADLINES)]}</a>'
        f'</h3><time datetime="2024-04-{22 - n:02d}">{22 - n} April</time>'
        f"<p>{PROSE[n % len(PROSE)][:140]}…</p></li>"
        for n in range(count)
    )
    return f'<ul class="teasers">{items}</ul>'


def article_body(paragraphs: list[str]) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


def latest_sidebar(count: int = 12) -> str:
    links = "".join(
        f'<li><a href="{story_url(n)}">{HEADLINES[n % len(HEADLINES)]}</a></li>'
        for n in range(count)
    )
    return f'<aside class="latest"><h2>Latest</h2><ol>{links}</ol></aside>'


# The fixtures: (URL, HTML, kind, deciding tier)


def wordpress_category_archive() -> tuple[str, str]:
    """Yoast on a category archive: CollectionPage, og:type website, one <article> per excerpt."""
    url = f"{SITE}/category/politics/"
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "CollectionPage", "@id": url, "url": url, "name": "Politics Archives"},
            {"@type": "BreadcrumbList", "@id": f"{url}#breadcrumb"},
            {"@type": "WebSite", "@id": f"{SITE}/#website", "url": f"{SITE}/"},
        ],
    }
    head = (
        '<meta property="og:type" content="website">'
        f'<meta property="og:title" content="Politics Archives">{json_ld(graph)}'
    )
    posts = "".join(
        f"""<article id="post-{4400 + n}" class="post-{4400 + n} post type-post status-publish
 format-standard hentry category-politics"><header class="entry-header">
<h2 class="entry-title"><a href="{story_url(n)}" rel="bookmark">{HEADLINES[n]}</a></h2>
<div class="entry-meta"><span class="posted-on">Posted on <a href="{story_url(n)}"
 rel="bookmark"><time class="entry-date published" datetime="2024-04-{22 - n:02d}T09:15:00+02:00">
April {22 - n}, 2024</time></a></span><span class="byline"> by <span class="author vcard">
<a class="url fn n" href="{SITE}/author/ana-ruiz/">Ana Ruiz</a></span></span></div></header>
<div class="entry-summary"><p>{PROSE[n % len(PROSE)]} [&hellip;]</p></div>
<footer class="entry-footer"><span class="cat-links">Posted in
<a href="{SITE}/category/politics/" rel="category tag">Politics</a></span>
<span class="comments-link"><a href="{story_url(n)}#respond">Leave a Comment</a></span>
</footer></article>"""
        for n in range(10)
    )
    pagination = (
        '<nav class="navigation pagination"><div class="nav-links">'
        '<span aria-current="page" class="page-numbers current">1</span>'
        f'<a class="page-numbers" href="{url}page/2/">2</a>'
        f'<a class="next page-numbers" href="{url}page/2/">Next</a></div></nav>'
    )
    main = (
        '<header class="page-header"><h1 class="page-title">Category: <span>Politics</span>'
        f"</h1></header>{posts}{pagination}"
    )
    return url, chrome(head, main, "Politics Archives - The Harbour Times")


def tag_page() -> tuple[str, str]:
    """A tag page declaring nothing: the URL says what it is."""
    main = f'<h1>Tagged: port strike</h1>{teaser_list(8)}<a href="?page=2">Older stories</a>'
    return f"{SITE}/tag/port-strike/", chrome("", main, "Port strike | The Harbour Times")


def paginated_list() -> tuple[str, str]:
    """Page 2 of a section: a list of teasers with a prose-like intro."""
    main = (
        '<h1>World</h1><p class="intro">The latest news from around the world, from our '
        "correspondents and the wires, updated around the clock.</p>"
        f'{teaser_list(12)}<nav class="pager"><a href="/world/page/1/">Newer</a>'
        '<a href="/world/page/3/">Older</a></nav>'
    )
    return f"{SITE}/world/page/2/", chrome("", main, "World – page 2 | The Harbour Times")


def news_brief() -> tuple[str, str]:
    """Two short paragraphs beside a long list of links: the declaration decides."""
    head = (
        '<meta property="og:type" content="article">'
        '<meta property="article:published_time" content="2024-04-22T07:02:00+01:00">'
        '<meta property="article:section" content="Business">'
    )
    main = (
        '<article class="brief"><h1>Crane fire halts loading at berth 7</h1>'
        '<p class="byline">By Staff reporter</p>'
        "<p>A fire in the cab of a gantry crane stopped loading at berth 7 for two hours on "
        "Monday morning. Nobody was hurt.</p><p>The port authority said the crane would be "
        "inspected before returning to service.</p></article>"
        f"{latest_sidebar()}"
    )
    return f"{SITE}/business/crane-fire-berth-7", chrome(
        head, main, "Crane fire | The Harbour Times"
    )


def live_blog() -> tuple[str, str]:
    """A live blog: many short timestamped updates full of links, declared LiveBlogPosting."""
    url = f"{SITE}/live/2024/apr/22/port-strike-talks-live"
    data = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": "Port strike talks: live updates",
        "coverageStartTime": "2024-04-22T06:00:00+01:00",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "headline": HEADLINES[n], "url": f"{url}#block-{n}"}
            for n in range(8)
        ],
    }
    head = f'<meta property="og:type" content="article">{json_ld(data)}'
    updates = "".join(
        f'<div class="block" id="block-{n}"><time>{9 + n}:{15 + n}</time>'
        f'<p>Update: <a href="{story_url(n)}">{HEADLINES[n]}</a>.</p>'
        f'<a class="share" href="{url}#block-{n}">Share this update</a></div>'
        for n in range(8)
    )
    main = f'<article class="live"><h1>Port strike talks: live updates</h1>{updates}</article>'
    return url, chrome(head, main, "Port strike talks: live | The Harbour Times")


def article_without_metadata() -> tuple[str, str]:
    """An old hand-made page: no declarations, no <article>, a dated slug URL."""
    main = (
        '<table width="100%"><tr><td class="story"><h1>Port strike ends</h1>'
        f'{article_body(PROSE[:3])}</td><td class="side">{latest_sidebar(10)}</td></tr></table>'
    )
    return story_url(1), chrome("", main, "Port strike ends")


def home_with_website_json_ld() -> tuple[str, str]:
    """A home page declaring the WebSite (with its search action) and the publisher."""
    data = [
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": "The Harbour Times",
            "url": f"{SITE}/",
            "potentialAction": {
                "@type": "SearchAction",
                "target": f"{SITE}/search?q={{search_term_string}}",
                "query-input": "required name=search_term_string",
            },
        },
        {"@context": "https://schema.org", "@type": "NewsMediaOrganization", "url": f"{SITE}/"},
    ]
    main = (
        f'<section class="top"><h2><a href="{story_url(0)}">{HEADLINES[0]}</a></h2>'
        f"<p>{PROSE[0]}</p></section>{teaser_list(11)}"
    )
    return f"{SITE}/", chrome(json_ld(data), main)


def section_with_site_wide_article_og_type() -> tuple[str, str]:
    """A section page of a site that says og:type article everywhere: structure decides."""
    main = f"<h1>Business</h1>{teaser_list(12)}"
    return f"{SITE}/business/", chrome('<meta property="og:type" content="article">', main)


def section_listing_its_stories_in_json_ld() -> tuple[str, str]:
    """NewsArticle items nested in the hub's ItemList are not the page's own type."""
    data = {
        "@context": "https://schema.org",
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": n + 1, "item": {"@type": "NewsArticle", "url": u}}
            for n, u in enumerate(story_url(n) for n in range(6))
        ],
    }
    return f"{SITE}/science/", chrome(json_ld(data), f"<h1>Science</h1>{teaser_list(6)}")


def short_url_article_with_site_wide_website() -> tuple[str, str]:
    """WebSite JSON-LD on every page of the site does not make an article a hub."""
    data = {"@context": "https://schema.org", "@type": "WebSite", "url": f"{SITE}/"}
    main = f"<article><h1>Night trains return</h1>{article_body(PROSE)}</article>"
    return f"{SITE}/news/trains", chrome(json_ld(data), main)


def hub_at_a_neutral_url() -> tuple[str, str]:
    """No declarations and a URL that says nothing: links everywhere, no prose."""
    cards = "".join(
        f'<div class="card"><a href="{story_url(n)}"><img src="/img/{n}.jpg" alt="">'
        f"<span>{HEADLINES[n % len(HEADLINES)]}</span></a></div>"
        for n in range(12)
    )
    return f"{SITE}/latest.php", chrome("", f"<h1>Latest</h1>{cards}")


FIXTURES = [
    (wordpress_category_archive, "hub", "metadata"),
    (tag_page, "hub", "url"),
    (paginated_list, "hub", "url"),
    (news_brief, "article", "metadata"),
    (live_blog, "article", "metadata"),
    (article_without_metadata, "article", "url"),
    (home_with_website_json_ld, "hub", "metadata"),
    (section_with_site_wide_article_og_type, "hub", "structure"),
    (section_listing_its_stories_in_json_ld, "hub", "metadata"),
    (short_url_article_with_site_wide_website, "article", "structure"),
    (hub_at_a_neutral_url, "hub", "structure"),
]


@pytest.mark.parametrize(
    ("fixture", "kind", "tier"), FIXTURES, ids=[fixture.__name__ for fixture, _, _ in FIXTURES]
)
def test_cms_pages(fixture, kind: str, tier: str) -> None:
    verdict = page_verdict(capture(*fixture()))
    assert (verdict.kind, verdict.decided_by) == (kind, tier), verdict.reason
    assert page_kind(capture(*fixture())) == kind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (f"{SITE}/", "hub"),
        (f"{SITE}/index.php", "hub"),
        (f"{SITE}/news/page/3/", "hub"),
        (f"{SITE}/world/?page=2", "hub"),
        (f"{SITE}/author/ana-ruiz/", "hub"),
        (f"{SITE}/2024/04/", "hub"),
        (f"{SITE}/2024/04/22/", "hub"),
        (f"{SITE}/world/middle-east/", "hub"),
        (f"{SITE}/2024/04/22/port-strike-ends/", "article"),
        (f"{SITE}/world/2024/apr/22/port-strike-ends", "article"),
        (f"{SITE}/news/uk-england-devon-68812345", "article"),
        (f"{SITE}/a/2024/04/22/a3041287.html", "article"),
        (f"{SITE}/article.php?id=4418", "article"),
        (f"{SITE}/?p=4418", "article"),  # WordPress without pretty permalinks
        (f"{SITE}/page/2/", "hub"),
        (f"{SITE}/category/politics/page/1/", "hub"),
        (f"{SITE}/news/news_view.html?idx=8576&page=1", "article"),
    ],
)
def test_url_shapes_alone(url: str, kind: str) -> None:
    """With an empty page, only the URL speaks (and the missing prose leans to hub)."""
    assert page_kind(capture(url, "<html><body></body></html>")) == kind


def test_the_verdict_says_why() -> None:
    verdict = page_verdict(capture(*tag_page()))
    assert verdict.reason == "url: /tag/ path -2"


def test_an_unparsable_body_is_judged_by_its_url() -> None:
    assert page_kind(capture(story_url(0), "")) == "article"
    assert page_kind(capture(f"{SITE}/", "\x00\x01")) == "hub"


# Overrides


def test_rules_come_before_the_signals_and_hub_patterns_before_article_ones() -> None:
    rules = ClassifyRules(article_patterns=[r"/live/", r"/\d{4}/"], hub_patterns=[r"/page/\d+/"])
    live_url, live_html = live_blog()
    assert page_verdict(capture(live_url, live_html), rules=rules).decided_by == "rules"
    url, html = tag_page()
    assert page_verdict(capture(url, html), rules=ClassifyRules([r"/tag/"])).kind == "article"
    paged = f"{SITE}/2024/04/page/2/"
    verdict = page_verdict(capture(paged, chrome("", teaser_list())), rules=rules)
    assert (verdict.kind, verdict.reason) == ("hub", r"rules: hub pattern /page/\d+/ +0")
    assert rules.match(f"{SITE}/about/") is None


def test_a_bad_pattern_is_named() -> None:
    with pytest.raises(ValueError, match=r"^hub pattern '/tag/\(' is not a regex: "):
        ClassifyRules(hub_patterns=["/tag/("])


# The demo site


def fetch(url: str) -> Capture:
    with urllib.request.urlopen(url, timeout=10) as response:
        return Capture(
            url=url,
            status=response.status,
            headers=tuple(response.headers.items()),
            body=response.read(),
            fetched_at="",
            warc_file="",
            warc_offset=0,
            warc_length=0,
            warc_record_id="",
            payload_digest=None,
        )


def test_the_demo_sites_articles_and_hub_pages() -> None:
    sections = {content.key: content.sections for content in load_outlets()}
    with DemoSite() as site:
        hubs = [
            url
            for outlet in site.outlets
            for url in [outlet.home_url]
            + [outlet.base_url + section.path for section in sections[outlet.key]]
        ]
        articles = [article.url for article in site.articles]
        kinds = {url: page_verdict(fetch(url)) for url in hubs + articles}
    assert len(articles) == 20 and len(hubs) == 23
    wrong = {url: verdict.reason for url, verdict in kinds.items() if verdict.kind != "article"}
    assert set(wrong) == set(hubs), wrong
