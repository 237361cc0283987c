"""Stopping the scheduler lets the job under way finish instead of cancelling it (APScheduler's
asyncio executor cancels running jobs at shutdown, and logs each as an error with a traceback)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs.scheduler import RunningJobs


async def _scheduler_with_a_slow_job(seconds: float) -> tuple[RunningJobs, list[str]]:
    events: list[str] = []

    async def slow() -> None:
        events.append("started")
        await asyncio.sleep(seconds)
        events.append("finished")

    scheduler = AsyncIOScheduler(timezone="UTC")
    scheduler.add_job(slow, "interval", seconds=60, next_run_time=datetime.now(UTC))
    jobs = RunningJobs(scheduler)
    scheduler.start()
    for _ in range(200):
        if events:
            break
        await asyncio.sleep(0.01)
    assert events == ["started"] and jobs.running == 1
    return jobs, events


async def test_a_stop_waits_for_the_job_under_way(caplog: pytest.LogCaptureFixture) -> None:
    jobs, events = await _scheduler_with_a_slow_job(0.2)
    with caplog.at_level(logging.ERROR):
        await jobs.stop(patience=5.0)
        await asyncio.sleep(0.05)  # APScheduler shuts down at the loop's next turn
    assert events == ["started", "finished"]
    assert jobs.running == 0 and not jobs.scheduler.running
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_stop_gives_up_after_its_patience(caplog: pytest.LogCaptureFixture) -> None:
    jobs, events = await _scheduler_with_a_slow_job(30.0)
    with caplog.at_level(logging.WARNING):
        await jobs.stop(patience=0.1)
        await asyncio.sleep(0.05)
    assert events == ["started"] and not jobs.scheduler.running
    assert "1 scheduled jobs were still running at shutdown" in caplog.text
