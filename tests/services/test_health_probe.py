"""``HealthProbe``: a check that does not finish in time is a ``TimeoutError`` (``/healthz``
answers 503), left to finish by itself; probes meanwhile join it rather than start more."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.housekeeping import HealthProbe


async def test_a_stuck_check_times_out_once_per_probe_and_is_joined_not_repeated() -> None:
    answered = asyncio.Event()
    started = 0

    async def check() -> dict[str, object]:
        nonlocal started
        started += 1
        await answered.wait()
        return {"notices_pending": 0}

    probe = HealthProbe(check, within=0.05)
    for _ in range(3):
        with pytest.raises(TimeoutError):
            await probe()
    assert started == 1  # one check on the database, however many probes
    answered.set()
    assert await probe() == {"notices_pending": 0}
    assert await probe() == {"notices_pending": 0}
    assert started == 2  # a finished check is not reused: the next probe asks again


async def test_a_failing_check_is_raised_to_the_probe() -> None:
    async def check() -> dict[str, object]:
        raise ConnectionRefusedError("refused")

    with pytest.raises(ConnectionRefusedError):
        await HealthProbe(check)()
