"""Sites reached only through sitemaps or feeds; hub pages archived, not stored as articles."""

import gzip
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve

pytestmark = pytest.mark.slow

ARTICLES = [f"/2024/04/{day:02d}/ferry-service-changes-part-{day}" for day in range(1, 7)]
HUBS = ["/", "/news/", "/tag/ferries/"]
XML = [("Content-Type", "application/xml")]


def article_page(path: str) -> bytes:
    day = path.split("-")[-1]
    return html_page(
        f"Ferry service changes, part {day}",
        [f"Part {day}: the island ferry changes its timetable again, the operator said."]
        + ["Commuters will find two extra crossings on weekday mornings from June." * 2] * 3,
    )


def urlset(paths: list[str], base: str, news: bool = False) -> bytes:
    entries = "".join(
        f"<url><loc>{base}{p}</loc>"
        + (
            "<news:news><news:publication_date>2024-04-22</news:publication_date>"
            "<news:title>Ferry</news:title></news:news>"
            if news
            else ""
        )
        + "</url>"
        for p in paths
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    ).encode()


def site(base_holder: list[str]) -> dict[str, Route]:
    """Articles are linked from no page: only sitemaps and feeds name them."""
    base = base_holder[0]
    routes = {path: Route(article_page(path)) for path in ARTICLES}
    hub_text = ["Today's news from the island.", "More stories soon."]
    routes.update({hub: Route(html_page("Island News", hub_text, HUBS)) for hub in HUBS})
    index = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<sitemap><loc>{base}/sitemap-1.xml.gz</loc></sitemap>"
        f"<sitemap><loc>{base}/news-sitemap.xml</loc></sitemap></sitemapindex>"
    ).encode()
    routes["/sitemap_index.xml"] = Route(index, headers=XML)
    routes["/sitemap-1.xml.gz"] = Route(
        gzip.compress(urlset(ARTICLES[:4] + HUBS, base)),
        headers=[("Content-Type", "application/x-gzip")],
    )
    routes["/news-sitemap.xml"] = Route(urlset(ARTICLES[4:], base, news=True), headers=XML)
    items = "".join(f"<item><title>t</title><link>{base}{p}</link></item>" for p in ARTICLES)
    routes["/rss.xml"] = Route(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Island</title>{items}'
        "</channel></rss>".encode(),
        headers=[("Content-Type", "application/rss+xml")],
    )
    entries = "".join(f'<entry><title>t</title><link href="{base}{p}"/></entry>' for p in ARTICLES)
    routes["/atom.xml"] = Route(
        f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Island</title>{entries}</feed>'.encode(),
        headers=[("Content-Type", "application/atom+xml")],
    )
    routes["/robots.txt"] = Route(
        f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap_index.xml\n".encode(),
        headers=[("Content-Type", "text/plain")],
    )
    routes["/broken-sitemap.xml"] = Route(
        urlset(ARTICLES[:2], base)[:-40] + b"<url><loc>&&&", headers=XML
    )
    return routes


def crawl(tmp_path: Path, *args: str) -> tuple[str, sqlite_utils.Database, str]:
    base_holder = ["http://127.0.0.1:0"]
    routes: dict[str, Route] = {}
    with serve(routes) as server:
        base_holder[0] = server.url
        routes.update(site(base_holder))
        result = run_tearsheet(
            "crawl",
            *FAST_CRAWL,
            *(a.replace("BASE", server.url) for a in args),
            "-o",
            str(tmp_path / "archive"),
        )
    assert result.returncode == 0, result.stderr
    return server.url, sqlite_utils.Database(tmp_path / "archive" / "corpus.db"), result.stderr


def assert_articles_only(base: str, db: sqlite_utils.Database) -> None:
    stored = {row["url"] for row in db["articles"].rows}
    assert stored == {base + path for path in ARTICLES}
    captured = {row["url"] for row in db["captures"].rows}
    assert {base + hub for hub in HUBS} & captured  # hubs are archived, just not as articles


@pytest.mark.parametrize(
    "option", ["--sitemap=BASE/sitemap_index.xml", "--feed=BASE/rss.xml", "--feed=BASE/atom.xml"]
)
def test_a_site_reached_only_through_a_sitemap_or_a_feed(tmp_path: Path, option: str) -> None:
    base, db, _ = crawl(tmp_path, option, "BASE/news/")
    assert_articles_only(base, db)


def test_sitemaps_named_in_robots_txt(tmp_path: Path) -> None:
    base, db, _ = crawl(tmp_path, "--sitemaps-from-robots", "BASE/")
    assert_articles_only(base, db)


def test_a_broken_sitemap_is_an_error_row_and_its_readable_part_is_used(tmp_path: Path) -> None:
    base, db, _ = crawl(tmp_path, "--sitemap=BASE/broken-sitemap.xml")
    [error] = db["errors"].rows_where("kind = 'bad_discovery_document'")
    assert error["url"] == base + "/broken-sitemap.xml"
    stored = {row["url"] for row in db["articles"].rows}
    assert base + ARTICLES[0] in stored


def test_a_url_list_with_a_bad_line_is_refused_before_crawling(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("# ferries\nhttp://127.0.0.1:9/a\nnot a url\n")
    result = run_tearsheet("crawl", "--url-list", str(urls), "-o", str(tmp_path / "a"))
    assert result.returncode == 2
    assert "line 3" in result.stderr
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize(
    ("robots", "status"), [(b"<html><body>Welcome!</body></html>", 200), (b"oops", 503)]
)
def test_a_garbage_or_failing_robots_txt_is_reported_and_the_crawl_goes_on(
    tmp_path: Path, robots: bytes, status: int
) -> None:
    routes: dict[str, Route] = {}
    with serve(routes) as server:
        routes.update(site([server.url]))
        routes["/robots.txt"] = Route(robots, status, [("Content-Type", "text/html")])
        result = run_tearsheet(
            "crawl",
            *FAST_CRAWL,
            "--sitemaps-from-robots",
            "--retries",
            "0",
            f"{server.url}/news/",
            "-o",
            str(tmp_path / "archive"),
        )
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "archive" / "corpus.db")
    kinds = {row["kind"] for row in db["errors"].rows}
    assert ("bad_robots_txt" if status == 200 else "http_503") in kinds
    assert {row["url"] for row in db["captures"].rows} >= {server.url + "/news/"}
