"""The polling inbox's rows across restarts of the real bot (``storefront run``, on each
framework, on SQLite and PostgreSQL): a poison update is given up once (logged with its id,
never tried again, its chat goes on), and what a killed process left is handled first, in each
chat's order, a committed update's stored replies delivered instead of handling it again."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.conversation.replies import SendText
from bot.conversation.reply_codec import KeptReplies, dump_replies
from bot.services.catalog_import import demo_catalog_path, import_catalog, read_catalog
from bot.standin import BotApiStandIn
from storage.engine import make_engine
from storage.inbox_tables import InboxUpdateRow
from storage.migrate import upgrade
from storage.unit_of_work import SqlUnitOfWorkFactory
from tests.e2e.harness import TOKEN, load_spec
from tests.e2e.polling_processes import Replies, fresh_database, start_run, wait_until

pytestmark = pytest.mark.slow

LEFT_REPLY = "The reply the last run committed and never sent"


@pytest.fixture(params=["aiogram", "ptb"])
def framework(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Shop:
    uows: SqlUnitOfWorkFactory
    standin: BotApiStandIn


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[Shop]:
    """The demo shop on the database under test and a Bot API stand-in; no bot yet."""
    await fresh_database(database_url)
    uows = SqlUnitOfWorkFactory(make_engine(database_url))
    await upgrade(uows.engine)
    await import_catalog(uows, read_catalog(demo_catalog_path()))
    standin = BotApiStandIn(load_spec(), token=TOKEN, bot_username="shop_e2e_bot")
    await standin.start()
    try:
        yield Shop(uows, standin)
    finally:
        await standin.stop()
        await uows.dispose()
    assert standin.violations == []


@dataclass(frozen=True)
class Row:
    done: bool
    handled: bool
    attempts: int
    error: str | None


async def _rows(uows: SqlUnitOfWorkFactory, ids: list[int]) -> dict[int, Row]:
    table = InboxUpdateRow.__table__  # type: ignore[attr-defined]
    async with uows.engine.connect() as conn:
        found = await conn.execute(
            select(
                table.c.update_id,
                table.c.done_at,
                table.c.handled_at,
                table.c.attempts,
                table.c.error,
            ).where(table.c.update_id.in_(ids))
        )
        return {
            int(i): Row(done is not None, handled is not None, int(a), e)
            for i, done, handled, a, e in found
        }


def _texts(standin: BotApiStandIn, chat_id: int, since: int) -> list[str]:
    return [
        str(c.params.get("text", ""))
        for c in standin.calls[since:]
        if c.method == "sendMessage" and c.ok and str(c.params.get("chat_id")) == str(chat_id)
    ]


async def test_a_poison_update_is_given_up_once_and_its_chat_goes_on(
    framework: str, database_url: str, shop: Shop, tmp_path: Path
) -> None:
    standin = shop.standin
    ann = standin.private_chat(6001, "Ann")
    person: dict[str, Any] = {"id": ann.id, "is_bot": False, "first_name": "Ann"}
    ann.send_text("/help")
    # A message that names no chat, and one whose chat is not an object: neither framework
    # can make a Message of them.
    no_chat = standin.push_update(
        {"message": {"message_id": 9001, "date": 1_700_000_000, "from": person, "text": "/help"}}
    )
    bad_chat = standin.push_update(
        {
            "message": {
                "message_id": 9002,
                "date": 1_700_000_000,
                "from": person,
                "chat": "not a chat",
                "text": "/help",
            }
        }
    )
    poison = [int(no_chat["update_id"]), int(bad_chat["update_id"])]
    ann.send_text("/cart")  # behind the poison, in the same lane (the sender's chat)
    replies = Replies(standin)
    run = await start_run(framework, database_url, standin, tmp_path, "first")
    try:
        await wait_until(lambda: replies.count().messages[ann.id] >= 2, 60, "Ann's answers", run)
        await wait_until(lambda: run.output().count("poison update") >= 2, 10, "the log", run)
        await run.ready()
        assert await run.terminate() == 0
    finally:
        if run.running:
            await run.kill()
    log = run.output()
    for update_id in poison:
        assert f"poison update {update_id} given up" in log
    given_up = await _rows(shop.uows, poison)
    assert all(r.done and r.error and not r.handled for r in given_up.values()), given_up

    mark = len(standin.calls)
    run = await start_run(framework, database_url, standin, tmp_path, "again")
    try:
        await run.ready()
        ann.send_text("/help")
        await wait_until(lambda: replies.count().messages[ann.id] >= 3, 60, "the answer", run)
        assert await run.terminate() == 0
    finally:
        if run.running:
            await run.kill()
    assert "poison" not in run.output()  # not tried again
    assert await _rows(shop.uows, poison) == given_up
    assert replies.count().messages[ann.id] == 3  # /help, /cart, /help: the poison said nothing
    assert len(_texts(standin, ann.id, mark)) == 1


async def test_a_restart_handles_what_the_last_run_left_first_in_each_chats_order(
    framework: str, database_url: str, shop: Shop, tmp_path: Path
) -> None:
    standin, uows = shop.standin, shop.uows
    ann = standin.private_chat(6101, "Ann")
    bob = standin.private_chat(6102, "Bob")
    # What a process killed last time left: updates it stored and confirmed to Telegram but
    # never handled, and one whose transaction committed (its reply kept with it) but whose
    # reply never went out.
    left = [ann.send_text("/help"), ann.send_text("/cart"), bob.send_text("/start")]
    committed = bob.send_text("/help")
    stored = [*left, committed]
    standin.state.updates.confirm_offset(max(int(u["update_id"]) for u in stored) + 1)
    now = datetime.now(UTC)
    committed_id = int(committed["update_id"])
    async with uows() as uow:
        await uow.inbox.store([(int(u["update_id"]), json.dumps(u)) for u in stored], now)
        await uow.updates.claim(committed_id, now)
        kept = KeptReplies([SendText(bob.id, LEFT_REPLY)])
        await uow.inbox.handled(committed_id, dump_replies(kept), now)
        await uow.commit()
    # New updates, sent while the bot was down.
    ann.send_text("/help")
    bob.send_text("/cart")

    mark = len(standin.calls)
    replies = Replies(standin)
    run = await start_run(framework, database_url, standin, tmp_path, "restarted")
    try:
        await wait_until(
            lambda: replies.count().messages[ann.id] >= 3 and replies.messages[bob.id] >= 3,
            60,
            "every answer",
            run,
        )
        await run.ready()
        assert await run.terminate() == 0
    finally:
        if run.running:
            await run.kill()
    anns, bobs = _texts(standin, ann.id, mark), _texts(standin, bob.id, mark)
    assert len(anns) == 3 and len(bobs) == 3, (anns, bobs)
    help_text = anns[0]
    assert "/catalog" in help_text and anns[2] == help_text  # /help, /cart, then the new /help
    assert "Your cart is empty" in anns[1]
    # Bob: /start's welcome, the stored reply (not a second handling of that /help), /cart.
    assert bobs[1] == LEFT_REPLY and "Your cart is empty" in bobs[2]
    assert help_text not in bobs
    rows = await _rows(uows, [int(u["update_id"]) for u in stored])
    assert all(r.done for r in rows.values()) and len(rows) == 4
