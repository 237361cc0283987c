"""Reading a merchant's catalog file (YAML or JSON) into validated drafts.

Every problem is reported with its line and field (``line 14, products[2].variants[0].price:
...``) and nothing is imported while any remains: a half-imported catalog is worse than none.

The models below describe the file; pydantic checks it, collecting every problem. Checks that
look beyond one value (a SKU used twice, a category named by a product, the currency a price
inherits) keep what they have seen in a ``_Reading``, the validation context: pydantic validates
fields in the order they are declared and lists in file order, so categories come before the
products that name them and a product's currency before its prices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, ClassVar, cast

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainValidator,
    StrictBool,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bot.domain.catalog import MAX_PRICE_MINOR, MAX_STOCK, search_text
from bot.domain.money import Money, parse_major
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
    text_field,
    text_of,
    whole_number,
)
from bot.services.ports import ProductDraft, VariantDraft

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: Telegram Stars: whole stars, no provider, digital goods only (Telegram's rule).
STARS = "XTR"
MAX_POSITION = 10**6

#: A catalog problem is a file problem (the name stays for the importer and the CLI).
CatalogProblem = FileProblem


@dataclass(frozen=True, slots=True)
class CategoryDraft:
    slug: str
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class CatalogDraft:
    categories: tuple[CategoryDraft, ...]
    products: tuple[ProductDraft, ...]


class CatalogFileError(ValueError):
    def __init__(self, problems: list[CatalogProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class _Reading:
    """What validating one file remembers as it goes through it."""

    base_dir: Path
    file_currency: str | None = "USD"
    product_currency: str | None = "USD"
    price_currency: str | None = "USD"
    categories: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)
    skus: set[str] = field(default_factory=set)


def _reading(info: ValidationInfo) -> _Reading:
    return cast(_Reading, info.context)


# --- single values -------------------------------------------------------------------------


def _slug_pattern(value: str) -> str:
    if not _SLUG.match(value):
        raise problem("use lowercase letters, digits, '-' and '_' only")
    return value


def _price(value: object, info: ValidationInfo) -> Money:
    """Minor units as a whole number (5999) or major units as quoted text ("59.99")."""
    if value is None:
        raise problem("is required")
    currency = _reading(info).price_currency
    if currency is None:
        return Money(0, NO_CURRENCY)
    if isinstance(value, bool | float):
        raise problem(
            'write minor units as a whole number (5999) or a decimal in quotes ("59.99")'
        )
    try:
        money = (
            Money(value, currency) if isinstance(value, int) else parse_major(str(value), currency)
        )
    except (ValueError, TypeError) as exc:
        raise problem(str(exc)) from exc
    if not 0 <= money.amount <= MAX_PRICE_MINOR:
        raise problem("must be zero or more, and not absurdly large")
    return money


def _media(value: object, info: ValidationInfo) -> str | None:
    """A URL as it is, or a file beside the catalog (as its absolute path)."""
    text = text_of(value, 1024, required=False)
    if not text:
        return None
    if text.startswith(("http://", "https://")):
        return text
    file = (_reading(info).base_dir / text).expanduser().resolve()
    if not file.is_file():
        raise problem(f"no such file: {file}")
    return str(file)


def _tags(value: object) -> tuple[str, ...]:
    if not value:
        return ()
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        raise problem("must be a list of words")
    return tuple(t.strip().casefold().replace(",", " ") for t in value if t.strip())


def _list(value: object) -> list[Any]:
    if not value:
        return []
    if not isinstance(value, list):
        raise problem("must be a list")
    return value


def _non_empty_list(value: object) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise problem("must be a non-empty list")
    return value


def _unique_sku(value: str, info: ValidationInfo) -> str:
    return first_time(_reading(info).skus, value, "SKU {!r} appears twice in the file".format)


Slug = Annotated[str, text_field(64, required=True), AfterValidator(_slug_pattern)]
Name = Annotated[str, text_field(128, required=True)]
Sku = Annotated[str, text_field(64, required=True), AfterValidator(_unique_sku)]
Price = Annotated[Money, PlainValidator(_price)]
Stock = Annotated[int, whole_number(0, MAX_STOCK)]
#: Where it is listed; left out, its place in the file.
Position = Annotated[int | None, whole_number(0, MAX_POSITION)]
Media = Annotated[str | None, PlainValidator(_media)]


# --- the file's shape ----------------------------------------------------------------------


class _Mapping(BaseModel):
    """A mapping in the file; a key no field names is a problem (a typo would be lost)."""

    model_config = ConfigDict(extra="forbid")
    #: What the merchant is told to write when something else stands here.
    shape: ClassVar[str] = "a mapping"


class _Category(_Mapping):
    shape: ClassVar[str] = "a mapping with slug and name"
    slug: Slug
    name: Name
    position: Position = None

    @field_validator("slug")
    @classmethod
    def _once(cls, value: str, info: ValidationInfo) -> str:
        seen = _reading(info).categories
        return first_time(seen, value, "category {!r} appears twice".format)


class _Variant(_Mapping):
    sku: Sku
    name: Annotated[str | None, text_field(128, required=False)] = None
    currency: str | None = Field(None, validate_default=True)
    price: Price
    stock: Stock
    active: StrictBool = True

    @field_validator("currency", mode="before")
    @classmethod
    def _prices_in(cls, value: object, info: ValidationInfo) -> str | None:
        """Its own currency, or its product's."""
        reading = _reading(info)
        reading.price_currency = None
        own = None if value is None else currency_code(value)
        reading.price_currency = own or reading.product_currency
        return own


class _Product(_Mapping):
    """What every product has; ``digital`` comes before what depends on it."""

    slug: Slug
    name: Name
    description: Annotated[str | None, text_field(2000, required=False)] = None
    category: Annotated[str | None, text_field(64, required=False)] = None
    tags: Annotated[tuple[str, ...], BeforeValidator(_tags)] = ()
    teaser: Media = None
    photo: Media = None
    position: Position = None
    active: StrictBool = True
    digital: StrictBool = False
    content: Annotated[str | None, text_field(1000, required=False)] = None
    currency: str | None = Field(None, validate_default=True)

    @field_validator("slug")
    @classmethod
    def _once(cls, value: str, info: ValidationInfo) -> str:
        seen = _reading(info).products
        return first_time(seen, value, "product {!r} appears twice".format)

    @field_validator("category")
    @classmethod
    def _in_this_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and value not in _reading(info).categories:
            raise problem(f"no category {value!r} in this file")
        return value or None

    @field_validator("content")
    @classmethod
    def _digital_only(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not info.data.get("digital", False):
            raise problem("only digital products deliver content")
        return value or None

    @field_validator("currency", mode="before")
    @classmethod
    def _prices_in(cls, value: object, info: ValidationInfo) -> str | None:
        """Its own currency, or the file's; Stars for digital goods only."""
        reading = _reading(info)
        reading.product_currency = reading.price_currency = None
        own = None if value is None else currency_code(value)
        reading.product_currency = reading.price_currency = own or reading.file_currency
        if reading.product_currency == STARS and not info.data.get("digital", False):
            raise problem("Telegram Stars (XTR) are only for digital products")
        return own


class _ProductWithVariants(_Product):
    variants: Annotated[list[_Variant], BeforeValidator(_non_empty_list)]
    #: The single-variant shorthand's fields, ignored beside ``variants``.
    sku: object = None
    price: object = None
    stock: object = None

    def variant_drafts(self) -> tuple[VariantDraft, ...]:
        return tuple(
            VariantDraft(v.sku, v.name or "", v.price, v.stock, i, v.active)
            for i, v in enumerate(self.variants)
        )


class _SingleVariantProduct(_Product):
    """The shorthand: the product itself carries sku, price and stock."""

    variants: None = None
    sku: Sku
    price: Price
    stock: Stock

    def variant_drafts(self) -> tuple[VariantDraft, ...]:
        return (VariantDraft(self.sku, "", self.price, self.stock, 0, True),)


_WITH_VARIANTS = "<with variants>"
_SINGLE_VARIANT = "<single variant>"


def _product_kind(value: object) -> str:
    has_variants = isinstance(value, dict) and value.get("variants") is not None
    return _WITH_VARIANTS if has_variants else _SINGLE_VARIANT


_AnyProductModel = _ProductWithVariants | _SingleVariantProduct
_AnyProduct = Annotated[
    Annotated[_ProductWithVariants, Tag(_WITH_VARIANTS)]
    | Annotated[_SingleVariantProduct, Tag(_SINGLE_VARIANT)],
    Discriminator(_product_kind),
]


class _CatalogFile(_Mapping):
    shape: ClassVar[str] = "a mapping with products"
    currency: str = Field("USD", validate_default=True)
    categories: Annotated[list[_Category], BeforeValidator(_list)] = Field(default_factory=list)
    products: Annotated[list[_AnyProduct], BeforeValidator(_non_empty_list)] = Field(
        default_factory=list, validate_default=True
    )

    @field_validator("currency", mode="before")
    @classmethod
    def _prices_in(cls, value: object, info: ValidationInfo) -> str:
        reading = _reading(info)
        reading.file_currency = None
        reading.file_currency = currency_code(value)
        return reading.file_currency


# --- reading ---------------------------------------------------------------------------------


def load_catalog_text(text: str, suffix: str) -> tuple[Any, Lines]:
    """Parse the text; a syntax error is a problem with a line like any other."""
    try:
        return load_text(text, suffix)
    except UnreadableFile as exc:
        raise CatalogFileError([exc.problem]) from exc


def parse_catalog(text: str, suffix: str, base_dir: Path) -> CatalogDraft:
    """Validate a whole catalog; raise CatalogFileError listing every problem found."""
    data, lines = load_catalog_text(text, suffix)
    try:
        catalog = _CatalogFile.model_validate(data, context=_Reading(base_dir))
    except ValidationError as exc:
        tags = (_WITH_VARIANTS, _SINGLE_VARIANT)
        raise CatalogFileError(problems_from(exc, _CatalogFile, lines, tags)) from exc
    return _draft(catalog)


def _draft(catalog: _CatalogFile) -> CatalogDraft:
    names = {c.slug: c.name for c in catalog.categories}
    categories = tuple(
        CategoryDraft(c.slug, c.name, i if c.position is None else c.position)
        for i, c in enumerate(catalog.categories)
    )
    products = tuple(_product_draft(p, i, names) for i, p in enumerate(catalog.products))
    return CatalogDraft(categories, products)


def _product_draft(
    product: _AnyProductModel, index: int, categories: dict[str, str]
) -> ProductDraft:
    description = product.description or ""
    return ProductDraft(
        slug=product.slug,
        name=product.name,
        description=description,
        category=product.category,
        tags=product.tags,
        teaser=product.teaser,
        photo=product.photo,
        position=index if product.position is None else product.position,
        active=product.active,
        variants=product.variant_drafts(),
        search_text=search_text(
            product.name, description, product.tags, categories.get(product.category or "", "")
        ),
        digital=product.digital,
        digital_content=product.content,
    )
