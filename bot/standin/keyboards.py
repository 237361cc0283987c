"""Reply markup checks (Telegram's limits) and finding the button a simulated person presses."""

from __future__ import annotations

from collections.abc import Mapping

from bot.standin.errors import BUTTON_DATA_INVALID, BUTTON_URL_INVALID, bad_request

MAX_CALLBACK_DATA_BYTES = 64
INLINE_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
_URL_SCHEMES = ("http://", "https://", "tg://")

ButtonSelector = str | int | tuple[int, int]


def check_reply_markup(markup: object) -> dict[str, object] | None:
    """Validate a decoded ``reply_markup`` and return it; raise Telegram's 400 when it is bad.

    The callback-data limit matters most: Telegram refuses the whole message when one button
    carries more than 64 bytes, which is why the project's callback codec stays under it.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif "remove_keyboard" not in markup and "force_reply" not in markup:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            actions = INLINE_BUTTON_ACTIONS.intersection(button)
            if not actions:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are "
                    "unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad_request(BUTTON_DATA_INVALID)
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(_URL_SCHEMES):
                    raise bad_request(BUTTON_URL_INVALID)


def _check_reply_keyboard(rows: object) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            if isinstance(button, str):
                continue
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )


def inline_markup_of(markup: dict[str, object] | None) -> dict[str, object] | None:
    """The part of a markup that Telegram echoes in Message.reply_markup (inline only)."""
    if markup is not None and "inline_keyboard" in markup:
        return markup
    return None


def inline_rows(message: Mapping[str, object]) -> list[list[dict[str, object]]]:
    """The inline keyboard of a stored message as rows of buttons (empty when none)."""
    markup = message.get("reply_markup")
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard")
    return rows if isinstance(rows, list) else []


def pick_button(message: Mapping[str, object], selector: ButtonSelector) -> dict[str, object]:
    """The button a person presses: by exact text, flat index, or (row, column).

    Raises LookupError naming the buttons that exist, so a failing test says what it saw.
    """
    rows = inline_rows(message)
    flat = [button for row in rows for button in row]
    found: dict[str, object] | None = None
    if isinstance(selector, tuple):
        row_index, column = selector
        if 0 <= row_index < len(rows) and 0 <= column < len(rows[row_index]):
            found = rows[row_index][column]
    elif isinstance(selector, int):
        if 0 <= selector < len(flat):
            found = flat[selector]
    else:
        matches = [button for button in flat if button.get("text") == selector]
        found = matches[0] if matches else None
    if found is None:
        labels = [[str(button.get("text")) for button in row] for row in rows]
        msg = (
            f"no button {selector!r} on message {message.get('message_id')}; "
            f"keyboard is {labels or 'absent'}"
        )
        raise LookupError(msg)
    return found
