"""Several workers, one crawl: scrapy-redis's shared request queue and duplicate filter.

Every worker runs the same crawl with ``--redis URL``: requests go into one
Redis sorted set and request fingerprints into one Redis set, so a URL is
fetched once across workers. The job's keys are ``tearsheet:JOB:requests``,
``tearsheet:JOB:dupefilter``, ``tearsheet:JOB:workers``, and per worker a
short-lived ``tearsheet:JOB:busy:WORKER`` and ``tearsheet:JOB:taken:WORKER``.
"""

import time
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.retry import Retry
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro
from scrapy_redis.scheduler import Scheduler
from twisted.internet.task import LoopingCall

from tearsheet.scrapers.frontier import Frontier
from tearsheet.scrapers.middlewares import session_of
from tearsheet.scrapers.options import CrawlOptions
from tearsheet.scrapers.runner import RedisUnavailableError
from tearsheet.scrapers.site import KIND_KEY, PAGE_KEY

REDIS_ERRORS = (redis.RedisError, OSError)


# Pop the queue's first request into a worker's own set, atomically.
POP_INTO = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
redis.call('ZADD', KEYS[2], popped[2], popped[1])
return popped[1]
"""

# Mark a request seen and queue it in one step: done as two commands, a worker
# killed between them left a URL seen and in no queue, and no one fetched it.
SEE_AND_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def job_key(job: str, name: str) -> str:
    return f"tearsheet:{job}:{name}"


def redis_address(url: str) -> str:
    """The URL without its password, fit for messages."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path}"


def check_redis(url: str) -> None:
    """Fail at once, in one line, when the job's Redis cannot be reached."""
    client = redis.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=5, retry=Retry(NoBackoff(), 0)
    )
    try:
        client.ping()
    except REDIS_ERRORS as exc:
        raise RedisUnavailableError(f"cannot reach Redis at {redis_address(url)}: {exc}") from exc
    finally:
        client.close()


def redis_settings(options: CrawlOptions) -> dict[str, Any]:
    """Scrapy settings that put a crawl's scheduling in the job's Redis."""
    job = str(options.job)
    return {
        "SCHEDULER": "tearsheet.scrapers.distributed.SharedScheduler",
        "SCHEDULER_PERSIST": True,  # the queue outlives any one worker
        "SCHEDULER_QUEUE_KEY": job_key(job, "requests"),
        # A sorted set, as the scripts above expect.
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        "SCHEDULER_DUPEFILTER_KEY": job_key(job, "dupefilter"),
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": options.redis,
        # A blip of up to ~3.5 s is retried; a longer outage stops the worker
        # (redis-py's default retries could block the crawl for minutes).
        "REDIS_PARAMS": {
            "socket_timeout": 5,
            "socket_connect_timeout": 5,
            "retry": Retry(ExponentialBackoff(cap=1, base=0.25), 4),
        },
        "TEARSHEET_JOB": job,
        "TEARSHEET_WORKER": options.worker_id,
    }


class SharedScheduler(Scheduler):
    """scrapy-redis's scheduler, keeping this worker's frontier in step with the queue.

    - A page popped from the queue is this worker's: it is in the worker's
      frontier before it is fetched, so a killed worker's ``--resume`` can
      give back what it had taken and not archived.
    - A link the spider found is in the frontier (``found``) until Redis has
      it, so a page can be marked done before its links reach Redis.
    - A page pushed to the queue or filtered as seen (a link, a page given
      back, a redirect or retry another worker may take) is no longer this
      worker's.
    - If Redis fails, the worker stops cleanly and what could not be pushed
      stays in the frontier; ``--resume`` pushes it later.

    An idle worker waits while the queue holds requests or another worker is
    busy (its pages may still add links), and stops once the whole job has
    been quiet for QUIET seconds.
    """

    TICK = 0.25  # an idle worker looks at the queue this often (Scrapy's heartbeat is 5 s)
    QUIET = 1.0
    BUSY_TTL = 10  # a killed worker stops counting as busy after this many seconds

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> "SharedScheduler":
        scheduler = super().from_crawler(crawler)
        # scrapy-redis counts with an argument Scrapy 2.19 deprecates, warning
        # on every request; tearsheet's progress counts pages itself.
        scheduler.stats = None
        scheduler.crawler = crawler
        scheduler.url = crawler.settings["REDIS_URL"]
        scheduler.archive_dir = crawler.settings["TEARSHEET_ARCHIVE_DIR"]
        job, worker = crawler.settings["TEARSHEET_JOB"], crawler.settings["TEARSHEET_WORKER"]
        scheduler.busy_key = job_key(job, f"busy:{worker}")
        scheduler.busy_pattern = job_key(job, "busy:*")
        scheduler.workers_key = job_key(job, "workers")
        scheduler.taken_key = job_key(job, f"taken:{worker}")
        scheduler.pop_into = scheduler.server.register_script(POP_INTO)
        scheduler.see_and_push = scheduler.server.register_script(SEE_AND_PUSH)
        scheduler.worker = worker
        scheduler.lost = False
        scheduler.quiet_since = None
        scheduler.ticker = LoopingCall(scheduler._tick)
        crawler.signals.connect(scheduler._idle, signal=signals.spider_idle)
        return scheduler

    @property
    def frontier(self) -> Frontier:
        return session_of(self.crawler).frontier

    def open(self, spider: Spider) -> None:
        super().open(spider)
        new_here = self.server.sadd(self.workers_key, self.worker) == 1
        if spider.settings.getdict("TEARSHEET_OPTIONS").get("resume"):
            self._recover_taken()
            if new_here:
                self._reseed()
        self.ticker.start(self.TICK, now=False)

    def _reseed(self) -> None:
        """This Redis lost the job (restarted empty): put back what this worker knows.

        Its pages are marked seen, and its finished pages become ``archived``
        again, so the resuming spider takes their links from the WARC files.
        """
        urls = self.frontier.urls()
        fingerprints = [self.df.request_fingerprint(Request(url)) for url in urls]
        for start in range(0, len(fingerprints), 1000):
            self.server.sadd(self.df.key, *fingerprints[start : start + 1000])
        self.frontier.reopen_done()

    def close(self, reason: str) -> None:
        if self.ticker.running:
            self.ticker.stop()
        if not self.lost:
            with suppress(*REDIS_ERRORS):  # else it expires by itself
                self.server.delete(self.busy_key)
        super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        page = request.meta.get(PAGE_KEY)
        try:
            if self.lost:
                raise redis.ConnectionError("already lost")
            queued = self._see_and_push(request)
        except REDIS_ERRORS as exc:
            self._lose(exc)
            if page:  # a page this worker holds keeps its state
                depth = int(request.meta.get("depth", 0))
                self.frontier.add(page, depth, request.meta.get(KIND_KEY, "page"), "found")
            return False
        if page:  # queued, or filtered: Redis has it either way
            self.frontier.release(page)
        return queued

    def _see_and_push(self, request: Request) -> bool:
        """scrapy-redis's enqueue (fingerprint into the filter, request into the queue), atomic."""
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        data = self.queue._encode_request(request)
        keys = [self.df.key, self.queue.key]
        if self.see_and_push(keys=keys, args=[fingerprint, -request.priority, data]):
            return True
        self.df.log(request, self.spider)
        return False

    def next_request(self) -> Request | None:
        """Pop a request into this worker's ``taken`` set, then into its frontier.

        The set covers the moment between the pop and the frontier's write:
        a worker killed there finds the request in it on ``--resume``.
        """
        if self.lost:
            return None
        try:
            data = self.pop_into(keys=[self.queue.key, self.taken_key])
        except REDIS_ERRORS as exc:
            self._lose(exc)
            return None
        if data is None:
            return None
        request = self.queue._decode_request(data)
        self._take(request)
        try:
            self.server.pipeline().zrem(self.taken_key, data).set(
                self.busy_key, 1, ex=self.BUSY_TTL
            ).execute()
        except REDIS_ERRORS as exc:
            self._lose(exc)
        return request

    def _take(self, request: Request) -> None:
        if page := request.meta.get(PAGE_KEY):
            depth = int(request.meta.get("depth", 0))
            self.frontier.take(page, depth, request.meta.get(KIND_KEY, "page"))

    def _recover_taken(self) -> None:
        """Requests popped by this worker before it stopped, and maybe not in its frontier."""
        for data in self.server.zrange(self.taken_key, 0, -1):
            self._take(self.queue._decode_request(data))
        self.server.delete(self.taken_key)

    def has_pending_requests(self) -> bool:
        if self.lost:
            return False
        try:
            return super().has_pending_requests()
        except REDIS_ERRORS as exc:
            self._lose(exc)
            return False

    def _tick(self) -> None:
        """Have Scrapy look at the shared queue, and keep the busy key while working."""
        if self.lost:
            return
        engine = self.crawler.engine
        if engine is None or engine._slot is None:
            return
        # Scrapy has no public call to poll the scheduler sooner than its heartbeat.
        engine._slot.nextcall.schedule()
        scraping = engine.scraper.slot is not None and not engine.scraper.slot.is_idle()
        if engine.downloader.active or scraping:
            try:
                self.server.set(self.busy_key, 1, ex=self.BUSY_TTL)
            except REDIS_ERRORS as exc:
                self._lose(exc)

    def _idle(self, spider: Spider) -> None:
        """Wait while the job has work anywhere; stop once it has been quiet a while."""
        if self.lost:
            return
        try:
            self.server.delete(self.busy_key)
            busy = next(iter(self.server.scan_iter(match=self.busy_pattern, count=1000)), None)
            waiting = busy is not None or len(self.queue) > 0
        except REDIS_ERRORS as exc:
            self._lose(exc)
            return
        now = time.monotonic()
        if waiting:
            self.quiet_since = None
            raise DontCloseSpider
        if self.quiet_since is None:
            self.quiet_since = now
        if now - self.quiet_since < self.QUIET:
            raise DontCloseSpider

    def _lose(self, exc: BaseException) -> None:
        """Redis is gone: stop this worker cleanly, once, and say how to go on."""
        if self.lost:
            return
        self.lost = True
        self.crawler.tearsheet_redis_lost = (  # type: ignore[attr-defined]
            f"lost Redis at {redis_address(self.url)} mid-crawl ({exc}); worker"
            f" {self.worker} stopped with its WARC files closed: run `tearsheet crawl"
            f" --resume {self.archive_dir} --worker-id {self.worker}` once Redis is back"
        )
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_lost"))
