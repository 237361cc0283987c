"""The web sandbox's columns, fed by a Bot API stand-in with no shop behind it: the bot's
HTML becomes safe markup, an edit replaces its message in place, a deletion removes it, an
invoice gets its price lines, a reply keyboard is followed from the send calls, and every
change wakes the page's event stream."""

from __future__ import annotations

import asyncio

from bot.sandbox.people import People
from bot.sandbox.web_board import Board
from bot.standin import BotApiSpec, BotApiStandIn

BOT = "storefront_sandbox_bot"


async def test_edits_replace_in_place_deletions_remove_and_changes_wake_the_stream() -> None:
    standin = BotApiStandIn(BotApiSpec.default(), token="100000:SANDBOX", bot_username=BOT)
    people = People.create(standin, "en", None)
    board = Board(standin, people, BOT)
    ana = people.people["ana"].chat
    seen = board.version
    waiting = asyncio.create_task(board.changed(seen, 5.0))
    ana.send_text("hello")
    first = await standin.call(
        "sendMessage", chat_id=ana.id, text="<b>Hi</b> &amp; <i>welcome</i>", parse_mode="HTML"
    )
    assert await waiting
    second = await standin.call(
        "sendMessage",
        chat_id=ana.id,
        text="Pick",
        reply_markup={"keyboard": [[{"text": "Yes"}, {"text": "No"}]]},
    )
    column = board.columns["ana"]
    assert [i["key"] for i in column.items.values()] == ["m1", "m2", "m3"]
    assert column.items["m1"]["from"] == "me"
    assert column.items["m2"]["html"] == "<b>Hi</b> &amp; <i>welcome</i>"
    board.scan_calls()
    assert column.reply_keyboard == [["Yes", "No"]]

    rev = column.items["m2"]["rev"]
    await standin.call(
        "editMessageText", chat_id=ana.id, message_id=first["message_id"], text="Hi again"
    )
    assert [i["key"] for i in column.items.values()] == ["m1", "m2", "m3"]  # in place
    assert column.items["m2"]["html"] == "Hi again" and column.items["m2"]["edited"] is True
    assert column.items["m2"]["rev"] != rev
    await standin.call("deleteMessage", chat_id=ana.id, message_id=second["message_id"])
    assert list(column.items) == ["m1", "m2"]

    await standin.call(
        "sendInvoice",
        chat_id=ana.id,
        title="Dried Mango",
        description="Sun-dried",
        payload="order-1",
        provider_token="sandbox:test",
        currency="USD",
        prices=[{"label": "Dried Mango \u00d7 2", "amount": 1300}, {"label": "Tip", "amount": 50}],
    )
    board.scan_calls()
    invoice = column.items["m4"]["invoice"]
    assert invoice == {
        "title": "Dried Mango",
        "description": "Sun-dried",
        "lines": [["Dried Mango \u00d7 2", "$13.00"], ["Tip", "$0.50"]],
        "total": "$13.50",
        "shipping_later": False,
    }
    board.note("ana", ["bot (toast) Added to your cart"])
    assert list(column.items.values())[-1] | {"rev": 0, "key": ""} == {
        "key": "",
        "rev": 0,
        "from": "note",
        "tone": "toast",
        "text": "Added to your cart",
    }
    assert board.columns["ben"].items == {}

    # A Mini App in the merchant's menu button is offered beside his text box, signed for him.
    app = {"type": "web_app", "text": "Dashboard", "web_app": {"url": "https://d.example/"}}
    await standin.call("setChatMenuButton", chat_id=1004, menu_button=app)
    board.scan_calls()
    menu = board.columns["max"].view()["menu"]
    assert isinstance(menu, dict) and menu["text"] == "Dashboard"
    assert menu["url"].startswith("https://d.example/#tgWebAppData=")
    assert board.columns["ana"].view()["menu"] is None
