"""``storefront coupons …`` and ``storefront orders …``: the merchant's tools until the
in-chat console exists. They change the database and queue notices and refunds; the running
bot sends them (within half a minute)."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app
from bot.domain.coupons import Coupon, CouponKind, CouponScope, normalise_code
from bot.domain.money import parse_major
from bot.domain.orders import OrderStatus

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.services.coupons import Codes
    from bot.services.order_ports import CodeUse
    from bot.services.orders import Outcome
    from bot.services.ports import UnitOfWork


def add_parsers(sub: Subparsers) -> None:
    coupons = sub.add_parser("coupons", help="create, list and disable coupons")
    csub = coupons.add_subparsers(dest="coupons_command", required=True)
    add = csub.add_parser("add", help="create a coupon")
    add.add_argument("code")
    kind = add.add_mutually_exclusive_group(required=True)
    kind.add_argument("--percent", type=int, help="percent off (1-100)")
    kind.add_argument("--amount", help="fixed amount off, e.g. 5.00")
    kind.add_argument("--free-shipping", action="store_true")
    add.add_argument("--currency", default=None, help="for --amount and --min (default CURRENCY)")
    add.add_argument("--min", dest="minimum", help="minimum subtotal, e.g. 20.00")
    add.add_argument("--limit", type=int, help="uses in total")
    add.add_argument("--per-buyer", type=int, help="uses per buyer")
    add.add_argument("--first-order", action="store_true")
    add.add_argument("--stacks", action="store_true", help="also on sale/group prices")
    add.add_argument(
        "--public",
        action="store_true",
        help="anyone may apply it by a button (else only those the shop gave it to)",
    )
    add.add_argument("--products", help="only these product ids, comma-separated")
    add.add_argument("--categories", help="only these category ids, comma-separated")
    add.add_argument("--starts", help="ISO date/time (UTC)")
    add.add_argument("--expires", help="ISO date/time (UTC)")
    add.set_defaults(func=with_app(add_coupon))
    csub.add_parser("list", help="coupons with their use counts").set_defaults(
        func=with_app(list_coupons)
    )
    codes = csub.add_parser(
        "codes",
        help="make one-time codes for a coupon (--count), or list its codes and their use",
    )
    codes.add_argument("code", help="the coupon's own code")
    codes.add_argument(
        "--count", type=int, default=None, help="make this many new one-time codes (1-10000)"
    )
    codes.add_argument("--csv", dest="csv_file", default=None, help="write the codes to FILE")
    codes.set_defaults(func=with_app(coupon_codes))
    disable = csub.add_parser("disable", help="switch a coupon off")
    disable.add_argument("code")
    disable.set_defaults(func=with_app(disable_coupon))

    order = sub.add_parser("orders", help="list, ship, deliver and refund orders")
    osub = order.add_subparsers(dest="orders_command", required=True)
    listing = osub.add_parser("list")
    listing.add_argument("--status", choices=[s.value for s in OrderStatus], default=None)
    listing.set_defaults(func=with_app(list_orders))
    ship = osub.add_parser("ship", help="mark shipped (captures an authorised card first)")
    ship.add_argument("id", type=int)
    ship.add_argument("--tracking", default=None)
    ship.set_defaults(func=with_app(ship_order))
    deliver = osub.add_parser("deliver", help="mark delivered")
    deliver.add_argument("id", type=int)
    deliver.set_defaults(func=with_app(deliver_order))
    refund = osub.add_parser("refund", help="refund all that is left, or --amount")
    refund.add_argument("id", type=int)
    refund.add_argument("--amount", default=None)
    refund.set_defaults(func=with_app(refund_order))


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ids(text: str | None) -> frozenset[int]:
    return frozenset(int(x) for x in (text or "").split(",") if x.strip())


def _coupon(args: argparse.Namespace, currency: str, now: datetime) -> Coupon:
    """The flags as coupon terms, checked by ``coupon_terms`` (as the console's are): an end
    date already past is refused."""
    from bot.services import coupon_terms

    cur = args.currency or currency
    scope = CouponScope.ALL
    ids: frozenset[int] = frozenset()
    if args.products:
        scope, ids = CouponScope.PRODUCTS, _ids(args.products)
    elif args.categories:
        scope, ids = CouponScope.CATEGORIES, _ids(args.categories)
    if args.percent is not None:
        value = coupon_terms.Value(CouponKind.PERCENT, percent=args.percent)
    elif args.amount is not None:
        value = coupon_terms.Value(
            CouponKind.FIXED, amount=coupon_terms.parse_amount(args.amount, cur)
        )
    else:
        value = coupon_terms.Value(CouponKind.FREE_SHIPPING)
    return coupon_terms.build_coupon(
        args.code,
        value,
        minimum=coupon_terms.parse_amount(args.minimum, cur) if args.minimum else None,
        usage_limit=args.limit,
        per_buyer_limit=args.per_buyer,
        starts_at=_when(args.starts),
        expires_at=_when(args.expires),
        first_order_only=args.first_order,
        stacks_with_promotions=args.stacks,
        scope=scope,
        scope_ids=ids,
        public=args.public,
        now=now,
    )


async def add_coupon(app: App, args: argparse.Namespace) -> int:
    now = datetime.now(UTC)
    try:
        coupon = _coupon(args, app.settings.currency, now)
    except ValueError as exc:
        print(f"storefront: {exc}")
        return 2
    async with app.uows() as uow:
        if await uow.coupons.by_code(coupon.code) is not None:
            print(f"storefront: coupon {coupon.code} already exists")
            return 1
        await uow.coupons.create(coupon, now)
        await uow.commit()
    print(f"Coupon {coupon.code} created. Deep link payload: c_{coupon.code}")
    return 0


async def list_coupons(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        found = await uow.coupons.all()
    if not found:
        print("No coupons yet.")
    for stats in found:
        c = stats.coupon
        limit = c.usage_limit if c.usage_limit is not None else "∞"
        state = ("on" if c.active else "off") + (" public" if c.public else "")
        codes = f" one-time codes {stats.codes_used}/{stats.codes} used" if stats.codes else ""
        print(f"{c.code:<16} {c.kind.value:<14} used {stats.used}/{limit} {state}{codes}")
    return 0


async def coupon_codes(app: App, args: argparse.Namespace) -> int:
    """With ``--count N``: N new one-time codes, as CSV (to ``--csv FILE`` or printed); the
    file is written before the codes are kept, so codes never exist that were not exported.
    Without: every code of the coupon and who used it, as CSV to ``--csv FILE`` or a table."""
    from bot.services import coupons
    from bot.services.order_ports import CodeUse

    now = datetime.now(UTC)
    async with app.uows() as uow:
        if args.count is None:
            found = await coupons.coupon_for_codes(uow, args.code)
            if found is None:
                print(f"storefront: no coupon {args.code}")
                return 1
            return _list_codes(found, await uow.coupons.codes(found.id), args.csv_file)
        made = await coupons.make_codes(uow, args.code, args.count, now)
        if made.refusal is not None or made.coupon is None:
            print(f"storefront: {_codes_refusal(args.code, made)}")
            return 2 if made.refusal is coupons.CodesRefusal.COUNT else 1
        uses = [CodeUse(c, None, None, now) for c in made.made]
        text = coupons.codes_csv(made.coupon, uses)
        if args.csv_file and not _write(args.csv_file, text):
            return 1  # nothing kept: the transaction is not committed
        await uow.commit()
    print(f"{len(uses)} one-time codes made for coupon {made.coupon.code}.")
    if args.csv_file:
        print(f"Written to {args.csv_file}.")
    else:
        print(text, end="")
    return 0


def _write(name: str, text: str) -> bool:
    from pathlib import Path

    try:
        Path(name).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"storefront: cannot write {name}: {exc.strerror or exc}")
        return False
    return True


def _list_codes(coupon: Coupon, uses: list[CodeUse], csv_file: str | None) -> int:
    from bot.services import coupons

    if not uses:
        print(f"Coupon {coupon.code} has no one-time codes yet (make some with --count N).")
        return 0
    used = sum(1 for u in uses if u.used_by is not None)
    if csv_file and not _write(csv_file, coupons.codes_csv(coupon, uses)):
        return 1
    print(f"Coupon {coupon.code}: {len(uses)} one-time codes, {used} used.")
    if csv_file:
        print(f"Written to {csv_file}.")
        return 0
    for use in uses:
        when = f"{use.used_at:%Y-%m-%d %H:%M} UTC" if use.used_at is not None else ""
        state = f"used by {use.used_by} {when}" if use.used_by is not None else "unused"
        print(f"{use.code:<12} {state}")
    return 0


def _codes_refusal(raw: str, made: Codes) -> str:
    from bot.domain.coupons import MAX_ONE_TIME_CODES
    from bot.services.coupons import CodesRefusal

    code = made.coupon.code if made.coupon else raw
    return {
        CodesRefusal.UNKNOWN: f"no coupon {raw}",
        CodesRefusal.PERSONAL: f"coupon {code} is a personal reward: it has no one-time codes",
        CodesRefusal.DISABLED: f"coupon {code} is disabled: its codes could not be used",
        CodesRefusal.ENDED: f"coupon {code} has ended: its codes could not be used",
        CodesRefusal.COUNT: f"--count is 1 to {MAX_ONE_TIME_CODES}",
    }[made.refusal or CodesRefusal.UNKNOWN]


async def disable_coupon(app: App, args: argparse.Namespace) -> int:
    code = normalise_code(args.code)
    async with app.uows() as uow:
        if code is None or not await uow.coupons.set_active(code, False):
            print(f"storefront: no coupon {args.code}")
            return 1
        await uow.commit()
    return 0


async def list_orders(app: App, args: argparse.Namespace) -> int:
    wanted = frozenset({OrderStatus(args.status)}) if args.status else frozenset(OrderStatus)
    async with app.uows() as uow:
        found = await uow.orders.recent(wanted, 50)
    if not found:
        print("No orders yet." if args.status is None else f"No {args.status} orders.")
    for o in found:
        print(
            f"#{o.id:<6} {o.status.value:<18} {o.total.major_str():>10} {o.currency} "
            f"user {o.user_id} {o.created_at:%Y-%m-%d %H:%M}"
        )
    return 0


async def ship_order(app: App, args: argparse.Namespace) -> int:
    from bot.services import merchant_orders
    from bot.services.orders import Refused

    async def ship(uow: UnitOfWork, now: datetime) -> Outcome | int:
        outcome = await merchant_orders.ship(uow, app.card, args.id, args.tracking, now)
        if outcome.refused is Refused.GROUP_OPEN:
            print(f"storefront: order #{args.id} is a seat in a group buy still filling")
            return 1
        if outcome.refused is Refused.NO_CARD:
            print("storefront: capturing needs STRIPE_API_KEY")
            return 1
        return outcome

    return await _move_order(app, args.id, ship)


async def deliver_order(app: App, args: argparse.Namespace) -> int:
    from bot.services import orders

    async def deliver(uow: UnitOfWork, now: datetime) -> Outcome:
        return await orders.mark_delivered(uow, args.id, now)

    return await _move_order(app, args.id, deliver)


async def refund_order(app: App, args: argparse.Namespace) -> int:
    from bot.services import orders

    async def refund(uow: UnitOfWork, now: datetime) -> Outcome:
        found = await uow.orders.get(args.id)
        amount = parse_major(args.amount, found.currency) if args.amount and found else None
        return await orders.merchant_refund(uow, args.id, amount, now)

    return await _move_order(app, args.id, refund)


async def _move_order(
    app: App,
    order_id: int,
    move: Callable[[UnitOfWork, datetime], Awaitable[Outcome | int]],
) -> int:
    """One order's move in one transaction: the refusal said, or committed and said done."""
    now = datetime.now(UTC)
    async with app.uows() as uow:
        outcome = await move(uow, now)
        if isinstance(outcome, int):
            return outcome
        if outcome.refused is not None:
            status = outcome.order.status.value if outcome.order else "missing"
            print(f"storefront: order #{order_id} refused ({outcome.refused.value}; {status})")
            return 1
        await uow.commit()
    print(f"Order #{order_id}: done. The running bot tells the buyer.")
    return 0
