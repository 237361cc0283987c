"""Everything the fake Telegram remembers, shared by the HTTP side and the simulated people.

Method handlers are plain functions of ``(state, params)``; keeping the state in one object
(rather than in the aiohttp server) lets the sandbox and the tests drive people and inspect
chats without going through HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.standin.chat_store import ChatRecord, ChatRegistry, StoredMessage
from bot.standin.file_store import FileStore
from bot.standin.spec import BotApiSpec
from bot.standin.update_queue import UpdateQueue
from bot.standin.webhook_delivery import WebhookDelivery


@dataclass(slots=True)
class QueryRecord:
    """A callback, inline, shipping or pre-checkout query waiting for the bot's answer.

    Telegram accepts exactly one answer per query id; a second one, or an id it never issued,
    gets "query is too old and response timeout expired or query ID is invalid".
    """

    query_id: str
    kind: str
    user: dict[str, object]
    chat_id: int | None = None
    message_id: int | None = None
    answered: bool = False
    answer: dict[str, object] | None = None
    payment: PaymentAttempt | None = None


@dataclass(slots=True)
class InvoiceRecord:
    """What sendInvoice asked for, needed when a simulated person pays."""

    chat_id: int
    message_id: int
    title: str
    payload: str
    currency: str
    prices: list[dict[str, object]]
    total_amount: int
    is_flexible: bool = False
    need_shipping_address: bool = False


@dataclass(slots=True)
class PaymentAttempt:
    """A payment in progress between the shipping query and the successful payment."""

    invoice: InvoiceRecord
    user: dict[str, object]
    total_amount: int
    order_info: dict[str, object] | None = None
    shipping_option_id: str | None = None


@dataclass(slots=True)
class Charge:
    """A completed payment; Star payments can be refunded once."""

    charge_id: str
    user_id: int
    currency: str
    total_amount: int
    invoice_payload: str
    chat_id: int
    refunded: bool = False


@dataclass(slots=True)
class StandInState:
    """The fake server's memory: the bot, chats, files, updates, queries and payments."""

    spec: BotApiSpec
    token: str
    bot_user: dict[str, object]
    bot_profile: dict[str, object]
    chats: ChatRegistry = field(default_factory=ChatRegistry)
    files: FileStore = field(default_factory=FileStore)
    updates: UpdateQueue = field(default_factory=UpdateQueue)
    commands: dict[tuple[str, str], list[dict[str, object]]] = field(default_factory=dict)
    queries: dict[str, QueryRecord] = field(default_factory=dict)
    invoices: dict[tuple[int, int], InvoiceRecord] = field(default_factory=dict)
    charges: dict[str, Charge] = field(default_factory=dict)
    users: dict[int, dict[str, object]] = field(default_factory=dict)
    webhook: WebhookDelivery | None = None
    #: Called with (provider charge id, amount, currency) when a provider (Stripe) payment
    #: succeeds, so a Stripe stand-in can know the charge Telegram's provider created.
    provider_charge_listeners: list[Callable[[str, int, str], None]] = field(default_factory=list)

    @property
    def bot_id(self) -> int:
        """The bot's user id (the number before the colon in its token)."""
        return int(str(self.bot_user["id"]))

    def new_query(
        self,
        kind: str,
        user: dict[str, object],
        *,
        chat_id: int | None = None,
        message_id: int | None = None,
        payment: PaymentAttempt | None = None,
    ) -> QueryRecord:
        """Issue a fresh query id, formatted like Telegram's (a long decimal string)."""
        query_id = str(secrets.randbits(63))
        record = QueryRecord(query_id, kind, user, chat_id, message_id, payment=payment)
        self.queries[query_id] = record
        return record

    def send_as_bot(
        self,
        record: ChatRecord,
        content: dict[str, object],
        *,
        raw_text: str | None = None,
        parse_mode: str | None = None,
    ) -> StoredMessage:
        """Store a message the bot sent (``from`` is the bot, or ``sender_chat`` in channels)."""
        return self.chats.store(
            record,
            content,
            sender=self.bot_user,
            from_bot=True,
            raw_text=raw_text,
            parse_mode=parse_mode,
        )


# A method handler: returns the call's ``result`` or raises ApiError (may be a coroutine).
Handler = Callable[[StandInState, dict[str, object]], object]
