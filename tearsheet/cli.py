"""The ``tearsheet`` command: thin click commands over the library."""

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from click.core import ParameterSource

from tearsheet import __version__
from tearsheet.plugins.manager import DISABLE_PLUGINS, PLUGINS_DIR

log = logging.getLogger("tearsheet")


class TearsheetGroup(click.Group):
    """A group whose usage errors are one line on stderr and exit status 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(2)
        except click.UsageError as exc:
            click.echo(f"tearsheet: {exc.format_message()}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"tearsheet: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("tearsheet: aborted", err=True)
            sys.exit(130)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)


@click.group(cls=TearsheetGroup)
@click.version_option(__version__, prog_name="tearsheet")
@click.option(
    "--plugins-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also load single-file plugins (*.py) from this directory.",
)
@click.option(
    "--disable-plugin",
    multiple=True,
    metavar="NAME",
    help="Do not load this plugin, tearsheet's own included (repeatable).",
)
def cli(plugins_dir: Path | None, disable_plugin: tuple[str, ...]) -> None:
    """Archive the news: crawl into WARC files, extract a searchable corpus.

    --plugins-dir and --disable-plugin go before the command; they are read
    before plugins load, so that plugin commands can be added or left out.
    """
    set_log_level(logging.WARNING)


def set_log_level(level: int) -> None:
    """One handler on stderr, filtering by level; Scrapy is told not to install its own.

    The filter sits on the handler because Scrapy resets the root logger's level.
    """
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    for handler in logging.getLogger().handlers:
        handler.setLevel(level)


def http_url(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[str]:
    for value in values:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 (raises for a port out of range)
        except ValueError as exc:  # an unclosed IPv6 bracket, a bad port
            message = f"not a valid URL: {value!r}: {exc}"
            raise click.BadParameter(message, ctx=ctx, param=param) from exc
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise click.BadParameter(f"not an http(s) URL: {value!r}", ctx=ctx, param=param)
        if not HOST_NAME.fullmatch(parts.hostname):
            raise click.BadParameter(f"not a valid host name in {value!r}", ctx=ctx, param=param)
    return list(values)


HOST_NAME = re.compile(r"[\w.:%-]+")  # names (IDN too), IPv4, IPv6 without its brackets


plugin_timeout_option = click.option(
    "--plugin-timeout",
    type=click.FloatRange(0),
    default=30.0,
    show_default=True,
    help="Seconds one plugin may spend on one page before it is cut off (0: no limit).",
)


page_pattern_options = [
    click.option(
        "--article-pattern",
        "article_patterns",
        multiple=True,
        metavar="REGEX",
        help="A page whose URL matches is an article (repeatable).",
    ),
    click.option(
        "--hub-pattern",
        "hub_patterns",
        multiple=True,
        metavar="REGEX",
        help="A page whose URL matches is a hub page, not an article (repeatable).",
    ),
]


def with_options(options: list[Any]) -> Any:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def crawl_options(function: Any) -> Any:
    """The options shared by ``crawl`` and ``demo``; defaults are CrawlOptions'."""
    decorators = [
        click.option(
            "--depth",
            "depth_limit",
            type=click.IntRange(0),
            default=3,
            show_default=True,
            help="How many links deep to follow from a start point (0: no limit).",
        ),
        click.option(
            "--max-pages",
            type=click.IntRange(0),
            default=0,
            help="Fetch at most this many pages, robots.txt aside (0: no limit).",
        ),
        click.option(
            "--max-warc-size",
            type=click.IntRange(1024),
            default=1_000_000_000,
            show_default=True,
            help="Start a new WARC file past this many bytes.",
        ),
        click.option("-v", "--verbose", is_flag=True, help="Log Scrapy's progress too."),
        click.option("-q", "--quiet", is_flag=True, help="Say nothing but errors."),
        click.option(
            "--progress-interval",
            type=click.FloatRange(0.1),
            default=10.0,
            show_default=True,
            metavar="SECONDS",
            help="How often to print progress when not on a terminal.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(0),
            default=None,
            help="Processes that extract and store articles [default: one per core;"
            " 0: in the crawl process].",
        ),
        plugin_timeout_option,
    ]
    for decorator in reversed(decorators):
        function = decorator(function)
    return function


@cli.command()
@click.argument("urls", nargs=-1, callback=http_url)
@click.option(
    "-o",
    "--output",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Archive directory: warc/ files and corpus.db go here.",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Continue the stopped crawl of this archive directory, with its options.",
)
@click.option(
    "-c",
    "--config",
    "crawl_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A crawl file (TOML); options given here override it.",
)
@click.option(
    "--sitemap",
    "sitemaps",
    multiple=True,
    callback=http_url,
    help="A sitemap (or sitemap index) to take pages from (repeatable).",
)
@click.option(
    "--feed",
    "feeds",
    multiple=True,
    callback=http_url,
    help="An RSS or Atom feed to take pages from (repeatable).",
)
@click.option(
    "--url-list",
    "url_lists",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of URLs, one per line (repeatable).",
)
@click.option(
    "--allow",
    multiple=True,
    metavar="REGEX",
    help="Follow only links whose URL matches (repeatable).",
)
@click.option(
    "--deny",
    multiple=True,
    metavar="REGEX",
    help="Never follow links whose URL matches (repeatable).",
)
@click.option(
    "--sitemaps-from-robots",
    is_flag=True,
    default=False,
    help="Also take pages from the sitemaps each site's robots.txt names.",
)
@with_options(page_pattern_options)
@click.option("--spider", default="site", show_default=True, help="Spider to run.")
@click.option(
    "--ignore-robots",
    "obey_robots",
    flag_value=False,
    default=True,
    help="Fetch what robots.txt disallows (only with the site owner's consent).",
)
@click.option("--user-agent", help="User-Agent header (default names tearsheet and --contact).")
@click.option("--contact", help="An email address or URL site owners can reach you at.")
@click.option(
    "--allow-private",
    is_flag=True,
    default=False,
    help="Crawl loopback, private and link-local addresses too (refused by default).",
)
@click.option(
    "--concurrency",
    "concurrency_per_site",
    type=click.IntRange(1),
    default=2,
    show_default=True,
    help="Requests in flight per site at most.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=1.0,
    show_default=True,
    help="Seconds between requests to one site (AutoThrottle may raise it).",
)
@click.option(
    "--autothrottle/--no-autothrottle",
    default=True,
    show_default=True,
    help="Adapt the delay to each site's response times.",
)
@click.option(
    "--retries",
    type=click.IntRange(0),
    default=3,
    show_default=True,
    help="Retries of a failed request, with growing pauses; 429/503 Retry-After is honoured.",
)
@click.option(
    "--extract/--no-extract",
    default=True,
    show_default=True,
    help="Extract articles as pages arrive; with --no-extract only archive them"
    " (`tearsheet extract` builds the corpus later).",
)
@click.option(
    "--redis",
    metavar="URL",
    help="Share the crawl with other workers through this Redis (redis://HOST:PORT/DB).",
)
@click.option(
    "--worker-id",
    help="This worker's name in a shared crawl (default: HOST-PID); --resume needs it.",
)
@click.option("--job", help="The shared crawl's name in Redis (default: the output's name).")
@click.option(
    "--download-timeout",
    type=click.FloatRange(0.1),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Give up on a response not complete within this time (a server that drips bytes).",
)
@click.option(
    "--max-download-size",
    type=click.IntRange(1024),
    default=64 * 1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="Give up on a body larger than this, as sent or decompressed.",
)
@click.option(
    "--max-url-length",
    type=click.IntRange(0),
    default=2048,
    show_default=True,
    help="Do not follow links to longer URLs (0: no limit).",
)
@click.option(
    "--max-query-variants",
    type=click.IntRange(0),
    default=100,
    show_default=True,
    help="Follow at most this many query strings of one path, e.g. a calendar (0: no limit).",
)
@click.option(
    "--max-pages-per-site",
    type=click.IntRange(0),
    default=0,
    help="Fetch at most this many pages of one site (0: no limit).",
)
@crawl_options
@click.pass_context
def crawl(
    ctx: click.Context,
    resume_dir: Path | None,
    crawl_file: Path | None,
    urls: list[str],
    **given: Any,
) -> None:
    """Crawl URLS (and sitemaps, feeds, URL lists) into an archive directory.

    Links are followed within the sites of the start points. With --config,
    the crawl file describes the crawl and options given here override it.
    """
    from tearsheet.crawlfile import CrawlFileError, load_crawl_file
    from tearsheet.plugins.manager import use_plugins
    from tearsheet.scrapers.options import CrawlOptions

    settings: dict[str, Any] = {}
    if resume_dir is not None:
        from tearsheet.scrapers.frontier import saved_options
        from tearsheet.scrapers.shards import state_dir, workers_of

        worker = given.get("worker_id")
        saved = saved_options(state_dir(resume_dir, worker))
        if saved is None and not worker and workers_of(resume_dir):
            raise click.UsageError(
                f"{resume_dir} holds the shards of workers {', '.join(workers_of(resume_dir))}:"
                " pass --worker-id"
            )
        if saved is None:
            raise click.UsageError(f"{resume_dir} holds no crawl to resume (no frontier.db)")
        saved.pop("log_level", None)
        settings.update(
            saved,
            archive_dir=resume_dir,
            resume=True,
            url_lists=[Path(p) for p in saved.get("url_lists", [])],
        )
    if crawl_file is not None:
        try:
            loaded_file = load_crawl_file(crawl_file)
        except CrawlFileError as exc:
            raise click.UsageError(str(exc)) from exc
        settings.update(loaded_file.options)
        if loaded_file.plugins is not None:
            use_plugins(loaded_file.plugins)
    given["start_urls"] = urls
    for name, value in given.items():
        if isinstance(value, (list, tuple)):
            settings[name] = [*settings.get(name, []), *value]
        elif name not in settings or ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
            settings[name] = value
    if not settings.get("archive_dir"):
        raise click.UsageError("Missing option '-o' / '--output' (or 'output' in the crawl file).")
    if not resume_dir and not any(
        settings.get(k) for k in ("start_urls", "sitemaps", "feeds", "url_lists")
    ):
        raise click.UsageError(
            "nothing to crawl: give URLS, --sitemap, --feed, --url-list or a "
            "--config with [[sites]]"
        )
    if settings.get("worker_id") and not settings.get("redis"):
        raise click.UsageError("--worker-id names a worker of a shared crawl: give --redis too")
    if settings.get("redis") and settings.get("max_pages"):
        raise click.UsageError("--max-pages is not kept across workers: leave it out with --redis")
    from tearsheet.discovery import DiscoveryError, read_url_list
    from tearsheet.pages import ClassifyRules

    if not settings.get("allow_private"):
        starts = [*settings.get("start_urls", []), *settings.get("sitemaps", [])]
        private = [url for url in [*starts, *settings.get("feeds", [])] if _private_host(url)]
        if private:
            raise click.UsageError(
                f"{private[0]} is a private address: pass --allow-private to crawl it"
            )
    try:
        for path in settings.get("url_lists", []):
            read_url_list(path)
        ClassifyRules(settings.get("article_patterns", []), settings.get("hub_patterns", []))
        options = CrawlOptions(**_limits(settings))
    except (DiscoveryError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    _run_crawl(options)


class RedisUnavailable(click.ClickException):
    """Redis unreachable or lost: exit status 3, so that a supervisor can retry later."""

    exit_code = 3


def _private_host(url: str) -> bool:
    from tearsheet.scrapers.addresses import is_private

    return is_private(urlsplit(url).hostname or "")


def _limits(limits: dict[str, Any]) -> dict[str, Any]:
    verbose, quiet = limits.pop("verbose", False), limits.pop("quiet", False)
    level = "ERROR" if quiet else "INFO" if verbose else "WARNING"
    set_log_level(getattr(logging, level))
    return {**limits, "log_level": level}


def _run_crawl(options: Any) -> dict[str, Any]:
    from tearsheet.scrapers.runner import RedisUnavailableError, UnknownSpiderError, run_crawl

    try:
        stats = run_crawl(options)
    except UnknownSpiderError as exc:
        raise click.UsageError(str(exc)) from exc
    except RedisUnavailableError as exc:
        raise RedisUnavailable(str(exc)) from exc
    if options.log_level != "ERROR":
        from tearsheet.scrapers.traps import capped_total

        capped = capped_total(stats)
        click.echo(
            f"Crawled into {options.archive_dir}: {stats.get('fetched', 0)} responses archived, "
            f"{stats.get('article', 0)} articles stored, {stats.get('hub', 0)} hub pages, "
            f"{stats.get('errors', 0)} errors"
            + (f", {capped} links refused by caps (counts in the runs table)." if capped else "."),
            err=True,
        )
    return stats


@cli.command()
@click.argument("warcs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--output",
    "corpus_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Corpus database to (re)build, e.g. ARCHIVE_DIR/corpus.db.",
)
@plugin_timeout_option
@with_options(page_pattern_options)
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Processes to extract with, each reading a chunk of WARC records at a time"
    " (1: this process).",
)
@click.option(
    "--dask",
    metavar="ADDRESS",
    help="Run the tasks (chunks of WARC records) on the Dask cluster at ADDRESS (tcp://host:8786).",
)
def extract(
    warcs: tuple[Path, ...],
    corpus_path: Path,
    plugin_timeout: float,
    article_patterns: tuple[str, ...],
    hub_patterns: tuple[str, ...],
    workers: int,
    dask: str | None,
) -> None:
    """Rebuild a corpus from WARC files (or archive directories) alone.

    Give the --article-pattern and --hub-pattern the crawl had, for the same rows.
    """
    from tearsheet.extraction import extract_warcs
    from tearsheet.pages import ClassifyRules
    from tearsheet.processing import Limits
    from tearsheet.shards import ParallelError

    try:
        rules = ClassifyRules(article_patterns, hub_patterns)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc

    verb = "reading" if workers == 1 and not dask else "extracted"
    try:
        report = extract_warcs(
            list(warcs),
            corpus_path,
            limits=Limits(plugin_timeout=plugin_timeout or None, page_rules=rules),
            on_file=lambda path: click.echo(f"{verb} {path}", err=True),
            workers=workers,
            dask=dask,
        )
    except ParallelError as exc:
        raise click.ClickException(str(exc)) from exc
    counts = report.counts
    click.echo(
        f"Extracted {report.files} files into {corpus_path}: {counts.get('article', 0)} articles, "
        f"{counts.get('skipped', 0)} responses without an article (not HTML or not 2xx), "
        f"{counts.get('errors', 0)} errors.",
        err=True,
    )
    if counts.get("truncated"):
        click.echo(
            f"Records cut off (WARC-Truncated), not extracted: {counts['truncated']}.", err=True
        )
    if report.passed_over:
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(report.passed_over.items()))
        click.echo(f"Records passed over: {kinds}.", err=True)
    for problem in report.problems:
        click.echo(f"tearsheet: {problem.message}", err=True)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument(
    "shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    "corpus_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Corpus database to merge into (created if missing).",
)
def merge(shards: tuple[Path, ...], corpus_path: Path) -> None:
    """Merge corpus shards (corpus.db files of workers) into one corpus; merging twice adds nothing.

    Give the shards in time order. Stories are recomputed afterwards.
    """
    from tearsheet.merge import merge_corpora

    report = merge_corpora(list(shards), corpus_path)
    click.echo(
        f"Merged {report.shards} shards into {corpus_path}: {report.captures} new captures,"
        f" {report.errors} new errors; {report.articles} articles, {report.stories} stories.",
        err=True,
    )
    for problem in report.problems:
        click.echo(f"tearsheet: {problem}", err=True)
    if not report.ok:
        sys.exit(1)


@cli.command()
@click.argument("archive_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-f",
    "--format",
    "format_name",
    default="jsonl",
    show_default=True,
    help="jsonl, csv, parquet (with the parquet extra), or a plugin's format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: standard output).",
)
@click.option("--site", help="Only articles of this site (its name, as in the site column).")
@click.option("--language", help="Only articles in this language (e.g. en).")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE.")
@click.option("--until", metavar="DATE", help="Only articles published before DATE.")
@click.option("--search", metavar="QUERY", help="Only articles matching a full-text search.")
def export(archive_dir: Path, format_name: str, output: Path | None, **filters: Any) -> None:
    """Stream the articles of an archive's corpus, as JSON Lines, CSV or Parquet."""
    from tearsheet.export import ExportError, Filters, export_articles

    try:
        if output is None:
            export_articles(archive_dir, format_name, sys.stdout.buffer, Filters(**filters))
        else:
            with output.open("wb") as out:
                export_articles(archive_dir, format_name, out, Filters(**filters))
    except ExportError as exc:
        raise click.UsageError(str(exc)) from exc
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("archive_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("url")
def diff(archive_dir: Path, url: str) -> None:
    """Show how the article at URL changed between its last two versions."""
    import sqlite_utils

    from tearsheet.corpus import CORPUS_NAME
    from tearsheet.versions import diff as diff_versions

    corpus = archive_dir / CORPUS_NAME
    if not corpus.exists():
        raise click.UsageError(f"{archive_dir} has no {CORPUS_NAME}; `tearsheet extract` builds it")
    db = sqlite_utils.Database(corpus)
    try:
        click.echo(diff_versions(db, url), nl=False)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def verify(paths: tuple[Path, ...]) -> None:
    """Check the structure and both digests of every record in WARC files.

    PATHS are archive directories or WARC files. Each problem is printed
    with its file, offset and record id; the exit status is 1 when any.
    """
    from tearsheet.archive.verify import verify_paths

    reports = verify_paths(list(paths))
    problems = [problem for report in reports for problem in report.problems]
    for problem in problems:
        click.echo(str(problem))
    records = sum(report.records for report in reports)
    click.echo(
        f"{records} records in {len(reports)} files checked: {len(problems)} problems.", err=True
    )
    if problems:
        sys.exit(1)


@cli.command()
@click.option(
    "-o",
    "--output",
    "archive_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-archive"),
    show_default=True,
    help="Archive directory.",
)
@crawl_options
def demo(archive_dir: Path, **limits: Any) -> None:
    """Crawl the bundled demo news site (five outlets, on 127.0.0.1) into ARCHIVE_DIR."""
    from tearsheet.demo import DemoSite
    from tearsheet.scrapers.options import CrawlOptions

    with DemoSite() as site:
        click.echo(f"Demo site: {len(site.outlets)} outlets on 127.0.0.1", err=True)
        # The demo's own loopback site needs no politeness delays.
        options = CrawlOptions(
            start_urls=site.start_urls,
            archive_dir=archive_dir,
            delay=0,
            autothrottle=False,
            concurrency_per_site=8,
            allow_private=True,  # the demo site is on this machine
            contact="the tearsheet demo",
            **_limits(limits),
        )
        _run_crawl(options)
    tearsheet = Path(sys.executable).parent / "tearsheet"
    command = tearsheet if tearsheet.exists() else "tearsheet"
    click.echo(
        "\nBrowse the corpus in Datasette (search, facets, one story across outlets):\n"
        f"  {command} serve {archive_dir}\n"
        "then open http://127.0.0.1:8001/ in a browser."
    )


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List the plugins that load, tearsheet's own included, with their hooks."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from tearsheet.plugins.manager import get_plugin_manager, loaded, plugin_table

    manager = get_plugin_manager()
    table = plugin_table(manager)
    problems = loaded(manager).problems
    if as_json:
        click.echo(json.dumps({"plugins": table, "problems": problems}, indent=2))
        return
    for row in table:
        version = f", {row['distribution']} {row['version']}" if row["version"] else ""
        origin = row["source"] + version
        click.echo(f"{row['name']} ({origin})")
        click.echo(f"  hooks: {', '.join(row['hooks'])}")
    for problem in problems:
        click.echo(f"problem: {problem}")


@plugins.command("new")
@click.argument("name")
@click.option(
    "-d",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the plugin's folder.",
)
def plugins_new(name: str, directory: Path) -> None:
    """Create an installable plugin package NAME with one hook and a passing test."""
    from tearsheet.plugins.template import PluginNameError, new_plugin

    try:
        folder = new_plugin(name, directory)
    except PluginNameError as exc:
        raise click.BadParameter(str(exc), param_hint="'NAME'") from exc
    except FileExistsError as exc:
        raise click.UsageError(f"{exc.filename} exists already") from exc
    click.echo(f"Created {folder}. Next:")
    click.echo(f"  pip install -e {folder}        # install it next to tearsheet")
    click.echo(f"  python -m pytest {folder}      # run its test")
    click.echo("  tearsheet plugins              # see it listed")


GLOBAL_PLUGIN_OPTIONS = {"--plugins-dir": PLUGINS_DIR, "--disable-plugin": DISABLE_PLUGINS}


def apply_plugin_options(argv: list[str]) -> None:
    """Read --plugins-dir and --disable-plugin before plugins load (they add commands)."""
    disabled: list[str] = []
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        option, has_value, value = argv[index].partition("=")
        if option in GLOBAL_PLUGIN_OPTIONS and not has_value and index + 1 < len(argv):
            index += 1
            value = argv[index]
        if option == "--plugins-dir":
            os.environ[PLUGINS_DIR] = value
        elif option == "--disable-plugin":
            disabled.append(value)
        index += 1
    if disabled:
        previous = os.environ.get(DISABLE_PLUGINS)
        os.environ[DISABLE_PLUGINS] = ",".join(filter(None, [previous, *disabled]))


def main() -> None:
    """Console entry point: load plugins and their commands, then run the group."""
    from tearsheet.plugins.manager import get_plugin_manager

    apply_plugin_options(sys.argv[1:])
    manager = get_plugin_manager()
    for impl in manager.hook.register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:  # one broken plugin must not take the CLI down
            log.warning("plugin %r could not add its commands: %s", impl.plugin_name, exc)
    cli()


# Interchange with the archivists' tools: CDXJ index (pywb) and WACZ package (ReplayWeb.page).


def warc_inputs(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuse a directory with no WARC files: most likely the wrong directory."""
    from tearsheet.archive.files import warc_files

    for path in value if isinstance(value, tuple) else (value,):
        if path.is_dir() and not warc_files([path]):
            raise click.BadParameter(f"no WARC files in {path}", ctx=ctx, param=param)
    return value


@cli.command("index")
@click.argument(
    "paths",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    callback=warc_inputs,
)
@click.option(
    "-o",
    "--output",
    help="CDXJ file to write, or '-' for standard output. "
    "Default: ARCHIVE_DIR/indexes/index.cdxj for one archive directory, else standard output.",
)
def index_command(paths: tuple[Path, ...], output: str | None) -> None:
    """Write the sorted CDXJ index of WARC files or an archive directory, as pywb reads it."""
    from tearsheet.archive.cdxj import default_index_path, write_index

    if output == "-":
        target = None
    elif output:
        target = Path(output)
    else:
        target = default_index_path(list(paths))
    report = write_index(list(paths), target or sys.stdout)
    where = target or "standard output"
    click.echo(
        f"Indexed {len(report.files)} WARC files into {where}: {report.lines} records.", err=True
    )
    _exit_on_problems(report.problems)


@cli.command("wacz")
@click.argument(
    "archive_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    callback=warc_inputs,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The WACZ file to write (name ending in .wacz).",
)
@click.option("--title", help="Title of the collection (default: the directory's name).")
def wacz_command(archive_dir: Path, output: Path, title: str | None) -> None:
    """Package ARCHIVE_DIR (WARCs, CDXJ index, corpus articles as pages) as a WACZ file."""
    from tearsheet.archive.wacz import NoCorpusError, write_wacz

    if output.suffix != ".wacz":
        raise click.BadParameter(f"a WACZ file's name ends in .wacz: {output}", param_hint="'-o'")
    try:
        report = write_wacz(archive_dir, output, title)
    except NoCorpusError as exc:
        raise click.BadParameter(str(exc), param_hint="'ARCHIVE_DIR'") from exc
    click.echo(
        f"Packaged {len(report.warcs)} WARC files, {report.index_lines} index records and "
        f"{report.pages} pages into {output}.",
        err=True,
    )
    for warc, kept in report.cut.items():
        click.echo(
            f"tearsheet: {warc}: packaged its first {kept} bytes, its readable records", err=True
        )
    _exit_on_problems(report.problems)


def _exit_on_problems(problems: list[Any]) -> None:
    for problem in problems:
        click.echo(f"tearsheet: {problem.message}", err=True)
    if problems:
        sys.exit(1)


# Browsing: the corpus in Datasette.


@cli.command("serve")
@click.argument("archive_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "-p",
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Open the corpus read-only but not immutable: see rows a running crawl adds.",
)
@click.option("--pywb", "pywb_url", metavar="URL", help="pywb collection URL to replay originals.")
@click.option(
    "-m",
    "--metadata",
    "metadata_file",
    type=click.File(),
    help="JSON Datasette metadata merged over tearsheet's (title, licence, source…).",
)
def serve_command(
    archive_dir: Path,
    host: str,
    port: int,
    live: bool,
    pywb_url: str | None,
    metadata_file: Any,
) -> None:
    """Browse and search ARCHIVE_DIR's corpus in Datasette, read-only."""
    import json

    from tearsheet.serve import ServeError, corpus_file, datasette_app, serve, upgrade_corpus

    try:
        metadata = json.load(metadata_file) if metadata_file else None
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="'--metadata'") from exc
    if metadata is not None and not isinstance(metadata, dict):
        raise click.BadParameter("a JSON object is needed", param_hint="'--metadata'")
    if pywb_url and urlsplit(pywb_url).scheme not in ("http", "https"):
        raise click.BadParameter(f"not an http(s) URL: {pywb_url!r}", param_hint="'--pywb'")
    try:
        added = upgrade_corpus(corpus_file(archive_dir))
        if added:
            click.echo(f"Upgraded a corpus from an older tearsheet: {', '.join(added)}", err=True)
        app = datasette_app(archive_dir, live=live, pywb_url=pywb_url, metadata=metadata)
    except ServeError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"Serving {archive_dir} on http://{host}:{port}/ (Ctrl-C stops)", err=True)
    serve(app, host=host, port=port)
