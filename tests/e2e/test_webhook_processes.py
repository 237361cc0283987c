"""Two real ``storefront webhook`` processes on one PostgreSQL database.

Telegram delivers each update to one URL; behind a load balancer a retry may land on another
process. These tests are harsher than that: the stand-in delivers every update to BOTH
processes, at once (``all``: two handlings racing on the same ``update_id``) or one after the
other (``in_turn``: a redelivery landing on the other process, the first one taking turns), and
counts the update delivered only when both answered 2xx. Nothing may happen twice: a message, an
order, a refund, a group-buy deadline (both processes' schedulers awake), a drop's message.
And a process SIGKILLed in the middle of a ``successful_payment`` (its transaction held open by
a TCP proxy in front of PostgreSQL) leaves one paid order and one receipt once the update is
redelivered to a process started again.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.domain.drops import DropStatus, MediaKind
from bot.domain.group_buys import TeamStatus
from bot.services import drops
from storage.engine import make_engine
from storage.order_tables import OrderRow, RefundRow
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.e2e.db_proxy import DbProxy
from tests.e2e.harness import US
from tests.e2e.webhook_fleet import (
    browse_and_pay,
    close_fleet,
    duplicates,
    receipts,
    sends,
    start_fleet,
    step,
    to_invoice,
    wait_for,
)
from tests.group_helpers import paid_team

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

DROP_TEXT = "🔥 Two processes, one drop: Dried Mango is back!"


@pytest.fixture
async def shop_db(postgres_demo_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """This test's own PostgreSQL database, migrated, with the demo catalog."""
    uows = SqlUnitOfWorkFactory(make_engine(postgres_demo_url))
    yield uows
    await uows.dispose()


async def _orders(uows: SqlUnitOfWorkFactory, users: list[int]) -> dict[int, list[str]]:
    async with uows.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(OrderRow.user_id, OrderRow.status).where(OrderRow.user_id.in_(users))  # type: ignore[attr-defined]
            )
        ).all()
    found: dict[int, list[str]] = {u: [] for u in users}
    for user, status in rows:
        found[int(user)].append(str(status))
    return found


async def _refund_rows(uows: SqlUnitOfWorkFactory) -> Counter[int]:
    async with uows.engine.connect() as conn:
        rows = (await conn.execute(select(RefundRow.order_id))).all()
    return Counter(int(r[0]) for r in rows)


@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_two_processes_each_update_to_both_nothing_happens_twice(
    framework: str, postgres_demo_url: str, shop_db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    uows = shop_db
    fleet = await start_fleet(framework, postgres_demo_url, tmp_path)
    try:
        first, second = await fleet.spawn(), await fleet.spawn()
        fleet.deliver_to([first, second], "all")  # each update to both at once
        standin = fleet.standin

        # Buyers shop and pay, every update handled by two racing processes.
        buyers = [standin.private_chat(8100 + i, f"B{i}") for i in range(6)]
        await asyncio.gather(*(browse_and_pay(standin, chat, 2) for chat in buyers))
        await wait_for(lambda: standin.pending_updates == 0, 30, "every update delivered")
        assert duplicates(standin) == []
        assert [receipts(chat) for chat in buyers] == [1] * len(buyers)
        orders = await _orders(uows, [c.id for c in buyers])
        assert orders == {c.id: ["paid"] for c in buyers}
        assert await _refund_rows(uows) == Counter()

        # A group buy's deadline passes while both schedulers are awake: settled once, each
        # member refunded once at Stripe, each told once.
        async with uows() as uow:
            variant_id = await uow.catalog.variant_by_sku("KJ-10")
            found = await uow.catalog.variant(variant_id or 0)
        assert variant_id is not None and found is not None
        members = [8200, 8201]
        for user in members:
            standin.private_chat(user, f"M{user}")
            fleet.stripe.register_charge(f"ch_{user}", 349, "usd")
        team_id = await paid_team(
            uows,
            variant_id,
            found[1].id,
            size=3,
            paid=2,
            first_user=members[0],
            deadline=datetime.now(UTC) + timedelta(seconds=2),
        )

        async def team_refunded() -> bool:
            async with uows() as uow:
                team = await uow.groups.team(team_id)
            assert team is not None
            refunds = fleet.stripe.requests_to("/v1/refunds", "POST")
            return team.status is TeamStatus.EXPIRED and len(refunds) >= 2

        deadline = asyncio.get_running_loop().time() + 45  # settle_teams runs every 15 s
        while not await team_refunded():
            assert asyncio.get_running_loop().time() < deadline, "the team was never settled"
            await asyncio.sleep(0.25)
        await asyncio.sleep(2)  # time for a second settlement or refund, if there were one
        per_charge = Counter(r.params["charge"] for r in fleet.stripe.requests_to("/v1/refunds"))
        assert per_charge == Counter({f"ch_{u}": 1 for u in members})
        refund_rows = await _refund_rows(uows)
        assert sorted(refund_rows.values()) == [1, 1]
        for user in members:
            told = [k for k in sends(standin) if k[0] == user]
            assert told, f"member {user} was not told"
        assert duplicates(standin) == []

        # A drop sent while both run reaches each recipient exactly once.
        async with uows() as uow:
            drop_id = await drops.compose(
                uow,
                DROP_TEXT,
                MediaKind.NONE,
                None,
                ["buy:DM-250"],
                "all",
                False,
                datetime.now(UTC),
            )
            started = await drops.send(uow, drop_id, 5, datetime.now(UTC))
            await uow.commit()

        async def drop_done() -> bool:
            async with uows() as uow:
                drop = await uow.drops.get(drop_id)
            return drop is not None and drop.status is DropStatus.DONE

        deadline = asyncio.get_running_loop().time() + 60
        while not await drop_done():
            assert asyncio.get_running_loop().time() < deadline, "the drop never finished"
            await asyncio.sleep(0.25)
        await asyncio.sleep(1)
        got = Counter(
            k[0] for k, n in sends(standin).items() for _ in range(n) if DROP_TEXT in k[2]
        )
        assert set(got.values()) == {1}, got
        assert len(got) == started.recipients
        assert {c.id for c in buyers} <= set(got)
        assert duplicates(standin) == []

        await fleet.stop(first)
        await fleet.stop(second)
    finally:
        await close_fleet(fleet)
    assert fleet.standin.violations == []


@pytest.mark.parametrize("hold_at", ["payment_update", "commit"])
async def test_a_process_sigkilled_mid_payment_the_redelivery_makes_one_order(
    hold_at: str, postgres_demo_url: str, shop_db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    """The payment's transaction is held open by the proxy in front of PostgreSQL (at the
    UPDATE that marks the order paid, or at its COMMIT, everything else written), the process
    is SIGKILLed there, PostgreSQL rolls back; a process started again on the same URL gets the
    update Telegram still holds: one paid order, one receipt, no refund."""
    uows = shop_db
    url = make_url(postgres_demo_url)
    proxy = DbProxy(url.host or "127.0.0.1", url.port or 5432)
    port = await proxy.start()
    through = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
    fleet = await start_fleet("aiogram", postgres_demo_url, tmp_path)
    try:
        first = await fleet.spawn(database_url=through)
        standin = fleet.standin
        ann = standin.private_chat(8300, "Ann")
        invoice = await to_invoice(standin, ann)
        # Only the payment's UPDATE sets telegram_charge_id (a SELECT compares it, spaced).
        proxy.hold(b"telegram_charge_id=$", b"COMMIT" if hold_at == "commit" else None)
        ann.pay(invoice, order_info=US, shipping_option_id="us-express")
        await asyncio.wait_for(proxy.held.wait(), 30)
        [payment] = [u for u in standin.state.updates._pending if "message" in u.update]
        assert "successful_payment" in payment.update["message"]  # type: ignore[operator]
        await fleet.kill(first)
        assert first.process.returncode == -9

        assert await _orders(uows, [ann.id]) == {ann.id: ["pending"]}  # rolled back
        assert receipts(ann) == 0 and standin.pending_updates == 1
        webhook = standin.state.webhook
        assert webhook is not None
        failures = webhook.failures
        await wait_for(lambda: webhook.failures > failures, 10, "Telegram to try again")

        second = await fleet.spawn(port=first.port)  # a process started again (directly)
        await step(standin, payment.update)
        await wait_for(lambda: receipts(ann) >= 1, 30, "the receipt")
        await fleet.stop(second)
    finally:
        await close_fleet(fleet)
        await proxy.stop()
    assert receipts(ann) == 1
    assert duplicates(fleet.standin) == []
    assert await _orders(uows, [ann.id]) == {ann.id: ["paid"]}
    assert await _refund_rows(uows) == Counter()
    assert fleet.stripe.requests_to("/v1/refunds", "POST") == []
    assert fleet.standin.violations == []


async def _updates_ok(bot_url: str) -> float:
    """The process's count of updates answered 200 (its /metrics)."""
    import aiohttp

    base = bot_url.rsplit("/", 1)[0]
    async with aiohttp.ClientSession() as http, http.get(f"{base}/metrics") as response:
        text = await response.text()
    return sum(
        float(line.rpartition(" ")[2])
        for line in text.splitlines()
        if line.startswith("storefront_updates_total{") and 'outcome="ok"' in line
    )


async def test_five_hundred_updates_each_delivered_to_both_processes_in_turn(
    postgres_demo_url: str, shop_db: SqlUnitOfWorkFactory, tmp_path: Path
) -> None:
    """20 buyers, 26 updates each (start, catalog, category, 16 ▶ presses, add to cart, cart,
    checkout, delivery, shipping query, pre-checkout, payment): each update goes to one
    process, then again to the other (the first one taking turns), as a redelivery behind a
    load balancer would. Every buyer gets the same messages, each once; one paid order each."""
    uows = shop_db
    fleet = await start_fleet("ptb", postgres_demo_url, tmp_path)
    buyers = [fleet.standin.private_chat(9100 + i, f"D{i}") for i in range(20)]
    try:
        first, second = await fleet.spawn(), await fleet.spawn()
        fleet.deliver_to([first, second], "in_turn")
        standin = fleet.standin
        pushed = standin.state.updates.pushed
        await asyncio.gather(*(browse_and_pay(standin, chat, 16) for chat in buyers))
        await wait_for(lambda: standin.pending_updates == 0, 60, "every update delivered")
        updates = standin.state.updates.pushed - pushed
        assert updates >= 500
        handled = [await _updates_ok(bot.url) for bot in (first, second)]
        await fleet.stop(first)
        await fleet.stop(second)
    finally:
        await close_fleet(fleet)
    standin = fleet.standin
    webhook = standin.state.webhook
    assert webhook is not None
    print(
        f"{updates} updates, each to both processes: {handled} answered 200 per process, "
        f"{webhook.failures} deliveries retried"
    )
    assert all(n >= updates for n in handled), handled  # every update reached both
    assert duplicates(standin) == []
    per_chat = Counter(key[0] for key, n in sends(standin).items() for _ in range(n))
    assert len({per_chat[c.id] for c in buyers}) == 1, per_chat  # the same for every buyer
    assert [receipts(chat) for chat in buyers] == [1] * len(buyers)
    answers = [c for c in standin.calls_named("answerPreCheckoutQuery") if c.ok]
    assert len(answers) == len(buyers)
    assert await _orders(uows, [c.id for c in buyers]) == {c.id: ["paid"] for c in buyers}
    assert await _refund_rows(uows) == Counter()
    assert fleet.stripe.requests_to("/v1/refunds", "POST") == []
    assert standin.violations == []
