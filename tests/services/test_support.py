"""Talking to the shop (``bot.services.support``) on SQLite and PostgreSQL: threads per buyer
and topic, a closed thread reopening, the staff chats a message is queued for, the answer,
the reminders claimed once per interval, the staff-chat posts, the export and the erasure;
and the domain's rules."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.domain.staff import Role
from bot.domain.support import (
    MAX_TEXT,
    SupportRefusal,
    ThreadStatus,
    Topic,
    check_message,
    display_name,
    reminder_due,
)
from bot.services import buyer_data, support
from bot.services.support import SUPPORT_NOTICE
from bot.services.support_ports import SupportMessage
from storage.order_tables import NotificationRow
from storage.support_tables import SupportMessageRow, SupportThreadRow
from storage.tables import UserRow
from storage.unit_of_work import SqlUnitOfWorkFactory

ANN, BOB, OWNER, CLERK, LEADER = 61_001, 61_002, 61_900, 61_901, 61_902
GROUP = -100_6100
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HOURS = timedelta(hours=4)


# The domain ---------------------------------------------------------------------------------


def test_a_message_is_some_text_or_a_photo() -> None:
    assert check_message("  hello ") == "hello"
    assert check_message("   ") is SupportRefusal.EMPTY
    assert check_message(None) is SupportRefusal.EMPTY
    assert check_message("", photo="AgAD") == ""
    assert check_message("x" * MAX_TEXT) == "x" * MAX_TEXT
    assert check_message("x" * (MAX_TEXT + 1)) is SupportRefusal.TOO_LONG


def test_a_reminder_is_due_once_per_interval_while_unanswered() -> None:
    assert not reminder_due(None, None, NOW, HOURS)  # answered
    assert not reminder_due(NOW, None, NOW + HOURS - timedelta(seconds=1), HOURS)
    assert reminder_due(NOW, None, NOW + HOURS, HOURS)
    reminded = NOW + HOURS
    assert not reminder_due(NOW, reminded, reminded + timedelta(hours=1), HOURS)
    assert reminder_due(NOW, reminded, reminded + HOURS, HOURS)
    assert not reminder_due(NOW, None, NOW + HOURS, timedelta(0))


def test_the_staff_see_the_buyer_by_name_and_username() -> None:
    assert display_name("Ann", "ann_lee") == "Ann (@ann_lee)"
    assert display_name(" ", None) == "?"


# The service --------------------------------------------------------------------------------


async def _people(uows: SqlUnitOfWorkFactory) -> int:
    """Ann and Bob (buyers), a staff member and a group-buy leader; a product's id."""
    async with uows() as uow:
        for who, name in ((ANN, "Ann"), (BOB, "Bob"), (CLERK, "Cleo"), (LEADER, "Leo")):
            await uow.buyers.touch(who, name, name.lower(), "en", NOW)
        await uow.staff.add(CLERK, Role.STAFF, OWNER, NOW)
        [product] = await uow.catalog.search_ids(["konjac"], 5)
        await uow.commit()
    return product


async def _notices(uows: SqlUnitOfWorkFactory) -> list[tuple[int, dict[str, object]]]:
    async with uows.sessions() as s:
        rows = await s.execute(
            select(NotificationRow)
            .where(col(NotificationRow.kind) == SUPPORT_NOTICE)
            .order_by(col(NotificationRow.id))
        )
        return [(r.chat_id, json.loads(r.params)) for r in rows.scalars()]


async def test_messages_go_to_the_support_group_or_to_every_owner_and_staff_member(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    product = await _people(uows)
    async with uows() as uow:
        assert await support.staff_chats(uow, (OWNER,), GROUP) == [GROUP]
        everyone = await support.staff_chats(uow, (OWNER,), None)
        assert everyone == [OWNER, CLERK]  # not the leader: leaders do not answer buyers
        sent = await support.write(
            uow, ANN, Topic(product_id=product), "Is it vegan?", None, NOW, everyone
        )
        assert isinstance(sent, SupportMessage)
        await uow.commit()
    assert await _notices(uows) == [(OWNER, {"message": sent.id}), (CLERK, {"message": sent.id})]


async def test_one_thread_per_topic_a_closed_one_reopens_and_answers_clear_the_wait(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    product = await _people(uows)
    topic = Topic(product_id=product)
    async with uows() as uow:
        first = await support.write(uow, ANN, topic, "Is it vegan?", None, NOW, [GROUP])
        later = NOW + timedelta(minutes=5)
        second = await support.write(uow, ANN, topic, "", "AgAD-photo", later, [GROUP])
        general = await support.write(uow, ANN, Topic(), "Do you ship to Canada?", None, NOW, [])
        await uow.commit()
    assert isinstance(first, SupportMessage) and isinstance(second, SupportMessage)
    assert isinstance(general, SupportMessage)
    assert first.thread_id == second.thread_id != general.thread_id
    async with uows() as uow:
        thread = await uow.support.thread(first.thread_id)
        assert thread is not None and thread.waiting_since == NOW  # from the first unanswered
        assert thread.subject == "Spicy Konjac Jelly (10 pack)"
        answered = await support.answer(uow, CLERK, thread.id, " Yes, it is. ", NOW)
        assert not isinstance(answered, SupportRefusal)
        assert answered[1].text == "Yes, it is."
        assert await support.answer(uow, CLERK, thread.id, "  ", NOW) is SupportRefusal.EMPTY
        await uow.commit()
    async with uows() as uow:
        # The waiting thread comes first in the staff's list.
        assert [t.id for t in await uow.support.open_threads(10)] == [
            general.thread_id,
            first.thread_id,
        ]
        closed = await support.close(uow, first.thread_id, NOW)
        assert closed is not None
        assert await support.close(uow, 2**31 - 1, NOW) is None
        await uow.commit()
    async with uows() as uow:
        again = await support.write(uow, ANN, topic, "One more thing", None, NOW, [])
        await uow.commit()
    assert isinstance(again, SupportMessage) and again.thread_id == first.thread_id
    async with uows() as uow:
        thread = await uow.support.thread(first.thread_id)
        assert thread is not None and thread.status is ThreadStatus.OPEN
        texts = [m.text for m in await uow.support.messages(thread.id, 10)]
    assert texts == ["Is it vegan?", "", "Yes, it is.", "One more thing"]


async def test_a_buyer_reaches_only_their_own_threads_and_orders(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    await _people(uows)
    async with uows() as uow:
        ann = await support.write(uow, ANN, Topic(), "Hello", None, NOW, [GROUP])
        assert isinstance(ann, SupportMessage)
        forged = await support.write_in(uow, BOB, ann.thread_id, "Mine now", None, NOW, [GROUP])
        assert forged is SupportRefusal.NOT_FOUND
        assert await support.own_thread(uow, BOB, ann.thread_id) is None
        assert await support.own_thread(uow, ANN, ann.thread_id) is not None
        not_hers = await support.write(uow, ANN, Topic(order_id=999), "?", None, NOW, [GROUP])
        assert not_hers is SupportRefusal.NOT_FOUND
        gone = await support.write(uow, ANN, Topic(product_id=999_999), "?", None, NOW, [])
        assert gone is SupportRefusal.NOT_FOUND
        await uow.commit()
    assert len(await _notices(uows)) == 1  # Ann's message only


async def test_reminders_are_claimed_once_per_interval_until_answered(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    await _people(uows)
    async with uows() as uow:
        sent = await support.write(uow, ANN, Topic(), "Hello?", None, NOW, [])
        assert isinstance(sent, SupportMessage)
        await uow.commit()

    async def remind(at: datetime) -> int:
        async with uows() as uow:
            done = await support.remind_due(uow, at, HOURS, [GROUP])
            await uow.commit()
        return done

    assert await remind(NOW + HOURS - timedelta(minutes=1)) == 0
    # Two processes' jobs at the same moment: one of them reminds.
    assert sorted(await asyncio.gather(remind(NOW + HOURS), remind(NOW + HOURS))) == [0, 1]
    assert await remind(NOW + HOURS + timedelta(hours=1)) == 0
    assert await remind(NOW + 2 * HOURS) == 1
    assert [p for _, p in await _notices(uows)] == [{"thread": sent.thread_id, "remind": 1}] * 2
    async with uows() as uow:
        await support.answer(uow, CLERK, sent.thread_id, "Hi!", NOW + 2 * HOURS)
        await uow.commit()
    assert await remind(NOW + 5 * HOURS) == 0


async def test_staff_chat_posts_lead_back_to_their_thread(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    await _people(uows)
    async with uows() as uow:
        sent = await support.write(uow, ANN, Topic(), "Hello", None, NOW, [GROUP])
        assert isinstance(sent, SupportMessage)
        await uow.support.remember_post(GROUP, 77, sent.thread_id)
        await uow.support.remember_post(GROUP, 77, sent.thread_id)  # a retry: no error
        await uow.commit()
    async with uows() as uow:
        assert await uow.support.thread_of_post(GROUP, 77) == sent.thread_id
        assert await uow.support.thread_of_post(GROUP, 78) is None
        assert await uow.support.thread_of_post(OWNER, 77) is None


async def test_the_export_holds_the_buyers_threads_and_the_erasure_erases_the_texts(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    uows = demo_uows
    await _people(uows)
    async with uows() as uow:
        ann = await support.write(uow, ANN, Topic(), "My secret question", "AgAD", NOW, [])
        bob = await support.write(uow, BOB, Topic(), "Bob's question", None, NOW, [])
        assert isinstance(ann, SupportMessage) and isinstance(bob, SupportMessage)
        await support.answer(uow, CLERK, ann.thread_id, "Our answer", NOW)
        await uow.support.remember_post(GROUP, 5, ann.thread_id)
        await uow.commit()
    async with uows() as uow:
        document = json.loads(await buyer_data.export(uow, ANN, NOW, "Shop"))
    [thread] = document["support_threads"]
    assert [m["text"] for m in thread["messages"]] == ["My secret question", "Our answer"]
    assert thread["messages"][0]["photo"] is True
    assert "Bob's question" not in json.dumps(document)
    assert str(CLERK) not in json.dumps(document["support_threads"])
    async with uows() as uow:
        erased = await buyer_data.erase(uow, ANN, ANN, NOW)
        await uow.commit()
    assert erased.holds == [] and erased.rows["support_threads"] == 1
    async with uows.sessions() as s:
        texts = (await s.execute(select(SupportMessageRow.text))).scalars().all()
        owners = (await s.execute(select(SupportThreadRow.buyer_id))).scalars().all()
        assert await s.get(UserRow, ANN) is None
    assert sorted(texts) == ["", "", "Bob's question"]
    assert ANN not in owners and BOB in owners
    async with uows() as uow:
        assert await uow.support.thread_of_post(GROUP, 5) is None
        assert await uow.support.buyer_threads(ANN, 10) == []


def test_a_long_photo_caption_is_cut_to_what_telegram_takes() -> None:
    from bot.conversation.screens.support_text import staff_post
    from bot.conversation.texts import texts
    from bot.domain.support import Author
    from bot.services.support_ports import SupportThread

    thread = SupportThread(
        1, ANN, Topic(product_id=3), "N" * 128, ThreadStatus.OPEN, NOW, NOW, NOW
    )
    words = "<" * MAX_TEXT  # escaped, each is four characters of HTML and one shown
    photo = SupportMessage(1, 1, Author.BUYER, ANN, words, "AgAD", NOW)
    caption, _ = staff_post(texts("en"), thread, "B" * 64, photo)
    assert len(caption.replace("&lt;", "<")) <= 1024 and "…" in caption
    plain = SupportMessage(2, 1, Author.BUYER, ANN, words, None, NOW)
    text, _ = staff_post(texts("en"), thread, "B" * 64, plain)
    assert text.count("&lt;") == MAX_TEXT  # a text message keeps it whole
