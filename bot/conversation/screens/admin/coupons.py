"""Console section: coupons. The list with their use counts; a new coupon by a guided
conversation (code, kind, value, then the optional minimum, limits and days, each skippable)
or in one line (``/admin coupon add SAVE10 10% min 20 limit 100 per 1 days 7``); disabling
after a confirmation; one-time codes made in bulk (``/admin coupon codes SAVE10 100`` or the
coupon's Codes button), sent as a CSV, with who used which. The terms are checked by
``bot.services.coupon_terms``, as the ``storefront coupons`` command's are; the coupon is the
same row a buyer redeems.
"""

from __future__ import annotations

from bot.conversation.replies import Button, Keyboard, SendDocument
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.catalog_text import cancel_row, configured_currency, terms_text
from bot.conversation.screens.admin.registry import (
    admin_cb,
    at_step,
    command,
    menu_item,
    state,
    step,
    verb,
)
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.coupons import MAX_ONE_TIME_CODES, Coupon, CouponKind
from bot.domain.money import Money
from bot.domain.staff import Permission, Role
from bot.services import coupon_terms as terms
from bot.services import coupons, merchant_catalog
from bot.services.order_ports import CodeUse
from bot.services.ports import UiState

P = Permission.COUPONS
ASK_CODE = "admin.coupon.code"
ASK_KIND = "admin.coupon.kind"
ASK_VALUE = "admin.coupon.value"
ASK_OPTION = "admin.coupon.opt"
ASK_COUNT = "admin.coupon.count"
_KINDS = (CouponKind.PERCENT, CouponKind.FIXED, CouponKind.FREE_SHIPPING)
_SHOWN = 20

menu_item(20, "ac.cp.menu", "cp_list", P)


async def _currency(turn: Turn) -> str:
    return await merchant_catalog.shop_currency(turn.uow, configured_currency(turn))


def describe(turn: Turn, coupon: Coupon) -> str:
    tx = turn.tx
    if coupon.kind is CouponKind.PERCENT:
        value = tx.t("ac.cp.value_percent", n=coupon.percent)
    elif coupon.kind is CouponKind.FIXED and coupon.amount is not None:
        value = tx.t("ac.cp.value_fixed", amount=tx.money(coupon.amount))
    else:
        value = tx.t("ac.cp.value_freeship")
    parts = [value]
    if coupon.min_subtotal is not None:
        parts.append(tx.t("ac.cp.term_min", amount=tx.money(coupon.min_subtotal)))
    if coupon.per_buyer_limit is not None:
        parts.append(tx.t("ac.cp.term_per", n=coupon.per_buyer_limit))
    if coupon.expires_at is not None:
        parts.append(tx.t("ac.cp.term_until", when=f"{coupon.expires_at:%Y-%m-%d %H:%M} UTC"))
    if coupon.public:
        parts.append(tx.t("ac.cp.term_public"))
    return " · ".join(parts)


@verb("cp_list", P)
async def list_coupons(turn: Turn, role: Role, _: int, __: int) -> None:
    turn.answer()
    text, keyboard = await _listing(turn)
    turn.show(text, keyboard)


async def _listing(turn: Turn) -> tuple[str, Keyboard]:
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
    for entry in stats[:_SHOWN]:
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
    if len(stats) > _SHOWN:
        lines.append(tx.plural("ac.cp.more", len(stats) - _SHOWN))
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
    turn.show(*_confirm_disable(turn, coupon))


def _confirm_disable(turn: Turn, coupon: Coupon) -> tuple[str, Keyboard]:
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
    text, keyboard = await _listing(turn)
    turn.show(text, keyboard)


async def _disable(turn: Turn, role: Role, coupon: Coupon) -> None:
    if coupon.active:  # a second Yes changes nothing
        await turn.uow.coupons.set_active(coupon.code, False)
        await access.audit(turn, role, "coupon.disable", f"coupon:{coupon.code}")


# --- creating, step by step ---


async def _go(turn: Turn, name: str, data: dict[str, int | str]) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


def _cancel(turn: Turn) -> Keyboard:
    return (cancel_row(turn, "cp_stop"),)


@verb("cp_new", P)
async def new_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    turn.answer()
    await _go(turn, ASK_CODE, {})
    turn.say(turn.tx.t("ac.cp.ask_code"), _cancel(turn))


@step(ASK_CODE, P)
async def code_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    try:
        code = terms.parse_code(text)
    except terms.TermsError as exc:
        turn.say(terms_text(turn, exc) + "\n" + turn.tx.t("ac.cp.ask_code"), _cancel(turn))
        return
    if await turn.uow.coupons.by_code(code) is not None:
        turn.say(
            turn.tx.t("ac.cp.exists", code=code) + "\n" + turn.tx.t("ac.cp.ask_code"),
            _cancel(turn),
        )
        return
    await _go(turn, ASK_KIND, {"code": code})
    kinds = tuple(
        (Button(turn.tx.label(f"ac.cp.kind.{k.value}"), admin_cb("cp_kind", i + 1)),)
        for i, k in enumerate(_KINDS)
    )
    turn.say(turn.tx.t("ac.cp.ask_kind", code=code), (*kinds, cancel_row(turn, "cp_stop")))


@verb("cp_kind", P)
async def kind_pressed(turn: Turn, role: Role, number: int, _: int) -> None:
    st = await at_step(turn, ASK_KIND)
    if st is None:
        return
    if not 1 <= number <= len(_KINDS):
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    kind = _KINDS[number - 1]
    data: dict[str, int | str] = {"code": str(st.data["code"]), "kind": kind.value}
    if kind is CouponKind.FREE_SHIPPING:
        await _ask_option(turn, role, data, 0)
        return
    await _go(turn, ASK_VALUE, data)
    key = "ac.cp.ask_percent" if kind is CouponKind.PERCENT else "ac.cp.ask_amount"
    turn.say(turn.tx.t(key, currency=await _currency(turn)), _cancel(turn))


@step(ASK_VALUE, P)
async def value_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    data = dict(st.data)
    try:
        if data["kind"] == CouponKind.PERCENT.value:
            data["percent"] = terms.parse_percent(text)
        else:
            data["amount"] = terms.parse_amount(text, await _currency(turn)).amount
    except terms.TermsError as exc:
        turn.say(terms_text(turn, exc), _cancel(turn))
        return
    await _ask_option(turn, role, data, 0)


async def _ask_option(turn: Turn, role: Role, data: dict[str, int | str], index: int) -> None:
    if index >= len(terms.OPTIONS):
        await _create_from(turn, role, data)
        return
    await _go(turn, ASK_OPTION, {**data, "i": index})
    name = terms.OPTIONS[index]
    keyboard = (
        (
            Button(turn.tx.label("ac.pn.btn_skip"), admin_cb("cp_skip", index)),
            Button(turn.tx.label("ac.cp.btn_create_now"), admin_cb("cp_make")),
        ),
        cancel_row(turn, "cp_stop"),
    )
    turn.say(turn.tx.t(f"ac.cp.ask_{name}", currency=await _currency(turn)), keyboard)


@step(ASK_OPTION, P)
async def option_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    index = int(st.data["i"])
    name = terms.OPTIONS[index]
    currency = await _currency(turn)
    try:
        value = terms.parse_option(name, text, currency)
    except terms.TermsError as exc:
        again = turn.tx.t(f"ac.cp.ask_{name}", currency=currency)
        turn.say(terms_text(turn, exc) + "\n" + again, _cancel(turn))
        return
    await _ask_option(turn, role, {**st.data, name: value}, index + 1)


@verb("cp_skip", P)
async def option_skipped(turn: Turn, role: Role, index: int, _: int) -> None:
    st = await at_step(turn, ASK_OPTION)
    if st is None:
        return
    if int(st.data["i"]) != index:  # the Skip of a question already answered
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    await _ask_option(turn, role, dict(st.data), index + 1)


@verb("cp_make", P)
async def create_now(turn: Turn, role: Role, _: int, __: int) -> None:
    st = await at_step(turn, ASK_OPTION)
    if st is None:
        return
    turn.answer()
    await _create_from(turn, role, dict(st.data))


@verb("cp_stop", P)
async def stop_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or not current.state.startswith("admin.coupon."):
        turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    turn.say(turn.tx.t("ac.cp.cancelled"))


async def _create_from(turn: Turn, role: Role, data: dict[str, int | str]) -> None:
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    currency = await _currency(turn)
    kind = CouponKind(str(data["kind"]))
    amount = Money(int(data["amount"]), currency) if "amount" in data else None
    value = terms.Value(kind, percent=int(data.get("percent", 0)), amount=amount)
    found = {k: int(data[k]) for k in terms.OPTIONS if k in data}
    coupon = terms.with_options(
        str(data["code"]), value, terms.options_from(found, currency), turn.now
    )
    await _store(turn, role, coupon)


async def _store(turn: Turn, role: Role, coupon: Coupon) -> None:
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


# --- one-time codes ---


async def _shop_coupon(turn: Turn, coupon_id: int) -> Coupon | None:
    coupon = await turn.uow.coupons.by_id(coupon_id) if coupon_id else None
    return coupon if coupon is not None and coupon.owner_id is None else None


@verb("cp_codes", P)
async def codes_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    turn.show(*await _codes_view(turn, coupon))


async def _codes_view(turn: Turn, coupon: Coupon) -> tuple[str, Keyboard]:
    """The coupon's one-time codes: how many, how many used, and the latest used (by whom,
    when); every code with its use is in the CSV."""
    tx = turn.tx
    uses = await turn.uow.coupons.codes(coupon.id)
    used = sorted(
        (u for u in uses if u.used_by is not None and u.used_at is not None),
        key=lambda u: (u.used_at, u.code),
        reverse=True,
    )
    lines = [tx.t("ac.cp.codes_title", code=coupon.code)]
    if uses:
        lines.append(tx.plural("ac.cp.codes_count", len(uses), used=len(used)))
    else:
        lines.append(tx.t("ac.cp.codes_none"))
    for use in used[:_SHOWN]:
        when = f"{use.used_at:%Y-%m-%d %H:%M} UTC"
        lines.append(tx.t("ac.cp.code_used", code=use.code, buyer=use.used_by, when=when))
    if len(used) > _SHOWN:
        lines.append(tx.plural("ac.cp.codes_used_more", len(used) - _SHOWN))
    rows: list[tuple[Button, ...]] = []
    if coupon.active:
        rows.append((Button(tx.label("ac.cp.btn_make_codes"), admin_cb("cp_mkc", coupon.id)),))
    if uses:
        rows.append((Button(tx.label("ac.cp.btn_codes_csv"), admin_cb("cp_csv", coupon.id)),))
    rows.append((Button(tx.label("ac.cp.btn_list"), admin_cb("cp_list")),))
    return "\n".join(lines), tuple(rows)


@verb("cp_csv", P)
async def codes_csv_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    uses = await turn.uow.coupons.codes(coupon.id)
    if not uses:
        turn.answer(turn.tx.t("ac.cp.codes_none"), alert=True)
        return
    turn.answer()
    used = sum(1 for u in uses if u.used_by is not None)
    caption = turn.tx.plural("ac.cp.codes_csv", len(uses), code=coupon.code, used=used)
    _send_csv(turn, coupon, coupons.codes_csv(coupon, uses), caption)


def _send_csv(turn: Turn, coupon: Coupon, text: str, caption: str) -> None:
    name = f"codes-{coupon.code}.csv"
    turn.replies.append(SendDocument(turn.chat_id, text.encode("utf-8"), name, caption))


@verb("cp_mkc", P)
async def make_codes_pressed(turn: Turn, role: Role, coupon_id: int, _: int) -> None:
    coupon = await _shop_coupon(turn, coupon_id)
    if coupon is None:
        turn.answer(turn.tx.t("stale_button"))
        return
    turn.answer()
    await _go(turn, ASK_COUNT, {"coupon": coupon.id})
    turn.say(_ask_count(turn, coupon), (cancel_row(turn, "cp_cstop"),))


def _ask_count(turn: Turn, coupon: Coupon) -> str:
    return turn.tx.t("ac.cp.ask_count", code=coupon.code, max=MAX_ONE_TIME_CODES)


@step(ASK_COUNT, P)
async def count_typed(turn: Turn, role: Role, st: UiState, text: str) -> None:
    coupon = await _shop_coupon(turn, int(st.data["coupon"]))
    if coupon is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.say(turn.tx.t("admin.step_gone"))
        return
    count = _count(text)
    if count is None:
        bad = turn.tx.t("ac.cp.bad_count", text=text.strip()[:32], max=MAX_ONE_TIME_CODES)
        turn.say(bad + "\n" + _ask_count(turn, coupon), (cancel_row(turn, "cp_cstop"),))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    await _make_codes(turn, role, coupon.code, count)


def _count(text: str) -> int | None:
    word = text.strip()
    if not word.isascii() or not word.isdigit() or len(word) > 6:
        return None
    count = int(word)
    return count if 1 <= count <= MAX_ONE_TIME_CODES else None


async def _make_codes(turn: Turn, role: Role, code: str, count: int) -> None:
    tx = turn.tx
    made = await coupons.make_codes(turn.uow, code, count, turn.now)
    coupon = made.coupon
    if made.refusal is coupons.CodesRefusal.COUNT:
        turn.say(tx.t("ac.cp.codes_usage", max=MAX_ONE_TIME_CODES))
        return
    if made.refusal is not None or coupon is None:
        if coupon is None:
            turn.say(tx.t("ac.cp.no_such", code=code[:32]))
        else:
            refusal = made.refusal or coupons.CodesRefusal.DISABLED
            turn.say(tx.t(f"ac.cp.codes_refused.{refusal.value}", code=coupon.code))
        return
    await access.audit(turn, role, "coupon.codes", f"coupon:{coupon.code}", n=len(made.made))
    uses = [CodeUse(c, None, None, turn.now) for c in made.made]
    caption = tx.plural("ac.cp.codes_made", len(uses), code=coupon.code)
    _send_csv(turn, coupon, coupons.codes_csv(coupon, uses), caption)


@verb("cp_cstop", P)
async def codes_stop_pressed(turn: Turn, role: Role, _: int, __: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != ASK_COUNT:
        turn.answer(turn.tx.t("ac.pn.nothing_to_cancel"))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    turn.say(turn.tx.t("ac.cp.codes_cancelled"))


# --- in one line ---


@command("coupon", P)
async def coupon_command(turn: Turn, role: Role, args: str) -> None:
    """``/admin coupon add CODE 10%|5.00|freeship [min 20] [limit 100] [per 1] [days 7]``,
    ``/admin coupon list``, ``/admin coupon off CODE``."""
    word, _, rest = args.partition(" ")
    word = word.lower()
    if word == "add":
        try:
            coupon = terms.parse_line(rest, await _currency(turn), turn.now)
        except terms.TermsError as exc:
            turn.say(terms_text(turn, exc) + "\n" + turn.tx.t("ac.cp.usage"))
            return
        except ValueError:
            turn.say(turn.tx.t("ac.cp.usage"))
            return
        await _store(turn, role, coupon)
    elif word == "list":
        text, keyboard = await _listing(turn)
        turn.say(text, keyboard)
    elif word == "codes":
        named, _, how_many = rest.strip().rpartition(" ")
        count = _count(how_many)
        if not named.strip() or count is None:
            turn.say(turn.tx.t("ac.cp.codes_usage", max=MAX_ONE_TIME_CODES))
            return
        await _make_codes(turn, role, named, count)
    elif word in ("off", "disable"):
        found = await coupons.coupon_for_codes(turn.uow, rest)  # its own code, not a one-time one
        if found is None:
            turn.say(turn.tx.t("ac.cp.no_such", code=rest.strip()[:32]))
            return
        if not found.active:
            turn.say(turn.tx.t("ac.cp.disabled", code=found.code))
            return
        turn.say(*_confirm_disable(turn, found))  # the same Yes as the list's button
    else:
        turn.say(turn.tx.t("ac.cp.usage"))
