"""Creator, invite and review rules (pure): links fit Telegram's start parameter, who is
credited, how much a refund takes back, what a review text may be, how a rating is shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.coupons import Coupon, CouponKind, CouponRefusal, owner_refusal
from bot.domain.creators import (
    CODE_ALPHABET,
    CODE_LENGTH,
    INVITE_LINK,
    PRODUCT_LINK,
    START_PARAMETER,
    ClickRefusal,
    Creator,
    CreatorError,
    CreatorInvite,
    InviteRefusal,
    attributable,
    check_rate,
    click_refusal,
    commission,
    invite_refusal,
    product_payload,
    reversal,
    shop_payload,
)
from bot.domain.invites import InviteRefusal as FriendRefusal
from bot.domain.invites import invite_refusal as friend_refusal
from bot.domain.money import Money
from bot.domain.reviews import ProductStanding, ReviewRefusal, clean_text

NOW = datetime(2026, 12, 1, tzinfo=UTC)
KIM = Creator(1, "ABCDEFGH", 10, True, NOW)


def test_links_fit_telegrams_start_parameter() -> None:
    code = CODE_ALPHABET[-1] * CODE_LENGTH
    longest = product_payload(code, 2**31 - 1)
    assert START_PARAMETER.match(longest) and len(longest) <= 64
    assert PRODUCT_LINK.match(longest)
    assert shop_payload(code) == f"k_{code}"
    with pytest.raises(CreatorError):
        shop_payload("bad code!")
    assert INVITE_LINK.match("ki_" + "A" * 24) and not INVITE_LINK.match("ki_<script>")


def test_who_is_credited() -> None:
    assert click_refusal(None, 2) is ClickRefusal.UNKNOWN
    assert click_refusal(KIM, 1) is ClickRefusal.OWN_LINK
    assert click_refusal(KIM, 2) is None
    later = NOW + timedelta(days=7)
    assert attributable(KIM, 2, NOW, NOW + timedelta(days=6), later)
    assert not attributable(KIM, 2, NOW, later, later)  # the window closed
    assert not attributable(KIM, 1, NOW, NOW, later)  # the creator's own order


def test_commission_and_its_reversal() -> None:
    share = commission(Money(499, "USD"), 10)
    assert share == Money(50, "USD")  # 49.9 rounded half up, once
    total = Money(1998, "USD")
    assert reversal(share, 0, Money(999, "USD"), total) == 25
    assert reversal(share, 0, Money(100, "USD"), total) == 2  # rounded down: never over
    assert reversal(share, 25, total, total) == 25  # never more than is left
    assert reversal(share, 50, total, total) == 0
    assert check_rate(50) == 50
    with pytest.raises(CreatorError):
        check_rate(51)


def test_invitations() -> None:
    invite = CreatorInvite(1, "tok", 10, NOW)
    assert invite_refusal(None, 5, NOW, False) is InviteRefusal.UNKNOWN
    assert invite_refusal(invite, 5, NOW, True) is InviteRefusal.ALREADY_CREATOR
    assert invite_refusal(invite, 5, NOW + timedelta(days=8), False) is InviteRefusal.EXPIRED
    opened = CreatorInvite(1, "tok", 10, NOW, opened_by=6)
    assert invite_refusal(opened, 5, NOW, False) is InviteRefusal.USED
    assert invite_refusal(opened, 6, NOW, False) is None


def test_friend_invites() -> None:
    assert friend_refusal(None, 2, False, False) is FriendRefusal.UNKNOWN
    assert friend_refusal(2, 2, False, False) is FriendRefusal.OWN_LINK
    assert friend_refusal(1, 2, False, True) is FriendRefusal.ALREADY_INVITED
    assert friend_refusal(1, 2, True, False) is FriendRefusal.NOT_NEW
    assert friend_refusal(1, 2, False, False) is None


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("  Nice   and\tspicy ", "Nice and spicy"),
        ("<script>alert(1)</script>ok", "alert(1)ok"),
        ("**bold** _it_ `code` ~~s~~", "bold it code s"),
        ("[click](https://evil.example)", "click"),
        ("a\x00b\u202ec", "abc"),
        ("line\n\n\n\nline", "line\n\nline"),
    ],
)
def test_review_text_is_plain(raw: str, kept: str) -> None:
    assert clean_text(raw) == kept


def test_review_text_limits() -> None:
    assert clean_text("x" * 500) == "x" * 500
    assert clean_text("x" * 501) is ReviewRefusal.TOO_LONG
    assert clean_text("x" * 10_000) is ReviewRefusal.TOO_LONG
    assert clean_text("<b></b> **") is ReviewRefusal.EMPTY


def test_the_rating_shown() -> None:
    assert ProductStanding(0, 0, 126).shown_average is None
    assert ProductStanding(4, 19, 126).shown_average == "4.8"  # 4.75 rounds half up
    assert ProductStanding(3, 13, 1).shown_average == "4.3"
    assert ProductStanding(1, 5, 1).shown_average == "5.0"


def test_a_personal_coupon_is_its_owners_only() -> None:
    reward = Coupon(1, "FRIEND-1", CouponKind.PERCENT, percent=10, owner_id=7)
    assert owner_refusal(reward, 7) is None
    assert owner_refusal(reward, 8) is CouponRefusal.NOT_YOURS
    assert owner_refusal(Coupon(2, "ALL", CouponKind.PERCENT, percent=10), 8) is None
