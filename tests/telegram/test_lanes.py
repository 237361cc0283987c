"""ChatLanes: one chat in order, chats side by side, a flood never ahead of a quiet chat."""

from __future__ import annotations

import asyncio

import pytest

from bot.telegram.lanes import ChatLanes, lane_key


async def test_one_lane_is_handled_in_order_and_one_at_a_time() -> None:
    seen: list[int] = []
    running = 0
    most = 0

    async def handle(n: int) -> None:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0.001 * (n % 3))
        seen.append(n)
        running -= 1

    lanes: ChatLanes[int] = ChatLanes(handle, workers=8)
    futures = [lanes.submit("a", n) for n in range(30)]
    await asyncio.gather(*futures)
    assert seen == list(range(30))
    assert most == 1
    await lanes.close()


async def test_different_lanes_run_side_by_side() -> None:
    started = asyncio.Event()
    both = asyncio.Event()
    count = 0

    async def handle(_: str) -> None:
        nonlocal count
        count += 1
        if count == 2:
            both.set()
        started.set()
        await asyncio.wait_for(both.wait(), 2)  # deadlocks unless both lanes run at once

    lanes: ChatLanes[str] = ChatLanes(handle, workers=2)
    await asyncio.gather(lanes.submit(1, "x"), lanes.submit(2, "y"))
    await lanes.close()


async def test_a_quiet_lane_waits_for_one_round_not_for_the_flood() -> None:
    order: list[str] = []

    async def handle(item: str) -> None:
        await asyncio.sleep(0)
        order.append(item)

    lanes: ChatLanes[str] = ChatLanes(handle, workers=1)
    flood = [lanes.submit("flood", f"f{n}") for n in range(1000)]
    await asyncio.sleep(0)  # the worker takes the flood's first
    quiet = lanes.submit("quiet", "q")
    await quiet
    # One worker: the quiet chat is served after at most two of the flood's updates.
    assert order.index("q") <= 2
    await asyncio.gather(*flood)
    assert [x for x in order if x != "q"] == [f"f{n}" for n in range(1000)]
    await lanes.close()


async def test_a_failure_reaches_its_future_and_the_lane_goes_on() -> None:
    async def handle(n: int) -> None:
        if n == 1:
            raise ValueError("bad update")

    lanes: ChatLanes[int] = ChatLanes(handle, workers=2)
    first, second, third = (lanes.submit("a", n) for n in range(3))
    await first
    with pytest.raises(ValueError, match="bad update"):
        await second
    await third
    await lanes.close()


async def test_join_waits_and_close_returns_what_never_started() -> None:
    gate = asyncio.Event()
    handled: list[int] = []

    async def handle(n: int) -> None:
        await gate.wait()
        handled.append(n)

    lanes: ChatLanes[int] = ChatLanes(handle, workers=1)
    futures = [lanes.submit("a", n) for n in range(5)]
    assert not await lanes.join(timeout=0.05)
    assert lanes.waiting + lanes.in_flight == 5
    gate.set()
    assert await lanes.join(timeout=2)
    assert handled == [0, 1, 2, 3, 4]
    gate.clear()
    more = [lanes.submit("a", n) for n in range(5, 8)]
    await asyncio.sleep(0.01)  # 5 is being handled, 6 and 7 wait: none finished
    left = await lanes.close()
    assert left == [5, 6, 7]
    assert all(f.done() for f in futures + more)
    with pytest.raises(RuntimeError):
        lanes.submit("a", 9)


def test_lane_keys() -> None:
    message = {"update_id": 1, "message": {"chat": {"id": -100}, "from": {"id": 7}}}
    press = {
        "update_id": 2,
        "callback_query": {"data": "x", "from": {"id": 7}, "message": {"chat": {"id": 7}}},
    }
    inline_press = {"update_id": 3, "callback_query": {"data": "x", "from": {"id": 8}}}
    query = {"update_id": 4, "pre_checkout_query": {"id": "q", "from": {"id": 9}}}
    odd = {"update_id": 5, "poll": {"id": "p"}}
    assert lane_key(message) == ("chat", -100)
    assert lane_key(press) == ("chat", 7)
    assert lane_key(inline_press) == ("chat", 8)
    assert lane_key(query) == ("chat", 9)
    assert lane_key(odd) == ("update", 5)
    assert lane_key({"update_id": 6}) == ("update", 6)


async def test_a_late_arrival_overtakes_the_waiting_items_it_precedes() -> None:
    """Webhook requests on parallel connections may arrive out of order: the lane still
    handles them by update_id, except for the one already being handled."""
    gate = asyncio.Event()
    seen: list[int] = []

    async def handle(n: int) -> None:
        await gate.wait()
        seen.append(n)

    lanes: ChatLanes[int] = ChatLanes(handle, workers=2)
    futures = [lanes.submit("a", n, order=n) for n in (5, 8, 9)]
    await asyncio.sleep(0)  # 5 is being handled
    futures += [lanes.submit("a", n, order=n) for n in (7, 4, 10)]
    futures.append(lanes.submit("a", 6))  # no order: last, as it came
    gate.set()
    await asyncio.gather(*futures)
    assert seen == [5, 4, 7, 8, 9, 10, 6]
    await lanes.close()
