"""Console section: stats. A period (Today, 7, 30 or 90 days, or ``/admin stats FIRST LAST``)
gives a PNG chart (daily revenue and orders, the funnel) captioned with the figures, and a
⬇️ CSV button that sends the period's orders as a document. Every view and export goes to the
audit log.

Days are whole UTC days (the shop's time zone; the project has no setting for another).
"""

from __future__ import annotations

import asyncio
import html
import re
from datetime import timedelta
from decimal import Decimal

from bot.conversation.replies import Button, Keyboard, MediaRef, SendDocument, SendMedia
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.registry import admin_cb, command, menu_item, verb
from bot.conversation.stats_charts import ChartLabels, RevenueSeries, stats_png
from bot.conversation.texts import Raw, Texts, texts
from bot.conversation.turn import Turn
from bot.domain.catalog import MediaKind
from bot.domain.money import Money, minor_unit_exponent
from bot.domain.staff import Permission, Role
from bot.services import shop_stats
from bot.services.shop_stats import Period, PeriodProblem, ShopStats

P = Permission.STATS
#: Telegram's limit for a photo's caption (characters after HTML parsing).
CAPTION_LIMIT = 1024
_TAG = re.compile(r"<[^>]+>")

menu_item(50, "admin.st.menu", "st", P)


def _example(turn: Turn) -> str:
    today = turn.now.date()
    return f"{today - timedelta(days=29):%Y-%m-%d} {today:%Y-%m-%d}"


def _periods(turn: Turn) -> Keyboard:
    tx = turn.tx
    buttons = [
        Button(
            tx.label("admin.st.btn_today") if n == 1 else tx.label("admin.st.btn_days", n=n),
            admin_cb("st_p", n),
        )
        for n in shop_stats.PRESET_DAYS
    ]
    return (
        tuple(buttons[:2]),
        tuple(buttons[2:]),
        (Button(tx.label("admin.btn_menu"), admin_cb("menu")),),
    )


@verb("st", P)
async def pick(turn: Turn, role: Role, _a: int, _b: int) -> None:
    turn.answer()
    turn.show(turn.tx.t("admin.st.pick", example=_example(turn)), _periods(turn))


@command("stats", P)
async def typed(turn: Turn, role: Role, args: str) -> None:
    tx = turn.tx
    if not args:
        turn.say(tx.t("admin.st.pick", example=_example(turn)), _periods(turn))
        return
    today = turn.now.date()
    found = shop_stats.parse_period(args, today)
    if isinstance(found, PeriodProblem):
        turn.say(
            tx.t(
                f"admin.st.period.{found.value}",
                example=_example(turn),
                today=f"{today:%Y-%m-%d}",
                max=shop_stats.MAX_DAYS,
            )
        )
        return
    await _report(turn, role, found)


@verb("st_p", P)
async def preset(turn: Turn, role: Role, days: int, _b: int) -> None:
    if days not in shop_stats.PRESET_DAYS:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    await _report(turn, role, Period.ending(turn.now.date(), days))


@verb("st_csv", P)
async def export(turn: Turn, role: Role, first: int, last: int) -> None:
    tx = turn.tx
    period = shop_stats.from_ordinals(first, last, turn.now.date())
    if period is None:
        turn.answer(tx.t("stale_button"))
        return
    result = await shop_stats.export_csv(turn.uow, period)
    dates = _dates(period)
    await access.audit(
        turn, role, "stats.export", _target(period), rows=result.rows, too_large=result.too_large
    )
    if result.too_large:
        turn.answer()
        turn.say(tx.t("admin.st.csv.too_large", **dates))
        return
    if result.rows == 0:
        turn.answer(tx.t("admin.st.csv.none", **dates), alert=True)
        return
    turn.answer()
    caption = tx.t("admin.st.csv.caption", rows=result.rows, **dates)
    turn.replies.append(SendDocument(turn.chat_id, result.data, period.csv_name, caption))


def _dates(period: Period) -> dict[str, str]:
    return {"first": f"{period.first:%Y-%m-%d}", "last": f"{period.last:%Y-%m-%d}"}


def _target(period: Period) -> str:
    return f"{period.first:%Y-%m-%d}..{period.last:%Y-%m-%d}"


async def _report(turn: Turn, role: Role, period: Period) -> None:
    tx = turn.tx
    stats = await shop_stats.gather(turn.uow, period)
    await access.audit(
        turn,
        role,
        "stats.view",
        _target(period),
        paid_orders=sum(t.paid_orders for t in stats.totals),
    )
    if stats.empty:
        turn.say(tx.t("admin.st.empty", **_dates(period)), _periods(turn))
        return
    # Drawing takes a few hundred milliseconds: off the event loop, so other chats go on.
    png = await asyncio.to_thread(chart_png, tx, stats)
    media = MediaRef(MediaKind.PHOTO, 0, "", data=png, filename="stats.png")
    keyboard: Keyboard = (
        (Button(tx.label("admin.st.btn_csv"), admin_cb("st_csv", *_ordinals(period))),),
        (
            Button(tx.label("admin.st.btn_other"), admin_cb("st")),
            Button(tx.label("admin.btn_menu"), admin_cb("menu")),
        ),
    )
    caption = figures(tx, stats)
    if _visible_length(caption) <= CAPTION_LIMIT:
        turn.replies.append(SendMedia(turn.chat_id, media, caption, keyboard))
        return
    # Many currencies or long product names: the chart, then the figures as a message.
    title = tx.t("admin.st.title", **_dates(period)) + "\n" + tx.t("admin.st.more_below")
    turn.replies.append(SendMedia(turn.chat_id, media, title))
    turn.say(caption, keyboard)


def _ordinals(period: Period) -> tuple[int, int]:
    return period.first.toordinal(), period.last.toordinal()


def _visible_length(text: str) -> int:
    """How long Telegram counts a caption: after HTML parsing, in UTF-16 code units."""
    return len(html.unescape(_TAG.sub("", text)).encode("utf-16-le")) // 2


def _pct(tx: Texts, step: int, previous: int) -> Raw:
    value = shop_stats.conversion(step, previous)
    if value is None:
        return Raw(tx.t("admin.st.pct_none"))
    return Raw(tx.t("admin.st.pct", pct=_plain(value)))


def _plain(value: Decimal) -> str:
    return f"{value:.1f}".removesuffix(".0")


def figures(tx: Texts, stats: ShopStats) -> str:
    """The period's figures as HTML text (the chart's caption)."""
    lines = [tx.t("admin.st.title", **_dates(stats.period))]
    for t in stats.totals:
        cur = t.currency
        lines.append(
            tx.t(
                "admin.st.revenue",
                net=tx.money(Money(t.net_minor, cur)),
                gross=tx.money(Money(t.gross_minor, cur)),
                refunded=tx.money(Money(t.refunded_minor, cur)),
                orders=Raw(tx.plural("admin.st.orders", t.paid_orders)),
                average=tx.money(Money(shop_stats.average_minor(t), cur)),
            )
        )
    if not stats.totals:
        lines.append(tx.t("admin.st.no_sales"))
    f = stats.funnel
    lines.append("")
    lines.append(
        tx.t(
            "admin.st.funnel",
            viewed=f.viewed,
            added=f.added,
            added_pct=_pct(tx, f.added, f.viewed),
            checkout=f.checkout,
            checkout_pct=_pct(tx, f.checkout, f.viewed),
            paid=f.paid,
            paid_pct=_pct(tx, f.paid, f.viewed),
            paid_of_checkout=_pct(tx, f.paid, f.checkout),
        )
    )
    lines.append(tx.t("admin.st.funnel_note"))
    if stats.top:
        lines.append("")
        lines.append(tx.t("admin.st.top"))
        ranks: dict[str, int] = {}
        for p in stats.top:
            ranks[p.currency] = ranks.get(p.currency, 0) + 1
            lines.append(
                tx.t(
                    "admin.st.top_row",
                    n=ranks[p.currency],
                    name=p.name,
                    revenue=tx.money(Money(p.revenue_minor, p.currency)),
                    units=p.units,
                )
            )
    return "\n".join(lines)


def _labels(tx: Texts, period: Period) -> ChartLabels:
    return ChartLabels(
        title=tx.label("admin.st.chart.title", **_dates(period)),
        revenue=tx.label("admin.st.chart.revenue", currency="{currency}"),
        orders=tx.label("admin.st.chart.orders"),
        funnel=tx.label("admin.st.chart.funnel"),
        steps=(
            tx.label("admin.st.chart.viewed"),
            tx.label("admin.st.chart.added"),
            tx.label("admin.st.chart.checkout"),
            tx.label("admin.st.chart.paid"),
        ),
    )


def chart_png(tx: Texts, stats: ShopStats) -> bytes:
    """The chart /admin stats sends (also the dashboard's)."""
    series = [
        RevenueSeries(
            t.currency,
            [
                float(Decimal(v).scaleb(-minor_unit_exponent(t.currency)))
                for v in stats.series(t.currency)
            ],
        )
        for t in stats.totals
    ]
    f = stats.funnel
    return stats_png(
        stats.period.dates,
        series,
        stats.orders_per_day(),
        (f.viewed, f.added, f.checkout, f.paid),
        _labels(tx, stats.period),
        _labels(texts("en"), stats.period),
    )
