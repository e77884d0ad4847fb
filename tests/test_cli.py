"""The command line as a user meets it: wrong use is one line and exit status 2."""

import pytest

from tearsheet import __version__


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["crawl"], "Missing option '-o'"),
        (["crawl", "-o", "out"], "nothing to crawl"),
        (["crawl", "-o", "out", "--sitemap", "sitemap.xml"], "not an http(s) URL: 'sitemap.xml'"),
        (
            ["crawl", "ftp://example.test/", "-o", "out"],
            "not an http(s) URL: 'ftp://example.test/'",
        ),
        (["crawl", "news.example.test", "-o", "out"], "not an http(s) URL"),
        (["crawl", "http://127.0.0.1:9/"], "Missing option '-o'"),
        (["crawl", "http://127.0.0.1:9/", "-o", "out", "--depth", "-1"], "--depth"),
        (
            ["crawl", "http://127.0.0.1:9/", "-o", "out", "--allow-private", "--spider", "nope"],
            "unknown spider 'nope'",
        ),
        (["extract", "no-such.warc.gz", "-o", "corpus.db"], "does not exist"),
        (["frobnicate"], "No such command 'frobnicate'"),
        (["crawl", "http://127.0.0.1:9/", "-o", "out"], "pass --allow-private to crawl it"),
        (["crawl", "--feed", "http://10.1.2.3/rss", "-o", "out"], "10.1.2.3/rss is a private"),
    ],
)
def test_wrong_use_exits_2_with_a_one_line_reason(tearsheet_cli, tmp_path, args, reason) -> None:
    args = [str(tmp_path / a) if a in ("out", "corpus.db") else a for a in args]
    result = tearsheet_cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("tearsheet: ") and reason in lines[0]
    assert not (tmp_path / "out").exists()


def test_version_and_help(tearsheet_cli) -> None:
    assert tearsheet_cli("--version").stdout.strip().endswith(__version__)
    help_text = tearsheet_cli("--help").stdout
    for command in ("crawl", "extract", "demo"):
        assert command in help_text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[crawl]\ndepht = 2\n", "unknown key 'depht' in [crawl]"),
        ("[crawl]\ndepth_limit = 'two'\n", "[crawl] depth_limit must be int, not str 'two'"),
        ("[crawl]\nobey_robots = 1\n", "[crawl] obey_robots must be bool, not int 1"),
        ("[[sites]]\nstart = 'https://a.example/'\n", "start must be list"),
        ("[plugins]\ndisable = ['x']\nextra = 1\n", "unknown key 'extra' in [plugins]"),
        ("output = [\n", "not valid TOML"),
    ],
)
def test_a_bad_crawl_file_is_named_with_its_problem(tearsheet_cli, tmp_path, text, reason) -> None:
    crawl_file = tmp_path / "crawl.toml"
    crawl_file.write_text(text)
    result = tearsheet_cli("crawl", "--config", str(crawl_file), "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"tearsheet: {crawl_file}: ") and reason in line
