"""Reading a merchant's catalog file (YAML or JSON) into validated drafts.

Every problem is reported with its line and field (``line 14, products[2].variants[0].price:
...``) and nothing is imported while any remains: a half-imported catalog is worse than none.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.domain.money import Money, parse_major
from bot.services.ports import ProductDraft, VariantDraft

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_STOCK = 1_000_000_000
#: Telegram Stars: whole stars, no provider, digital goods only (Telegram's rule).
STARS = "XTR"
MAX_PRICE_MINOR = 10**12

_TOP = {"currency", "categories", "products"}
_CATEGORY = {"slug", "name", "position"}
_PRODUCT = {
    "slug",
    "name",
    "category",
    "description",
    "tags",
    "teaser",
    "photo",
    "active",
    "position",
    "variants",
    "sku",
    "price",
    "currency",
    "stock",
    "digital",
    "content",
}
_VARIANT = {"sku", "name", "price", "currency", "stock", "active"}


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.field}: {self.message}"


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


def _lines(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    """Record the line of every value by its path (``products[2].price``)."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = f"{path}.{key.value}" if path else str(key.value)
            out[sub] = key.start_mark.line + 1
            _lines(value, sub, out)
            out[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, f"{path}[{i}]", out)


def load_catalog_text(text: str, suffix: str) -> tuple[Any, dict[str, int]]:
    """Parse the text; a syntax error is a problem with a line like any other."""
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogFileError([CatalogProblem(exc.lineno, "(file)", exc.msg)]) from exc
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            raise CatalogFileError(
                [CatalogProblem(line, "(file)", f"not valid YAML: {getattr(exc, 'problem', exc)}")]
            ) from exc
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _lines(node, "", lines)
    except yaml.YAMLError:
        pass  # valid JSON that YAML 1.1 reads differently: report without line numbers
    return data, lines


class _Checker:
    def __init__(self, lines: dict[str, int], base_dir: Path) -> None:
        self.lines = lines
        self.base_dir = base_dir
        self.problems: list[CatalogProblem] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(CatalogProblem(self.lines.get(path), path, message))

    def keys(self, data: dict[str, Any], allowed: set[str], path: str) -> None:
        for key in data:
            if key not in allowed:
                near = difflib.get_close_matches(str(key), sorted(allowed), n=1)
                hint = f" (did you mean '{near[0]}'?)" if near else ""
                self.problem(f"{path}.{key}" if path else str(key), f"unknown field{hint}")

    def text(
        self, data: dict[str, Any], key: str, path: str, *, required: bool, limit: int
    ) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(f"{path}.{key}", "is required")
            return None
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.problem(f"{path}.{key}", "must be text")
            return None
        value = str(value).strip()
        if required and not value:
            self.problem(f"{path}.{key}", "must not be empty")
        if len(value) > limit:
            self.problem(f"{path}.{key}", f"is longer than {limit} characters")
        return value

    def slug(self, data: dict[str, Any], key: str, path: str) -> str | None:
        value = self.text(data, key, path, required=True, limit=64)
        if value and not _SLUG.match(value):
            self.problem(f"{path}.{key}", "use lowercase letters, digits, '-' and '_' only")
        return value

    def integer(
        self,
        data: dict[str, Any],
        key: str,
        path: str,
        *,
        default: int | None,
        low: int,
        high: int,
    ) -> int | None:
        value = data.get(key, default)
        if value is None:
            self.problem(f"{path}.{key}", "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(f"{path}.{key}", "must be a whole number")
            return None
        if not low <= value <= high:
            self.problem(f"{path}.{key}", f"must be between {low} and {high}")
            return None
        return value

    def boolean(self, data: dict[str, Any], key: str, path: str, default: bool = True) -> bool:
        value = data.get(key, default)
        if not isinstance(value, bool):
            self.problem(f"{path}.{key}", "must be true or false")
            return default
        return value

    def currency(self, value: Any, path: str) -> str | None:
        if not isinstance(value, str) or not _CURRENCY.match(value):
            self.problem(path, "must be an ISO 4217 code such as USD or CNY")
            return None
        return value

    def price(self, data: dict[str, Any], path: str, currency: str | None) -> Money | None:
        value = data.get("price")
        if value is None:
            self.problem(f"{path}.price", "is required")
            return None
        if currency is None:
            return None
        if isinstance(value, bool | float):
            self.problem(
                f"{path}.price",
                'write minor units as a whole number (5999) or a decimal in quotes ("59.99")',
            )
            return None
        try:
            money = (
                Money(value, currency)
                if isinstance(value, int)
                else parse_major(str(value), currency)
            )
        except (ValueError, TypeError) as exc:
            self.problem(f"{path}.price", str(exc))
            return None
        if not 0 <= money.amount <= MAX_PRICE_MINOR:
            self.problem(f"{path}.price", "must be zero or more, and not absurdly large")
            return None
        return money

    def media(self, data: dict[str, Any], key: str, path: str) -> str | None:
        value = self.text(data, key, path, required=False, limit=1024)
        if not value:
            return None
        if value.startswith(("http://", "https://")):
            return value
        file = (self.base_dir / value).expanduser().resolve()
        if not file.is_file():
            self.problem(f"{path}.{key}", f"no such file: {file}")
            return None
        return str(file)


def _variants(
    check: _Checker,
    product: dict[str, Any],
    path: str,
    currency: str | None,
    skus: set[str],
) -> list[VariantDraft]:
    raw = product.get("variants")
    if raw is None:  # shorthand: the product itself carries sku, price and stock
        raw = [{k: product.get(k) for k in ("sku", "price", "stock")}]
        shorthand = True
    else:
        shorthand = False
        if not isinstance(raw, list) or not raw:
            check.problem(f"{path}.variants", "must be a non-empty list")
            return []
    drafts = []
    for i, variant in enumerate(raw):
        vpath = path if shorthand else f"{path}.variants[{i}]"
        if not isinstance(variant, dict):
            check.problem(vpath, "must be a mapping")
            continue
        if not shorthand:
            check.keys(variant, _VARIANT, vpath)
        sku = check.text(variant, "sku", vpath, required=True, limit=64)
        if sku and sku in skus:
            check.problem(f"{vpath}.sku", f"SKU {sku!r} appears twice in the file")
        if sku:
            skus.add(sku)
        own = variant.get("currency")
        cur = check.currency(own, f"{vpath}.currency") if own is not None else currency
        price = check.price(variant, vpath, cur)
        stock = check.integer(variant, "stock", vpath, default=None, low=0, high=MAX_STOCK)
        name = check.text(variant, "name", vpath, required=False, limit=128) or ""
        active = True if shorthand else check.boolean(variant, "active", vpath)
        if sku and price is not None and stock is not None:
            drafts.append(VariantDraft(sku, name, price, stock, i, active))
    return drafts


def _search_text(name: str, description: str, tags: tuple[str, ...], category: str) -> str:
    return " ".join([name, description, " ".join(tags), category]).casefold()[:4000]


def parse_catalog(text: str, suffix: str, base_dir: Path) -> CatalogDraft:
    """Validate a whole catalog; raise CatalogFileError listing every problem found."""
    data, lines = load_catalog_text(text, suffix)
    check = _Checker(lines, base_dir)
    if not isinstance(data, dict):
        raise CatalogFileError([CatalogProblem(1, "(file)", "must be a mapping with products")])
    check.keys(data, _TOP, "")
    currency = check.currency(data.get("currency", "USD"), "currency")
    categories: list[CategoryDraft] = []
    names: dict[str, str] = {}
    raw_categories = data.get("categories") or []
    if not isinstance(raw_categories, list):
        check.problem("categories", "must be a list")
        raw_categories = []
    for i, cat in enumerate(raw_categories):
        path = f"categories[{i}]"
        if not isinstance(cat, dict):
            check.problem(path, "must be a mapping with slug and name")
            continue
        check.keys(cat, _CATEGORY, path)
        slug = check.slug(cat, "slug", path)
        name = check.text(cat, "name", path, required=True, limit=128)
        position = check.integer(cat, "position", path, default=i, low=0, high=10**6)
        if slug and slug in names:
            check.problem(f"{path}.slug", f"category {slug!r} appears twice")
        if slug and name and position is not None:
            names[slug] = name
            categories.append(CategoryDraft(slug, name, position))
    raw_products = data.get("products")
    if not isinstance(raw_products, list) or not raw_products:
        check.problem("products", "must be a non-empty list")
        raw_products = []
    products: list[ProductDraft] = []
    slugs: set[str] = set()
    skus: set[str] = set()
    for i, prod in enumerate(raw_products):
        path = f"products[{i}]"
        if not isinstance(prod, dict):
            check.problem(path, "must be a mapping")
            continue
        check.keys(prod, _PRODUCT, path)
        slug = check.slug(prod, "slug", path)
        if slug and slug in slugs:
            check.problem(f"{path}.slug", f"product {slug!r} appears twice")
        if slug:
            slugs.add(slug)
        name = check.text(prod, "name", path, required=True, limit=128)
        description = check.text(prod, "description", path, required=False, limit=2000) or ""
        category = check.text(prod, "category", path, required=False, limit=64)
        if category and category not in names:
            check.problem(f"{path}.category", f"no category {category!r} in this file")
        raw_tags = prod.get("tags") or []
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
            check.problem(f"{path}.tags", "must be a list of words")
            raw_tags = []
        tags = tuple(t.strip().casefold().replace(",", " ") for t in raw_tags if t.strip())
        own = prod.get("currency")
        cur = check.currency(own, f"{path}.currency") if own is not None else currency
        variants = _variants(check, prod, path, cur, skus)
        position = check.integer(prod, "position", path, default=i, low=0, high=10**6)
        teaser = check.media(prod, "teaser", path)
        photo = check.media(prod, "photo", path)
        active = check.boolean(prod, "active", path)
        digital = check.boolean(prod, "digital", path, default=False)
        content = check.text(prod, "content", path, required=False, limit=1000)
        if content and not digital:
            check.problem(f"{path}.content", "only digital products deliver content")
        if cur == STARS and not digital:
            check.problem(f"{path}.currency", "Telegram Stars (XTR) are only for digital products")
        if slug and name and variants and position is not None:
            cat_name = names.get(category or "", "")
            products.append(
                ProductDraft(
                    slug=slug,
                    name=name,
                    description=description,
                    category=category or None,
                    tags=tags,
                    teaser=teaser,
                    photo=photo,
                    position=position,
                    active=active,
                    variants=tuple(variants),
                    search_text=_search_text(name, description, tags, cat_name),
                    digital=digital,
                    digital_content=content or None,
                )
            )
    if check.problems:
        raise CatalogFileError(sorted(check.problems, key=lambda p: p.line or 0))
    return CatalogDraft(tuple(categories), tuple(products))
