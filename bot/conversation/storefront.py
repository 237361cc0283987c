"""The storefront: one entry point that turns any event into replies.

Per update: claim its ``update_id`` (a redelivery stops here), remember the buyer, pick their
language, route to a screen (buttons, commands, deep links and typed steps are looked up in
``bot.conversation.dispatch``, where each screen registers its handlers), and commit everything
in one unit of work. A failure rolls back and the person gets an apology instead of silence,
with one exception: where the update will be tried again (``redelivered``: webhook mode, where
Telegram delivers it again after a 500, and the polling inbox, which keeps it) an unreachable
database (``StorageUnavailable``) is raised; the claim makes it count once.

With the polling inbox (``inbox``) the claim's transaction also stores the update's replies in
its inbox row: a process that dies after the commit and before the replies reached Telegram
sends them at its next start (``bot.telegram.inbox``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from bot.conversation import dispatch
from bot.conversation.callbacks import decode
from bot.conversation.events import (
    ButtonPress,
    ChosenInline,
    Command,
    Event,
    InlineQuery,
    PaymentDone,
    Person,
    PreCheckout,
    ShippingQuery,
    Text,
    Unsupported,
)
from bot.conversation.replies import (
    AnswerCallback,
    AnswerInline,
    AnswerPreCheckout,
    AnswerShipping,
    DeleteMessage,
    Reply,
    SendDocument,
    SendInvoice,
    SendMedia,
    SendText,
)
from bot.conversation.reply_codec import KeptReplies, dump_replies
from bot.conversation.screens import (
    admin,
    browse,
    general,
    payment,
    reviews,
    sharing,
    support,
    support_staff,
)
from bot.conversation.screens import routes as _routes  # noqa: F401  (every screen registers)
from bot.conversation.texts import SUPPORTED, pick_locale, texts
from bot.conversation.turn import ShopConfig, Turn
from bot.domain.catalog import MediaKind
from bot.logs import bind_update
from bot.services.payment_port import CardGateway
from bot.services.ports import StorageUnavailable, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

#: Replies that would show twice if a redelivered update were handled again (edits and answers
#: are harmless: Telegram reports "not modified" or "query is too old").
_NOT_IDEMPOTENT = (SendText, SendMedia, SendDocument, DeleteMessage, SendInvoice)
#: How often a successful_payment is tried before giving up (the money is already taken, and
#: long polling will not deliver the update again).
_PAYMENT_ATTEMPTS = 3
#: A delivered receipt's backup is cancelled in a write of its own; a blip of the database
#: should not make the buyer get the receipt twice.
_CANCEL_ATTEMPTS = 3


def utc_now() -> datetime:
    return datetime.now(UTC)


class Storefront:
    def __init__(
        self,
        uows: UnitOfWorkFactory,
        config: ShopConfig | None = None,
        clock: Clock = utc_now,
        card: CardGateway | None = None,
        *,
        redelivered: bool = False,
    ) -> None:
        self.uows = uows
        #: Telegram sends an update again if handling it fails (webhook mode), or the polling
        #: inbox keeps it: an update that failed because the database was unreachable is
        #: raised, not apologised for.
        self.redelivered = redelivered
        #: Updates come from the polling inbox: a committed update's replies are stored with it.
        self.inbox = False
        #: Writes that go along with an update's commit (the polling inbox marks the updates
        #: whose replies were delivered meanwhile as done in it): entered just before the
        #: commit, left with the commit's exception if it failed.
        self.ride_along: Callable[[UnitOfWork], AbstractAsyncContextManager[None]] | None = None
        self.config = config or ShopConfig()
        self.clock = clock
        self.card = card
        #: Called after a commit that queued refunds or notices (the outbox worker's kick).
        self.on_outbox: list[Callable[[], None]] = []
        #: Called with each person made staff, after the commit (the dashboard's menu button).
        self.on_staff_added: list[Callable[[int], None]] = []
        self.on_staff_removed: list[Callable[[int], None]] = []
        #: Called with each update_id once its replies are delivered (tests, metrics).
        self.on_update_done: list[Callable[[int], None]] = []
        #: update_id -> (chat, order) of receipts committed and not yet delivered.
        self._receipts: dict[int, tuple[int, int]] = {}

    def update_done(self, update_id: int) -> None:
        """Adapters call this after delivering an update's replies (or ignoring the update)."""
        for listener in self.on_update_done:
            listener(update_id)

    async def finish_update(self, update_id: int, *, delivered: bool) -> None:
        """After an update's replies went out: a receipt among them that reached Telegram needs
        no backup any more (see ``PAYMENT_BACKUP``); then ``update_done``."""
        receipt = self._receipts.pop(update_id, None)
        try:
            if receipt is not None and delivered:
                await self._cancel_backup(receipt)
        finally:
            self.update_done(update_id)

    async def finish_replay(self, update_id: int, kept: KeptReplies, *, delivered: bool) -> None:
        """The inbox delivered the stored replies of an update whose process died before it
        could (``bot.telegram.inbox``): as ``finish_update``."""
        if kept.receipt is not None:
            self._receipts[update_id] = kept.receipt
        await self.finish_update(update_id, delivered=delivered)

    async def _cancel_backup(self, receipt: tuple[int, int]) -> None:
        for attempt in range(1, _CANCEL_ATTEMPTS + 1):
            try:
                async with self.uows() as uow:
                    await uow.notices.cancel_backup(*receipt)
                    await uow.commit()
                return
            except Exception:
                if attempt == _CANCEL_ATTEMPTS:  # the backup goes out too: one message more
                    log.exception("could not cancel the receipt backup of order %s", receipt)
                    return
                await asyncio.sleep(0.2 * attempt)

    async def handle(self, event: Event) -> list[Reply]:
        bind_update(event.update_id, event.chat.id if event.chat is not None else None)
        attempts = _PAYMENT_ATTEMPTS if isinstance(event, PaymentDone) else 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._handle(event, extras=attempt == 1)
            except Exception as exc:
                if self.redelivered and isinstance(exc, StorageUnavailable):
                    log.warning(
                        "update %s not handled, Telegram will deliver it again: %s",
                        event.update_id,
                        exc,
                    )
                    raise
                log.exception(
                    "update %s failed (attempt %d of %d); rolled back",
                    event.update_id,
                    attempt,
                    attempts,
                )
                if attempt < attempts:
                    await asyncio.sleep(0.2 * attempt)
        if isinstance(event, PaymentDone):
            log.critical(
                "payment %s (update %s) could not be recorded; needs a person",
                event.telegram_charge_id,
                event.update_id,
            )
        return self._apology(event)

    async def _handle(self, event: Event, *, extras: bool = True) -> list[Reply]:
        now = self.clock()
        async with self.uows() as uow:
            person = event.person
            buyer = await uow.buyers.touch(
                person.id, person.first_name, person.username, person.language_code, now
            )
            locale = pick_locale(buyer.locale, person.language_code, self.config.default_locale)
            turn = Turn(
                uow,
                event,
                person,
                event.chat,
                texts(locale),
                now,
                self.config,
                card=self.card,
                extras=extras,
            )
            await self._route(turn)
            if isinstance(event, ButtonPress):
                turn.answer()  # no screen answered: stop the spinner anyway
            if uow.has_writes or any(isinstance(r, _NOT_IDEMPOTENT) for r in turn.replies):
                # Claimed in the same transaction as the update's effects: a redelivery (or
                # a second process racing for it) finds the claim and changes nothing.
                if not await uow.updates.claim(event.update_id, now):
                    log.info(
                        "update %s was already handled; ignoring the redelivery", event.update_id
                    )
                    return []
                receipt = (turn.chat_id, turn.receipt_of) if turn.receipt_of is not None else None
                if self.inbox:  # the replies commit with the update (see the module docstring)
                    kept = dump_replies(KeptReplies(turn.replies, receipt))
                    await uow.inbox.handled(event.update_id, kept, now)
                if self.ride_along is None:
                    await uow.commit()
                else:
                    async with self.ride_along(uow):
                        await uow.commit()
                if receipt is not None:
                    self._receipts[event.update_id] = receipt
                if turn.outbox_dirty:
                    for kick in self.on_outbox:
                        kick()
                for user_id in turn.staff_added:
                    for listener in self.on_staff_added:
                        listener(user_id)
                for user_id in turn.staff_removed:
                    for listener in self.on_staff_removed:
                        listener(user_id)
            elif uow.interests.views_pending:
                # Only cards were shown: their views are stored without claiming the update
                # (a redelivery's view is de-duplicated), and never at the cost of the cards.
                try:
                    await uow.commit()
                except Exception:
                    log.warning("views of update %s not recorded", event.update_id, exc_info=True)
            return turn.replies

    async def _route(self, turn: Turn) -> None:
        event = turn.event
        if isinstance(event, Command):
            await self._command(turn, event)
        elif isinstance(event, Text):
            await self._text(turn, event)
        elif isinstance(event, ButtonPress):
            await self._press(turn, event)
        elif isinstance(event, Unsupported):
            await self._unsupported(turn, event)
        elif isinstance(event, ShippingQuery):
            await payment.shipping(turn, event)
        elif isinstance(event, PreCheckout):
            await payment.pre_checkout(turn, event)
        elif isinstance(event, PaymentDone):
            await payment.paid(turn, event)
        elif isinstance(event, InlineQuery):
            await sharing.inline(turn, event)
        elif isinstance(event, ChosenInline):
            await sharing.chosen(turn, event)

    async def _command(self, turn: Turn, event: Command) -> None:
        if event.name != "cancel":  # /cancel says what it cancels, so it clears the step itself
            await turn.uow.ui_states.clear(turn.person.id, turn.chat_id)
        handler = dispatch.COMMANDS.get(event.name)
        if handler is None:
            general.unknown_command(turn, event.name)
        else:
            await handler(turn, event.args)

    async def _unsupported(self, turn: Turn, event: Unsupported) -> None:
        state = None
        if turn.in_private:
            state = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
            if state is not None and state.state == support.ASK:  # a photo, or refused
                await support.media_sent(turn, state, event.what, event.file_id, event.caption)
                return
        if event.what in ("photo", "video") and event.file_id and turn.in_private:
            if event.what == "photo" and state is not None and state.state == reviews.ASK_TEXT:
                await reviews.photo_sent(turn, state, event.file_id, event.caption)
                return
            if await admin.wants_media(turn, state):
                kind = MediaKind.VIDEO if event.what == "video" else MediaKind.PHOTO
                await admin.media_sent(turn, state, kind, event.file_id, event.caption)
                return
        general.unsupported(turn, event.what)

    async def _text(self, turn: Turn, event: Text) -> None:
        # A reply to the bot's copy of a buyer's question answers it (the support desk).
        if event.reply_to is not None and await support_staff.replied(
            turn, event.reply_to, event.text
        ):
            return
        state = await turn.uow.ui_states.get(turn.person.id, turn.chat_id)
        handler = dispatch.step(state) if state is not None else None
        if state is not None and handler is not None:
            await handler(turn, state, event.text)
        elif turn.in_private or event.replies_to_bot:
            await browse.search(turn, event.text)

    async def _press(self, turn: Turn, event: ButtonPress) -> None:
        # Signed buttons are checked for the chat they were pressed in (``callbacks.Signer``).
        call = decode(event.data, self.config.signer, turn.chat_id)
        if call is None:
            log.info("undecodable callback data from %s", turn.person.id)
            turn.answer(turn.tx.t("stale_button"))
            return
        handler = dispatch.PRESSES.get(call.action)
        if handler is None:  # NOOP: a label
            turn.answer()
        else:
            await handler(turn, call)

    def _apology(self, event: Event) -> list[Reply]:
        tx = texts(pick_locale(None, event.person.language_code, self.config.default_locale))
        if isinstance(event, ButtonPress):
            return [AnswerCallback(event.callback_id, tx.t("error.generic"), alert=True)]
        if isinstance(event, PreCheckout):
            return [AnswerPreCheckout(event.query_id, tx.label("precheckout.error"))]
        if isinstance(event, ShippingQuery):
            return [AnswerShipping(event.query_id, error=tx.label("precheckout.error"))]
        if isinstance(event, InlineQuery):
            return [AnswerInline(event.query_id)]
        if isinstance(event, ChosenInline):  # nothing to tell: the person posted their card
            return []
        if isinstance(event, PaymentDone) and event.chat is not None:
            return [SendText(event.chat.id, tx.t("error.payment"))]
        if event.chat is not None and event.chat.id == event.person.id:
            return [SendText(event.chat.id, tx.t("error.generic"))]
        return []

    async def slow_down(
        self,
        person: Person,
        *,
        chat_id: int | None,
        callback_id: str | None = None,
        seconds: int = 10,
    ) -> list[Reply]:
        """What a chat over its update rate is told, once per flood episode
        (``bot.telegram.throttle``): in the person's language (their choice if they made one,
        else their app's); a pressed button gets it as an alert, a message in the chat, an
        inline query nothing (there is nowhere to say it)."""
        chosen: str | None = None
        try:
            async with self.uows() as uow:
                profile = await uow.buyers.profile(person.id)
            chosen = profile.locale if profile is not None else None
        except Exception as exc:  # the database is busy or away: the app's language will do
            log.warning("slow-down notice for %s in the app's language: %s", person.id, exc)
        tx = texts(pick_locale(chosen, person.language_code, self.config.default_locale))
        if callback_id is not None:
            text = tx.plural_label("flood.slow_down", seconds)
            return [AnswerCallback(callback_id, text, alert=True)]
        if chat_id is not None:
            return [SendText(chat_id, tx.plural("flood.slow_down", seconds))]
        return []

    async def remember_file_id(self, media_id: int, file_id: str) -> None:
        """Telegram gave a ``file_id`` for an uploaded teaser: reuse it from now on."""
        try:
            async with self.uows() as uow:
                await uow.catalog.remember_file_id(media_id, file_id)
                await uow.commit()
        except Exception:
            log.exception("could not store file_id for media %s", media_id)

    def command_menus(self) -> list[tuple[str | None, list[tuple[str, str]]]]:
        """(language_code or None for the default, [(command, description)]) for setMyCommands."""
        default = self.config.default_locale
        menus: list[tuple[str | None, list[tuple[str, str]]]] = [
            (None, general.command_menu(default))
        ]
        menus += [(code, general.command_menu(code)) for code in SUPPORTED if code != default]
        return menus
