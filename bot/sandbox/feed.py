"""Everything that changed in one person's chat since it was last shown, in the order it happened.

Messages come from the stand-in's chat listener; toasts, shipping options and failed calls exist
only as Bot API calls, so they come from the call log, each given to the chat it concerns (a
query knows its chat, a send names it). Each chat event remembers how many calls had been
recorded when it fired (it fires *during* the call that caused it, before that call is logged),
which lets both sources be merged back into one timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox.media import MediaFolder
from bot.sandbox.render import (
    deleted_line,
    message_lines,
    notice_line,
    price_lines,
    shipping_lines,
)
from bot.standin import BotApiStandIn, ChatEvent, RecordedCall


@dataclass(slots=True)
class _Seen:
    position: int
    event: ChatEvent


@dataclass(slots=True)
class ChatFeed:
    """Collects changes to one chat and turns them into printable lines on ``drain``.

    ``owner`` names the chat in the media folder.
    """

    standin: BotApiStandIn
    chat_id: int
    owner: str
    media: MediaFolder | None = None
    #: For a group chat: its name, written into each message's header (``bot #3 in X``).
    place: str | None = None
    _events: list[_Seen] = field(default_factory=list)
    _call_cursor: int = 0

    def __post_init__(self) -> None:
        # Start after whatever the bot did while starting (getMe, setMyCommands...).
        self._call_cursor = len(self.standin.calls)

    def listen(self, event: ChatEvent) -> None:
        """The stand-in's listener: keep the bot's side of our chat, ignore the person's own."""
        if event.chat_id == self.chat_id and event.kind != "incoming":
            self._events.append(_Seen(len(self.standin.calls), event))

    def waiting(self) -> tuple[int, int]:
        """How many new messages, and how many other changes (edits, deletions), are unread."""
        sent = sum(1 for seen in self._events if seen.event.kind == "sent")
        return sent, len(self._events) - sent

    def drain(self) -> list[str]:
        """Lines for everything since the last drain, oldest first (empty when nothing changed).

        Items need no blank line between them: each starts at column 0 with ``bot``, and a
        message's own lines are indented.
        """
        return [line for _, _, lines in self.drain_items() for line in lines]

    def drain_items(self) -> list[tuple[int, int, list[str]]]:
        """``drain``'s items with their place in the call log, to merge with another chat's."""
        calls = self.standin.calls[self._call_cursor :]
        self._call_cursor += len(calls)
        timeline: list[tuple[int, int, list[str]]] = [
            (seen.position, 0, self._event_lines(seen.event)) for seen in self._events
        ]
        self._events.clear()
        timeline.extend(
            (call.index, 1, lines)
            for call in calls
            if self._concerns_us(call) and (lines := self._call_lines(call))
        )
        timeline.sort(key=lambda item: (item[0], item[1]))
        return timeline

    def _event_lines(self, event: ChatEvent) -> list[str]:
        lines = self._plain_event_lines(event)
        number = f"bot #{event.message_id}"
        if self.place and lines and lines[0].startswith(number):
            lines[0] = f"{number} in {self.place}{lines[0][len(number) :]}"
        return lines

    def _plain_event_lines(self, event: ChatEvent) -> list[str]:
        if event.kind == "deleted" or event.message is None:
            return [deleted_line(event.message_id)]
        lines = message_lines(event.message, edited=event.kind == "edited")
        if self.media is not None:
            saved = self.media.save(event.message, self.owner)
            if saved:
                lines.insert(1, saved)
        if "invoice" in event.message:
            record = self.standin.state.invoices.get((self.chat_id, event.message_id))
            if record is not None:
                lines.extend(
                    price_lines(record.prices, record.currency, shipping_later=record.is_flexible)
                )
        return lines

    def _concerns_us(self, call: RecordedCall) -> bool:
        """Whether ``call`` is about our chat: its query's chat, or the chat it names."""
        for key in ("callback_query_id", "shipping_query_id", "pre_checkout_query_id"):
            query_id = call.params.get(key)
            if isinstance(query_id, str):
                record = self.standin.state.queries.get(query_id)
                return record is not None and record.chat_id == self.chat_id
        chat = call.params.get("chat_id")
        return chat is not None and str(chat) == str(self.chat_id)

    def _call_lines(self, call: RecordedCall) -> list[str]:
        """A toast or alert, shipping options, or a failed call worth knowing about."""
        if not call.ok:
            return [f"! the bot's {call.method} call failed: {call.description or call.response}"]
        if call.method == "answerCallbackQuery":
            text = call.params.get("text")
            if isinstance(text, str) and text:
                return [notice_line(text, alert=bool(call.params.get("show_alert")))]
        if call.method == "answerShippingQuery":
            return self._shipping(call)
        if call.method == "answerPreCheckoutQuery" and not call.params.get("ok"):
            return [f"bot (payment refused) {call.params.get('error_message', '')}"]
        return []

    def _shipping(self, call: RecordedCall) -> list[str]:
        if not call.params.get("ok"):
            return [f"bot (no shipping) {call.params.get('error_message', '')}"]
        options = call.params.get("shipping_options")
        query = self.standin.state.queries.get(str(call.params.get("shipping_query_id")))
        payment = query.payment if query is not None else None
        if not isinstance(options, list) or payment is None:
            return []
        return shipping_lines(
            [o for o in options if isinstance(o, dict)], payment.invoice.currency
        )
