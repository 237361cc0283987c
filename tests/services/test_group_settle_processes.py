"""Several bot processes on one PostgreSQL database wake for the same group-buy deadlines:
each team is settled once and each member refunded once at Stripe (real processes running
``storefront groupbuy settle``, the Stripe stand-in over HTTP)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.group_buys import TeamStatus
from bot.standin.stripe_standin import StripeStandIn
from storage.engine import make_engine
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.group_helpers import paid_team

STOREFRONT = str(Path(sys.executable).with_name("storefront"))
TEAMS = 90  # two units each, of the 200 in stock
PROCESSES = 3

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


async def test_three_processes_settle_each_deadline_once(
    postgres_demo_url: str, tmp_path: Path
) -> None:
    uows = SqlUnitOfWorkFactory(make_engine(postgres_demo_url))
    stripe = StripeStandIn()
    await stripe.start()
    try:
        async with uows() as uow:
            variant_id = await uow.catalog.variant_by_sku("KJ-10")
            found = await uow.catalog.variant(variant_id or 0)
        assert variant_id is not None and found is not None
        passed = datetime.now(UTC) - timedelta(minutes=1)
        teams = []
        for t in range(TEAMS):
            first = 20_000 + t * 10
            teams.append(
                await paid_team(
                    uows,
                    variant_id,
                    found[1].id,
                    size=3,
                    paid=2,
                    first_user=first,
                    deadline=passed,
                )
            )
            for user in (first, first + 1):
                stripe.register_charge(f"ch_{user}", 349, "usd")

        env = {
            **os.environ,
            "DATABASE_URL": postgres_demo_url,
            "STRIPE_API_KEY": stripe.api_key,
            "STRIPE_API_BASE": stripe.base_url,
            "BOT_TOKEN": "",
            "LOG_LEVEL": "WARNING",
        }
        runs = [
            await asyncio.create_subprocess_exec(
                STOREFRONT,
                "groupbuy",
                "settle",
                cwd=tmp_path,
                env=env,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(PROCESSES)
        ]
        outputs = await asyncio.wait_for(
            asyncio.gather(*(run.communicate() for run in runs)), timeout=120
        )
        for run, (_out, err) in zip(runs, outputs, strict=True):
            assert run.returncode == 0, err.decode()
        settled = [int(out.decode().split()[1]) for out, _ in outputs]
        print("teams settled per process:", settled)
        assert sum(settled) == TEAMS, settled

        refunds = stripe.requests_to("/v1/refunds", "POST")
        per_charge = Counter(r.params["charge"] for r in refunds)
        assert len(per_charge) == TEAMS * 2
        assert set(per_charge.values()) == {1}, per_charge.most_common(3)
        async with uows() as uow:
            for team_id in teams:
                team = await uow.groups.team(team_id)
                assert team is not None and team.status is TeamStatus.EXPIRED
    finally:
        await stripe.stop()
        await uows.dispose()
