"""What a long crawl shows while it runs and when it ends.

On a terminal: a live line (pages, articles, errors, rate, queue) and a
summary table at the end. Elsewhere (a log file, cron, CI): a plain line
every ``TEARSHEET_PROGRESS_INTERVAL`` seconds (the command prints the
summary line). ``TEARSHEET_QUIET`` shows neither.
"""

import sys
import time
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from tearsheet.scrapers.middlewares import session_of
from tearsheet.scrapers.traps import capped_total


class Progress:
    """A Scrapy extension that reports the crawl session's counts."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.quiet = settings.getbool("TEARSHEET_QUIET")
        self.interval = settings.getfloat("TEARSHEET_PROGRESS_INTERVAL", 10.0)
        self.console = Console(stderr=True)
        self.interactive = self.console.is_terminal
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None
        self.started = time.monotonic()
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "Progress":
        return cls(crawler)

    def counts(self) -> dict[str, Any]:
        session = session_of(self.crawler)
        stats = session.stats
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return {
            "fetched": stats.get("fetched", 0),
            "articles": stats.get("article", 0),
            "hubs": stats.get("hub", 0),
            "errors": stats.get("errors", 0),
            "capped": capped_total(stats),
            "queue": session.frontier.count_state("queued"),
            "rate": stats.get("fetched", 0) / elapsed,
            "elapsed": elapsed,
        }

    def line(self) -> str:
        c = self.counts()
        return (
            f"{c['fetched']} fetched ({c['rate']:.1f}/s), {c['articles']} articles, "
            f"{c['hubs']} hub pages, {c['errors']} errors, {c['queue']} queued"
        )

    def opened(self, spider: Any) -> None:
        if self.quiet:
            return
        if self.interactive:
            self.live = Live(self.line(), console=self.console, refresh_per_second=4)
            self.live.start()
            self.loop = task.LoopingCall(lambda: self.live and self.live.update(self.line()))
            self.loop.start(0.25, now=False)
        else:
            self.loop = task.LoopingCall(
                lambda: print(f"tearsheet: {self.line()}", file=sys.stderr)
            )
            self.loop.start(self.interval, now=False)

    def closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.live is not None:
            self.live.stop()
        if self.interactive and not self.quiet:
            self.console.print(self.summary(reason))

    def summary(self, reason: str) -> Table:
        counts = self.counts()
        table = Table(title=f"Crawl {reason} in {counts['elapsed']:.0f} s", show_header=False)
        for label, key in (
            ("responses archived", "fetched"),
            ("articles stored", "articles"),
            ("hub pages", "hubs"),
            ("errors (see the errors table)", "errors"),
            ("links refused by caps", "capped"),
            ("still queued", "queue"),
        ):
            table.add_row(label, str(counts[key]))
        table.add_row("pages per second", f"{counts['rate']:.1f}")
        return table
