"""Scrapy settings for a tearsheet crawl, built from CrawlOptions."""

from typing import Any

from tearsheet import __version__
from tearsheet.scrapers.options import CrawlOptions

CAPTURE_MIDDLEWARE = "tearsheet.scrapers.middlewares.WarcCaptureMiddleware"
CAPTURE_ORDER = 950  # after compression (590) and redirects (600) in response order
RECORDING_HANDLER = "tearsheet.scrapers.wire.RecordingHTTP11DownloadHandler"


def default_user_agent() -> str:
    return f"tearsheet/{__version__} (news archiver; Scrapy)"


def build_settings(options: CrawlOptions) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "BOT_NAME": "tearsheet",
        "USER_AGENT": options.user_agent or default_user_agent(),
        "ROBOTSTXT_OBEY": options.obey_robots,
        "DEPTH_LIMIT": options.depth_limit,
        "DOWNLOADER_MIDDLEWARES": {CAPTURE_MIDDLEWARE: CAPTURE_ORDER},
        "DOWNLOAD_HANDLERS": {"http": RECORDING_HANDLER, "https": RECORDING_HANDLER},
        "DOWNLOAD_TIMEOUT": 30,
        "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": options.log_level,
        "LOG_INSTALL_ROOT_HANDLER": False,  # tearsheet's own handler is in place
        "TEARSHEET_ARCHIVE_DIR": str(options.archive_dir),
        "TEARSHEET_OPTIONS": options.to_dict(),
    }
    settings.update(options.extra_settings)
    return settings
