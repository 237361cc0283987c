"""The terminal side: lines in from stdin without blocking the event loop, lines out in order.

stdin is read by a daemon thread rather than ``run_in_executor``: the default executor's
threads are joined when ``asyncio.run`` ends, so a person quitting with Ctrl-C while a read is
pending would leave the process hanging on that read. A daemon thread simply goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
from typing import TextIO

#: The prompt is the name of whoever is typing: ``ana › ``.
PROMPT_MARK = " › "


class Console:
    """Prints the chat and reads what the person types (from a terminal or a pipe)."""

    def __init__(self, stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        # A pipe does not echo what it feeds us; repeating each line keeps the transcript whole.
        self.interactive = _isatty(self.stdin)
        self.color = _isatty(self.stdout) and "NO_COLOR" not in os.environ
        self._prompt_shown = False
        #: Who is typing, shown in the prompt and in the transcript of piped lines.
        self.who = "you"
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._reader: threading.Thread | None = None
        # A terminal that cannot show an emoji should get a "?" (and bytes that are not text,
        # a replacement character), never a UnicodeError that ends the session.
        for stream in (self.stdin, self.stdout):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                with contextlib.suppress(ValueError, OSError, AttributeError):
                    reconfigure(errors="replace")

    # Output -----------------------------------------------------------------------------

    def show(self, lines: list[str]) -> None:
        """Print lines; if the prompt is on screen, move below it first and show it again."""
        if not lines:
            return
        redraw = self._prompt_shown
        if redraw:
            self._write("")
            self._prompt_shown = False
        for line in lines:
            self._write(self._style(line))
        if redraw:
            self.prompt()

    def say(self, *lines: str) -> None:
        """The sandbox talking (hints, banner), as opposed to the bot."""
        self.show(list(lines))

    def prompt(self) -> None:
        """Invite the next line: a prompt on a terminal, nothing for a pipe."""
        if self.interactive and not self._prompt_shown:
            print(self._bold(self.who + PROMPT_MARK), end="", file=self.stdout, flush=True)
            self._prompt_shown = True

    def end_prompt_line(self) -> None:
        """Leave the prompt's line (after Ctrl-D or Ctrl-C) so the next output starts clean."""
        if self._prompt_shown:
            self._write("")
            self._prompt_shown = False

    def echo(self, line: str, note: str = "") -> None:
        """Confirm what was typed: the whole line for a pipe, only the note for a terminal."""
        self._prompt_shown = False
        suffix = f"   ({note})" if note else ""
        if not self.interactive:
            self._write(self._bold(self.who + PROMPT_MARK + line) + suffix)
        elif note:
            self._write(self._dim(f"  ({note})"))

    def _write(self, text: str) -> None:
        print(text, file=self.stdout, flush=True)

    def _style(self, line: str) -> str:
        if line.startswith("bot "):
            head, space, rest = line.partition(" ")
            number, space2, tail = rest.partition(" ")
            if number.startswith("#"):
                return self._bold(f"{head} {number}") + space2 + self._dim(tail)
            return self._bold(head) + space + rest
        if line.startswith("!"):
            return self._sgr("33", line)
        return line

    def _bold(self, text: str) -> str:
        return self._sgr("1", text)

    def _dim(self, text: str) -> str:
        return self._sgr("2", text) if text else text

    def _sgr(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    # Input ------------------------------------------------------------------------------

    def start_reading(self) -> None:
        """Start the reader thread; lines (None at end of input) queue up for ``next_line``."""
        loop = asyncio.get_running_loop()

        def deliver(item: str | None) -> bool:
            try:
                loop.call_soon_threadsafe(self._lines.put_nowait, item)
            except RuntimeError:  # the loop is closed: the sandbox is over
                return False
            return True

        def read() -> None:
            while True:
                try:
                    raw = self.stdin.readline()
                except (OSError, ValueError):
                    raw = ""
                if not raw:
                    deliver(None)
                    return
                if not deliver(raw.rstrip("\r\n")):
                    return

        self._reader = threading.Thread(target=read, name="sandbox-stdin", daemon=True)
        self._reader.start()

    async def next_line(self) -> str | None:
        """The next line typed, or None at the end of input (Ctrl-D, end of a pipe)."""
        line = await self._lines.get()
        if line is not None:
            self._prompt_shown = False  # the person pressed Enter: the cursor is on a new line
        return line


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
