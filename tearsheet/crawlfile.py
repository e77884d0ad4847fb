"""Crawl files: a crawl described in TOML, checked before anything runs.

```toml
output = "archive"

[crawl]                    # any CrawlOptions field: depth_limit, max_pages, delay, …
depth_limit = 2
contact = "mailto:archive@example.org"

[[sites]]                  # start points and rules, one table per site
start = ["https://news.example/"]
sitemaps = ["https://news.example/sitemap.xml"]
feeds = ["https://news.example/rss"]
url_lists = ["urls.txt"]   # relative to the crawl file
allow = ["/20\\d\\d/"]
deny = ["/tag/"]

[plugins]
disable = ["clean_related"]
load = ["adfree"]          # only these third-party plugins
dir = "plugins"            # single-file plugins, relative to the crawl file
```
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tearsheet.plugins.manager import PluginChoice

CRAWL_KEYS = {
    "depth_limit": int,
    "max_pages": int,
    "obey_robots": bool,
    "allow_private": bool,
    "user_agent": str,
    "contact": str,
    "concurrency_per_site": int,
    "delay": (int, float),
    "autothrottle": bool,
    "retries": int,
    "max_warc_size": int,
    "plugin_timeout": (int, float),
    "spider": str,
    "sitemaps_from_robots": bool,
    "redis": str,
    "job": str,
    "download_timeout": (int, float),
    "max_download_size": int,
    "max_url_length": int,
    "max_query_variants": int,
    "max_pages_per_site": int,
}
SITE_KEYS = {
    "start",
    "sitemaps",
    "feeds",
    "url_lists",
    "allow",
    "deny",
    "article_patterns",
    "hub_patterns",
}
PLUGIN_KEYS = {"disable", "load", "dir"}
TOP_KEYS = {"output", "crawl", "sites", "plugins"}


class CrawlFileError(ValueError):
    """A crawl file that cannot be used; the message names the file and the problem."""


@dataclass
class CrawlFile:
    """What a crawl file sets: CrawlOptions fields and the plugin choice."""

    options: dict[str, Any] = field(default_factory=dict)
    plugins: PluginChoice | None = None


def load_crawl_file(path: Path) -> CrawlFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CrawlFileError(f"{path}: cannot read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CrawlFileError(f"{path}: not valid TOML: {exc}") from exc
    problem = _Problems(path)
    problem.unknown(data, TOP_KEYS, "the top level")
    options: dict[str, Any] = {}
    if "output" in data:
        options["archive_dir"] = path.parent / problem.typed(data["output"], str, "output")
    crawl = problem.table(data.get("crawl", {}), "[crawl]")
    problem.unknown(crawl, CRAWL_KEYS.keys(), "[crawl]")
    for key, value in crawl.items():
        options[key] = problem.typed(value, CRAWL_KEYS[key], f"[crawl] {key}")
    for number, site in enumerate(problem.array(data.get("sites", []), "[[sites]]"), 1):
        where = f"[[sites]] #{number}"
        site = problem.table(site, where)
        problem.unknown(site, SITE_KEYS, where)
        for key, value in site.items():
            values = [problem.typed(v, str, f"{where} {key}") for v in problem.array(value, key)]
            if key == "url_lists":
                values = [path.parent / v for v in values]
            target = "start_urls" if key == "start" else key
            options.setdefault(target, []).extend(values)
    return CrawlFile(options, _plugin_choice(data.get("plugins"), path, problem))


def _plugin_choice(table: Any, path: Path, problem: "_Problems") -> PluginChoice | None:
    if table is None:
        return None
    table = problem.table(table, "[plugins]")
    problem.unknown(table, PLUGIN_KEYS, "[plugins]")
    names = {
        key: frozenset(
            problem.typed(v, str, f"[plugins] {key}") for v in problem.array(table[key], key)
        )
        for key in ("disable", "load")
        if key in table
    }
    directory = table.get("dir")
    return PluginChoice(
        only=names.get("load"),
        disabled=names.get("disable", frozenset()),
        plugins_dir=path.parent / problem.typed(directory, str, "[plugins] dir")
        if directory
        else None,
    )


class _Problems:
    """Raises CrawlFileError naming the file, the key and what was wrong."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> None:
        raise CrawlFileError(f"{self.path}: {message}")

    def unknown(self, table: dict[str, Any], known: Any, where: str) -> None:
        for key in table:
            if key not in known:
                self.fail(f"unknown key {key!r} in {where} (known: {', '.join(sorted(known))})")

    def typed(self, value: Any, kind: Any, where: str) -> Any:
        wanted = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in wanted or not isinstance(value, wanted):
            names = " or ".join(k.__name__ for k in wanted)
            self.fail(f"{where} must be {names}, not {type(value).__name__} {value!r}")
        return value

    def table(self, value: Any, where: str) -> dict[str, Any]:
        return self.typed(value, dict, where)

    def array(self, value: Any, where: str) -> list[Any]:
        return self.typed(value, list, where)
