"""Inline mode end to end, on aiogram and on python-telegram-bot: ``@bot words`` offers the
products to post (cached video, photo or text card, a Buy button deep-linking ``p_<id>``),
10 a page; a posted result counts as a share; cards and orders carry a Share button."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.services.catalog_import import import_catalog, read_catalog
from bot.standin import SimUser
from bot.standin.spec import PACKAGED_SPEC
from bot.standin.type_check import ObjectType, read_types
from storage.admin_tables import InteractionRow
from tests.e2e.harness import RunningShop, keyboard_texts, only, start_shop, stop_shop
from tests.helpers import SHARED_SPEC

TEAS = 12


@cache
def _types() -> dict[str, ObjectType]:
    """The Bot API's types: the shared description, or the compact copy shipped in the package
    where the shared folder is absent (both read into the same table)."""
    path = SHARED_SPEC if SHARED_SPEC.is_file() else PACKAGED_SPEC
    return read_types(json.loads(path.read_text(encoding="utf-8"))["types"])


def _fits(type_name: str, value: Any) -> bool:
    """``value`` is a valid ``type_name`` of the Bot API description."""
    if type_name.startswith("Array of "):
        inner = type_name[len("Array of ") :]
        return isinstance(value, list) and all(_fits(inner, v) for v in value)
    simple = {"String": str, "Integer": int, "Boolean": bool, "Float": (int, float)}
    if type_name in simple:
        return isinstance(value, simple[type_name])
    entry = _types()[type_name]
    if entry.subtypes:
        return any(_fits(sub, value) for sub in entry.subtypes)
    fields = {f.name: f for f in entry.fields}
    if not isinstance(value, dict) or set(value) - set(fields):
        return False
    for name, field in fields.items():
        if name not in value:
            if field.required:
                return False
            continue
        if field.constant is not None and value[name] != field.constant:
            return False
        if not any(_fits(t, value[name]) for t in field.types):
            return False
    return True


def _result_type(result: dict[str, Any]) -> str:
    [name] = [
        n
        for n in _types()["InlineQueryResult"].subtypes
        if _fits(n, result) and n.startswith("InlineQueryResult")
    ]
    return str(name)


async def _ask(shop: RunningShop, user: SimUser, query: str, offset: str = "") -> dict[str, Any]:
    mark = len(shop.standin.calls)
    user.inline_query(query, offset=offset)
    await shop.settle()
    [answer] = only(shop.standin.calls[mark:], "answerInlineQuery")
    assert answer.ok, answer.response
    return answer.params


def _names(params: dict[str, Any]) -> list[str]:
    return [r["title"] for r in params["results"]]


async def _add_teas(shop: RunningShop, tmp_path: Path) -> None:
    lines = ["currency: USD", "categories:", "  - {slug: tea, name: Tea}", "products:"]
    for n in range(1, TEAS + 2):
        photo = "    photo: https://cdn.example.com/tea.jpg\n" if n == 3 else ""
        stock = 0 if n == TEAS + 1 else 20
        lines.append(
            f"  - slug: oolong-{n:02}\n    name: Oolong Tea {n:02}\n    category: tea\n"
            f"    description: Roasted oolong, 100 g.\n{photo}"
            f"    sku: OO-{n:02}\n    price: 899\n    stock: {stock}"
        )
    path = tmp_path / "teas.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    await import_catalog(shop.uows, read_catalog(path))


async def _shares(shop: RunningShop, user_id: int) -> list[int]:
    async with shop.uows.engine.connect() as conn:
        rows = await conn.execute(
            select(InteractionRow.product_id).where(
                InteractionRow.user_id == user_id,  # type: ignore[arg-type]
                InteractionRow.kind == "share",  # type: ignore[arg-type]
            )
        )
        return [int(r[0]) for r in rows.all()]


async def test_words_find_products_as_valid_results_with_a_buy_link(shop: RunningShop) -> None:
    ann = shop.standin.user(6001, "Ann")
    params = await _ask(shop, ann, "konjac")
    [card] = params["results"]
    assert _result_type(card) == "InlineQueryResultArticle"  # the teaser was never uploaded
    assert card["id"] == "p:3" and card["title"] == "Spicy Konjac Jelly (10 pack)"
    assert "<b>Spicy Konjac Jelly (10 pack)</b>" in card["input_message_content"]["message_text"]
    assert card["description"] == "$4.99 · In stock"
    buy, more = card["reply_markup"]["inline_keyboard"][0]
    assert buy == {"text": "🛒 Buy", "url": "https://t.me/shop_e2e_bot?start=p_3"}
    assert more["url"] == "https://t.me/shop_e2e_bot?start=shop"
    assert params.get("is_personal") in (None, False) and params["cache_time"] == 30
    assert not params.get("next_offset")

    # Once Telegram has the teaser (a card was sent), results are the cached video itself.
    chat = shop.standin.private_chat(6001, "Ann")
    [sent] = only(await shop.send(chat, "/start p_3"), "sendVideo")
    file_id = sent.response["video"]["file_id"]
    await shop.send(chat, "/start p_4")  # Dried Mango's photo, uploaded once
    params = await _ask(shop, ann, "konjac")
    [video] = params["results"]
    assert _result_type(video) == "InlineQueryResultCachedVideo"
    assert video["video_file_id"] == file_id and "$4.99" in video["caption"]
    assert video["parse_mode"] == "HTML"
    [photo] = (await _ask(shop, ann, "mango"))["results"]
    assert _result_type(photo) == "InlineQueryResultCachedPhoto"
    # A buyer following the Buy link gets the product's card.
    calls = await shop.send(chat, "/start p_3")
    assert "Spicy Konjac Jelly" in only(calls, "sendVideo")[0].params["caption"]


async def test_pages_of_ten_then_none_and_forged_offsets_are_harmless(
    shop: RunningShop, tmp_path: Path
) -> None:
    await _add_teas(shop, tmp_path)
    bo = shop.standin.user(6002, "Bo")
    first = await _ask(shop, bo, "oolong")
    assert _names(first) == [f"Oolong Tea {n:02}" for n in range(1, 11)]
    assert first["next_offset"] == "1"
    assert all(_fits("InlineQueryResult", r) for r in first["results"])
    url_photo = first["results"][2]
    assert _result_type(url_photo) == "InlineQueryResultPhoto"
    assert url_photo["photo_url"] == "https://cdn.example.com/tea.jpg"
    second = await _ask(shop, bo, "oolong", first["next_offset"])
    # The sold-out 13th tea is not offered: a shared card should lead to something to buy.
    assert _names(second) == ["Oolong Tea 11", "Oolong Tea 12"]
    assert not second.get("next_offset")
    for forged in ("abc", "-1", "1e9", "x" * 64):
        assert _names(await _ask(shop, bo, "oolong", forged)) == _names(first)
    assert (await _ask(shop, bo, "oolong", "999"))["results"] == []
    assert (await _ask(shop, bo, "no such tea anywhere"))["results"] == []
    everything = await _ask(shop, bo, "")
    assert len(everything["results"]) == 10 and everything["next_offset"] == "1"
    assert _names(everything)[0] == "Air Runner"  # nothing sold yet: the catalog's order
    assert "Mini Projector" not in _names(everything)  # sold out
    assert all(_fits("InlineQueryResult", r) for r in everything["results"])
    long_words = await _ask(shop, bo, "oolong " * 40)
    assert len(long_words["results"]) == 10


async def test_a_chosen_result_counts_as_one_share(shop: RunningShop) -> None:
    cy = shop.standin.user(6003, "Cy")
    await _ask(shop, cy, "konjac")
    await shop.push(cy.choose_inline_result("p:3", "konjac", inline_message_id="AAQ-1"))
    assert await _shares(shop, 6003) == [3]
    for junk in ("p:abc", "p:0", "p:99999", "p:99999999999999", "g_1", "x" * 64):
        await shop.push(cy.choose_inline_result(junk, "konjac"))
    assert await _shares(shop, 6003) == [3]
    assert only(shop.standin.calls, "sendMessage") == []  # nothing said to anyone


async def test_card_and_order_share_buttons_lead_with_their_products(shop: RunningShop) -> None:
    di = shop.standin.private_chat(6004, "Di")
    await shop.send(di, "/start p_7")
    card = di.last_message()
    assert card is not None and keyboard_texts(card)[-1] == "📤 Share"
    share = card["reply_markup"]["inline_keyboard"][-1][0]
    assert share == {"text": "📤 Share", "switch_inline_query": "p_7"}
    user = shop.standin.user(6004, "Di")
    assert _names(await _ask(shop, user, share["switch_inline_query"])) == ["Phone Tripod"]
    # A sold-out product a person chose to share is still shown (as sold out).
    [projector] = (await _ask(shop, user, "p_5"))["results"]
    assert projector["description"] == "$129.00 · Sold out"
    # Gone products fall back to the shop's first products.
    assert len((await _ask(shop, user, "p_99999"))["results"]) == 7  # the demo's in stock
    # Beyond any row's id (PostgreSQL would refuse to look it up): forged, the same answer.
    assert len((await _ask(shop, user, "p_99999999999999"))["results"]) == 7

    await shop.press(di, card, "⚡ Buy now")
    await shop.press(di, di.last_message(), "🏬 Pick up at Storefront Studio")  # type: ignore[arg-type]
    invoice = di.last_message()
    assert invoice is not None
    await shop.pay(di, invoice, order_info={"name": "Di"})
    # An empty query now leads with the best seller.
    assert _names(await _ask(shop, user, ""))[0] == "Phone Tripod"
    await shop.send(di, "/orders")
    listing = di.last_message()
    assert listing is not None
    await shop.press(di, listing, 0)
    details = di.last_message()
    assert details is not None and "📤 Share what you bought" in keyboard_texts(details)
    rows = details["reply_markup"]["inline_keyboard"]
    [button] = [b for row in rows for b in row if "switch_inline_query" in b]
    assert button["switch_inline_query"] == "p_7"
    assert _names(await _ask(shop, user, button["switch_inline_query"])) == ["Phone Tripod"]


async def test_group_buy_team_cards_still_answer(shop: RunningShop) -> None:
    ed = shop.standin.user(6005, "Ed")
    assert (await _ask(shop, ed, "g_999999"))["results"] == []


async def _inline_transcript(shop: RunningShop, tmp_path: Path) -> list[Any]:
    await _add_teas(shop, tmp_path)
    chat = shop.standin.private_chat(6006, "Fay")
    videos = [only(await shop.send(chat, "/start p_3"), "sendVideo")[0]]
    photos = [only(await shop.send(chat, "/start p_4"), "sendPhoto")[0]]
    file_ids = {str(c.response["video"]["file_id"]) for c in videos} | {
        str(c.response["photo"][-1]["file_id"]) for c in photos
    }
    fay = shop.standin.user(6006, "Fay")
    answers = []
    for query, offset in [("konjac", ""), ("mango", ""), ("oolong", ""), ("oolong", "1")]:
        params = dict(await _ask(shop, fay, query, offset))
        params["inline_query_id"] = "<id>"
        for result in params["results"]:
            for key in ("video_file_id", "photo_file_id"):
                if result.get(key) in file_ids:
                    result[key] = "<file_id>"
        answers.append(params)
    return answers


async def test_aiogram_and_ptb_answer_inline_queries_alike(tmp_path: Path) -> None:
    transcripts = {}
    for framework in ("aiogram", "ptb"):
        shop = await start_shop(framework, tmp_path / framework)  # type: ignore[arg-type]
        try:
            transcripts[framework] = await _inline_transcript(shop, tmp_path / framework)
        finally:
            await stop_shop(shop)
        assert shop.standin.violations == []
    assert transcripts["aiogram"] == transcripts["ptb"]
    kinds = [r["type"] for answer in transcripts["aiogram"] for r in answer["results"]]
    assert {"video", "photo", "article"} <= set(kinds)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_a_chosen_result_reaches_the_webhook_too(tmp_path: Path, framework: str) -> None:
    shop = await start_shop(framework, tmp_path, webhook=True)  # type: ignore[arg-type]
    try:
        gus = shop.standin.user(6007, "Gus")
        assert _names(await _ask(shop, gus, "tripod")) == ["Phone Tripod"]
        await shop.push(gus.choose_inline_result("p:7", "tripod"))
        assert await _shares(shop, 6007) == [7]
    finally:
        await stop_shop(shop)
    assert shop.standin.violations == []
