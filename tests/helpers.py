"""Helpers shared by tests of several modules (the end-to-end ones are in ``tests/e2e/harness.py``
and ``tests/e2e/webhook_fleet.py``; databases in ``tests/databases.py``).

Test modules import from here, never from one another or from a ``conftest.py``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
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


#: Settings of the shop that a test's own environment must not leak into a command it runs.
_SHOP_SETTINGS = ("BOT_TOKEN", "DATABASE_URL", "BOT_FRAMEWORK")


def storefront_process(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``storefront ARGS`` as a merchant would, a process of its own in ``cwd``, with ``env``
    on top of this process's environment less the shop's own settings."""
    clean = {k: v for k, v in os.environ.items() if k not in _SHOP_SETTINGS}
    return subprocess.run(
        [STOREFRONT, *args],
        cwd=cwd,
        env={**clean, "HOME": str(cwd), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def storefront(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``storefront ARGS`` as ``storefront_process`` runs it, but in this process: the command's
    own entry point (``bot.cli.main``) with the same working folder, environment, standard
    output and error, and exit status; about a second quicker a call than a new interpreter
    importing the frameworks again. What a command changes of this process (environment,
    folder, logging, standard streams) is put back afterwards."""
    from bot.cli import main

    saved_env = dict(os.environ)
    saved_cwd = os.getcwd()
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_levels = {
        name: logging.getLogger(name).level for name in list(logging.root.manager.loggerDict)
    }
    out, err = io.StringIO(), io.StringIO()
    try:
        for key in _SHOP_SETTINGS:
            os.environ.pop(key, None)
        os.environ.update({"HOME": str(cwd), **env})
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: int | str | None = main(list(args))
            except SystemExit as exc:  # argparse's refusals, as the process would exit
                code = exc.code
            if isinstance(code, str):  # SystemExit("message"): printed, status 1
                print(code, file=sys.stderr)
                code = 1
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name in list(logging.root.manager.loggerDict):
            logging.getLogger(name).setLevel(saved_levels.get(name, logging.NOTSET))
    return subprocess.CompletedProcess(
        ["storefront", *args], code or 0, out.getvalue(), err.getvalue()
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
