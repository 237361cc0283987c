"""Files the bot sends: minted file_ids, reuse by file_id, and the bytes behind getFile.

Telegram's rule a shop bot leans on: upload a teaser video once, keep the returned file_id, and
send that id afterwards without uploading again. The store mints ids only for real uploads and
URLs, hands back the same id on reuse, and counts byte uploads so tests can prove the reuse.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.standin.errors import WRONG_FILE_IDENTIFIER, ApiError, bad_request
from bot.standin.request_decoding import UploadedFile

# Telegram file_ids start with a type-dependent prefix; imitating it keeps ids recognisable.
_ID_PREFIX: dict[str, str] = {
    "photo": "AgACAgIAAxkBAAI",
    "video": "BAACAgIAAxkBAAI",
    "document": "BQACAgIAAxkBAAI",
    "animation": "CgACAgIAAxkBAAI",
    "audio": "CQACAgIAAxkBAAI",
    "voice": "AwACAgIAAxkBAAI",
    "sticker": "CAACAgIAAxkBAAI",
    "video_note": "DQACAgIAAxkBAAI",
}
_FOLDER: dict[str, str] = {
    "photo": "photos",
    "video": "videos",
    "document": "documents",
    "animation": "animations",
    "audio": "music",
    "voice": "voice",
    "sticker": "stickers",
    "video_note": "video_notes",
}
_DEFAULT_MIME: dict[str, str] = {
    "photo": "image/jpeg",
    "video": "video/mp4",
    "document": "application/octet-stream",
    "animation": "video/mp4",
    "audio": "audio/mpeg",
    "voice": "audio/ogg",
    "sticker": "image/webp",
    "video_note": "video/mp4",
}
# Kinds whose file_ids Telegram lets one send as another kind.
_INTERCHANGEABLE = {
    "video": {"animation", "document"},
    "animation": {"video", "document"},
    "document": {"video", "animation", "audio"},
    "audio": {"document"},
}
_MAX_BYTES = {"photo": 10 * 1024 * 1024}
_DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(slots=True)
class StoredFile:
    """One file known to the server, with the metadata its Telegram object needs."""

    file_id: str
    file_unique_id: str
    kind: str
    file_path: str
    content: bytes | None = None
    file_name: str | None = None
    mime_type: str | None = None
    source_url: str | None = None
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def file_size(self) -> int | None:
        """Byte size for uploads; unknown for files Telegram would fetch from a URL."""
        return len(self.content) if self.content is not None else None


class FileStore:
    """All files minted by this server, by file_id and by download path."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self.uploads = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, file_id: str) -> StoredFile | None:
        """The file minted under ``file_id``, if any."""
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        """The file served at ``/file/bot<token>/<file_path>``."""
        return self._by_path.get(file_path)

    def mint(
        self,
        kind: str,
        *,
        content: bytes | None = None,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
        meta: Mapping[str, object] | None = None,
    ) -> StoredFile:
        """Create a new file with fresh Telegram-looking ids."""
        file_id = _ID_PREFIX.get(kind, "BQACAgIAAxkBAAI") + secrets.token_urlsafe(42)
        unique = "AgAD" + secrets.token_urlsafe(9)
        extension = _extension(file_name, mime_type, kind)
        path = f"{_FOLDER.get(kind, 'documents')}/file_{len(self._by_id)}{extension}"
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique,
            kind=kind,
            file_path=path,
            content=content,
            file_name=file_name,
            mime_type=mime_type or _guess_mime(file_name) or _DEFAULT_MIME.get(kind),
            source_url=source_url,
            meta=dict(meta or {}),
        )
        self._by_id[file_id] = stored
        self._by_path[path] = stored
        return stored

    def resolve(self, value: object, kind: str, meta: Mapping[str, object]) -> StoredFile:
        """The file a ``video``/``photo``/... parameter designates.

        An upload mints a file with its bytes, an http(s) URL mints one without fetching it, a
        known file_id is reused as is, and anything else is Telegram's "wrong file identifier".
        """
        if isinstance(value, UploadedFile):
            limit = _MAX_BYTES.get(kind, _DEFAULT_MAX_BYTES)
            if not value.content:
                raise bad_request("file must be non-empty")
            if len(value.content) > limit:
                raise ApiError(413, "Request Entity Too Large")
            self.uploads += 1
            return self.mint(
                kind,
                content=value.content,
                file_name=value.filename,
                mime_type=_useful_mime(value.content_type),
                meta=meta,
            )
        if not isinstance(value, str) or not value:
            raise bad_request(WRONG_FILE_IDENTIFIER)
        if value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1].split("?", 1)[0] or None
            return self.mint(kind, file_name=name, source_url=value, meta=meta)
        known = self._by_id.get(value)
        if known is None:
            raise bad_request(WRONG_FILE_IDENTIFIER)
        if known.kind != kind and kind not in _INTERCHANGEABLE.get(known.kind, set()):
            raise bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
        return known

    def describe(self, stored: StoredFile, kind: str | None = None) -> dict[str, object]:
        """The Telegram object (Video, Document, Sticker...) for ``stored`` sent as ``kind``."""
        as_kind = kind or stored.kind
        body: dict[str, object] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
        }
        meta = stored.meta
        if as_kind in ("video", "animation", "video_note", "photo", "sticker"):
            default_side = 512 if as_kind == "sticker" else 240 if as_kind == "video_note" else 0
            width = _int(meta.get("width"), default_side or 1280)
            height = _int(meta.get("height"), default_side or 720)
            if as_kind == "video_note":
                body["length"] = _int(meta.get("length"), width)
            else:
                body["width"] = width
                body["height"] = height
        if as_kind in ("video", "animation", "audio", "voice", "video_note"):
            body["duration"] = _int(meta.get("duration"), 0)
        if as_kind == "sticker":
            body.update(
                type="regular",
                is_animated=False,
                is_video=False,
                emoji=str(meta.get("emoji", "\N{THUMBS UP SIGN}")),
            )
        if as_kind in ("document", "animation", "video", "audio") and stored.file_name:
            body["file_name"] = stored.file_name
        if as_kind in ("audio",):
            for key in ("performer", "title"):
                if isinstance(meta.get(key), str):
                    body[key] = meta[key]
        if as_kind not in ("photo", "sticker") and stored.mime_type:
            body["mime_type"] = stored.mime_type
        if stored.file_size is not None:
            body["file_size"] = stored.file_size
        return body

    def file_object(self, stored: StoredFile) -> dict[str, object]:
        """The File returned by getFile, whose ``file_path`` the download route serves."""
        body: dict[str, object] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.file_size is not None:
            body["file_size"] = stored.file_size
        return body


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return default


def _useful_mime(content_type: str | None) -> str | None:
    if not content_type or content_type == "application/octet-stream":
        return None
    return content_type


def _guess_mime(file_name: str | None) -> str | None:
    if not file_name:
        return None
    return mimetypes.guess_type(file_name)[0]


def _extension(file_name: str | None, mime_type: str | None, kind: str) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1][:8]
    guessed = mimetypes.guess_extension(mime_type or _DEFAULT_MIME.get(kind, ""))
    return guessed or ""
