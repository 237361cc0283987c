"""``storefront sandbox``: chat with the whole shop in a terminal, no token, no internet.

The shop runs exactly as ``storefront run`` runs it (real framework, long polling over HTTP,
real database, the outbox, drop sender and scheduler beside it) against the local Bot API
stand-in; the person at the keyboard plays the demo people in turn (``:as ben``). Each line
becomes a message, a file or a button press, and after each one the sandbox waits until the bot
has finished with that update before it prints what changed, so the transcript reads in order.
What the bot sends on its own (a drop, a notice) is printed as it arrives: in full for the
current person, as a one-line count for the others. This module starts and stops the shop
around a ``Session`` (``bot/sandbox/session.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.config import Settings
from bot.sandbox.console import Console
from bot.sandbox.media import DEFAULT_FOLDER, MediaFolder, private_folder
from bot.sandbox.people import CAST, FIRST, GROUP_TITLE, MERCHANT
from bot.sandbox.session import Session
from bot.sandbox.shop import SandboxShop, database_label, open_shop
from bot.telegram.runner import Framework

FRAMEWORKS: tuple[Framework, ...] = ("aiogram", "ptb")
FRAMEWORK_NAMES: dict[Framework, str] = {"aiogram": "aiogram", "ptb": "python-telegram-bot"}


def language_from_env() -> str:
    """``zh`` for a Chinese ``LANG`` (zh_CN.UTF-8, zh_TW...), otherwise ``en``: the shop's two."""
    return "zh" if os.environ.get("LANG", "").lower().startswith("zh") else "en"


def banner(framework: Framework, language: str, files: Path) -> list[str]:
    """What this is, who is here, and how to talk, press buttons, send files and leave."""
    people = ", ".join(f"{role.key} ({role.part.split(':')[0]})" for role in CAST)
    return [
        f"Storefront sandbox: the whole shop on {FRAMEWORK_NAMES[framework]}, with a local "
        "stand-in for Telegram",
        f"(no token, no internet). People: {people}; language: {language}.",
        f"You are {FIRST.key}. :as NAME switches (:as max for the merchant's /admin), "
        f":who lists everyone; :group TEXT talks in their group chat, {GROUP_TITLE}.",
        "Anything you type is sent as a message, numbers too (/start, /catalog, sneakers, 5).",
        "Press a button by its number in brackets: [3] = button 3 of the latest message with "
        "buttons, [5.2] = button 2 of #5.",
        f"Media the bot sends is saved under {files}/; :photo, :video, :file PATH (or demo) "
        "send one.",
        ":help lists the sandbox's keys. /quit, :q or Ctrl-D leaves.",
    ]


def web_banner(framework: Framework, language: str, files: Path) -> list[str]:
    """``--web``: what this is and who is on the page."""
    people = ", ".join(f"{role.key} ({role.part.split(':')[0]})" for role in CAST)
    return [
        f"Storefront sandbox on the web: the whole shop on {FRAMEWORK_NAMES[framework]}, with a "
        "local stand-in for Telegram",
        f"(no token, no internet). People side by side: {people}, and their group "
        f"{GROUP_TITLE}; language: {language}.",
        f"Media the bot sends is served by the page and saved under {files}/.",
    ]


async def run_sandbox(
    settings: Settings,
    *,
    framework: str,
    database_url: str | None = None,
    files: Path | None = None,
    console: Console | None = None,
    web_port: int | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Run the sandbox until the person leaves; 0 then, 1 if the shop could not run.

    ``console`` defaults to this process's stdin and stdout; tests pass their own streams.
    With ``web_port`` the chats are served as a page on 127.0.0.1 (``--web``;
    ``bot/sandbox/web_server.py``) until Ctrl-C, or until ``stop`` is set (tests).
    """
    if framework not in FRAMEWORKS:
        print(
            f"storefront sandbox: the framework must be aiogram or ptb, not {framework!r}",
            file=sys.stderr,
        )
        return 2
    chosen: Framework = "ptb" if framework == "ptb" else "aiogram"
    console = console or Console()
    folder = files if files is not None else Path(DEFAULT_FOLDER)
    try:
        private_folder(folder)
    except OSError as exc:
        print(
            f"storefront sandbox: cannot use {folder} for the bot's files "
            f"({exc.strerror or exc}); choose another with --files DIR",
            file=sys.stderr,
        )
        return 1
    stop = stop or asyncio.Event()
    language = language_from_env()
    started = False
    with _quiet_logging(), _signals_set(stop):
        lines = web_banner(chosen, language, folder) if web_port is not None else None
        console.say(*(lines or banner(chosen, language, folder)), "", "Starting the shop...")
        try:
            async with open_shop(settings, chosen, database_url) as shop:
                started = True
                media = MediaFolder(shop.standin, folder)
                if not stop.is_set():  # Ctrl-C while starting: straight to the clean stop
                    link = shop.dashboard_link(MERCHANT.user_id, MERCHANT.first_name, language)
                    dashboard = (
                        [f"Merchant dashboard (as {MERCHANT.first_name}): {link}"] if link else []
                    )
                    console.say(f"Database: {database_label(shop)}.", *dashboard)
                    if not await _play(shop, console, stop, language, media, web_port):
                        return 1
        except Exception as exc:
            stage = "stopping" if started else "starting"
            print(f"storefront sandbox: failed while {stage} the shop: {exc}", file=sys.stderr)
            return 1
    console.say("Sandbox closed.")
    return 0


async def _play(
    shop: SandboxShop,
    console: Console,
    stop: asyncio.Event,
    language: str,
    media: MediaFolder,
    web_port: int | None,
) -> bool:
    """The terminal session until the person leaves, or (``web_port``) the page until Ctrl-C;
    False when the page cannot listen on its port."""
    if web_port is not None:
        from bot.sandbox.web_server import serve_page  # the page's server only for --web

        return await serve_page(shop, stop, language, media, web_port, console.say)
    console.say("Ready. Try /start.", "")
    await Session(shop, console, stop, language, media).run()
    return True


@contextlib.contextmanager
def _quiet_logging() -> Iterator[None]:
    """WARNING and above only while the chat is on screen: INFO lines would break it up."""
    root = logging.getLogger()
    previous = root.level
    root.setLevel(max(previous, logging.WARNING))
    try:
        yield
    finally:
        root.setLevel(previous)


@contextlib.contextmanager
def _signals_set(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C (and SIGTERM) end the session through ``stop``, so the shop shuts down cleanly
    instead of a KeyboardInterrupt tearing through the middle of a request."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
