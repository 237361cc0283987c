"""Console section: coupons. The list with their use counts, and disabling after a
confirmation; storing a new coupon, however it was made. A new coupon is made by a guided
conversation (``coupon_wizard``) or in one line (``coupon_command``); its one-time codes are
``coupon_codes``'s. The terms are checked by ``bot.services.coupon_terms``, as the
``storefront coupons`` command's are; the coupon is the same row a buyer redeems.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.catalog_text import configured_currency
from bot.conversation.screens.admin.registry import admin_cb, menu_item, state, verb
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.coupons import Coupon, CouponKind
from bot.domain.money import Money
from bot.domain.staff import Permission, Role
from bot.services import merchant_catalog

P = Permission.COUPONS
#: How many coupons (and used codes) a list shows.
SHOWN = 20

menu_item(20, "ac.cp.menu", "cp_list", P)


async def shop_currency(turn: Turn) -> str:
    return await merchant_catalog.shop_currency(turn.uow, configured_currency(turn))


def terms(coupon: Coupon, t: Callable[..., str], money: Callable[[Money], str]) -> list[str]:
    """What the coupon gives and its conditions, worded with ``t`` and ``money`` (the chat's
    texts, or the dashboard's)."""
    if coupon.kind is CouponKind.PERCENT:
        value = t("ac.cp.value_percent", n=coupon.percent)
    elif coupon.kind is CouponKind.FIXED and coupon.amount is not None:
        value = t("ac.cp.value_fixed", amount=money(coupon.amount))
    else:
        value = t("ac.cp.value_freeship")
    parts = [value]
    if coupon.min_subtotal is not None:
        parts.append(t("ac.cp.term_min", amount=money(coupon.min_subtotal)))
    if coupon.per_buyer_limit is not None:
        parts.append(t("ac.cp.term_per", n=coupon.per_buyer_limit))
    if coupon.expires_at is not None:
        parts.append(t("ac.cp.term_until", when=f"{coupon.expires_at:%Y-%m-%d %H:%M} UTC"))
    return parts


def describe(turn: Turn, coupon: Coupon) -> str:
    tx = turn.tx
    parts = terms(coupon, tx.t, tx.money)
    if coupon.public:
        parts.append(tx.t("ac.cp.term_public"))
    return " · ".join(parts)


@verb("cp_list", P)
async def list_coupons(turn: Turn, role: Role, _: int, __: int) -> None:
    turn.answer()
    text, keyboard = await listing(turn)
    turn.show(text, keyboard)


async def listing(turn: Turn) -> tuple[str, Keyboard]:
    tx = turn.tx
    everything = await turn.uow.coupons.all()
    # Personal reward coupons (one per invite) would bury the shop's own: counted, not listed.
    personal = sum(1 for s in everything if s.coupon.owner_id is not None)
    stats = sorted(
        (s for s in everything if s.coupon.owner_id is None),
        key=lambda s: (not s.coupon.active, -s.coupon.id),
    )
    lines = [tx.t("ac.cp.list", n=len(stats))]
    rows: list[tuple[Button, ...]] = [(Button(tx.label("ac.cp.btn_new"), admin_cb("cp_new")),)]
    for entry in stats[:SHOWN]:
        c = entry.coupon
        limit = str(c.usage_limit) if c.usage_limit is not None else "∞"
        key = "ac.cp.line_on" if c.active else "ac.cp.line_off"
        lines.append(
            tx.t(key, code=c.code, terms=Raw(describe(turn, c)), used=entry.used, limit=limit)
        )
        if entry.codes:
            lines.append(tx.plural("ac.cp.codes_count", entry.codes, used=entry.codes_used))
        row = [Button(tx.label("ac.cp.btn_codes", code=c.code), admin_cb("cp_codes", c.id))]
        if c.active:
            row.append(
                Button(tx.label("ac.cp.btn_disable", code=c.code), admin_cb("cp_off", c.id))
            )
        if c.active or entry.codes:
            rows.append(tuple(row))
    if len(stats) > SHOWN:
        lines.append(tx.plural("ac.cp.more", len(stats) - SHOWN))
    if personal:
        lines.append(tx.plural("ac.cp.personal", personal))
    rows.append((Button(tx.label("admin.btn_menu"), admin_cb("menu")),))
    return "\n".join(lines), tuple(rows)


@verb("cp_off", P)
async def ask_disable(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await turn.uow.coupons.by_id(coupon_id) if coupon_id else None
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    turn.show(*confirm_disable(turn, coupon))


def confirm_disable(turn: Turn, coupon: Coupon) -> tuple[str, Keyboard]:
    keyboard = (
        (
            Button(turn.tx.label("ac.cp.btn_yes_disable"), admin_cb("cp_offy", coupon.id)),
            Button(turn.tx.label("ac.pr.btn_no"), admin_cb("cp_list")),
        ),
    )
    return turn.tx.t("ac.cp.confirm_disable", code=coupon.code), keyboard


@verb("cp_offy", P)
async def disable_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await turn.uow.coupons.by_id(coupon_id) if coupon_id else None
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    await _disable(turn, role, coupon)
    turn.answer(turn.tx.t("ac.cp.disabled", code=coupon.code))
    text, keyboard = await listing(turn)
    turn.show(text, keyboard)


async def _disable(turn: Turn, role: Role, coupon: Coupon) -> None:
    if coupon.active:  # a second Yes changes nothing
        await turn.uow.coupons.set_active(coupon.code, False)
        await access.audit(turn, role, "coupon.disable", f"coupon:{coupon.code}")


async def go(turn: Turn, name: str, data: dict[str, int | str]) -> None:
    """Move the person to the console step ``name``, carrying ``data``."""
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


async def store(turn: Turn, role: Role, coupon: Coupon) -> None:
    """Save a new coupon (made step by step or in one line), audit it and show its link."""
    if await turn.uow.coupons.by_code(coupon.code) is not None:
        turn.say(turn.tx.t("ac.cp.exists", code=coupon.code))
        return
    coupon_id = await turn.uow.coupons.create(coupon, turn.now)
    await access.audit(
        turn,
        role,
        "coupon.create",
        f"coupon:{coupon.code}",
        id=coupon_id,
        kind=coupon.kind.value,
        percent=coupon.percent or None,
        amount=coupon.amount.major_str() if coupon.amount else None,
        min=coupon.min_subtotal.major_str() if coupon.min_subtotal else None,
        limit=coupon.usage_limit,
        per=coupon.per_buyer_limit,
        expires=coupon.expires_at.isoformat() if coupon.expires_at else None,
        public=coupon.public or None,
    )
    limit = str(coupon.usage_limit) if coupon.usage_limit is not None else "∞"
    link = turn.deep_link(f"c_{coupon.code}") or f"/coupon {coupon.code}"
    keyboard = ((Button(turn.tx.label("ac.cp.btn_list"), admin_cb("cp_list")),),)
    turn.say(
        turn.tx.t(
            "ac.cp.created",
            code=coupon.code,
            terms=Raw(describe(turn, coupon)),
            limit=limit,
            link=link,
        ),
        keyboard,
    )
