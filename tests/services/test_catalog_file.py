"""Catalog files: every problem reported with its line and field, and nothing half-imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain.money import Money
from bot.services.catalog_file import CatalogFileError, parse_catalog
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from storage.unit_of_work import SqlUnitOfWorkFactory

GOOD = """\
currency: USD
categories:
  - {slug: tea, name: Tea}
products:
  - slug: green
    name: Green Tea
    category: tea
    sku: GT-1
    price: "3.50"
    stock: 10
  - slug: black
    name: Black Tea
    category: tea
    variants:
      - {sku: BT-S, name: Small, price: 300, stock: 5}
      - {sku: BT-L, name: Large, price: 550, stock: 0, currency: EUR}
"""


def problems(text: str, suffix: str = ".yaml", base: Path = Path(".")) -> list[str]:
    with pytest.raises(CatalogFileError) as caught:
        parse_catalog(text, suffix, base)
    return [str(p) for p in caught.value.problems]


def test_a_good_file_parses_into_drafts() -> None:
    draft = parse_catalog(GOOD, ".yaml", Path("."))
    green, black = draft.products
    assert green.variants[0].price == Money(350, "USD")
    assert [v.price for v in black.variants] == [Money(300, "USD"), Money(550, "EUR")]
    assert "tea" in green.search_text and green.category == "tea"


def test_every_problem_has_its_line_and_field(tmp_path: Path) -> None:
    text = GOOD.replace('price: "3.50"', "prise: 3.5").replace("stock: 5}", "stock: -5}")
    text = text.replace("category: tea\n    variants", "category: coffee\n    variants")
    text += "  - slug: Bad Slug\n    name: ''\n    sku: GT-1\n    price: 1\n    stock: 1\n"
    text += "    teaser: missing.mp4\n"
    found = problems(text, base=tmp_path)
    assert "line 9, products[0].prise: unknown field (did you mean 'price'?)" in found
    assert any(p.endswith("products[0].price: is required") for p in found)
    assert "line 13, products[1].category: no category 'coffee' in this file" in found
    assert any(
        p.startswith("line 15, products[1].variants[0].stock: must be between") for p in found
    )
    assert any("products[2].slug: use lowercase letters" in p for p in found)
    assert any("products[2].name: must not be empty" in p for p in found)
    assert any("products[2].sku: SKU 'GT-1' appears twice in the file" in p for p in found)
    assert any(f"products[2].teaser: no such file: {tmp_path / 'missing.mp4'}" in p for p in found)
    lines = [int(p.split(",")[0].removeprefix("line ")) for p in found if p.startswith("line")]
    assert lines == sorted(lines)


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("price: 3.5", "write minor units as a whole number"),
        ('price: "3.505"', "USD has 2 decimal places"),
        ("price: true", "write minor units as a whole number"),
        ("price: 10000000000000", "not absurdly large"),
    ],
)
def test_prices_are_exact(snippet: str, expected: str) -> None:
    found = problems(GOOD.replace('price: "3.50"', snippet))
    assert any(expected in p for p in found), found


def test_syntax_errors_are_reported_with_a_line() -> None:
    [problem] = problems("products:\n  - slug: a\n    name: [unclosed\n")
    assert problem.startswith("line ") and "not valid YAML" in problem
    [problem] = problems('{"products": [\n  {"slug": "a",}\n]}', ".json")
    assert problem.startswith("line 2, (file):")


def test_json_files_get_line_numbers_too() -> None:
    data = {
        "currency": "USD",
        "products": [{"slug": "a", "name": "A", "sku": "A1", "price": 100, "stock": "many"}],
    }
    found = problems(json.dumps(data, indent=2), ".json")
    assert any(
        p.startswith("line ") and "products[0].stock: must be a whole number" in p for p in found
    ), found


def test_not_a_catalog_at_all() -> None:
    assert problems("- just\n- a list\n") == ["line 1, (file): must be a mapping with products"]
    assert any("products: must be a non-empty list" in p for p in problems("currency: USD\n"))


async def test_a_sku_owned_by_another_product_imports_nothing(
    sqlite_uows: SqlUnitOfWorkFactory,
    tmp_path: Path,
) -> None:
    await import_catalog(sqlite_uows, read_catalog(demo_catalog_path()))
    clash = GOOD.replace("sku: GT-1", "sku: KJ-10")  # the demo's konjac jelly
    with pytest.raises(CatalogFileError) as caught:
        await import_catalog(sqlite_uows, parse_catalog(clash, ".yaml", tmp_path))
    assert "already belongs to product 'konjac-jelly'" in str(caught.value)
    async with sqlite_uows() as uow:
        assert await uow.catalog.search_ids(["tea"], 10) == []  # not even the category's part
        names = [c.category.name for c in await uow.catalog.categories()]
        assert "Tea" not in names


def test_a_missing_field_is_named_at_the_line_of_its_place() -> None:
    text = "products:\n  - slug: a\n    name: A\n    variants:\n"
    text += "      - {sku: A1, prize: 1, stock: 1}\n"
    assert problems(text) == [
        "line 5, products[0].variants[0].price: is required",
        "line 5, products[0].variants[0].prize: unknown field (did you mean 'price'?)",
    ]
    inherited = (
        "# Stars\ncurrency: XTR\nproducts:\n  - {slug: a, name: A, sku: A1, price: 1, stock: 1}\n"
    )
    assert problems(inherited) == [
        "line 4, products[0].currency: Telegram Stars (XTR) are only for digital products"
    ]


def test_odd_keys_and_shapes_are_named_as_written() -> None:
    text = (
        "products:\n  - slug: a\n    name: A\n    sku: A1\n    price: 1\n    stock: 1\n    1: x\n"
    )
    assert problems(text) == ["line 7, products[0].1: unknown field"]
    text = "categories:\n  - tea\nproducts:\n  - 42\n"
    assert problems(text) == [
        "line 2, categories[0]: must be a mapping with slug and name",
        "line 4, products[0]: must be a mapping",
    ]
