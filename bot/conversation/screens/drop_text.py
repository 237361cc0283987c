"""How a drop reads: its buttons, for each chat it goes to, and the merchant's progress message
while it sends (a bar, sent, failed, left, the time left; then a final report).

The drop sender (``bot.workers.drop_sender``) sends what this words.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.conversation.callbacks import Action, Signer, cb
from bot.conversation.replies import Button, Keyboard
from bot.conversation.texts import Texts
from bot.domain.alerts import KINDS, AlertKind
from bot.domain.drops import ButtonKind, Progress
from bot.services.drop_ports import Drop


class DropButtons:
    """A drop's keyboard for each chat: the same for all, except that a coupon button is
    signed for the chat it goes to (a person, or a group whose members may all press it)."""

    def __init__(self, tx: Texts, drop: Drop, signer: Signer, *, fewer: bool = False) -> None:
        self.tx = tx
        self.drop = drop
        self.signer = signer
        #: A "Fewer like this" row (drops to buyers whose alert choices apply).
        self.fewer = fewer
        self.personal = any(b.kind is ButtonKind.COUPON for b in drop.content.buttons)
        self.shared = None if self.personal else self._keyboard(lambda raw: raw)

    def for_chat(self, chat_id: int) -> Keyboard | None:
        if not self.personal:
            return self.shared
        return self._keyboard(lambda raw: self.signer.seal(raw, chat_id))

    def _keyboard(self, seal: Callable[[str], str]) -> Keyboard | None:
        keyboard = drop_keyboard(self.tx, self.drop, seal)
        if not self.fewer:
            return keyboard
        return (*(keyboard or ()), fewer_row(self.tx, AlertKind.DROPS))


def drop_keyboard(tx: Texts, drop: Drop, seal: Callable[[str], str]) -> Keyboard | None:
    rows: list[tuple[Button, ...]] = []
    for button in drop.content.buttons:
        if button.kind is ButtonKind.BUY:
            rows.append(
                (
                    Button(
                        tx.label("drop.btn_buy"), cb(Action.BUY_VARIANT, button.target, "p", 0, 0)
                    ),
                )
            )
        elif button.kind is ButtonKind.SALE:
            rows.append(
                (Button(tx.label("drop.btn_sale"), cb(Action.FLASH_CLAIM, button.target)),)
            )
        else:
            rows.append(
                (
                    Button(
                        tx.label("drop.btn_coupon"),
                        seal(cb(Action.COUPON_APPLY, button.target)),
                    ),
                )
            )
    return tuple(rows) or None


def fewer_row(tx: Texts, kind: AlertKind) -> tuple[Button, ...]:
    """🔕 Fewer like this: opens /alerts with the message's kind one tap from off."""
    return (Button(tx.label("alerts.btn_fewer"), cb(Action.ALERTS, "f", KINDS.index(kind))),)


def progress_text(
    tx: Texts, drop: Drop, halt: str | None, progress: Progress, rate: float, final: bool
) -> str:
    """The merchant's progress message; ``halt``: why the drop was halted (final only)."""
    if final and halt:
        return tx.plural("drop.halted", progress.sent, drop=drop.id, reason=halt)
    if final:
        text = tx.t(
            "drop.done",
            drop=drop.id,
            sent=progress.sent,
            failed=progress.failed,
            total=progress.total,
            unconfirmed=progress.unconfirmed,
        )
        if progress.held or progress.skipped:
            text += "\n" + tx.t(
                "alerts.drop_after",
                sent=progress.sent,
                held=progress.held,
                skipped=progress.skipped,
            )
        return text
    eta = progress.eta_seconds(rate)
    return tx.t(
        "drop.progress",
        drop=drop.id,
        bar=progress.bar(),
        sent=progress.sent,
        total=progress.total,
        failed=progress.failed,
        left=progress.pending,
        eta="—" if eta is None else f"{eta} s",
    )
