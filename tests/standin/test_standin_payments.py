"""Invoices and the payment flow, plus commands and the other state-keeping methods."""

from __future__ import annotations

import pytest
import telegram
from aiogram import Bot as AiogramBot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, LabeledPrice
from telegram.error import BadRequest

from bot.standin import BotApiStandIn

pytestmark = pytest.mark.asyncio


async def test_star_invoice_payment_and_single_refund(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(7001, "Ann")
    invoice = await aiogram_bot.send_invoice(
        chat.id,
        title="Tea box",
        description="Six teas",
        payload="order:42",
        currency="XTR",
        prices=[LabeledPrice(label="Tea box", amount=250)],
    )
    assert invoice.invoice is not None
    assert invoice.invoice.total_amount == 250
    assert invoice.invoice.currency == "XTR"

    pre_checkout = chat.pay(invoice)["pre_checkout_query"]
    assert pre_checkout["invoice_payload"] == "order:42"
    assert pre_checkout["total_amount"] == 250
    updates = await aiogram_bot.get_updates(timeout=0)
    assert updates[-1].pre_checkout_query is not None
    assert await ptb_bot.answer_pre_checkout_query(pre_checkout["id"], ok=True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await aiogram_bot.answer_pre_checkout_query(pre_checkout["id"], ok=True)

    updates = await aiogram_bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    assert updates[0].message is not None
    payment = updates[0].message.successful_payment
    assert payment is not None
    assert payment.invoice_payload == "order:42"
    assert payment.total_amount == 250

    charge = payment.telegram_payment_charge_id
    assert await aiogram_bot.refund_star_payment(chat.id, charge)
    with pytest.raises(BadRequest, match="(?i)charge_already_refunded"):
        await ptb_bot.refund_star_payment(chat.id, charge)
    refunds = await aiogram_bot.get_updates(offset=updates[0].update_id + 1, timeout=0)
    assert refunds[0].message is not None
    assert refunds[0].message.refunded_payment is not None
    assert standin.violations == []


async def test_flexible_invoice_goes_through_shipping(
    standin: BotApiStandIn, ptb_bot: telegram.Bot
) -> None:
    chat = standin.private_chat(7002)
    invoice = await ptb_bot.send_invoice(
        chat.id,
        "Mug",
        "A mug",
        "order:7",
        "EUR",
        [telegram.LabeledPrice("Mug", 1200)],
        provider_token="TEST:provider",
        is_flexible=True,
        need_shipping_address=True,
    )
    shipping = chat.pay(invoice.message_id, shipping_option_id="express")["shipping_query"]
    assert shipping["invoice_payload"] == "order:7"
    assert await ptb_bot.answer_shipping_query(
        shipping["id"],
        ok=True,
        shipping_options=[
            telegram.ShippingOption("post", "Post", [telegram.LabeledPrice("Post", 300)]),
            telegram.ShippingOption("express", "Express", [telegram.LabeledPrice("Fast", 900)]),
        ],
    )
    updates = await ptb_bot.get_updates(timeout=0)
    query = updates[-1].pre_checkout_query
    assert query is not None
    assert query.total_amount == 2100
    assert query.shipping_option_id == "express"
    with pytest.raises(BadRequest, match="(?i)payment_provider_invalid"):
        await ptb_bot.send_invoice(
            chat.id, "Mug", "A mug", "order:8", "EUR", [telegram.LabeledPrice("Mug", 1200)]
        )
    assert standin.violations == []


async def test_commands_per_scope_and_language(
    standin: BotApiStandIn, aiogram_bot: AiogramBot, ptb_bot: telegram.Bot
) -> None:
    commands = [BotCommand(command="start", description="Open the shop")]
    assert await aiogram_bot.set_my_commands(commands)
    assert await aiogram_bot.set_my_commands(
        [BotCommand(command="orders", description="Meine Bestellungen")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="de",
    )
    assert [c.command for c in await ptb_bot.get_my_commands()] == ["start"]
    german = await aiogram_bot.get_my_commands(
        scope=BotCommandScopeAllPrivateChats(), language_code="de"
    )
    assert [c.command for c in german] == ["orders"]
    assert await aiogram_bot.get_my_commands(language_code="de") == []
    assert await ptb_bot.delete_my_commands()
    assert await aiogram_bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await aiogram_bot.set_my_commands([BotCommand(command="Bad Name", description="x")])
    assert await aiogram_bot.close()
    assert await ptb_bot.log_out()
    assert standin.violations == []
