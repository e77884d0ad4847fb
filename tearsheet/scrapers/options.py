"""What a crawl is asked to do, independent of how Scrapy is configured."""

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tearsheet.archive.writer import DEFAULT_MAX_FILE_SIZE
from tearsheet.processing import DEFAULT_PLUGIN_TIMEOUT
from tearsheet.scrapers.shards import check_worker_id, default_worker_id
from tearsheet.scrapers.traps import DEFAULT_MAX_QUERY_VARIANTS, DEFAULT_MAX_URL_LENGTH

DEFAULT_DOWNLOAD_TIMEOUT = 30.0  # seconds for one response, head to last byte
DEFAULT_MAX_DOWNLOAD_SIZE = 64 * 1024 * 1024  # bytes of one body, as sent or decompressed


@dataclass
class CrawlOptions:
    """The options of one crawl; recorded in the warcinfo record and ``runs``.

    Every field can be set in a crawl file (``tearsheet crawl --config``)
    and overridden by the command line.
    """

    archive_dir: Path
    start_urls: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    feeds: list[str] = field(default_factory=list)
    url_lists: list[Path] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)
    deny: list[str] = field(default_factory=list)
    article_patterns: list[str] = field(default_factory=list)
    hub_patterns: list[str] = field(default_factory=list)
    sitemaps_from_robots: bool = False
    spider: str = "site"
    depth_limit: int = 3
    max_pages: int = 0
    obey_robots: bool = True
    allow_private: bool = False
    user_agent: str | None = None
    contact: str | None = None
    concurrency_per_site: int = 2
    delay: float = 1.0
    autothrottle: bool = True
    retries: int = 3
    max_warc_size: int = DEFAULT_MAX_FILE_SIZE
    plugin_timeout: float = DEFAULT_PLUGIN_TIMEOUT
    extract: bool = True
    workers: int | None = None  # processes that extract; None: one per core
    download_timeout: float = DEFAULT_DOWNLOAD_TIMEOUT
    max_download_size: int = DEFAULT_MAX_DOWNLOAD_SIZE
    max_url_length: int = DEFAULT_MAX_URL_LENGTH
    max_query_variants: int = DEFAULT_MAX_QUERY_VARIANTS
    max_pages_per_site: int = 0
    log_level: str = "WARNING"
    progress_interval: float = 10.0
    resume: bool = False
    # A shared crawl (docs/distributed.md): the job's Redis, this worker, the job's name.
    redis: str | None = None
    worker_id: str | None = None
    job: str | None = None
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.redis:
            if urlsplit(self.redis).scheme not in ("redis", "rediss", "unix"):
                raise ValueError(f"not a Redis URL (redis://HOST:PORT/DB): {self.redis!r}")
            self.worker_id = check_worker_id(self.worker_id or default_worker_id())
            self.job = self.job or Path(self.archive_dir).resolve().name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["archive_dir"] = str(self.archive_dir)
        data["url_lists"] = [str(path) for path in self.url_lists]
        return data

    @classmethod
    def field_types(cls) -> dict[str, Any]:
        return {f.name: f.type for f in fields(cls)}
