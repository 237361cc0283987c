"""Callback data: an action and ids, packed into Telegram's 64 bytes, checked on the way back.

Buttons carry what to do and to what (``nv:c:12:3`` = show card 3 of category 12), never a
price, a discount or an owner: the server looks those up again. Anything that does not decode
exactly (forged, truncated, from an older version of the bot) decodes to ``None`` and gets a
polite answer instead of an exception.

An id grants nothing by itself: a client can send any ``callback_data`` it likes under any
message it can see. What a button names must belong to the presser, be public, or have been
given to them. Where "given" has no record on the server (a coupon in a drop, a search list, a
refund confirmation), the bot *signs* the button for the chat it sends it to (``Signer``): an
HMAC of the data and that chat's id, truncated to 6 bytes and appended as one more token
(``ck:12:Xy3_a0Bc``). ``decode`` checks it against the chat the button was pressed in: a
valid one marks the callback ``signed``; a wrong one (forged, or copied into another chat)
decodes to None; an absent one leaves it unsigned, for the screen to refuse what needs one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from bot.services.browsing import ListKind

#: Telegram's limit on ``callback_data``.
MAX_BYTES = 64
_INT = re.compile(r"^(0|[1-9][0-9]{0,9})$")
_LOCALE = re.compile(r"^[a-z]{2}$")
_WORD = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
#: A signature: 6 bytes of HMAC-SHA256 in URL-safe base64 (48 bits: guessing one takes about
#: 2^47 presses, each a round trip through Telegram).
TAG_BYTES = 6
_TAG = re.compile(r"^[A-Za-z0-9_-]{8}$")
#: The largest id a button or a deep link can name: the shop's rows (products, orders, teams,
#: sales...) have 32-bit INTEGER keys on PostgreSQL, which refuses a larger value outright
#: instead of finding nothing; such an id is forged, and is treated as one.
MAX_ROW_ID = 2**31 - 1
_LIST_KINDS = frozenset(k.value for k in ListKind)


class Action(StrEnum):
    # "ctx" is a ListKind (category, search, similar, single) and "ctx_id" that list's id.
    NAV = "nv"  # ctx, ctx_id, index: show that card in place
    ADD = "ad"  # product, ctx, ctx_id, index: add (or pick a variant first)
    ADD_VARIANT = "av"  # variant, ctx, ctx_id, index
    BUY = "bn"  # product, ctx, ctx_id, index: checkout of one unit (or pick a variant first)
    BUY_VARIANT = "bv"  # variant, ctx, ctx_id, index: checkout of one unit of it
    MORE = "ml"  # product: cards like this one
    CATEGORIES = "ct"  # the category list
    CATEGORY = "cg"  # category: its first card
    CART = "ca"  # show the cart (refresh in place)
    INC = "ci"  # cart line
    DEC = "cd"  # cart line
    REMOVE = "cr"  # cart line
    QUANTITY = "cq"  # cart line: ask for a number
    CHECKOUT = "co"  # the cart's checkout
    CLEAR = "cc"  # ask to confirm
    CLEAR_YES = "cy"
    LANG = "lg"  # locale
    NOOP = "no"  # a label-only button (the "2 / 7" counter)
    DELIVERY = "dv"  # ship|pickup, variant (0 = the cart): how the goods reach the buyer
    COUPON_ASK = "cp"  # variant (0 = the cart): type a coupon code, then a new invoice
    # coupon: apply it; only if signed for this chat (a drop's, a creator's gift), the
    # presser's own (an invite reward) or public (``coupons.given_by_button``)
    COUPON_APPLY = "ck"
    COUPON_REMOVE = "cx"  # variant (0 = the cart): drop the coupon, then a new invoice
    ORDERS = "ol"  # the buyer's orders
    ORDER = "od"  # order: its details
    ORDER_CANCEL = "oc"  # order: ask to confirm the cancellation
    ORDER_CANCEL_YES = "oy"  # order
    ORDER_RETURN = "or"  # order: request a return
    PAY_AGAIN = "pa"  # variant (0 = the cart): a fresh invoice
    PAY_CASH = "pk"  # order: pay at pickup instead (re-checked: the buyer's, offered, limits)
    # cash on delivery: a step word, the order, a method's place in the list (re-checked: the
    # buyer's pending order, a method taking cash to the draft's country, the limits)
    COD = "cv"
    GROUP_START = "gs"  # variant: open a group-buy team for it
    GROUP_JOIN = "gj"  # team: take a seat (an invoice at the group price)
    GROUP_QR = "gq"  # team: the invite link as a QR code image
    GROUP_DELIVERY = "gd"  # ship|pickup, team: how a seat's goods reach the member
    GROUP_PICKUPS = "gp"  # team: the leader's pickup list
    GROUP_COLLECTED = "gc"  # order: the leader handed the parcel over
    FLASH_CLAIM = "fs"  # sale: reserve one unit and get the invoice
    FLASH_WATCH = "fw"  # sale: tell me before and when it starts
    FLASH_RESTOCK = "fr"  # sale: tell me if a unit comes back
    FLASH_DELIVERY = "fd"  # ship|pickup, claim: how a reserved unit reaches the buyer
    CREATOR_ACCEPT = "ka"  # creator invitation: accept it (only whoever opened the link)
    CREATOR_POST = "kp"  # product (0 = the shop): a ready teaser carrying the creator's link
    CREATOR_CHART = "kc"  # the creator's chart over the last weeks (a PNG)
    CREATOR_PAYOUT = "ko"  # ask for the settled commission not asked for yet
    REVIEW_RATE = "rr"  # order, product, stars (1-5): a verified review
    # The merchant console: a verb (``pr_edit``, ``or_ship``...) and two ids; every press is
    # checked against the presser's role again (see ``screens.admin``).
    ADMIN = "za"  # verb, id, id
    # --- inline sharing and recommendations ---
    REC_OPEN = "ro"  # product: its card as a new message ("You may also like")
    # --- the buyer's own data (/deleteme) ---
    ERASE_YES = "dy"  # minute stamp: erase my data; only signed for this chat and recent
    ERASE_NO = "dn"  # keep it
    # --- talking to the shop ("Ask the shop") ---
    SUPPORT_PRODUCT = "sp"  # product: write to the shop about it
    SUPPORT_ORDER = "so"  # order: write about it (only the buyer's own)
    SUPPORT_WRITE = "sw"  # thread (0 = the shop in general): write in it (only one's own)
    SUPPORT_REPLY = "sr"  # thread: a staff member answers it (the role is checked)
    SUPPORT_CLOSE = "sx"  # thread: a staff member closes it
    # --- alerts the buyer controls (/alerts) ---
    ALERTS = "al"  # verb, value: show, toggle a kind or category, cap, quiet hours, zone


_ARGS: dict[Action, tuple[str, ...]] = {
    Action.NAV: ("ctx", "int", "int"),
    Action.ADD: ("int", "ctx", "int", "int"),
    Action.ADD_VARIANT: ("int", "ctx", "int", "int"),
    Action.BUY: ("int", "ctx", "int", "int"),
    Action.BUY_VARIANT: ("int", "ctx", "int", "int"),
    Action.MORE: ("int",),
    Action.CATEGORIES: (),
    Action.CATEGORY: ("int",),
    Action.CART: (),
    Action.INC: ("int",),
    Action.DEC: ("int",),
    Action.REMOVE: ("int",),
    Action.QUANTITY: ("int",),
    Action.CHECKOUT: (),
    Action.CLEAR: (),
    Action.CLEAR_YES: (),
    Action.LANG: ("locale",),
    Action.NOOP: (),
    Action.DELIVERY: ("delivery", "int"),
    Action.COUPON_ASK: ("int",),
    Action.COUPON_APPLY: ("int",),
    Action.COUPON_REMOVE: ("int",),
    Action.ORDERS: (),
    Action.ORDER: ("int",),
    Action.ORDER_CANCEL: ("int",),
    Action.ORDER_CANCEL_YES: ("int",),
    Action.ORDER_RETURN: ("int",),
    Action.PAY_AGAIN: ("int",),
    Action.PAY_CASH: ("int",),
    Action.COD: ("word", "int", "int"),
    Action.GROUP_START: ("int",),
    Action.GROUP_JOIN: ("int",),
    Action.GROUP_QR: ("int",),
    Action.GROUP_DELIVERY: ("delivery", "int"),
    Action.GROUP_PICKUPS: ("int",),
    Action.GROUP_COLLECTED: ("int",),
    Action.FLASH_CLAIM: ("int",),
    Action.FLASH_WATCH: ("int",),
    Action.FLASH_RESTOCK: ("int",),
    Action.FLASH_DELIVERY: ("delivery", "int"),
    Action.CREATOR_ACCEPT: ("int",),
    Action.CREATOR_POST: ("int",),
    Action.CREATOR_CHART: (),
    Action.CREATOR_PAYOUT: (),
    Action.REVIEW_RATE: ("int", "int", "int"),
    Action.ADMIN: ("word", "int", "int"),
    # --- inline sharing and recommendations ---
    Action.REC_OPEN: ("int",),
    # --- the buyer's own data ---
    Action.ERASE_YES: ("int",),
    Action.ERASE_NO: (),
    Action.SUPPORT_PRODUCT: ("int",),
    Action.SUPPORT_ORDER: ("int",),
    Action.SUPPORT_WRITE: ("int",),
    Action.SUPPORT_REPLY: ("int",),
    Action.SUPPORT_CLOSE: ("int",),
    Action.ALERTS: ("word", "int"),
}

Arg = int | str


class CallbackTooLong(ValueError):
    """Raised at encode time: a button we build must never exceed Telegram's limit."""


@dataclass(frozen=True, slots=True)
class Callback:
    action: Action
    args: tuple[Arg, ...] = ()
    #: The button carried a valid signature for the chat it was pressed in: the bot made it
    #: for that chat (``Signer``). ``encode`` never writes one; ``Signer.cb`` does.
    signed: bool = False

    def encode(self) -> str:
        kinds = _ARGS[self.action]
        if len(kinds) != len(self.args):
            raise ValueError(f"{self.action!r} takes {len(kinds)} arguments, got {self.args!r}")
        raw = ":".join([self.action.value, *(str(a) for a in self.args)])
        if len(raw.encode()) > MAX_BYTES:
            raise CallbackTooLong(raw)
        return raw

    def int_arg(self, index: int) -> int:
        value = self.args[index]
        assert isinstance(value, int)
        return value

    def str_arg(self, index: int) -> str:
        return str(self.args[index])


def row_id(digits: str) -> int:
    """An id typed or linked by a person (``t.me/bot?start=s_12``): the number, or 0, which
    names no row, when it is beyond ``MAX_ROW_ID`` (so a forged id is simply not found)."""
    value = int(digits)
    return value if value <= MAX_ROW_ID else 0


def cb(action: Action, *args: Arg) -> str:
    """Build and encode callback data in one go (what screens use for buttons)."""
    return Callback(action, tuple(args)).encode()


def _parse_arg(kind: str, token: str) -> Arg | None:
    if kind == "int":
        if not _INT.match(token) or int(token) > MAX_ROW_ID:
            return None
        return int(token)
    if kind == "ctx":
        return token if token in _LIST_KINDS else None
    if kind == "delivery":
        return token if token in ("ship", "pickup") else None
    if kind == "locale":
        return token if _LOCALE.match(token) else None
    if kind == "word":
        return token if _WORD.match(token) else None
    return None


class Signer:
    """Signs buttons for the chat they are sent to, and checks them when pressed.

    The key comes from ``CALLBACK_SECRET`` or, unset, from ``BOT_TOKEN`` (``for_bot``): every
    process of the shop signs alike and a restart keeps its buttons valid; changing either
    makes the signed buttons already sent stale (a polite answer, nothing applied).
    """

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("a callback key needs at least 16 bytes")
        self._key = key

    @classmethod
    def from_secret(cls, secret: str) -> Signer:
        return cls(hashlib.sha256(b"storefront callback v1\0" + secret.encode()).digest())

    @classmethod
    def for_bot(cls, callback_secret: str | None, bot_token: str) -> Signer:
        """``CALLBACK_SECRET`` if set, else one derived from the bot's token (so nobody has to
        set it); a random key when there is neither (a sandbox: buttons die with it)."""
        material = callback_secret or bot_token
        return cls.from_secret(material) if material else cls.random()

    @classmethod
    def random(cls) -> Signer:
        return cls(secrets.token_bytes(32))

    def tag(self, raw: str, chat_id: int) -> str:
        mac = hmac.new(self._key, f"{chat_id}|{raw}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:TAG_BYTES]).decode()

    def seal(self, raw: str, chat_id: int) -> str:
        """``raw`` (callback data we built) signed for ``chat_id``."""
        sealed = f"{raw}:{self.tag(raw, chat_id)}"
        if len(sealed.encode()) > MAX_BYTES:
            raise CallbackTooLong(sealed)
        return sealed

    def cb(self, chat_id: int, action: Action, *args: Arg) -> str:
        """``cb`` signed for the chat the button goes to."""
        return self.seal(cb(action, *args), chat_id)

    def valid(self, raw: str, tag: str, chat_id: int) -> bool:
        return hmac.compare_digest(self.tag(raw, chat_id), tag)


def decode(
    raw: str | None, signer: Signer | None = None, chat_id: int | None = None
) -> Callback | None:
    """The callback a button carried, or None if it is not one we could have made. A signed
    button is checked with ``signer`` for ``chat_id`` (the chat it was pressed in)."""
    if not raw or len(raw.encode("utf-8", "replace")) > MAX_BYTES:
        return None
    head, *tokens = raw.split(":")
    try:
        action = Action(head)
    except ValueError:
        return None
    kinds = _ARGS[action]
    signed = False
    if len(tokens) == len(kinds) + 1:
        tag = tokens.pop()
        unsigned = raw[: -len(tag) - 1]
        if (
            signer is None
            or chat_id is None
            or not _TAG.match(tag)
            or not signer.valid(unsigned, tag, chat_id)
        ):
            return None
        signed = True
    if len(tokens) != len(kinds):
        return None
    args: list[Arg] = []
    for kind, token in zip(kinds, tokens, strict=True):
        value = _parse_arg(kind, token)
        if value is None:
            return None
        args.append(value)
    return Callback(action, tuple(args), signed)
