"""Extraction throughput: ``tearsheet extract`` with 1 and N workers, against plain trafilatura.

Writes the development pages of ../shared/bench/article-extraction into WARC
files (one file per copy, or with ``--one-file`` every copy in one file, as a
crawl of a few thousand pages writes; each copy under hosts of its own, so no
page is taken for another's template), then times, by wall clock on the same
files:

- plain trafilatura (``extract(html, url=url, include_comments=False)``) in
  one process, the target's unit;
- ``extract_warcs`` with one process, and with ``--workers N`` (planning,
  learning, processing and the merge; the merge is also timed on its own).

    .venv/bin/python bench/parallel_extract.py [--copies 8] [--workers 2] [--one-file] [--data DIR]
"""

import argparse
import gzip
import json
import os
import resource
import tempfile
import time
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import trafilatura
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

import tearsheet.shards
from tearsheet.extraction import extract_warcs

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "article-extraction"


def load_pages(data: Path) -> list[tuple[str, bytes]]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    return [
        (entry["url"], gzip.decompress((data / "html" / f"{key}.html.gz").read_bytes()))
        for key, entry in sorted(truth.items())
    ]


def write_warcs(
    pages: list[tuple[str, bytes]], copies: int, folder: Path, one_file: bool = False
) -> list[Path]:
    """One WARC file per copy (or one for all); copy N's pages live on host ``cN.<host>``."""
    paths = []
    for copy in range(copies):
        path = folder / f"bench-{0 if one_file else copy:03d}.warc.gz"
        with path.open("ab") as out:
            writer = WARCWriter(out, gzip=True)
            for url, html in pages:
                parts = urlsplit(url)
                moved = parts._replace(netloc=f"c{copy}.{parts.netloc}").geturl()
                headers = StatusAndHeaders(
                    "200 OK",
                    [("Content-Type", "text/html"), ("Content-Length", str(len(html)))],
                    protocol="HTTP/1.1",
                )
                record = writer.create_warc_record(
                    moved, "response", payload=BytesIO(html), http_headers=headers
                )
                writer.write_record(record)
        if path not in paths:
            paths.append(path)
    return paths


def timed(function, *args, **kwargs) -> tuple[float, float]:
    """Wall-clock seconds, and CPU seconds of this process and the workers it waited for."""
    start, cpu = time.perf_counter(), _cpu()
    function(*args, **kwargs)
    return time.perf_counter() - start, _cpu() - cpu


def _cpu() -> float:
    usages = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(usage.ru_utime + usage.ru_stime for usage in usages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--one-file", action="store_true", help="all copies in one WARC file")
    options = parser.parse_args()
    pages = load_pages(options.data)
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        warcs = write_warcs(pages, options.copies, folder, options.one_file)
        total = len(pages) * options.copies

        def plain() -> None:
            for _ in range(options.copies):
                for url, html in pages:
                    trafilatura.extract(html, url=url, include_comments=False)

        merges = []
        merge = tearsheet.shards.merge_corpora

        def timed_merge(shards, *args, **kwargs):
            """The merge goes on as shards arrive; timed is its tail after the last one."""
            counted: list[Path] = []
            last = [time.perf_counter()]

            def arriving():
                for shard in shards:
                    counted.append(shard)
                    yield shard
                last[0] = time.perf_counter()

            try:
                return merge(arriving(), *args, **kwargs)
            finally:
                merges.append((len(counted), time.perf_counter() - last[0]))

        tearsheet.shards.merge_corpora = timed_merge
        runs = {
            "plain trafilatura, 1 process": timed(plain),
            "tearsheet extract, 1 process": timed(
                extract_warcs, warcs, folder / "one.db", workers=1
            ),
            f"tearsheet extract --workers {options.workers}": timed(
                extract_warcs, warcs, folder / "many.db", workers=options.workers
            ),
        }
    base = total / runs["plain trafilatura, 1 process"][0]
    print(f"{total} pages in {len(warcs)} WARC files, {os.cpu_count()} cores")
    for name, (wall, cpu) in runs.items():
        rate = total / wall
        print(
            f"{name:<40} {rate:8.1f} pages/s  {rate / base:5.2f} x trafilatura"
            f"  {wall:6.1f} s, {cpu:6.1f} CPU s"
        )
    shards, seconds = merges[0]
    print(f"merge of {shards} shards, after the last one arrived: {seconds:.2f} s")


if __name__ == "__main__":
    main()
