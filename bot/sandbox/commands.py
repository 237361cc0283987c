"""What a typed line means: a message for the bot, a button press, or one of the sandbox's keys.

Parsing is separate from doing so that every spelling (``[3]``, ``[5.2]``, ``:q``) is decided in
one place. Plain text is always a message: a number typed where the bot asks for a quantity or a
price is an answer, never a press. A press has its own bracketed spelling, the one the buttons
are drawn with (``[3] Add to cart``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.render import flat_buttons

#: ``[3]`` presses button 3 of the latest keyboard; ``[5.2]`` button 2 of message #5.
_PRESS = re.compile(r"\[\s*#?(\d{1,6})(?:\s*\.\s*(\d{1,6}))?\s*\]")
#: ``:word`` and an optional argument; ``:)`` and the like stay messages for the bot.
_KEY = re.compile(r":([A-Za-z]+)(?:\s+(.*))?", re.DOTALL)
QUIT_WORDS = frozenset({"/quit", ":q", ":quit", ":exit"})
#: The keys the sandbox knows (``:help`` explains them); another ``:word`` gets a hint.
KEYS = frozenset(
    {
        "as",
        "who",
        "people",
        "group",
        "photo",
        "video",
        "file",
        "sticker",
        "pay",
        "show",
        "wait",
        "help",
    }
)

HELP_TEXT = """\
Everything you type is sent to the bot as a message, numbers included. Sandbox keys:
  [3]             press button 3 of the latest message with buttons (buttons show as [3])
  [5.2]           press button 2 of message #5 (a link to this bot sends its /start)
  :as NAME        type as someone else: ana, ben (buyers), lea (group leader), max (merchant)
  :who, :people   who is here, who you are, and who has unread messages
  :group TEXT     say TEXT in the demo group Neighbours (everyone is in it);
                  :group [3] presses a button of the group's latest message
  :photo PATH     send a picture (":photo demo" sends one that ships with the shop);
                  words after the path are its caption
  :video PATH     send a video (":video demo", or a demo file name such as air-runner.mp4)
  :file PATH      send a file as a document
  :sticker        send a sticker
  :pay            pay the latest invoice (a test card and a US address)
  :wait [SECONDS] wait until the shop's background work is done (drops, notices)
  :show           show the latest message with buttons again
  :say TEXT       send TEXT as it is, e.g. ":say [3]" or ":say :who"
  :help           this list
  /quit, :q       leave (Ctrl-D and Ctrl-C work too)
Pictures, videos and files the bot sends are saved in the media folder; their path is
printed next to them."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``text`` to the bot as the person's message."""

    text: str


@dataclass(frozen=True, slots=True)
class Press:
    """Press button ``button`` (from 1) of message ``message_id``, or of the latest keyboard."""

    button: int
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class SandboxKey:
    """One of the sandbox's own ``:`` commands (``name`` without the colon)."""

    name: str
    argument: str = ""


@dataclass(frozen=True, slots=True)
class Nothing:
    """A blank line: Telegram cannot send an empty message, so neither do we."""


@dataclass(frozen=True, slots=True)
class Quit:
    """Leave the sandbox."""


Action = Send | Press | SandboxKey | Nothing | Quit


def parse_line(line: str) -> Action:
    """Decide what ``line`` (without its newline) asks for."""
    text = line.strip()
    if not text:
        return Nothing()
    if text.lower() in QUIT_WORDS:
        return Quit()
    press = _PRESS.fullmatch(text)
    if press:
        first, second = int(press.group(1)), press.group(2)
        if second is None:
            return Press(first)
        return Press(int(second), message_id=first)
    key = _KEY.fullmatch(text)
    if key:
        name, argument = key.group(1).lower(), (key.group(2) or "").strip()
        if name == "say":
            return Send(argument) if argument else Nothing()
        return SandboxKey(name, argument)
    return Send(text)


@dataclass(frozen=True, slots=True)
class PressTarget:
    """A button that can be pressed: its message, its index from 0, and the button itself."""

    message_id: int
    index: int
    button: dict[str, object]

    @property
    def text(self) -> str:
        """The button's label."""
        return str(self.button.get("text", ""))


def start_payload(url: str, bot_username: str, parameter: str = "start") -> str | None:
    """``g_1`` for ``https://t.me/<bot>?start=g_1`` (a link that opens this bot's chat and
    sends ``/start g_1``); None for any other link."""
    match = re.fullmatch(
        rf"https://t\.me/{re.escape(bot_username)}\?{parameter}=([A-Za-z0-9_-]{{1,64}})",
        url,
        re.IGNORECASE,
    )
    return match.group(1) if match else None


def resolve_press(
    press: Press,
    bot_messages: list[dict[str, object]],
    own_message_ids: set[int],
    bot_username: str | None = None,
) -> PressTarget | str:
    """The button ``press`` means among the bot's current messages, or a hint saying why not.

    A link to this bot (``t.me/<bot_username>?start=...`` or ``?startgroup=...``) can be
    followed, as Telegram follows it.

    A hint, not an exception: a mistyped number is the commonest slip in the sandbox and must
    read like advice, never like a traceback.
    """
    if press.message_id is None:
        with_keyboard = [m for m in bot_messages if flat_buttons(m)]
        if not with_keyboard:
            return (
                "No message has buttons yet, so there is nothing to press. "
                "Try /start or /catalog first."
            )
        message = with_keyboard[-1]
    else:
        found = [m for m in bot_messages if m.get("message_id") == press.message_id]
        if not found:
            if press.message_id in own_message_ids:
                return (
                    f"Message #{press.message_id} is one of yours; "
                    "only the bot's messages have buttons."
                )
            return (
                f"There is no message #{press.message_id} from the bot (it may have been "
                'deleted). The numbers are the ones after "bot #".'
            )
        message = found[0]
    number = int(str(message.get("message_id")))
    buttons = flat_buttons(message)
    if not buttons:
        return f"Message #{number} has no buttons."
    if not 1 <= press.button <= len(buttons):
        has = "one button: 1" if len(buttons) == 1 else f"buttons 1 to {len(buttons)}"
        return f"Message #{number} has no button {press.button} (it has {has})."
    button = buttons[press.button - 1]
    label = f"Button {press.button} (\u201c{button.get('text')}\u201d)"
    url = button.get("url")
    if isinstance(url, str):
        if bot_username and start_payload(url, bot_username) is not None:
            return PressTarget(number, press.button - 1, button)
        if bot_username and start_payload(url, bot_username, "startgroup") is not None:
            return PressTarget(number, press.button - 1, button)
        return (
            f"{label} is a link to {url}; Telegram would open it in a browser "
            "without telling the bot."
        )
    if button.get("pay") is True:  # the invoice's Pay button: the payment sheet (:pay)
        return PressTarget(number, press.button - 1, button)
    if isinstance(button.get("web_app"), dict):  # a Mini App: its link, to open in a browser
        return PressTarget(number, press.button - 1, button)
    if not isinstance(button.get("callback_data"), str):
        return f"{label} is not a callback button; the sandbox cannot press it."
    return PressTarget(number, press.button - 1, button)
