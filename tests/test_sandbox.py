"""``storefront sandbox``: the real console script with piped input, the session in-process,
and the pure parts.

A few tests run the installed ``storefront`` command in a subprocess, as a person would
(``printf ... | storefront sandbox``), so they cover the CLI wiring, the shop start-up and
shutdown, the stdin reader and the printed transcript. The others drive the same session in
this process through its console (``tests/sandbox/play.py``), which skips only the interpreter
start-up. The pure parts (what a typed line means, which button a number names, how a message
and an invoice are drawn) are tested directly below.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox.commands import (
    Nothing,
    Press,
    PressTarget,
    Quit,
    SandboxKey,
    Send,
    parse_line,
    resolve_press,
    start_payload,
)
from bot.sandbox.console import Console
from bot.sandbox.media import demo_media_folder
from bot.sandbox.render import message_lines, price_lines
from bot.sandbox.terminal import run_sandbox
from bot.services.catalog_import import demo_catalog_path, read_catalog
from tests.sandbox.play import play

STOREFRONT = Path(sys.executable).with_name("storefront")
#: Settings the sandbox must not pick up from whoever runs the tests.
_SCRUBBED = (
    "BOT_TOKEN",
    "DATABASE_URL",
    "BOT_FRAMEWORK",
    "SHOP_NAME",
    "LANG",
    "LC_ALL",
    "LANGUAGE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "DEFAULT_LOCALE",
    "TELEGRAM_API_BASE",
)

# /start -> bot #2; /catalog -> bot #4 (1 Sneakers & Boots, 2 Snacks, 3 Gadgets);
# [2] -> the Snacks teaser, bot #5 (1 Add to cart); [5.1] adds it; /cart -> bot #7.
SHOPPING = "/start\n/catalog\n[2]\n[5.1]\n/cart\n:q\n"


def sandbox(
    tmp_path: Path, stdin: str, *args: str, lang: str = "en_US.UTF-8"
) -> subprocess.CompletedProcess[str]:
    """Run ``storefront sandbox`` with ``stdin`` piped in, in an empty folder and HOME."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED}
    env.update(
        HOME=str(tmp_path),
        LANG=lang,
        SHOP_NAME="Sandbox Test Shop",
        PYTHONIOENCODING="utf-8",
        NO_COLOR="1",
    )
    return subprocess.run(
        [str(STOREFRONT), "sandbox", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=env,
        timeout=120,  # a loaded machine (the suite runs on every core) is slow to start it
        check=False,
    )


def block_after(output: str, header_part: str) -> list[str]:
    """The lines of the first printed item whose header contains ``header_part``."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("bot ") and header_part in line:
            body = [line]
            for following in lines[i + 1 :]:
                if following and not following.startswith("  "):
                    break
                body.append(following)  # blank lines inside a message belong to it
            while body[-1] == "":
                body.pop()
            return body
    raise AssertionError(f"no {header_part!r} item in:\n{output}")


def assert_clean_exit(result: subprocess.CompletedProcess[str]) -> None:
    details = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0, details
    assert "Traceback" not in result.stdout + result.stderr, details
    assert result.stdout.rstrip().endswith("Sandbox closed."), details


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
def test_browse_add_to_cart_and_see_the_total(tmp_path: Path, framework: str) -> None:
    result = sandbox(tmp_path, SHOPPING, "--framework", framework)
    assert_clean_exit(result)
    out = result.stdout
    assert "Welcome to Sandbox Test Shop" in out
    assert "(pressed \u201cSnacks (2)\u201d on #4)" in out
    teaser = block_after(out, "[video")
    assert teaser[0] == "bot #5 [video: konjac-jelly.mp4]"
    # The video is saved in ./sandbox-files, named after whose chat and which message.
    saved = tmp_path / "sandbox-files" / "ana" / "5-konjac-jelly.mp4"
    assert teaser[1] == "  \u2192 file: sandbox-files/ana/5-konjac-jelly.mp4"
    assert saved.read_bytes() == (demo_media_folder() / "konjac-jelly.mp4").read_bytes()
    assert "Spicy Konjac Jelly" in teaser[2]
    assert "[1] \U0001f6d2 Add to cart" in teaser[-6]
    assert "[3] \U0001f465 Group price $3.49 \u00b7 team of 2" in teaser[-5]  # the demo deal
    assert "\U0001f4ac Ask the shop" in teaser[-2]
    assert "\U0001f4e4 Share" in teaser[-1]
    assert "(pressed \u201c\U0001f6d2 Add to cart\u201d on #5)" in out
    assert "bot (toast) Added: Spicy Konjac Jelly (10 pack) \u00d7 1" in out
    cart = block_after(out, "#7")
    assert "  Total: $4.99 (1 item)" in cart
    # The order of the transcript is the order of the conversation.
    assert out.index("ana \u203a /catalog") < out.index("bot #4") < out.index("ana \u203a [2]")


# The same, in this process through the sandbox's console (faster: no interpreter to start).


@pytest.mark.slow
async def test_a_press_that_names_no_button_gets_a_hint_and_the_chat_goes_on(
    tmp_path: Path,
) -> None:
    out = await play(tmp_path, "ptb", "/start", "[99]", "[7.1]", "/catalog")
    assert "Message #2 has no button 99 (it has buttons 1 to 2)." in out
    assert "There is no message #7 from the bot" in out
    after_hint = out.after("no button 99")
    assert "bot #4" in after_hint and "Snacks (2)" in after_hint


@pytest.mark.slow
def test_end_of_input_alone_stops_cleanly(tmp_path: Path) -> None:
    result = sandbox(tmp_path, "", "--framework", "ptb")
    assert_clean_exit(result)
    assert "Ready." in result.stdout
    assert "bot #" not in result.stdout


@pytest.mark.slow
async def test_chinese_lang_makes_chinese_speaking_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    out = await play(tmp_path, "ptb", "/start", ":as ben", "/start")
    assert "language: zh." in out
    assert out.count("\u6b22\u8fce\u6765\u5230 Sandbox Test Shop") == 2  # 欢迎来到


@pytest.mark.slow
async def test_a_given_database_gets_the_demo_catalog_once_and_keeps_the_cart(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kept.db'}"
    first = await play(tmp_path / "one", "ptb", "/catalog", "[2]", "[1]", database_url=url)
    demo_products = len(read_catalog(demo_catalog_path()).products)
    assert f"demo catalog imported: {demo_products} products" in first
    assert "Added: Spicy Konjac Jelly" in first
    # Update ids go on from the first run's (the shop ignores ones it handled), and the first
    # stand-in's file_ids were not kept, so the teaser is sent again instead of failing.
    second = await play(tmp_path / "two", "ptb", "/cart", "/catalog", "[2]", database_url=url)
    assert "(its own catalog)" in second
    assert "Total: $4.99" in second
    assert "bot #5 [video: konjac-jelly.mp4]" in second
    assert "failed" not in second


# What a typed line means -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "action"),
    [
        ("/start", Send("/start")),
        ("  sneakers  ", Send("sneakers")),
        (":)", Send(":)")),
        ("[1]", Press(1)),
        ("[ 12 ]", Press(12)),
        ("[3.2]", Press(2, message_id=3)),
        ("[#3.2]", Press(2, message_id=3)),
        # Plain text is always a message: a quantity, a price, an order number.
        ("1", Send("1")),
        ("5", Send("5")),
        ("3.99", Send("3.99")),
        ("#12", Send("#12")),
        ("[1234567]", Send("[1234567]")),
        ("[abc]", Send("[abc]")),
        (":say [2]", Send("[2]")),
        (":say", Nothing()),
        ("", Nothing()),
        (":q", Quit()),
        ("/QUIT", Quit()),
        (":Sticker", SandboxKey("sticker")),
        (":show me", SandboxKey("show", "me")),
        (":as ben", SandboxKey("as", "ben")),
        (":video demo", SandboxKey("video", "demo")),
    ],
)
def test_parse_line(line: str, action: object) -> None:
    assert parse_line(line) == action


def _message(
    message_id: int, *rows: list[dict[str, object]], **fields: object
) -> dict[str, object]:
    return {"message_id": message_id, "reply_markup": {"inline_keyboard": list(rows)}, **fields}


MESSAGES = [
    _message(2, [{"text": "Browse", "callback_data": "ct"}]),
    _message(
        4,
        [{"text": "A", "callback_data": "a"}, {"text": "B", "callback_data": "b"}],
        [{"text": "Site", "url": "https://example.com/"}],
    ),
    {"message_id": 5, "text": "no keyboard"},
]


def test_a_bare_number_presses_the_latest_keyboard_and_counts_from_one() -> None:
    target = resolve_press(Press(2), MESSAGES, set())
    assert target == PressTarget(4, 1, {"text": "B", "callback_data": "b"})


def test_message_and_button_numbers_press_an_older_message() -> None:
    assert resolve_press(Press(1, message_id=2), MESSAGES, set()) == PressTarget(
        2, 0, {"text": "Browse", "callback_data": "ct"}
    )


@pytest.mark.parametrize(
    ("press", "hint"),
    [
        (Press(0), "has no button 0 (it has buttons 1 to 3)."),
        (Press(2, message_id=2), "has no button 2 (it has one button: 1)."),
        (Press(3), "is a link to https://example.com/"),
        (Press(1, message_id=5), "Message #5 has no buttons."),
        (Press(1, message_id=3), "Message #3 is one of yours"),
        (Press(1, message_id=9), "There is no message #9 from the bot"),
    ],
)
def test_presses_that_cannot_happen_explain_why(press: Press, hint: str) -> None:
    result = resolve_press(press, MESSAGES, {1, 3})
    assert isinstance(result, str) and hint in result


def test_nothing_to_press_before_any_keyboard() -> None:
    result = resolve_press(Press(1), [{"message_id": 2, "text": "hi"}], set())
    assert isinstance(result, str) and "/start" in result


# How a message is drawn ---------------------------------------------------------------------


def test_a_media_message_shows_its_kind_caption_and_numbered_buttons() -> None:
    message = _message(
        3,
        [{"text": "Add", "callback_data": "a"}, {"text": "Buy", "callback_data": "b"}],
        [{"text": "Share", "url": "https://t.me/share"}],
        video={"file_id": "x", "file_name": "air-runner.mp4"},
        caption="Air Runner\n$59.99",
    )
    assert message_lines(message, edited=True) == [
        "bot #3 (edited) [video: air-runner.mp4]",
        "  Air Runner",
        "  $59.99",
        "  [1] Add   [2] Buy",
        "  [3] Share \u2192 https://t.me/share",
    ]


def test_a_photo_without_a_file_name_is_just_a_photo() -> None:
    lines = message_lines({"message_id": 8, "photo": [{"file_id": "p"}], "caption": "Mango"})
    assert lines == ["bot #8 [photo]", "  Mango"]


def test_an_invoice_lists_its_prices_and_total() -> None:
    prices: list[dict[str, object]] = [
        {"label": "Dried Mango \u00d7 1", "amount": 650},
        {"label": "Discount", "amount": -100},
        {"label": "Shipping", "amount": 499},
    ]
    assert price_lines(prices, "USD") == [
        "  Price lines:",
        "    Dried Mango \u00d7 1   $6.50",
        "    Discount         -$1.00",
        "    Shipping          $4.99",
        "    Total            $10.49",
    ]
    assert price_lines([{"label": "Stars", "amount": 50}], "XTR")[-1] == "    Total  50 XTR"


async def test_a_media_folder_that_cannot_be_made_is_refused_before_the_shop_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "taken").write_text("a file, not a folder")
    console = Console(io.StringIO("/start\n"), io.StringIO())
    code = await run_sandbox(
        Settings(_env_file=None),  # type: ignore[call-arg]
        framework="ptb",
        files=tmp_path / "taken" / "media",
        console=console,
    )
    assert code == 1
    err = capsys.readouterr().err
    assert f"cannot use {tmp_path / 'taken' / 'media'}" in err and "--files DIR" in err


def test_links_to_the_bot_can_be_followed_and_other_links_explain_themselves() -> None:
    links = _message(
        6,
        [{"text": "Open", "url": "https://t.me/shop_bot?start=g_1"}],
        [{"text": "Post", "url": "https://t.me/shop_bot?startgroup=g_1"}],
        [{"text": "Other bot", "url": "https://t.me/other_bot?start=g_1"}],
    )
    opened = resolve_press(Press(1), [links], set(), "shop_bot")
    assert isinstance(opened, PressTarget) and start_payload(opened.button["url"], "shop_bot")
    assert start_payload("https://t.me/shop_bot?start=g_1", "shop_bot") == "g_1"
    group = resolve_press(Press(2), [links], set(), "shop_bot")
    assert isinstance(group, PressTarget)
    assert start_payload(group.button["url"], "shop_bot", "startgroup") == "g_1"
    assert start_payload(group.button["url"], "shop_bot") is None
    other = resolve_press(Press(3), [links], set(), "shop_bot")
    assert isinstance(other, str) and "is a link to https://t.me/other_bot?start=g_1" in other
