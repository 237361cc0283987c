"""Photos and videos uploaded from the dashboard: which kinds are taken, how big, where kept."""

from __future__ import annotations

import secrets
from pathlib import Path

from bot.dashboard.visit import Upload

#: A photo or a short teaser video (the Bot API uploads up to 50 MB).
MAX_UPLOAD = 20 * 1024 * 1024
#: Content type -> the suffix the file is kept with.
UPLOAD_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
}
#: What an upload over MAX_UPLOAD is marked with (its bytes are not kept).
TOO_LARGE = "too_large"


def save_upload(media_dir: Path, upload: Upload) -> Path:
    """Keep an upload under a fresh random name (never the name the browser sent)."""
    media_dir.mkdir(parents=True, exist_ok=True)
    path = media_dir / (secrets.token_hex(12) + UPLOAD_TYPES[upload.content_type])
    path.write_bytes(upload.data)
    return path.resolve()
