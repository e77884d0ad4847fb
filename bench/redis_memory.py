"""Redis memory per queued request and per seen fingerprint in a shared crawl.

Starts its own redis-server (no persistence) on a free loopback port, pushes
N requests of the kind the site spider makes through scrapy-redis's own
PriorityQueue, and N through its RFPDupeFilter, reading ``used_memory``
(INFO memory) before and after each:

    .venv/bin/python bench/redis_memory.py [-n 100000] [--url-length 90]
"""

import argparse
import socket
import subprocess
import tempfile
import time

import redis
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue

from tearsheet.scrapers.site import SiteSpider


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def url(n: int, length: int) -> str:
    """A news-like URL of ``length`` characters (at least the stem's), unique per n."""
    stem = f"https://news.example.org/2024/04/22/story-{n:08d}-"
    return stem + "x" * max(0, length - len(stem))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="requests and fingerprints")
    parser.add_argument("--url-length", type=int, default=90)
    args = parser.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as directory:
        server = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
            + ["--save", "", "--appendonly", "no", "--dir", directory],
            stdout=subprocess.DEVNULL,
        )
        try:
            client = redis.Redis(port=port)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            spider = SiteSpider({"start_urls": ["https://news.example.org/"]})
            queue = PriorityQueue(client, spider, "bench:requests")
            seen = RFPDupeFilter(client, "bench:dupefilter")
            sample = spider.request_for(url(0, args.url_length), depth=2)
            print(f"{args.n} requests for URLs of {len(sample.url)} characters")

            before = used_memory(client)
            for n in range(args.n):
                queue.push(spider.request_for(url(n, args.url_length), depth=2))
            queued = used_memory(client) - before
            print(f"queue (sorted set of pickled requests): {queued / args.n:.0f} bytes a request")

            before = used_memory(client)
            for n in range(args.n):
                seen.request_seen(spider.request_for(url(n, args.url_length), depth=2))
            fingerprints = used_memory(client) - before
            print(f"dupefilter (set of SHA1 hex): {fingerprints / args.n:.0f} bytes a fingerprint")
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
