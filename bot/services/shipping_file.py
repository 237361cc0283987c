"""Reading the shipping rates file (YAML or JSON): zones, options, pickup point.

The models below describe the file and pydantic checks it; every problem is reported with its
line (``shipping.yaml: line 9, zones[0].options[1].price: not a price``). Keys the file does
not need are ignored. An option id must be unique in the whole file (Telegram hands back only
the id the buyer chose); ``_Reading``, the validation context, remembers the ids seen and the
file's currency, which pydantic validates first as it is declared first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.domain.cash import CashTerms
from bot.domain.money import Money, parse_major
from bot.domain.shipping import (
    REST_OF_WORLD,
    PickupPoint,
    ShippingOption,
    ShippingRates,
    ShippingZone,
)
from bot.services.merchant_file import (
    NO_CURRENCY,
    FileProblem,
    Lines,
    UnreadableFile,
    currency_code,
    first_time,
    load_text,
    problem,
    problems_from,
)

_COUNTRY = re.compile(r"^([A-Z]{2}|\*)$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ShippingFileError(ValueError):
    """The rates file is wrong; the message says where (file, line and field)."""

    def __init__(self, problems: list[FileProblem], source: Path | None = None) -> None:
        where = f"{source}: " if source is not None else ""
        super().__init__("\n".join(f"{where}{p}" for p in problems))
        self.problems = problems


def default_shipping_path() -> Path:
    return Path(__file__).resolve().parent.parent / "catalog_data" / "shipping.yaml"


@dataclass
class _Reading:
    currency: str | None = "USD"
    option_ids: set[str] = field(default_factory=set)


def _reading(info: ValidationInfo) -> _Reading:
    return cast(_Reading, info.context)


def _loose_text(value: object) -> str:
    """A scalar as its text (``label: 7`` is "7"), nothing as ""; a list or mapping is no text."""
    if not value:
        return ""
    if isinstance(value, list | dict):
        raise problem("must be text")
    return str(value)


def _identifier(value: object) -> str:
    whole = isinstance(value, int) and not isinstance(value, bool)
    text = str(value) if isinstance(value, str) or whole else ""
    if not _ID.match(text):
        raise problem("needs an id of letters, digits, - or _ (at most 64)")
    return text


def _label(value: object) -> str:
    text = _loose_text(value).strip()
    if not text:
        raise problem("needs a label")
    return text[:64]


def _pickup_name(value: object) -> str:
    text = _loose_text(value)
    if not text:
        raise problem("needs a name")
    return text[:64]


def _countries(value: object) -> frozenset[str]:
    """ISO 3166 alpha-2 codes (any case), or "*" for every country no other zone names."""
    if isinstance(value, str):  # ``countries: "*"`` or ``countries: US``
        value = [value]
    codes = [str(c).upper() for c in value] if isinstance(value, list) else []
    if not codes or not all(_COUNTRY.match(c) for c in codes):
        raise problem("two-letter country codes, or *")
    return REST_OF_WORLD if codes == ["*"] else frozenset(codes)


def _price(value: object, info: ValidationInfo) -> Money:
    """Minor units as a whole number (499) or major units as text ("4.99")."""
    currency = _reading(info).currency
    if currency is None:
        return Money(0, NO_CURRENCY)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Money(value, currency)
    if isinstance(value, str):
        try:
            return parse_major(value, currency)
        except ValueError as exc:
            raise problem(str(exc)) from exc
    raise problem('not a price: write minor units (499) or a decimal in quotes ("4.99")')


def _options(value: object) -> list[Any]:
    if not value:
        raise problem("needs at least one option")
    if not isinstance(value, list):
        raise problem("must be a list of options")
    return value


def _zones(value: object) -> list[Any]:
    if not value:
        return []
    if not isinstance(value, list):
        raise problem("must be a list of zones")
    return value


Identifier = Annotated[str, BeforeValidator(_identifier)]
Price = Annotated[Money, PlainValidator(_price)]


class _Mapping(BaseModel):
    model_config = ConfigDict(extra="ignore")
    #: What the merchant is told to write when something else stands here.
    shape: ClassVar[str] = "a mapping"


def _flag(value: object) -> bool:
    """``true``/``false`` (YAML's booleans), nothing else: "yes" in quotes is a typo to report."""
    if not isinstance(value, bool):
        raise problem("write true or false")
    return value


Flag = Annotated[bool, PlainValidator(_flag)]


class _Option(_Mapping):
    id: Identifier
    label: Annotated[str, BeforeValidator(_label)]
    price: Price
    free_over: Price | None = None
    #: Cash on delivery (paid to the courier), with the same optional cap and say on
    #: first-time buyers as the pickup point's.
    pay_on_delivery: Flag = False
    pay_on_delivery_max_total: Price | None = None
    pay_on_delivery_first_time: Flag | None = None

    @field_validator("id")
    @classmethod
    def _once(cls, value: str, info: ValidationInfo) -> str:
        seen = _reading(info).option_ids
        return first_time(seen, value, "option id {!r} is used twice".format)

    def option(self) -> ShippingOption:
        cash = (
            CashTerms(self.pay_on_delivery_max_total, self.pay_on_delivery_first_time)
            if self.pay_on_delivery
            else None
        )
        return ShippingOption(self.id, self.label, self.price, self.free_over, cash)


class _Zone(_Mapping):
    id: Identifier
    name: Annotated[str, BeforeValidator(_loose_text)] = ""
    countries: Annotated[frozenset[str], BeforeValidator(_countries)]
    options: Annotated[list[_Option], BeforeValidator(_options)] = Field(
        default_factory=list, validate_default=True
    )

    def zone(self) -> ShippingZone:
        options = tuple(o.option() for o in self.options)
        return ShippingZone(self.id, self.name or self.id, self.countries, options)


class _Pickup(_Mapping):
    shape: ClassVar[str] = "a mapping with a name and an address"
    name: Annotated[str, BeforeValidator(_pickup_name)]
    address: Annotated[str, BeforeValidator(_loose_text)] = ""
    #: Pay at pickup (cash at the handover), with an optional cap on the order total and a
    #: say on first-time buyers; what is left out comes from COD_MAX_TOTAL and
    #: COD_FIRST_TIME_BUYERS.
    pay_on_delivery: Flag = False
    pay_on_delivery_max_total: Price | None = None
    pay_on_delivery_first_time: Flag | None = None

    def point(self) -> PickupPoint:
        cash = (
            CashTerms(self.pay_on_delivery_max_total, self.pay_on_delivery_first_time)
            if self.pay_on_delivery
            else None
        )
        return PickupPoint(self.name, self.address, cash)


class _RatesFile(_Mapping):
    shape: ClassVar[str] = "a mapping with zones and/or pickup"
    currency: str = Field("USD", validate_default=True)
    zones: Annotated[list[_Zone], BeforeValidator(_zones)] = Field(default_factory=list)
    pickup: _Pickup | None = None

    @field_validator("currency", mode="before")
    @classmethod
    def _prices_in(cls, value: object, info: ValidationInfo) -> str:
        """Every price of the file is in this currency (left out: USD)."""
        reading = _reading(info)
        reading.currency = None
        reading.currency = currency_code(value or "USD")
        return reading.currency

    def rates(self) -> ShippingRates:
        pickup = self.pickup.point() if self.pickup is not None else None
        return ShippingRates(tuple(z.zone() for z in self.zones), pickup)


def parse_rates(
    data: Any, lines: Lines | None = None, source: Path | None = None
) -> ShippingRates:
    """Validate parsed rates; ``lines`` (from the text) put line numbers into the problems."""
    try:
        rates = _RatesFile.model_validate(data, context=_Reading())
    except ValidationError as exc:
        raise ShippingFileError(problems_from(exc, _RatesFile, lines or {}), source) from exc
    return rates.rates()


def read_rates(path: Path) -> ShippingRates:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ShippingFileError([FileProblem(None, "(file)", str(exc))], path) from exc
    try:
        data, lines = load_text(text, path.suffix.lower())
    except UnreadableFile as exc:
        raise ShippingFileError([exc.problem], path) from exc
    return parse_rates(data, lines, path)
