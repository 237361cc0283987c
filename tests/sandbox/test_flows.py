"""The shop's flows through the sandbox's terminal, as a newcomer types them, on both frameworks:
a drop reaching two buyers, a group buy filled by two people with the leader told, a product
added from the shipped demo video, and a quantity typed at the cart's prompt; then, on one
framework, a shipped order's notice, saved charts and exports, and the demo group chat.

Each test feeds lines to the sandbox's console (the read-act loop a person uses) and reads the
printed transcript; nothing reaches into the shop behind the terminal's back.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bot.sandbox.media import demo_media_folder
from tests.sandbox.play import play

pytestmark = pytest.mark.slow
both_frameworks = pytest.mark.parametrize("framework", ["aiogram", "ptb"])

DROP_TEXT = "Konjac is back today"


@both_frameworks
async def test_the_merchant_sends_a_drop_and_both_buyers_receive_it(
    tmp_path: Path, framework: str
) -> None:
    out = await play(
        tmp_path,
        framework,
        "/start",  # ana subscribes by starting the bot
        ":as ben",
        "/start",
        ":as max",
        "/admin",
        "[5]",  # 📣 Drops
        "[1]",  # ➕ Compose a drop
        "[1]",  # No button
        "[1]",  # Everyone
        DROP_TEXT,
        "[1]",  # 👁 Preview
        ":wait",
        "[2]",  # 📣 Send…
        "[1]",  # ✅ Send to 3
        ":wait",
        ":who",
        ":as ana",
        ":as ben",
    )
    assert "(pressed \u201c\U0001f441 Preview\u201d on #4)" in out
    preview = out.section("max \u203a [1]   (pressed \u201c\U0001f441 Preview", "max \u203a [2]")
    assert "Preview of drop #1 is on its way" in preview
    assert DROP_TEXT in preview.after(":wait")  # the preview arrived for max
    assert "Drop #2 done: 1 of 1 sent" in preview
    sent = out.section("(pressed \u201c\u2705 Send to 3\u201d", ":who")
    assert "Drop #1 done: 3 of 3 sent" in sent
    # While max is typing, the buyers' messages are announced, not shown.
    assert "\u00b7 1 new message for ana (:as ana)" in sent
    assert "\u00b7 1 new message for ben (:as ben)" in sent
    who = out.section("max \u203a :who", "max \u203a :as ana")
    assert "ana  Ana (id 1001), buyer \u00b7 1 new message" in who
    assert "\u25b6 max" in who
    for name in ("ana", "ben"):
        arrived = out.section(f"\u203a :as {name}\n", f"\n{name} \u203a ", last=True)
        assert f"You are now {name}" in arrived and "What arrived for you:" in arrived
        assert DROP_TEXT in arrived, arrived


@both_frameworks
async def test_a_leader_opens_a_group_buy_two_people_pay_and_all_three_are_told(
    tmp_path: Path, framework: str
) -> None:
    out = await play(
        tmp_path,
        framework,
        ":as lea",
        "/search konjac",
        "[3]",  # 👥 Group price $3.49 · team of 2
        ":as ana",
        "/start g_1",
        "[1]",  # 💳 Join for $3.49
        "[1]",  # 🚚 Deliver to my address
        ":pay",
        ":as ben",
        "/start g_1",
        "[1]",  # 💳 Join
        "[2]",  # 🏬 Pick up at Lea's corner shop
        "[1]",  # the invoice's Pay button
        ":wait",
        ":as ana",
        ":as lea",
    )
    opened = out.section("lea \u203a [3]", "lea \u203a :as ana")
    assert "Your group #1 is open!" in opened
    assert "[photo]" in opened and "invite.png" in opened
    # Ana's invoice lists its prices before she pays; shipping is offered on the sheet.
    ana = out.section("(pressed \u201c\U0001f69a Deliver to my address\u201d", ":as ben")
    assert "Price lines:" in ana and "Spicy Konjac Jelly (10 pack) \u00d7 1  $3.49" in ana
    assert ana.index("Price lines:") < ana.index("ana \u203a :pay")
    assert "bot (shipping options)" in ana and "Standard (3\u20135 days): $4.99" in ana
    assert "Total: $8.48" in ana and "You have seat 1 of 2 in group #1" in ana
    ben = out.section("ana \u203a :as ben", "ben \u203a :as ana")
    assert "(pressed \u201cPay $3.49\u201d" in ben and "Payment received" in ben
    assert "Your seat completed group #1" in ben
    assert "Group #1 for Spicy Konjac Jelly (10 pack) is complete (2 of 2)" in ben
    assert "\u00b7 1 new message for ana" in out and "\u00b7 1 new message for lea" in out
    told_ana = out.section("ben \u203a :as ana", "\nana \u203a ")
    assert "Group #1 for Spicy Konjac Jelly (10 pack) is complete (2 of 2)" in told_ana
    told_lea = out.after("ana \u203a :as lea")
    assert "Your group #1 for Spicy Konjac Jelly (10 pack) is complete (2 of 2)" in told_lea
    assert "Commission earned: $0.70" in told_lea


@both_frameworks
async def test_the_merchant_adds_a_product_from_the_demo_video_and_a_buyer_finds_it(
    tmp_path: Path, framework: str
) -> None:
    out = await play(
        tmp_path,
        framework,
        ":as max",
        ":video demo",
        "Matcha Kit",
        "12.50",  # a price: sent as text, not a press
        "7",  # the stock
        "[2]",  # Snacks
        "Ceremonial grade matcha, whisk included.",
        "[1]",  # ✅ Publish
        ":as ana",
        "/search matcha",
    )
    assert "(sent a video: konjac-jelly.mp4)" in out
    assert "New product from this video" in out
    assert "Price: $12.50." in out and "3/5 How many are in stock?" in out
    assert "Matcha Kit is on sale now" in out
    card = out.after("ana \u203a /search matcha")
    assert "[video: konjac-jelly.mp4]" in card and "Matcha Kit" in card and "$12.50" in card
    # The video the buyer was sent is on disk, private, and is the shipped demo file.
    [saved] = [line for line in card.splitlines() if line.startswith("  \u2192 file: ")]
    path = Path(saved.removeprefix("  \u2192 file: "))
    assert path.read_bytes() == (demo_media_folder() / "konjac-jelly.mp4").read_bytes()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "files").st_mode) == 0o700


@both_frameworks
async def test_a_number_typed_at_the_quantity_prompt_sets_the_quantity(
    tmp_path: Path, framework: str
) -> None:
    out = await play(
        tmp_path,
        framework,
        "/search konjac",
        "[1]",  # 🛒 Add to cart
        "/cart",
        "[2]",  # ✏️ 1. × 1
        "5",
        "/cart",
    )
    assert "How many of Spicy Konjac Jelly (10 pack)? Send a number" in out
    after = out.after("ana \u203a 5\n")
    assert "Spicy Konjac Jelly (10 pack) \u00d7 5 \u00b7 $24.95" in after
    assert "pressed" not in after.section("ana \u203a 5\n", "ana \u203a /cart")


async def test_marking_an_order_shipped_tells_the_buyer_and_slips_get_hints(
    tmp_path: Path,
) -> None:
    out = await play(
        tmp_path,
        "ptb",
        "/search mango",
        "[2]",  # ⚡ Buy now
        "[1]",  # 🚚 Deliver to my address
        ":pay",
        ":as nobody",
        ":video /no/such/file.mp4",
        "[9]",
        ":frobnicate",
        ":as max",
        "/admin",
        "[3]",  # 📋 Orders
        "[6]",  # #1 · $11.49 · paid
        "[1]",  # 🚚 Mark shipped
        "TRACK123",
        "[1]",  # ✅ Yes, shipped
        "/admin",
        "[6]",  # 📊 Stats
        "[2]",  # 7 days: a chart
        "[1]",  # ⬇️ CSV
        "/admin",
        "[9]",  # 🖥 Dashboard: a Mini App, opened in a browser
        ":as ana",
    )
    invoice = out.section("bot #4 [invoice: Dried Mango]", "ana \u203a :pay")
    assert "Dried Mango \u00d7 1  $6.50" in invoice and "Total            $6.50" in invoice
    assert "Shipping: $4.99" in out and "Total: $11.49" in out
    assert "There is nobody called 'nobody' here; try ana, ben, lea, max." in out
    assert "No file '/no/such/file.mp4' here." in out
    assert "Message #6 has no button 9 (it has buttons 1 to 5)." in out
    assert ":frobnicate is not a sandbox key" in out
    told = out.after("max \u203a :as ana")
    assert "Order #1 has shipped." in told and "Tracking number: TRACK123" in told
    # The chart and the export are saved where the transcript says, readable by their owner.
    saved = {
        Path(line.removeprefix("  \u2192 file: "))
        for line in out.after("(pressed \u201c7 days\u201d").splitlines()
        if line.startswith("  \u2192 file: ")
    }
    chart = next(path for path in saved if path.name.endswith("-stats.png"))
    export = next(path for path in saved if path.suffix == ".csv")
    assert chart.read_bytes().startswith(b"\x89PNG") and "DM-250 \u00d7 1" in export.read_text()
    assert {stat.S_IMODE(os.stat(path).st_mode) for path in saved} == {0o600}
    # The dashboard's button gives its link signed in as max, as Telegram would open it.
    opened = out.section("(pressed \u201c\U0001f5a5 Dashboard\u201d", "max \u203a :as ana")
    assert "\u00bb a Mini App: open http://127.0.0.1:" in opened
    assert "/dashboard#tgWebAppData=" in opened, opened


async def test_a_leader_posts_the_group_buy_in_the_demo_group_and_a_member_follows_it(
    tmp_path: Path,
) -> None:
    out = await play(
        tmp_path,
        "aiogram",
        ":as lea",
        "/search konjac",
        "[3]",  # 👥 Group price $3.49 · team of 2
        "[3]",  # 👥 Post in a group: the demo group Neighbours
        ":wait",
        ":as ben",
        ":group [1]",  # the group's progress message: 💳 Join, a link to the bot
        ":group see you at Lea's",
    )
    posted = out.section("(picked the group Neighbours", "lea \u203a :as ben")
    assert "sends /start@storefront_sandbox_bot g_1 there" in posted
    assert "in Neighbours" in posted and "0 of 2 joined" in posted
    followed = out.section("ben \u203a :group [1]", "ben \u203a :group see")
    assert "(opened the link: sends /start g_1)" in followed
    assert "\U0001f4b3 Join for $3.49" in followed and "Group buy: Spicy Konjac Jelly" in followed
