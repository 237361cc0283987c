"""The cart: /cart, add from a card, +1 / −1 / remove / clear, typing a quantity."""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press, on_step
from bot.conversation.events import ButtonPress
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens import browse, checkout, coupon_entry
from bot.conversation.texts import Raw, Texts
from bot.conversation.turn import Turn
from bot.domain.cart import MAX_LINES, Refusal
from bot.services import carts, coupons
from bot.services.carts import AddOutcome, CartView, LineOutcome, LineStatus
from bot.services.coupons import CartCoupon
from bot.services.ports import UiState

ASK_QUANTITY = "cart.quantity"
#: Longest reply we try to read as a quantity; anything longer is not a number anyone means.
_MAX_DIGITS = 6


def render(
    tx: Texts, view: CartView, coupon: CartCoupon | None = None
) -> tuple[str, Keyboard | None]:
    cart = view.cart
    if cart.is_empty:
        return tx.t("cart.empty"), ((Button(tx.label("cart.btn_browse"), cb(Action.CATEGORIES)),),)
    lines = [tx.t("cart.title"), ""]
    rows: list[tuple[Button, ...]] = []
    for number, (line_id, line) in enumerate(zip(view.line_ids, cart.lines, strict=True), 1):
        name = line.product_name + (f" ({line.variant.name})" if line.variant.name else "")
        lines.append(
            tx.t(
                "cart.line", index=number, name=name, qty=line.quantity, total=tx.money(line.total)
            )
        )
        if not line.variant.active:
            lines.append(tx.t("cart.line_unavailable"))
        elif line.short_of_stock:
            lines.append(tx.t("cart.line_short", n=line.variant.available))
        rows.append(
            (
                Button("−", cb(Action.DEC, line_id)),
                Button(
                    tx.label("cart.btn_qty", index=number, qty=line.quantity),
                    cb(Action.QUANTITY, line_id),
                ),
                Button("+", cb(Action.INC, line_id)),
                Button("✕", cb(Action.REMOVE, line_id)),
            )
        )
    total = cart.total
    assert total is not None
    items = Raw(tx.plural("cart.items", cart.item_count))
    lines.append("")
    if coupon is None:
        lines.append(tx.t("cart.total", total=tx.money(total), items=items))
    else:
        lines += _coupon_lines(tx, coupon, items)
    rows.append(
        (
            Button(tx.label("cart.btn_clear"), cb(Action.CLEAR)),
            Button(tx.label("cart.btn_checkout"), cb(Action.CHECKOUT)),
        )
    )
    rows.append((Button(tx.label("cart.btn_browse"), cb(Action.CATEGORIES)),))
    return "\n".join(lines), tuple(rows)


def _coupon_lines(tx: Texts, coupon: CartCoupon, items: Raw) -> list[str]:
    """Subtotal, the applied coupon's line and the total after it; or why it takes nothing
    off this cart (it stays applied and may work once the cart changes)."""
    code = coupon.coupon.code
    if coupon.discount is None:
        refusal = coupon.refusal.value if coupon.refusal is not None else "not_applicable"
        reason = Raw(tx.t(f"coupon.refusal.{refusal}", code=code))
        return [
            tx.t("cart.total", total=tx.money(coupon.subtotal), items=items),
            tx.t("cart.coupon_not_applied", reason=reason),
        ]
    what = coupon_entry.coupon_what(tx, coupon.coupon)
    lines = [tx.t("cart.subtotal", total=tx.money(coupon.subtotal), items=items)]
    if coupon.discount.items.amount > 0:
        lines.append(
            tx.t("cart.coupon_line", code=code, what=what, off=tx.money(coupon.discount.items))
        )
    if coupon.discount.free_shipping:
        lines.append(tx.t("cart.coupon_free_shipping", code=code))
    lines.append(tx.t("cart.total_after_coupon", total=tx.money(coupon.total)))
    return lines


@on_command("cart")
async def cart_command(turn: Turn, args: str) -> None:
    await show_cart(turn)


async def show_cart(turn: Turn) -> None:
    if not turn.in_private:
        # A cart shown in a group would show one buyer's basket to everyone.
        if isinstance(turn.event, ButtonPress):
            turn.answer(turn.tx.t("cart.private_only"), alert=True)
            return
        link = turn.deep_link("cart")
        private: Keyboard | None = (
            ((Button(turn.tx.label("cart.btn_open_private"), url=link),),) if link else None
        )
        turn.say(turn.tx.t("cart.private_only"), private)
        return
    view = await carts.view_cart(turn.uow, turn.person.id)
    applied = await coupons.on_cart(turn.uow, turn.person.id, view.cart, turn.now)
    text, keyboard = render(turn.tx, view, applied)
    turn.answer()
    turn.show(text, keyboard)


def item_name(product_name: str, variant_name: str) -> str:
    """ "Air Runner (EU 44)", or the product's name alone for a variant without one."""
    return product_name + (f" ({variant_name})" if variant_name else "")


def _refusal_text(turn: Turn, outcome: AddOutcome) -> str:
    tx = turn.tx
    refusal = outcome.refusal
    if refusal is Refusal.OUT_OF_STOCK:
        name = item_name(outcome.product_name, outcome.variant.name)
        return tx.t("cart.out_of_stock", name=name)
    if refusal is Refusal.STOCK_LIMIT:
        key = "cart.capped_stock" if outcome.capped else "cart.at_stock_limit"
        return tx.t(key, n=outcome.quantity)
    if refusal is Refusal.LINE_LIMIT:
        return tx.t("cart.at_line_limit", n=turn.config.max_per_line)
    if refusal is Refusal.CURRENCY_MISMATCH:
        return tx.t(
            "cart.currency_mismatch",
            cart=outcome.cart_currency or "?",
            item=outcome.variant.price.currency,
        )
    if refusal is Refusal.CART_FULL:
        return tx.t("cart.full", n=MAX_LINES)
    return tx.t("cart.unavailable")


async def add_variant(turn: Turn, variant_id: int) -> AddOutcome | None:
    outcome = await carts.add_to_cart(
        turn.uow, turn.person.id, variant_id, turn.now, max_per_line=turn.config.max_per_line
    )
    if outcome is None:
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return None
    if outcome.refusal is not None:
        turn.answer(_refusal_text(turn, outcome), alert=not outcome.added)
        return outcome
    name = item_name(outcome.product_name, outcome.variant.name)
    if turn.in_private:
        text = turn.tx.t(
            "cart.added",
            name=name,
            qty=outcome.quantity,
            items=turn.tx.plural("cart.items", outcome.item_count),
        )
    else:
        text = turn.tx.t("cart.added_in_group", name=name, qty=outcome.quantity)
    turn.answer(text)
    return outcome


@on_press(Action.ADD)
async def add_pressed(turn: Turn, call: Callback) -> None:
    """Add a product to the cart, or first pick one of its variants."""
    if await browse.pick_or_add(turn, call):
        await add_product(turn, call.int_arg(0))


async def add_product(turn: Turn, product_id: int) -> AddOutcome | None:
    """Add the product's only sellable variant (the card checked there is exactly one)."""
    product = await turn.uow.catalog.product(product_id)
    if product is None:
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return None
    variants = product.sellable_variants
    if not variants:
        turn.answer(turn.tx.t("cart.unavailable"), alert=True)
        return None
    if len(variants) > 1 and all(v.available <= 0 for v in variants):
        # Every variant is gone: the product is sold out, not just its first variant.
        turn.answer(turn.tx.t("cart.out_of_stock", name=product.name), alert=True)
        return None
    return await add_variant(turn, variants[0].id)


def _line_refused(turn: Turn, outcome: LineOutcome) -> bool:
    if outcome.status is LineStatus.NOT_YOURS:
        turn.answer(turn.tx.t("cart.not_yours"), alert=True)
        return True
    if outcome.status is LineStatus.GONE:
        # Removed meanwhile (another device) or forged: say so and leave the message alone.
        turn.answer(turn.tx.t("cart.line_gone"), alert=True)
        return True
    return False


async def _after_line_change(turn: Turn, outcome: LineOutcome) -> None:
    if _line_refused(turn, outcome):
        return
    if outcome.refusal is Refusal.STOCK_LIMIT:
        turn.answer(turn.tx.t("cart.at_stock_limit", n=outcome.quantity))
    elif outcome.refusal is Refusal.LINE_LIMIT:
        turn.answer(turn.tx.t("cart.at_line_limit", n=turn.config.max_per_line))
    elif outcome.line is not None and outcome.quantity == 0:
        turn.answer(turn.tx.t("cart.removed", name=outcome.line.product_name))
    if (
        outcome.line is not None
        and outcome.quantity == outcome.line.quantity
        and (outcome.status is LineStatus.OK)
    ):
        return  # nothing changed; redrawing would only earn "message is not modified"
    await show_cart(turn)


async def ask_quantity(turn: Turn, line_id: int) -> None:
    stored = await turn.uow.carts.line(line_id)
    if stored is None or stored.user_id != turn.person.id:
        _line_refused(
            turn, LineOutcome(LineStatus.GONE if stored is None else LineStatus.NOT_YOURS)
        )
        return
    view = await carts.view_cart(turn.uow, turn.person.id)
    line = next(ln for i, ln in zip(view.line_ids, view.cart.lines, strict=True) if i == line_id)
    cap = max(min(line.variant.available, turn.config.max_per_line), 0)
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, UiState(ASK_QUANTITY, {"line": line_id}), turn.now
    )
    turn.answer()
    turn.say(turn.tx.t("cart.ask_quantity", name=line.product_name, max=cap))


@on_step(ASK_QUANTITY)
async def quantity_typed(turn: Turn, state: UiState, text: str) -> None:
    """The buyer's answer to "how many?": a whole number from 0 to the cap, or a clear no."""
    line_id = int(state.data.get("line", 0))
    cap = turn.config.max_per_line
    raw = text.strip()
    if not raw.isdecimal() or len(raw) > _MAX_DIGITS or not raw.isascii():
        turn.say(turn.tx.t("cart.bad_quantity", max=cap))
        return
    requested = int(raw)
    outcome = await carts.set_line_quantity(
        turn.uow, turn.person.id, line_id, requested, turn.now, max_per_line=cap
    )
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    if outcome.status is not LineStatus.OK or outcome.line is None:
        turn.say(turn.tx.t("cart.line_gone"))
    elif outcome.quantity == 0:
        turn.say(turn.tx.t("cart.removed", name=outcome.line.product_name))
    elif outcome.refusal is Refusal.STOCK_LIMIT:
        turn.say(turn.tx.t("cart.capped_stock", n=outcome.quantity))
    elif outcome.refusal is Refusal.LINE_LIMIT:
        turn.say(turn.tx.t("cart.at_line_limit", n=cap))
    else:
        turn.say(
            turn.tx.t("cart.quantity_set", name=outcome.line.product_name, qty=outcome.quantity)
        )
    await show_cart(turn)


@on_press(
    Action.CART,
    Action.ADD_VARIANT,
    Action.INC,
    Action.DEC,
    Action.REMOVE,
    Action.QUANTITY,
    Action.CHECKOUT,
    Action.CLEAR,
    Action.CLEAR_YES,
)
async def pressed(turn: Turn, call: Callback) -> None:
    action = call.action
    if action is Action.CART:
        await show_cart(turn)
    elif action is Action.ADD_VARIANT:
        await add_variant(turn, call.int_arg(0))
    elif action in (Action.INC, Action.DEC):
        delta = 1 if action is Action.INC else -1
        outcome = await carts.step_line(
            turn.uow,
            turn.person.id,
            call.int_arg(0),
            delta,
            turn.now,
            max_per_line=turn.config.max_per_line,
        )
        await _after_line_change(turn, outcome)
    elif action is Action.REMOVE:
        outcome = await carts.remove_line(turn.uow, turn.person.id, call.int_arg(0))
        await _after_line_change(turn, outcome)
    elif action is Action.QUANTITY:
        await ask_quantity(turn, call.int_arg(0))
    elif action is Action.CLEAR:
        turn.answer()
        turn.show(
            turn.tx.t("cart.confirm_clear"),
            (
                (
                    Button(turn.tx.label("cart.btn_clear_yes"), cb(Action.CLEAR_YES)),
                    Button(turn.tx.label("cart.btn_clear_no"), cb(Action.CART)),
                ),
            ),
        )
    elif action is Action.CHECKOUT:
        await checkout.begin(turn, 0)
    elif action is Action.CLEAR_YES:
        await carts.clear_cart(turn.uow, turn.person.id)
        turn.answer(turn.tx.t("cart.cleared"))
        await show_cart(turn)
