"""Cash on delivery's typed answers and draft (pure rules), and which shipped options take it."""

from __future__ import annotations

import json

from bot.domain.cash import CashTerms
from bot.domain.cod_address import CodDraft, InputRefusal, Step, clean
from bot.domain.money import Money
from bot.domain.orders import address_line
from bot.domain.shipping import REST_OF_WORLD, ShippingOption, ShippingRates, ShippingZone


def test_typed_answers_are_tidied_or_refused_with_the_reason() -> None:
    assert clean(Step.NAME, "  Ann \n  Lee ") == "Ann Lee"
    assert clean(Step.NAME, "   ") is InputRefusal.EMPTY
    assert clean(Step.NAME, "\n\t") is InputRefusal.EMPTY
    assert clean(Step.NAME, "A" * 101) is InputRefusal.TOO_LONG
    assert clean(Step.NAME, "A" * 100) == "A" * 100
    assert clean(Step.COUNTRY, " us ") == "US"
    assert clean(Step.COUNTRY, "USA") is InputRefusal.BAD_COUNTRY
    assert clean(Step.COUNTRY, "1A") is InputRefusal.BAD_COUNTRY
    assert clean(Step.PHONE, "+1 (415) 555-0100") == "+1 (415) 555-0100"
    assert clean(Step.PHONE, "call me") is InputRefusal.BAD_PHONE
    assert clean(Step.PHONE, "12345") is InputRefusal.BAD_PHONE  # too few digits
    assert clean(Step.PHONE, "+1234567890123456") is InputRefusal.BAD_PHONE  # 16 digits
    assert clean(Step.PHONE, "1" * 21) is InputRefusal.BAD_PHONE
    assert clean(Step.POST_CODE, "94103") == "94103"
    assert clean(Step.POST_CODE, "SW1A 1AA") == "SW1A 1AA"
    assert clean(Step.POST_CODE, "94103; DROP") is InputRefusal.BAD_POST_CODE
    assert clean(Step.POST_CODE, "1" * 13) is InputRefusal.TOO_LONG
    assert clean(Step.STREET, "x" * 129) is InputRefusal.TOO_LONG
    assert clean(Step.CITY, "São Paulo") == "São Paulo"


def test_a_draft_asks_for_the_first_thing_missing_and_a_new_country_forgets_the_method() -> None:
    draft = CodDraft()
    assert not draft.started and draft.next_step() is Step.COUNTRY
    draft = draft.given(Step.COUNTRY, "US").given(Step.METHOD, "us-standard")
    assert draft.started and draft.next_step() is Step.NAME
    for step, value in (
        (Step.NAME, "Ann"),
        (Step.PHONE, "+14155550100"),
        (Step.CITY, "SF"),
        (Step.STREET, "1 Main St"),
    ):
        draft = draft.given(step, value)
    assert draft.next_step() is Step.POST_CODE
    done = draft.given(Step.POST_CODE, "94103")
    assert done.next_step() is Step.CONFIRM
    assert done.address()["country_code"] == "US" and done.address()["street_line1"] == "1 Main St"
    again = CodDraft.from_address(done.address(), done.method, done.name, done.phone)
    assert again == done
    moved = done.given(Step.COUNTRY, "GB")
    assert moved.method == "" and moved.next_step() is Step.METHOD
    assert done.given(Step.COUNTRY, "US").method == "us-standard"


def test_only_options_with_pay_on_delivery_take_cash_in_their_zone() -> None:
    usd = Money(500, "USD")
    cod = ShippingOption("us-std", "Standard", usd, cash=CashTerms())
    plain = ShippingOption("us-exp", "Express", usd)
    world = ShippingOption("world", "World", usd)
    rates = ShippingRates(
        (
            ShippingZone("us", "US", frozenset({"US"}), (cod, plain)),
            ShippingZone("rest", "Rest", REST_OF_WORLD, (world,)),
        )
    )
    assert [o.id for o, _ in rates.cod_options_for("us", Money(100, "USD"))] == ["us-std"]
    assert rates.cod_options_for("FR", Money(100, "USD")) == []
    assert rates.cod_options_for("US", Money(100, "EUR")) == []
    assert rates.cod_countries() == ["US"]
    everywhere = ShippingRates(
        (rates.zones[0], ShippingZone("rest", "Rest", REST_OF_WORLD, (cod,)))
    )
    assert everywhere.cod_countries() == ["US", "*"]
    assert [o.id for o, _ in everywhere.cod_options_for("FR", usd)] == ["us-std"]
    assert rates.cod_options == (cod,)


def test_a_stored_address_reads_on_one_line_whatever_was_stored() -> None:
    stored = json.dumps(
        {"country_code": "US", "city": "Austin", "street_line1": "1 Main St", "post_code": "78701"}
    )
    assert address_line(stored) == "1 Main St, Austin, 78701, US"
    assert address_line(None) == "" and address_line("") == ""
    assert address_line("Counter pickup") == "Counter pickup"  # not JSON: as it is
    assert address_line("[1, 2]") == "[1, 2]"
