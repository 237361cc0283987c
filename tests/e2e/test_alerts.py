"""Alerts the buyer controls, end to end on aiogram and on python-telegram-bot: a buyer who
turned drops off, reached their daily cap or is in quiet hours does not get a drop while the
others do; the one in quiet hours gets it when they end (the clock is moved and the release
job run, no sleeping), once; the merchant sees the reach before sending and the counts after;
"🔕 Fewer like this" opens the settings and turns the kind off in one tap."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.domain.drops import MediaKind
from bot.jobs.scheduler import flash_sale_timers, release_held_drops
from bot.services import drops
from bot.services.alerts import AlertPolicy
from tests.e2e.harness import (
    ADMIN_ID,
    RunningShop,
    advance,
    keyboard_texts,
    last_message,
    only,
    sale_card,
    schedule_sale,
)

FEWER = "🔕 Fewer like this"


def _real_defaults(shop: RunningShop) -> None:
    """The shop's production defaults: 3 a day, quiet hours 22:00-08:00, zone UTC."""
    policy = AlertPolicy()
    shop.storefront.config.alerts = policy
    shop.drops.alerts = policy


def _offset_for(now: datetime, hour: int) -> int:
    """A whole-hour UTC offset (-12..+14) at which it is ``hour`` o'clock now."""
    return next(h for h in range(-12, 15) if (now + timedelta(hours=h)).hour == hour)


async def _compose(shop: RunningShop, text: str) -> int:
    async with shop.uows() as uow:
        drop_id = await drops.compose(
            uow, text, MediaKind.NONE, None, ["buy:KJ-10"], "all", False, shop.now()
        )
        await uow.commit()
    return drop_id


async def _send(shop: RunningShop, drop_id: int) -> None:
    async with shop.uows() as uow:
        await drops.send(uow, drop_id, 0, shop.now(), shop.storefront.config.alerts)
        await uow.commit()
    await shop.drops.run(drop_id)


def _got(chat: Any, text: str) -> int:
    return sum(text in (m.get("text") or "") for m in chat.messages())


async def test_drops_honour_kinds_caps_and_quiet_hours(shop: RunningShop) -> None:
    _real_defaults(shop)
    day = _offset_for(shop.now(), 12)
    night = _offset_for(shop.now(), 2)
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    ann, bob, cyd, dan = (
        shop.standin.private_chat(7100 + i, name)
        for i, name in enumerate(["Ann", "Bob", "Cyd", "Dan"], 1)
    )
    for chat in (owner, ann, bob, cyd):
        await shop.send(chat, "/start")
        await shop.send(chat, f"/alerts tz {day:+d}")
    await shop.send(dan, "/start")
    calls = await shop.send(dan, f"/alerts tz {night:+d}")
    said = " ".join(c.params["text"] for c in only(calls, "sendMessage"))
    assert "Saved" in said and "Quiet hours: 22:00–08:00" in said
    # Cyd turns drops off; Bob wants at most one marketing message a day.
    await shop.press(cyd, last_message(cyd), "✅ Drops")
    assert "🚫 Drops" in keyboard_texts(last_message(cyd))
    await shop.press(bob, last_message(bob), "1")
    assert "At most 1 a day" in last_message(bob)["text"]

    first = await _compose(shop, "Drop one: konjac is back")
    await shop.send(owner, "/admin")
    await shop.press_data(owner, last_message(owner)["message_id"], f"za:dr_send:{first}:0")
    confirm = last_message(owner)
    assert "It will reach 3 of 5 subscribers now; 1 held by quiet hours" in confirm["text"]
    assert "1 opted out or at their daily limit" in confirm["text"]
    await shop.press(owner, confirm, "✅ Send to 5")
    await shop.drops.run(first)
    for chat, expected in ((ann, 1), (bob, 1), (cyd, 0), (dan, 0)):
        assert _got(chat, "Drop one") == expected, chat.id
    assert FEWER in keyboard_texts(last_message(ann))
    report = next(m for m in owner.messages() if f"Drop #{first} done" in (m.get("text") or ""))
    assert "Sent 3; held by quiet hours 1" in report["text"] and "skipped 1" in report["text"]

    await shop.press_data(owner, last_message(owner)["message_id"], "za:dr_list:0:0")
    listing = last_message(owner)
    assert f"#{first} · done" in listing["text"] and "3/5 sent" in listing["text"]
    assert "⏸ held 1 · skipped 1" in listing["text"]

    second = await _compose(shop, "Drop two: chilli oil")
    await _send(shop, second)
    for chat, expected in ((ann, 1), (bob, 0), (cyd, 0), (dan, 0)):
        assert _got(chat, "Drop two") == expected, chat.id  # Bob had his one today
    # Before Dan's quiet hours end nothing is released.
    assert await shop.drops.release_held() == []

    advance(shop, timedelta(hours=7))  # 09:xx at Dan's
    await release_held_drops(shop.drops)  # the scheduler's job, run by hand
    await shop.drops.idle()
    assert _got(dan, "Drop one") == 1 and _got(dan, "Drop two") == 1
    # Nobody gets anything twice, however often the job runs.
    assert await shop.drops.release_held() == []
    await shop.drops.idle()
    for chat, one, two in ((ann, 1, 1), (bob, 1, 0), (cyd, 0, 0), (dan, 1, 1)):
        assert (_got(chat, "Drop one"), _got(chat, "Drop two")) == (one, two), chat.id
    async with shop.uows() as uow:
        progress = await uow.drops.progress(first)
    assert (progress.sent, progress.held, progress.skipped) == (4, 0, 1)


async def test_a_held_drop_no_longer_relevant_is_skipped(shop: RunningShop) -> None:
    _real_defaults(shop)
    dan = shop.standin.private_chat(7201, "Dan")
    await shop.send(dan, "/start")
    await shop.send(dan, f"/alerts tz {_offset_for(shop.now(), 23):+d}")
    drop_id = await _compose(shop, "Old news drop")
    await _send(shop, drop_id)
    assert _got(dan, "Old news drop") == 0
    advance(shop, timedelta(hours=30))  # quiet hours long over, and a day has passed
    assert await shop.drops.release_held() == []
    async with shop.uows() as uow:
        progress = await uow.drops.progress(drop_id)
    assert (progress.sent, progress.held, progress.skipped) == (0, 0, 1)
    assert _got(dan, "Old news drop") == 0


async def test_fewer_like_this_opens_the_settings_and_turns_the_kind_off(
    shop: RunningShop,
) -> None:
    ann = shop.standin.private_chat(7301, "Ann")
    await shop.send(ann, "/start")
    await _send(shop, await _compose(shop, "First drop for Ann"))
    drop_message = last_message(ann)
    assert "First drop for Ann" in drop_message["text"]
    assert keyboard_texts(drop_message) == ["⚡ Buy now", FEWER]

    calls = await shop.press(ann, drop_message, FEWER)
    settings = only(calls, "sendMessage")[0].params
    assert "fewer messages like that one (Drops)" in settings["text"]
    assert "First drop for Ann" in _message(ann, drop_message["message_id"])["text"]  # kept
    await shop.press(ann, last_message(ann), "🔕 Turn off Drops")
    after = last_message(ann)
    assert "Drops: off" in after["text"] and "🚫 Drops" in keyboard_texts(after)

    second = await _compose(shop, "Second drop for Ann")
    await _send(shop, second)
    assert _got(ann, "Second drop for Ann") == 0
    async with shop.uows() as uow:
        progress = await uow.drops.progress(second)
    assert progress.skipped == 1 and progress.sent == 0


async def test_alert_settings_take_bad_input_and_speak_chinese(shop: RunningShop) -> None:
    mei = shop.standin.private_chat(7401, "Mei", language_code="zh-hans")
    await shop.send(mei, "/start")
    calls = await shop.send(mei, "/alerts")
    text = only(calls, "sendMessage")[0].params["text"]
    assert "我的提醒" in text and "Asia/Shanghai" in text  # the zone guessed from Chinese
    screen = last_message(mei)
    calls = await shop.send(mei, "/alerts tz +99")
    assert "UTC 时差范围" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(mei, "/alerts quiet 8-8")
    assert "免打扰时段的格式" in only(calls, "sendMessage")[0].params["text"]
    await shop.press(mei, screen, "🌍 时区：Asia/Shanghai")
    await shop.press(mei, screen["message_id"], "⌨️ 输入 UTC 时差")
    calls = await shop.send(mei, "somewhere")
    assert "无法识别这个时区" in only(calls, "sendMessage")[0].params["text"]
    calls = await shop.send(mei, "+9")
    said = " ".join(c.params["text"] for c in only(calls, "sendMessage"))
    assert "已保存" in said and "UTC+09:00" in said
    calls = await shop.send(mei, "/alerts quiet off")
    assert "免打扰时段：关闭" in " ".join(c.params["text"] for c in only(calls, "sendMessage"))


def _message(chat: Any, message_id: int) -> dict[str, Any]:
    return next(m for m in chat.messages() if m["message_id"] == message_id)  # type: ignore[no-any-return]


async def test_flash_sale_alerts_wait_for_quiet_hours_while_the_sale_is_on(
    shop: RunningShop,
) -> None:
    _real_defaults(shop)
    now = shop.now()
    # Ann is in the middle of her day; Dan's quiet hours end 5-6 hours from now, Eve's 8-9
    # hours from now; the sale is on from 30 minutes to 7 and a half hours from now.
    zones = (_offset_for(now, 12), _offset_for(now, 2), _offset_for(now, 23))
    sale_id = await schedule_sale(
        shop, starts_in=timedelta(minutes=30), lasting=timedelta(hours=7)
    )
    ann, dan, eve = (
        shop.standin.private_chat(7500 + i, name)
        for i, name in enumerate(["Ann", "Dan", "Eve"], 1)
    )
    for chat, offset in zip((ann, dan, eve), zones, strict=True):
        await shop.send(chat, f"/alerts tz {offset:+d}")
        await shop.press(chat, await sale_card(shop, chat, sale_id), "🔔 Notify me")

    advance(shop, timedelta(minutes=31))  # the sale is live
    await flash_sale_timers(shop.worker)
    await shop.worker.idle()
    await shop.settle()
    live = "Flash sale is live"
    assert [_got(c, live) for c in (ann, dan, eve)] == [1, 0, 0]
    assert keyboard_texts(last_message(ann)) == ["⚡ Grab it", FEWER]

    advance(shop, timedelta(hours=6))  # Dan's quiet hours are over, Eve's not yet
    await shop.worker.flush_notices()
    assert [_got(c, live) for c in (ann, dan, eve)] == [1, 1, 0]
    advance(shop, timedelta(hours=3, minutes=30))  # Eve's are over, and so is the sale
    await shop.worker.flush_notices()
    await shop.worker.flush_notices()
    assert [_got(c, live) for c in (ann, dan, eve)] == [1, 1, 0]  # once each; Eve's dropped
    async with shop.uows() as uow:
        assert await uow.notices.pending(10, shop.now()) == []

    # "Fewer like this" on the alert: flash sales off in one tap.
    alert = next(m for m in dan.messages() if live in (m.get("text") or ""))
    await shop.press(dan, alert, FEWER)
    await shop.press(dan, last_message(dan), "🔕 Turn off Flash sales")
    assert "Flash sales: off" in last_message(dan)["text"]


async def test_order_updates_are_never_capped_or_held(shop: RunningShop) -> None:
    _real_defaults(shop)
    dan = shop.standin.private_chat(7601, "Dan")
    await shop.send(dan, f"/alerts tz {_offset_for(shop.now(), 3):+d}")  # in quiet hours
    await shop.press(dan, last_message(dan), "0")  # and no marketing at all
    assert "At most 0 a day" in last_message(dan)["text"]
    async with shop.uows() as uow:
        await uow.notices.add(dan.id, "order_shipped", {"order": 41}, shop.now())
        await uow.notices.add(dan.id, "refund_done", {"order": 41}, shop.now())
        await uow.commit()
    await shop.worker.flush_notices()
    assert _got(dan, "Order #41 has shipped") == 1 and _got(dan, "Refund of") == 1
    # A drop meanwhile is skipped (his cap is 0), however his quiet hours end.
    drop_id = await _compose(shop, "Drop for nobody")
    await _send(shop, drop_id)
    advance(shop, timedelta(hours=6))
    await release_held_drops(shop.drops)
    await shop.drops.idle()
    assert _got(dan, "Drop for nobody") == 0
