"""Drops end to end, on aiogram and on python-telegram-bot: a drop reaches each subscriber once,
/stop keeps a buyer out, a 403 unsubscribes, 429s are waited out, the merchant's progress
message is edited in place, the daily cap holds, and a video Telegram refuses halts the drop."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.drops import DropError, DropStatus, MediaKind
from bot.services import drops
from storage.tables import UserRow
from tests.e2e.harness import ADMIN_ID, RunningShop, keyboard_texts, only

TEXT = "🔥 New drop: Spicy Konjac Jelly is back <in stock>!"


async def _compose(shop: RunningShop, audience: str = "all", **kw: object) -> int:
    async with shop.uows() as uow:
        drop_id = await drops.compose(
            uow,
            str(kw.get("text", TEXT)),
            kw.get("media", MediaKind.NONE),  # type: ignore[arg-type]
            kw.get("source"),  # type: ignore[arg-type]
            list(kw.get("buttons", ["buy:KJ-10"])),  # type: ignore[call-overload]
            audience,
            False,
            datetime.now(UTC),
        )
        await uow.commit()
    return drop_id


async def _send(shop: RunningShop, drop_id: int, per_day: int = 2) -> int:
    async with shop.uows() as uow:
        started = await drops.send(uow, drop_id, per_day, datetime.now(UTC))
        await uow.commit()
    await shop.drops.run(drop_id)
    return started.recipients


def _got(chat: object) -> int:
    return sum(
        TEXT.replace("<", "&lt;").replace(">", "&gt;")[:20] in m.get("text", "")
        or TEXT[:20] in m.get("text", "")
        for m in chat.messages()
    )  # type: ignore[attr-defined]


async def test_a_drop_reaches_each_subscriber_once_and_403_unsubscribes(
    shop: RunningShop,
) -> None:
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    ann, bob, cyd, dan = (
        shop.standin.private_chat(6000 + i, name)
        for i, name in enumerate(["Ann", "Bob", "Cyd", "Dan"], 1)
    )
    for chat in (ann, bob, cyd, dan):
        await shop.send(chat, "/start")
    calls = await shop.send(cyd, "/stop")
    assert "won't get drops any more" in only(calls, "sendMessage")[0].params["text"]
    shop.standin.block_chat(dan.id)
    shop.standin.fail_next("sendMessage", error_code=429, retry_after=1, chat_id=bob.id)

    drop_id = await _compose(shop)
    assert await _send(shop, drop_id) == 3  # Ann, Bob and Dan; Cyd said /stop
    for chat, expected in ((ann, 1), (bob, 1), (cyd, 0), (dan, 0)):
        assert _got(chat) == expected, chat.id
    last = ann.messages()[-1]
    assert "&lt;in stock&gt;" not in last["text"] and "<in stock>" in last["text"]
    assert keyboard_texts(last) == ["⚡ Buy now", "🔕 Fewer like this"]
    async with shop.uows.engine.connect() as conn:
        blocked = await conn.scalar(select(UserRow.blocked).where(UserRow.id == dan.id))  # type: ignore[arg-type]
    assert blocked is True
    # The merchant's one progress message, edited in place into the final report.
    reports = [m for m in owner.messages() if f"Drop #{drop_id}" in m.get("text", "")]
    assert len(reports) == 1 and "done: 2 of 3 sent, 1 not delivered" in reports[0]["text"]
    # Running it again sends nothing more.
    mark = len(shop.standin.calls)
    await shop.drops.run(drop_id)
    assert not only(shop.standin.calls[mark:], "sendMessage")

    # The next drop: Dan (blocked) and Cyd (stopped) stay out; with a cap of 1 a day, Ann and
    # Bob already had theirs.
    second = await _compose(shop)
    async with shop.uows() as uow:
        with_cap = await drops.send(uow, second, 1, datetime.now(UTC))
        await uow.commit()
    assert with_cap.recipients == 2
    progress = await shop.drops.run(second)
    assert progress is not None and progress.sent == 0 and progress.failed == 2
    assert _got(ann) == 1 and _got(bob) == 1
    # Cyd says /start again: back on the list.
    await shop.send(cyd, "/start")
    third = await _compose(shop)
    await _send(shop, third, per_day=5)
    assert _got(cyd) == 1

    # A press on the drop's button opens checkout.
    calls = await shop.press(ann, ann.messages()[-1], "⚡ Buy now")
    assert "How would you like" in str(calls) or only(calls, "sendInvoice")


async def test_a_drop_nobody_is_in_and_a_video_telegram_refuses(shop: RunningShop) -> None:
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    await shop.send(owner, "/start")
    empty = await _compose(shop, "lang:fr")
    async with shop.uows() as uow:
        try:
            await drops.send(uow, empty, 2, datetime.now(UTC))
        except DropError as exc:
            assert "nobody is in this audience" in str(exc)
        else:
            raise AssertionError("a drop to nobody was started")
    ann = shop.standin.private_chat(6011, "Ann")
    await shop.send(ann, "/start")
    video = await _compose(
        shop, media=MediaKind.VIDEO, source="https://cdn.example.com/teaser.mp4"
    )
    shop.standin.fail_next(
        "sendVideo",
        error_code=400,
        description="Bad Request: wrong file identifier/HTTP URL specified",
        times=50,
    )
    await _send(shop, video)
    async with shop.uows() as uow:
        halted = await uow.drops.get(video)
    assert halted is not None and halted.status is DropStatus.HALTED
    assert "wrong file identifier" in (halted.reason or "").lower()
    assert any("Telegram refused its content" in m.get("text", "") for m in owner.messages())
    assert _got(ann) == 0


async def test_a_paid_drop_asks_for_allow_paid_broadcast(shop: RunningShop) -> None:
    ann = shop.standin.private_chat(6021, "Ann")
    await shop.send(ann, "/start")
    async with shop.uows() as uow:
        now = datetime.now(UTC)
        paid = await drops.compose(uow, TEXT, MediaKind.NONE, None, [], "all", True, now)
        free = await drops.compose(uow, TEXT, MediaKind.NONE, None, [], "all", False, now)
        await uow.commit()
    mark = len(shop.standin.calls)
    await _send(shop, paid)
    await _send(shop, free)
    sends = [
        c for c in only(shop.standin.calls[mark:], "sendMessage") if c.params["chat_id"] == ann.id
    ]
    assert [c.params.get("allow_paid_broadcast") for c in sends] == [True, None]
    assert not shop.standin.violations
