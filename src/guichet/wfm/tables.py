"""Plain-text tables a planner can read in a terminal or paste into a spreadsheet (tsv/csv)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

Cell = str | int | float | None
TABLE_FORMATS = ("text", "tsv", "csv")


def format_cell(value: Cell, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def decimal(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def percent(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f}%"


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Cell]], table_format: str = "text") -> str:
    """Render rows under headers. ``text`` right-aligns numbers in padded columns; tsv/csv are for pasting."""
    if table_format not in TABLE_FORMATS:
        raise ValueError(f"table format must be one of {TABLE_FORMATS}, got {table_format!r}")
    cells = [[format_cell(value) for value in row] for row in rows]
    if table_format == "tsv":
        return "\n".join("\t".join(line) for line in [list(headers), *cells])
    if table_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(cells)
        return buffer.getvalue().rstrip("\n")
    widths = [max(len(header), *(len(line[i]) for line in cells)) for i, header in enumerate(headers)]
    rule = "  ".join("-" * width for width in widths)
    lines = ["  ".join(header.rjust(width) for header, width in zip(headers, widths, strict=True)), rule]
    lines += [
        "  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells
    ]
    return "\n".join(lines)
