"""Reading commands out of message text the way Telegram marks them up (framework-neutral)."""

from __future__ import annotations


def split_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """``"/search red shoes"`` -> ``("search", "red shoes")``.

    ``/cmd@OtherBot`` is for another bot in the same group: None, as for plain text.
    """
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text.partition(" ")
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    if not name or not name.replace("_", "").isalnum() or not name.isascii():
        return None
    return name.lower()[:32], args.strip()
