"""The routing table (``bot.conversation.dispatch``): every screen registered what it handles
once the storefront is imported, and a key is never handled twice."""

from __future__ import annotations

import pytest

import bot.conversation.storefront  # noqa: F401  (imports every screen: their registrations)
from bot.conversation import dispatch
from bot.conversation.callbacks import Action
from bot.conversation.screens import coupon_entry, general
from bot.conversation.screens.general import MENU
from bot.services.ports import UiState


def test_every_button_but_the_label_has_a_handler() -> None:
    assert {a for a in Action if a not in dispatch.PRESSES} == {Action.NOOP}


def test_every_menu_command_and_the_others_have_a_handler() -> None:
    others = {"admin", "creator", "deleteme", "invite", "leader", "live", "mydata", "stop"}
    assert set(dispatch.COMMANDS) == set(MENU) | others


@pytest.mark.parametrize(
    "payload",
    ["c_SPRING10", "o_12", "g_3", "s_4", "k_anna", "k_anna_7", "ki_" + "a" * 16, "f_abcdef"],
)
def test_a_deep_link_matches_exactly_one_pattern(payload: str) -> None:
    matching = [p for p, _ in dispatch.STARTS.values() if p.match(payload)]
    assert len(matching) == 1
    assert dispatch.start_link(payload) is not None


@pytest.mark.parametrize("payload", ["", "cart", "p_12", "o_0", "c_", "x_1"])
def test_other_payloads_are_the_plain_start(payload: str) -> None:
    assert dispatch.start_link(payload) is None


def test_steps_by_name_and_by_prefix() -> None:
    coupon = dispatch.step(UiState(coupon_entry.ASK_COUPON, {}))
    assert coupon is coupon_entry.coupon_typed
    assert dispatch.step(UiState("admin.pr.price", {})) is not None
    assert dispatch.step(UiState("nobody.waits", {})) is None


def test_a_second_handler_for_a_key_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        dispatch.on_command("help")(general.help_command)
    with pytest.raises(ValueError, match="registered twice"):
        dispatch.on_press(Action.LANG)(general.set_language)
    assert dispatch.COMMANDS["help"] is general.help_command
