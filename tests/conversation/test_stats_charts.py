"""The stats chart: a PNG Pillow opens for a day, a quarter and two currencies; labels the
installed fonts cannot draw fall back to English with a warning instead of boxes; the console's
caption stays within Telegram's 1,024 characters or the figures move to their own message."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta

import pytest
from PIL import Image

from bot.conversation import stats_charts
from bot.conversation.screens.admin import stats as stats_screen
from bot.conversation.stats_charts import ChartLabels, RevenueSeries, pick_labels, stats_png
from bot.conversation.texts import texts
from bot.services.shop_stats import Period, ShopStats
from bot.services.stats_ports import CurrencyTotals, FunnelCounts, ProductSales

EN = ChartLabels("Sales", "Net revenue, {currency}", "Paid orders", "Funnel", ("a", "b", "c", "d"))
ZH = ChartLabels(
    "销售", "净收入（{currency}）", "已付订单", "转化漏斗", ("浏览", "加购", "结账", "付款")
)


def _image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


@pytest.mark.parametrize("days", [1, 90])
def test_a_png_for_one_day_and_for_a_quarter(days: int) -> None:
    dates = [date(2026, 9, 1) + timedelta(days=i) for i in range(days)]
    revenue = [
        RevenueSeries("USD", [float(i % 5) for i in range(days)]),
        RevenueSeries("XTR", [150.0] * days),
        RevenueSeries("EUR", [1.0] * days),  # a third currency: in the caption, not drawn
    ]
    png = stats_png(dates, revenue, [i % 3 for i in range(days)], (9, 4, 3, 2), EN, EN)
    image = _image(png)
    assert image.format == "PNG" and image.size == (900, 860)


def test_no_sales_still_draws_the_funnel() -> None:
    dates = [date(2026, 9, 1) + timedelta(days=i) for i in range(7)]
    image = _image(stats_png(dates, [], [0] * 7, (3, 0, 0, 0), EN, EN))
    assert image.size == (900, 560)


def test_labels_without_glyphs_fall_back_to_english(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # As on a server without CJK fonts: no font has the Chinese glyphs.
    real = stats_charts._font_chars
    monkeypatch.setattr(
        stats_charts,
        "_font_chars",
        lambda path: frozenset(c for c in real(path) if c < 0x2E80),
    )
    with caplog.at_level(logging.WARNING, logger="bot.conversation.stats_charts"):
        labels, family = pick_labels(ZH, EN)
    assert labels is EN and family
    assert "drawn with English labels" in caplog.text
    caplog.clear()
    assert pick_labels(EN, EN)[0] is EN and not caplog.text


def test_labels_a_font_can_draw_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    every = frozenset(range(0x20, 0xFFFF))
    monkeypatch.setattr(stats_charts, "_font_chars", lambda path: every)
    labels, family = pick_labels(ZH, EN)
    assert labels is ZH and family


def _stats(products: int, currencies: int) -> ShopStats:
    codes = ["USD", "EUR", "GBP", "JPY", "XTR", "CNY"][:currencies]
    return ShopStats(
        period=Period(date(2026, 11, 1), date(2026, 11, 30)),
        totals=[CurrencyTotals(c, 3, 3000, 500) for c in codes],
        daily=[],
        funnel=FunnelCounts(10, 4, 3, 3),
        top=[
            ProductSales(i, f"Product with a rather long name number {i}", c, 2, 1000)
            for c in codes
            for i in range(products)
        ],
    )


def test_the_caption_fits_or_the_figures_get_their_own_message() -> None:
    tx = texts("en")
    short = stats_screen.figures(tx, _stats(2, 1))
    assert stats_screen._visible_length(short) <= stats_screen.CAPTION_LIMIT
    assert "<b>$25.00</b> net = $30.00 paid − $5.00 refunded · 3 paid orders · average $10.00" in (
        short
    )
    assert "(40% of viewers)" in short and "(30% of viewers, 100% of checkouts)" in short
    long = stats_screen.figures(tx, _stats(5, 6))
    assert stats_screen._visible_length(long) > stats_screen.CAPTION_LIMIT
    # Tags do not count, entities count once, and an emoji is two UTF-16 units.
    assert stats_screen._visible_length("<b>a&amp;b</b> 📊") == 6
