"""Throughput benchmark (issue #8): tearsheet's crawl and extract against their parts.

Builds a local mirror of the article-extraction pages (S sites of 88 pages
each, on 127.0.1.1…S), serves it with nginx and measures, in one run on the
same mirror: bare Scrapy's fetch rate, tearsheet's crawl rate until its
corpus is complete, a crawl with WARC capture but no extraction, plain
trafilatura's extraction rate in one process, ``tearsheet extract``'s rate
from the crawl's WARCs, WARC bytes per second and peak RSS. It measures
them all ``--rounds`` times, one round after the other, and takes each
target's ratio within a round: a slow stretch of a shared machine then
weighs on both sides of a ratio, and the median round's ratio is the one
judged. With --rss it measures instead the peak RSS of a 1,000-page and a
10,000-page crawl. Prints a table of the figures and the issue's target
ratios; writes them all as JSON, every round's figures included.

    .venv/bin/python bench/harness.py [--pages N] [--rounds R] [--json OUT] [--rss]

Needs nginx (installed with apt-get when missing, as root) and psutil
(``pip install -e .[bench]``); not run by CI.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import trafilatura
from measure import Measured, run_measured
from mirror import Mirror, Site, build_mirror, file_for, load_sources
from nginx import ensure_nginx, free_port, running_nginx
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parents[1] / "shared" / "bench" / "article-extraction"
RESULTS = HERE / "results"
BIN = Path(sys.executable).parent
DEPTH = 2  # home → hub pages → articles; the articles' own links are not followed
RSS_PAGES = (1_000, 10_000)


def crawl_flags(concurrency: int, workers: list[str]) -> list[str]:
    """The tearsheet crawl's options: bare Scrapy's politeness-free settings, same concurrency."""
    return [
        *workers,
        "--allow-private",
        "--delay",
        "0",
        "--no-autothrottle",
        "--concurrency",
        str(concurrency),
        "--depth",
        str(DEPTH),
        "-q",
    ]


def has_option(subcommand: str, option: str) -> bool:
    """Whether this tearsheet has an option (others are adding some as this is written)."""
    help_text = subprocess.run(
        [str(BIN / "tearsheet"), subcommand, "--help"], capture_output=True, text=True, check=True
    ).stdout
    return option in help_text.split()


def workers_flag(subcommand: str, cores: int) -> list[str]:
    """``--workers CORES`` where the command has it, else nothing (one process)."""
    return ["--workers", str(cores)] if has_option(subcommand, "--workers") else []


def checked(run: Measured, what: str) -> Measured:
    if run.returncode != 0:
        raise RuntimeError(f"{what} exited with {run.returncode}:\n{run.stderr[-3000:]}")
    return run


def archive_figures(archive: Path, mirror_sites: list[Site], corpus: Path) -> dict[str, Any]:
    """What a crawl left: mirror pages captured, articles stored, WARC and corpus bytes."""
    warc_bytes = sum(path.stat().st_size for path in (archive / "warc").glob("*.warc*"))
    with sqlite3.connect(corpus) as db:
        captured = {row[0] for row in db.execute("select url from captures where status = 200")}
        articles = {row[0] for row in db.execute("select url from articles")}
    pages = {f"{site.home[:-1]}{path}" for site in mirror_sites for path in site.pages}
    per_site = [
        {url[len(site.home) - 1 :] for url in articles if url.startswith(site.home)}
        for site in mirror_sites
    ]
    return {
        "pages_captured": len(pages & captured),
        "pages_missing": sorted(pages - captured)[:20],
        "articles": len(articles),
        "articles_same_on_every_site": all(paths == per_site[0] for paths in per_site),
        "warc_bytes": warc_bytes,
        "corpus_bytes": corpus.stat().st_size,
    }


def crawl(
    mirror_sites: list[Site], out: Path, tearsheet: list[str], flags: list[str]
) -> tuple[Measured, dict[str, Any]]:
    command = [*tearsheet, "crawl", *(s.home for s in mirror_sites), "-o", str(out)]
    run = run_measured([*command, *flags], out.with_suffix(".logs"))
    checked(run, "tearsheet crawl")
    return run, archive_figures(out, mirror_sites, out / "corpus.db")


def plain_trafilatura(mirror: Mirror) -> dict[str, float]:
    """trafilatura.extract with its defaults over every mirror page, here in one process."""
    bodies = [
        file_for(site.root, path).read_bytes() for site in mirror.sites for path in site.pages
    ]
    wall, cpu = time.perf_counter(), time.process_time()
    extracted = sum(trafilatura.extract(body) is not None for body in bodies)
    return {
        "pages": len(bodies),
        "extracted": extracted,
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
    }


def figures_of(run: Measured, pages: int) -> dict[str, Any]:
    return {
        "seconds": run.seconds,
        "pages_per_second": pages / run.seconds,
        "cpu_seconds": run.cpu_seconds,
        "cpu_seconds_per_page": run.cpu_seconds / pages,
        "peak_rss_bytes": run.peak_rss,
    }


def measure(args: argparse.Namespace, work: Path, console: Console) -> dict[str, Any]:
    """Serve the mirror and measure, either the rates (default) or the RSS pair (--rss)."""
    sources = load_sources(args.data)
    counts = list(RSS_PAGES) if args.rss else [args.pages]
    site_counts = [max(1, round(n / len(sources))) for n in counts]
    port = free_port("127.0.1.1")
    console.print(f"building the mirror: {max(site_counts)} sites of {len(sources)} pages")
    everything = build_mirror(work / "mirror", sources, max(site_counts), port)
    cores = len(os.sched_getaffinity(0))
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": cores,
            "load_average_at_start": os.getloadavg(),
            "python": platform.python_version(),
            "scrapy": version("scrapy"),
            "trafilatura": version("trafilatura"),
            "tearsheet": version("tearsheet"),
        },
    }
    flags = crawl_flags(args.concurrency, workers_flag("crawl", cores))
    disabled = [flag for name in args.disable_plugin for flag in ("--disable-plugin", name)]
    result["settings"] = {
        "tearsheet": [str(BIN / "tearsheet"), *disabled],
        "concurrency_per_site": args.concurrency,
        "depth": DEPTH,
        "crawl_flags": flags,
        "extract_flags": workers_flag("extract", cores),
    }
    with running_nginx(ensure_nginx(), work, everything.sites):
        if args.rss:
            result["rss"] = {}
            for pages, site_count in zip(RSS_PAGES, site_counts, strict=True):
                sites = everything.sites[:site_count]
                console.print(f"RSS: tearsheet crawl of {pages:,} article pages")
                command = result["settings"]["tearsheet"]
                run, archive = crawl(sites, work / f"rss-{pages}", command, flags)
                result["rss"][str(pages)] = {
                    "sites": site_count,
                    "pages": archive["pages_captured"],
                    "pages_expected": sum(len(site.pages) for site in sites),
                    "articles": archive["articles"],
                    **figures_of(run, archive["pages_captured"]),
                }
                shutil.rmtree(work / f"rss-{pages}")
                console.print(json.dumps(result["rss"][str(pages)]))
        else:
            mirror = Mirror(everything.sites, everything.article_paths)
            result["mirror"] = {
                "sites": len(mirror.sites),
                "pages": mirror.pages,
                "article_pages": mirror.articles,
            }
            rounds = []
            for number in range(1, args.rounds + 1):
                console.print(f"round {number} of {args.rounds}")
                folder = work / f"round-{number}"
                folder.mkdir()
                rounds.append(measure_rates(mirror, folder, result["settings"], console))
            result["rounds"] = rounds
            result.update(median_figures(rounds))
            result["extract_split"] = extract_split(rounds)
    result["machine"]["load_average_at_end"] = os.getloadavg()
    result["targets"] = targets(result, cores)
    return result


def measure_rates(
    mirror: Mirror, work: Path, settings: dict[str, Any], console: Console
) -> dict[str, Any]:
    """Every rate on the same mirror, one after the other."""
    result: dict[str, Any] = {}
    tearsheet = settings["tearsheet"]
    console.print(f"bare Scrapy: {mirror.pages} pages")
    homes = [site.home for site in mirror.sites]
    bare_command = [sys.executable, str(HERE / "bare_scrapy.py"), *homes]
    bare_flags = ["--concurrency", str(settings["concurrency_per_site"]), "--depth", str(DEPTH)]
    bare = checked(
        run_measured([*bare_command, *bare_flags], work / "bare"),
        "bare Scrapy",
    )
    bare_pages = json.loads(bare.stdout)["pages"]
    result["bare_scrapy"] = {"pages": bare_pages, **figures_of(bare, bare_pages)}

    console.print("tearsheet crawl (fetch + WARC + extract + store)")
    run, archive = crawl(mirror.sites, work / "crawl", tearsheet, settings["crawl_flags"])
    complete = archive["pages_captured"] == mirror.pages and archive["articles_same_on_every_site"]
    result["crawl"] = {
        **figures_of(run, archive["pages_captured"]),
        **archive,
        "complete": complete,
        "warc_bytes_per_second": archive["warc_bytes"] / run.seconds,
        "warc_bytes_per_page": archive["warc_bytes"] / archive["pages_captured"],
        "corpus_bytes_per_article": archive["corpus_bytes"] / max(1, archive["articles"]),
    }

    result["crawl_no_extract"] = None
    if has_option("crawl", "--no-extract"):
        console.print("tearsheet crawl --no-extract (fetch + WARC)")
        flags = [*settings["crawl_flags"], "--no-extract"]
        run, archive = crawl(mirror.sites, work / "no-extract", tearsheet, flags)
        result["crawl_no_extract"] = {
            **figures_of(run, archive["pages_captured"]),
            "pages_captured": archive["pages_captured"],
            "warc_bytes": archive["warc_bytes"],
        }

    console.print(f"plain trafilatura: {mirror.pages} pages in this process")
    plain = plain_trafilatura(mirror)
    result["plain_trafilatura"] = {
        **plain,
        "pages_per_second": plain["pages"] / plain["seconds"],
        "cpu_seconds_per_page": plain["cpu_seconds"] / plain["pages"],
    }

    workers = settings["extract_flags"]
    console.print(f"tearsheet extract {' '.join(workers)}")
    rebuilt = work / "extract" / "corpus.db"
    rebuilt.parent.mkdir()
    source = [*tearsheet, "extract", str(work / "crawl" / "warc")]
    command = [*source, "-o", str(rebuilt), *workers]
    run = checked(run_measured(command, work / "extract-logs"), "tearsheet extract")
    with sqlite3.connect(rebuilt) as db:
        rebuilt_articles = db.execute("select count(*) from articles").fetchone()[0]
    result["extract"] = {
        "workers": int(workers[1]) if workers else None,
        "pages": mirror.pages,
        **figures_of(run, mirror.pages),
        "articles": rebuilt_articles,
    }

    result["extract_one_process"] = None
    if workers:
        console.print("tearsheet extract --workers 1")
        alone = work / "extract-1" / "corpus.db"
        alone.parent.mkdir()
        command = [*source, "-o", str(alone), "--workers", "1"]
        run = checked(run_measured(command, work / "extract-1-logs"), "tearsheet extract")
        result["extract_one_process"] = {"pages": mirror.pages, **figures_of(run, mirror.pages)}
    return result


def median_figures(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """For each row, the figures of the round with the median rate (the lower middle one)."""
    figures: dict[str, Any] = {}
    for key in rounds[0]:
        measured = [one[key] for one in rounds if one[key] is not None]
        ranked = sorted(measured, key=lambda row: row["pages_per_second"])
        figures[key] = ranked[(len(ranked) - 1) // 2] if ranked else None
    return figures


TargetRow = tuple[str, float | None, str, float, str | None]


def rate_targets(figures: dict[str, Any], cores: int) -> list[TargetRow]:
    """The rate targets as ratios of one round's figures, each with its threshold."""
    bare = figures["bare_scrapy"]["pages_per_second"]
    plain = figures["plain_trafilatura"]["pages_per_second"]
    crawl, no_extract = figures["crawl"], figures["crawl_no_extract"]
    return [
        (
            "crawl until the corpus is complete / min(bare Scrapy, cores × trafilatura)",
            crawl["pages_per_second"] / min(bare, cores * plain),
            ">=",
            0.75,
            None if crawl["complete"] else "not met: the corpus is incomplete",
        ),
        (
            "crawl --no-extract / bare Scrapy",
            no_extract and no_extract["pages_per_second"] / bare,
            ">=",
            0.9,
            None if no_extract else "tearsheet crawl has no --no-extract",
        ),
        (
            "tearsheet extract / (cores × trafilatura)",
            figures["extract"]["pages_per_second"] / (cores * plain),
            ">=",
            0.85,
            None if figures["extract"]["workers"] else "one process: extract has no --workers",
        ),
    ]


def extract_split(rounds: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The extract ratio's two factors, each round's and their medians.

    With as many workers as cores, ``extract / (cores × trafilatura)`` is
    the parallel efficiency (the workers' rate over that many times one
    process's) times one process's rate over plain trafilatura's: how well
    the work spreads over the cores, and how much work a page is.
    """
    if any(one["extract_one_process"] is None for one in rounds):
        return None
    split: dict[str, Any] = {"parallel_efficiency": [], "one_process_over_trafilatura": []}
    for one in rounds:
        alone = one["extract_one_process"]["pages_per_second"]
        extract = one["extract"]
        split["parallel_efficiency"].append(
            extract["pages_per_second"] / (extract["workers"] * alone)
        )
        plain = one["plain_trafilatura"]["pages_per_second"]
        split["one_process_over_trafilatura"].append(alone / plain)
    return {
        name: {"median": statistics.median(values), "rounds": values}
        for name, values in split.items()
    }


def targets(result: dict[str, Any], cores: int) -> list[dict[str, Any]]:
    """The issue's targets with their thresholds: each rate ratio's median over the rounds."""
    rows: list[tuple[TargetRow, list[float | None]]] = []
    if "rounds" in result:
        per_round = [rate_targets(figures, cores) for figures in result["rounds"]]
        for same in zip(*per_round, strict=True):  # one target, as each round found it
            name, _, sign, limit, _ = same[0]
            ratios = [row[1] for row in same]
            notes = sorted({row[4] for row in same if row[4]})
            ratio = None if None in ratios else statistics.median(ratios)
            rows.append(((name, ratio, sign, limit, "; ".join(notes) or None), ratios))
    if "rss" in result:
        rss = result["rss"]
        ratio = rss["10000"]["peak_rss_bytes"] / rss["1000"]["peak_rss_bytes"]
        rows.append(
            (("peak RSS 10,000-page crawl / 1,000-page crawl", ratio, "<=", 1.25, None), [ratio])
        )
    return [
        {
            "target": name,
            "ratio": ratio,
            "rounds": ratios,
            "threshold": f"{sign} {limit}",
            "met": None
            if ratio is None
            else _met(ratio, sign, limit) and not (note or "").startswith("not met"),
            "note": note,
        }
        for (name, ratio, sign, limit, note), ratios in rows
    ]


def _met(ratio: float, sign: str, limit: float) -> bool:
    return ratio >= limit if sign == ">=" else ratio <= limit


def print_tables(result: dict[str, Any], console: Console) -> None:
    mib = 1024 * 1024
    pages = f"{result['mirror']['pages']:,} pages" if "mirror" in result else "peak RSS"
    if len(result.get("rounds", [])) > 1:
        pages += f", each row from its median round of {len(result['rounds'])}"
    figures = Table(title=f"tearsheet bench: {pages}")
    for column in ("measured", "pages", "s", "pages/s", "CPU s/page", "peak RSS MiB"):
        figures.add_column(column, justify="left" if column == "measured" else "right")
    names = {
        "bare_scrapy": "bare Scrapy fetch",
        "crawl": "tearsheet crawl (complete corpus)",
        "crawl_no_extract": "tearsheet crawl --no-extract",
        "plain_trafilatura": "plain trafilatura, one process",
        "extract": "tearsheet extract",
        "extract_one_process": "tearsheet extract --workers 1",
    }
    for key, name in names.items():
        if key not in result:
            continue
        row = result[key]
        if row is None:
            figures.add_row(name, "n/a", "", "", "", "")
            continue
        rss = f"{row['peak_rss_bytes'] / mib:.0f}" if "peak_rss_bytes" in row else ""
        pages = row.get("pages", row.get("pages_captured"))
        figures.add_row(
            name,
            f"{pages:,}",
            f"{row['seconds']:.1f}",
            f"{row['pages_per_second']:.1f}",
            f"{row['cpu_seconds_per_page'] * 1000:.1f} ms",
            rss,
        )
    for pages, row in (result.get("rss") or {}).items():
        figures.add_row(
            f"tearsheet crawl, {int(pages):,} article pages",
            f"{row['pages']:,}",
            f"{row['seconds']:.1f}",
            f"{row['pages_per_second']:.1f}",
            f"{row['cpu_seconds_per_page'] * 1000:.1f} ms",
            f"{row['peak_rss_bytes'] / mib:.0f}",
        )
    console.print(figures)
    if "crawl" in result:
        crawl, mirror = result["crawl"], result["mirror"]
        console.print(
            f"crawl: {crawl['articles']:,} articles of {mirror['article_pages']:,} article"
            f" pages, {crawl['pages_captured']:,}/{mirror['pages']:,} pages captured;"
            f" WARC {crawl['warc_bytes_per_second'] / mib:.2f} MiB/s,"
            f" {crawl['warc_bytes_per_page'] / 1024:.1f} KiB/page;"
            f" corpus {crawl['corpus_bytes_per_article'] / 1024:.1f} KiB/article;"
            f" extract rebuilt {result['extract']['articles']:,} articles"
        )
    rounds = len(result.get("rounds", [])) or 1
    title = "targets (ratios from this run)"
    if rounds > 1:
        title = f"targets (each ratio within a round; the median of {rounds} rounds judged)"
    ratios = Table(title=title)
    for column in ("target", "ratio", "rounds", "threshold", "met"):
        ratios.add_column(column)
    for row in result["targets"]:
        met = {True: "[green]met", False: "[red]not met", None: "n/a"}[row["met"]]
        ratio = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}"
        each = ", ".join("n/a" if r is None else f"{r:.2f}" for r in row["rounds"])
        ratios.add_row(
            row["target"],
            ratio,
            each,
            row["threshold"],
            met + (f" ({row['note']})" if row["note"] else ""),
        )
    console.print(ratios)
    if split := result.get("extract_split"):
        efficiency, work = split["parallel_efficiency"], split["one_process_over_trafilatura"]
        console.print(
            f"extract's ratio, split (medians of the rounds): parallel efficiency"
            f" {efficiency['median']:.2f} (workers' rate / (workers × one process's)) ×"
            f" one process / plain trafilatura {work['median']:.2f}"
        )
    command = [Path(result["settings"]["tearsheet"][0]).name, *result["settings"]["tearsheet"][1:]]
    console.print(f"{' '.join(command)} crawl {' '.join(result['settings']['crawl_flags'])}")
    load = result["machine"]
    console.print(
        f"{load['cores']} cores; load average {load['load_average_at_start'][0]:.2f} at start,"
        f" {load['load_average_at_end'][0]:.2f} at end: rates are noisy on a shared machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", type=int, default=1000, help="article pages to mirror (default 1000)"
    )
    parser.add_argument(
        "--json", type=Path, help="where to write the figures (default bench/results/)"
    )
    parser.add_argument(
        "--rss", action="store_true", help="instead, peak RSS of a 1,000- and a 10,000-page crawl"
    )
    parser.add_argument("--concurrency", type=int, default=2, help="requests per site (default 2)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times every rate is measured (default 3)"
    )
    parser.add_argument(
        "--disable-plugin",
        action="append",
        default=[],
        metavar="NAME",
        help="leave a plugin out of crawl and extract, to see its cost (repeatable)",
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="the article-extraction pages"
    )
    args = parser.parse_args()
    if not (args.data / "ground-truth.json").is_file():
        parser.error(f"{args.data} holds no ground-truth.json: give --data")
    if not 88 <= args.pages <= 254 * 88:
        parser.error("--pages must be between 88 and 22,352 (88 pages per site, 254 sites)")
    if args.rounds < 1:
        parser.error("--rounds must be 1 or more")
    console = Console()
    # SIGTERM unwinds like Ctrl-C, so nginx and the temporary directory go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    with tempfile.TemporaryDirectory(prefix="tearsheet-bench-") as work:
        result = measure(args, Path(work), console)
    print_tables(result, console)
    out = args.json or RESULTS / f"harness-{result['started'].replace(':', '')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    console.print(f"figures written to {out}")


if __name__ == "__main__":
    main()
