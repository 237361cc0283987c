"""Alerts the buyer controls: which marketing messages a buyer wants, how many a day, and when
not to be disturbed.

Marketing messages are drops (broadcasts), flash-sale alerts, group-buy invitations, restock
alerts and creators' posts. Payment receipts, order updates and support replies are not: they
are never capped or held.

- **Kinds and categories.** A kind or a catalog category turned off: the message is not sent.
- **Daily cap.** At most ``cap`` marketing messages per buyer per *local* day (the merchant's
  default; a buyer may only lower it).
- **Quiet hours.** Default 22:00-08:00 in the buyer's time zone (inferred from the language
  when the buyer never chose one); a message due then is held until they end, and sent then
  only if it is still relevant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class AlertError(ValueError):
    """A setting the buyer typed makes no sense (said back to them in their language)."""


class AlertKind(StrEnum):
    DROPS = "drops"
    FLASH = "flash"
    GROUP = "group"
    RESTOCK = "restock"
    CREATORS = "creators"


#: The kinds in the order the settings screen lists them (a button names a kind by index).
KINDS: tuple[AlertKind, ...] = tuple(AlertKind)

#: The merchant's default cap (``MARKETING_PER_DAY``) and the default quiet hours.
DEFAULT_CAP = 3
DEFAULT_QUIET = (22 * 60, 8 * 60)
#: Quiet hours one tap away: (start hour, end hour).
QUIET_PRESETS: tuple[tuple[int, int], ...] = ((22, 8), (23, 7), (21, 9), (0, 9))
#: The short list of zones on the time-zone screen (any UTC offset can be typed too).
ZONES: tuple[str, ...] = (
    "UTC",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
)
#: Zones guessed from the buyer's language when they never chose one.
_BY_LANGUAGE = {"zh": "Asia/Shanghai"}
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
UTC_ZONE = UTC
#: A held message older than this is no longer relevant, whatever it is.
HOLD_LIMIT = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class AlertPrefs:
    """One buyer's choices (the defaults for a buyer who never opened /alerts)."""

    kinds_off: frozenset[AlertKind] = frozenset()
    categories_off: frozenset[int] = frozenset()
    #: The buyer's own cap (None: the merchant's); never above the merchant's.
    cap: int | None = None
    #: A zone name or ``UTC+08:00``; None: guessed from the language.
    zone: str | None = None
    #: Quiet hours as minutes after local midnight (start, end); None: turned off. Only
    #: when ``quiet_chosen``: else the shop's default (22:00-08:00) applies.
    quiet: tuple[int, int] | None = None
    quiet_chosen: bool = False

    def quiet_hours(self, shop_default: tuple[int, int] | None) -> tuple[int, int] | None:
        return self.quiet if self.quiet_chosen else shop_default

    def toggle_kind(self, kind: AlertKind) -> AlertPrefs:
        return replace(self, kinds_off=self.kinds_off ^ {kind})

    def toggle_category(self, category_id: int) -> AlertPrefs:
        return replace(self, categories_off=self.categories_off ^ {category_id})


def cap_for(merchant_cap: int, buyer_cap: int | None) -> int:
    """The buyer may lower the merchant's cap, never raise it."""
    if buyer_cap is None:
        return merchant_cap
    return max(0, min(buyer_cap, merchant_cap))


def cap_choices(merchant_cap: int) -> tuple[int, ...]:
    """The buttons of the cap row: 0, 1, 2, 3 and the merchant's cap (never above it)."""
    return tuple(sorted({n for n in (0, 1, 2, 3, merchant_cap) if n <= merchant_cap}))


def parse_zone(text: str) -> str:
    """A zone from the short list (any IANA name works too) or a UTC offset (``+8``,
    ``UTC-5:30``, ``+05:45``) as ``UTC+08:00``."""
    raw = text.strip()
    match = _OFFSET.match(raw)
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        total = hours * 60 + minutes
        if minutes >= 60 or (sign == "+" and total > 14 * 60) or (sign == "-" and total > 12 * 60):
            raise AlertError("offset")
        if total == 0:
            return "UTC"
        return f"UTC{sign}{hours:02d}:{minutes:02d}"
    if raw.upper() in ("UTC", "GMT", "Z"):
        return "UTC"
    for zone in ZONES:
        if zone.lower() == raw.lower():
            return zone
    if "/" in raw and len(raw) <= 64:
        try:
            ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            raise AlertError("zone") from None
        return raw
    raise AlertError("zone")


def zone_info(zone: str) -> tzinfo:
    if zone.startswith("UTC") and len(zone) == 9:  # UTC+08:00
        sign = 1 if zone[3] == "+" else -1
        return timezone(sign * timedelta(hours=int(zone[4:6]), minutes=int(zone[7:9])))
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def zone_for(chosen: str | None, language: str | None, default_zone: str) -> str:
    """The buyer's zone: their choice, else their language's (zh: Asia/Shanghai), else the
    shop's ``DEFAULT_TIMEZONE``."""
    if chosen:
        return chosen
    return _BY_LANGUAGE.get((language or "")[:2].lower(), default_zone)


def local_day(now: datetime, zone: str) -> date:
    """The buyer's calendar day now: what the daily cap counts."""
    return now.astimezone(zone_info(zone)).date()


def parse_quiet(text: str) -> tuple[int, int] | None:
    """``22-8``, ``22:30-07:00`` or ``off`` (None)."""
    raw = text.strip().lower().replace("–", "-").replace(" ", "")
    if raw in ("off", "none", "关", "关闭"):
        return None
    start, dash, end = raw.partition("-")
    if not dash:
        raise AlertError("quiet")
    minutes = (_clock(start), _clock(end))
    if minutes[0] == minutes[1]:
        raise AlertError("quiet")
    return minutes


def _clock(text: str) -> int:
    hours, _, mins = text.partition(":")
    if not hours.isdecimal() or (mins and not mins.isdecimal()) or len(hours) > 2:
        raise AlertError("quiet")
    h, m = int(hours), int(mins or 0)
    if h > 24 or m >= 60 or (h == 24 and m):
        raise AlertError("quiet")
    return (h % 24) * 60 + m


def quiet_label(quiet: tuple[int, int]) -> str:
    return "–".join(f"{m // 60:02d}:{m % 60:02d}" for m in quiet)


def quiet_until(now: datetime, zone: str, quiet: tuple[int, int] | None) -> datetime | None:
    """When the buyer's quiet hours end, if ``now`` is inside them (else None). Hours that
    span midnight (22:00-08:00) are quiet from the start to midnight and on to the end."""
    if quiet is None or quiet[0] == quiet[1]:
        return None
    start, end = quiet
    local = now.astimezone(zone_info(zone))
    minute = local.hour * 60 + local.minute
    inside = start <= minute < end if start < end else minute >= start or minute < end
    if not inside:
        return None
    day = local.date()
    if start > end and minute >= start:  # before midnight: they end tomorrow
        day += timedelta(days=1)
    ends = datetime.combine(day, time(end // 60, end % 60))
    return _localise(ends, zone).astimezone(UTC_ZONE)


def _localise(naive: datetime, zone: str) -> datetime:
    """A wall-clock time in the zone (a time skipped by a DST change moves forward)."""
    info = zone_info(zone)
    aware = naive.replace(tzinfo=info)
    round_trip = aware.astimezone(UTC_ZONE).astimezone(info).replace(tzinfo=None)
    if round_trip != naive:  # inside a spring-forward gap
        aware = (naive + timedelta(hours=1)).replace(tzinfo=info)
    return aware


class Verdict(StrEnum):
    SEND = "send"
    OFF = "off"  # the kind or a category is turned off
    CAPPED = "capped"  # the day's cap is reached
    HOLD = "hold"  # quiet hours: held until ``until``


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    until: datetime | None = None


def decide(
    prefs: AlertPrefs,
    kind: AlertKind,
    categories: frozenset[int],
    now: datetime,
    zone: str,
    sent_today: int,
    cap: int,
    shop_quiet: tuple[int, int] | None = DEFAULT_QUIET,
) -> Decision:
    """What to do with one marketing message for one buyer now (the cap is counted again,
    atomically, when it is sent)."""
    if kind in prefs.kinds_off or categories & prefs.categories_off:
        return Decision(Verdict.OFF)
    until = quiet_until(now, zone, prefs.quiet_hours(shop_quiet))
    if until is not None:
        return Decision(Verdict.HOLD, until)
    if sent_today >= cap:
        return Decision(Verdict.CAPPED)
    return Decision(Verdict.SEND)


def still_relevant(held_since: datetime, now: datetime, ends_at: datetime | None) -> bool:
    """A held message goes out when quiet hours end only if what it announces is still on
    (``ends_at``: a sale's end, a drop's flash sale) and it is not older than ``HOLD_LIMIT``."""
    if now - held_since > HOLD_LIMIT:
        return False
    return ends_at is None or now < ends_at
