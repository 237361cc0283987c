"""How a notice reads: a queued message (a refund went through, the merchant shipped, a cart
waits) worded in the recipient's language, with the button that goes with its kind.

The outbox worker (``bot.workers.outbox``) sends what this words, after the commit.
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.drop_text import fewer_row
from bot.conversation.screens.reviews import stars_keyboard
from bot.conversation.texts import Texts
from bot.domain.money import Money
from bot.services.alerts import MARKETING_NOTICES
from bot.services.order_ports import Notice


def render(tx: Texts, notice: Notice) -> tuple[str, Keyboard | None]:
    p = notice.params
    order = p.get("order")
    money = ""
    if isinstance(p.get("amount"), int) and isinstance(p.get("currency"), str):
        money = tx.money(Money(int(p["amount"]), str(p["currency"])))  # type: ignore[call-overload]
    values = {k: v for k, v in p.items() if k not in ("amount", "currency")}
    text = tx.t(f"notice.{notice.kind}", total=money, **values)
    if notice.kind == "order_shipped" and p.get("tracking"):
        text += "\n" + tx.t("orders.tracking", tracking=p["tracking"])
    keyboard: Keyboard | None = None
    if isinstance(order, int) and not notice.kind.endswith("_admin"):
        keyboard = ((Button(tx.label("orders.btn_details"), cb(Action.ORDER, order)),),)
    if notice.kind == "cash_expired":  # an expired order is in no list: shop again instead
        keyboard = ((Button(tx.label("start.btn_browse"), cb(Action.CATEGORIES)),),)
    if notice.kind == "cart_reminder":
        keyboard = ((Button(tx.label("start.btn_cart"), cb(Action.CART)),),)
    product = p.get("product")
    if notice.kind == "review_ask" and isinstance(order, int) and isinstance(product, int):
        keyboard = stars_keyboard(tx, order, product)
    sale = p.get("sale")
    if notice.kind in ("sale_live", "sale_restock") and isinstance(sale, int):
        grab = Button(tx.label("sale.btn_grab_now"), cb(Action.FLASH_CLAIM, sale))
        keyboard = ((grab,),)
    kind = MARKETING_NOTICES.get(notice.kind)
    if kind is not None:  # a marketing message: one tap to fewer like it
        keyboard = (*(keyboard or ()), fewer_row(tx, kind))
    coupon = p.get("coupon")
    if notice.kind == "invite_reward" and isinstance(coupon, int):
        # A personal coupon: the button works for its owner only (``given_by_button``).
        keyboard = ((Button(tx.label("drop.btn_coupon"), cb(Action.COUPON_APPLY, coupon)),),)
    variant = p.get("variant")
    if notice.kind == "group_failed" and isinstance(variant, int):
        # The team did not fill: the same item at its regular price, one tap away.
        regular = Button(
            tx.label("notice.btn_regular"), cb(Action.BUY_VARIANT, variant, "p", 0, 0)
        )
        keyboard = ((regular,), *(keyboard or ()))
    return text, keyboard
