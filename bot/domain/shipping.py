"""Shipping rates: zones of countries, each with options, and an optional pickup point. The
pickup point and each shipped option may let buyers pay in cash at the handover (at pickup, or
to the courier: ``bot/domain/cash.py``).

Telegram asks for rates when a buyer enters an address in the payment sheet
(``shipping_query``); the answer is the options of the buyer's zone, or a polite refusal for a
country the shop does not ship to.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.cash import CashTerms
from bot.domain.money import Money

#: The zone whose ``countries`` is this set covers every country no other zone names.
REST_OF_WORLD = frozenset({"*"})


@dataclass(frozen=True, slots=True)
class ShippingOption:
    id: str
    label: str
    price: Money
    #: Items subtotal from which this option costs nothing ("free over $50").
    free_over: Money | None = None
    #: Cash on delivery (paid to the courier) on these terms; None: paid in advance only.
    cash: CashTerms | None = None

    def price_for(self, items_subtotal: Money) -> Money:
        if self.free_over is not None and self.free_over <= items_subtotal:
            return Money.zero(self.price.currency)
        return self.price


@dataclass(frozen=True, slots=True)
class ShippingZone:
    id: str
    name: str
    #: ISO 3166-1 alpha-2 codes, upper case; ``REST_OF_WORLD`` for "everywhere else".
    countries: frozenset[str]
    options: tuple[ShippingOption, ...]


@dataclass(frozen=True, slots=True)
class PickupPoint:
    name: str
    address: str
    #: Pay at pickup (cash at the handover) on these terms; None: paid in advance only.
    cash: CashTerms | None = None


@dataclass(frozen=True, slots=True)
class ShippingRates:
    zones: tuple[ShippingZone, ...] = ()
    pickup: PickupPoint | None = None

    def zone_for(self, country_code: str) -> ShippingZone | None:
        code = country_code.strip().upper()
        for zone in self.zones:
            if code in zone.countries:
                return zone
        return next((z for z in self.zones if z.countries == REST_OF_WORLD), None)

    def options_for(
        self, country_code: str, items_subtotal: Money
    ) -> list[tuple[ShippingOption, Money]]:
        """The options (and their prices for this basket) a buyer in ``country_code`` gets;
        empty when the shop does not ship there or the currency differs."""
        zone = self.zone_for(country_code)
        if zone is None:
            return []
        return [
            (option, option.price_for(items_subtotal))
            for option in zone.options
            if option.price.currency == items_subtotal.currency
        ]

    def cod_options_for(
        self, country_code: str, items_subtotal: Money
    ) -> list[tuple[ShippingOption, Money]]:
        """The options a buyer in ``country_code`` may pay for in cash on delivery."""
        return [
            (option, price)
            for option, price in self.options_for(country_code, items_subtotal)
            if option.cash is not None
        ]

    @property
    def cod_options(self) -> tuple[ShippingOption, ...]:
        """Every shipped option that takes cash on delivery, in any zone."""
        return tuple(o for zone in self.zones for o in zone.options if o.cash is not None)

    def cod_countries(self) -> list[str]:
        """The countries named by a zone with a cash-on-delivery option, sorted; ``*`` last when
        the rest of the world's zone has one."""
        codes = {
            code
            for zone in self.zones
            if any(o.cash is not None for o in zone.options)
            for code in zone.countries
        }
        rest = ["*"] if "*" in codes else []
        return sorted(codes - {"*"}) + rest

    def option(self, option_id: str) -> ShippingOption | None:
        for zone in self.zones:
            for option in zone.options:
                if option.id == option_id:
                    return option
        return None

    @property
    def ships(self) -> bool:
        return bool(self.zones)
