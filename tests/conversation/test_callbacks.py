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
