"""Reading the shipping rates file (YAML or JSON): zones, options, pickup point."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from bot.domain.money import Money, parse_major
from bot.domain.shipping import (
    REST_OF_WORLD,
    PickupPoint,
    ShippingOption,
    ShippingRates,
    ShippingZone,
)

_COUNTRY = re.compile(r"^([A-Z]{2}|\*)$")
_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ShippingFileError(ValueError):
    """The rates file is wrong; the message says where."""


def default_shipping_path() -> Path:
    return Path(__file__).resolve().parent.parent / "catalog_data" / "shipping.yaml"


def _money(value: Any, currency: str, where: str) -> Money:
    if isinstance(value, bool):
        raise ShippingFileError(f"{where}: not a price")
    if isinstance(value, int) and value >= 0:
        return Money(value, currency)
    if isinstance(value, str):
        try:
            return parse_major(value, currency)
        except ValueError as exc:
            raise ShippingFileError(f"{where}: {exc}") from exc
    raise ShippingFileError(f"{where}: not a price")


def parse_rates(data: Any) -> ShippingRates:
    if not isinstance(data, dict):
        raise ShippingFileError("the file must be a mapping with zones and/or pickup")
    currency = str(data.get("currency") or "USD")
    zones: list[ShippingZone] = []
    seen: set[str] = set()
    for i, zone in enumerate(data.get("zones") or []):
        where = f"zones[{i}]"
        if not isinstance(zone, dict) or not _ID.match(str(zone.get("id", ""))):
            raise ShippingFileError(f"{where}: needs an id of letters, digits, - or _")
        countries = [str(c).upper() for c in zone.get("countries") or []]
        if not countries or not all(_COUNTRY.match(c) for c in countries):
            raise ShippingFileError(f"{where}.countries: two-letter country codes, or *")
        options = []
        for j, opt in enumerate(zone.get("options") or []):
            owhere = f"{where}.options[{j}]"
            if not isinstance(opt, dict) or not _ID.match(str(opt.get("id", ""))):
                raise ShippingFileError(f"{owhere}: needs an id of letters, digits, - or _")
            if opt["id"] in seen:
                raise ShippingFileError(f"{owhere}: option id {opt['id']!r} is used twice")
            seen.add(opt["id"])
            label = str(opt.get("label") or "").strip()
            if not label:
                raise ShippingFileError(f"{owhere}: needs a label")
            free = opt.get("free_over")
            options.append(
                ShippingOption(
                    opt["id"],
                    label[:64],
                    _money(opt.get("price"), currency, f"{owhere}.price"),
                    _money(free, currency, f"{owhere}.free_over") if free is not None else None,
                )
            )
        if not options:
            raise ShippingFileError(f"{where}: needs at least one option")
        covers = REST_OF_WORLD if countries == ["*"] else frozenset(countries)
        zones.append(
            ShippingZone(zone["id"], str(zone.get("name") or zone["id"]), covers, tuple(options))
        )
    pickup = None
    raw_pickup = data.get("pickup")
    if raw_pickup is not None:
        if not isinstance(raw_pickup, dict) or not raw_pickup.get("name"):
            raise ShippingFileError("pickup: needs a name and an address")
        pickup = PickupPoint(str(raw_pickup["name"])[:64], str(raw_pickup.get("address") or ""))
    return ShippingRates(tuple(zones), pickup)


def read_rates(path: Path) -> ShippingRates:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ShippingFileError(f"{path}: {exc.strerror}") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise ShippingFileError(f"{path}: not valid YAML/JSON ({exc})") from exc
    return parse_rates(data)
