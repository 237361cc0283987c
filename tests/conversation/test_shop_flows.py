"""The storefront's behaviour through neutral events and replies, on real SQLite storage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.conversation.events import (
    ButtonPress,
    Chat,
    ChatKind,
    Command,
    MessageKind,
    PaymentDone,
    Person,
    PreCheckout,
    Text,
    Unsupported,
)
from bot.conversation.replies import (
    AnswerCallback,
    DeleteMessage,
    EditKeyboard,
    EditMedia,
    EditText,
    Reply,
    SendInvoice,
    SendMedia,
    SendText,
)
from bot.conversation.storefront import Storefront
from bot.domain.coupons import Coupon, CouponKind
from bot.services.checkout import PaymentSetup
from bot.services.shipping_file import default_shipping_path, read_rates
from tests.helpers import ANN, Clock, buttons, chat_of, command, press, say, update_ids

BO = Person(202, "Bo", None, "zh-hans")


def answer(replies: list[Reply]) -> AnswerCallback:
    assert isinstance(replies[0], AnswerCallback), replies
    return replies[0]


async def test_start_catalog_card_add_and_cart_total(demo_shop: Storefront) -> None:
    [welcome] = await command(demo_shop, "/start")
    assert isinstance(welcome, SendText) and "Ann" in welcome.text and "Demo" in welcome.text
    [listing] = await command(demo_shop, "/catalog")
    assert isinstance(listing, SendText)
    cats = buttons(listing)
    assert "Snacks (2)" in cats
    assert "Sneakers & Boots (2)" in cats  # button text is shown as is: never HTML-escaped
    replies = await press(demo_shop, cats["Snacks (2)"], kind=MessageKind.TEXT)
    card = replies[-1]
    assert isinstance(card, SendMedia) and card.media.kind == "video"
    assert "Spicy Konjac Jelly" in card.caption and "$4.99" in card.caption
    assert "1 of 2" in card.caption
    add = buttons(card)["🛒 Add to cart"]
    added = answer(await press(demo_shop, add)).text or ""
    assert "Added: Spicy Konjac Jelly (10 pack) × 1" in added
    assert "× 2" in (answer(await press(demo_shop, add)).text or "")
    [cart] = await command(demo_shop, "/cart")
    assert isinstance(cart, SendText)
    assert "× 2 · $9.98" in cart.text and "Total: $9.98" in cart.text and "2 items" in cart.text


async def test_paging_edits_the_same_message(demo_shop: Storefront) -> None:
    [listing] = await command(demo_shop, "/catalog")
    card = (await press(demo_shop, buttons(listing)["Snacks (2)"], kind=MessageKind.TEXT))[-1]
    nxt = buttons(card)["▶"]
    replies = await press(demo_shop, nxt, message_id=77, kind=MessageKind.VIDEO)
    # Dried Mango has a photo: the video message is edited into a photo in place.
    edit = replies[-1]
    assert isinstance(edit, EditMedia) and edit.message_id == 77 and edit.media.kind == "photo"
    assert "Dried Mango" in edit.caption and "2 of 2" in edit.caption
    # Wrapping around goes back to the first card.
    again = (await press(demo_shop, buttons(edit)["▶"], message_id=77))[-1]
    assert isinstance(again, EditMedia) and "Konjac" in again.caption


async def test_text_card_replaces_a_video_by_delete_and_send(demo_shop: Storefront) -> None:
    [listing] = await command(demo_shop, "/catalog")
    card = (await press(demo_shop, buttons(listing)["Gadgets (3)"], kind=MessageKind.TEXT))[-1]
    assert isinstance(card, SendMedia) and "Mini Projector" in card.caption
    assert "Sold out" in card.caption and "🛒 Add to cart" not in buttons(card)
    replies = await press(demo_shop, buttons(card)["◀"], message_id=9)
    assert isinstance(replies[1], DeleteMessage) and replies[1].message_id == 9
    assert isinstance(replies[2], SendText) and "Phone Tripod" in replies[2].text


async def test_multi_variant_product_asks_which_one(demo_shop: Storefront) -> None:
    [card] = await say(demo_shop, "air runner")
    assert isinstance(card, SendMedia) and "Air Runner" in card.caption
    replies = await press(demo_shop, buttons(card)["🛒 Add to cart"], message_id=5)
    picker = replies[-1]
    assert isinstance(picker, EditKeyboard)
    options = buttons(picker)
    assert "EU 40 · $59.99" in options and "EU 44 · sold out" in options
    sold_out = answer(await press(demo_shop, options["EU 44 · sold out"], message_id=5))
    assert sold_out.text == "Sorry, Air Runner (EU 44) is sold out." and sold_out.alert
    added = answer(await press(demo_shop, options["EU 42 · $59.99"], message_id=5))
    assert "Air Runner (EU 42) × 1" in (added.text or "")
    for _ in range(5):
        last = answer(await press(demo_shop, options["EU 42 · $59.99"], message_id=5))
    assert "already holds all 4" in (last.text or "")
    [cart] = await command(demo_shop, "/cart")
    assert "Air Runner (EU 42) × 4" in cart.text  # type: ignore[union-attr]


async def test_cart_buttons_and_quantity_typing(demo_shop: Storefront) -> None:
    [card] = await say(demo_shop, "tripod")
    assert isinstance(card, SendText)
    await press(demo_shop, buttons(card)["🛒 Add to cart"], kind=MessageKind.TEXT)
    [cart] = await command(demo_shop, "/cart")
    keys = buttons(cart)
    inc = keys["+"]
    replies = await press(demo_shop, inc, message_id=30, kind=MessageKind.TEXT)
    edited = replies[-1]
    assert isinstance(edited, EditText) and "× 2" in edited.text and edited.message_id == 30
    qty = buttons(edited)["✏️ 1. × 2"]
    replies = await press(demo_shop, qty, message_id=30, kind=MessageKind.TEXT)
    assert "How many of Phone Tripod" in replies[-1].text  # type: ignore[union-attr]
    for bad in ("lots", "-3", "1e9", "99999999999999999999", "٣", "2.5"):
        [reply] = await say(demo_shop, bad)
        assert "whole number from 0 to 20" in reply.text, bad  # type: ignore[union-attr]
    replies = await say(demo_shop, "500")
    assert "At most 20 of one item" in replies[0].text  # type: ignore[union-attr]
    assert "× 20" in replies[1].text  # type: ignore[union-attr]
    # The prompt is finished: plain text searches again.
    [found] = await say(demo_shop, "mango")
    assert isinstance(found, SendMedia) and "Dried Mango" in found.caption
    await press(demo_shop, keys["✕"], message_id=30, kind=MessageKind.TEXT)
    [cart] = await command(demo_shop, "/cart")
    assert "empty" in cart.text  # type: ignore[union-attr]


async def test_someone_elses_cart_line_is_refused(demo_shop: Storefront) -> None:
    [card] = await say(demo_shop, "tripod")
    await press(demo_shop, buttons(card)["🛒 Add to cart"], kind=MessageKind.TEXT)
    [cart] = await command(demo_shop, "/cart")
    inc = buttons(cart)["+"]
    refused = answer(await press(demo_shop, inc, person=BO, kind=MessageKind.TEXT))
    assert refused.alert and "别人的购物车" in (refused.text or "")
    [own] = await command(demo_shop, "/cart")
    assert "× 1" in own.text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "data",
    [
        "garbage",
        "ci:999999",
        "nv:c:999:0",
        "ad:99999:c:1:0",
        "lg:fr",
        "ml:424242",
        "av:8888:p:1:0",
        "x" * 64,
    ],
)
async def test_stale_or_forged_buttons_get_a_polite_answer(
    demo_shop: Storefront, data: str
) -> None:
    replies = await press(demo_shop, data)
    first = answer(replies)
    assert first.text  # something is said, never silence
    assert not any(isinstance(r, EditMedia | SendMedia) for r in replies)


async def test_duplicate_update_is_handled_once(demo_shop: Storefront) -> None:
    [card] = await say(demo_shop, "tripod")
    event = ButtonPress(
        9_000_001, ANN, chat_of(ANN), "cbx", buttons(card)["🛒 Add to cart"], 3, MessageKind.TEXT
    )
    assert await demo_shop.handle(event)
    assert await demo_shop.handle(event) == []
    [cart] = await command(demo_shop, "/cart")
    assert "× 1" in cart.text  # type: ignore[union-attr]


async def test_deep_links_language_and_bad_input(demo_shop: Storefront) -> None:
    [card] = await command(demo_shop, "/start p_2")
    assert isinstance(card, SendMedia) and "Trail Blazer" in card.caption
    assert "<i>" not in card.caption  # a single product has no position line
    gone = await command(demo_shop, "/start p_9999")
    assert "no longer available" in gone[0].text  # type: ignore[union-attr]
    [zh] = await command(demo_shop, "/start", person=BO)
    assert "欢迎" in zh.text  # type: ignore[union-attr]
    [choose] = await command(demo_shop, "/lang", person=BO)
    replies = await press(demo_shop, buttons(choose)["English"], person=BO, kind=MessageKind.TEXT)
    assert answer(replies).text == "Language: English."
    [welcome] = await command(demo_shop, "/start", person=BO)
    assert "Welcome" in welcome.text  # type: ignore[union-attr]
    [unknown] = await command(demo_shop, "/frobnicate")
    assert "I don't know /frobnicate" in unknown.text  # type: ignore[union-attr]
    [sticker] = await demo_shop.handle(Unsupported(next(update_ids), ANN, chat_of(ANN), "sticker"))
    assert "stickers" in sticker.text  # type: ignore[union-attr]
    [none] = await say(demo_shop, "unicorn saddle")
    assert "Nothing found for “unicorn saddle”" in none.text  # type: ignore[union-attr]
    [long] = await say(demo_shop, "x" * 5000)
    assert "under 100 characters" in long.text  # type: ignore[union-attr]
    [chinese] = await say(demo_shop, "芒果干")
    assert isinstance(chinese, SendMedia) and "Dried Mango" in chinese.caption


async def test_groups_stay_quiet_and_keep_carts_private(demo_shop: Storefront) -> None:
    group = Chat(-100123, ChatKind.SUPERGROUP)
    assert await demo_shop.handle(Text(next(update_ids), ANN, group, "hello everyone")) == []
    assert await command(demo_shop, "/frobnicate", chat=group) == []
    [private] = await command(demo_shop, "/cart", chat=group)
    assert "https://t.me/demo_bot?start=cart" in buttons(private).values()
    [card] = await command(demo_shop, "/catalog", chat=group)
    assert isinstance(card, SendText) and card.chat_id == group.id


async def test_a_failing_update_apologises_and_changes_nothing(
    demo_shop: Storefront, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import carts

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(carts, "view_cart", broken)
    [reply] = await command(demo_shop, "/cart")
    assert "nothing was changed" in reply.text  # type: ignore[union-attr]


async def test_a_redelivered_command_is_not_answered_twice(demo_shop: Storefront) -> None:
    event = Command(9_100_001, ANN, chat_of(ANN), "help")
    assert len(await demo_shop.handle(event)) == 1
    assert await demo_shop.handle(event) == []


async def test_paging_through_cards_writes_nothing(demo_shop: Storefront) -> None:
    """Pressing ◀ / ▶ only edits in place: no claim, no write (redelivery is harmless)."""
    [card] = await say(demo_shop, "snack")  # also creates the buyer
    nxt = buttons(card)["▶"]
    uows = demo_shop.uows
    event = ButtonPress(9_200_001, ANN, chat_of(ANN), "cb1", nxt, 8, MessageKind.VIDEO)
    first = await demo_shop.handle(event)
    again = await demo_shop.handle(event)
    assert isinstance(first[-1], EditMedia) and again[-1] == first[-1]
    async with uows() as uow:
        assert await uow.updates.claim(9_200_001, demo_shop.clock())  # never claimed


async def test_old_handled_update_ids_are_forgotten(demo_shop: Storefront) -> None:
    from datetime import timedelta

    from bot.services.housekeeping import KEEP_HANDLED_UPDATES, forget_old_updates

    await demo_shop.handle(Command(9_300_001, ANN, chat_of(ANN), "help"))
    now = demo_shop.clock()
    assert await forget_old_updates(demo_shop.uows, now) == 0
    later = now + KEEP_HANDLED_UPDATES + timedelta(minutes=1)
    assert await forget_old_updates(demo_shop.uows, later) >= 1
    assert len(await demo_shop.handle(Command(9_300_001, ANN, chat_of(ANN), "help"))) == 1


async def test_a_return_before_shipping_is_refused_politely(demo_shop: Storefront) -> None:
    """A paid order not shipped yet cannot be returned: the buyer is told why (it was a
    TypeError, answered with the generic apology)."""
    demo_shop.config.payments = PaymentSetup(
        provider_token="TEST:provider", shipping=read_rates(default_shipping_path())
    )
    [card] = await say(demo_shop, "tripod")
    await press(demo_shop, buttons(card)["🛒 Add to cart"], kind=MessageKind.TEXT)
    [cart] = await command(demo_shop, "/cart")
    [_, how] = await press(demo_shop, buttons(cart)["💳 Checkout"], kind=MessageKind.TEXT)
    replies = await press(demo_shop, buttons(how)["🏬 Pick up at Storefront Studio"])
    [invoice] = [r for r in replies if isinstance(r, SendInvoice)]
    order_id = int(invoice.payload.split(":")[1])
    total = sum(amount for _, amount in invoice.prices)
    info = {"name": "Ann", "phone_number": "+10000000000"}
    await demo_shop.handle(
        PreCheckout(
            next(update_ids), ANN, "q1", invoice.payload, invoice.currency, total, None, info
        )
    )
    [receipt, *_] = await demo_shop.handle(
        PaymentDone(
            next(update_ids),
            ANN,
            chat_of(ANN),
            invoice.payload,
            invoice.currency,
            total,
            "tg-1",
            order_info=info,
        )
    )
    assert "Payment received" in receipt.text  # type: ignore[union-attr]
    replies = await press(demo_shop, f"or:{order_id}", kind=MessageKind.TEXT)
    assert answer(replies).alert
    assert answer(replies).text == "This order is paid; a return cannot be requested."


async def _coupon(shop: Storefront, coupon: Coupon) -> None:
    async with shop.uows() as uow:
        await uow.coupons.create(coupon, shop.clock())
        await uow.commit()


async def test_the_cart_shows_a_free_shipping_coupon_and_one_that_expired(
    demo_shop: Storefront, clock: Clock
) -> None:
    """Free shipping is named (taken at checkout; the total stays); a coupon that expired
    after it was applied is shown with the reason and takes nothing off."""
    await _coupon(demo_shop, Coupon(0, "SHIPFREE", CouponKind.FREE_SHIPPING))
    await _coupon(
        demo_shop,
        Coupon(
            0, "BRIEF", CouponKind.PERCENT, percent=20, expires_at=clock() + timedelta(hours=1)
        ),
    )
    [card] = await say(demo_shop, "tripod")
    await press(demo_shop, buttons(card)["🛒 Add to cart"])
    await command(demo_shop, "/coupon SHIPFREE")
    [cart] = await command(demo_shop, "/cart")
    assert isinstance(cart, SendText)
    assert "Subtotal: $15.99 (1 item)" in cart.text
    assert "🏷 Coupon <b>SHIPFREE</b>: free shipping at checkout" in cart.text
    assert "<b>Total: $15.99</b>" in cart.text and "−" not in cart.text

    await command(demo_shop, "/coupon BRIEF")
    [cart] = await command(demo_shop, "/cart")
    assert "🏷 Coupon <b>BRIEF</b> (20% off): −$3.20" in cart.text  # type: ignore[union-attr]
    assert "<b>Total: $12.79</b>" in cart.text  # type: ignore[union-attr]
    clock.advance(hours=2)
    [cart] = await command(demo_shop, "/cart")
    assert isinstance(cart, SendText)
    assert "🏷 Not applied: Coupon BRIEF has expired." in cart.text
    assert "<b>Total: $15.99</b> (1 item)" in cart.text and "−" not in cart.text
