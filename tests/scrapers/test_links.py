"""The links a crawled page yields, and what reading them costs in memory."""

import gc
import weakref

from scrapy.http import HtmlResponse

from tearsheet.scrapers.site import SiteSpider

PAGE = b"""<html><body><h1>Fixture Times</h1>
<a href="/news/rail.html">Night trains</a> <a href="https://elsewhere.example/x">Out</a>
</body></html>"""


def spider(depth_limit: int) -> SiteSpider:
    return SiteSpider({"start_urls": ["http://fixture.example/"], "depth_limit": depth_limit})


def test_a_page_is_freed_as_soon_as_its_links_are_read() -> None:
    """Without the cyclic collector: a parsed tree is several times its page's size."""
    response = HtmlResponse("http://fixture.example/", body=PAGE, encoding="utf-8")
    freed = weakref.ref(response)
    gc.disable()
    try:
        urls = spider(2).link_urls(response, 1)
        del response
        assert freed() is None
    finally:
        gc.enable()
    assert urls == ["http://fixture.example/news/rail.html", "https://elsewhere.example/x"]


def test_a_page_at_the_depth_limit_yields_no_links() -> None:
    response = HtmlResponse("http://fixture.example/deep", body=PAGE, encoding="utf-8")
    assert spider(2).link_urls(response, 3) == []
    assert spider(0).link_urls(response, 30) != []  # 0: no limit
