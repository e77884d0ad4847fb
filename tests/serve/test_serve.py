"""``tearsheet serve`` and the plugin, driven through Datasette's own client on a demo archive."""

import asyncio
import gzip
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlite_utils
from conftest import run_tearsheet
from datasette.app import Datasette

from tearsheet.serve import ServeError, datasette_app, register_plugin, upgrade_corpus

from .archives import HOSTILE, SEED_WORD

pytestmark = pytest.mark.slow


def started(archive: Path, **options: Any) -> Datasette:
    app = datasette_app(archive, **options)
    asyncio.run(app.invoke_startup())
    return app


@pytest.fixture(scope="module")
def plain(demo) -> Datasette:
    return started(demo)


@pytest.fixture(scope="module")
def rich(stories) -> Datasette:
    return started(stories, pywb_url="http://127.0.0.1:8080/news/")


def get(app: Datasette, path: str, **params: str) -> httpx.Response:
    return asyncio.run(app.client.get(path, params=params))


def rows(app: Datasette, path: str, **params: str) -> list[dict[str, Any]]:
    response = get(app, path, _shape="objects", **params)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_the_corpus_is_served_immutable_with_its_description(plain) -> None:
    database = plain.get_database("corpus")
    assert not database.is_mutable
    metadata = get(plain, "/-/metadata.json").json()
    assert metadata["title"].startswith("tearsheet")
    assert metadata["source"] and metadata["license"]
    tables = metadata["databases"]["corpus"]["tables"]
    assert "WARC" in tables["captures"]["columns"]["warc_file"]
    assert {"articles", "captures", "errors", "versions"} <= set(tables)
    assert "stories" not in tables


def test_search_finds_the_wire_story_in_every_outlet(plain) -> None:
    found = rows(plain, "/corpus/articles.json", _search=SEED_WORD)
    assert len({row["site"] for row in found}) == 5


def test_search_takes_fts_syntax(plain) -> None:
    phrase = rows(plain, "/corpus/articles.json", _search='"rocket attack" OR Zumm*')
    assert len(phrase) >= 5


@pytest.mark.parametrize("search", ['"unbalanced', "AND OR", "NEAR(", "nosuchcolumn:word"])
def test_a_search_fts_cannot_parse_gets_advice_not_an_error(plain, search, capfd) -> None:
    response = get(plain, "/corpus/articles.json", _search=search)
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Search syntax"
    assert "double quotes" in body["error"]
    retried = get(plain, body["retry"].split("?")[0], **dict(httpx.URL(body["retry"]).params))
    assert retried.status_code == 200
    page = get(plain, "/corpus/articles", _search=search)
    assert page.status_code == 400
    assert "Search for the words as they are" in page.text
    assert "Traceback" not in page.text
    assert "Traceback" not in "".join(capfd.readouterr())  # nor on the server's console


def test_articles_facet_by_site_language_and_day(plain) -> None:
    results = get(plain, "/corpus/articles.json").json()["facet_results"]
    assert {"site", "language", "published"} <= set(results)
    assert len(results["site"]["results"]) == 5


def test_canned_queries(plain) -> None:
    latest = rows(plain, "/corpus/latest_articles.json")
    published = [row["published"] for row in latest]
    assert published == sorted(published, reverse=True) and len(latest) >= 20
    per_day = rows(plain, "/corpus/articles_per_site_per_day.json")
    assert sum(row["articles"] for row in per_day) == len(latest)
    assert rows(plain, "/corpus/changed_after_publication.json") == []
    assert get(plain, "/corpus/stories_by_outlets.json").status_code == 404


def test_the_articles_table_links_each_title_to_its_reading_page(plain) -> None:
    page = get(plain, "/corpus/articles").text
    assert 'href="/-/article?url=http' in page
    assert 'href="/-/article?url=http' in get(plain, "/corpus/latest_articles").text
    assert 'href="/-/record?capture=%3Curn' in get(plain, "/corpus/captures").text


def test_the_article_page_without_stories(plain) -> None:
    article = rows(plain, "/corpus/articles.json", _search=SEED_WORD)[0]
    page = get(plain, "/-/article.json", url=article["url"]).json()
    assert page["article"]["title"] == article["title"]
    assert page["story"] is None
    assert page["capture"]["replay"] is None
    html = get(plain, "/-/article", url=article["url"]).text
    assert "The same story in other outlets" not in html
    assert "download its WARC record" in html


def test_the_article_page_shows_the_story_in_the_other_outlets(rich) -> None:
    members = rows(rich, "/corpus/story_members.json")
    article = members[0]["article"]
    url = article["value"] if isinstance(article, dict) else article
    page = get(rich, "/-/article.json", url=url).json()
    assert page["story"]["id"] == 1
    others = page["story"]["members"]
    assert len(others) == 4 and url not in {m["url"] for m in others}
    assert len({m["site"] for m in others}) == 4
    html = get(rich, "/-/article", url=url).text
    assert f'href="{others[0]["href"].replace("&", "&amp;")}"' in html


def test_stories_by_outlets(rich) -> None:
    (story,) = rows(rich, "/corpus/stories_by_outlets.json")
    assert (story["outlets"], story["articles"]) == (5, 5)
    facets = get(rich, "/corpus/story_members.json").json()["facet_results"]
    assert "story" in facets


def test_articles_facet_by_story_and_filter_to_one(rich, plain) -> None:
    facets = get(rich, "/corpus/articles.json").json()["facet_results"]
    (story,) = facets["story"]["results"]
    assert (story["value"], story["count"]) == (1, 5)
    assert "_story=1" in story["toggle_url"]
    page = get(rich, "/corpus/articles", _story="1")
    assert page.status_code == 200 and "in story 1" in page.text
    in_story = rows(rich, "/corpus/articles.json", _story="1")
    assert len(in_story) == 5 and len({row["site"] for row in in_story}) == 5
    assert "story" not in get(plain, "/corpus/articles.json").json()["facet_results"]
    assert len(rows(plain, "/corpus/articles.json", _story="1")) >= 20  # no stories: ignored


def edited(app: Datasette) -> dict[str, Any]:
    (row,) = rows(app, "/corpus/changed_after_publication.json")
    assert row["versions"] == 2
    return get(app, "/-/article.json", url=row["url"]).json()


def test_an_edited_article_shows_its_versions_and_their_diff(rich) -> None:
    page = edited(rich)
    assert len(page["versions"]) == 2
    added = [d["line"] for d in page["diff"] if d["kind"] == "added"]
    assert any("Update: the base was not hit." in line for line in added)


def test_text_from_archived_pages_is_escaped(rich) -> None:
    html = get(rich, "/-/article", url=edited(rich)["article"]["url"]).text
    assert "<script>document.title" not in html and "<img src=x" not in html
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html
    assert HOSTILE not in html


def test_the_original_replays_in_pywb_when_configured(rich) -> None:
    capture = edited(rich)["capture"]
    assert capture["replay"] == f"http://127.0.0.1:8080/news/20990101000000/{capture['url']}"


def test_the_raw_record_downloads_as_archived(rich, stories) -> None:
    db = sqlite_utils.Database(stories / "corpus.db")
    capture = next(db["captures"].rows_where("record_type = 'response' and status = 200"))
    response = get(rich, "/-/record", capture=capture["warc_record_id"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/warc"
    assert "attachment" in response.headers["content-disposition"]
    with (stories / "warc" / capture["warc_file"]).open("rb") as warc:
        warc.seek(capture["warc_offset"])
        assert response.content == warc.read(capture["warc_length"])
    record = gzip.decompress(response.content)
    assert record.startswith(b"WARC/1.1\r\n")
    assert capture["warc_record_id"].encode() in record


@pytest.mark.parametrize("capture", ["<urn:uuid:bad>", "<urn:uuid:nothing-here>", ""])
def test_a_record_outside_the_archive_is_not_served(rich, capture) -> None:
    assert get(rich, "/-/record", capture=capture).status_code == 404


def test_an_unknown_article_is_a_404(plain) -> None:
    assert get(plain, "/-/article", url="http://nowhere.invalid/").status_code == 404


def test_serve_without_a_corpus_says_how_to_build_one(tmp_path) -> None:
    result = run_tearsheet("serve", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "has no corpus.db" in result.stderr and "tearsheet extract" in result.stderr
    with pytest.raises(ServeError, match="tearsheet extract"):
        datasette_app(tmp_path)


def test_serve_names_a_corpus_that_is_not_sqlite(tmp_path) -> None:
    (tmp_path / "corpus.db").write_bytes(b"not a database, " * 100)
    result = run_tearsheet("serve", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "not a readable SQLite corpus" in result.stderr


@pytest.mark.parametrize(
    "option", [["-m", "{not json"], ["-m", "[1]"], ["--pywb", "javascript:alert(1)"]]
)
def test_serve_refuses_bad_options_in_one_line(demo, tmp_path, option) -> None:
    if option[0] == "-m":
        (tmp_path / "metadata.json").write_text(option[1])
        option = ["-m", str(tmp_path / "metadata.json")]
    result = run_tearsheet("serve", str(demo), *option)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("tearsheet: ")


def test_a_corpus_from_an_older_tearsheet_is_upgraded(demo, tmp_path) -> None:
    """No versions table, no editors column, no search index: the first corpora."""
    old = sqlite_utils.Database(tmp_path / "corpus.db")
    current = sqlite_utils.Database(demo / "corpus.db")
    for table in ("captures", "errors", "runs"):
        old[table].insert_all(current[table].rows)
    kept = ("url", "title", "authors", "published", "language", "site", "text", "capture")
    old["articles"].insert_all(
        ({key: row[key] for key in kept} for row in current["articles"].rows), pk="url"
    )
    old.conn.close()
    register_plugin()
    as_it_is = Datasette(immutables=[str(tmp_path / "corpus.db")])  # plain `datasette`
    asyncio.run(as_it_is.invoke_startup())
    url = next(current.query("select url from articles"))["url"]
    page = get(as_it_is, "/-/article.json", url=url).json()
    assert page["versions"] == [] and page["article"]["editors"] == []
    added = upgrade_corpus(tmp_path / "corpus.db")
    assert {"table versions", "column articles.editors", "search index articles_fts"} <= set(added)
    assert upgrade_corpus(tmp_path / "corpus.db") == []
    app = started(tmp_path)
    assert len(rows(app, "/corpus/articles.json", _search=SEED_WORD)) == 5
    url = rows(app, "/corpus/articles.json", _search=SEED_WORD)[0]["url"]
    assert get(app, "/-/article.json", url=url).json()["article"]["editors"] == []


def test_live_mode_opens_the_corpus_read_only(demo) -> None:
    app = datasette_app(demo, live=True)
    database = app.get_database("corpus")
    assert database.is_mutable
    assert asyncio.run(app.client.get("/corpus/articles.json")).status_code == 200
