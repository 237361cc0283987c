"""The console's stats chart: daily revenue bars and an orders line over the period, and the
funnel as horizontal bars, drawn off-screen as a PNG.

Like ``charts``, a ``Figure`` on the Agg canvas (no ``pyplot``, no global state). Labels come
in the admin's language; when no installed font has their glyphs (a server without CJK fonts
would draw boxes), the chart falls back to the English labels and says so in the log.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # matplotlib is imported when a chart is drawn, not when the bot starts
    from matplotlib.axis import Axis

log = logging.getLogger(__name__)

#: Revenue panels drawn at most (the caption lists every currency).
MAX_CURRENCY_PANELS = 2
_BAR = "#9ecae1"
_LINE = "#e6550d"
_FUNNEL = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd")


@dataclass(frozen=True, slots=True)
class ChartLabels:
    title: str
    #: ``{currency}`` is filled in per panel.
    revenue: str
    orders: str
    funnel: str
    #: Viewed, added to cart, checkout, paid.
    steps: tuple[str, str, str, str]

    def texts(self) -> list[str]:
        return [self.title, self.revenue, self.orders, self.funnel, *self.steps]


@dataclass(frozen=True, slots=True)
class RevenueSeries:
    currency: str
    #: Net revenue per day, in major units (drawing only: the figures shown in text are exact).
    values: Sequence[float]


@cache
def _font_chars(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    try:
        return frozenset(FT2Font(path).get_charmap())
    except (OSError, RuntimeError, ValueError):
        return frozenset()


def _font_for(text: str) -> str | None:
    """A font family that has every glyph of ``text`` (the default one first), or None."""
    from matplotlib import font_manager

    wanted = {ord(c) for c in text if not c.isspace()}
    default = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
    if wanted <= _font_chars(default):
        return font_manager.FontProperties(fname=default).get_name()
    for entry in font_manager.fontManager.ttflist:
        # "Last Resort" maps every code point to a box naming its block: exactly the boxes
        # this check is here to avoid.
        if not entry.name.startswith("Last Resort") and wanted <= _font_chars(entry.fname):
            return str(entry.name)
    return None


def pick_labels(labels: ChartLabels, fallback: ChartLabels) -> tuple[ChartLabels, str]:
    """The labels to draw and the font family that can draw them."""
    family = _font_for("".join(labels.texts()) + "0123456789.")
    if family is not None:
        return labels, family
    log.warning(
        "no installed font has the glyphs of the chart's labels (for Chinese, install a CJK "
        "font such as fonts-noto-cjk); the chart is drawn with English labels"
    )
    family = _font_for("".join(fallback.texts())) or "sans-serif"
    return fallback, family


def stats_png(
    days: Sequence[date],
    revenue: Sequence[RevenueSeries],
    orders: Sequence[int],
    funnel: tuple[int, int, int, int],
    labels: ChartLabels,
    fallback: ChartLabels,
) -> bytes:
    """The chart as PNG bytes. ``revenue``: one series per currency, most orders first;
    ``orders``: paid orders per day (all currencies); ``funnel``: people at each step."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    use, family = pick_labels(labels, fallback)
    panels = list(revenue[:MAX_CURRENCY_PANELS]) or [RevenueSeries("", [0.0] * len(days))]
    figure = Figure(figsize=(9, 3.0 * len(panels) + 2.6), dpi=100)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(len(panels) + 1, 1, height_ratios=[3] * len(panels) + [2.2])
    x = list(range(len(days)))
    step = max(1, len(days) // 10)
    ticks = list(range(0, len(days), step))
    for i, series in enumerate(panels):
        axes = figure.add_subplot(grid[i])
        axes.bar(x, series.values, color=_BAR, label=use.revenue.format(currency=series.currency))
        axes.set_ylim(bottom=0)
        axes.set_xticks(ticks, [days[t].strftime("%d.%m") for t in ticks], family=family)
        axes.set_ylabel(use.revenue.format(currency=series.currency), family=family)
        if i == 0:
            axes.set_title(use.title, family=family)
            line_axes = axes.twinx()
            line_axes.plot(x, orders, color=_LINE, marker="o", markersize=3, label=use.orders)
            line_axes.set_ylim(bottom=0, top=max(1, max(orders, default=0)) * 1.15)
            _integer_ticks(line_axes.yaxis)
            line_axes.set_ylabel(use.orders, family=family)
            handles = axes.get_legend_handles_labels()
            more = line_axes.get_legend_handles_labels()
            axes.legend(
                handles[0] + more[0],
                handles[1] + more[1],
                loc="upper left",
                prop={"family": [family]},
            )
    funnel_axes = figure.add_subplot(grid[len(panels)])
    rows = list(range(len(funnel)))[::-1]
    funnel_axes.barh(rows, funnel, color=_FUNNEL)
    funnel_axes.set_yticks(rows, list(use.steps), family=family)
    funnel_axes.set_title(use.funnel, family=family)
    top = max(max(funnel), 1)
    funnel_axes.set_xlim(0, top * 1.15)
    for row, value in zip(rows, funnel, strict=True):
        funnel_axes.text(value + top * 0.01, row, str(value), va="center", family=family)
    _integer_ticks(funnel_axes.xaxis)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _integer_ticks(axis: Axis) -> None:
    """Counts get whole-number ticks. A linear axis's default locator (``AutoLocator``) is a
    ``MaxNLocator``; only that kind takes ``integer``."""
    from matplotlib.ticker import MaxNLocator

    locator = axis.get_major_locator()
    assert isinstance(locator, MaxNLocator)
    locator.set_params(integer=True)
