"""Bot API messages as JSON for the web sandbox's page: the text as safe HTML, the media as links
to the page's own server, the keyboard's buttons with what pressing them does, an invoice's
price lines.

The bot formats with HTML, but the stand-in (as Telegram) stores plain text plus entities; the
HTML here is rebuilt from those entities with every character of text escaped and only a fixed
set of tags, so nothing the bot or a buyer wrote can inject markup into the page. Offsets are
UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import time
from collections.abc import Mapping
from urllib.parse import quote, urlencode

from bot.sandbox.commands import start_payload
from bot.sandbox.render import money_text

#: Entity type -> (tag, class); a link's tag is decided by its URL.
_TAGS: dict[str, tuple[str, str]] = {
    "bold": ("b", ""),
    "italic": ("i", ""),
    "underline": ("u", ""),
    "strikethrough": ("s", ""),
    "code": ("code", ""),
    "pre": ("pre", ""),
    "spoiler": ("span", "spoiler"),
    "blockquote": ("blockquote", ""),
    "expandable_blockquote": ("blockquote", ""),
    "mention": ("span", "mention"),
    "text_mention": ("span", "mention"),
    "hashtag": ("span", "mention"),
    "cashtag": ("span", "mention"),
    "bot_command": ("span", "mention"),
}
#: Link schemes the page may open; anything else (``javascript:``...) stays plain text.
_SAFE_SCHEMES = ("http://", "https://", "tg://", "mailto:")
_MEDIA_FIELDS = ("photo", "video", "animation", "video_note", "audio", "voice", "document")
WEB_APP_VERSION = "8.0"


def _units(text: str) -> bytes:
    return text.encode("utf-16-le")


def _slice(units: bytes, start: int, end: int) -> str:
    return units[2 * start : 2 * end].decode("utf-16-le", errors="replace")


def safe_href(url: str) -> str | None:
    """``url`` if the page may link to it (http, https, tg, mailto), else None."""
    cleaned = url.strip()
    return cleaned if cleaned.lower().startswith(_SAFE_SCHEMES) else None


def _open_tag(entity: Mapping[str, object], covered: str) -> tuple[str, str]:
    """The opening and closing tag for ``entity`` covering the text ``covered``."""
    kind = str(entity.get("type", ""))
    href: str | None = None
    if kind == "text_link":
        href = safe_href(str(entity.get("url", "")))
    elif kind == "url":
        href = safe_href(covered if "://" in covered else f"https://{covered}")
    elif kind == "email":
        href = f"mailto:{covered}"
    if href is not None:
        attribute = html.escape(href, quote=True)
        return f'<a href="{attribute}" target="_blank" rel="noopener noreferrer">', "</a>"
    tag, css = _TAGS.get(kind, ("span", ""))
    if kind in ("text_link", "url", "email"):
        css = "link"
    opening = f'<{tag} class="{css}">' if css else f"<{tag}>"
    return opening, f"</{tag}>"


def text_html(text: str, entities: object) -> str:
    """``text`` with its entities as HTML: escaped text, a fixed set of tags, safe links only.

    Entities that cross one another (Telegram's own never do) are cut at the outer one's end.
    """
    units = _units(text)
    size = len(units) // 2
    spans: list[tuple[int, int, Mapping[str, object]]] = []
    for entity in entities if isinstance(entities, list) else []:
        if not isinstance(entity, Mapping):
            continue
        try:
            start = max(0, int(str(entity.get("offset"))))
            end = min(size, start + int(str(entity.get("length"))))
        except ValueError:
            continue
        if end > start:
            spans.append((start, end, entity))
    spans.sort(key=lambda span: (span[0], -span[1]))
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end, closing tag)
    position = 0

    def text_to(end: int) -> None:
        nonlocal position
        if end > position:
            out.append(html.escape(_slice(units, position, end), quote=False))
            position = end

    def close_through(limit: int) -> None:
        while stack and stack[-1][0] <= limit:
            end, closing = stack.pop()
            text_to(end)
            out.append(closing)

    for start, end, entity in spans:
        close_through(start)
        if stack:
            end = min(end, stack[-1][0])
        if end <= start:
            continue
        text_to(start)
        opening, closing = _open_tag(entity, _slice(units, start, end))
        out.append(opening)
        stack.append((end, closing))
    close_through(size)
    text_to(size)
    return "".join(out)


def media_of(message: Mapping[str, object], file_url: str) -> dict[str, object] | None:
    """The message's picture, video or file: its kind, where the page loads it, its name.

    ``file_url`` is the page's route for a file id (``/media/``); a file the bot gave only as
    a link elsewhere keeps that link.
    """
    for kind in _MEDIA_FIELDS:
        value = message.get(kind)
        if kind == "photo" and isinstance(value, list) and value:
            value = value[-1]
        if isinstance(value, Mapping):
            return {
                "kind": kind,
                "file_id": str(value.get("file_id", "")),
                "url": file_url + quote(str(value.get("file_id", "")), safe=""),
                "name": str(value.get("file_name") or value.get("title") or kind),
                "mime": str(value.get("mime_type") or ""),
            }
    sticker = message.get("sticker")
    if isinstance(sticker, Mapping):
        return {"kind": "sticker", "emoji": str(sticker.get("emoji") or "\u2753")}
    location = message.get("location")
    if isinstance(location, Mapping):
        where = f"{location.get('latitude')}, {location.get('longitude')}"
        return {"kind": "location", "name": where}
    return None


def service_text(message: Mapping[str, object]) -> str | None:
    """What Telegram writes in the chat for a service message (a payment made), or None."""
    payment = message.get("successful_payment")
    if isinstance(payment, Mapping):
        amount = int(str(payment.get("total_amount", 0)))
        return f"You paid {money_text(amount, str(payment.get('currency', '')))}"
    return None


def button_kind(button: Mapping[str, object], bot_username: str) -> str:
    """What pressing ``button`` does on the page: ``callback``, ``pay`` and ``bot_link`` go to
    the bot; ``url`` and ``web_app`` open a page; ``copy`` copies; ``other`` cannot be pressed."""
    if button.get("pay") is True:
        return "pay"
    if isinstance(button.get("callback_data"), str):
        return "callback"
    url = button.get("url")
    if isinstance(url, str):
        if any(start_payload(url, bot_username, p) for p in ("start", "startgroup")):
            return "bot_link"
        return "url"
    if isinstance(button.get("web_app"), Mapping):
        return "web_app"
    if isinstance(button.get("login_url"), Mapping):
        return "url"
    if isinstance(button.get("copy_text"), Mapping):
        return "copy"
    return "other"


def keyboard_of(
    message: Mapping[str, object], bot_username: str, web_app_link: WebAppLink | None
) -> list[list[dict[str, object]]]:
    """The inline keyboard's rows; each button numbered across the message from 0."""
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, Mapping) else None
    shown: list[list[dict[str, object]]] = []
    index = 0
    for row in rows if isinstance(rows, list) else []:
        line: list[dict[str, object]] = []
        for button in row if isinstance(row, list) else []:
            if not isinstance(button, Mapping):
                continue
            kind = button_kind(button, bot_username)
            item: dict[str, object] = {
                "text": str(button.get("text", "")),
                "kind": kind,
                "index": index,
            }
            if kind == "url":
                link = button.get("url") or _nested(button, "login_url", "url")
                item["url"] = safe_href(str(link)) or ""
            elif kind == "web_app" and web_app_link is not None:
                item["url"] = web_app_link.url(str(_nested(button, "web_app", "url")))
            elif kind == "copy":
                item["copy"] = str(_nested(button, "copy_text", "text"))
            elif kind == "other":
                item["why"] = ", ".join(sorted(set(button) - {"text"})) or "inactive"
            line.append(item)
            index += 1
        if line:
            shown.append(line)
    return shown


def _nested(button: Mapping[str, object], field: str, key: str) -> object:
    inner = button.get(field)
    return inner.get(key, "") if isinstance(inner, Mapping) else ""


def invoice_of(
    message: Mapping[str, object], prices: list[dict[str, object]], flexible: bool
) -> dict[str, object] | None:
    """An invoice's title, description and price lines as the payment sheet lists them."""
    invoice = message.get("invoice")
    if not isinstance(invoice, Mapping):
        return None
    currency = str(invoice.get("currency", ""))
    lines = [
        [str(p.get("label", "")), money_text(int(str(p.get("amount", 0))), currency)]
        for p in prices
    ]
    total = sum(int(str(p.get("amount", 0))) for p in prices) if prices else 0
    if not prices:  # the price lines are not known yet: the invoice's own total
        total = int(str(invoice.get("total_amount", 0)))
    return {
        "title": str(invoice.get("title", "")),
        "description": str(invoice.get("description", "")),
        "lines": lines,
        "total": money_text(total, currency),
        "shipping_later": flexible,
    }


def reply_keyboard_of(markup: object) -> list[list[str]] | None:
    """A reply keyboard's rows of labels; ``[]`` for one that removes it; None for other
    markups (which leave the keyboard as it was)."""
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            return None
    if not isinstance(markup, Mapping):
        return None
    if markup.get("remove_keyboard"):
        return []
    rows = markup.get("keyboard")
    if not isinstance(rows, list):
        return None
    shown: list[list[str]] = []
    for row in rows:
        labels = [
            str(b.get("text", "")) if isinstance(b, Mapping) else str(b)
            for b in (row if isinstance(row, list) else [])
        ]
        if labels:
            shown.append(labels)
    return shown


def menu_web_app(button: object) -> tuple[str, str] | None:
    """A ``setChatMenuButton``'s Mini App as (text, url); None for the commands menu or the
    default (which show no Mini App)."""
    if isinstance(button, str):
        try:
            button = json.loads(button)
        except ValueError:
            return None
    if not isinstance(button, Mapping) or button.get("type") != "web_app":
        return None
    app = button.get("web_app")
    url = app.get("url") if isinstance(app, Mapping) else None
    return (str(button.get("text", "")), url) if isinstance(url, str) else None


class WebAppLink:
    """A Mini App's URL as Telegram opens it for one person: the signed ``tgWebAppData`` (with
    the bot's token, as Telegram signs it) in the fragment, so the app can check who is there."""

    def __init__(self, token: str, user: Mapping[str, object]) -> None:
        self._token = token
        self._user = dict(user)

    def init_data(self, now: int | None = None) -> str:
        fields = {
            "auth_date": str(now if now is not None else int(time.time())),
            "user": json.dumps(self._user, separators=(",", ":"), ensure_ascii=False),
        }
        check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
        secret = hmac.new(b"WebAppData", self._token.encode(), hashlib.sha256).digest()
        fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
        return urlencode(fields, quote_via=quote)

    def url(self, url: str) -> str:
        """``url`` (if the page may open it) with Telegram's launch parameters; "" otherwise."""
        href = safe_href(url)
        if href is None or not href.lower().startswith(("http://", "https://")):
            return ""
        launch = urlencode(
            {
                "tgWebAppData": self.init_data(),
                "tgWebAppVersion": WEB_APP_VERSION,
                "tgWebAppPlatform": "web",
            },
            quote_via=quote,
        )
        base, _, _ = href.partition("#")
        return f"{base}#{launch}"
