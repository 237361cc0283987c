"""Every button carries only the authority the shop gave (issue "Every button and code is the
buyer's own"), end to end on aiogram and on python-telegram-bot.

A table with a row for **every** callback action of the buyer side (``Action``) and for every
verb the merchant console registers: each row forges that button's arguments — another
person's object, an id that names nothing, 2^31 and 2^63, garbage, a coupon never given to
the presser, a console button pressed by a buyer or by staff whose role lacks it — and presses
them. For each press: the presser gets a polite answer (an ``answerCallbackQuery`` text, never
the apology for an error), nobody else hears anything, and the database is the same after
the row as before it (every table, row by row). No ERROR is logged anywhere. A new action or
verb without a row here fails ``test_every_action_and_console_verb_has_a_row``.

One shop per framework serves the whole table (the world below is built once).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

import storage.tables  # noqa: F401  (every table is registered on SQLModel.metadata)
from bot.conversation.callbacks import Action
from bot.conversation.screens.admin import registry
from bot.domain.coupons import Coupon, CouponKind
from bot.domain.drops import MediaKind
from bot.domain.group_buys import GroupDeal
from bot.domain.money import Money
from bot.domain.staff import Role
from bot.domain.support import Topic
from bot.services import (
    browsing,
    carts,
    creators,
    drops,
    flash_sales,
    group_buys,
    orders,
    support,
)
from bot.services.support_ports import SupportMessage
from bot.standin import SimChat
from storage.order_tables import OrderRow
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    ShopClock,
    archive_product,
    only,
    start_shop,
    stop_shop,
)
from tests.group_helpers import paid_team

VIC, MAL, STAFF = 7101, 7102, 7103
#: An id no row has (the shop's rows are few), and ids beyond any key.
NONE = 999_999
BIG = (2**31, 2**63)
#: What the apology for an error says (error.generic): a forged press must never get it.
APOLOGY = "went wrong on our side"
#: The answers a refused console press gets.
REFUSED = "only for the shop's staff"
NOT_YOUR_ROLE = "Your role can't do that"
NOT_GIVEN = "This coupon isn't available to you."
CODES = ("STAFF50", "OLDCODE", "OFFCODE", "FRIEND-VIC1", "DROP10")


@dataclass
class World:
    """What the forged presses name: the victim's objects and the shop's."""

    vic_line: int = 0
    vic_order: int = 0
    vic_search: int = 0
    vic_team: int = 0
    vic_claim: int = 0
    vic_invite: int = 0
    vic_drop_button: str = ""
    full_team: int = 0
    seat_order: int = 0
    sale: int = 0
    future_sale: int = 0
    product: int = 0  # the tripod: one variant, in stock
    konjac: int = 0
    archived: int = 0
    archived_variant: int = 0
    sold_out_variant: int = 0
    plain_variant: int = 0  # no group deal
    category: int = 0
    coupons: dict[str, int] = field(default_factory=dict)
    draft: int = 0
    vic_thread: int = 0


@dataclass(frozen=True)
class Press:
    who: int
    data: str
    #: A phrase the answer must contain (None: any polite text).
    expect: str | None = None


Rows = Callable[[World], list[Press]]


def _bad(head: str, *rest: str) -> list[str]:
    """Ids beyond any key and garbage in the first id's place: the codec refuses them."""
    tail = "".join(f":{r}" for r in rest)
    return [f"{head}:{n}{tail}" for n in BIG] + [f"{head}:x1{tail}", f"{head}:-1{tail}"]


def _ids(head: str, *names: int, rest: tuple[str, ...] = (), expect: str | None = None) -> Rows:
    """Presses by Mal of ``head:<id>[:rest]`` for each id named (from the world) and the
    forged ones."""

    def rows(w: World) -> list[Press]:
        tail = "".join(f":{r}" for r in rest)
        named = [Press(MAL, f"{head}:{n}{tail}", expect) for n in (*names, NONE)]
        return named + [Press(MAL, d) for d in _bad(head, *rest)]

    return rows


def _noargs(head: str) -> Rows:
    """An action without arguments: the same button with arguments added, and garbage."""
    return lambda w: [Press(MAL, f"{head}:1"), Press(MAL, f"{head}:x:y"), Press(MAL, head + "!")]


def _of(build: Callable[[World], list[tuple[str, str | None]]]) -> Rows:
    return lambda w: [Press(MAL, data, expect) for data, expect in build(w)]


GONE = "no longer available"
NOT_FOUND_ORDER = "not in your list"
NOT_YOURS = "not yours"
NOT_STAFF = "Only the shop's staff"

BUYER: dict[Action, Rows] = {
    Action.NAV: _of(
        lambda w: [
            (f"nv:s:{w.vic_search}:0", None),  # Vic's search words are Vic's
            (f"nv:c:{NONE}:0", None),
            (f"nv:p:{w.archived}:0", None),
            (f"nv:m:{w.archived}:0", None),
            ("nv:q:1:0", None),
            *((d, None) for d in _bad("nv:c", "0")),
        ]
    ),
    Action.ADD: _of(
        lambda w: [
            (f"ad:{w.archived}:p:{w.archived}:0", GONE),
            (f"ad:{NONE}:c:{w.category}:0", GONE),
            *((d, None) for d in _bad("ad", "c", "1", "0")),
        ]
    ),
    Action.ADD_VARIANT: _of(
        lambda w: [
            (f"av:{w.archived_variant}:p:{w.archived}:0", None),
            (f"av:{w.sold_out_variant}:p:1:0", "sold out"),
            (f"av:{NONE}:p:1:0", GONE),
            *((d, None) for d in _bad("av", "p", "1", "0")),
        ]
    ),
    Action.BUY: _of(
        lambda w: [
            (f"bn:{w.archived}:p:{w.archived}:0", GONE),
            (f"bn:{NONE}:c:1:0", GONE),
            *((d, None) for d in _bad("bn", "c", "1", "0")),
        ]
    ),
    Action.BUY_VARIANT: _of(
        lambda w: [
            (f"bv:{w.archived_variant}:p:0:0", GONE),
            (f"bv:{NONE}:p:0:0", GONE),
            *((d, None) for d in _bad("bv", "p", "0", "0")),
        ]
    ),
    Action.MORE: lambda w: _ids("ml", w.archived, expect=GONE)(w),
    Action.CATEGORIES: _noargs("ct"),
    Action.CATEGORY: _ids("cg"),
    Action.CART: _noargs("ca"),
    Action.INC: lambda w: _ids("ci", w.vic_line)(w),
    Action.DEC: lambda w: _ids("cd", w.vic_line)(w),
    Action.REMOVE: lambda w: _ids("cr", w.vic_line)(w),
    Action.QUANTITY: lambda w: _ids("cq", w.vic_line)(w),
    Action.CHECKOUT: lambda w: [Press(MAL, "co", "empty"), *_noargs("co")(w)],
    Action.CLEAR: _noargs("cc"),
    Action.CLEAR_YES: _noargs("cy"),
    Action.LANG: lambda w: [Press(MAL, d) for d in ("lg:fr", "lg:EN", "lg:e", "lg:en:1")],
    Action.NOOP: _noargs("no"),
    Action.DELIVERY: lambda w: [
        Press(MAL, f"dv:ship:{w.archived_variant}", GONE),
        Press(MAL, f"dv:pickup:{NONE}", GONE),
        Press(MAL, "dv:fly:1"),
        *(Press(MAL, f"dv:ship:{n}") for n in BIG),
        Press(MAL, "dv:ship:x"),
    ],
    Action.COUPON_ASK: lambda w: _ids("cp", w.archived_variant)(w),
    Action.COUPON_APPLY: lambda w: [
        *(Press(MAL, f"ck:{w.coupons[c]}", NOT_GIVEN) for c in CODES),
        Press(MAL, f"ck:{NONE}", NOT_GIVEN),
        Press(MAL, w.vic_drop_button),  # Vic's button, signed for Vic's chat
        *(Press(MAL, d) for d in _bad("ck")),
    ],
    Action.COUPON_REMOVE: lambda w: _ids("cx", w.archived_variant)(w),
    Action.ORDERS: _noargs("ol"),
    Action.ORDER: lambda w: _ids("od", w.vic_order, expect=NOT_FOUND_ORDER)(w),
    Action.ORDER_CANCEL: lambda w: _ids("oc", w.vic_order, expect=NOT_FOUND_ORDER)(w),
    Action.ORDER_CANCEL_YES: lambda w: _ids("oy", w.vic_order, expect=NOT_FOUND_ORDER)(w),
    Action.ORDER_RETURN: lambda w: _ids("or", w.vic_order, expect=NOT_FOUND_ORDER)(w),
    Action.PAY_AGAIN: lambda w: _ids("pa", w.archived_variant)(w),
    Action.PAY_CASH: lambda w: _ids("pk", w.vic_order, expect="can't be reserved for pickup")(w),
    # Every step of cash on delivery names the victim's order (or none): refused, never filled.
    Action.COD: lambda w: (
        [
            press
            for verb in ("go", "on", "new", "m", "ok")
            for press in _ids(
                f"cv:{verb}", w.vic_order, rest=("0",), expect="can't be paid on delivery"
            )(w)
        ]
        + [Press(MAL, f"cv:zz:{w.vic_order}:0"), Press(MAL, f"cv:go:{w.vic_order}")]
    ),
    Action.GROUP_START: lambda w: _ids("gs", w.plain_variant, w.archived_variant)(w),
    Action.GROUP_JOIN: lambda w: _ids("gj", w.full_team)(w),
    Action.GROUP_QR: _ids("gq"),
    Action.GROUP_DELIVERY: lambda w: [
        *(Press(MAL, f"gd:pickup:{t}") for t in (w.full_team, NONE)),
        *(Press(MAL, d) for d in _bad("gd:ship")),
    ],
    Action.GROUP_PICKUPS: lambda w: _ids("gp", w.vic_team, w.full_team)(w),
    Action.GROUP_COLLECTED: lambda w: _ids("gc", w.seat_order, w.vic_order)(w),
    Action.FLASH_CLAIM: lambda w: _ids("fs", w.future_sale)(w),
    Action.FLASH_WATCH: _ids("fw"),
    Action.FLASH_RESTOCK: _ids("fr"),
    Action.FLASH_DELIVERY: lambda w: [
        *(Press(MAL, f"fd:ship:{c}") for c in (w.vic_claim, NONE)),
        *(Press(MAL, d) for d in _bad("fd:pickup")),
    ],
    Action.CREATOR_ACCEPT: lambda w: _ids("ka", w.vic_invite)(w),
    Action.CREATOR_POST: lambda w: _ids("kp", 0, w.product)(w),
    Action.CREATOR_CHART: lambda w: [Press(MAL, "kc"), *_noargs("kc")(w)],
    Action.CREATOR_PAYOUT: lambda w: [Press(MAL, "ko"), *_noargs("ko")(w)],
    Action.REVIEW_RATE: lambda w: [
        Press(MAL, f"rr:{w.vic_order}:{w.konjac}:5", "Only buyers"),
        Press(MAL, f"rr:{NONE}:{w.konjac}:1", "Only buyers"),
        Press(MAL, f"rr:{w.vic_order}:{w.konjac}:9"),
        *(Press(MAL, d) for d in _bad("rr", str(w.konjac), "5")),
    ],
    Action.ADMIN: lambda w: [
        Press(ADMIN_ID, "za:nosuchverb:0:0"),
        Press(ADMIN_ID, "za:or_view:1"),
        Press(ADMIN_ID, "za:OR_VIEW:1:0"),
        Press(MAL, "za:menu:0:0", REFUSED),
    ],
    Action.REC_OPEN: lambda w: _ids("ro", w.archived, expect=GONE)(w),
    # Erasing is only through the button the bot signed for the presser's own chat, lately.
    Action.ERASE_YES: lambda w: _ids("dy", 29_000_000, expect="expired")(w),
    Action.ERASE_NO: _noargs("dn"),
    # --- talking to the shop: another buyer's thread or order, a product gone, not staff ---
    Action.SUPPORT_PRODUCT: lambda w: _ids("sp", w.archived, expect="no longer in the shop")(w),
    Action.SUPPORT_ORDER: lambda w: _ids("so", w.vic_order, expect=NOT_FOUND_ORDER)(w),
    Action.SUPPORT_WRITE: lambda w: _ids("sw", w.vic_thread, expect=NOT_YOURS)(w),
    Action.SUPPORT_REPLY: lambda w: _ids("sr", w.vic_thread, expect=NOT_STAFF)(w),
    Action.SUPPORT_CLOSE: lambda w: _ids("sx", w.vic_thread, expect=NOT_STAFF)(w),
    # The presser's own alert settings: values the screen never offers change nothing.
    Action.ALERTS: lambda w: [
        *(
            Press(MAL, f"al:{verb}:{n}", "out of date")
            for verb, n in (("k", 99), ("ko", 5), ("c", NONE), ("n", 99), ("q", 9), ("zs", 99))
        ),
        Press(MAL, "al:nosuch:0", "out of date"),
        *(Press(MAL, d) for d in ("al:k:x1", "al:K:1", f"al:c:{2**31}", "al:k")),
    ],
}


def _verb(
    name: str,
    *ids: Callable[[World], tuple[int, int]],
    staff: bool = True,
) -> Rows:
    """A console verb: a buyer pressing it (refused), staff pressing it when their role lacks
    it (``staff=False``: refused), the owner pressing it with ids that name nothing, and the
    codec's refusals (2^31, 2^63, garbage)."""

    def rows(w: World) -> list[Press]:
        real = ids[0](w) if ids else (0, 0)
        presses = [Press(MAL, f"za:{name}:{real[0]}:{real[1]}", REFUSED)]
        if not staff:
            presses.append(Press(STAFF, f"za:{name}:{real[0]}:{real[1]}", NOT_YOUR_ROLE))
        for forged in ids[1:]:
            first, second = forged(w)
            presses.append(Press(ADMIN_ID, f"za:{name}:{first}:{second}"))
        presses += [Press(ADMIN_ID, f"za:{name}:{n}:0") for n in BIG]
        presses += [Press(ADMIN_ID, f"za:{name}:x:0"), Press(ADMIN_ID, f"za:{name}:1:-1")]
        return presses

    return rows


def _none(_: World) -> tuple[int, int]:
    return (NONE, NONE)


def _zero(_: World) -> tuple[int, int]:
    return (0, 0)


#: The console's verbs. Ids: (what a buyer forges, then what the owner forges).
CONSOLE: dict[str, Rows] = {
    "menu": _verb("menu"),
    # coupons
    "cp_list": _verb("cp_list"),
    "cp_off": _verb("cp_off", lambda w: (w.coupons["STAFF50"], 0), _none, _zero),
    "cp_offy": _verb("cp_offy", lambda w: (w.coupons["STAFF50"], 0), _none, _zero),
    "cp_new": _verb("cp_new"),
    "cp_kind": _verb("cp_kind", lambda w: (1, 0), lambda w: (1, 0), _none),
    "cp_skip": _verb("cp_skip", _zero, _zero, _none),
    "cp_make": _verb("cp_make", _zero, _zero),
    "cp_stop": _verb("cp_stop", _zero, _zero),
    "cp_codes": _verb("cp_codes", lambda w: (w.coupons["STAFF50"], 0), _none),
    "cp_csv": _verb("cp_csv", lambda w: (w.coupons["STAFF50"], 0), _none),
    "cp_mkc": _verb("cp_mkc", lambda w: (w.coupons["STAFF50"], 0), _none),
    "cp_cstop": _verb("cp_cstop", _zero, _zero),
    # drops
    "dr_new": _verb("dr_new"),
    "dr_btn": _verb("dr_btn", _zero, _none),
    "dr_sale": _verb("dr_sale", lambda w: (w.sale, 0), lambda w: (w.sale, 0), _none),
    "dr_buy": _verb("dr_buy", lambda w: (w.konjac, 0), lambda w: (w.konjac, 0), _none),
    "dr_aud": _verb("dr_aud", _zero, _zero, _none),
    "dr_list": _verb("dr_list"),
    "dr_open": _verb("dr_open", lambda w: (w.draft, 0), _none),
    "dr_prev": _verb("dr_prev", lambda w: (w.draft, 0), _none),
    "dr_send": _verb("dr_send", lambda w: (w.draft, 0), _none),
    "dr_sendy": _verb("dr_sendy", lambda w: (w.draft, 0), _none),
    "dr_stop": _verb("dr_stop", lambda w: (w.draft, 0), _none, lambda w: (w.draft, 0)),
    "dr_stopy": _verb("dr_stopy", lambda w: (w.draft, 0), _none, lambda w: (w.draft, 0)),
    # orders and refunds
    "or_list": _verb("or_list", _zero),
    "or_view": _verb("or_view", lambda w: (w.vic_order, 0), _none),
    "or_ship": _verb("or_ship", lambda w: (w.vic_order, 0), _none),
    "or_cash": _verb("or_cash", lambda w: (w.vic_order, 0), _none, lambda w: (w.vic_order, 0)),
    "or_notrack": _verb("or_notrack", lambda w: (w.vic_order, 0), _none),
    "or_shipy": _verb("or_shipy", lambda w: (w.vic_order, 0), _none, lambda w: (w.vic_order, 0)),
    "or_ref": _verb("or_ref", lambda w: (w.vic_order, 0), _none, staff=False),
    "or_refa": _verb("or_refa", lambda w: (w.vic_order, 0), _none, staff=False),
    "or_refp": _verb("or_refp", lambda w: (w.vic_order, 0), _none, staff=False),
    # An unsigned confirmation, whatever it names, is not one the bot offered.
    "or_refy": _verb(
        "or_refy",
        lambda w: (w.vic_order, 100),
        lambda w: (w.vic_order, 100),
        lambda w: (w.vic_order, 2**31 - 1),
        _none,
        staff=False,
    ),
    "or_decl": _verb("or_decl", lambda w: (w.vic_order, 0), _none, lambda w: (w.vic_order, 0)),
    "or_decly": _verb(
        "or_decly", lambda w: (w.vic_order, 0), _none, lambda w: (w.vic_order, 0), staff=False
    ),
    # products
    "pd_list": _verb("pd_list", _zero),
    "pd_open": _verb("pd_open", lambda w: (w.product, 0), _none, _zero),
    "pd_price": _verb("pd_price", lambda w: (w.product, 0), _none, lambda w: (w.product, NONE)),
    "pd_stock": _verb("pd_stock", lambda w: (w.product, 0), _none, lambda w: (w.product, NONE)),
    "pd_media": _verb("pd_media", lambda w: (w.product, 0), _none, _zero),
    "pd_stop": _verb("pd_stop"),
    "pd_arch": _verb("pd_arch", lambda w: (w.product, 0), _none),
    "pd_archy": _verb("pd_archy", lambda w: (w.product, 0), _none, _zero),
    "np_cat": _verb("np_cat", lambda w: (w.category, 0), lambda w: (w.category, 0), _none),
    "np_skip": _verb("np_skip", _zero, _zero),
    "np_pub": _verb("np_pub", _zero, _none),
    "np_cancel": _verb("np_cancel"),
    # flash sales
    "fs_list": _verb("fs_list"),
    "fs_stop": _verb("fs_stop", lambda w: (w.sale, 0), _none),
    "fs_stopy": _verb("fs_stopy", lambda w: (w.sale, 0), _none),
    "fs_new": _verb("fs_new"),
    "fs_var": _verb("fs_var", lambda w: (w.plain_variant, 0), lambda w: (w.plain_variant, 0)),
    "fs_limit": _verb("fs_limit", lambda w: (1, 0), lambda w: (1, 0), _none),
    "fs_start": _verb("fs_start", _zero, _zero, _none),
    "fs_length": _verb("fs_length", lambda w: (30, 0), lambda w: (30, 0), _none),
    "fs_ok": _verb("fs_ok", _zero, _zero),
    # stats and the team
    "st": _verb("st"),
    "st_p": _verb("st_p", lambda w: (7, 0), _none),
    "st_csv": _verb("st_csv", lambda w: (1, 1), _none, lambda w: (2**31 - 1, 0)),
    "tm_list": _verb("tm_list", staff=False),
    "tm_audit": _verb("tm_audit", _zero, staff=False),
    # buyers' questions
    "su_list": _verb("su_list"),
    "su_view": _verb("su_view", lambda w: (w.vic_thread, 0), _none),
}


def test_every_action_and_console_verb_has_a_row() -> None:
    """A button added without a row in the table above fails here."""
    assert set(Action) == set(BUYER), set(Action) ^ set(BUYER)
    verbs = set(registry.VERBS) | {"menu"}
    assert verbs == set(CONSOLE), verbs ^ set(CONSOLE)


# --- the world ---------------------------------------------------------------------------


async def _sku(shop: RunningShop, sku: str) -> tuple[int, int]:
    async with shop.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku(sku)
        assert variant_id is not None
        found = await uow.catalog.variant(variant_id)
        assert found is not None
    return variant_id, found[1].id


async def _last(chat: SimChat) -> dict[str, Any]:
    message = chat.last_message()
    assert message is not None
    return message


async def _vic_buys_and_gets_konjac(shop: RunningShop, vic: SimChat, konjac: int) -> int:
    await shop.send(vic, f"/start p_{konjac}")
    await shop.press(vic, await _last(vic), "⚡ Buy now")
    asked = await _last(vic)
    if "invoice" not in asked:
        await shop.press(vic, asked, "🏬 Pick up at Storefront Studio")
    invoice = await _last(vic)
    assert "invoice" in invoice, invoice
    await shop.pay(vic, invoice, order_info={"name": "Vic"})
    async with shop.uows.engine.connect() as conn:
        order_id = int(
            await conn.scalar(
                select(OrderRow.id).where(OrderRow.user_id == VIC)  # type: ignore[arg-type]
            )
        )
    async with shop.uows() as uow:
        assert (await orders.mark_delivered(uow, order_id, shop.now())).refused is None
        await uow.commit()
    shop.worker.kick()
    await shop.settle()
    return order_id


async def _world(shop: RunningShop) -> World:
    w = World()
    now = shop.now()
    vic = shop.standin.private_chat(VIC, "Vic")
    await shop.send(vic, "/start")
    konjac_variant, w.konjac = await _sku(shop, "KJ-10")
    w.plain_variant, w.product = await _sku(shop, "PT-1")
    w.archived_variant, w.archived = await _sku(shop, "DM-250")
    w.sold_out_variant, _ = await _sku(shop, "AR-44")
    w.vic_order = await _vic_buys_and_gets_konjac(shop, vic, w.konjac)
    async with shop.uows() as uow:
        w.category = (await uow.catalog.categories())[0].category.id
        await carts.add_to_cart(uow, VIC, w.plain_variant, now)
        [(w.vic_line, _)] = await uow.carts.lines(VIC)
        w.vic_search = await browsing.start_search(uow, VIC, "tripod", now)
        await uow.groups.set_deal(
            GroupDeal(konjac_variant, Money(349, "USD"), 3, timedelta(hours=24), None, 10)
        )
        opened = await group_buys.open_team(uow, VIC, konjac_variant, now)
        assert opened.team is not None
        w.vic_team = opened.team.id
        sale = await flash_sales.schedule(
            uow, konjac_variant, Money(299, "USD"), 5, 1, now, now + timedelta(hours=1), now
        )
        w.sale = sale.id
        later = now + timedelta(days=1)
        future = await flash_sales.schedule(
            uow, konjac_variant, Money(299, "USD"), 5, 1, later, later + timedelta(hours=1), now
        )
        w.future_sale = future.id
        claim = await flash_sales.claim(uow, sale.id, VIC, now, timedelta(minutes=10))
        assert claim.claim_id is not None
        w.vic_claim = claim.claim_id
        token = await creators.invite(uow, 10, now)
        opened_invite = await creators.open_invite(uow, token, VIC, now)
        assert not isinstance(opened_invite, creators.InviteRefusal)
        w.vic_invite = opened_invite.id
        for coupon in (
            Coupon(0, "STAFF50", CouponKind.PERCENT, percent=50),
            Coupon(0, "OLDCODE", CouponKind.PERCENT, percent=20, expires_at=now),
            Coupon(0, "OFFCODE", CouponKind.PERCENT, percent=20, active=False),
            Coupon(0, "FRIEND-VIC1", CouponKind.PERCENT, percent=10, owner_id=VIC),
            Coupon(0, "DROP10", CouponKind.PERCENT, percent=10),
        ):
            w.coupons[coupon.code] = await uow.coupons.create(coupon, now)
        gift = await drops.compose(
            uow, "A gift", MediaKind.NONE, None, ["coupon:DROP10"], f"chats:{VIC}", False, now
        )
        w.draft = await drops.compose(uow, "Draft", MediaKind.NONE, None, [], "all", False, now)
        await drops.send(uow, gift, 5, now)
        await uow.staff.add(STAFF, Role.STAFF, ADMIN_ID, now)
        asked = await support.write(uow, VIC, Topic(), "Vic's question", None, now, [])
        assert isinstance(asked, SupportMessage)
        w.vic_thread = asked.thread_id
        await uow.commit()
    await shop.drops.run(gift)
    [[button]] = (await _last(vic))["reply_markup"]["inline_keyboard"]
    w.vic_drop_button = button["callback_data"]
    w.full_team = await paid_team(
        shop.uows, konjac_variant, w.konjac, size=2, paid=2, first_user=7201
    )
    async with shop.uows.engine.connect() as conn:
        w.seat_order = int(
            await conn.scalar(
                select(OrderRow.id).where(OrderRow.team_id == w.full_team)  # type: ignore[arg-type]
            )
        )
    await archive_product(shop, w.archived)
    await shop.settle()
    return w


# --- the checks --------------------------------------------------------------------------


async def _dump(shop: RunningShop) -> dict[str, list[tuple[str, ...]]]:
    """Every table's rows, but for what any update touches: the claim of the update itself (and
    its inbox row in polling mode) and when a person was last seen."""
    await shop.settle()
    dump: dict[str, list[tuple[str, ...]]] = {}
    async with shop.uows.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ("processed_update", "inbox_update"):  # the updates' own records
                continue
            columns = [c for c in table.columns if c.name != "last_seen_at"]
            rows = (await conn.execute(select(*columns))).all()
            dump[table.name] = sorted(tuple(str(v) for v in row) for row in rows)
    return dump


def _differences(
    before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]
) -> list[str]:
    changed = []
    for name, rows in before.items():
        if rows != after[name]:
            gone = set(rows) - set(after[name])
            new = set(after[name]) - set(rows)
            changed.append(f"{name}: -{sorted(gone)[:2]} +{sorted(new)[:2]}")
    return changed


async def _press(shop: RunningShop, chats: dict[int, SimChat], press: Press) -> list[str]:
    """Press, and what is wrong with the answer (nothing, when polite and private)."""
    chat = chats[press.who]
    message = await _last(chat)
    calls = await shop.press_data(chat, message["message_id"], press.data)
    problems = []
    answers = only(calls, "answerCallbackQuery")
    text = str(answers[0].params.get("text") or "") if len(answers) == 1 else ""
    if len(answers) != 1 or not answers[0].ok:
        problems.append(f"{len(answers)} answers")
    elif not text:
        problems.append("an answer without text")
    everything = " ".join(str(c.params) for c in calls)
    if APOLOGY in everything:
        problems.append("the apology for an error")
    if press.expect is not None and press.expect not in text:
        problems.append(f"answered {text!r}, not {press.expect!r}")
    if press.data.startswith("ck:") and any(code in everything for code in CODES):
        problems.append("a coupon's code was shown")
    elsewhere = [
        c.method for c in calls if "chat_id" in c.params and int(c.params["chat_id"]) != chat.id
    ]
    if elsewhere:
        problems.append(f"someone else heard: {elsewhere}")
    return [f"{press.data!r} by {press.who}: {p} (answer {text!r})" for p in problems]


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_forged_buttons_change_nothing_and_are_answered_politely(
    framework: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    shop = await start_shop(framework, tmp_path, clock=ShopClock())  # type: ignore[arg-type]
    try:
        world = await _world(shop)
        chats = {
            who: shop.standin.private_chat(who, name)
            for who, name in ((MAL, "Mal"), (STAFF, "Sam"), (ADMIN_ID, "Owner"))
        }
        for chat in chats.values():
            await shop.send(chat, "/start")
        vic = shop.standin.private_chat(VIC, "Vic")
        problems: list[str] = []
        table: list[tuple[str, Rows]] = [(a.value, r) for a, r in BUYER.items()]
        table += [(f"za:{v}", r) for v, r in CONSOLE.items()]
        presses = 0
        for name, rows in table:
            heard_by_vic = len(vic.messages())
            before = await _dump(shop)
            for press in rows(world):
                problems += await _press(shop, chats, press)
                presses += 1
            after = await _dump(shop)
            problems += [f"{name} changed {d}" for d in _differences(before, after)]
            if len(vic.messages()) != heard_by_vic:
                problems.append(f"{name}: Vic was told something")
        assert presses > 500
        assert problems == [], "\n".join(problems)
    finally:
        await stop_shop(shop)
    assert shop.standin.violations == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]


async def test_a_search_list_pages_in_its_chat_and_nowhere_else(shop: RunningShop) -> None:
    """A search's words are the searcher's: its paging buttons are signed for the chat the
    card is in. In a group every member may page it; copied or forged elsewhere it shows
    nothing (while the searcher's own unsigned buttons from before still work for them)."""
    group = shop.standin.group_chat(-1007301, "Snack club")
    cy, di = shop.standin.user(7301, "Cy"), shop.standin.user(7302, "Di")
    await shop.send(group, "/search spicy", from_user=cy)
    card = await _last(group)
    [nav] = [
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "▶"
    ]
    head, kind, search_id, index, tag = nav.split(":")
    assert (head, kind, len(tag)) == ("nv", "s", 8)
    calls = await shop.push(group.press(card, "▶", from_user=di))  # Di pages Cy's search
    assert "2 / 2" in str([c.params for c in calls if c.method != "answerCallbackQuery"])

    mal = shop.standin.private_chat(MAL, "Mal")
    await shop.send(mal, "/start")
    for forged in (nav, f"nv:s:{search_id}:{index}", f"ad:1:s:{search_id}:0"):
        calls = await shop.press_data(mal, await _last(mal), forged)
        assert "spicy" not in str(calls).lower(), forged
        [answer] = only(calls, "answerCallbackQuery")
        assert answer.params.get("text"), forged
    cy_private = shop.standin.private_chat(7301, "Cy")
    await shop.send(cy_private, "/start")
    calls = await shop.press_data(cy_private, await _last(cy_private), f"nv:s:{search_id}:1")
    assert "spicy" in str(calls)
