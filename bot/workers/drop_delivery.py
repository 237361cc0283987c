"""A drop's sends to its recipients: each claimed row at its slot, with that chat's keyboard and
the drop's media (uploaded once, then reused by its file_id), and what Telegram's answer means
for the row.

- a 429 puts the row back for its ``retry_after`` (the attempt not counted);
- a 403 marks the person as blocked (no more drops);
- network errors and 5xx are retried with back-off, ``MAX_ATTEMPTS`` times;
- a chat Telegram refuses (400) fails;
- a photo or video that Telegram refuses before anyone got the drop halts it (every send would
  fail alike); the rows not yet sent stay pending.

The loop that claims the rows and records these outcomes is ``bot.workers.drop_sender``.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.conversation.delivery import DeliveryError, Failure, Sender
from bot.conversation.replies import MediaRef
from bot.conversation.screens.drop_text import DropButtons
from bot.domain.alerts import AlertKind, Verdict
from bot.domain.catalog import MediaKind as CardMedia
from bot.domain.drops import DeliveryStatus, MediaKind
from bot.services import alerts
from bot.services.alerts import AlertPolicy
from bot.services.drop_ports import Delivery, DeliveryResult, Drop, Pacer
from bot.services.ports import UnitOfWork, UnitOfWorkFactory

MAX_ATTEMPTS = 5
#: A send this close to its slot goes now (a timer for each would cost more than the send);
#: the schedule still holds over any second (at most a couple of sends early).
_EARLY = 0.002


class RunState:
    """One run of a drop in this sender: what it sends, what it holds, how it is going."""

    def __init__(self, drop: Drop, buttons: DropButtons, started: float) -> None:
        self.drop = drop
        self.buttons = buttons
        self.started = started
        self.reported_at = 0.0
        self.messages: dict[int, int] = dict(drop.progress_messages)
        self.sent_any = False
        self.halt: str | None = None
        self.error: Exception | None = None
        #: Rows this sender holds (``sending``): their leases are renewed while it lives.
        self.held: set[int] = set()
        self.reporting: asyncio.Task[None] | None = None
        self.source = drop.content.source or ""
        #: Telegram's file_id once the first send uploaded the media (reused for the rest).
        self.file_id: str | None = None if _is_file(self.source) else self.source
        #: The drop's catalog categories when the buyers' alert choices apply (else None).
        self.categories: frozenset[int] | None = None

    def media(self) -> MediaRef:
        kind = CardMedia.VIDEO if self.drop.content.media is MediaKind.VIDEO else CardMedia.PHOTO
        return MediaRef(kind, 0, self.source, file_id=self.file_id)


def _is_file(source: str) -> bool:
    """A URL or a local path, rather than a Telegram file_id."""
    return source.startswith(("http://", "https://")) or "/" in source or "." in source


class DropDelivery:
    """Sends claimed rows of a drop, each at its pace's slot, and says how each went."""

    def __init__(
        self, sender: Sender, uows: UnitOfWorkFactory, clock: Callable[[], datetime]
    ) -> None:
        self.sender = sender
        self.uows = uows
        self.clock = clock

    async def send_batch(
        self, state: RunState, batch: list[Delivery], pace: Pacer, gate: asyncio.Semaphore
    ) -> list[DeliveryResult]:
        async def one(delivery: Delivery) -> DeliveryResult:
            async with gate:
                if state.halt is not None:  # the content was refused: keep the rest pending
                    return DeliveryResult(
                        delivery.id, DeliveryStatus.PENDING, self.clock(), counted=False
                    )
                wait = await pace.slot(delivery.chat_id)
                if wait > _EARLY:
                    await asyncio.sleep(wait)
                return await self._send_one(state, delivery)

        return list(await asyncio.gather(*(one(d) for d in batch)))

    async def _send_one(self, state: RunState, delivery: Delivery) -> DeliveryResult:
        drop = state.drop
        text = html.escape(drop.content.text, quote=False)
        keyboard = state.buttons.for_chat(delivery.chat_id)
        try:
            if drop.content.media is MediaKind.NONE:
                await self.sender.send_text(delivery.chat_id, text, keyboard, paid=drop.paid)
            else:
                sent = await self.sender.send_media(
                    delivery.chat_id, state.media(), text, keyboard, paid=drop.paid
                )
                if sent.file_id and state.file_id is None:
                    state.file_id = sent.file_id
                    async with self.uows() as uow:
                        await uow.drops.set_source(drop.id, sent.file_id)
                        await uow.commit()
        except DeliveryError as exc:
            return failure_result(state, delivery, exc, self.clock())
        state.sent_any = True
        return DeliveryResult(delivery.id, DeliveryStatus.SENT)


def failure_result(
    state: RunState, delivery: Delivery, exc: DeliveryError, now: datetime
) -> DeliveryResult:
    """What a refused or failed send means for its row (see the module's list)."""
    if exc.failure is Failure.FORBIDDEN:
        return DeliveryResult(delivery.id, DeliveryStatus.BLOCKED, error=exc.description)
    if exc.failure is Failure.RETRY_AFTER:
        wait = timedelta(seconds=exc.retry_after or 1)
        return DeliveryResult(
            delivery.id, DeliveryStatus.PENDING, now + wait, counted=False, error="429"
        )
    if exc.failure is Failure.NETWORK and delivery.attempts + 1 < MAX_ATTEMPTS:
        wait = timedelta(seconds=2 ** (delivery.attempts + 1))
        return DeliveryResult(
            delivery.id, DeliveryStatus.PENDING, now + wait, error=exc.description
        )
    media = state.drop.content.media is not MediaKind.NONE
    if exc.failure is Failure.BAD_REQUEST and media and not state.sent_any:
        # Telegram refuses the drop's own photo or video: every send would fail alike.
        state.halt = exc.description[:300] or "the media was refused"
        return DeliveryResult(
            delivery.id, DeliveryStatus.PENDING, now, counted=False, error=state.halt
        )
    return DeliveryResult(delivery.id, DeliveryStatus.FAILED, error=exc.description)


async def admit_claimed(
    uow: UnitOfWork,
    state: RunState,
    claimed: list[Delivery],
    now: datetime,
    policy: AlertPolicy,
) -> list[Delivery]:
    """The buyers' choices asked again as their rows are claimed, in the claim's
    transaction (each let through takes one from their day's count): what is left to send."""
    decided = await alerts.admit(
        uow,
        [d.chat_id for d in claimed],
        AlertKind.DROPS,
        state.categories or frozenset(),
        now,
        policy,
    )
    kept: list[Delivery] = []
    results: list[DeliveryResult] = []
    for delivery in claimed:
        decision = decided[delivery.chat_id]
        if decision.verdict is Verdict.SEND:
            kept.append(delivery)
        elif decision.verdict is Verdict.HOLD:
            results.append(
                DeliveryResult(delivery.id, DeliveryStatus.HELD, decision.until, counted=False)
            )
        else:
            off = decision.verdict is Verdict.OFF
            status = DeliveryStatus.OPTED_OUT if off else DeliveryStatus.CAPPED
            results.append(DeliveryResult(delivery.id, status))
    if results:
        await uow.drops.record(results, now)
    return kept
