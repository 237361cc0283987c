"""Ports of the shop's figures: revenue, the buyers' funnel, top products and the order export.

Every query takes a half-open period ``[start, end)`` of timezone-aware UTC instants. Amounts
stay in minor units and per currency: a shop selling in USD and in Telegram Stars has two
revenues, never one sum.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    """Orders paid in the period in one currency (``paid_at`` in the period, captured)."""

    currency: str
    paid_orders: int
    #: What the buyers paid for those orders, in minor units.
    gross_minor: int
    #: What has been given back on those orders so far (refunds sent).
    refunded_minor: int

    @property
    def net_minor(self) -> int:
        return self.gross_minor - self.refunded_minor


@dataclass(frozen=True, slots=True)
class DaySales:
    """One UTC day's paid orders in one currency: their count and net revenue."""

    day: date
    currency: str
    orders: int
    net_minor: int


@dataclass(frozen=True, slots=True)
class FunnelCounts:
    """Distinct people at each step in the period (each step counted on its own)."""

    #: Opened a product's teaser card (interaction ``view``).
    viewed: int
    #: Put a product in the cart (interaction ``add``).
    added: int
    #: Were sent an invoice: an order was created for them (any status).
    checkout: int
    #: Paid an order (``paid_at`` in the period).
    paid: int


@dataclass(frozen=True, slots=True)
class ProductSales:
    product_id: int
    name: str
    currency: str
    units: int
    #: Sum of the lines at the prices charged (before order-level discounts).
    revenue_minor: int


@dataclass(frozen=True, slots=True)
class ExportLine:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ExportOrder:
    """One order as the CSV export writes it (amounts in minor units of ``currency``)."""

    id: int
    created_at: datetime
    status: str
    user_id: int
    lines: tuple[ExportLine, ...]
    subtotal_minor: int
    discount_minor: int
    #: Shipping charged (the shipping price less any shipping discount).
    shipping_minor: int
    total_minor: int
    refunded_minor: int
    currency: str
    coupon: str
    delivery: str
    tracking: str


class StatsRepository(Protocol):
    async def totals(self, start: datetime, end: datetime) -> list[CurrencyTotals]:
        """Per currency, orders paid in the period (authorised-only card holds excluded)."""
        ...

    async def daily(self, start: datetime, end: datetime) -> list[DaySales]:
        """Per UTC day and currency, the paid orders' count and net revenue (days with none
        are left out)."""
        ...

    async def funnel(self, start: datetime, end: datetime) -> FunnelCounts: ...

    async def top_products(self, start: datetime, end: datetime, limit: int) -> list[ProductSales]:
        """Per currency, the ``limit`` products with the most revenue on orders paid in the
        period (ties: more units first)."""
        ...

    def orders(self, start: datetime, end: datetime, batch: int) -> AsyncIterator[ExportOrder]:
        """Every order created in the period, oldest first, read ``batch`` orders at a time."""
        ...
