"""Talk to the shop: the use cases behind "💬 Ask the shop" and the staff's answers.

A buyer's message is stored in its thread and, in the same transaction, queued for the staff
as one notice per staff chat (``SUPPORT_NOTICE``): the support group when the shop has one
(``SUPPORT_CHAT_ID``), else the private chat of every owner and staff member. The outbox sends
them after the commit and records which staff-chat message stands for which thread
(``bot/workers/support_desk.py``), so a redelivered update posts nothing twice and a reply to
the post finds its thread in any process.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.staff import Permission, can
from bot.domain.support import Author, SupportRefusal, ThreadStatus, Topic, check_message
from bot.services.orders import buyer_order
from bot.services.ports import UnitOfWork
from bot.services.support_ports import SupportMessage, SupportThread

#: The notice kind the outbox hands to the support desk: ``{"message": id}`` (post a buyer's
#: message to the staff) or ``{"thread": id, "remind": 1}`` (remind them of a waiting thread).
SUPPORT_NOTICE = "support"
_REMIND_BATCH = 50


async def staff_chats(
    uow: UnitOfWork, admin_ids: Iterable[int], support_chat: int | None
) -> list[int]:
    """Where buyers' messages go: the support group, or every owner's and staff member's
    private chat (owners first, each once)."""
    if support_chat is not None:
        return [support_chat]
    chats = list(dict.fromkeys(admin_ids))
    for member in await uow.staff.members():
        if can(member.role, Permission.SUPPORT) and member.user_id not in chats:
            chats.append(member.user_id)
    return chats


async def subject_of(uow: UnitOfWork, buyer_id: int, topic: Topic) -> str | None:
    """What the thread is about, as it begins (a product's name; "" for an order or the shop);
    None when the product is not in the shop or the order not the buyer's."""
    if topic.product_id is not None:
        product = await uow.catalog.product(topic.product_id)
        return product.name if product is not None and product.active else None
    if topic.order_id is not None:
        order = await buyer_order(uow, buyer_id, topic.order_id)
        return "" if order is not None else None
    return ""


async def own_thread(uow: UnitOfWork, buyer_id: int, thread_id: int) -> SupportThread | None:
    """The thread if it is the buyer's; None for anybody else's (or none)."""
    thread = await uow.support.thread(thread_id)
    return thread if thread is not None and thread.buyer_id == buyer_id else None


async def write(
    uow: UnitOfWork,
    buyer_id: int,
    topic: Topic,
    text: str | None,
    photo: str | None,
    now: datetime,
    chats: list[int],
) -> SupportMessage | SupportRefusal:
    """A buyer writes about ``topic``: into their thread about it (a closed one reopens) or a
    new one; queued for the staff in ``chats``."""
    checked = check_message(text, photo)
    if isinstance(checked, SupportRefusal):
        return checked
    subject = await subject_of(uow, buyer_id, topic)
    if subject is None:
        return SupportRefusal.NOT_FOUND
    thread = await uow.support.latest_thread(buyer_id, topic)
    if thread is None:
        thread = await uow.support.open_thread(buyer_id, topic, subject, now)
    return await _buyer_message(uow, thread, checked, photo, now, chats)


async def write_in(
    uow: UnitOfWork,
    buyer_id: int,
    thread_id: int,
    text: str | None,
    photo: str | None,
    now: datetime,
    chats: list[int],
) -> SupportMessage | SupportRefusal:
    """A buyer writes in one of their threads (the "Answer" under the shop's reply)."""
    checked = check_message(text, photo)
    if isinstance(checked, SupportRefusal):
        return checked
    thread = await own_thread(uow, buyer_id, thread_id)
    if thread is None:
        return SupportRefusal.NOT_FOUND
    return await _buyer_message(uow, thread, checked, photo, now, chats)


async def _buyer_message(
    uow: UnitOfWork,
    thread: SupportThread,
    text: str,
    photo: str | None,
    now: datetime,
    chats: list[int],
) -> SupportMessage:
    message = await uow.support.add_message(
        thread.id, Author.BUYER, thread.buyer_id, text, photo, now
    )
    for chat in chats:
        await uow.notices.add(chat, SUPPORT_NOTICE, {"message": message.id}, now)
    return message


async def answer(
    uow: UnitOfWork, staff_id: int, thread_id: int, text: str | None, now: datetime
) -> tuple[SupportThread, SupportMessage] | SupportRefusal:
    """A staff member answers a thread (a closed one too: the buyer hears it either way)."""
    checked = check_message(text)
    if isinstance(checked, SupportRefusal):
        return checked
    thread = await uow.support.thread(thread_id)
    if thread is None:
        return SupportRefusal.NOT_FOUND
    message = await uow.support.add_message(thread.id, Author.STAFF, staff_id, checked, None, now)
    return thread, message


async def close(uow: UnitOfWork, thread_id: int, now: datetime) -> SupportThread | None:
    """Close a thread; None when there is no such thread. Closing twice changes nothing."""
    thread = await uow.support.thread(thread_id)
    if thread is None:
        return None
    if thread.status is ThreadStatus.OPEN:
        await uow.support.close(thread_id, now)
    return thread


async def remind_due(uow: UnitOfWork, now: datetime, every: timedelta, chats: list[int]) -> int:
    """Queue a reminder for every thread unanswered for ``every`` and not reminded of in the
    last ``every`` (claimed by a conditional write: once across processes)."""
    total = 0
    while True:
        due = await uow.support.claim_reminders(now, every, _REMIND_BATCH)
        for thread_id in due:
            for chat in chats:
                await uow.notices.add(
                    chat, SUPPORT_NOTICE, {"thread": thread_id, "remind": 1}, now
                )
        total += len(due)
        if len(due) < _REMIND_BATCH:
            return total
