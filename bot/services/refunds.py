"""Sending refunds from the outbox: after the change that decided them has committed.

The same outbox carries captures of authorised cards (a group buy that filled): the money moves
the other way, with the same claim, idempotency key, retries and report to the merchant.

Each refund row is claimed for one attempt with a conditional update (two processes never send
the same refund together), sent with its row id as the idempotency key (a retry after a lost
answer refunds once at Stripe), and on failure retried with back-off; a refund that keeps
failing is marked failed and the merchant is told, never dropped silently.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.logs import order_context
from bot.services import creators, invites
from bot.services.order_ports import Order, RefundTask
from bot.services.payment_port import CardGateway, PaymentError, StarsGateway
from bot.services.ports import UnitOfWorkFactory
from bot.services.team_seats import reverse_commission

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
#: How long one attempt owns a refund before another process may try it.
LEASE = timedelta(minutes=2)
#: Stripe codes that mean "the money is already back": the refund is done, not failed.
_ALREADY_DONE = {"charge_already_refunded"}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


@dataclass(slots=True)
class RefundSender:
    uows: UnitOfWorkFactory
    card: CardGateway | None
    stars: StarsGateway | None
    clock: Callable[[], datetime]
    #: The shop's owners, told when a refund fails for good.
    admin_ids: tuple[int, ...] = ()
    #: Told ``(method, outcome)`` after each attempt; outcome: sent, retrying or failed.
    on_outcome: list[Callable[[str, str], None]] = field(default_factory=list)

    async def run_due(self, limit: int = 20) -> int:
        """Send every due refund once; how many went through."""
        now = self.clock()
        async with self.uows() as uow:
            due = await uow.refunds.due(now, limit)
            claimed = [t for t in due if await uow.refunds.claim(t.id, t.attempts, now + LEASE)]
            await uow.commit()
        done = 0
        for task in claimed:
            with order_context(task.order_id):
                done += await self._send(task)
        return done

    async def _send(self, task: RefundTask) -> int:
        async with self.uows() as uow:
            order = await uow.orders.get(task.order_id)
        if order is None:
            await self._failed(task, "the order no longer exists", retry=False)
            return 0
        try:
            external = await self._call(task, order)
        except PaymentError as exc:
            if exc.code in _ALREADY_DONE:
                external = None
            else:
                log.warning("refund %s for order %s failed: %s", task.id, order.id, exc)
                await self._failed(task, str(exc), retry=exc.retryable, order=order)
                return 0
        except Exception as exc:  # a bug or an unexpected gateway error: retry, tell later
            log.exception("refund %s for order %s raised", task.id, order.id)
            await self._failed(task, repr(exc), retry=True, order=order)
            return 0
        await self._succeeded(task, order, external)
        return 1

    async def _call(self, task: RefundTask, order: Order) -> str | None:
        key = f"storefront-refund-{task.id}"
        if task.method == "stars":
            if self.stars is None or not order.telegram_charge_id:
                raise PaymentError("Stars refunds need the running bot", retryable=True)
            await self.stars.refund_stars(order.user_id, order.telegram_charge_id)
            return None
        if self.card is None:
            raise PaymentError("STRIPE_API_KEY is not configured", retryable=True)
        if task.method in ("authorization", "capture"):
            if not order.stripe_payment_intent:
                raise PaymentError("the order has no Stripe payment to settle", retryable=False)
            if task.method == "capture":
                await self.card.capture(order.stripe_payment_intent, key=key)
            else:
                await self.card.cancel_authorization(order.stripe_payment_intent, key=key)
            return None
        charge = order.provider_charge_id
        intent = order.stripe_payment_intent
        if not charge and not intent:
            raise PaymentError("the order has no Stripe charge to refund", retryable=False)
        return await self.card.refund(
            charge_id=charge,
            payment_intent=None if charge else intent,
            amount=task.amount,
            key=key,
        )

    async def _succeeded(self, task: RefundTask, order: Order, external: str | None) -> None:
        now = self.clock()
        if task.method == "capture":
            await self._captured(task, order)
            return
        async with self.uows() as uow:
            await uow.refunds.finish(task.id, external, now)
            await reverse_commission(uow, order, task.amount, now)
            await creators.reverse(uow, order, task.amount, now)
            updated = await uow.orders.add_refunded(order.id, task.amount, now)
            if updated.refunded.amount >= updated.total.amount:
                await invites.refused_by_refund(uow, order, now)
            if updated.status is not OrderStatus.CANCELLED:
                full = updated.refunded.amount >= updated.total.amount
                new = OrderStatus.REFUNDED if full else OrderStatus.PARTIALLY_REFUNDED
                await uow.orders.move(
                    order.id,
                    new,
                    frozenset(
                        {
                            OrderStatus.PAID,
                            OrderStatus.SHIPPED,
                            OrderStatus.DELIVERED,
                            OrderStatus.RETURN_REQUESTED,
                            OrderStatus.PARTIALLY_REFUNDED,
                        }
                    ),
                    now,
                    **({"closed_at": now} if full else {}),
                )
            await uow.notices.add(
                order.chat_id,
                "refund_done",
                _money_params(order, task.amount),
                now,
            )
            await uow.commit()
        log.info("refund %s for order %s sent (%s)", task.id, order.id, task.method)
        self._tell(task.method, "sent")

    async def _captured(self, task: RefundTask, order: Order) -> None:
        now = self.clock()
        async with self.uows() as uow:
            await uow.refunds.finish(task.id, None, now)
            await uow.orders.move(
                order.id, OrderStatus.PAID, frozenset({OrderStatus.AUTHORIZED}), now
            )
            await uow.commit()
        log.info("capture %s for order %s done", task.id, order.id)
        self._tell(task.method, "sent")

    def _tell(self, method: str, outcome: str) -> None:
        for listener in self.on_outcome:
            listener(method, outcome)

    async def _failed(
        self, task: RefundTask, error: str, *, retry: bool, order: Order | None = None
    ) -> None:
        now = self.clock()
        final = not retry or task.attempts + 1 >= MAX_ATTEMPTS
        async with self.uows() as uow:
            next_at = None if final else now + backoff(task.attempts + 1)
            await uow.refunds.fail(task.id, error, next_at, now)
            if final:
                params = {"refund": task.id, "error": error[:200]}
                if order is not None:
                    params.update(_money_params(order, task.amount))
                kind = (
                    "capture_failed_admin" if task.method == "capture" else "refund_failed_admin"
                )
                for admin in self.admin_ids:
                    await uow.notices.add(admin, kind, params, now)
            await uow.commit()
        self._tell(task.method, "failed" if final else "retrying")


def _money_params(order: Order, amount: Money) -> dict[str, object]:
    return {
        "order": order.id,
        "user": order.user_id,
        "amount": amount.amount,
        "currency": amount.currency,
    }


def refund_method(order: Order) -> str:
    """How an order's money goes back: Stars, a Stripe refund, or releasing an authorisation."""
    if order.method == "stars":
        return "stars"
    if order.method == "stripe_link" and order.status is OrderStatus.AUTHORIZED:
        return "authorization"
    return "card"
