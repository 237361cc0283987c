"""Helpers shared by tests of several modules (the end-to-end ones are in ``tests/e2e/harness.py``
and ``tests/e2e/webhook_fleet.py``; databases in ``tests/databases.py``).

Test modules import from here, never from one another or from a ``conftest.py``.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.conversation.events import (
    ButtonPress,
    Chat,
    ChatKind,
    Command,
    MessageKind,
    Person,
    Text,
)
from bot.conversation.replies import Reply
from bot.conversation.storefront import Storefront

#: The Bot API description in shared/ beside the repository, where it is (tests fall back to
#: the copy packaged in ``bot.standin``).
SHARED_SPEC = Path(__file__).resolve().parents[1].parent / "shared" / "telegram-bot-api.json"
#: The ``storefront`` command of this virtualenv.
STOREFRONT = str(Path(sys.executable).with_name("storefront"))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """A Redis server and the key prefix of one test (the ``redis`` fixture)."""

    url: str
    prefix: str
    host: str
    port: int


def storefront(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``storefront ARGS`` as a merchant would, in ``cwd``, with ``env`` on top of this
    process's environment less the shop's own settings."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("BOT_TOKEN", "DATABASE_URL", "BOT_FRAMEWORK")
    }
    return subprocess.run(
        [STOREFRONT, *args],
        cwd=cwd,
        env={**clean, "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# The storefront through neutral events (no framework): a person's commands, texts and presses.

ANN = Person(101, "Ann", "ann", "en")
update_ids = itertools.count(1)


def chat_of(person: Person) -> Chat:
    return Chat(person.id, ChatKind.PRIVATE)


async def command(
    shop: Storefront, text: str, person: Person = ANN, chat: Chat | None = None
) -> list[Reply]:
    name, _, args = text[1:].partition(" ")
    return await shop.handle(
        Command(next(update_ids), person, chat or chat_of(person), name, args)
    )


async def say(shop: Storefront, text: str, person: Person = ANN) -> list[Reply]:
    return await shop.handle(Text(next(update_ids), person, chat_of(person), text))


async def press(
    shop: Storefront,
    data: str,
    person: Person = ANN,
    message_id: int = 50,
    kind: MessageKind = MessageKind.VIDEO,
    chat: Chat | None = None,
) -> list[Reply]:
    return await shop.handle(
        ButtonPress(
            next(update_ids),
            person,
            chat or chat_of(person),
            f"cb{next(update_ids)}",
            data,
            message_id,
            kind,
        )
    )


def buttons(reply: Reply) -> dict[str, str]:
    keyboard = getattr(reply, "keyboard", None) or ()
    return {b.text: b.callback or b.url or "" for row in keyboard for b in row}
