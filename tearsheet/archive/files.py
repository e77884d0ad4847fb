"""Finding the WARC files of an archive directory."""

from collections.abc import Iterable
from pathlib import Path

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
WARC_DIR = "warc"


def warc_files(paths: Iterable[Path]) -> list[Path]:
    """Expand archive directories to their WARC files, in name (= time) order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            folder = path / WARC_DIR if (path / WARC_DIR).is_dir() else path
            found.extend(
                sorted(p for p in folder.iterdir() if p.name.lower().endswith(WARC_SUFFIXES))
            )
        else:
            found.append(path)
    return found
