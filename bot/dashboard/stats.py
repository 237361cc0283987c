"""Dashboard section: stats. The same figures and chart as ``/admin stats`` (a preset period
or two dates; ``services/shop_stats.py``, drawn by the console's ``chart_png``) and the
period's orders as CSV. Every view and export goes to the audit log, as in chat."""

from __future__ import annotations

import asyncio
import base64
import re

from bot.conversation.screens.admin.stats import chart_png, figures
from bot.dashboard import page
from bot.dashboard.page import esc, tag
from bot.dashboard.products import tabs
from bot.dashboard.visit import Page, Visit
from bot.domain.staff import Permission
from bot.services import shop_stats
from bot.services.shop_stats import Period, PeriodProblem

#: The console's texts carry Telegram's HTML tags; on the page they are plain text.
_TAG = re.compile(r"<[^>]+>")


def _period(visit: Visit) -> Period | PeriodProblem:
    today = visit.now.date()
    first, last = visit.query.get("first", ""), visit.query.get("last", "")
    if first or last:
        return shop_stats.parse_period(f"{first} {last}", today)
    raw = visit.query.get("days", "7")
    days = int(raw) if raw in {str(n) for n in shop_stats.PRESET_DAYS} else 7
    return Period.ending(today, days)


def _picker(visit: Visit, period: Period | None) -> str:
    presets = "".join(
        page.link(
            visit.t("admin.st.btn_today") if n == 1 else visit.t("admin.st.btn_days", n=n),
            f"stats?days={n}",
            "tab",
        )
        for n in shop_stats.PRESET_DAYS
    )
    dates = tag(
        "form",
        page.field(
            visit.t("dash.or.from"), "first", f"{period.first}" if period else "", kind="date"
        )
        + page.field(
            visit.t("dash.or.to"), "last", f"{period.last}" if period else "", kind="date"
        )
        + tag("button", esc(visit.t("dash.or.filter")), type="submit"),
        data_get="stats",
    )
    return tag("nav", presets) + dates


async def show(visit: Visit) -> Page:
    visit.require(Permission.STATS)
    found = _period(visit)
    head = tabs(visit, "stats") + tag("h1", esc(visit.t("dash.tab.stats")))
    if isinstance(found, PeriodProblem):
        today = visit.now.date()
        problem = _TAG.sub(
            "",
            visit.t(
                f"admin.st.period.{found.value}",
                example=f"{today:%Y-%m-%d} {today:%Y-%m-%d}",
                today=f"{today:%Y-%m-%d}",
                max=shop_stats.MAX_DAYS,
            ),
        )
        return Page(head + _picker(visit, None) + page.errors([problem]), "stats", 422)
    stats = await shop_stats.gather(visit.uow, found)
    await visit.audit(
        "stats.view",
        f"{found.first:%Y-%m-%d}..{found.last:%Y-%m-%d}",
        paid_orders=sum(t.paid_orders for t in stats.totals),
    )
    body = head + _picker(visit, found)
    if stats.empty:
        dates = {"first": f"{found.first:%Y-%m-%d}", "last": f"{found.last:%Y-%m-%d}"}
        body += tag("p", esc(visit.t("dash.st.empty", **dates)), class_="hint")
        return Page(body, "stats")
    png = await asyncio.to_thread(chart_png, visit.tx, stats)
    # ``figures`` is the console's caption: Telegram's HTML subset, every value escaped.
    body += tag("div", figures(visit.tx, stats), class_="card", style="white-space:pre-line")
    src = "data:image/png;base64," + base64.b64encode(png).decode()
    body += f"<img{page.attrs(class_='chart', alt=visit.t('dash.st.chart'), src=src)}>"
    body += tag(
        "p",
        tag(
            "a",
            esc(visit.t("admin.st.btn_csv")),
            href="#",
            data_download=f"stats.csv?first={found.first}&last={found.last}",
            data_filename=found.csv_name,
        ),
    )
    return Page(body, "stats")


async def export(visit: Visit) -> Page:
    visit.require(Permission.STATS)
    found = _period(visit)
    if isinstance(found, PeriodProblem):
        return Page(page.notice(visit.t("dash.bad_request"), "error"), "stats", 400)
    result = await shop_stats.export_csv(visit.uow, found)
    await visit.audit(
        "stats.export",
        f"{found.first:%Y-%m-%d}..{found.last:%Y-%m-%d}",
        rows=result.rows,
        too_large=result.too_large,
    )
    if result.too_large:
        dates = {"first": f"{found.first:%Y-%m-%d}", "last": f"{found.last:%Y-%m-%d}"}
        return Page(page.notice(visit.t("admin.st.csv.too_large", **dates), "error"), "stats", 413)
    return Page("", "stats", content_type="text/csv", data=result.data, filename=found.csv_name)


ROUTES = [
    ("GET", "stats", show),
    ("GET", "stats.csv", export),
]
