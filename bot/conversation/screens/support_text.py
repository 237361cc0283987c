"""How "💬 Ask the shop" reads: the staff's copy of a buyer's message (and its reminder), the
shop's answer as the buyer gets it, a thread's history. Shared by the screens and the support
desk (``bot/workers/support_desk.py``), which sends the staff's copies."""

from __future__ import annotations

from datetime import datetime

from bot.conversation.callbacks import Action, cb
from bot.conversation.replies import Button, Keyboard
from bot.conversation.texts import Raw, Texts, escape
from bot.domain.support import Author, Topic
from bot.services.support_ports import SupportMessage, SupportThread

#: A history line quotes at most this much of a message.
_QUOTE = 300


def about_label(tx: Texts, topic: Topic, subject: str) -> str:
    """What a thread is about, as plain text: the product's name, the order's number, or the
    shop in general."""
    if topic.product_id is not None:
        return subject or f"#{topic.product_id}"
    if topic.order_id is not None:
        return tx.label("support.about_order", order=topic.order_id)
    return tx.label("support.about_shop")


def about(tx: Texts, topic: Topic, subject: str) -> Raw:
    """``about_label`` in HTML."""
    return Raw(escape(about_label(tx, topic, subject)))


def thread_about(tx: Texts, thread: SupportThread) -> Raw:
    return about(tx, thread.topic, thread.subject)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def message_body(tx: Texts, text: str, photo: str | None, limit: int | None = None) -> Raw:
    body = text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
    parts = [tx.t("support.photo")] if photo else []
    if body:
        parts.append(escape(body))
    return Raw(" ".join(parts) if parts else tx.t("support.erased"))


def history(tx: Texts, messages: list[SupportMessage], *, staff_view: bool) -> str:
    """One line per message, oldest first: who (the buyer sees "You" and "Shop"), when, what."""
    lines = []
    for m in messages:
        if staff_view:
            who = tx.t("support.who_buyer" if m.author is Author.BUYER else "support.who_staff")
        else:
            who = tx.t("support.who_you" if m.author is Author.BUYER else "support.who_shop")
        body = message_body(tx, m.text, m.photo_file_id, _QUOTE)
        lines.append(
            tx.t("support.history_line", who=Raw(who), when=_when(m.created_at), text=body)
        )
    return "\n".join(lines)


def staff_keyboard(tx: Texts, thread_id: int) -> Keyboard:
    return (
        (
            Button(tx.label("support.staff.btn_reply"), cb(Action.SUPPORT_REPLY, thread_id)),
            Button(tx.label("support.staff.btn_close"), cb(Action.SUPPORT_CLOSE, thread_id)),
        ),
    )


#: Telegram's limit on a caption (characters as shown, markup left out), with some room.
_CAPTION = 1000


def staff_post(
    tx: Texts, thread: SupportThread, buyer: str, message: SupportMessage
) -> tuple[str, Keyboard]:
    """The staff's copy of a buyer's message; a photo's caption is cut to what Telegram takes
    (the whole text stays in the console's history)."""

    def render(body: Raw) -> str:
        return tx.t(
            "support.staff.new",
            thread=thread.id,
            buyer=buyer,
            about=thread_about(tx, thread),
            text=body,
        )

    limit = None
    if message.photo_file_id:
        limit = max(50, _CAPTION - len(render(Raw(""))))
    body = message_body(tx, message.text, None, limit) if message.text else Raw("")
    return render(body), staff_keyboard(tx, thread.id)


def staff_reminder(
    tx: Texts, thread: SupportThread, buyer: str, messages: list[SupportMessage]
) -> tuple[str, Keyboard]:
    since = thread.waiting_since or thread.updated_at
    text = tx.t(
        "support.staff.remind",
        thread=thread.id,
        buyer=buyer,
        since=_when(since),
        about=thread_about(tx, thread),
        history=Raw(history(tx, messages, staff_view=True)),
    )
    return text, staff_keyboard(tx, thread.id)


def shop_replied(tx: Texts, thread: SupportThread, text: str) -> tuple[str, Keyboard]:
    """The shop's answer as the buyer gets it, in the buyer's language, with a button to
    write back in the same thread."""
    body = tx.t("support.shop_replied", about=thread_about(tx, thread), text=text)
    answer = Button(tx.label("support.btn_answer"), cb(Action.SUPPORT_WRITE, thread.id))
    return body, ((answer,),)
