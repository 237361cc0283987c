"""Everything that changed in the person's chat since it was last shown, in the order it happened.

Messages come from the stand-in's chat listener; toasts and failed calls exist only as Bot API
calls, so they come from the call log. Each chat event remembers how many calls had been
recorded when it fired (it fires *during* the call that caused it, before that call is logged),
which lets both sources be merged back into one timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox.render import deleted_line, message_lines, notice_line
from bot.standin import BotApiStandIn, ChatEvent, RecordedCall


@dataclass(slots=True)
class _Seen:
    position: int
    event: ChatEvent


@dataclass(slots=True)
class ChatFeed:
    """Collects changes to one chat and turns them into printable lines on ``drain``."""

    standin: BotApiStandIn
    chat_id: int
    _events: list[_Seen] = field(default_factory=list)
    _call_cursor: int = 0
    _violation_cursor: int = 0

    def __post_init__(self) -> None:
        # Start after whatever the bot did while starting (getMe, setMyCommands...).
        self._call_cursor = len(self.standin.calls)
        self._violation_cursor = len(self.standin.violations)

    def listen(self, event: ChatEvent) -> None:
        """The stand-in's listener: keep the bot's side of our chat, ignore the person's own."""
        if event.chat_id == self.chat_id and event.kind != "incoming":
            self._events.append(_Seen(len(self.standin.calls), event))

    def drain(self) -> list[str]:
        """Lines for everything since the last drain, oldest first (empty when nothing changed).

        Items need no blank line between them: each starts at column 0 with ``bot``, and a
        message's own lines are indented.
        """
        calls = self.standin.calls[self._call_cursor :]
        self._call_cursor += len(calls)
        timeline: list[tuple[int, int, list[str]]] = [
            (seen.position, 0, _event_lines(seen.event)) for seen in self._events
        ]
        self._events.clear()
        timeline.extend((call.index, 1, lines) for call in calls if (lines := _call_lines(call)))
        timeline.sort(key=lambda item: (item[0], item[1]))
        violations = self.standin.violations[self._violation_cursor :]
        self._violation_cursor += len(violations)
        out = [line for _, _, lines in timeline for line in lines]
        out.extend(f"! the stand-in says the bot broke a Bot API rule: {v}" for v in violations)
        return out


def _event_lines(event: ChatEvent) -> list[str]:
    if event.kind == "deleted" or event.message is None:
        return [deleted_line(event.message_id)]
    return message_lines(event.message, edited=event.kind == "edited")


def _call_lines(call: RecordedCall) -> list[str]:
    """A toast or alert, or a failed call worth knowing about; nothing for the rest."""
    if not call.ok:
        if call.method == "getUpdates":  # a long poll cut short at shutdown, not a bot bug
            return []
        return [f"! the bot's {call.method} call failed: {call.description or call.response}"]
    if call.method == "answerCallbackQuery":
        text = call.params.get("text")
        if isinstance(text, str) and text:
            return [notice_line(text, alert=bool(call.params.get("show_alert")))]
    return []
