"""Group-buy teams with paid seats, written straight through the services (for the race and
multi-process tests that need many of them quickly)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services import team_seats
from bot.services.group_ports import NewTeam
from bot.services.order_ports import NewOrder, OrderLine
from bot.services.stock_holds import take_stock_and_coupon
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PRICE = Money(349, "USD")


async def paid_team(
    uows: SqlUnitOfWorkFactory,
    variant_id: int,
    product_id: int,
    *,
    size: int,
    paid: int,
    first_user: int,
    deadline: datetime = NOW + timedelta(minutes=5),
) -> int:
    """A team whose deadline is ``deadline`` with ``paid`` seats paid by card (charges
    ``ch_<user>``); its id."""
    async with uows() as uow:
        team = await uow.groups.create_team(
            NewTeam(
                variant_id, product_id, 7, size, PRICE, Money(499, "USD"), 10, deadline, "Jelly"
            ),
            NOW - timedelta(hours=1),
        )
        await uow.commit()
    for m in range(paid):
        user = first_user + m
        async with uows() as uow:
            line = OrderLine(variant_id, product_id, None, "Jelly", PRICE, 1)
            new = NewOrder(
                user,
                user,
                secrets.token_hex(8),
                (line,),
                PRICE,
                Money(0, "USD"),
                PRICE,
                None,
                False,
                "pickup",
                "telegram",
                False,
                team.id,
            )
            order = await uow.orders.create(new, NOW)
            assert await take_stock_and_coupon(uow, order, NOW) is None
            await uow.orders.move(
                order.id,
                OrderStatus.PAID,
                frozenset({OrderStatus.PENDING}),
                NOW,
                telegram_charge_id=f"tg-{user}",
                provider_charge_id=f"ch_{user}",
            )
            assert await team_seats.paid(uow, order, NOW) == m + 1
            await uow.commit()
    return team.id
