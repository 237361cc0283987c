"""The flood gate (``Throttle.admit``) on raw updates, with a hand-moved clock: what is
dropped, what never is, who is told (once, in their language), and what a dropped press gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.conversation.delivery import Sent
from bot.conversation.storefront import Storefront
from bot.domain.flood import FloodRule, Verdict
from bot.telegram.lanes import UPDATE_KINDS
from bot.telegram.metrics import ShopMetrics
from bot.telegram.runner import ALLOWED_UPDATES
from bot.telegram.throttle import LocalFloodCounts, Throttle, carries_payment

RULE = FloodRule(rate=5, window=10.0)


class Seconds:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSender:
    """The Bot API calls a slow-down notice or a press answer makes."""

    def __init__(self) -> None:
        self.texts: list[tuple[int, str]] = []
        self.answers: list[tuple[str, str | None, bool]] = []

    async def send_text(self, chat_id: int, text: str, keyboard: Any, **_: Any) -> Sent:
        self.texts.append((chat_id, text))
        return Sent(len(self.texts))

    async def answer_callback(self, callback_id: str, text: str | None, alert: bool) -> None:
        self.answers.append((callback_id, text, alert))


class _Ids:
    n = 0

    @classmethod
    def next(cls) -> int:
        cls.n += 1
        return cls.n


def message(user: int, text: str = "hello", *, language: str = "en", **extra: Any) -> dict:
    person = {"id": user, "is_bot": False, "first_name": "P", "language_code": language}
    body = {
        "message_id": _Ids.next(),
        "date": 1,
        "chat": {"id": user, "type": "private"},
        "from": person,
        "text": text,
        **extra,
    }
    return {"update_id": _Ids.next(), "message": body}


def press(user: int) -> dict:
    person = {"id": user, "is_bot": False, "first_name": "P", "language_code": "en"}
    query = {
        "id": f"cb{_Ids.next()}",
        "from": person,
        "chat_instance": "1",
        "data": "noop",
        "message": {"message_id": 1, "date": 1, "chat": {"id": user, "type": "private"}},
    }
    return {"update_id": _Ids.next(), "callback_query": query}


@pytest.fixture
def seconds() -> Seconds:
    return Seconds()


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
async def throttle(
    demo_shop: Storefront, seconds: Seconds, sender: RecordingSender
) -> AsyncIterator[Throttle]:
    gate = Throttle(LocalFloodCounts(RULE, seconds), demo_shop, sender, ShopMetrics())
    yield gate
    # Its notices run in the background and read the database: they finish before the
    # database and the event loop go (else SQLite's worker thread answers a closed loop).
    await gate.close()


def _dropped(throttle: Throttle, kind: str) -> float:
    assert throttle.metrics is not None
    value = throttle.metrics.registry.get_sample_value(
        "storefront_updates_total", {"type": kind, "outcome": "dropped"}
    )
    return value or 0.0


async def test_a_flood_is_cut_at_the_rate_and_told_once(
    throttle: Throttle, sender: RecordingSender, demo_shop: Storefront
) -> None:
    done: list[int] = []
    demo_shop.on_update_done.append(done.append)
    flood = [message(501) for _ in range(50)]
    admitted = [await throttle.admit(u) for u in flood]
    await throttle.close()
    assert admitted == [True] * 5 + [False] * 45
    assert len(sender.texts) == 1
    chat, text = sender.texts[0]
    assert chat == 501 and "wait 10 seconds" in text
    assert _dropped(throttle, "message") == 45
    assert throttle.metrics is not None
    assert throttle.metrics.registry.get_sample_value("storefront_flood_notices_total") == 1
    # The dropped updates are finished (the polling inbox and the tests wait on that).
    assert sorted(done) == sorted(u["update_id"] for u in flood[5:])
    # Another chat is untouched.
    assert await throttle.admit(message(502))


async def test_told_again_only_after_a_calm_window(
    throttle: Throttle, sender: RecordingSender, seconds: Seconds
) -> None:
    for _ in range(60):  # one a tenth of a second for 6 s, dropped nearly all along
        await throttle.admit(message(601))
        seconds.now += 0.1
    seconds.now += 10.0
    for _ in range(20):
        await throttle.admit(message(601))
    await throttle.close()
    assert len(sender.texts) == 2


async def test_the_notice_speaks_the_persons_language(
    throttle: Throttle, sender: RecordingSender, demo_shop: Storefront, seconds: Seconds
) -> None:
    for _ in range(7):
        await throttle.admit(message(701, language="zh-hans"))
    # A buyer who chose English in the shop hears English, whatever their app says.
    async with demo_shop.uows() as uow:
        await uow.buyers.touch(702, "B", None, "zh", demo_shop.clock())
        await uow.buyers.set_locale(702, "en")
        await uow.commit()
    for _ in range(7):
        await throttle.admit(message(702, language="zh"))
    await throttle.close()
    texts = dict(sender.texts)
    assert "秒" in texts[701]
    assert "wait 10 seconds" in texts[702]


@pytest.mark.parametrize(
    "money",
    [
        {"successful_payment": {"currency": "USD", "total_amount": 100}},
        {"refunded_payment": {"currency": "XTR", "total_amount": 5}},
    ],
)
async def test_a_payment_message_is_never_dropped_nor_counted(
    throttle: Throttle, money: dict
) -> None:
    for _ in range(20):
        await throttle.admit(message(801))
    paid = message(801, **money)
    del paid["message"]["text"]
    assert await throttle.admit(paid)
    assert carries_payment(paid)


async def test_payment_queries_are_never_dropped(throttle: Throttle) -> None:
    for _ in range(20):
        await throttle.admit(message(802))
    person = {"id": 802, "is_bot": False, "first_name": "P"}
    pre = {
        "id": "q1",
        "from": person,
        "currency": "USD",
        "total_amount": 1,
        "invoice_payload": "o",
    }
    ship = {"id": "s1", "from": person, "invoice_payload": "o", "shipping_address": {}}
    assert await throttle.admit({"update_id": _Ids.next(), "pre_checkout_query": pre})
    assert await throttle.admit({"update_id": _Ids.next(), "shipping_query": ship})


async def test_dropped_presses_get_an_empty_answer_and_the_first_the_notice_as_an_alert(
    throttle: Throttle, sender: RecordingSender
) -> None:
    presses = [press(901) for _ in range(9)]
    assert [await throttle.admit(p) for p in presses] == [True] * 5 + [False] * 4
    await throttle.close()
    ids = [p["callback_query"]["id"] for p in presses]
    answers = {a[0]: a for a in sender.answers}
    assert set(answers) == set(ids[5:])  # the admitted ones are the handlers' to answer
    _, notice, alert = answers[ids[5]]
    assert notice is not None and "wait 10 seconds" in notice and alert
    assert all(answers[i][1:] == (None, False) for i in ids[6:])
    assert sender.texts == []  # a press is told on the press, not by a message
    assert _dropped(throttle, "callback_query") == 4


async def test_press_answers_in_flight_are_bounded(
    demo_shop: Storefront, seconds: Seconds, sender: RecordingSender
) -> None:
    throttle = Throttle(LocalFloodCounts(RULE, seconds), demo_shop, sender, max_background=3)
    for _ in range(30):
        await throttle.admit(press(902))
    await throttle.close()
    # The notice (always sent), then answers while fewer than 3 are in flight: none of them
    # could finish meanwhile (admit never waited), so the other 23 presses were left alone.
    assert len(sender.answers) == 3


async def test_an_update_with_nobody_to_count_against_is_admitted(throttle: Throttle) -> None:
    odd = {"update_id": _Ids.next(), "poll": {"id": "p"}}
    assert all([await throttle.admit(odd) for _ in range(50)])


async def test_counts_that_fail_let_the_update_through(
    demo_shop: Storefront, sender: RecordingSender, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        rule = RULE

        async def hit(self, chat_id: int) -> Verdict:
            raise OSError("gone")

    throttle = Throttle(Broken(), demo_shop, sender)
    assert await throttle.admit(message(1001))
    assert "flood counts unreadable" in caplog.text


def test_the_kinds_counted_are_the_kinds_asked_for() -> None:
    assert set(ALLOWED_UPDATES) == UPDATE_KINDS
