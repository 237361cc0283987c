"""Orders and stock. Every status change is one conditional UPDATE on the expected status, so
a payment, a cancel and a deadline racing for one order cannot both apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from bot.domain.money import Money
from bot.domain.orders import MONEY_TAKEN, OrderStatus
from bot.services.order_ports import NewOrder, Order, OrderLine, ShippingChoice
from storage.order_tables import OrderLineRow, OrderRow
from storage.repositories import dialect_insert
from storage.tables import VariantRow
from storage.types import rowcount, table_of

_PAID = [s.value for s in MONEY_TAKEN | {OrderStatus.REFUNDED}]


def _to_order(row: OrderRow, lines: list[OrderLineRow]) -> Order:
    assert row.id is not None
    cur = row.currency

    def m(value: int) -> Money:
        return Money(value, cur)

    return Order(
        id=row.id,
        user_id=row.user_id,
        chat_id=row.chat_id,
        status=OrderStatus(row.status),
        token=row.token,
        items=m(row.items_minor),
        discount=m(row.discount_minor),
        shipping=m(row.shipping_minor),
        shipping_discount=m(row.shipping_discount_minor),
        total=m(row.total_minor),
        refunded=m(row.refunded_minor),
        lines=tuple(
            OrderLine(
                ln.variant_id,
                ln.product_id,
                ln.category_id,
                ln.name,
                m(ln.unit_minor),
                ln.quantity,
                ln.digital,
            )
            for ln in lines
        ),
        created_at=row.created_at,
        coupon_id=row.coupon_id,
        coupon_code=row.coupon_code,
        free_shipping=row.free_shipping,
        delivery=row.delivery,
        shipping_option=row.shipping_option,
        method=row.method,
        from_cart=row.from_cart,
        telegram_charge_id=row.telegram_charge_id,
        provider_charge_id=row.provider_charge_id,
        stripe_session_id=row.stripe_session_id,
        stripe_payment_intent=row.stripe_payment_intent,
        held_until=row.held_until,
        ship_name=row.ship_name,
        ship_phone=row.ship_phone,
        ship_address=row.ship_address,
        tracking=row.tracking,
        paid_at=row.paid_at,
        shipped_at=row.shipped_at,
        delivered_at=row.delivered_at,
        team_id=row.team_id,
        claim_id=row.claim_id,
    )


class SqlStockRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def take(self, lines: list[tuple[int, int]]) -> bool:
        table = table_of(VariantRow)
        taken: list[tuple[int, int]] = []
        for variant_id, quantity in sorted(lines):  # a fixed order: no deadlocks on PostgreSQL
            result = await self._s.execute(
                update(table)
                .where(
                    table.c.id == variant_id,
                    table.c.active.is_(True),
                    table.c.stock >= quantity,
                )
                .values(stock=table.c.stock - quantity)
            )
            if not rowcount(result):
                await self.give_back(taken)
                return False
            taken.append((variant_id, quantity))
        return True

    async def give_back(self, lines: list[tuple[int, int]]) -> None:
        table = table_of(VariantRow)
        for variant_id, quantity in sorted(lines):
            await self._s.execute(
                update(table)
                .where(table.c.id == variant_id)
                .values(stock=table.c.stock + quantity)
            )


class SqlOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _load(self, rows: list[OrderRow]) -> list[Order]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        lines = (
            (
                await self._s.execute(
                    select(OrderLineRow)
                    .where(col(OrderLineRow.order_id).in_(ids))
                    .order_by(col(OrderLineRow.id))
                )
            )
            .scalars()
            .all()
        )
        return [_to_order(r, [ln for ln in lines if ln.order_id == r.id]) for r in rows]

    async def _one(self, *where: ColumnElement[bool] | bool) -> Order | None:
        # populate_existing: the row may have changed through a Core UPDATE in this session.
        row = await self._s.scalar(
            select(OrderRow).where(*where).execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return (await self._load([row]))[0]

    async def create(self, new: NewOrder, now: datetime) -> Order:
        row = OrderRow(
            user_id=new.user_id,
            chat_id=new.chat_id,
            status=OrderStatus.PENDING.value,
            token=new.token,
            currency=new.items.currency,
            items_minor=new.items.amount,
            discount_minor=new.discount.amount,
            total_minor=new.total.amount,
            coupon_id=new.coupon.id if new.coupon else None,
            coupon_code=new.coupon.code if new.coupon else None,
            free_shipping=new.free_shipping,
            delivery=new.delivery,
            method=new.method,
            from_cart=new.from_cart,
            team_id=new.team_id,
            claim_id=new.claim_id,
            created_at=now,
            updated_at=now,
        )
        self._s.add(row)
        await self._s.flush()
        assert row.id is not None
        for line in new.lines:
            self._s.add(
                OrderLineRow(
                    order_id=row.id,
                    variant_id=line.variant_id,
                    product_id=line.product_id,
                    category_id=line.category_id,
                    name=line.name[:260],
                    unit_minor=line.unit_price.amount,
                    quantity=line.quantity,
                    digital=line.digital,
                )
            )
        await self._s.flush()
        found = await self.get(row.id)
        assert found is not None
        return found

    async def record_refused_charge(
        self, new: NewOrder, now: datetime, telegram_charge_id: str, provider_charge_id: str | None
    ) -> Order | None:
        """A cancelled record of a payment that no order takes (it is refunded), keyed by its
        charge: one INSERT ... ON CONFLICT DO NOTHING, so of any number of handlings of one
        charge exactly one records it (on PostgreSQL the others wait for its transaction) and
        the others get None."""
        table = table_of(OrderRow)
        stmt = (
            dialect_insert(self._s, OrderRow)
            .values(
                user_id=new.user_id,
                chat_id=new.chat_id,
                status=OrderStatus.CANCELLED.value,
                token=new.token,
                currency=new.total.currency,
                items_minor=new.items.amount,
                discount_minor=new.discount.amount,
                total_minor=new.total.amount,
                free_shipping=False,
                delivery=new.delivery,
                method=new.method,
                from_cart=False,
                telegram_charge_id=telegram_charge_id,
                provider_charge_id=provider_charge_id,
                created_at=now,
                updated_at=now,
                paid_at=now,
                closed_at=now,
            )
            .on_conflict_do_nothing(index_elements=["telegram_charge_id"])
            .returning(table.c.id)
        )
        order_id = (await self._s.execute(stmt)).scalar()
        return None if order_id is None else await self.get(int(order_id))

    async def get(self, order_id: int) -> Order | None:
        return await self._one(OrderRow.id == order_id)

    async def for_buyer(
        self, user_id: int, statuses: frozenset[OrderStatus], limit: int
    ) -> list[Order]:
        rows = (
            await self._s.execute(
                select(OrderRow)
                .where(
                    OrderRow.user_id == user_id,
                    col(OrderRow.status).in_([s.value for s in statuses]),
                )
                .order_by(col(OrderRow.id).desc())
                .limit(limit)
            )
        ).scalars()
        return await self._load(list(rows))

    async def recent(
        self, statuses: frozenset[OrderStatus], limit: int, offset: int = 0
    ) -> list[Order]:
        rows = (
            await self._s.execute(
                select(OrderRow)
                .where(col(OrderRow.status).in_([s.value for s in statuses]))
                .order_by(col(OrderRow.id).desc())
                .offset(offset)
                .limit(limit)
            )
        ).scalars()
        return await self._load(list(rows))

    async def by_charge(self, telegram_charge_id: str) -> Order | None:
        return await self._one(OrderRow.telegram_charge_id == telegram_charge_id)

    async def by_session(self, session_id: str) -> Order | None:
        return await self._one(OrderRow.stripe_session_id == session_id)

    async def by_payment_intent(self, payment_intent: str) -> Order | None:
        return await self._one(OrderRow.stripe_payment_intent == payment_intent)

    async def by_provider_charge(self, charge_id: str) -> Order | None:
        return await self._one(OrderRow.provider_charge_id == charge_id)

    async def paid_count(self, user_id: int) -> int:
        value = await self._s.scalar(
            select(func.count())
            .select_from(OrderRow)
            .where(OrderRow.user_id == user_id, col(OrderRow.status).in_(_PAID))
        )
        return int(value or 0)

    async def expire_unheld(self, user_id: int, now: datetime) -> int:
        result = await self._s.execute(
            update(OrderRow)
            .where(
                col(OrderRow.user_id) == user_id,
                col(OrderRow.status) == OrderStatus.PENDING.value,
                col(OrderRow.held_until).is_(None),
                col(OrderRow.stripe_session_id).is_(None),
            )
            .values(status=OrderStatus.EXPIRED.value, updated_at=now, closed_at=now)
        )
        return int(rowcount(result) or 0)

    async def start_hold(self, order_id: int, until: datetime) -> bool:
        result = await self._s.execute(
            update(OrderRow)
            .where(
                col(OrderRow.id) == order_id,
                col(OrderRow.status) == OrderStatus.PENDING.value,
                col(OrderRow.held_until).is_(None),
            )
            .values(held_until=until)
        )
        return bool(rowcount(result))

    async def extend_hold(self, order_id: int, until: datetime) -> None:
        await self._s.execute(
            update(OrderRow)
            .where(col(OrderRow.id) == order_id, col(OrderRow.held_until).is_not(None))
            .values(held_until=until)
        )

    async def note_payment_intent(self, order_id: int, payment_intent: str) -> bool:
        """Record the Stripe payment that came in for an order no longer open, once: False
        when the order already names a payment (this one, recorded by a racing delivery)."""
        result = await self._s.execute(
            update(OrderRow)
            .where(
                col(OrderRow.id) == order_id,
                col(OrderRow.stripe_payment_intent).is_(None),
            )
            .values(stripe_payment_intent=payment_intent)
        )
        return bool(rowcount(result))

    async def end_hold(self, order_id: int) -> bool:
        result = await self._s.execute(
            update(OrderRow)
            .where(col(OrderRow.id) == order_id, col(OrderRow.held_until).is_not(None))
            .values(held_until=None)
        )
        return bool(rowcount(result))

    async def due_holds(self, now: datetime, limit: int) -> list[int]:
        rows = await self._s.execute(
            select(OrderRow.id)
            .where(
                col(OrderRow.status).in_([OrderStatus.PENDING.value, OrderStatus.EXPIRED.value]),
                col(OrderRow.held_until) < now,
            )
            .order_by(col(OrderRow.held_until))
            .limit(limit)
        )
        return [int(r[0]) for r in rows.all()]

    async def due_cash(self, now: datetime, limit: int) -> list[int]:
        rows = await self._s.execute(
            select(OrderRow.id)
            .where(
                col(OrderRow.status) == OrderStatus.AWAITING_CASH.value,
                col(OrderRow.held_until) <= now,
            )
            .order_by(col(OrderRow.held_until))
            .limit(limit)
        )
        return [int(r[0]) for r in rows.all()]

    async def ship_unpaid(self, order_id: int, tracking: str | None, now: datetime) -> bool:
        fields: dict[str, object] = {"shipped_at": now, "held_until": None, "updated_at": now}
        if tracking:
            fields["tracking"] = tracking
        result = await self._s.execute(
            update(OrderRow)
            .where(
                col(OrderRow.id) == order_id,
                col(OrderRow.status) == OrderStatus.AWAITING_CASH.value,
                col(OrderRow.shipped_at).is_(None),
            )
            .values(**fields)
        )
        return bool(rowcount(result))

    async def set_shipping(self, order_id: int, choice: ShippingChoice, total: Money) -> None:
        await self._s.execute(
            update(OrderRow)
            .where(col(OrderRow.id) == order_id)
            .values(
                shipping_option=choice.option_id,
                shipping_minor=choice.shipping.amount,
                shipping_discount_minor=choice.shipping_discount.amount,
                total_minor=total.amount,
                ship_name=choice.name,
                ship_phone=choice.phone,
                ship_address=choice.address,
            )
        )

    async def move(
        self,
        order_id: int,
        new: OrderStatus,
        expected: frozenset[OrderStatus],
        now: datetime,
        **fields: object,
    ) -> bool:
        result = await self._s.execute(
            update(OrderRow)
            .where(
                col(OrderRow.id) == order_id,
                col(OrderRow.status).in_([s.value for s in expected]),
            )
            .values(status=new.value, updated_at=now, **fields)
        )
        return bool(rowcount(result))

    async def lock(self, order_id: int, now: datetime) -> None:
        await self._s.execute(
            update(OrderRow).where(col(OrderRow.id) == order_id).values(updated_at=now)
        )

    async def add_refunded(self, order_id: int, amount: Money, now: datetime) -> Order:
        table = table_of(OrderRow)
        await self._s.execute(
            update(table)
            .where(table.c.id == order_id)
            .values(refunded_minor=table.c.refunded_minor + amount.amount, updated_at=now)
        )
        found = await self.get(order_id)
        assert found is not None
        return found

    async def set_stripe_session(self, order_id: int, session_id: str) -> None:
        await self._s.execute(
            update(OrderRow)
            .where(col(OrderRow.id) == order_id)
            .values(stripe_session_id=session_id)
        )
