"""Files in and out of the sandbox: what the bot sends is saved where a person can open it, and
what a person sends (``:photo``, ``:video``, ``:file``) is read from disk or from the demo
media that ships with the shop.

The folder is created 0700 and each file 0600, like every other file the project writes: a
chart or an order export may hold buyers' data.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.standin import BotApiStandIn

#: The folder the sandbox saves media into unless ``--files`` says otherwise (in the cwd).
DEFAULT_FOLDER = "sandbox-files"
#: Fields of a message that carry a file, in the order they are looked for.
_FILE_FIELDS = ("photo", "video", "animation", "document", "audio", "voice", "video_note")
_EXTENSIONS = {
    "photo": ".jpg",
    "video": ".mp4",
    "animation": ".mp4",
    "audio": ".mp3",
    "voice": ".ogg",
    "video_note": ".mp4",
    "document": "",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
#: Bigger than Telegram lets a bot upload (50 MB): refused before reading it into memory.
MAX_SEND_BYTES = 50 * 1024 * 1024
#: What ``demo`` means for each kind of file a person can send.
DEMO_FILES = {"photo": "dried-mango.jpg", "video": "konjac-jelly.mp4", "document": "demo.yaml"}


def demo_media_folder() -> Path:
    """The demo catalog's pictures and videos (``bot/catalog_data/media``)."""
    return Path(__file__).resolve().parent.parent / "catalog_data" / "media"


def demo_data_folder() -> Path:
    """The demo catalog's folder (``demo.yaml``, ``shipping.yaml``, ``media/``)."""
    return Path(__file__).resolve().parent.parent / "catalog_data"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A file a person is about to send: its bytes and the name Telegram would show."""

    content: bytes
    file_name: str


def read_outgoing(kind: str, argument: str) -> Outgoing | str:
    """The file ``argument`` names (a path, ``demo`` or a demo file's name), or a hint why not.

    Only the first word is the path; ``read_outgoing`` is given just that word.
    """
    name = argument.strip()
    if not name:
        return f"Say which file: :{_key(kind)} PATH, or :{_key(kind)} demo."
    candidates: list[Path] = []
    if name.lower() == "demo":
        candidates.append(demo_media_folder() / DEMO_FILES[kind])
        candidates.append(demo_data_folder() / DEMO_FILES[kind])
    else:
        candidates.append(Path(name).expanduser())
        if os.sep not in name and "/" not in name:
            candidates.extend((demo_media_folder() / name, demo_data_folder() / name))
    for path in candidates:
        if path.is_file():
            try:
                if path.stat().st_size > MAX_SEND_BYTES:
                    return f"{path} is bigger than Telegram lets a bot take (50 MB)."
                if path.stat().st_size == 0:
                    return f"{path} is empty; Telegram does not send empty files."
                return Outgoing(path.read_bytes(), path.name)
            except OSError as exc:
                return f"Cannot read {path}: {exc.strerror or exc}."
    demos = ", ".join(sorted(p.name for p in demo_media_folder().iterdir()))
    return f"No file {name!r} here. Give a path, or one of the demo files: demo, {demos}."


def _key(kind: str) -> str:
    return "file" if kind == "document" else kind


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) if needed, readable by its owner only (0700); an
    existing one keeps its files."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)


@dataclass(slots=True)
class MediaFolder:
    """Saves the files the bot sends, once each, and says where."""

    standin: BotApiStandIn
    root: Path
    _saved: dict[str, Path] = field(default_factory=dict)

    def save(self, message: Mapping[str, object], owner: str) -> str | None:
        """The line to print under ``message``: where its file was saved, or why it was not.
        None when the message carries no file."""
        found = _file_of(message)
        if found is None:
            return None
        kind, described = found
        file_id = str(described.get("file_id", ""))
        if file_id in self._saved:
            return f"  \u2192 file: {self._saved[file_id]}"
        stored = self.standin.files.get(file_id)
        if stored is None:
            return "  \u2192 file: (unknown to the stand-in; not saved)"
        if stored.content is None:
            return f"  \u2192 file: a link, not downloaded: {stored.source_url}"
        name = stored.file_name or f"{kind}{_EXTENSIONS.get(kind, '')}"
        number = message.get("message_id")
        folder = self.root / _UNSAFE.sub("_", owner)
        path = folder / f"{number}-{_UNSAFE.sub('_', name)}"
        try:
            private_folder(folder)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as out:
                out.write(stored.content)
            os.chmod(path, 0o600)
        except OSError as exc:
            return f"  \u2192 file: could not be saved in {folder}: {exc.strerror or exc}"
        self._saved[file_id] = path
        return f"  \u2192 file: {path}"


def _file_of(message: Mapping[str, object]) -> tuple[str, Mapping[str, object]] | None:
    for kind in _FILE_FIELDS:
        value = message.get(kind)
        if kind == "photo" and isinstance(value, list) and value:
            biggest = value[-1]
            if isinstance(biggest, Mapping):
                return kind, biggest
        elif isinstance(value, Mapping):
            return kind, value
    return None
