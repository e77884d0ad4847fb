"""Plugins as a developer meets them: documented, generated, loaded, listed, isolated."""

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlite_utils
from conftest import FAST_CRAWL, run_tearsheet
from servers import Route, html_page, serve

from tearsheet.plugins.docs import hook_reference

ROOT = Path(__file__).resolve().parents[2]
STORY = [
    "The \u201cnight market\u201d returns to the old quay on Saturday, organisers said.",
    "Stall holders expect more visitors than last year after the council cut pitch fees.",
    "Advertisement",
    "Food vans will line the quay until midnight, and the ferry runs an extra late boat.",
]


def site() -> dict[str, Route]:
    pages = {f"/market-{n}.html": Route(html_page(f"Night market {n}", STORY)) for n in range(2)}
    return {"/": Route(html_page("Quay News", ["Today."], list(pages))), **pages}


def write_plugins(directory: Path, files: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (directory / name).write_text(textwrap.dedent(source))
    return directory


def test_the_hook_reference_is_generated_from_the_hookspecs() -> None:
    assert (ROOT / "docs" / "hooks.md").read_text() == hook_reference()


def test_default_plugins_are_listed_with_their_hooks(tearsheet_cli) -> None:
    listing = json.loads(tearsheet_cli("plugins", "--json").stdout)
    by_name = {row["name"]: row for row in listing["plugins"]}
    assert by_name["trafilatura_extractor"]["hooks"] == ["extract_article"]
    assert by_name["sqlite_exporter"]["source"] == "default"
    assert by_name["sqlite_exporter"]["version"]
    disabled = json.loads(
        tearsheet_cli("--disable-plugin", "sqlite_exporter", "plugins", "--json").stdout
    )
    assert "sqlite_exporter" not in {row["name"] for row in disabled["plugins"]}


def test_broken_plugins_are_named_at_start_up_and_the_rest_load(tmp_path: Path) -> None:
    plugins = write_plugins(
        tmp_path / "plugins",
        {
            "broken_syntax.py": "def oops(:\n",
            "wrong_signature.py": """
                from tearsheet import hookimpl

                @hookimpl
                def clean_article(article, newspaper):
                    return article
            """,
            "first_extractor.py": """
                from tearsheet import hookimpl

                @hookimpl
                def extract_article(capture):
                    return None
            """,
            "second_extractor.py": """
                from tearsheet import hookimpl

                @hookimpl
                def extract_article(capture):
                    return None
            """,
        },
    )
    result = run_tearsheet("--plugins-dir", str(plugins), "plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    names = {row["name"] for row in listing["plugins"]}
    assert {"first_extractor", "second_extractor", "trafilatura_extractor"} <= names
    assert not {"broken_syntax", "wrong_signature"} & names
    problems = "\n".join(listing["problems"])
    assert "plugin 'broken_syntax' was not loaded: SyntaxError" in problems
    assert "plugin 'wrong_signature' was not loaded" in problems and "newspaper" in problems
    [competing] = [p for p in problems.splitlines() if "all implement extract_article" in p]
    assert "'first_extractor'" in competing and "'second_extractor'" in competing
    assert "broken_syntax" in result.stderr  # also said as a warning when a command starts


@pytest.mark.slow
def test_the_example_plugins_run_in_a_real_crawl(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with serve(site()) as server:
        # With the default extractor disabled, every article is the example extractor's.
        result = run_tearsheet(
            "--plugins-dir",
            str(ROOT / "examples" / "plugins"),
            "--disable-plugin",
            "trafilatura_extractor",
            "crawl",
            *FAST_CRAWL,
            f"{server.url}/",
            "-o",
            str(archive),
        )
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(archive / "corpus.db")
    articles = {row["url"]: row for row in db["articles"].rows}
    stored = articles[f"{server.url}/market-0.html"]["text"]
    assert "Stall holders expect more visitors" in stored
    assert '"night market"' in stored  # straightened by the example cleaner
    lines = (archive / "articles.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["url"] for line in lines) == sorted(articles)
    counts = {row["url"]: row["words"] for row in db["word_counts"].rows}
    assert counts.keys() == articles.keys()
    assert counts[f"{server.url}/market-0.html"] == len(re.findall(r"\w+", stored))


@pytest.mark.slow
def test_a_raising_and_a_hanging_plugin_leave_the_corpus_complete(tmp_path: Path) -> None:
    plugins = write_plugins(
        tmp_path / "plugins",
        {
            "raising.py": """
                from tearsheet import hookimpl

                @hookimpl
                def clean_article(article):
                    raise ValueError("cannot parse this layout")

                @hookimpl
                def export_article(article):
                    raise OSError("the remote store is down")

                @hookimpl
                def crawl_settings(settings):
                    raise KeyError("AUTOTHROTTLE")

                @hookimpl
                def register_spiders(register):
                    raise RuntimeError("no spiders today")
            """,
            "hanging.py": """
                import time
                from tearsheet import hookimpl

                @hookimpl
                def clean_article(article):
                    time.sleep(60)
            """,
        },
    )
    archive = tmp_path / "archive"
    with serve(site()) as server:
        result = run_tearsheet(
            "--plugins-dir",
            str(plugins),
            "crawl",
            *FAST_CRAWL,
            f"{server.url}/",
            "-o",
            str(archive),
            "--plugin-timeout",
            "0.5",
        )
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(archive / "corpus.db")
    urls = {f"{server.url}/market-0.html", f"{server.url}/market-1.html"}
    assert urls <= {row["url"] for row in db["articles"].rows}
    errors = list(db["errors"].rows)
    found = {(e["url"], e["plugin"], e["hook"], e["kind"]) for e in errors}
    for url in urls:
        assert (url, "raising", "clean_article", "plugin_error") in found
        assert (url, "raising", "export_article", "plugin_error") in found
        assert (url, "hanging", "clean_article", "plugin_timeout") in found
    assert "plugin 'raising' failed in crawl_settings" in result.stderr
    assert "plugin 'raising' failed in register_spiders" in result.stderr
    raised = [e for e in errors if e["kind"] == "plugin_error"]
    assert all("Traceback" in e["traceback"] for e in raised)


@pytest.mark.slow
def test_a_new_plugin_installs_as_its_own_distribution_and_runs_in_a_crawl(
    tmp_path: Path,
) -> None:
    created = run_tearsheet("plugins", "new", "adfree", "-d", str(tmp_path))
    assert created.returncode == 0, created.stderr
    folder = tmp_path / "tearsheet-adfree"
    its_test = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", str(folder)], capture_output=True, text=True
    )
    assert its_test.returncode == 0, its_test.stdout
    site_dir = tmp_path / "site-packages"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-build-isolation",
            "--no-deps",
            "--target",
            str(site_dir),
            str(folder),
        ],
        check=True,
        capture_output=True,
    )
    installed = {"PYTHONPATH": str(site_dir)}
    listing = json.loads(run_tearsheet("plugins", "--json", env=installed).stdout)
    [row] = [row for row in listing["plugins"] if row["name"] == "adfree"]
    assert (row["source"], row["distribution"], row["version"]) == (
        "entry point",
        "tearsheet-adfree",
        "0.1.0",
    )
    only_own = {**installed, "TEARSHEET_LOAD_PLUGINS": ""}
    listing = json.loads(run_tearsheet("plugins", "--json", env=only_own).stdout)
    assert "adfree" not in {row["name"] for row in listing["plugins"]}

    archive = tmp_path / "archive"
    with serve(site()) as server:
        result = run_tearsheet(
            "crawl", *FAST_CRAWL, f"{server.url}/", "-o", str(archive), env=installed
        )
    assert result.returncode == 0, result.stderr
    texts = [row["text"] for row in sqlite_utils.Database(archive / "corpus.db")["articles"].rows]
    market = [t for t in texts if "night market" in t]
    assert market and all("Advertisement" not in t for t in market)
