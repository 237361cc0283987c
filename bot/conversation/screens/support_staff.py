"""Talk to the shop, the staff's side, in the support group or a staff member's private chat:
a reply (Telegram's "Reply") to the bot's copy of a buyer's message answers that thread; so
does the "↩️ Reply" button followed by the answer; "✅ Close" closes the thread.

Which thread a staff-chat message stands for is read from the database (``support_post``), so
any process can take the reply. Only owners and staff members with the support permission may
answer or close (checked on every press and message; a button proves nothing). The answer
reaches the buyer in the update's replies, worded in the buyer's language.
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback
from bot.conversation.dispatch import on_press, on_step
from bot.conversation.replies import SendText
from bot.conversation.screens.support_text import shop_replied
from bot.conversation.texts import pick_locale, texts
from bot.conversation.turn import Turn
from bot.domain.staff import Permission, Role, can
from bot.domain.support import MAX_TEXT, SupportRefusal, display_name
from bot.services import support
from bot.services.ports import UiState

#: The typed step after "↩️ Reply": the staff member's next message answers ``thread``.
REPLY = "support.reply"


async def _staff_role(turn: Turn) -> Role | None:
    """The person's role if it lets them answer buyers; otherwise they are told so."""
    role: Role | None = Role.OWNER if turn.person.id in turn.config.admin_ids else None
    if role is None:
        role = await turn.uow.staff.role_of(turn.person.id)
    if role is None or not can(role, Permission.SUPPORT):
        turn.tell(turn.tx.t("support.staff.not_staff"), alert=True)
        return None
    return role


@on_press(Action.SUPPORT_REPLY)
async def reply_pressed(turn: Turn, call: Callback) -> None:
    if await _staff_role(turn) is None:
        return
    thread = await turn.uow.support.thread(call.int_arg(0))
    if thread is None:
        turn.tell(turn.tx.t("support.staff.gone"), alert=True)
        return
    state = UiState(REPLY, {"thread": thread.id})
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, state, turn.now)
    turn.answer()
    turn.say(turn.tx.t("support.staff.ask_reply", thread=thread.id, name=turn.person.first_name))


@on_press(Action.SUPPORT_CLOSE)
async def close_pressed(turn: Turn, call: Callback) -> None:
    if await _staff_role(turn) is None:
        return
    thread = await support.close(turn.uow, call.int_arg(0), turn.now)
    if thread is None:
        turn.tell(turn.tx.t("support.staff.gone"), alert=True)
        return
    turn.answer(turn.tx.t("support.staff.closed_toast", thread=thread.id))
    turn.say(turn.tx.t("support.staff.closed", thread=thread.id, who=turn.person.first_name))


@on_step(REPLY)
async def reply_typed(turn: Turn, state: UiState, text: str) -> None:
    if await _staff_role(turn) is None:
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        return
    if await _answer(turn, int(state.data.get("thread", 0)), text):
        await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)


async def replied(turn: Turn, reply_to: int, text: str) -> bool:
    """A message replying to the bot's message ``reply_to``: if that message is a thread's
    copy in this chat, the message answers the thread (True: handled)."""
    thread_id = await turn.uow.support.thread_of_post(turn.chat_id, reply_to)
    if thread_id is None:
        return False
    if await _staff_role(turn) is not None:
        await _answer(turn, thread_id, text)
    return True


async def _answer(turn: Turn, thread_id: int, text: str) -> bool:
    """Store the answer and send it to the buyer; False when it was refused (the staff member
    was told why, and may try again)."""
    tx = turn.tx
    result = await support.answer(turn.uow, turn.person.id, thread_id, text, turn.now)
    if result is SupportRefusal.NOT_FOUND:
        turn.say(tx.t("support.staff.gone"))
        return True
    if isinstance(result, SupportRefusal):
        turn.say(tx.t(f"support.staff.refusal.{result.value}", max=MAX_TEXT))
        return False
    thread, message = result
    profile = await turn.uow.buyers.profile(thread.buyer_id)
    if profile is None:  # the buyer erased their data: nobody to send it to
        turn.say(tx.t("support.staff.buyer_gone", thread=thread.id))
        return True
    locale = pick_locale(profile.locale, profile.language_code, turn.config.default_locale)
    body, keyboard = shop_replied(texts(locale), thread, message.text)
    turn.replies.append(SendText(thread.buyer_id, body, keyboard))
    buyer = display_name(profile.first_name, profile.username)
    turn.say(tx.t("support.staff.answered", buyer=buyer, thread=thread.id))
    return True
