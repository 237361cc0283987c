"""``storefront groupbuy …`` and ``storefront leaders …``: group-buy deals, settling due teams,
and the people who lead groups."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.domain.catalog import Variant
    from bot.services.ports import UnitOfWork


def add_parsers(sub: Subparsers) -> None:
    group = sub.add_parser("groupbuy", help="group-buy deals and their teams")
    gsub = group.add_subparsers(dest="groupbuy_command", required=True)
    deal = gsub.add_parser("set", help="make a variant group-buyable (or change its deal)")
    deal.add_argument("sku")
    deal.add_argument("--price", required=True, help="group price, e.g. 3.49")
    deal.add_argument("--size", type=int, required=True, help="members per team (2-100)")
    deal.add_argument("--hours", type=float, required=True, help="time limit of a team")
    deal.add_argument("--max-teams", type=int, default=None, help="open teams at once")
    deal.add_argument("--commission", type=int, default=0, help="leader's percent (0-50)")
    deal.set_defaults(func=with_app(set_deal))
    off = gsub.add_parser("off", help="stop new teams for a variant (open ones run on)")
    off.add_argument("sku")
    off.set_defaults(func=with_app(deal_off))
    gsub.add_parser("list", help="deals").set_defaults(func=with_app(list_deals))
    settle = gsub.add_parser(
        "settle", help="settle teams whose deadline passed, send their refunds"
    )
    settle.set_defaults(func=with_app(settle_deals))

    leaders = sub.add_parser("leaders", help="group-buy leaders and their pickup points")
    lsub = leaders.add_subparsers(dest="leaders_command", required=True)
    add = lsub.add_parser("add", help="make a Telegram user a leader")
    add.add_argument("user_id", type=int)
    add.add_argument("--pickup", default=None, help="pickup point name")
    add.add_argument("--address", default="", help="pickup point address")
    add.add_argument("--pickup-hours", type=int, default=72, help="parcels kept this long")
    add.set_defaults(func=with_app(add_leader))
    remove = lsub.add_parser("remove", help="take the leader role away")
    remove.add_argument("user_id", type=int)
    remove.set_defaults(func=with_app(remove_leader))
    lsub.add_parser("list").set_defaults(func=with_app(list_leaders))


async def settle_deals(app: App, args: argparse.Namespace) -> int:
    from bot.jobs.scheduler import settle_teams

    settled = await settle_teams(app.worker)
    await app.worker.idle()
    while await app.worker.refunds.run_due():  # every refund due now, in batches
        pass
    print(f"Settled {settled} group buys; their refunds are sent.")
    return 0


async def list_deals(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        deals = await uow.groups.all_deals()
    if not deals:
        print("No group buys yet.")
    for d in deals:
        state = "on" if d.active else "off"
        hours = d.time_limit.total_seconds() / 3600
        cap = d.max_teams if d.max_teams is not None else "∞"
        print(
            f"variant {d.variant_id:<6} {d.price.major_str():>9} {d.price.currency} "
            f"team {d.team_size} · {hours:g} h · max {cap} · {d.commission_percent}% "
            f"{state}"
        )
    return 0


async def _variant(uow: UnitOfWork, sku: str) -> Variant | None:
    """The variant with this SKU, or None (said on the terminal)."""
    variant_id = await uow.catalog.variant_by_sku(sku)
    found = await uow.catalog.variant(variant_id) if variant_id else None
    if found is None:
        print(f"storefront: no variant with SKU {sku}")
        return None
    return found[0]


async def set_deal(app: App, args: argparse.Namespace) -> int:
    from bot.domain.group_buys import DealError, GroupDeal
    from bot.domain.money import parse_major

    async with app.uows() as uow:
        variant = await _variant(uow, args.sku)
        if variant is None:
            return 1
        try:
            deal = GroupDeal(
                variant.id,
                parse_major(args.price, variant.price.currency),
                args.size,
                timedelta(hours=args.hours),
                args.max_teams,
                args.commission,
            )
        except (DealError, ValueError) as exc:
            print(f"storefront: {exc}")
            return 2
        if deal.price >= variant.price:
            print("storefront: the group price must be below the regular price")
            return 2
        await uow.groups.set_deal(deal)
        await uow.commit()
    print(f"Group deal for {args.sku}: saved.")
    return 0


async def deal_off(app: App, args: argparse.Namespace) -> int:
    from dataclasses import replace

    async with app.uows() as uow:
        variant = await _variant(uow, args.sku)
        if variant is None:
            return 1
        current = await uow.groups.deal(variant.id)
        if current is None:
            print(f"storefront: {args.sku} has no group deal")
            return 1
        await uow.groups.set_deal(replace(current, active=False))
        await uow.commit()
    print(f"Group deal for {args.sku}: off.")
    return 0


async def list_leaders(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        leaders = await uow.groups.leaders()
    if not leaders:
        print("No group-buy leaders yet.")
    for user_id, pickup in leaders:
        where = f"{pickup.name}, {pickup.address} ({pickup.hours} h)" if pickup else "—"
        print(f"{user_id:<14} pickup: {where}")
    return 0


async def add_leader(app: App, args: argparse.Namespace) -> int:
    from bot.domain.group_buys import PickupPoint

    if not 1 <= args.pickup_hours <= 720:
        print("storefront: --pickup-hours is 1 to 720")
        return 2
    pickup = (
        PickupPoint(args.pickup[:128], args.address[:256], args.pickup_hours)
        if args.pickup
        else None
    )
    async with app.uows() as uow:
        await uow.groups.set_leader(args.user_id, pickup)
        await uow.commit()
    print(f"Leader {args.user_id}: add done.")
    return 0


async def remove_leader(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        if not await uow.groups.remove_leader(args.user_id):
            print(f"storefront: {args.user_id} is not a leader")
            return 1
        await uow.commit()
    print(f"Leader {args.user_id}: remove done.")
    return 0
