"""Alerts the buyer controls: reading and changing a buyer's choices, and sorting the recipients
of a marketing message (send, held by quiet hours, turned off, capped).

``sort`` only looks (the merchant's reach figure, the drop's fan-out); ``admit`` is asked just
before a send and takes one from the buyer's daily count in the same transaction, with a
conditional write, so processes sending at once never pass the cap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.domain.alerts import (
    DEFAULT_CAP,
    DEFAULT_QUIET,
    AlertKind,
    AlertPrefs,
    Decision,
    Verdict,
    cap_for,
    decide,
    local_day,
    still_relevant,
    zone_for,
)
from bot.domain.flash_sales import FlashSale, SaleState
from bot.services.order_ports import Notice
from bot.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """The merchant's defaults: the daily cap (``MARKETING_PER_DAY``), the zone of buyers who
    chose none (``DEFAULT_TIMEZONE``) and the quiet hours of buyers who chose none."""

    cap: int = DEFAULT_CAP
    zone: str = "UTC"
    quiet: tuple[int, int] | None = DEFAULT_QUIET


@dataclass(frozen=True, slots=True)
class AlertView:
    """What the /alerts screen shows: the choices and what they amount to."""

    prefs: AlertPrefs
    zone: str
    cap: int
    quiet: tuple[int, int] | None
    merchant_cap: int


async def view(uow: UnitOfWork, user_id: int, policy: AlertPolicy) -> AlertView:
    found = (await uow.alerts.of([user_id])).get(user_id)
    prefs = found.prefs if found else AlertPrefs()
    zone = zone_for(prefs.zone, found.language if found else None, policy.zone)
    return AlertView(
        prefs,
        zone,
        cap_for(policy.cap, prefs.cap),
        prefs.quiet_hours(policy.quiet),
        policy.cap,
    )


async def toggle_kind(uow: UnitOfWork, user_id: int, kind: AlertKind) -> AlertPrefs:
    prefs = await _prefs(uow, user_id)
    changed = prefs.toggle_kind(kind)
    await uow.alerts.save(user_id, changed)
    return changed


async def turn_off(uow: UnitOfWork, user_id: int, kind: AlertKind) -> AlertPrefs:
    """ "Fewer like this": the kind off (and it stays off when pressed twice)."""
    prefs = await _prefs(uow, user_id)
    if kind not in prefs.kinds_off:
        prefs = prefs.toggle_kind(kind)
        await uow.alerts.save(user_id, prefs)
    return prefs


async def toggle_category(uow: UnitOfWork, user_id: int, category_id: int) -> AlertPrefs:
    prefs = (await _prefs(uow, user_id)).toggle_category(category_id)
    await uow.alerts.save(user_id, prefs)
    return prefs


async def set_cap(uow: UnitOfWork, user_id: int, cap: int, policy: AlertPolicy) -> int:
    """The buyer's own cap, never above the merchant's (what it is now)."""
    chosen = cap_for(policy.cap, cap)
    prefs = replace(await _prefs(uow, user_id), cap=chosen)
    await uow.alerts.save(user_id, prefs)
    return chosen


async def set_quiet(uow: UnitOfWork, user_id: int, quiet: tuple[int, int] | None) -> None:
    prefs = replace(await _prefs(uow, user_id), quiet=quiet, quiet_chosen=True)
    await uow.alerts.save(user_id, prefs)


async def set_zone(uow: UnitOfWork, user_id: int, zone: str) -> None:
    prefs = replace(await _prefs(uow, user_id), zone=zone)
    await uow.alerts.save(user_id, prefs)


async def _prefs(uow: UnitOfWork, user_id: int) -> AlertPrefs:
    found = (await uow.alerts.of([user_id])).get(user_id)
    return found.prefs if found else AlertPrefs()


# Sorting the recipients of one marketing message -----------------------------------------


async def sort(
    uow: UnitOfWork,
    chat_ids: list[int],
    kind: AlertKind,
    categories: frozenset[int],
    now: datetime,
    policy: AlertPolicy,
) -> dict[int, Decision]:
    """What each recipient's choices say now (a chat that is no buyer, a group or a channel,
    is always sent to)."""
    return (await _sort(uow, chat_ids, kind, categories, now, policy))[0]


async def _sort(
    uow: UnitOfWork,
    chat_ids: list[int],
    kind: AlertKind,
    categories: frozenset[int],
    now: datetime,
    policy: AlertPolicy,
) -> tuple[dict[int, Decision], dict[int, tuple[str, int]]]:
    """The decisions, and each buyer's (local day, cap)."""
    found = await uow.alerts.of(chat_ids)
    days: dict[int, str] = {}
    caps: dict[int, tuple[str, int]] = {}
    zones: dict[int, str] = {}
    for chat, buyer in found.items():
        zones[chat] = zone_for(buyer.prefs.zone, buyer.language, policy.zone)
        days[chat] = local_day(now, zones[chat]).isoformat()
        caps[chat] = (days[chat], cap_for(policy.cap, buyer.prefs.cap))
    counts = await uow.alerts.sent_on(days)
    decisions: dict[int, Decision] = {}
    for chat in chat_ids:
        known = found.get(chat)
        if known is None:
            decisions[chat] = Decision(Verdict.SEND)
            continue
        decisions[chat] = decide(
            known.prefs,
            kind,
            categories,
            now,
            zones[chat],
            counts.get(chat, 0),
            caps[chat][1],
            policy.quiet,
        )
    return decisions, caps


async def admit(
    uow: UnitOfWork,
    chat_ids: list[int],
    kind: AlertKind,
    categories: frozenset[int],
    now: datetime,
    policy: AlertPolicy,
) -> dict[int, Decision]:
    """``sort``, then each buyer let through takes one from their day's count (atomically):
    one who has none left is capped."""
    decisions, caps = await _sort(uow, chat_ids, kind, categories, now, policy)
    for chat, decision in decisions.items():
        if decision.verdict is Verdict.SEND and chat in caps:
            day, cap = caps[chat]
            if not await uow.alerts.take(chat, day, cap):
                decisions[chat] = Decision(Verdict.CAPPED)
    return decisions


@dataclass(frozen=True, slots=True)
class Reach:
    """A marketing message's audience sorted: reached now, held by quiet hours, opted out or
    capped."""

    total: int
    now: int
    held: int
    out: int


def tally(decisions: dict[int, Decision]) -> Reach:
    verdicts = [d.verdict for d in decisions.values()]
    return Reach(
        len(verdicts),
        verdicts.count(Verdict.SEND),
        verdicts.count(Verdict.HOLD),
        verdicts.count(Verdict.OFF) + verdicts.count(Verdict.CAPPED),
    )


# Marketing notices (flash-sale and restock alerts, through the outbox) ---------------------

#: The notices that are marketing, and the kind of alert each is; every other notice (a
#: receipt's backup, an order update, a reply) is never capped or held.
MARKETING_NOTICES: dict[str, AlertKind] = {
    "sale_soon": AlertKind.FLASH,
    "sale_live": AlertKind.FLASH,
    "sale_restock": AlertKind.RESTOCK,
}


async def gate_notice(
    uow: UnitOfWork, notice: Notice, now: datetime, policy: AlertPolicy
) -> Decision:
    """Whether a notice goes out now: anything but marketing does; a marketing notice as its
    buyer's choices say (its send taking one from their day's count), and one that waited for
    quiet hours only while its sale is still on (else it is turned away like one opted out)."""
    kind = MARKETING_NOTICES.get(notice.kind)
    if kind is None:
        return Decision(Verdict.SEND)
    sale_id = notice.params.get("sale")
    sale = await uow.sales.sale(sale_id) if isinstance(sale_id, int) else None
    if notice.held and not _still_on(notice, sale, now):
        return Decision(Verdict.OFF)
    categories: frozenset[int] = frozenset()
    if sale is not None:
        product = await uow.catalog.product(sale.product_id)
        if product is not None and product.category_id is not None:
            categories = frozenset({product.category_id})
    return (await admit(uow, [notice.chat_id], kind, categories, now, policy))[notice.chat_id]


def _still_on(notice: Notice, sale: FlashSale | None, now: datetime) -> bool:
    if sale is None:
        return False
    state = sale.state(now)
    if notice.kind == "sale_soon":
        ends: datetime = sale.starts_at  # "starts soon" is stale once it started
        on = state is SaleState.UPCOMING
    else:
        ends = sale.ends_at
        on = state is SaleState.LIVE and sale.left > 0
    return on and still_relevant(notice.created_at or now, now, ends)
