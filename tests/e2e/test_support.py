"""Talk to the shop end to end, on aiogram and on python-telegram-bot: a buyer asks about a
product, the question lands in the staff group, a staff member's Telegram reply reaches the
buyer in the buyer's language; the Reply button path in the staff's private chats, Close and
the thread reopening; another buyer's forged buttons; refused messages (a sticker, blank
text); a redelivered question posted once (polling, webhook, the storefront's claim); the
reminder of an unanswered question (the job driven directly with the shop's clock); the
console's Support section."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.conversation.events import Chat, ChatKind, Person, Text
from bot.conversation.storefront import Storefront
from bot.domain.staff import Role
from bot.jobs.scheduler import remind_support
from bot.standin import SimChat
from storage.order_tables import NotificationRow
from storage.support_tables import SupportMessageRow, SupportThreadRow
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    ShopClock,
    advance,
    keyboard_texts,
    last_message,
    only,
    product_card,
    start_shop,
    stop_shop,
)

GROUP = -100_7700
STAFF = 7790
ASK = "💬 Ask the shop"
KONJAC = "Spicy Konjac Jelly (10 pack)"
EVERY = timedelta(hours=4)


def _text(message: dict[str, Any]) -> str:
    return str(message.get("text") or message.get("caption") or "")


async def _count(shop: RunningShop, table: Any) -> int:
    async with shop.uows.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


def _support_group(shop: RunningShop) -> SimChat:
    """The staff group, where the owner speaks; the shop posts buyers' questions there."""
    shop.storefront.config.support_chat_id = GROUP
    owner = shop.standin.user(ADMIN_ID, "Olga")
    return shop.standin.group_chat(GROUP, "Shop staff", default_user=owner)


async def _ask_about_konjac(shop: RunningShop, buyer: SimChat, question: str) -> None:
    card = await product_card(shop, buyer, "konjac")
    assert ASK in keyboard_texts(card)
    await shop.press(buyer, card, ASK)
    assert KONJAC in _text(last_message(buyer))
    await shop.send(buyer, question)
    await shop.settle()  # the outbox posts the staff's copies


async def test_a_question_reaches_the_staff_group_and_a_reply_reaches_the_buyer(
    shop: RunningShop,
) -> None:
    group = _support_group(shop)
    ann = shop.standin.private_chat(7701, "Ann", username="ann_lee")
    await _ask_about_konjac(shop, ann, "Is it <b>vegan</b>?")
    assert "Sent to the shop" in _text(last_message(ann))
    post = last_message(group)
    text = _text(post)
    assert "Ann (@ann_lee)" in text and KONJAC in text and "Is it <b>vegan</b>?" in text
    assert keyboard_texts(post) == ["↩️ Reply", "✅ Close"]

    # Telegram delivers the question again: it is posted once.
    question = next(u for u in reversed(shop.pushed_updates) if "message" in u)
    assert await shop.push(shop.standin.push_update(dict(question))) == []
    await shop.settle()
    assert await _count(shop, SupportMessageRow) == 1 and len(group.messages()) == 1

    # The owner answers with Telegram's reply to the shop's copy.
    calls = await shop.send(group, "Yes, 100% vegan.", reply_to=post)
    to_ann = [c for c in only(calls, "sendMessage") if c.params["chat_id"] == ann.id]
    assert len(to_ann) == 1
    answer = last_message(ann)
    assert "The shop replied" in _text(answer) and "Yes, 100% vegan." in _text(answer)
    assert KONJAC in _text(answer) and keyboard_texts(answer) == ["✍️ Answer"]
    assert "Sent to Ann (@ann_lee)" in _text(last_message(group))

    # A Chinese buyer hears the shop in Chinese.
    li = shop.standin.private_chat(7702, "Li", language_code="zh")
    await shop.send(li, "/support")
    await shop.send(li, "你们发货到上海吗？")
    await shop.settle()
    await shop.send(group, "Yes, we do.", reply_to=last_message(group))
    assert "店家回复了" in _text(last_message(li)) and "Yes, we do." in _text(last_message(li))

    # Somebody in the group who is not staff cannot answer.
    stranger = shop.standin.user(7703, "Stan")
    await shop.send(group, "I'm the shop, trust me", reply_to=post, from_user=stranger)
    assert "Only the shop's staff" in _text(last_message(group))
    assert "trust me" not in " ".join(_text(m) for m in ann.messages())


async def test_the_reply_button_in_staff_private_chats_close_and_reopen(
    shop: RunningShop,
) -> None:
    async with shop.uows() as uow:
        await uow.staff.add(STAFF, Role.STAFF, ADMIN_ID, shop.now())
        await uow.commit()
    owner = shop.standin.private_chat(ADMIN_ID, "Olga")
    sam = shop.standin.private_chat(STAFF, "Sam")
    li = shop.standin.private_chat(7711, "Li", language_code="zh")
    await shop.send(li, "/support")
    assert "还没有咨询" in _text(last_message(li))
    await shop.send(li, "请问什么时候发货？")
    await shop.settle()
    # No support group: every owner and staff member gets the question in private.
    for staff in (owner, sam):
        assert "请问什么时候发货？" in _text(last_message(staff))
    await shop.press(sam, last_message(sam), "↩️ Reply")
    assert "write your answer" in _text(last_message(sam))
    calls = await shop.send(sam, "Tomorrow morning.")
    assert [c.params["chat_id"] for c in only(calls, "sendMessage")] == [li.id, sam.id]
    answer = last_message(li)
    assert "店家回复了" in _text(answer) and "Tomorrow morning." in _text(answer)

    # The buyer answers back in the same thread.
    await shop.press(li, answer, "✍️ 回复")
    await shop.send(li, "好的，谢谢！")
    await shop.settle()
    assert "好的，谢谢！" in _text(last_message(owner))
    assert await _count(shop, SupportThreadRow) == 1

    await shop.press(owner, last_message(owner), "✅ Close")
    assert "closed by Olga" in _text(last_message(owner))
    async with shop.uows() as uow:
        [thread] = await uow.support.buyer_threads(li.id, 5)
    assert thread.status.value == "closed"
    # Writing again reopens it, with its history.
    await shop.send(li, "/support")
    assert "已结束" in _text(last_message(li))
    await shop.send(li, "还有一个问题")
    await shop.settle()
    async with shop.uows() as uow:
        [thread] = await uow.support.buyer_threads(li.id, 5)
        assert thread.status.value == "open" and thread.waiting_since is not None
        assert len(await uow.support.messages(thread.id, 10)) == 4


async def test_another_buyers_forged_thread_button_is_refused_and_shows_nothing(
    shop: RunningShop,
) -> None:
    group = _support_group(shop)
    ann = shop.standin.private_chat(7721, "Ann")
    await _ask_about_konjac(shop, ann, "Secret question about my allergy")
    async with shop.uows() as uow:
        [thread] = await uow.support.buyer_threads(ann.id, 5)
    mal = shop.standin.private_chat(7722, "Mal")
    await shop.send(mal, "/start")
    heard = len(mal.messages())
    for data in (f"sw:{thread.id}", f"sr:{thread.id}", f"sx:{thread.id}"):
        calls = await shop.press_data(mal, last_message(mal), data)
        [answer] = only(calls, "answerCallbackQuery")
        assert answer.params.get("text"), data
        assert "allergy" not in str([c.params for c in calls])
        assert {c.params["chat_id"] for c in calls if "chat_id" in c.params} <= {mal.id}
    assert len(mal.messages()) == heard
    # Mal's own conversations hold nothing of Ann's.
    await shop.send(mal, "/support")
    assert "allergy" not in _text(last_message(mal)) and "No conversations yet" in _text(
        last_message(mal)
    )
    await shop.send(mal, "hello")  # goes to the shop as Mal's own question
    await shop.settle()
    async with shop.uows() as uow:
        assert [m.text for m in await uow.support.messages(thread.id, 10)] == [
            "Secret question about my allergy"
        ]
    assert "Mal" in _text(last_message(group))


async def test_an_empty_message_or_a_sticker_is_refused_and_a_photo_goes_through(
    shop: RunningShop,
) -> None:
    group = _support_group(shop)
    ann = shop.standin.private_chat(7731, "Ann")
    card = await product_card(shop, ann, "konjac")
    await shop.press(ann, card, ASK)
    await shop.push(ann.send_sticker())
    assert "not stickers" in _text(last_message(ann))
    await shop.send(ann, "   ")
    assert "not stickers" in _text(last_message(ann))
    await shop.send(ann, "x" * 901)
    assert "too long" in _text(last_message(ann))
    await shop.settle()
    assert await _count(shop, SupportMessageRow) == 0 and group.messages() == []
    # Still asking: a photo, without a caption, is passed on as a photo.
    await shop.push(ann.send_photo())
    assert "Sent to the shop" in _text(last_message(ann))
    await shop.settle()
    post = last_message(group)
    assert "photo" in post and KONJAC in _text(post)
    await shop.send(group, "Looks fine to us.", reply_to=post)
    assert "Looks fine to us." in _text(last_message(ann))


async def test_an_unanswered_question_reminds_the_staff_once_per_interval(
    shop: RunningShop,
) -> None:
    group = _support_group(shop)
    ann = shop.standin.private_chat(7741, "Ann")
    await _ask_about_konjac(shop, ann, "Hello? Anyone?")
    posts = len(group.messages())
    advance(shop, EVERY - timedelta(minutes=1))
    assert await remind_support(shop.worker, EVERY) == 0
    advance(shop, timedelta(minutes=1))
    assert await remind_support(shop.worker, EVERY) == 1
    await shop.settle()
    reminder = last_message(group)
    assert "⏰" in _text(reminder) and "Hello? Anyone?" in _text(reminder)
    assert len(group.messages()) == posts + 1
    # Within the interval: no second reminder; after it: one more.
    advance(shop, timedelta(hours=1))
    assert await remind_support(shop.worker, EVERY) == 0
    advance(shop, EVERY)
    assert await remind_support(shop.worker, EVERY) == 1
    await shop.settle()
    # A reply to the reminder answers the thread; then nothing reminds any more.
    await shop.send(group, "Sorry for the wait!", reply_to=last_message(group))
    assert "Sorry for the wait!" in _text(last_message(ann))
    advance(shop, 3 * EVERY)
    assert await remind_support(shop.worker, EVERY) == 0
    async with shop.uows.engine.connect() as conn:
        reminders = await conn.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.params.like('%"remind"%'))  # type: ignore[attr-defined]
        )
    assert reminders == 2


async def test_the_console_lists_open_questions_unanswered_first(shop: RunningShop) -> None:
    owner = shop.standin.private_chat(ADMIN_ID, "Olga")
    ann = shop.standin.private_chat(7751, "Ann")
    bob = shop.standin.private_chat(7752, "Bob")
    for buyer, question in ((ann, "First question"), (bob, "Second question")):
        await shop.send(buyer, "/support")
        await shop.send(buyer, question)
    await shop.settle()
    await shop.press(owner, last_message(owner), "↩️ Reply")  # Bob's copy, the owner's newest
    await shop.send(owner, "Answered.")
    assert "Answered." in _text(last_message(bob))
    await shop.send(owner, "/admin")
    await shop.press(owner, last_message(owner), "💬 Support")
    rows = [t for t in keyboard_texts(last_message(owner)) if t.startswith(("⏳", "✅"))]
    assert rows[0].startswith("⏳") and "Ann" in rows[0]
    assert rows[1].startswith("✅") and "Bob" in rows[1]
    await shop.press(owner, last_message(owner), rows[0])
    shown = _text(last_message(owner))
    assert "First question" in shown and "waiting" in shown
    await shop.press(owner, last_message(owner), "↩️ Reply")
    await shop.send(owner, "Here you go.")
    assert "Here you go." in _text(last_message(ann))


async def test_the_storefront_claims_a_question_once(shop: RunningShop) -> None:
    """The same update handled twice by the storefront (a webhook redelivery, another
    process): the claim makes the second one change and send nothing."""
    ann = shop.standin.private_chat(7761, "Ann")
    await shop.send(ann, "/support")
    storefront = Storefront(shop.uows, shop.storefront.config, clock=shop.storefront.clock)
    event = Text(
        9_000_001, Person(ann.id, "Ann", None, "en"), Chat(ann.id, ChatKind.PRIVATE), "Hi?"
    )
    first = await storefront.handle(event)
    assert any("Sent to the shop" in str(r) for r in first)
    assert await storefront.handle(event) == []
    assert await _count(shop, SupportMessageRow) == 1


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_webhook_mode_posts_a_redelivered_question_once(
    framework: str, tmp_path: Path
) -> None:
    """By webhook, a redelivered update reaches the storefront again: its claim (taken in the
    transaction that stored the question and queued the staff's copy) makes it do nothing."""
    shop = await start_shop(framework, tmp_path, clock=ShopClock(), webhook=True)  # type: ignore[arg-type]
    try:
        group = _support_group(shop)
        ann = shop.standin.private_chat(7771, "Ann")
        await _ask_about_konjac(shop, ann, "Webhook question")
        question = next(u for u in reversed(shop.pushed_updates) if "message" in u)
        assert await shop.push(shop.standin.push_update(dict(question))) == []
        await shop.settle()
        assert await _count(shop, SupportMessageRow) == 1 and len(group.messages()) == 1
        await shop.send(group, "Webhook answer", reply_to=last_message(group))
        assert "Webhook answer" in _text(last_message(ann))
    finally:
        await stop_shop(shop)
