"""Bot API messages as lines of plain text, the way the sandbox shows them in a terminal.

Kept free of I/O and of the running shop so the layout can be read (and tested) on its own:
the terminal only decides *when* to print; this module decides *what* a message looks like.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.money import minor_unit_exponent

INDENT = "  "
#: Space between buttons of one row; wide enough that emoji-led labels stay apart.
BUTTON_GAP = "   "
#: Message fields that carry media, in the order we look for them, with the label we print.
_MEDIA_KINDS = (
    ("video", "video"),
    ("animation", "animation"),
    ("photo", "photo"),
    ("document", "document"),
    ("audio", "audio"),
    ("voice", "voice"),
    ("video_note", "video note"),
    ("sticker", "sticker"),
    ("invoice", "invoice"),
    ("location", "location"),
)


def keyboard_rows(message: Mapping[str, object]) -> list[list[dict[str, object]]]:
    """The inline keyboard as rows of button dicts (empty when the message has none)."""
    markup = message.get("reply_markup")
    if not isinstance(markup, Mapping):
        return []
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list):
        return []
    return [[b for b in row if isinstance(b, dict)] for row in rows if isinstance(row, list)]


def flat_buttons(message: Mapping[str, object]) -> list[dict[str, object]]:
    """Every button, left to right and top to bottom: the order the sandbox numbers them in."""
    return [button for row in keyboard_rows(message) for button in row]


def media_tag(message: Mapping[str, object]) -> str | None:
    """``[video: air-runner.mp4]``, ``[photo]``, ``[sticker 👍]``... or None for plain text."""
    for field, label in _MEDIA_KINDS:
        value = message.get(field)
        if value is None:
            continue
        detail: object = None
        if isinstance(value, Mapping):
            detail = value.get("file_name") or value.get("emoji") or value.get("title")
        return f"[{label}: {detail}]" if detail else f"[{label}]"
    return None


def body_text(message: Mapping[str, object]) -> str:
    """The text or caption, as Telegram displays it (the stand-in already removed the HTML)."""
    for field in ("text", "caption"):
        value = message.get(field)
        if isinstance(value, str):
            return value
    return ""


def button_label(number: int, button: Mapping[str, object]) -> str:
    """``[3] Add to cart``; a URL button shows where it leads, other non-callback kinds say
    what they are, since the sandbox can only press callback buttons."""
    label = f"[{number}] {button.get('text', '')}"
    if isinstance(button.get("url"), str):
        return f"{label} → {button['url']}"
    if "callback_data" not in button:
        kinds = sorted(set(button) - {"text"})
        return f"{label} ({', '.join(kinds) or 'inactive'})"
    return label


def keyboard_lines(message: Mapping[str, object]) -> list[str]:
    """One line per keyboard row, buttons numbered across the whole message from 1."""
    lines: list[str] = []
    number = 0
    for row in keyboard_rows(message):
        labels = []
        for button in row:
            number += 1
            labels.append(button_label(number, button))
        if labels:
            lines.append(INDENT + BUTTON_GAP.join(labels))
    return lines


def message_lines(message: Mapping[str, object], *, edited: bool = False) -> list[str]:
    """A header (``bot #3 (edited) [video: x.mp4]``), the indented text, then the keyboard."""
    header = f"bot #{message.get('message_id')}"
    if edited:
        header += " (edited)"
    tag = media_tag(message)
    if tag:
        header += f" {tag}"
    lines = [header]
    text = body_text(message)
    if text:
        lines.extend((INDENT + line).rstrip() for line in text.split("\n"))
    lines.extend(keyboard_lines(message))
    return lines


def deleted_line(message_id: int) -> str:
    """What a deletion looks like: the number the person may still be about to press."""
    return f"bot #{message_id} (deleted)"


def notice_line(text: str, *, alert: bool) -> str:
    """A callback answer: a pop-up alert, or the toast Telegram shows at the top of the chat."""
    return f"bot ({'alert' if alert else 'toast'}) {text}"


def money_text(amount: int, currency: str) -> str:
    """``$6.50`` for USD, ``12.00 EUR`` for others, ``5 XTR`` for Stars: minor units shown as
    the currency writes them."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, part = divmod(abs(amount), 10**exponent)
    number = f"{whole}.{part:0{exponent}d}" if exponent else str(whole)
    if currency == "USD":
        return f"{sign}${number}"
    return f"{sign}{number} {currency}"


def price_lines(
    prices: list[dict[str, object]], currency: str, *, shipping_later: bool = False
) -> list[str]:
    """An invoice's price lines as Telegram's payment sheet lists them, and their total.

    ``shipping_later`` (a flexible invoice) says that the shipping line comes once the
    address is known, as it does on the sheet.
    """
    rows = [(str(p.get("label", "")), int(str(p.get("amount", 0)))) for p in prices]
    rows.append(("Total", sum(amount for _, amount in rows)))
    shown = [(label, money_text(amount, currency)) for label, amount in rows]
    left = max(len(label) for label, _ in shown)
    right = max(len(amount) for _, amount in shown)
    lines = [f"{INDENT}{INDENT}{label:<{left}}  {amount:>{right}}" for label, amount in shown]
    if shipping_later:
        lines.insert(-1, f"{INDENT}{INDENT}(shipping is added once you give an address: :pay)")
    return [INDENT + "Price lines:", *lines]


def shipping_lines(options: list[dict[str, object]], currency: str) -> list[str]:
    """The shipping options the bot offered on the payment sheet."""
    lines = ["bot (shipping options)"]
    for option in options:
        prices = option.get("prices")
        amount = 0
        if isinstance(prices, list):
            amount = sum(int(str(p.get("amount", 0))) for p in prices if isinstance(p, dict))
        lines.append(
            f"{INDENT}{option.get('title', option.get('id'))}: {money_text(amount, currency)}"
        )
    return lines
