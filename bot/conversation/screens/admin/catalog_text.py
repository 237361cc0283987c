"""What the console's catalog and coupon sections share: the text for a refused input, the
Cancel row of a step, and the shop's currency."""

from __future__ import annotations

from bot.conversation.replies import Button
from bot.conversation.screens.admin.registry import admin_cb
from bot.conversation.turn import Turn
from bot.domain.money import minor_unit_exponent
from bot.services.coupon_terms import TermsError
from bot.services.merchant_catalog import BadInput


def bad_input_text(turn: Turn, exc: BadInput, *, currency: str = "USD") -> str:
    return turn.tx.t(
        f"ac.bad.{exc.problem.value}",
        limit=exc.limit,
        places=minor_unit_exponent(currency),
        currency=currency,
    )


def terms_text(turn: Turn, exc: TermsError) -> str:
    return turn.tx.t(f"ac.cp.bad.{exc.problem.value}", detail=exc.detail)


def cancel_row(turn: Turn, verb_name: str) -> tuple[Button, ...]:
    return (Button(turn.tx.label("ac.pn.btn_cancel"), admin_cb(verb_name)),)


def configured_currency(turn: Turn) -> str | None:
    """``CURRENCY`` when the shop's configuration carries it (else the catalog's is used)."""
    return turn.config.currency or None
