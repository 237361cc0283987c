"""The web sandbox's HTML from Telegram entities: escaped text, fixed tags, safe links only,
UTF-16 offsets; and a Mini App's launch data signed as Telegram signs it."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from bot.sandbox.web_render import WebAppLink, button_kind, reply_keyboard_of, text_html


def entity(kind: str, offset: int, length: int, **extra: object) -> dict[str, object]:
    return {"type": kind, "offset": offset, "length": length, **extra}


def test_text_is_escaped_and_entities_become_a_few_safe_tags() -> None:
    text = "<script>alert(1)</script> bold & link"
    html = text_html(text, [entity("bold", 26, 4), entity("text_link", 33, 4, url="https://x.io")])
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <b>bold</b> &amp; "
        '<a href="https://x.io" target="_blank" rel="noopener noreferrer">link</a>'
    )


def test_a_javascript_link_stays_text_and_quotes_cannot_leave_the_attribute() -> None:
    evil = text_html("click", [entity("text_link", 0, 5, url="javascript:alert(1)")])
    assert evil == '<span class="link">click</span>'
    quoted = text_html("x", [entity("text_link", 0, 1, url='https://a.io/"><img src=x>')])
    assert '"><img' not in quoted and "&quot;&gt;&lt;img" in quoted


def test_offsets_count_utf16_units_and_nesting_and_crossing_are_kept_well_formed() -> None:
    text = "\U0001f96d Mango \u00d7 1"  # the emoji is two UTF-16 units
    assert text_html(text, [entity("bold", 3, 5)]) == "\U0001f96d <b>Mango</b> \u00d7 1"
    nested = text_html("abcdef", [entity("bold", 0, 6), entity("italic", 2, 2)])
    assert nested == "<b>ab<i>cd</i>ef</b>"
    crossing = text_html("abcdef", [entity("bold", 0, 3), entity("italic", 2, 4)])
    assert crossing == "<b>ab<i>c</i></b>def"
    spoiler = text_html("secret", [entity("spoiler", 0, 6), entity("nonsense", 0, 99)])
    assert spoiler == '<span class="spoiler"><span>secret</span></span>'


def test_buttons_say_what_pressing_them_does() -> None:
    bot = "shop_bot"
    assert button_kind({"text": "a", "callback_data": "x"}, bot) == "callback"
    assert button_kind({"text": "Pay", "pay": True}, bot) == "pay"
    assert button_kind({"text": "j", "url": f"https://t.me/{bot}?start=g_1"}, bot) == "bot_link"
    assert button_kind({"text": "w", "url": "https://example.com"}, bot) == "url"
    assert button_kind({"text": "d", "web_app": {"url": "https://d.io"}}, bot) == "web_app"
    assert button_kind({"text": "s", "switch_inline_query": ""}, bot) == "other"
    assert reply_keyboard_of('{"keyboard": [[{"text": "Yes"}, "No"]]}') == [["Yes", "No"]]
    assert reply_keyboard_of({"remove_keyboard": True}) == []
    assert reply_keyboard_of({"inline_keyboard": []}) is None


def test_a_mini_app_gets_init_data_signed_with_the_bots_token() -> None:
    link = WebAppLink("100000:SANDBOX", {"id": 1004, "first_name": "Max"})
    url = link.url("https://dash.example/app?x=1#old")
    base, _, fragment = url.partition("#")
    assert base == "https://dash.example/app?x=1"
    launch = dict(parse_qsl(fragment))
    assert launch["tgWebAppPlatform"] == "web"
    fields = dict(parse_qsl(launch["tgWebAppData"]))
    given = fields.pop("hash")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", b"100000:SANDBOX", hashlib.sha256).digest()
    assert given == hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    assert '"id":1004' in fields["user"]
    assert link.url("javascript:alert(1)") == ""
