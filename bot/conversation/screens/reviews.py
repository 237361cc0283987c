"""Verified reviews in chat: the stars a delivered order's notice offers, then the optional
words (plain text; markup is stripped, 500 characters at most)."""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_press, on_step
from bot.conversation.replies import Button, Keyboard
from bot.conversation.texts import Texts
from bot.conversation.turn import Turn
from bot.domain.reviews import MAX_RATING, MAX_TEXT, MIN_RATING, ReviewRefusal
from bot.services import reviews
from bot.services.ports import UiState

ASK_TEXT = "review.text"


def stars_keyboard(tx: Texts, order_id: int, product_id: int) -> Keyboard:
    return (
        tuple(
            Button(
                tx.label("review.btn_stars", n=n), cb(Action.REVIEW_RATE, order_id, product_id, n)
            )
            for n in range(MIN_RATING, MAX_RATING + 1)
        ),
    )


@on_press(Action.REVIEW_RATE)
async def rate(turn: Turn, call: Callback) -> None:
    tx = turn.tx
    order_id, product_id, stars = call.int_arg(0), call.int_arg(1), call.int_arg(2)
    result = await reviews.rate(turn.uow, turn.person.id, order_id, product_id, stars, turn.now)
    if isinstance(result, ReviewRefusal):
        turn.answer(tx.t(f"review.refusal.{result.value}", max=MAX_TEXT), alert=True)
        return
    await turn.uow.ui_states.set(
        turn.person.id, turn.chat_id, UiState(ASK_TEXT, {"review": result}), turn.now
    )
    turn.answer(tx.t("review.thanks_toast"))
    turn.show(tx.t("review.ask_text", stars="★" * stars, max=MAX_TEXT))


async def photo_sent(turn: Turn, state: UiState, file_id: str, caption: str) -> None:
    tx = turn.tx
    review_id = int(state.data.get("review", 0))
    result = await reviews.add_photo(turn.uow, turn.person.id, review_id, file_id, caption)
    if result is ReviewRefusal.TOO_LONG:
        turn.say(tx.t("review.refusal.too_long", max=MAX_TEXT))
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    if isinstance(result, ReviewRefusal):
        turn.say(tx.t(f"review.refusal.{result.value}", max=MAX_TEXT))
        return
    turn.say(tx.t("review.saved"))


@on_step(ASK_TEXT)
async def text_typed(turn: Turn, state: UiState, text: str) -> None:
    tx = turn.tx
    review_id = int(state.data.get("review", 0))
    result = await reviews.add_text(turn.uow, turn.person.id, review_id, text)
    if result is ReviewRefusal.TOO_LONG or result is ReviewRefusal.EMPTY:
        turn.say(tx.t(f"review.refusal.{result.value}", max=MAX_TEXT))  # the step stays
        return
    await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
    if isinstance(result, ReviewRefusal):
        turn.say(tx.t(f"review.refusal.{result.value}", max=MAX_TEXT))
        return
    turn.say(tx.t("review.saved"))
