"""``storefront creators …`` and ``storefront reviews …``: the merchant's side of creators
(invitations, rates, payouts) and of verified reviews (reply, hide: each written to the audit
log). The running bot tells the people concerned (a payout paid, a reply)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.services.ports import UnitOfWork


def add_parsers(sub: Subparsers) -> None:
    creator = sub.add_parser("creators", help="creators (KOLs): invitations, rates, payouts")
    csub = creator.add_subparsers(dest="creators_command", required=True)
    invite = csub.add_parser("invite", help="an invitation link for one person (7 days)")
    invite.add_argument("--percent", type=int, default=10, help="their commission (0-50)")
    invite.set_defaults(func=with_app(invite_creator))
    csub.add_parser("list", help="creators, their codes and earnings").set_defaults(
        func=with_app(list_creators)
    )
    rate = csub.add_parser("rate", help="change a creator's commission")
    rate.add_argument("user_id", type=int)
    rate.add_argument("--percent", type=int, required=True)
    rate.set_defaults(func=with_app(creator_rate))
    product = csub.add_parser("product-rate", help="a product's own rate for every creator")
    product.add_argument("sku")
    product.add_argument("--percent", type=int, default=None, help="omit to remove it")
    product.set_defaults(func=with_app(product_rate))
    off = csub.add_parser("off", help="stop a creator's links crediting them")
    off.add_argument("user_id", type=int)
    off.set_defaults(func=with_app(creator_off))
    gift = csub.add_parser(
        "coupon", help="a coupon offered (by a button) to whoever opens a creator's link"
    )
    gift.add_argument("user_id", type=int)
    gift.add_argument("code", help="the coupon's code, or 'none' to stop offering one")
    gift.set_defaults(func=with_app(creator_coupon))
    payouts = csub.add_parser("payouts", help="payout requests (open ones; --all for every)")
    payouts.add_argument("--all", action="store_true")
    payouts.set_defaults(func=with_app(list_payouts))
    pay = csub.add_parser("pay", help="mark a payout request paid (you paid it outside)")
    pay.add_argument("payout_id", type=int)
    pay.set_defaults(func=with_app(pay_payout))
    csub.add_parser(
        "settle", help="settle commissions and invite rewards that are due now"
    ).set_defaults(func=with_app(settle_creators))

    review = sub.add_parser("reviews", help="verified reviews: list, reply, hide")
    rsub = review.add_subparsers(dest="reviews_command", required=True)
    listing = rsub.add_parser("list")
    listing.add_argument("--product", type=int, default=None)
    listing.add_argument("--limit", type=int, default=30)
    listing.set_defaults(func=with_app(list_reviews))
    hide = rsub.add_parser("hide", help="hide an abusive review (audit-logged)")
    hide.add_argument("review_id", type=int)
    hide.add_argument("--reason", default="")
    hide.set_defaults(func=with_app(hide_review))
    show = rsub.add_parser("show", help="show a hidden review again (audit-logged)")
    show.add_argument("review_id", type=int)
    show.set_defaults(func=with_app(show_review))
    reply = rsub.add_parser("reply", help="answer a review publicly (the buyer is told)")
    reply.add_argument("review_id", type=int)
    reply.add_argument("text")
    reply.set_defaults(func=with_app(reply_review))


async def settle_creators(app: App, args: argparse.Namespace) -> int:
    from bot.jobs.scheduler import settle_trust

    done = await settle_trust(app.worker)
    print(f"Settled {done} commissions and invite rewards.")
    return 0


async def invite_creator(app: App, args: argparse.Namespace) -> int:
    from bot.domain.creators import CreatorError
    from bot.services import creators

    async with app.uows() as uow:
        try:
            token = await creators.invite(uow, args.percent, app.storefront.clock())
        except CreatorError as exc:
            print(f"storefront: {exc}")
            return 1
        await uow.commit()
    print(f"Send this link to the creator: t.me/<your bot>?start=ki_{token}")
    return 0


async def list_creators(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        found = await uow.trust.creators()
        if not found:
            print("No creators yet.")
        for c in found:
            earned = "; ".join(
                f"{s.currency} pending {s.pending} settled {s.settled} paid {s.paid_out}"
                for s in await uow.trust.creator_stats(c.user_id)
            )
            state = "" if c.active else " (off)"
            print(f"{c.user_id:<12} {c.code} {c.rate_percent}% {c.name}{state} {earned}")
    return 0


def _rate_refused(percent: int | None) -> bool:
    """Whether a commission is out of bounds (said on the terminal)."""
    from bot.domain.creators import CreatorError, check_rate

    try:
        if percent is not None:
            check_rate(percent)
    except CreatorError as exc:
        print(f"storefront: {exc}")
        return True
    return False


async def creator_rate(app: App, args: argparse.Namespace) -> int:
    if _rate_refused(args.percent):
        return 1
    async with app.uows() as uow:
        if not await uow.trust.set_creator_rate(args.user_id, args.percent):
            print(f"storefront: {args.user_id} is not a creator")
            return 1
        await uow.commit()
    return 0


async def product_rate(app: App, args: argparse.Namespace) -> int:
    if _rate_refused(args.percent):
        return 1
    async with app.uows() as uow:
        variant_id = await uow.catalog.variant_by_sku(args.sku)
        found = await uow.catalog.variant(variant_id) if variant_id else None
        if found is None:
            print(f"storefront: no variant with SKU {args.sku}")
            return 1
        await uow.trust.set_product_rate(found[1].id, args.percent)
        await uow.commit()
    return 0


async def creator_off(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        if not await uow.trust.set_creator_active(args.user_id, False):
            print(f"storefront: {args.user_id} is not a creator")
            return 1
        await uow.commit()
    return 0


async def creator_coupon(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        return await _creator_coupon(uow, args.user_id, args.code)


async def _creator_coupon(uow: UnitOfWork, user_id: int, code: str) -> int:
    from bot.domain.coupons import normalise_code

    coupon_id: int | None = None
    offered = ""
    if code.strip().lower() != "none":
        normalised = normalise_code(code)
        coupon = await uow.coupons.by_code(normalised) if normalised else None
        if coupon is None or coupon.owner_id is not None:
            print(f"storefront: no shop coupon {code}")
            return 1
        coupon_id, offered = coupon.id, coupon.code
    if not await uow.trust.set_creator_coupon(user_id, coupon_id):
        print(f"storefront: {user_id} is not a creator")
        return 1
    await uow.commit()
    print(f"Creator {user_id}: " + (f"offers {offered}" if coupon_id else "no coupon"))
    return 0


async def list_payouts(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        found = await uow.trust.payouts(None if args.all else "requested", 100)
    if not found:
        print("No payout requests yet." if args.all else "No open payout requests.")
    for p in found:
        print(
            f"#{p.id:<5} creator {p.creator_id:<12} {p.amount.major_str():>10} "
            f"{p.amount.currency} {p.status.value} {p.requested_at:%Y-%m-%d %H:%M}"
        )
    return 0


async def pay_payout(app: App, args: argparse.Namespace) -> int:
    from bot.services import creators

    async with app.uows() as uow:
        payout = await creators.mark_paid(uow, args.payout_id, app.storefront.clock())
        if payout is None:
            print(f"storefront: no open payout request #{args.payout_id}")
            return 1
        print(f"Payout #{payout.id} marked paid; the creator will be told.")
        await uow.commit()
    return 0


async def list_reviews(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        found = await uow.trust.reviews(args.product, args.limit)
    if not found:
        print("No reviews yet." if args.product is None else "No reviews of this product yet.")
    for r in found:
        reply = f" | reply: {r.reply}" if r.reply else ""
        reply = (" [photo]" if r.photo else "") + reply
        print(
            f"#{r.id:<5} product {r.product_id:<5} {'★' * r.rating:<5} "
            f"{r.status.value:<7} {r.author}: {r.text}{reply}"
        )
    return 0


async def hide_review(app: App, args: argparse.Namespace) -> int:
    return await _set_visible(app, args.review_id, False, args.reason)


async def show_review(app: App, args: argparse.Namespace) -> int:
    return await _set_visible(app, args.review_id, True, "")


async def _set_visible(app: App, review_id: int, visible: bool, reason: str) -> int:
    from bot.services import reviews

    async with app.uows() as uow:
        now = app.storefront.clock()
        if not await reviews.set_visible(uow, review_id, visible, "cli", reason, now):
            print(f"storefront: no review #{review_id}")
            return 1
        await uow.commit()
    print("Done.")
    return 0


async def reply_review(app: App, args: argparse.Namespace) -> int:
    from bot.domain.reviews import ReviewRefusal
    from bot.services import reviews

    async with app.uows() as uow:
        now = app.storefront.clock()
        result = await reviews.reply(uow, args.review_id, "cli", args.text, now)
        if isinstance(result, ReviewRefusal):
            print(f"storefront: cannot reply to review #{args.review_id}: {result.value}")
            return 1
        await uow.commit()
    print("Done.")
    return 0
