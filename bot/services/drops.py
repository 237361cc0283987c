"""Drops: composing one, previewing it to the merchant, and sending it to its audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.alerts import AlertKind, Verdict, still_relevant
from bot.domain.coupons import normalise_code
from bot.domain.drops import (
    Audience,
    AudienceKind,
    ButtonKind,
    DeliveryStatus,
    DropButton,
    DropContent,
    DropError,
    DropStatus,
    MediaKind,
)
from bot.services import alerts
from bot.services.alerts import AlertPolicy, Reach
from bot.services.drop_ports import Drop
from bot.services.ports import UnitOfWork


async def button(uow: UnitOfWork, spec: str) -> DropButton:
    """``buy:SKU``, ``sale:ID`` or ``coupon:CODE`` as a button (looked up now)."""
    kind, _, value = spec.partition(":")
    if kind == ButtonKind.BUY:
        variant_id = await uow.catalog.variant_by_sku(value)
        if variant_id is None:
            raise DropError(f"no variant with SKU {value}")
        return DropButton(ButtonKind.BUY, variant_id)
    if kind == ButtonKind.SALE:
        if not value.isdigit() or await uow.sales.sale(int(value)) is None:
            raise DropError(f"no flash sale #{value}")
        return DropButton(ButtonKind.SALE, int(value))
    if kind == ButtonKind.COUPON:
        code = normalise_code(value)
        coupon = await uow.coupons.by_code(code) if code else None
        if coupon is None:
            raise DropError(f"no coupon {value}")
        return DropButton(ButtonKind.COUPON, coupon.id)
    raise DropError("a button is buy:SKU, sale:ID or coupon:CODE")


async def compose(
    uow: UnitOfWork,
    text: str,
    media: MediaKind,
    source: str | None,
    buttons: list[str],
    audience: str,
    paid: bool,
    now: datetime,
) -> int:
    content = DropContent(text, media, source, tuple([await button(uow, b) for b in buttons]))
    return await uow.drops.create(content, Audience.parse(audience), paid, now)


@dataclass(frozen=True, slots=True)
class Started:
    drop_id: int
    recipients: int


async def send(
    uow: UnitOfWork,
    drop_id: int,
    per_day: int,
    now: datetime,
    policy: AlertPolicy | None = None,
) -> Started:
    """Fan the drop out to its audience and start it (the running bot sends it). With the
    shop's ``policy``, each buyer's alert choices sort the rows: opted out, held by quiet
    hours (until they end) or pending (the daily cap is taken when each is sent)."""
    drop = await uow.drops.get(drop_id)
    if drop is None:
        raise DropError(f"no drop #{drop_id}")
    if drop.status is not DropStatus.DRAFT:
        raise DropError(f"drop #{drop_id} is {drop.status.value}, not a draft")
    plan: dict[int, tuple[DeliveryStatus, datetime]] = {}
    if policy is not None and is_marketing(drop):
        chats = await uow.drops.recipients(drop.audience, now)
        decided = await alerts.sort(
            uow, chats, AlertKind.DROPS, await categories(uow, drop), now, policy
        )
        for chat, decision in decided.items():
            if decision.verdict is Verdict.OFF:
                plan[chat] = (DeliveryStatus.OPTED_OUT, now)
            elif decision.verdict is Verdict.HOLD and decision.until is not None:
                plan[chat] = (DeliveryStatus.HELD, decision.until)
    recipients = await uow.drops.fan_out(drop_id, drop.audience, per_day, now, plan)
    if recipients == 0:
        raise DropError("nobody is in this audience (the drop stays a draft)")
    await uow.drops.start(drop_id, now)
    return Started(drop_id, recipients)


async def recipients(uow: UnitOfWork, drop_id: int, now: datetime) -> int:
    """How many chats sending the drop now would reach (before the merchant confirms)."""
    drop = await uow.drops.get(drop_id)
    if drop is None:
        raise DropError(f"no drop #{drop_id}")
    return await uow.drops.audience_size(drop.audience, now)


async def reach(uow: UnitOfWork, drop_id: int, now: datetime, policy: AlertPolicy) -> Reach:
    """The drop's audience sorted by the buyers' alert choices (the confirmation's figures:
    reached now, held by quiet hours, opted out or capped)."""
    drop = await uow.drops.get(drop_id)
    if drop is None:
        raise DropError(f"no drop #{drop_id}")
    chats = await uow.drops.recipients(drop.audience, now)
    if not is_marketing(drop):
        return Reach(len(chats), len(chats), 0, 0)
    found = await categories(uow, drop)
    return alerts.tally(await alerts.sort(uow, chats, AlertKind.DROPS, found, now, policy))


def is_marketing(drop: Drop) -> bool:
    """A drop to buyers (not to chosen groups and channels, nor the admins' preview)."""
    return drop.audience.kind is not AudienceKind.CHATS


async def categories(uow: UnitOfWork, drop: Drop) -> frozenset[int]:
    """The catalog categories a drop is about: its Buy buttons' products' and, for an
    ``interest:`` audience, the categories named by id."""
    found: set[int] = set()
    for b in drop.content.buttons:
        if b.kind is ButtonKind.BUY:
            item = await uow.catalog.variant(b.target)
            if item is not None and item[1].category_id is not None:
                found.add(item[1].category_id)
    if drop.audience.kind is AudienceKind.INTEREST:
        found.update(int(v) for v in drop.audience.values if v.isdecimal())
    return frozenset(found)


async def ends_at(uow: UnitOfWork, drop: Drop) -> datetime | None:
    """When what the drop announces ends: the earliest end of its flash sales (None: never)."""
    ends = []
    for b in drop.content.buttons:
        if b.kind is ButtonKind.SALE:
            sale = await uow.sales.sale(b.target)
            if sale is not None:
                ends.append(sale.ends_at if sale.active else sale.starts_at)
    return min(ends, default=None)


async def release_held(uow: UnitOfWork, now: datetime) -> list[int]:
    """Rows held by quiet hours that have ended: pending again while the drop is still
    relevant (not cancelled, not older than a day, its flash sale still on), else skipped.
    The drops sending again (the drop sender resumes them)."""
    reopened = []
    for drop_id in await uow.drops.held_due(now):
        drop = await uow.drops.get(drop_id)
        if drop is None:
            continue
        live = drop.status in (DropStatus.SENDING, DropStatus.DONE)
        since = drop.started_at or drop.created_at
        relevant = live and still_relevant(since, now, await ends_at(uow, drop))
        released = await uow.drops.release_held(drop_id, now, relevant)
        if relevant and released and await uow.drops.reopen(drop_id):
            reopened.append(drop_id)
    return reopened


async def preview(uow: UnitOfWork, drop_id: int, admins: tuple[int, ...], now: datetime) -> int:
    """The same drop, to the shop's admins only (a new drop, sent at once)."""
    drop = await uow.drops.get(drop_id)
    if drop is None:
        raise DropError(f"no drop #{drop_id}")
    if not admins:
        raise DropError("set ADMIN_IDS to preview drops")
    audience = Audience(AudienceKind.CHATS, tuple(str(a) for a in admins))
    copy = await uow.drops.create(drop.content, audience, False, now)
    await uow.drops.fan_out(copy, audience, 0, now)
    await uow.drops.start(copy, now)
    return copy
