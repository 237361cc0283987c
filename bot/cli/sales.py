"""``storefront sales …``: schedule flash sales, change their stock, stop them."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app

if TYPE_CHECKING:
    from bot.bootstrap import App


def add_parsers(sub: Subparsers) -> None:
    sales = sub.add_parser("sales", help="flash sales")
    ssub = sales.add_subparsers(dest="sales_command", required=True)
    add = ssub.add_parser("add", help="schedule a flash sale of one variant")
    add.add_argument("sku")
    add.add_argument("--price", required=True, help="sale price, e.g. 2.99")
    add.add_argument("--stock", type=int, required=True, help="units on sale")
    add.add_argument("--per-buyer", type=int, default=1)
    when = add.add_mutually_exclusive_group(required=True)
    when.add_argument("--starts", help="ISO date/time (UTC)")
    when.add_argument("--in", dest="in_minutes", type=float, help="starts in this many minutes")
    add.add_argument("--minutes", type=float, required=True, help="how long it runs")
    add.set_defaults(func=with_app(add_sale))
    ssub.add_parser("list", help="recent sales").set_defaults(func=with_app(list_sales))
    stock = ssub.add_parser("stock", help="change a sale's units (running sales too)")
    stock.add_argument("id", type=int)
    stock.add_argument("units", type=int)
    stock.set_defaults(func=with_app(sale_stock))
    stop = ssub.add_parser("stop", help="end a sale now")
    stop.add_argument("id", type=int)
    stop.set_defaults(func=with_app(stop_sale))
    post = ssub.add_parser(
        "post", help="post a sale's live card (units left, countdown) in a group or channel"
    )
    post.add_argument("id", type=int)
    post.add_argument(
        "--chat", type=int, required=True, help="the group's or channel's id, e.g. -100123…"
    )
    post.set_defaults(func=with_app(post_sale))


def _start(args: argparse.Namespace, now: datetime) -> datetime:
    if args.in_minutes is not None:
        return now + timedelta(minutes=args.in_minutes)
    value = datetime.fromisoformat(args.starts)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def list_sales(app: App, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    async with app.uows() as uow:
        recent = await uow.sales.recent(30)
    if not recent:
        print("No flash sales yet.")
    for s in recent:
        print(
            f"#{s.id:<5} {s.state(now).value:<9} {s.name[:30]:<30} "
            f"{s.price.major_str()} {s.price.currency} {s.claimed}/{s.stock} "
            f"{s.starts_at:%Y-%m-%d %H:%M}–{s.ends_at:%H:%M} UTC"
        )
    return 0


async def sale_stock(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        if args.units < 0 or not await uow.sales.set_stock(args.id, args.units):
            print(f"storefront: no sale #{args.id} (or a negative number of units)")
            return 1
        await uow.commit()
    print(f"Sale #{args.id}: stock done.")
    return 0


async def stop_sale(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        if not await uow.sales.stop(args.id):
            print(f"storefront: no running sale #{args.id}")
            return 1
        await uow.commit()
    print(f"Sale #{args.id}: stop done.")
    return 0


async def post_sale(app: App, args: argparse.Namespace) -> int:
    from bot.domain.flash_sales import SaleState

    now = datetime.now(UTC)
    async with app.uows() as uow:
        sale = await uow.sales.sale(args.id)
        if sale is None or sale.state(now) is SaleState.ENDED:
            print(f"storefront: no upcoming or running sale #{args.id}")
            return 1
        # The running bot posts it (within a few seconds) and keeps it up to date; if it
        # cannot post there, ADMIN_IDS are told why.
        await uow.notices.add(args.chat, "sale_card", {"sale": sale.id}, now)
        await uow.commit()
    print(f"Sale #{args.id}: post queued: the running bot posts it.")
    return 0


async def add_sale(app: App, args: argparse.Namespace) -> int:
    from bot.domain.flash_sales import SaleError
    from bot.domain.money import parse_major
    from bot.services import flash_sales

    now = datetime.now(UTC)
    async with app.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku(args.sku)
        found = await uow.catalog.variant(variant_id) if variant_id else None
        if variant_id is None or found is None:
            print(f"storefront: no variant with SKU {args.sku}")
            return 1
        try:
            starts = _start(args, now)  # a --starts that is no date is a ValueError too
            price = parse_major(args.price, found[0].price.currency)
            sale = await flash_sales.schedule(
                uow,
                variant_id,
                price,
                args.stock,
                args.per_buyer,
                starts,
                starts + timedelta(minutes=args.minutes),
                now,
            )
        except (SaleError, ValueError) as exc:
            print(f"storefront: {exc}")
            return 2
        print(
            f"Flash sale #{sale.id} scheduled. Share it as t.me/<bot>?start=s_{sale.id}; "
            f"t.me/<bot>?startgroup=s_{sale.id} posts its live card in a group, "
            f"`storefront sales post {sale.id} --chat ID` in a channel."
        )
        await uow.commit()
    return 0
