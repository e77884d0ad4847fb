"""A shared crawl refused before it starts: invalid use (exit 2), Redis unreachable (exit 3)."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from redisserver import free_port

from tearsheet.cli import cli

SITE = "http://127.0.0.1:9/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--worker-id", "w1"], "--worker-id names a worker of a shared crawl: give --redis too"),
        (
            ["--redis", "http://queue:6379"],
            "not a Redis URL (redis://HOST:PORT/DB): 'http://queue:6379'",
        ),
        (["--redis", "redis://127.0.0.1:9/0", "--worker-id", "a/b"], "bad worker id 'a/b'"),
        (
            ["--redis", "redis://127.0.0.1:9/0", "--max-pages", "5"],
            "--max-pages is not kept across workers",
        ),
    ],
    ids=["worker-without-redis", "not-redis-url", "bad-worker-id", "max-pages"],
)
def test_shared_crawl_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["crawl", "--allow-private", SITE, "-o", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert not (tmp_path / "workers").exists()


def test_resume_of_a_shared_archive_names_its_workers(tmp_path: Path) -> None:
    for worker in ("w1", "w2"):
        (tmp_path / "workers" / worker).mkdir(parents=True)
    result = CliRunner().invoke(cli, ["crawl", "--resume", str(tmp_path)])
    assert result.exit_code == 2
    assert (
        result.stderr
        == f"tearsheet: {tmp_path} holds the shards of workers w1, w2: pass --worker-id\n"
    )


def test_redis_unreachable_at_start_is_one_line_and_exit_3(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    args = ["crawl", "--allow-private", SITE, "-o", str(tmp_path), "--redis", url]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"tearsheet: cannot reach Redis at {url}: ")
    assert "Connection refused" in result.stderr
    assert result.stderr.count("\n") == 1
