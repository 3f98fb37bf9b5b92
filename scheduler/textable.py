"""Plain aligned tables for the terminal (no colours, safe to pipe)."""

from __future__ import annotations

import math


def fmt(value, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isinf(value):
            return "inf"
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(headers: list[str], rows: list[list], title: str | None = None) -> str:
    # A column of whole numbers reads best without decimals; a column with any fraction keeps two everywhere.
    whole = [all(not isinstance(r[j], float) or (math.isfinite(r[j]) and r[j].is_integer()) for r in rows)
             for j in range(len(headers))]
    cells = [[fmt(v, 0 if whole[j] else 2) for j, v in enumerate(row)] for row in rows]
    widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]
    numeric = [all(_numeric(r[j]) for r in cells) and cells for j in range(len(headers))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [title] if title else []
    out += [line(headers), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out)


def _numeric(text: str) -> bool:
    t = text.replace(",", "").replace("%", "").replace(".", "", 1).lstrip("-")
    return t.isdigit() or text in ("-", "inf")
