"""The shop's figures over a period, for the console and ``storefront stats``: revenue per
currency (money taken minus refunds), paid orders, the average order, the buyers' funnel,
top products, and every order of the period as CSV.

Periods are whole days in the shop's time zone, which is UTC (the project has no setting for
another): ``Period(first, last)`` covers ``first 00:00`` up to ``last + 1 day 00:00`` UTC.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from bot.domain.money import minor_unit_exponent
from bot.services.ports import UnitOfWork
from bot.services.stats_ports import (
    CurrencyTotals,
    DaySales,
    ExportOrder,
    FunnelCounts,
    ProductSales,
)

#: The longest period one report covers (a year and a day, for a leap year).
MAX_DAYS = 366
#: The period buttons of the console, in days ending today.
PRESET_DAYS = (1, 7, 30, 90)
TOP_PRODUCTS = 5
#: Telegram's limit for a file a bot uploads.
UPLOAD_LIMIT = 50 * 1024 * 1024
#: Orders read from the database per round trip while exporting.
EXPORT_BATCH = 500
CSV_HEADER = (
    "order_id",
    "created_at",
    "status",
    "buyer_id",
    "items",
    "subtotal",
    "discount",
    "shipping",
    "total",
    "refunded",
    "currency",
    "coupon",
    "delivery",
    "tracking",
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class PeriodProblem(StrEnum):
    FORMAT = "format"  # not two dates written YYYY-MM-DD
    ORDER = "order"  # the first date is after the last
    FUTURE = "future"  # the period starts after today
    TOO_LONG = "too_long"  # more than MAX_DAYS days


@dataclass(frozen=True, slots=True)
class Period:
    first: date
    last: date  # inclusive

    @classmethod
    def ending(cls, today: date, days: int) -> Period:
        return cls(today - timedelta(days=days - 1), today)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), UTC)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    @property
    def csv_name(self) -> str:
        return f"orders-{self.first:%Y%m%d}-{self.last:%Y%m%d}.csv"


def check_period(first: date, last: date, today: date) -> PeriodProblem | None:
    if first > last:
        return PeriodProblem.ORDER
    if first > today:
        return PeriodProblem.FUTURE
    if (last - first).days + 1 > MAX_DAYS:
        return PeriodProblem.TOO_LONG
    return None


def parse_period(text: str, today: date) -> Period | PeriodProblem:
    """``2026-11-01 2026-11-30`` (either order is refused, not swapped: a typo should show)."""
    words = text.split()
    if len(words) != 2 or not all(_DATE.match(w) for w in words):
        return PeriodProblem.FORMAT
    try:
        first, last = (date.fromisoformat(w) for w in words)
    except ValueError:
        return PeriodProblem.FORMAT
    problem = check_period(first, last, today)
    return problem or Period(first, last)


def from_ordinals(first: int, last: int, today: date) -> Period | None:
    """The period a CSV button names (two day ordinals), or None when it is not a valid one."""
    try:
        period = Period(date.fromordinal(first), date.fromordinal(last))
    except (ValueError, OverflowError):
        return None
    return None if check_period(period.first, period.last, today) else period


@dataclass(frozen=True, slots=True)
class ShopStats:
    period: Period
    totals: list[CurrencyTotals]
    daily: list[DaySales]
    funnel: FunnelCounts
    top: list[ProductSales]

    @property
    def empty(self) -> bool:
        """Nothing paid and nobody seen in the funnel: nothing worth a chart."""
        f = self.funnel
        return not self.totals and not (f.viewed or f.added or f.checkout or f.paid)

    def series(self, currency: str) -> list[int]:
        """Net revenue (minor units) per day of the period in one currency."""
        by_day = {d.day: d.net_minor for d in self.daily if d.currency == currency}
        return [by_day.get(day, 0) for day in self.period.dates]

    def orders_per_day(self) -> list[int]:
        counts: dict[date, int] = {}
        for d in self.daily:
            counts[d.day] = counts.get(d.day, 0) + d.orders
        return [counts.get(day, 0) for day in self.period.dates]


def average_minor(totals: CurrencyTotals) -> int:
    """The average paid order (what buyers paid, before refunds), rounded half up."""
    if not totals.paid_orders:
        return 0
    value = Decimal(totals.gross_minor) / Decimal(totals.paid_orders)
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def conversion(step: int, previous: int) -> Decimal | None:
    """``step`` as a percentage of ``previous`` (one decimal), None when ``previous`` is 0.

    Steps are counted on their own, so a step can exceed another (Buy now skips the cart;
    someone who viewed last month pays today): the figure is then above 100, as counted.
    """
    if previous <= 0:
        return None
    return (Decimal(step * 100) / Decimal(previous)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


async def gather(uow: UnitOfWork, period: Period) -> ShopStats:
    start, end = period.start, period.end
    return ShopStats(
        period=period,
        totals=await uow.stats.totals(start, end),
        daily=await uow.stats.daily(start, end),
        funnel=await uow.stats.funnel(start, end),
        top=await uow.stats.top_products(start, end, TOP_PRODUCTS),
    )


def major_units(minor: int, currency: str) -> str:
    """``1998, "USD"`` -> ``19.98``; ``150, "XTR"`` -> ``150``: exact decimals, no float."""
    exponent = minor_unit_exponent(currency)
    value = Decimal(minor).scaleb(-exponent)
    return f"{value:.{exponent}f}"


def safe_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text (CSV injection: a leading ``=`` ``+`` ``-``
    ``@`` would make it a formula), by prefixing a quote."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_row(order: ExportOrder) -> list[str]:
    cur = order.currency
    items = "; ".join(f"{line.sku} × {line.quantity}" for line in order.lines)
    return [
        str(order.id),
        order.created_at.astimezone(UTC).isoformat(timespec="seconds"),
        safe_cell(order.status),
        str(order.user_id),
        safe_cell(items),
        major_units(order.subtotal_minor, cur),
        major_units(order.discount_minor, cur),
        major_units(order.shipping_minor, cur),
        major_units(order.total_minor, cur),
        major_units(order.refunded_minor, cur),
        safe_cell(cur),
        safe_cell(order.coupon),
        safe_cell(order.delivery),
        safe_cell(order.tracking),
    ]


@dataclass(frozen=True, slots=True)
class CsvChunk:
    data: bytes
    rows: int


async def csv_chunks(uow: UnitOfWork, period: Period) -> AsyncIterator[CsvChunk]:
    """The export as UTF-8 pieces (the header first, then one piece per batch of orders), so
    a caller can write a file of any size or stop at a limit without holding it all."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    rows = 0
    async for order in uow.stats.orders(period.start, period.end, EXPORT_BATCH):
        writer.writerow(csv_row(order))
        rows += 1
        if rows % EXPORT_BATCH == 0:
            yield CsvChunk(buffer.getvalue().encode("utf-8"), EXPORT_BATCH)
            buffer.seek(0)
            buffer.truncate()
    yield CsvChunk(buffer.getvalue().encode("utf-8"), rows % EXPORT_BATCH)


@dataclass(frozen=True, slots=True)
class CsvExport:
    data: bytes
    rows: int
    #: The export passed ``limit`` bytes and was stopped there (``data`` is then incomplete).
    too_large: bool = False


async def export_csv(uow: UnitOfWork, period: Period, limit: int | None = None) -> CsvExport:
    """The whole export in memory, for sending as a document; stopped once it passes
    ``limit`` (default ``UPLOAD_LIMIT``: Telegram would refuse the upload)."""
    limit = UPLOAD_LIMIT if limit is None else limit
    out = io.BytesIO()
    rows = 0
    async for chunk in csv_chunks(uow, period):
        out.write(chunk.data)
        rows += chunk.rows
        if out.tell() > limit:
            return CsvExport(b"", rows, too_large=True)
    return CsvExport(out.getvalue(), rows)
