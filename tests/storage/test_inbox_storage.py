"""The polling inbox's rows on SQLite and PostgreSQL: stored once, read oldest first, handled
with the update's transaction (or not at all when it rolls back), closed, pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.services.housekeeping import forget_old_updates
from bot.services.inbox_ports import InboxDone
from storage.unit_of_work import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BIG = 9_123_456_789  # update ids are 64-bit too


def _update(update_id: int) -> tuple[int, str]:
    return update_id, f'{{"update_id": {update_id}, "message": {{"text": "hi \\u0000"}}}}'


async def test_an_update_is_stored_once_and_read_oldest_first(uows: SqlUnitOfWorkFactory) -> None:
    async with uows() as uow:
        assert await uow.inbox.store([_update(12), _update(10), _update(BIG)], NOW) == [
            10,
            12,
            BIG,
        ]
        await uow.commit()
    async with uows() as uow:  # fetched again (not confirmed before a crash): nothing new
        assert await uow.inbox.store([_update(12), _update(13)], NOW) == [13]
        await uow.commit()
    async with uows() as uow:
        pending = await uow.inbox.pending(10)
        after = await uow.inbox.pending(2, after=12)
    assert [e.update_id for e in pending] == [10, 12, 13, BIG]
    assert pending[0].payload == _update(10)[1] and pending[0].attempts == 0
    assert pending[0].replies is None
    assert [e.update_id for e in after] == [13, BIG]


async def test_handled_goes_with_the_updates_transaction_and_done_closes_the_row(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        await uow.inbox.store([_update(1), _update(2), _update(3), _update(4)], NOW)
        await uow.commit()
    async with uows() as uow:  # a transaction that rolls back leaves the row as it was
        await uow.inbox.handled(1, '{"replies": []}', NOW)
    async with uows() as uow:
        assert [e.replies for e in await uow.inbox.pending(1)] == [None]
        await uow.inbox.handled(1, '{"replies": []}', NOW)
        await uow.inbox.failed(2, "database unreachable")
        await uow.inbox.failed(2, "database unreachable")
        await uow.commit()
    async with uows() as uow:
        first, second, *_ = await uow.inbox.pending(10)
        assert first.replies == '{"replies": []}' and second.attempts == 2
        await uow.inbox.done(
            [InboxDone(1), InboxDone(3, error="ValidationError: chat", attempts=1)], NOW
        )
        await uow.commit()
    async with uows() as uow:
        assert [e.update_id for e in await uow.inbox.pending(10)] == [2, 4]


async def test_done_rows_are_pruned_after_a_day_and_open_ones_never(
    uows: SqlUnitOfWorkFactory,
) -> None:
    async with uows() as uow:
        await uow.inbox.store([_update(1), _update(2), _update(3)], NOW)
        await uow.inbox.done([InboxDone(1)], NOW)
        await uow.inbox.done([InboxDone(2)], NOW + timedelta(hours=20))
        await uow.commit()
    assert await forget_old_updates(uows, NOW + timedelta(hours=25)) == 1
    assert await forget_old_updates(uows, NOW + timedelta(hours=25)) == 0
    assert await forget_old_updates(uows, NOW + timedelta(hours=30), timedelta(hours=6)) == 1
    async with uows() as uow:
        assert [e.update_id for e in await uow.inbox.pending(10)] == [3]
        assert await uow.inbox.store([_update(1), _update(2)], NOW) == [1, 2]  # gone for good
