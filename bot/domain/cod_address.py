"""Cash on delivery for a shipped order: what the chat collects in place of Telegram's payment
sheet (which would have asked for the address and the shipping option), one step at a time,
and the rules each typed answer must meet.

A draft is what the buyer gave so far; its next step is the first thing still missing, so a
buyer who leaves and comes back continues where they stopped. The order of the steps: the
country (it decides which methods take cash there), the method, then the recipient's name,
phone, city, street line and post code, then the summary to confirm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum


class Step(StrEnum):
    COUNTRY = "country"
    METHOD = "method"
    NAME = "name"
    PHONE = "phone"
    CITY = "city"
    STREET = "street"
    POST_CODE = "post_code"
    CONFIRM = "confirm"


#: The typed steps, in order (the method is chosen with a button).
TYPED = (Step.COUNTRY, Step.NAME, Step.PHONE, Step.CITY, Step.STREET, Step.POST_CODE)

#: The longest answer each typed step takes (characters, after spaces are tidied).
LIMITS = {
    Step.COUNTRY: 2,
    Step.NAME: 100,
    Step.PHONE: 20,
    Step.CITY: 64,
    Step.STREET: 128,
    Step.POST_CODE: 12,
}


class InputRefusal(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    BAD_COUNTRY = "bad_country"  # not a two-letter country code
    NOT_SHIPPED = "not_shipped"  # no method takes cash on delivery to that country
    BAD_PHONE = "bad_phone"
    BAD_POST_CODE = "bad_post_code"


_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_PHONE = re.compile(r"^\+?[0-9 ().-]+$")
_POST_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
#: A phone number has this many digits (E.164 allows at most 15).
PHONE_DIGITS = (6, 15)


def tidy(text: str) -> str:
    """One line, single spaces: line breaks and control characters become spaces."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def clean(step: Step, text: str) -> str | InputRefusal:
    """The typed answer to ``step`` as it is kept, or why it is refused."""
    value = tidy(text)
    if not value:
        return InputRefusal.EMPTY
    if step is Step.COUNTRY:
        return value.upper() if _COUNTRY.match(value) else InputRefusal.BAD_COUNTRY
    if len(value) > LIMITS[step]:
        return InputRefusal.BAD_PHONE if step is Step.PHONE else InputRefusal.TOO_LONG
    if step is Step.PHONE:
        digits = sum(c.isdigit() for c in value)
        low, high = PHONE_DIGITS
        if not _PHONE.match(value) or not low <= digits <= high:
            return InputRefusal.BAD_PHONE
    if step is Step.POST_CODE and not _POST_CODE.match(value):
        return InputRefusal.BAD_POST_CODE
    return value


@dataclass(frozen=True, slots=True)
class CodDraft:
    """What the buyer gave so far ("" for what is still missing)."""

    country: str = ""
    method: str = ""
    name: str = ""
    phone: str = ""
    city: str = ""
    street: str = ""
    post_code: str = ""

    @property
    def started(self) -> bool:
        return any(getattr(self, s.value) for s in (*TYPED, Step.METHOD))

    def next_step(self) -> Step:
        for step in (Step.COUNTRY, Step.METHOD, *TYPED[1:]):
            if not getattr(self, step.value):
                return step
        return Step.CONFIRM

    def given(self, step: Step, value: str) -> CodDraft:
        """The draft with ``step`` answered; a new country forgets the method chosen for the
        old one."""
        if step is Step.COUNTRY and value != self.country:
            return replace(self, country=value, method="")
        return replace(self, **{step.value: value})

    def address(self) -> dict[str, str]:
        """The address as Telegram's payment sheet gives it (``ShippingAddress``), so a paid
        order's and a cash one's read the same."""
        return {
            "country_code": self.country,
            "state": "",
            "city": self.city,
            "street_line1": self.street,
            "street_line2": "",
            "post_code": self.post_code,
        }

    @classmethod
    def from_address(
        cls, address: dict[str, object], method: str, name: str, phone: str
    ) -> CodDraft:
        def text(key: str) -> str:
            value = address.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            country=text("country_code"),
            method=method,
            name=name,
            phone=phone,
            city=text("city"),
            street=text("street_line1"),
            post_code=text("post_code"),
        )
