"""Where one worker of a shared crawl keeps its own state inside an archive directory.

Workers of one job may share an archive directory (or gather theirs into one
later): WARC files go to ``warc/`` named ``tearsheet-WORKER-…``, and each
worker's corpus shard and frontier go to ``workers/WORKER/``, so no two
workers ever write the same file.
"""

import os
import re
import socket
from pathlib import Path

WORKERS_DIR = "workers"
WORKER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def default_worker_id() -> str:
    """Unique on a machine at a time and readable in file names: host-pid."""
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname().split(".")[0]) or "host"
    return f"{host}-{os.getpid()}"


def check_worker_id(worker_id: str) -> str:
    """A worker id names files: letters, digits, '.', '_' and '-', 64 at most."""
    if not WORKER_ID.fullmatch(worker_id):
        raise ValueError(
            f"bad worker id {worker_id!r}: use letters, digits, '.', '_' and '-'"
            " (64 at most, starting with a letter or digit)"
        )
    return worker_id


def state_dir(archive_dir: Path, worker_id: str | None) -> Path:
    """The directory of a crawl's corpus.db and frontier.db: its own for a worker."""
    archive_dir = Path(archive_dir)
    return archive_dir / WORKERS_DIR / worker_id if worker_id else archive_dir


def workers_of(archive_dir: Path) -> list[str]:
    """The workers that have a shard in an archive directory."""
    root = Path(archive_dir) / WORKERS_DIR
    return sorted(path.name for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
