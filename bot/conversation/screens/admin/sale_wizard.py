"""Console: scheduling a flash sale by a guided conversation. The product (picked or its SKU
typed), the sale price, the units, the per-buyer limit, the start (now, in 10 min, in 1 h, or a
typed UTC time), the length, then a confirmation; ``flash_sales.schedule`` (as ``storefront
sales add``) checks the sale. The draft lives in the step's state (a few ids and numbers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.admin import access
from bot.conversation.screens.admin.picking import pickable, variant_name
from bot.conversation.screens.admin.registry import admin_cb, at_step, state, step, verb
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.catalog import Product, Variant
from bot.domain.flash_sales import MAX_SALE_LENGTH, SaleError
from bot.domain.money import Money, parse_major
from bot.domain.staff import Permission, Role
from bot.services import flash_sales
from bot.services.ports import UiState

START_CHOICES = (0, 10, 60)  # minutes from the confirmation
LENGTH_CHOICES = (30, 60, 180, 1440)  # minutes
LIMIT_CHOICES = (1, 2, 3)
_SKU, _PRICE, _UNITS, _LIMIT = "admin.fs.sku", "admin.fs.price", "admin.fs.units", "admin.fs.limit"
_START, _LENGTH, _CONFIRM = "admin.fs.start", "admin.fs.length", "admin.fs.confirm"
_TYPED_TIME = "%Y-%m-%d %H:%M"


def _cancel_row(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.tx.label("admin.fs.btn_cancel"), admin_cb("fs_list")),)


async def _variant(turn: Turn, variant_id: int) -> tuple[Variant, Product] | None:
    found = await turn.uow.catalog.variant(variant_id)
    if found is None or not found[0].active or not found[1].active:
        return None
    return found


async def _set(turn: Turn, name: str, **data: int | str) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(name, **data), turn.now)


@verb("fs_new", Permission.PROMOS)
async def start_new(turn: Turn, role: Role, _: int, __: int) -> None:
    tx = turn.tx
    await _set(turn, _SKU)
    turn.answer()
    rows = [
        (
            Button(
                tx.label(
                    "admin.fs.pick_row",
                    name=variant_name(v, p),
                    sku=v.sku,
                    price=tx.money(v.price),
                ),
                admin_cb("fs_var", v.id),
            ),
        )
        for v, p in await pickable(turn)
    ]
    turn.show(tx.t("admin.fs.ask_product"), (*rows, _cancel_row(turn)))


async def _ask_price(turn: Turn, variant_id: int) -> None:
    tx = turn.tx
    found = await _variant(turn, variant_id)
    if found is None:
        turn.tell(tx.t("admin.fs.no_product"), alert=True)
        return
    variant, product = found
    if variant.available <= 0:
        turn.tell(tx.t("admin.fs.no_stock", name=variant_name(variant, product)), alert=True)
        return
    await _set(turn, _PRICE, v=variant.id)
    turn.answer()
    turn.show(
        tx.t(
            "admin.fs.ask_price",
            name=variant_name(variant, product),
            regular=tx.money(variant.price),
            stock=variant.available,
        ),
        (_cancel_row(turn),),
    )


@verb("fs_var", Permission.PROMOS)
async def variant_picked(turn: Turn, role: Role, variant_id: int, _: int) -> None:
    current = await at_step(turn, _SKU)
    if current is None:
        return
    await _ask_price(turn, variant_id)


@step(_SKU, Permission.PROMOS)
async def sku_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    variant_id = await turn.uow.catalog.variant_by_sku(text.strip().upper()) or (
        await turn.uow.catalog.variant_by_sku(text.strip())
    )
    if variant_id is None or await _variant(turn, variant_id) is None:
        turn.say(turn.tx.t("admin.fs.bad_sku", sku=text[:40]), (_cancel_row(turn),))
        return
    await _ask_price(turn, variant_id)


def _int(data: UiState, key: str) -> int:
    value = data.data.get(key, 0)
    return value if isinstance(value, int) else 0


@step(_PRICE, Permission.PROMOS)
async def price_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    tx = turn.tx
    found = await _variant(turn, _int(current, "v"))
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.say(tx.t("admin.fs.no_product"))
        return
    variant, _product = found
    try:
        price = parse_major(text.replace(",", ".").lstrip("$€£¥ "), variant.price.currency)
    except ValueError:
        price = Money(0, variant.price.currency)
    if not 0 < price.amount < variant.price.amount:
        turn.say(
            tx.t("admin.fs.bad_price", text=text[:40], regular=tx.money(variant.price)),
            (_cancel_row(turn),),
        )
        return
    await _set(turn, _UNITS, v=variant.id, p=price.amount)
    turn.say(tx.t("admin.fs.ask_units", stock=variant.available), (_cancel_row(turn),))


@step(_UNITS, Permission.PROMOS)
async def units_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    tx = turn.tx
    found = await _variant(turn, _int(current, "v"))
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.say(tx.t("admin.fs.no_product"))
        return
    stock = found[0].available
    units = int(text) if text.isdigit() and len(text) < 7 else 0
    if not 1 <= units <= stock:
        turn.say(tx.t("admin.fs.bad_units", text=text[:40], stock=stock), (_cancel_row(turn),))
        return
    await _set(turn, _LIMIT, v=_int(current, "v"), p=_int(current, "p"), u=units)
    turn.say(tx.t("admin.fs.ask_limit", units=units), _limit_keyboard(turn, units))


def _limit_keyboard(turn: Turn, units: int) -> Keyboard:
    buttons = tuple(Button(str(n), admin_cb("fs_limit", n)) for n in LIMIT_CHOICES if n <= units)
    return (buttons, _cancel_row(turn))


def _start_keyboard(turn: Turn) -> Keyboard:
    tx = turn.tx
    buttons = tuple(
        Button(tx.label(f"admin.fs.start_in.{m}"), admin_cb("fs_start", m)) for m in START_CHOICES
    )
    return (buttons, _cancel_row(turn))


def _length_keyboard(turn: Turn) -> Keyboard:
    tx = turn.tx
    buttons = tuple(
        Button(tx.label(f"admin.fs.length.{m}"), admin_cb("fs_length", m)) for m in LENGTH_CHOICES
    )
    return (buttons, _cancel_row(turn))


async def _limit_chosen(turn: Turn, current: UiState, limit: int, typed: str) -> None:
    tx = turn.tx
    units = _int(current, "u")
    if not 1 <= limit <= units:
        turn.answer()
        turn.say(
            tx.t("admin.fs.bad_limit", text=typed[:40], units=units), _limit_keyboard(turn, units)
        )
        return
    await _set(turn, _START, v=_int(current, "v"), p=_int(current, "p"), u=units, l=limit)
    turn.answer()
    turn.show(
        tx.t("admin.fs.ask_start", now=turn.now.strftime(_TYPED_TIME)), _start_keyboard(turn)
    )


@step(_LIMIT, Permission.PROMOS)
async def limit_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    await _limit_chosen(turn, current, int(text) if text.isdigit() and len(text) < 7 else 0, text)


@verb("fs_limit", Permission.PROMOS)
async def limit_pressed(turn: Turn, role: Role, limit: int, _: int) -> None:
    current = await at_step(turn, _LIMIT)
    if current is None:
        return
    await _limit_chosen(turn, current, limit, str(limit))


async def _start_chosen(turn: Turn, current: UiState, **when: int) -> None:
    tx = turn.tx
    base = {k: _int(current, k) for k in ("v", "p", "u", "l")}
    await _set(turn, _LENGTH, **base, **when)
    turn.answer()
    turn.show(tx.t("admin.fs.ask_length"), _length_keyboard(turn))


@step(_START, Permission.PROMOS)
async def start_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    tx = turn.tx
    try:
        starts = datetime.strptime(" ".join(text.split()), _TYPED_TIME).replace(tzinfo=UTC)
    except ValueError:
        turn.say(tx.t("admin.fs.bad_time", text=text[:40]), _start_keyboard(turn))
        return
    if starts < turn.now - timedelta(minutes=1):
        turn.say(
            tx.t("admin.fs.past_time", text=text[:40], now=turn.now.strftime(_TYPED_TIME)),
            _start_keyboard(turn),
        )
        return
    await _start_chosen(turn, current, s=int(starts.timestamp()))


@verb("fs_start", Permission.PROMOS)
async def start_pressed(turn: Turn, role: Role, minutes: int, _: int) -> None:
    current = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
    if current is None or current.state != _START or minutes not in START_CHOICES:
        turn.answer(turn.tx.t("admin.step_gone"), alert=True)
        return
    await _start_chosen(turn, current, r=minutes)  # counted from the confirmation


def _starts(current: UiState, now: datetime) -> datetime:
    if "s" in current.data:
        return datetime.fromtimestamp(_int(current, "s"), UTC)
    return now + timedelta(minutes=_int(current, "r"))


async def _length_chosen(turn: Turn, current: UiState, minutes: int, typed: str) -> None:
    tx = turn.tx
    most = int(MAX_SALE_LENGTH.total_seconds() // 60)
    if not 1 <= minutes <= most:
        turn.answer()
        turn.say(tx.t("admin.fs.bad_length", text=typed[:40], most=most), _length_keyboard(turn))
        return
    found = await _variant(turn, _int(current, "v"))
    if found is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.tell(tx.t("admin.fs.no_product"), alert=True)
        return
    variant, product = found
    data = dict(current.data)
    data["d"] = minutes
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state(_CONFIRM, **data), turn.now)
    starts = _starts(current, turn.now)
    turn.answer()
    when = (
        tx.t("admin.fs.when_in", minutes=_int(current, "r"))
        if "r" in current.data
        else tx.t("admin.fs.when_at", at=starts.strftime(_TYPED_TIME))
    )
    turn.show(
        tx.t(
            "admin.fs.confirm",
            name=variant_name(variant, product),
            price=tx.money(Money(_int(current, "p"), variant.price.currency)),
            regular=tx.money(variant.price),
            units=Raw(tx.plural("admin.fs.units", _int(current, "u"))),
            limit=_int(current, "l"),
            when=when,
            minutes=minutes,
        ),
        (
            (
                Button(tx.label("admin.fs.btn_schedule"), admin_cb("fs_ok")),
                Button(tx.label("admin.fs.btn_cancel"), admin_cb("fs_list")),
            ),
        ),
    )


@step(_LENGTH, Permission.PROMOS)
async def length_typed(turn: Turn, role: Role, current: UiState, text: str) -> None:
    await _length_chosen(turn, current, int(text) if text.isdigit() and len(text) < 7 else 0, text)


@verb("fs_length", Permission.PROMOS)
async def length_pressed(turn: Turn, role: Role, minutes: int, _: int) -> None:
    current = await at_step(turn, _LENGTH)
    if current is None:
        return
    await _length_chosen(turn, current, minutes, str(minutes))


@verb("fs_ok", Permission.PROMOS)
async def schedule(turn: Turn, role: Role, _: int, __: int) -> None:
    tx = turn.tx
    current = await at_step(turn, _CONFIRM, "admin.fs.confirm_gone")  # pressed twice, or stale
    if current is None:
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    found = await _variant(turn, _int(current, "v"))
    if found is None:
        turn.answer(tx.t("admin.fs.no_product"), alert=True)
        return
    variant = found[0]
    starts = _starts(current, turn.now)
    try:
        sale = await flash_sales.schedule(
            turn.uow,
            variant.id,
            Money(_int(current, "p"), variant.price.currency),
            _int(current, "u"),
            _int(current, "l"),
            starts,
            starts + timedelta(minutes=_int(current, "d")),
            turn.now,
        )
    except (SaleError, LookupError) as exc:
        turn.answer()
        turn.show(tx.t("admin.fs.refused", reason=str(exc)), (_cancel_row(turn),))
        return
    await access.audit(
        turn,
        role,
        "sale.schedule",
        f"sale:{sale.id}",
        variant=variant.id,
        price=sale.price.amount,
        units=sale.stock,
        per_buyer=sale.per_buyer,
        starts=sale.starts_at.isoformat(),
        ends=sale.ends_at.isoformat(),
    )
    turn.answer(tx.t("admin.fs.scheduled_toast", sale=sale.id))
    link = turn.deep_link(f"s_{sale.id}") or f"/start s_{sale.id}"
    turn.show(
        tx.t("admin.fs.scheduled", sale=sale.id, name=sale.name, link=link),
        ((Button(tx.label("admin.fs.btn_list"), admin_cb("fs_list")),),),
    )
