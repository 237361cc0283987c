import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.conversation.callbacks import (
    _ARGS,
    MAX_BYTES,
    MAX_ROW_ID,
    Action,
    Callback,
    CallbackTooLong,
    Signer,
    cb,
    decode,
    row_id,
)


def test_round_trip() -> None:
    raw = cb(Action.NAV, "c", 12, 3)
    assert raw == "nv:c:12:3"
    assert decode(raw) == Callback(Action.NAV, ("c", 12, 3))


@pytest.mark.parametrize("action", list(Action))
def test_every_button_fits_64_bytes_even_with_the_largest_ids(action: Action) -> None:
    """The largest possible button of each action still fits Telegram's limit."""
    largest = {
        "int": MAX_ROW_ID,
        "ctx": "s",
        "locale": "zh",
        "delivery": "pickup",
        "word": "w" * 16,
    }
    args = tuple(largest[kind] for kind in _ARGS[action])
    raw = Callback(action, args).encode()
    assert len(raw.encode()) <= MAX_BYTES
    assert decode(raw) == Callback(action, args)


def test_encode_refuses_wrong_arity() -> None:
    with pytest.raises(ValueError):
        Callback(Action.NAV, (1,)).encode()


def test_encode_refuses_over_64_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_ARGS, Action.NAV, ("int",) * 4)
    with pytest.raises(CallbackTooLong):
        Callback(Action.NAV, (2**63 - 1,) * 4).encode()


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "nv",
        "nv:c:12",
        "nv:x:1:2",
        "nv:c:-1:2",
        "nv:c:01:2",
        "zz:1",
        "ci:1:2",
        "ci:abc",
        "ci:99999999999999999999",
        f"ci:{MAX_ROW_ID + 1}",  # no row has it; PostgreSQL would refuse to look it up
        "fs:9223372036854775807",
        "lg:EN",
        "za:Menu:0:0",
        "za:a_very_long_verb_x:0:0",
        "za:1abc:0:0",
        "za:menu:0",
        "lg:english",
        "ci:1 ",
        "ci:١",
        "a" * 65,
        "nv:c:1:2:3",
        "ct:1",
    ],
)
def test_forged_or_stale_data_decodes_to_none(raw: str) -> None:
    assert decode(raw) is None


def test_linked_ids_beyond_the_rows_name_nothing() -> None:
    assert row_id("42") == 42 and row_id(str(MAX_ROW_ID)) == MAX_ROW_ID
    assert row_id(str(MAX_ROW_ID + 1)) == 0 and row_id("9" * 18) == 0


@given(st.text(max_size=80))
def test_decode_never_raises(raw: str) -> None:
    result = decode(raw)
    if result is not None:
        assert result.encode() == raw


@pytest.mark.parametrize("action", list(Action))
def test_every_button_still_fits_when_signed(action: Action) -> None:
    """A signature adds 9 bytes; the largest button of each action still fits, and decodes
    as signed only in the chat it was signed for."""
    largest = {"int": MAX_ROW_ID, "ctx": "s", "locale": "zh", "delivery": "pickup"}
    largest["word"] = "w" * 16
    args = tuple(largest[kind] for kind in _ARGS[action])
    signer = Signer.from_secret("test")
    chat = -1_009_999_999_999
    raw = signer.cb(chat, action, *args)
    assert len(raw.encode()) <= MAX_BYTES
    assert decode(raw, signer, chat) == Callback(action, args, signed=True)
    assert decode(raw, signer, chat + 1) is None  # copied into another chat
    assert decode(raw) is None  # nobody to check it with


def test_a_signature_is_the_chats_and_the_keys() -> None:
    signer = Signer.from_secret("shop secret")
    raw = signer.cb(7001, Action.COUPON_APPLY, 12)
    head, tag = raw.rsplit(":", 1)
    assert head == "ck:12" and len(tag) == 8
    assert decode(raw, signer, 7001) == Callback(Action.COUPON_APPLY, (12,), signed=True)
    # Unsigned: the same callback, not signed (the screen decides what that may do).
    assert decode("ck:12", signer, 7001) == Callback(Action.COUPON_APPLY, (12,))
    # Another id under the same tag, another key, a mangled tag: not ours.
    assert decode(f"ck:13:{tag}", signer, 7001) is None
    assert decode(raw, Signer.from_secret("other"), 7001) is None
    assert decode(raw[:-1] + ("A" if raw[-1] != "A" else "B"), signer, 7001) is None
    assert decode("ck:12:not-8", signer, 7001) is None
    # The same secret signs alike in every process; the token is the default secret.
    assert Signer.for_bot("", "123:TOKEN").cb(5, Action.CART) == Signer.from_secret(
        "123:TOKEN"
    ).cb(5, Action.CART)
    assert Signer.for_bot("set", "123:TOKEN").cb(5, Action.CART) != Signer.for_bot(
        "", "123:TOKEN"
    ).cb(5, Action.CART)


@given(st.text(max_size=80), st.integers())
def test_signed_decode_never_raises(raw: str, chat: int) -> None:
    decode(raw, Signer.from_secret("k"), chat)
