"""Group-buy seats and deadlines under concurrency, on SQLite and on PostgreSQL: the last seat
raced by 50 joiners goes to one, a person holds one seat per team, a team fills or expires
once, and two settlers racing over the same due teams refund each member once."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.domain.group_buys import TeamStatus
from bot.domain.money import Money
from bot.domain.orders import OrderStatus
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.services.group_buys import settle_due
from bot.services.group_ports import NewTeam
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.group_helpers import NOW, paid_team

USD = "USD"


async def _team(uows: SqlUnitOfWorkFactory, size: int, deadline: datetime = NOW) -> int:
    async with uows() as uow:
        team = await uow.groups.create_team(
            NewTeam(1, 1, 7, size, Money(349, USD), Money(499, USD), 10, deadline, "Jelly"),
            NOW - timedelta(hours=1),
        )
        await uow.commit()
    return team.id


async def _take(uows: SqlUnitOfWorkFactory, team_id: int, user: int, order: int) -> bool:
    async with uows() as uow:
        taken = await uow.groups.take_seat(team_id, user, order, NOW - timedelta(minutes=1))
        await uow.commit()
        return taken


async def test_the_last_seat_raced_by_50_joiners_goes_to_exactly_one(
    uows: SqlUnitOfWorkFactory,
) -> None:
    team_id = await _team(uows, size=5, deadline=NOW + timedelta(hours=1))
    for i in range(4):
        assert await _take(uows, team_id, 100 + i, 100 + i)
    results = await asyncio.gather(*(_take(uows, team_id, 1000 + i, 1000 + i) for i in range(50)))
    assert sum(results) == 1
    async with uows() as uow:
        team = await uow.groups.team(team_id)
        assert team is not None and team.taken == 5
        assert len(await uow.groups.seats(team_id)) == 5


async def test_50_joiners_on_an_empty_team_of_3_and_one_person_racing_himself(
    uows: SqlUnitOfWorkFactory,
) -> None:
    team_id = await _team(uows, size=3, deadline=NOW + timedelta(hours=1))
    same = await asyncio.gather(*(_take(uows, team_id, 42, 500 + i) for i in range(20)))
    assert sum(same) == 1  # one seat per person and team, enforced by the unique key
    others = await asyncio.gather(*(_take(uows, team_id, 2000 + i, 2000 + i) for i in range(50)))
    assert sum(others) == 2
    async with uows() as uow:
        team = await uow.groups.team(team_id)
        assert team is not None and team.taken == 3 and team.paid == 0


async def test_a_team_fills_or_expires_once_when_both_race(uows: SqlUnitOfWorkFactory) -> None:
    team_id = await _team(uows, size=2, deadline=NOW + timedelta(minutes=1))
    for i in range(2):
        assert await _take(uows, team_id, 300 + i, 300 + i)
        async with uows() as uow:
            assert await uow.groups.pay_seat(team_id, 300 + i) == i + 1
            await uow.commit()
    later = NOW + timedelta(minutes=2)  # the deadline has passed as the last payment lands

    async def fill() -> bool:
        async with uows() as uow:
            done = await uow.groups.fill(team_id, later)
            await uow.commit()
            return done

    async def expire() -> bool:
        async with uows() as uow:
            done = await uow.groups.expire(team_id, later)
            await uow.commit()
            return done

    results = await asyncio.gather(*(fill() for _ in range(10)), *(expire() for _ in range(10)))
    assert sum(results) == 1
    async with uows() as uow:
        team = await uow.groups.team(team_id)
        assert team is not None and team.status in (TeamStatus.FILLED, TeamStatus.EXPIRED)


async def test_two_settlers_over_the_same_due_teams_refund_each_member_once(
    uows: SqlUnitOfWorkFactory,
) -> None:
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    async with uows() as uow:
        variant_id = await uow.catalog.variant_by_sku("KJ-10")
        found = await uow.catalog.variant(variant_id or 0)
    assert variant_id is not None and found is not None
    product = found[1]
    teams = [
        await paid_team(uows, variant_id, product.id, size=3, paid=2, first_user=10_000 + t * 10)
        for t in range(6)
    ]

    later = NOW + timedelta(minutes=10)

    async def settler() -> int:
        total = 0
        while True:
            async with uows() as uow:
                settled = await settle_due(uow, later, limit=2)
                await uow.commit()
            if not settled:
                return total
            total += settled

    counts = await asyncio.gather(settler(), settler(), settler())
    assert sum(counts) == 6
    async with uows() as uow:
        refunds = []
        for team_id in teams:
            team = await uow.groups.team(team_id)
            assert team is not None and team.status is TeamStatus.EXPIRED
            for seat in await uow.groups.seats(team_id):
                order = await uow.orders.get(seat.order_id)
                assert order is not None and order.status is OrderStatus.CANCELLED
                refunds += await uow.refunds.for_order(order.id)
    assert len(refunds) == 12
    assert {(task.amount, task.method) for task, _ in refunds} == {(Money(349, USD), "card")}
    async with uows() as uow:
        back = await uow.catalog.variant(variant_id)
    assert back is not None and back[0].stock == found[0].stock  # every unit went back
