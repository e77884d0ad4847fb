"""The README's main job: ``tearsheet demo`` builds an archive a researcher can search."""

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
from conftest import run_tearsheet
from datasette.app import Datasette

from tearsheet.demo import DemoSite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_archive(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    archive = tmp_path_factory.mktemp("demo") / "archive"
    return archive, run_tearsheet("demo", "-o", str(archive))


@pytest.fixture(scope="module")
def demo_content() -> Iterator[DemoSite]:
    """The site's content, read from a site of our own (the demo's ports are its own)."""
    with DemoSite() as site:
        yield site


def squeeze(text: str) -> str:
    """Whitespace folded: extractors trim the trailing spaces some paragraphs carry."""
    return " ".join(text.split())


def articles_by_title(archive: Path) -> dict[str, dict]:
    return {
        row["title"]: row for row in sqlite_utils.Database(archive / "corpus.db")["articles"].rows
    }


def test_demo_says_how_to_browse_the_archive(demo_archive) -> None:
    archive, result = demo_archive
    assert result.returncode == 0, result.stderr
    assert f"serve {archive}" in result.stdout


def test_every_demo_article_is_in_the_corpus(demo_archive, demo_content) -> None:
    stored = articles_by_title(demo_archive[0])
    missing = [a.title for a in demo_content.articles if a.title not in stored]
    assert missing == []
    assert len(demo_content.articles) >= 20


def test_the_five_seed_stories_come_out_clean(demo_archive, demo_content) -> None:
    """Each seed page: its seed text, less the boilerplate lines its template leaks.

    A credit line "(Reporting by …; Editing by …)" moves into authors and
    editors rather than staying in the text.
    """
    stored = articles_by_title(demo_archive[0])
    assert len(demo_content.seed_articles) == 5
    for seed in demo_content.seed_articles:
        row = stored[seed.title]
        lines = [squeeze(line) for line in row["text"].split("\n") if line.strip()]
        credit = [p for p in seed.body_paragraphs if p.startswith("(Reporting by")]
        expected = [squeeze(p) for p in seed.body_paragraphs if p not in credit]
        assert lines == expected, seed.url
        assert not {squeeze(b) for b in seed.boilerplate} & set(lines), seed.url
        if credit:
            assert json.loads(row["authors"]) == seed.authors
            assert "Andrew Cawthorne" in json.loads(row["editors"])


def test_the_demo_warcs_pass_warcio_check(demo_archive) -> None:
    files = sorted(str(p) for p in (demo_archive[0] / "warc").iterdir())
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *files], capture_output=True, text=True
    )
    assert files and check.returncode == 0, check.stdout


def test_extract_rebuilds_the_demo_corpus(demo_archive, tmp_path) -> None:
    archive = demo_archive[0]
    rebuilt = tmp_path / "rebuilt.db"
    result = run_tearsheet("extract", str(archive), "-o", str(rebuilt))
    assert result.returncode == 0, result.stderr
    live = list(sqlite_utils.Database(archive / "corpus.db")["articles"].rows_where(order_by="url"))
    again = list(sqlite_utils.Database(rebuilt)["articles"].rows_where(order_by="url"))
    assert again == live


def test_datasette_opens_the_corpus_and_its_search_finds_the_story(
    demo_archive, demo_content
) -> None:
    async def search() -> dict:
        datasette = Datasette([str(demo_archive[0] / "corpus.db")])
        response = await datasette.client.get("/corpus/articles.json?_search=Zummar&_shape=objects")
        assert response.status_code == 200
        return response.json()

    found = {row["title"] for row in asyncio.run(search())["rows"]}
    assert {seed.title for seed in demo_content.seed_articles} <= found


def test_datasette_shows_the_seed_story_as_one_story_of_five_from_reuters(
    demo_archive, demo_content
) -> None:
    async def query(path: str) -> dict:
        datasette = Datasette([str(demo_archive[0] / "corpus.db")])
        response = await datasette.client.get(path)
        assert response.status_code == 200, response.text
        return response.json()

    [story] = asyncio.run(query("/corpus/stories.json?_shape=array"))
    assert (story["articles"], story["origin_source"], story["method"]) == (
        5,
        "Reuters",
        "cited source",
    )
    members = asyncio.run(
        query(
            "/corpus.json?_shape=array&sql=select+articles.title+from+story_members+join+articles"
            f"+on+story_members.article+%3D+articles.url+where+story+%3D+{story['id']}"
        )
    )
    assert {row["title"] for row in members} == {seed.title for seed in demo_content.seed_articles}
