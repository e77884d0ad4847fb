"""What a crawl is asked to do, independent of how Scrapy is configured."""

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tearsheet.archive.writer import DEFAULT_MAX_FILE_SIZE
from tearsheet.processing import DEFAULT_PLUGIN_TIMEOUT


@dataclass
class CrawlOptions:
    """The options of one crawl; recorded in the warcinfo record and ``runs``."""

    start_urls: list[str]
    archive_dir: Path
    spider: str = "site"
    depth_limit: int = 3
    max_pages: int = 0
    obey_robots: bool = True
    max_warc_size: int = DEFAULT_MAX_FILE_SIZE
    user_agent: str | None = None
    log_level: str = "WARNING"
    plugin_timeout: float = DEFAULT_PLUGIN_TIMEOUT
    extra_settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["archive_dir"] = str(self.archive_dir)
        return data
