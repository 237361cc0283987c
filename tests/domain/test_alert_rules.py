"""The rules of the alerts a buyer controls: quiet hours (across midnight, in time zones, across
a DST change), the cap per local day, zones and offsets, and what decides a send."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.alerts import (
    DEFAULT_QUIET,
    AlertError,
    AlertKind,
    AlertPrefs,
    Verdict,
    cap_choices,
    cap_for,
    decide,
    local_day,
    parse_quiet,
    parse_zone,
    quiet_until,
    still_relevant,
    zone_for,
)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_quiet_hours_spanning_midnight() -> None:
    # 22:00-08:00 in UTC: 23:30 is quiet until 08:00 tomorrow, 03:00 until 08:00 today.
    assert quiet_until(_utc(2026, 3, 1, 23, 30), "UTC", DEFAULT_QUIET) == _utc(2026, 3, 2, 8)
    assert quiet_until(_utc(2026, 3, 1, 3, 0), "UTC", DEFAULT_QUIET) == _utc(2026, 3, 1, 8)
    assert quiet_until(_utc(2026, 3, 1, 22, 0), "UTC", DEFAULT_QUIET) == _utc(2026, 3, 2, 8)
    # The edges: 08:00 is no longer quiet, 21:59 not yet.
    assert quiet_until(_utc(2026, 3, 1, 8, 0), "UTC", DEFAULT_QUIET) is None
    assert quiet_until(_utc(2026, 3, 1, 21, 59), "UTC", DEFAULT_QUIET) is None


def test_quiet_hours_within_one_day_and_turned_off() -> None:
    lunch = parse_quiet("12-14")
    assert lunch == (720, 840)
    assert quiet_until(_utc(2026, 3, 1, 13, 0), "UTC", lunch) == _utc(2026, 3, 1, 14)
    assert quiet_until(_utc(2026, 3, 1, 23, 0), "UTC", lunch) is None
    assert quiet_until(_utc(2026, 3, 1, 23, 0), "UTC", None) is None


def test_quiet_hours_in_the_buyers_time_zone() -> None:
    # 15:00 UTC is 23:00 in Shanghai: quiet until 08:00 there, 00:00 UTC.
    assert quiet_until(_utc(2026, 3, 1, 15), "Asia/Shanghai", DEFAULT_QUIET) == _utc(2026, 3, 2)
    # and 03:00 UTC is 11:00 there: not quiet, though it is night in London.
    assert quiet_until(_utc(2026, 3, 1, 3), "Asia/Shanghai", DEFAULT_QUIET) is None
    assert quiet_until(_utc(2026, 3, 1, 3), "Europe/London", DEFAULT_QUIET) is not None
    # A typed offset: UTC-05:30 at 04:00 UTC is 22:30 the day before.
    ends = quiet_until(_utc(2026, 3, 2, 4), "UTC-05:30", DEFAULT_QUIET)
    assert ends == _utc(2026, 3, 2, 13, 30)


def test_quiet_hours_end_right_across_a_dst_change() -> None:
    # New York springs forward on 2026-03-08: 08:00 that morning is EDT (12:00 UTC).
    ends = quiet_until(_utc(2026, 3, 8, 4), "America/New_York", DEFAULT_QUIET)
    assert ends == _utc(2026, 3, 8, 12)
    # A week earlier 08:00 was EST (13:00 UTC).
    assert quiet_until(_utc(2026, 3, 1, 4), "America/New_York", DEFAULT_QUIET) == _utc(
        2026, 3, 1, 13
    )


def test_the_cap_counts_per_local_day() -> None:
    # 23:30 UTC on 1 March is already 2 March in Shanghai, still 1 March in New York.
    now = _utc(2026, 3, 1, 23, 30)
    assert local_day(now, "Asia/Shanghai") == date(2026, 3, 2)
    assert local_day(now, "America/New_York") == date(2026, 3, 1)
    assert local_day(now, "UTC") == date(2026, 3, 1)
    assert local_day(now + timedelta(minutes=31), "UTC") == date(2026, 3, 2)


def test_a_buyer_may_lower_the_cap_but_never_raise_it() -> None:
    assert cap_for(3, None) == 3
    assert cap_for(3, 1) == 1
    assert cap_for(3, 10) == 3
    assert cap_for(3, -1) == 0
    assert cap_choices(3) == (0, 1, 2, 3)
    assert cap_choices(2) == (0, 1, 2)
    assert cap_choices(10) == (0, 1, 2, 3, 10)


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("+8", "UTC+08:00"),
        ("UTC-5:30", "UTC-05:30"),
        ("+0545", "UTC+05:45"),
        ("GMT+0", "UTC"),
        ("asia/tokyo", "Asia/Tokyo"),
        ("Europe/Paris", "Europe/Paris"),
        ("utc", "UTC"),
    ],
)
def test_zones_and_offsets(typed: str, zone: str) -> None:
    assert parse_zone(typed) == zone


@pytest.mark.parametrize("typed", ["+15", "-13", "+8:75", "Mars/Olympus", "eight", ""])
def test_bad_zones_are_refused(typed: str) -> None:
    with pytest.raises(AlertError):
        parse_zone(typed)


@pytest.mark.parametrize("typed", ["8-8", "25-7", "22", "a-b", "22:61-7", "22-8-9"])
def test_bad_quiet_hours_are_refused(typed: str) -> None:
    with pytest.raises(AlertError):
        parse_quiet(typed)


def test_the_zone_is_guessed_from_the_language() -> None:
    assert zone_for(None, "zh-hans", "UTC") == "Asia/Shanghai"
    assert zone_for(None, "en", "Europe/Berlin") == "Europe/Berlin"
    assert zone_for("UTC+09:00", "zh", "UTC") == "UTC+09:00"


def test_what_decides_a_send() -> None:
    day, night = _utc(2026, 3, 1, 12), _utc(2026, 3, 1, 23)
    prefs = AlertPrefs()
    drops, snacks = AlertKind.DROPS, frozenset({7})
    assert decide(prefs, drops, snacks, day, "UTC", 0, 3).verdict is Verdict.SEND
    assert decide(prefs, drops, snacks, day, "UTC", 3, 3).verdict is Verdict.CAPPED
    held = decide(prefs, drops, snacks, night, "UTC", 0, 3)
    assert held.verdict is Verdict.HOLD and held.until == _utc(2026, 3, 2, 8)
    # The shop's default quiet hours apply until the buyer chooses; then theirs do.
    assert decide(prefs, drops, snacks, night, "UTC", 0, 3, None).verdict is Verdict.SEND
    own = AlertPrefs(quiet=None, quiet_chosen=True)
    assert decide(own, drops, snacks, night, "UTC", 0, 3).verdict is Verdict.SEND
    # A kind or a category turned off wins over everything.
    off = prefs.toggle_kind(AlertKind.DROPS)
    assert decide(off, drops, snacks, night, "UTC", 0, 3).verdict is Verdict.OFF
    assert decide(off, AlertKind.FLASH, snacks, day, "UTC", 0, 3).verdict is Verdict.SEND
    no_snacks = prefs.toggle_category(7)
    assert decide(no_snacks, drops, snacks, day, "UTC", 0, 3).verdict is Verdict.OFF
    assert decide(no_snacks, drops, frozenset({8}), day, "UTC", 0, 3).verdict is Verdict.SEND
    assert no_snacks.toggle_category(7) == prefs


def test_a_held_message_goes_out_only_while_relevant() -> None:
    held = _utc(2026, 3, 1, 23)
    assert still_relevant(held, _utc(2026, 3, 2, 8), None)
    assert still_relevant(held, _utc(2026, 3, 2, 8), _utc(2026, 3, 2, 9))
    assert not still_relevant(held, _utc(2026, 3, 2, 8), _utc(2026, 3, 2, 7))  # sale over
    assert not still_relevant(held, _utc(2026, 3, 3, 8), None)  # more than a day
