"""One-time coupon codes through the buyer's path: applied by typing (case and spaces do not
count), carried by the order, taken at the pre-checkout, refused to a second buyer, given back
when the hold lapses unpaid (then usable by someone else); the coupon's own code, a code of a
switched-off coupon and a wrong code each get their reason."""

from __future__ import annotations

from bot.conversation.storefront import Storefront
from bot.domain.coupons import Coupon, CouponKind, CouponRefusal
from bot.services import checkout, coupons, pre_checkout, stock_holds
from bot.services.checkout import Delivery, PaymentSetup
from bot.services.pre_checkout import PaymentFacts
from bot.services.shipping_file import default_shipping_path, read_rates
from tests.helpers import Clock

SETUP = PaymentSetup(provider_token="tok", shipping=read_rates(default_shipping_path()))


async def test_a_code_held_by_an_unpaid_order_comes_back_for_someone_else(
    demo_shop: Storefront, clock: Clock
) -> None:
    async with demo_shop.uows() as uow:
        coupon_id = await uow.coupons.create(
            Coupon(0, "VIP", CouponKind.PERCENT, percent=10), clock()
        )
        made = await coupons.make_codes(uow, "vip", 2, clock())
        assert made.refusal is None and len(made.made) == 2
        code, other = made.made
        for buyer in (6, 7):
            await uow.buyers.touch(buyer, f"B{buyer}", None, "en", clock())
        own = await coupons.apply_code(uow, 6, "vip", clock())
        assert own.refusal is CouponRefusal.CODES_ONLY and not own.wrong
        wrong = await coupons.apply_code(uow, 6, "ABCDEFGHJK", clock())
        assert (wrong.refusal, wrong.wrong) == (CouponRefusal.UNKNOWN, True)
        applied = await coupons.apply_code(uow, 6, f" {code[:4].lower()} {code[4:]} ", clock())
        assert applied.refusal is None and applied.coupon is not None
        assert (applied.coupon.id, applied.coupon.code, applied.coupon.one_time) == (
            coupon_id,
            code,
            True,
        )
        [pid] = await uow.catalog.search_ids(["trail"], 5)
        product = await uow.catalog.product(pid)
        assert product is not None
        basket = await checkout.basket_for_variant(uow, product.variants[0].id)
        started = await checkout.start(uow, 6, 6, basket, Delivery.PICKUP, SETUP, clock())
        order = started.order
        assert order is not None and order.coupon_code == code and order.discount.amount > 0
        facts = PaymentFacts(6, checkout.payload_of(order), "USD", order.total.amount)
        assert await pre_checkout.pre_checkout(uow, facts, SETUP, clock()) is None
        await uow.commit()
    async with demo_shop.uows() as uow:  # held by buyer 6's payment under way
        refused = await coupons.apply_code(uow, 7, code, clock())
        assert refused.refusal is CouponRefusal.CODE_USED and not refused.wrong
        assert await uow.prefs.coupon_of(7) is None
        [use] = [u for u in await uow.coupons.codes(coupon_id) if u.code == code]
        assert use.used_by == 6
    clock.advance(minutes=16)  # the hold lapses unpaid
    async with demo_shop.uows() as uow:
        assert await stock_holds.release_due_holds(uow, clock()) == 1
        await uow.commit()
    async with demo_shop.uows() as uow:
        assert (await uow.coupons.usage(coupon_id, 6, code)).used_total == 0
        again = await coupons.apply_code(uow, 7, code, clock())
        assert again.refusal is None and again.coupon is not None and again.coupon.code == code
        current = await coupons.current(uow, 7)
        assert current is not None and current.one_time and current.code == code
        await uow.coupons.set_active("VIP", False)
        off = await coupons.apply_code(uow, 6, other, clock())
        assert off.refusal is CouponRefusal.DISABLED
        assert (await coupons.make_codes(uow, "VIP", 1, clock())).refusal is (
            coupons.CodesRefusal.DISABLED
        )
