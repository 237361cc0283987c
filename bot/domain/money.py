"""Money as an integer count of minor units with an ISO 4217 currency.

Telegram's ``LabeledPrice.amount`` and Stripe's ``amount`` are both integers in the smallest
unit of the currency, so the shop never holds a float: 12.50 USD is ``Money(1250, "USD")``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: Currencies whose minor unit is not 1/100 (ISO 4217 exponent), as Telegram documents them.
#: ``XTR`` is Telegram Stars: whole stars only.
_EXPONENTS: dict[str, int] = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "UGX": 0,
    "PYG": 0,
    "XTR": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
    "IQD": 3,
    "LYD": 3,
}


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


def minor_unit_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (2 for USD, 0 for JPY and XTR)."""
    return _EXPONENTS.get(currency, 2)


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in minor units; arithmetic refuses to mix currencies."""

    amount: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money.amount must be an int of minor units, got {self.amount!r}")
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} and {other.currency} cannot be combined")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, times: int) -> Money:
        if isinstance(times, bool) or not isinstance(times, int):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(self.amount * times, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    def major_str(self) -> str:
        """The amount as a plain decimal string in major units (``"12.50"``), no symbol."""
        exp = minor_unit_exponent(self.currency)
        sign = "-" if self.amount < 0 else ""
        whole, frac = divmod(abs(self.amount), 10**exp)
        return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def sum_money(items: list[Money], currency: str) -> Money:
    """Sum a list of amounts that must all be in ``currency`` (an empty list is zero)."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def parse_major(text: str, currency: str) -> Money:
    """Parse ``"12.5"`` in major units into minor units exactly (no float on the way).

    Used by the catalog importer so a merchant may write prices either way.
    """
    exp = minor_unit_exponent(currency)
    match = re.fullmatch(r"(\d+)(?:\.(\d+))?", text.strip())
    if not match:
        raise ValueError(f"not a price: {text!r}")
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > exp:
        raise ValueError(f"{currency} has {exp} decimal places; {text!r} has more")
    return Money(int(whole) * 10**exp + int(frac.ljust(exp, "0") or 0), currency)
