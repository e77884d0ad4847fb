"""Conditional requests: a page archived before is fetched only if it changed.

For a URL the archive holds, the request carries the last capture's ETag
(If-None-Match) and Last-Modified (If-Modified-Since); an unchanged page
then costs a 304, which is archived as such.
"""

from scrapy import Request, Spider
from scrapy.crawler import Crawler

from tearsheet.scrapers.middlewares import session_of


class ConditionalRequestMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "ConditionalRequestMiddleware":
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        session = session_of(self.crawler)
        if not session.archived_before:
            return
        if request.method != "GET" or b"If-None-Match" in request.headers:
            return
        etag, modified = session.corpus.validators_of(request.url)
        if etag:
            request.headers["If-None-Match"] = etag
        if modified:
            request.headers["If-Modified-Since"] = modified
