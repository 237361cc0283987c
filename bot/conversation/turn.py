"""Everything a screen needs to answer one update, gathered once per update."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.conversation.callbacks import Signer
from bot.conversation.events import ButtonPress, Chat, Event, MessageKind, Person
from bot.conversation.replies import (
    AnswerCallback,
    EditText,
    Keyboard,
    Reply,
    SendText,
)
from bot.conversation.texts import Texts
from bot.domain.cart import MAX_QUANTITY_PER_LINE
from bot.domain.guesses import GuessLimit
from bot.domain.privacy import ExportPace
from bot.services.alerts import AlertPolicy
from bot.services.checkout import PaymentSetup
from bot.services.payment_port import CardGateway
from bot.services.ports import UnitOfWork


@dataclass(slots=True)
class ShopConfig:
    shop_name: str = "Storefront"
    default_locale: str = "en"
    max_per_line: int = MAX_QUANTITY_PER_LINE
    #: Filled from getMe when the bot starts; used for t.me deep links.
    bot_username: str | None = None
    payments: PaymentSetup = field(default_factory=PaymentSetup)
    #: The shop's owners: told about returns and refunds that fail.
    admin_ids: tuple[int, ...] = ()
    #: The merchant dashboard's public URL (DASHBOARD_URL): /admin shows a Web App button.
    dashboard_url: str | None = None
    #: An untouched cart gets one reminder after this long (None: never).
    cart_reminder_after: timedelta | None = timedelta(hours=24)
    #: Only leaders the merchant appointed may open group buys (else anyone may).
    group_leaders_only: bool = False
    #: How long a flash-sale reservation waits for its payment.
    claim_window: timedelta = timedelta(minutes=10)
    #: How long before a flash sale starts its watchers get the "starts soon" alert.
    sale_alert_lead: timedelta = timedelta(minutes=10)
    #: How long after a click on a creator's link an order still earns that creator.
    creator_window: timedelta = timedelta(days=7)
    #: Drops a buyer gets at most in 24 hours (DROPS_PER_DAY; 0: no cap).
    drops_per_day: int = 2
    #: Marketing messages: the daily cap (MARKETING_PER_DAY), the default time zone
    #: (DEFAULT_TIMEZONE) and quiet hours of buyers who chose none (``bot.services.alerts``).
    alerts: AlertPolicy = field(default_factory=AlertPolicy)
    #: The shop's currency (``CURRENCY``): what the console prices new products in. None: the
    #: catalog's most common currency.
    currency: str | None = None
    #: Wrong codes a buyer may type or open in a window (GUESS_LIMIT, GUESS_WINDOW_MINUTES).
    guesses: GuessLimit = field(default_factory=GuessLimit)
    #: Signs the buttons whose authority is "the bot gave this chat that button" (a coupon in
    #: a drop, a search list, a refund confirmation): ``CALLBACK_SECRET`` or from BOT_TOKEN.
    signer: Signer = field(default_factory=Signer.random)
    #: Where buyers' questions go (SUPPORT_CHAT_ID): a staff group; None: every owner's and
    #: staff member's private chat.
    support_chat_id: int | None = None
    #: An unanswered question reminds the staff this often (SUPPORT_REMINDER_HOURS; None: never).
    support_reminder: timedelta | None = timedelta(hours=4)
    #: When each buyer last got /mydata's file (one per minute; kept in this process).
    exports: ExportPace = field(default_factory=ExportPace)


@dataclass(slots=True)
class Turn:
    uow: UnitOfWork
    event: Event
    person: Person
    chat: Chat | None
    tx: Texts
    now: datetime
    config: ShopConfig
    replies: list[Reply] = field(default_factory=list)
    #: Stripe, for payment links (None when the shop has no Stripe key).
    card: CardGateway | None = None
    #: Set when the turn queued refunds or notices: the outbox is worked right after commit.
    outbox_dirty: bool = False
    #: People an owner made staff in this update (their dashboard menu button is set after
    #: the commit: ``Storefront.on_staff_added``).
    staff_added: list[int] = field(default_factory=list)
    #: People an owner removed from staff in this update (their menu button goes back to the
    #: usual commands after the commit: ``Storefront.on_staff_removed``).
    staff_removed: list[int] = field(default_factory=list)
    #: The order whose receipt this turn's replies carry, backed up by a delayed notice that
    #: is cancelled once the replies were delivered (``PAYMENT_BACKUP``).
    receipt_of: int | None = None
    #: False when the update is tried again after a failure: what is only nice to have (the
    #: suggestions under a receipt) is left out, so it cannot fail a payment twice.
    extras: bool = True

    @property
    def chat_id(self) -> int:
        return self.chat.id if self.chat else self.person.id

    @property
    def in_private(self) -> bool:
        return self.chat is None or self.chat.id == self.person.id

    def deep_link(self, payload: str) -> str | None:
        if not self.config.bot_username:
            return None
        return f"https://t.me/{self.config.bot_username}?start={payload}"

    def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the pressed button (first, so the spinner stops at once); once only, since
        Telegram refuses a second answer to the same query."""
        if isinstance(self.event, ButtonPress) and not self.answered:
            self.replies.insert(0, AnswerCallback(self.event.callback_id, text, alert))

    @property
    def answered(self) -> bool:
        return any(isinstance(r, AnswerCallback) for r in self.replies)

    def say(self, text: str, keyboard: Keyboard | None = None) -> None:
        self.replies.append(SendText(self.chat_id, text, keyboard))

    def show(self, text: str, keyboard: Keyboard | None = None) -> None:
        """Replace the pressed text message in place; otherwise send a new message."""
        event = self.event
        if (
            isinstance(event, ButtonPress)
            and event.message_id is not None
            and event.message_kind is MessageKind.TEXT
        ):
            self.replies.append(EditText(self.chat_id, event.message_id, text, keyboard))
        else:
            self.say(text, keyboard)

    def refuse(self, text: str, keyboard: Keyboard | None = None) -> None:
        """Why a checkout, a seat or a grab did not happen: kept in the chat as a message
        (with what to do instead), and, for a pressed button, its answer too, so the press
        itself is answered with the reason (a forged or stale one included)."""
        self.answer(text)
        self.say(text, keyboard)

    def tell(self, text: str, *, alert: bool = False) -> None:
        """A short notice: a toast (or an alert) for a button press, a message otherwise."""
        if isinstance(self.event, ButtonPress):
            self.answer(text, alert=alert)
        else:
            self.say(text)
