"""Default export formats: JSON Lines, CSV, and Parquet with the ``parquet`` extra."""

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from tearsheet.plugins import hookimpl


def write_jsonl(rows: Iterator[dict[str, Any]], out: BinaryIO) -> None:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")


def write_csv(rows: Iterator[dict[str, Any]], out: BinaryIO) -> None:
    """Lists (authors, editors, sources) as JSON in their cell: CSV has no lists."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer: csv.DictWriter[str] | None = None
    for row in rows:
        flat = {k: json.dumps(v) if isinstance(v, list) else v for k, v in row.items()}
        if writer is None:
            writer = csv.DictWriter(text, fieldnames=list(flat))
            writer.writeheader()
        writer.writerow(flat)
    text.detach()


def write_parquet(rows: Iterator[dict[str, Any]], out: BinaryIO) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise RuntimeError("Parquet needs pyarrow: pip install 'tearsheet[parquet]'") from exc
    batch = list(rows)  # Parquet writes columns, so the rows are gathered first
    pq.write_table(pa.Table.from_pylist(batch), out)


@hookimpl
def register_export_formats(register: Callable[[str, Any], None]) -> None:
    register("jsonl", write_jsonl)
    register("csv", write_csv)
    register("parquet", write_parquet)
