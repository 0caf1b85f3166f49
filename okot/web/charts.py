"""Bar charts of the management report, as geometry for an inline SVG (``grafiek.html``).

A chart is drawn from a :class:`~okot.db.report_export.ReportTable`, that is from
figures that are already suppressed, never from the raw counts: a cell shown as
``<5`` gets that label and no bar (so no bar length can reveal a small count), a
median or p90 that is not shown gets "niet getoond", a zero gets ``0`` and no
bar. Every other value is a horizontal bar on a common scale that starts at 0,
with its value written beside it.

The SVG has a ``viewBox`` and no fixed size: it takes the width of its column on
screen and of the page in print, and its text stays text (the page's font,
sharp when printed, found by a search). It is an image with a title and a
description for screen readers; the same figures follow it as a table.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

from okot.db.report_export import Cell, ReportTable

WIDTH = 640
LABEL_WIDTH = 220
"""Room for the category labels left of the bars (two lines of about 32 characters)."""
VALUE_ROOM = 60
"""Room right of the longest bar for its value."""
FONT = 12
LINE = 14
LABEL_CHARS = 32
COLOURS = ("#0072b2", "#e69f00", "#009e73")
"""Okabe-Ito blue, orange and green: told apart with the common colour blindnesses."""
NOT_SHOWN = "niet getoond"

CHARTED: dict[str, tuple[tuple[int, ...], str]] = {
    "funnel": ((0,), "trajecten"),
    "rejections": ((0,), "trajecten"),
    "results_by_programme": ((0, 1, 2), "opleidingen"),
    "results_by_level": ((0, 1, 2), "opleidingen"),
    "time_in_stage": ((1, 2), "werkdagen"),
    "dropout": ((0,), "opleidingen"),
    "employment": ((0, 1), "opleidingen"),
}
"""The tables that get a chart: which value columns become series, and their unit."""


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    x: float
    """Where its legend entry starts."""


@dataclass(frozen=True)
class Bar:
    row: str
    series: str
    colour: str
    y: float
    height: float
    width: float
    """0: no bar (a zero, a suppressed or a hidden value); only the text shows."""
    text: str
    text_x: float
    title: str
    suppressed: bool


@dataclass(frozen=True)
class Category:
    key: str
    lines: list[str]
    y: float
    """Baseline of the first line."""
    full: str


@dataclass(frozen=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    description: str
    width: int
    height: float
    left: int
    top: float
    bottom: float
    series: list[Series]
    categories: list[Category]
    bars: list[Bar]
    ticks: list[Tick]
    unit: str


def number(value: float) -> str:
    """A figure as a Dutch reader writes it: ``12``, ``3,5``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}".replace(".", ",")


def cell_text(value: Cell) -> str:
    """A table cell as the page shows it: numbers in Dutch, ``<5`` as is, hidden as ``-``."""
    if value is None:
        return "-"
    if isinstance(value, int | float):
        return number(value)
    return value


def _scale(top_value: float) -> tuple[float, float]:
    """A round end of the axis and a round step (at most 5 intervals, whole numbers)."""
    if top_value <= 0:
        return 1.0, 1.0
    rough = top_value / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    step = max(step, 1.0)
    return math.ceil(top_value / step) * step, step


def _numeric(value: Cell) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def chart(table: ReportTable, min_count: int) -> Chart | None:
    """The chart of ``table`` (None for a table that gets none)."""
    spec = CHARTED.get(table.key)
    if spec is None or not table.lines:
        return None
    columns, unit = spec
    grouped = len(columns) > 1
    bar_height, gap, pad = (11.0, 2.0, 10.0) if grouped else (16.0, 0.0, 6.0)
    legend = 22.0 if grouped else 0.0
    series = []
    x = float(LABEL_WIDTH)
    for n, c in enumerate(columns):
        label = table.columns[1 + c]
        series.append(Series(key=table.column_keys[c], label=label, colour=COLOURS[n], x=x))
        x += 26 + 7 * len(label)
    values = [v for line in table.lines for c in columns
              if (v := _numeric(line.values[c])) is not None]
    end, step = _scale(max(values, default=0.0))
    plot = WIDTH - LABEL_WIDTH - VALUE_ROOM
    categories: list[Category] = []
    bars: list[Bar] = []
    y = legend + 6
    for line in table.lines:
        lines = textwrap.wrap(line.label, LABEL_CHARS, max_lines=2, placeholder=" …") or [""]
        group = len(columns) * bar_height + (len(columns) - 1) * gap
        pitch = max(group, len(lines) * LINE) + pad
        middle = y + pad / 2 + max(group, len(lines) * LINE) / 2
        categories.append(Category(key=line.key, lines=lines, full=line.label,
                                   y=middle - (len(lines) - 1) * LINE / 2 + FONT / 3))
        bar_y = middle - group / 2
        for s, c in zip(series, columns, strict=True):
            bars.append(_bar(line.key, line.label, s, line.values[c], bar_y, bar_height,
                             plot / end, min_count, grouped))
            bar_y += bar_height + gap
        y += pitch
    ticks = [Tick(x=LABEL_WIDTH + plot * k * step / end, text=number(k * step))
             for k in range(round(end / step) + 1)] if any(values) else []
    return Chart(
        key=table.key, title=table.title, unit=unit,
        description=(f"Staafdiagram ({unit}) van de tabel hieronder. Aantallen van 1 tot en met "
                     f"{min_count - 1} staan als <{min_count}, zonder staaf."),
        width=WIDTH, height=y + 26, left=LABEL_WIDTH, top=legend + 6, bottom=y,
        series=series if grouped else [], categories=categories, bars=bars, ticks=ticks,
    )


def _bar(row: str, row_label: str, series: Series, value: Cell, y: float, height: float,
         per_unit: float, min_count: int, grouped: bool) -> Bar:
    name = f"{row_label}, {series.label}" if grouped else row_label
    which = f" ({series.label})" if grouped else ""  # no bar to show its colour
    amount = _numeric(value)
    if amount is None:
        text = (NOT_SHOWN if value is None else str(value)) + which
        why = (f"minder dan {min_count}: niet getoond" if value is not None
               else f"niet getoond: minder dan {min_count} verblijven")
        return Bar(row=row, series=series.key, colour=series.colour, y=y, height=height,
                   width=0.0, text=text, text_x=LABEL_WIDTH + 4, title=f"{name}: {why}",
                   suppressed=True)
    width = amount * per_unit
    return Bar(row=row, series=series.key, colour=series.colour, y=y, height=height,
               width=width, text=number(amount) + (which if width == 0 else ""),
               text_x=LABEL_WIDTH + width + 4,
               title=f"{name}: {number(amount)}", suppressed=False)
