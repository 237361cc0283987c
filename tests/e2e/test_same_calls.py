"""One bot, two frameworks: the same scenario must make the same Bot API calls on both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.standin import RecordedCall
from tests.e2e.harness import ADMIN_ID, RunningShop, start_shop, stop_shop

_VOLATILE = {"callback_query_id"}


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "<id>" if k in _VOLATILE else _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


def transcript(calls: list[RecordedCall], file_ids: set[str]) -> list[tuple[str, Any]]:
    out = []
    for call in calls:
        params = _normal(call.params)
        for key in ("video", "photo"):
            if isinstance(params.get(key), str) and params[key] in file_ids:
                params[key] = "<file_id>"
        media = params.get("media")
        if (
            isinstance(media, dict)
            and isinstance(media.get("media"), str)
            and (media["media"] in file_ids)
        ):
            media["media"] = "<file_id>"
        out.append((call.method, params))
    return out


async def _scenario(shop: RunningShop) -> list[tuple[str, Any]]:
    ann = shop.standin.private_chat(3001, "Ann", language_code="en")
    mark = len(shop.standin.calls)
    await shop.send(ann, "/start")
    await shop.send(ann, "/catalog")
    await shop.press(ann, ann.last_message(), "Snacks (2)")  # type: ignore[arg-type]
    card = ann.last_message()
    await shop.press(ann, card, "▶")  # type: ignore[arg-type]
    await shop.press(ann, card, "▶")  # type: ignore[arg-type]
    await shop.press(ann, card, "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.send(ann, "/start p_6")
    await shop.press(ann, ann.last_message(), "🛒 Add to cart")  # type: ignore[arg-type]
    await shop.press(ann, ann.last_message(), "White · $39.99")  # type: ignore[arg-type]
    await shop.send(ann, "/cart")
    await shop.press(ann, ann.last_message(), "+")  # type: ignore[arg-type]
    await shop.send(ann, "/lang")
    await shop.press(ann, ann.last_message(), "简体中文")  # type: ignore[arg-type]
    await shop.send(ann, "nothing-like-this")
    await shop.push(ann.send_sticker())
    # A live show: pinned in a group, swapped (edited, then replaced), ended; and a channel's.
    group = shop.standin.group_chat(-100_3100, "Live")
    owner = shop.standin.private_chat(ADMIN_ID, "Owner")
    shop.standin.channel_chat(-100_3200, "Channel", username="same_live")
    for chat, args in [(group, a) for a in ("KJ-10", "DM-250", "PT-1", "end")] + [
        (owner, "@same_live EB-1"),
        (owner, "@same_live end"),
    ]:
        await shop.send(chat, f"/live {args}", from_user=owner.default_user)
        await shop.settle()
    calls = [c for c in shop.standin.calls[mark:] if c.method != "getUpdates"]
    file_ids = {
        str(c.response[k]["file_id"])  # type: ignore[index]
        for c in calls
        if isinstance(c.response, dict)
        for k in ("video",)
        if k in c.response
    } | {
        str(c.response["photo"][-1]["file_id"])  # type: ignore[index]
        for c in calls
        if isinstance(c.response, dict) and "photo" in c.response
    }
    return transcript(calls, file_ids)


async def test_aiogram_and_ptb_make_the_same_calls(tmp_path: Path) -> None:
    transcripts = {}
    for framework in ("aiogram", "ptb"):
        shop = await start_shop(framework, tmp_path / framework)  # type: ignore[arg-type]
        try:
            transcripts[framework] = await _scenario(shop)
        finally:
            await stop_shop(shop)
        assert shop.standin.violations == []
    aiogram, ptb = transcripts["aiogram"], transcripts["ptb"]
    assert [m for m, _ in aiogram] == [m for m, _ in ptb]
    for (method, a), (_, p) in zip(aiogram, ptb, strict=True):
        assert a == p, method
    assert len(aiogram) > 20
    methods = {m for m, _ in aiogram}
    assert {"pinChatMessage", "unpinChatMessage", "getChat", "editMessageMedia"} <= methods
