"""A creator's chart: clicks and orders per day, drawn off-screen as a PNG.

matplotlib's Agg backend renders to memory without a display; a ``Figure`` made directly
(not through ``pyplot``) keeps no global state, so concurrent updates cannot draw into each
other's charts.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, timedelta

DAYS = 28


def daily(moments: list[datetime], first: date, days: int) -> list[int]:
    counts = Counter(m.date() for m in moments)
    return [counts.get(first + timedelta(days=i), 0) for i in range(days)]


def activity_png(
    clicks: list[datetime],
    orders: list[datetime],
    today: date,
    labels: tuple[str, str, str],
    days: int = DAYS,
) -> bytes:
    """Bars of clicks and a line of orders for the last ``days`` days, ending ``today``.
    ``labels``: (title, clicks, orders) in the creator's language."""
    # matplotlib (and numpy) are imported when a chart is drawn, not when the bot starts.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    first = today - timedelta(days=days - 1)
    x = list(range(days))
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(x, daily(clicks, first, days), color="#9ecae1", label=labels[1])
    axes.plot(x, daily(orders, first, days), color="#e6550d", marker="o", label=labels[2])
    ticks = list(range(0, days, 7))
    axes.set_xticks(ticks, [(first + timedelta(days=i)).strftime("%d.%m") for i in ticks])
    axes.set_title(labels[0])
    axes.legend(loc="upper left")
    axes.set_ylim(bottom=0)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
