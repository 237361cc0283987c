"""Turning an HTTP request into Bot API parameters the way Telegram does.

Telegram accepts four encodings and the two frameworks use different ones: aiogram posts
url-encoded forms (multipart once a file is attached) with every non-string value JSON-dumped and
files referenced as ``attach://<random>`` even at the top level; python-telegram-bot posts forms
whose values are JSON-dumped too, but uploads a top-level file as a part named after the
parameter itself (``video``) and uses ``attach://`` only inside ``media``. Other clients send a
JSON body or a query string. All of them must end up as the same decoded parameters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from bot.standin.errors import bad_request
from bot.standin.spec import (
    KIND_BOOL,
    KIND_FLOAT,
    KIND_INT,
    KIND_INT_OR_STR,
    KIND_JSON,
    KIND_STR,
    MethodSpec,
)

ATTACH_PREFIX = "attach://"
_INTEGER = re.compile(r"-?\d+")
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file that arrived as a multipart part; kept in memory (test files are small)."""

    part_name: str
    filename: str
    content: bytes
    content_type: str | None = None

    def marker(self) -> dict[str, str]:
        """How the upload appears in recorded calls, the same for both frameworks."""
        return {"upload": self.filename}


@dataclass(slots=True)
class RawRequest:
    """Fields and file parts exactly as they came over the wire, before any decoding."""

    fields: dict[str, object]
    files: dict[str, UploadedFile]


async def read_request(request: web.Request) -> RawRequest:
    """Collect query-string and body fields (body wins) and multipart file parts."""
    fields: dict[str, object] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method != "POST" or not request.body_exists:
        return RawRequest(fields, files)
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError as exc:
                raise bad_request("can't parse JSON encoded request body") from exc
            if not isinstance(decoded, dict):
                raise bad_request("JSON encoded request body must be an object")
            fields.update(decoded)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                content = bytes(await part.read(decode=True))
                files[part.name] = UploadedFile(
                    part.name, part.filename, content, part.headers.get("Content-Type")
                )
            else:
                fields[part.name] = await part.text()
    else:
        form = await request.post()
        for key, value in form.items():
            fields[key] = value if isinstance(value, str) else str(value)
    return RawRequest(fields, files)


def decode_params(method: MethodSpec | None, raw: RawRequest) -> dict[str, object]:
    """Decode field values by the kind the description gives them and wire in uploads.

    Nulls are dropped (a client that sends ``"reply_markup": null`` means "not given"), every
    ``attach://name`` found at any depth is replaced by the uploaded part, and a part that no
    ``attach://`` points at becomes the parameter named like the part (python-telegram-bot's
    way of uploading ``video``).
    """
    params: dict[str, object] = {}
    for name, value in raw.fields.items():
        if value is None:
            continue
        kind = method.kind(name) if method else None
        params[name] = coerce(kind, value)
    referenced: set[str] = set()
    if raw.files:
        for name, value in list(params.items()):
            params[name] = _attach(value, raw.files, referenced)
        for part_name, upload in raw.files.items():
            if part_name not in referenced and part_name not in params:
                params[part_name] = upload
    return params


def coerce(kind: str | None, value: object) -> object:
    """Decode one value; strings that do not parse stay strings so handlers can reject them."""
    if not isinstance(value, str):
        return value
    if kind == KIND_STR:
        return value
    if kind == KIND_INT:
        return int(value) if _INTEGER.fullmatch(value) else value
    if kind == KIND_INT_OR_STR:
        return int(value) if _INTEGER.fullmatch(value) else value
    if kind == KIND_BOOL:
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        return value
    if kind == KIND_FLOAT:
        try:
            return float(value)
        except ValueError:
            return value
    if kind == KIND_JSON or (kind is None and value[:1] in ("{", "[")):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict | list) else value
    return value


def _attach(value: object, files: Mapping[str, UploadedFile], referenced: set[str]) -> object:
    """Replace ``attach://name`` strings (at any depth) with the uploaded part they name."""
    if isinstance(value, str):
        if value.startswith(ATTACH_PREFIX):
            name = value[len(ATTACH_PREFIX) :]
            if name in files:
                referenced.add(name)
                return files[name]
        return value
    if isinstance(value, dict):
        return {key: _attach(item, files, referenced) for key, item in value.items()}
    if isinstance(value, list):
        return [_attach(item, files, referenced) for item in value]
    return value


def recordable(value: object) -> object:
    """A copy of decoded parameters with uploads replaced by ``{"upload": filename}``."""
    if isinstance(value, UploadedFile):
        return value.marker()
    if isinstance(value, dict):
        return {key: recordable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [recordable(item) for item in value]
    return value


def contains_upload(value: object) -> bool:
    """Whether ``recordable`` would change anything (saves copying most calls)."""
    if isinstance(value, UploadedFile):
        return True
    if isinstance(value, dict):
        return any(contains_upload(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_upload(item) for item in value)
    return False
