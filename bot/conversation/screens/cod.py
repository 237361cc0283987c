"""Cash on delivery in the chat: the "💵 Cash on delivery" button under a shipped order's
invoice asks, one message at a time, what Telegram's payment sheet would have (the country, a
method that takes cash there, the recipient's name, phone, city, street line and post code),
then shows a summary with the shipping cost and a Confirm button, which places the order to be
paid to the courier (``bot/services/cod_orders.py``).

The buttons carry ``cv:<step>:<order>:<n>``: ``go`` (the invoice's button: continue or start
over when a draft is there), ``on`` (continue), ``new`` (start over), ``m`` (the n-th method
of the list) and ``ok`` (confirm). A bad answer is refused with the reason and the same
question again; /cancel leaves the flow (the draft stays for the next time).
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_press, on_step
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.cash import placed_message
from bot.conversation.turn import Turn
from bot.domain.cash import CashRefusal, cash_cap
from bot.domain.cod_address import LIMITS, InputRefusal, Step
from bot.services import cod_orders
from bot.services.cod_orders import Opened
from bot.services.order_ports import Order
from bot.services.ports import UiState

#: The typed step's state; its data names the order.
ASK = "cod"


def _button(turn: Turn, key: str, verb: str, order_id: int, n: int = 0) -> Button:
    return Button(turn.tx.label(key), cb(Action.COD, verb, order_id, n))


async def _open(turn: Turn, order_id: int) -> Opened | None:
    """The buyer's draft, or None after saying why there is none."""
    opened = await cod_orders.open_draft(turn.uow, turn.person.id, order_id, turn.config.payments)
    if opened.placed and opened.order is not None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        turn.tell(turn.tx.t("cod.already_placed", order=opened.order.id))
        return None
    if opened.refusal is not None or opened.order is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        refusal = opened.refusal or CashRefusal.GONE
        turn.refuse(turn.tx.t(f"cod.refusal.{refusal.value}", limit=""))
        return None
    return opened


async def ask(turn: Turn, order: Order, note: str = "") -> None:
    """Ask for what the draft still misses (or show the summary), and wait for the answer."""
    tx = turn.tx
    draft = cod_orders.draft_of(order)
    step = draft.next_step()
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, UiState(ASK, {"order": order.id}), turn.now
    )
    lead = f"{note}\n\n" if note else ""
    if step is Step.CONFIRM:
        await _summary(turn, order, lead)
        return
    offered = cod_orders.methods(order, draft, turn.config.payments)
    if step is Step.METHOD and not offered:  # the country lost its methods meanwhile: ask again
        await cod_orders.restart(turn.uow, order)
        fresh = await turn.uow.orders.get(order.id)
        if fresh is not None:
            await ask(turn, fresh, tx.t("cod.refusal.not_offered", limit=""))
        return
    if step is Step.METHOD:
        rows: list[tuple[Button, ...]] = []
        for n, (option, price) in enumerate(offered):
            text = tx.label("cod.btn_method", label=option.label, price=tx.money(price))
            rows.append((Button(text, cb(Action.COD, "m", order.id, n)),))
        turn.say(lead + tx.t("cod.ask.method", country=draft.country), tuple(rows))
        return
    countries = _countries(turn)
    turn.say(
        lead + tx.t(f"cod.ask.{step.value}", countries=countries, max=LIMITS.get(step, 0)),
        ((_button(turn, "cod.btn_restart", "new", order.id),),) if draft.started else None,
    )


async def _summary(turn: Turn, order: Order, lead: str) -> None:
    tx = turn.tx
    draft = cod_orders.draft_of(order)
    quoted = cod_orders.quote(order, draft, turn.config.payments)
    if quoted is None:  # the method no longer takes cash there: choose again
        await cod_orders.drop_method(turn.uow, order)
        fresh = await turn.uow.orders.get(order.id)
        if fresh is not None:
            await ask(turn, fresh, tx.t("cod.refusal.not_offered", limit=""))
        return
    lines = [lead + tx.t("cod.summary_title", order=order.id), ""]
    lines += [f"• {ln.name} × {ln.quantity}: {tx.money(ln.total)}" for ln in order.lines]
    if order.discount.amount:
        lines.append(tx.t("cod.summary_discount", amount=tx.money(order.discount)))
    shipping = quoted.shipping - quoted.shipping_discount
    lines += [
        tx.t("cod.summary_shipping", method=quoted.option.label, price=tx.money(shipping)),
        tx.t("cod.summary_total", total=tx.money(quoted.total)),
        "",
        tx.t("cod.summary_to", name=draft.name, phone=draft.phone),
        tx.t(
            "cod.summary_address",
            street=draft.street,
            city=draft.city,
            post_code=draft.post_code,
            country=draft.country,
        ),
        "",
        tx.t("cod.summary_hint"),
    ]
    keyboard: Keyboard = (
        (_button(turn, "cod.btn_confirm", "ok", order.id),),
        (_button(turn, "cod.btn_restart", "new", order.id),),
    )
    turn.say("\n".join(lines), keyboard)


@on_press(Action.COD)
async def pressed(turn: Turn, call: Callback) -> None:
    verb, order_id = call.str_arg(0), call.int_arg(1)
    if not turn.in_private:  # an address is asked for in the buyer's private chat only
        turn.answer(turn.tx.t("stale_button"))
        return
    if verb == "ok":
        await _confirm(turn, order_id)
        return
    if verb not in ("go", "on", "new", "m"):
        turn.answer(turn.tx.t("stale_button"))
        return
    opened = await _open(turn, order_id)
    if opened is None or opened.order is None:
        return
    order = opened.order
    tx = turn.tx
    if verb == "go" and opened.draft.started:
        turn.answer()
        turn.say(
            tx.t("cod.resume"),
            (
                (_button(turn, "cod.btn_continue", "on", order.id),),
                (_button(turn, "cod.btn_restart", "new", order.id),),
            ),
        )
        return
    if verb == "new":
        await cod_orders.restart(turn.uow, order)
    elif verb == "m":
        offered = cod_orders.methods(order, opened.draft, turn.config.payments)
        n = call.int_arg(2)
        if opened.draft.next_step() is not Step.METHOD or n >= len(offered):
            turn.answer(tx.t("stale_button"))
            return
        if await cod_orders.choose(turn.uow, order, offered[n][0].id, turn.config.payments):
            turn.refuse(tx.t("cod.refusal.not_offered", limit=""))
            return
    turn.answer()
    fresh = await turn.uow.orders.get(order.id)
    assert fresh is not None
    await ask(turn, fresh, tx.t("cod.intro") if verb in ("go", "new") else "")


async def _confirm(turn: Turn, order_id: int) -> None:
    tx = turn.tx
    setup = turn.config.payments
    placed = await cod_orders.confirm(turn.uow, turn.person.id, order_id, setup, turn.now)
    order = placed.order
    if placed.again and order is not None:
        turn.tell(tx.t("cod.already_placed", order=order.id))
        return
    if placed.refusal is not None or order is None:
        refusal = placed.refusal or CashRefusal.GONE
        limit = ""
        if order is not None:
            quoted = cod_orders.quote(order, cod_orders.draft_of(order), setup)
            if quoted is not None and quoted.option.cash is not None:
                cap = cash_cap(quoted.option.cash, order.currency, setup.cash)
                limit = tx.money(cap) if cap is not None else ""
        turn.refuse(tx.t(f"cod.refusal.{refusal.value}", limit=limit))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    turn.answer()
    await placed_message(turn, order, "cod")


@on_step(ASK)
async def typed(turn: Turn, state: UiState, text: str) -> None:
    order_id = state.data.get("order")
    opened = await _open(turn, order_id if isinstance(order_id, int) else 0)
    if opened is None or opened.order is None:
        return
    order = opened.order
    step = opened.draft.next_step()
    if step in (Step.METHOD, Step.CONFIRM):
        await ask(turn, order, turn.tx.t("cod.use_buttons"))
        return
    answered = await cod_orders.answer(turn.uow, order, step, text, turn.config.payments)
    if answered.refusal is not None:
        await ask(turn, order, _refusal(turn, step, answered.refusal, text))
        return
    fresh = await turn.uow.orders.get(order.id)
    assert fresh is not None
    await ask(turn, fresh)


def _refusal(turn: Turn, step: Step, refusal: InputRefusal, text: str) -> str:
    countries = _countries(turn)
    return turn.tx.t(
        f"cod.bad.{refusal.value}",
        max=LIMITS.get(step, 0),
        country=text.strip().upper()[:8],
        countries=countries,
    )


def _countries(turn: Turn) -> str:
    """Where cash on delivery goes, for the questions ("US, GB" or "US and other countries")."""
    codes = turn.config.payments.shipping.cod_countries()
    named = ", ".join(c for c in codes if c != "*") or "—"
    return turn.tx.t("cod.and_elsewhere", countries=named) if "*" in codes else named
