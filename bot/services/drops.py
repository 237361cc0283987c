"""Drops: composing one, previewing it to the merchant, and sending it to its audience."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.coupons import normalise_code
from bot.domain.drops import (
    Audience,
    AudienceKind,
    ButtonKind,
    DropButton,
    DropContent,
    DropError,
    DropStatus,
    MediaKind,
)
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


async def send(uow: UnitOfWork, drop_id: int, per_day: int, now: datetime) -> Started:
    """Fan the drop out to its audience and start it (the running bot sends it)."""
    drop = await uow.drops.get(drop_id)
    if drop is None:
        raise DropError(f"no drop #{drop_id}")
    if drop.status is not DropStatus.DRAFT:
        raise DropError(f"drop #{drop_id} is {drop.status.value}, not a draft")
    recipients = await uow.drops.fan_out(drop_id, drop.audience, per_day, now)
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
