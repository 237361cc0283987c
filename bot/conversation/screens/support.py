"""Talk to the shop, the buyer's side: "💬 Ask the shop" under a product card and an order,
``/support`` (their conversations, and a message to the shop), and the message itself (text,
or a photo with an optional caption; anything else is refused, the step stays).

A message is stored and queued for the staff in the update's transaction (its claim makes a
redelivery post nothing twice); the support desk (``bot/workers/support_desk.py``) posts it.
A thread is only ever its buyer's: a button naming another buyer's thread is refused and shows
nothing of it.
"""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press, on_step
from bot.conversation.replies import Button, Keyboard
from bot.conversation.screens.support_text import about, about_label, history, thread_about
from bot.conversation.texts import Raw
from bot.conversation.turn import Turn
from bot.domain.support import MAX_TEXT, SupportRefusal, ThreadStatus, Topic
from bot.services import support
from bot.services.ports import UiState

#: The typed step: the buyer's next message goes to the shop. Its data names the thread
#: (``thread``), or the topic of a new one (``product``, ``order``; neither: the shop).
ASK = "support.write"
#: Threads /support shows, and messages of each.
_THREADS = 5
_MESSAGES = 4


async def _start(turn: Turn, data: dict[str, int | str], what: Raw) -> None:
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, UiState(ASK, data), turn.now)
    turn.answer()
    turn.say(turn.tx.t("support.ask", about=what, max=MAX_TEXT))


def _private_only(turn: Turn) -> bool:
    if turn.in_private:
        return False
    turn.tell(turn.tx.t("support.private_only"), alert=True)
    return True


@on_press(Action.SUPPORT_PRODUCT)
async def ask_product(turn: Turn, call: Callback) -> None:
    if _private_only(turn):
        return
    topic = Topic(product_id=call.int_arg(0))
    subject = await support.subject_of(turn.uow, turn.person.id, topic)
    if subject is None:
        turn.tell(turn.tx.t("support.refusal.product_gone"), alert=True)
        return
    await _start(turn, {"product": call.int_arg(0)}, about(turn.tx, topic, subject))


@on_press(Action.SUPPORT_ORDER)
async def ask_order(turn: Turn, call: Callback) -> None:
    if _private_only(turn):
        return
    topic = Topic(order_id=call.int_arg(0))
    if await support.subject_of(turn.uow, turn.person.id, topic) is None:  # not theirs
        turn.tell(turn.tx.t("orders.not_found"), alert=True)
        return
    await _start(turn, {"order": call.int_arg(0)}, about(turn.tx, topic, ""))


@on_press(Action.SUPPORT_WRITE)
async def write_in_thread(turn: Turn, call: Callback) -> None:
    if _private_only(turn):
        return
    thread_id = call.int_arg(0)
    if thread_id == 0:
        await _start(turn, {}, about(turn.tx, Topic(), ""))
        return
    thread = await support.own_thread(turn.uow, turn.person.id, thread_id)
    if thread is None:  # another buyer's, or forged: nothing of it is shown
        turn.tell(turn.tx.t("support.refusal.not_found"), alert=True)
        return
    await _start(turn, {"thread": thread.id}, thread_about(turn.tx, thread))


@on_command("support")
async def support_command(turn: Turn, args: str) -> None:
    """The buyer's conversations with the shop (open ones first, their latest messages); what
    they type next goes to the shop, or they pick a conversation to write in."""
    tx = turn.tx
    if not turn.in_private:
        turn.say(tx.t("support.private_only"))
        return
    threads = await turn.uow.support.buyer_threads(turn.person.id, _THREADS)
    lines = [tx.t("support.title")]
    rows: list[tuple[Button, ...]] = []
    for thread in threads:
        status = "open" if thread.status is ThreadStatus.OPEN else "closed"
        if thread.status is ThreadStatus.OPEN and thread.waiting_since is not None:
            status = "waiting"
        lines += [
            "",
            tx.t(
                "support.thread_line",
                about=thread_about(tx, thread),
                status=tx.t(f"support.status.{status}"),
            ),
        ]
        if thread.status is ThreadStatus.OPEN:
            messages = await turn.uow.support.messages(thread.id, _MESSAGES)
            lines.append(history(tx, messages, staff_view=False))
            what = about_label(tx, thread.topic, thread.subject)
            label = tx.label("support.btn_write_about", about=what)
            rows.append((Button(label[:60], cb(Action.SUPPORT_WRITE, thread.id)),))
    if not threads:
        lines += ["", tx.t("support.none")]
    lines += ["", tx.t("support.ask", about=about(tx, Topic(), ""), max=MAX_TEXT)]
    await turn.uow.ui_states.set(turn.person.id, turn.chat_id, UiState(ASK, {}), turn.now)
    keyboard: Keyboard | None = tuple(rows) or None
    turn.say("\n".join(lines), keyboard)


@on_step(ASK)
async def text_typed(turn: Turn, state: UiState, text: str) -> None:
    await _send(turn, state, text, None)


async def media_sent(
    turn: Turn, state: UiState, what: str, file_id: str | None, caption: str
) -> None:
    """A photo (its caption optional) goes to the shop; a sticker, a voice note, a file... is
    refused, and the step waits for something the staff can read."""
    if what != "photo" or not file_id:
        turn.say(turn.tx.t("support.refusal.empty"))
        return
    await _send(turn, state, caption, file_id)


async def _send(turn: Turn, state: UiState, text: str | None, photo: str | None) -> None:
    tx = turn.tx
    uow = turn.uow
    config = turn.config
    chats = await support.staff_chats(uow, config.admin_ids, config.support_chat_id)
    data = state.data
    if "thread" in data:
        result = await support.write_in(
            uow, turn.person.id, int(data["thread"]), text, photo, turn.now, chats
        )
    else:
        product, order = data.get("product"), data.get("order")
        topic = Topic(
            product_id=int(product) if product is not None else None,
            order_id=int(order) if order is not None else None,
        )
        result = await support.write(uow, turn.person.id, topic, text, photo, turn.now, chats)
    if result is SupportRefusal.EMPTY or result is SupportRefusal.TOO_LONG:
        turn.say(tx.t(f"support.refusal.{result.value}", max=MAX_TEXT))  # the step stays
        return
    await uow.ui_states.clear(turn.person.id, turn.chat_id)
    if result is SupportRefusal.NOT_FOUND and "product" in data:  # archived meanwhile
        turn.say(tx.t("support.refusal.product_gone"))
        return
    if isinstance(result, SupportRefusal):
        turn.say(tx.t(f"support.refusal.{result.value}"))
        return
    turn.outbox_dirty = True  # the staff's copies go out right after the commit
    turn.say(tx.t("support.sent"))
