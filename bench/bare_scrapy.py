"""Bare Scrapy: the same links as a tearsheet crawl, without WARC capture or extraction.

The harness's baseline: a minimal spider with no tearsheet code, following
links within the start points' sites with the concurrency, depth, delay and
robots.txt settings the tearsheet crawl is given. Prints its counts as JSON:

    python bench/bare_scrapy.py URL... --concurrency N --depth D
"""

import argparse
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import CrawlerProcess
from scrapy.http import HtmlResponse, Response
from scrapy.linkextractors import LinkExtractor


class BareSpider(Spider):
    name = "bare"

    def __init__(self, start: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = start
        self.hosts = {urlsplit(url).netloc for url in start}
        self.links = LinkExtractor()
        self.statuses: Counter[int] = Counter()

    def parse(self, response: Response) -> Iterator[Request]:
        self.statuses[response.status] += 1
        if not isinstance(response, HtmlResponse):
            return
        for link in self.links.extract_links(response):
            if urlsplit(link.url).netloc in self.hosts:
                yield Request(link.url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--concurrency", type=int, required=True, help="requests per site")
    parser.add_argument("--depth", type=int, required=True)
    args = parser.parse_args()
    process = CrawlerProcess(
        {
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DEPTH_LIMIT": args.depth,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "TELNETCONSOLE_ENABLED": False,  # as in a tearsheet crawl: no console into it
            "EXTENSIONS": {"scrapy.extensions.remote_control.RemoteControl": None},
            "LOG_LEVEL": "WARNING",
            "USER_AGENT": "tearsheet-bench-bare-scrapy",
        }
    )
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, start=args.urls)
    process.start()
    spider = crawler.spider
    print(json.dumps({"pages": sum(spider.statuses.values()), "statuses": spider.statuses}))


if __name__ == "__main__":
    main()
