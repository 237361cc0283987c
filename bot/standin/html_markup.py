"""Telegram's ``parse_mode=HTML``: strict about tags, returning plain text plus entities.

Telegram stores a message as plain text with entities and rejects markup it does not support
(``<br>``, an unclosed ``<b>``, a bare ``<``) with "can't parse entities". A bot whose texts
contain an unescaped product name like ``Fish & <Chips>`` breaks in production; the stand-in
makes it break in tests too. Offsets are counted in UTF-16 code units, as Telegram counts them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.standin.errors import ApiError, bad_request

TAG_ENTITY_TYPES: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ATTRIBUTE = re.compile(r"([a-zA-Z_][\w-]*)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_CHAR_REF = re.compile(r"&(lt|gt|amp|quot|#\d+|#[xX][0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units: an emoji outside the BMP counts twice, as in Telegram."""
    return len(text.encode("utf-16-le")) // 2


def _unescape(segment: str) -> str:
    """Decode only the character references Telegram documents (named: lt, gt, amp, quot)."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref in _NAMED:
            return _NAMED[ref]
        number = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        return chr(number) if 0 < number < 0x110000 else match.group(0)

    return _CHAR_REF.sub(replace, segment)


@dataclass(slots=True)
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int
    byte_offset: int


def _attributes(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(raw):
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        found[match.group(1).lower()] = html.unescape(value)
    return found


def _parse_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def parse_html(source: str) -> tuple[str, list[dict[str, object]]]:
    """Return ``(plain_text, entities)`` for an HTML-formatted text, or raise a 400."""
    plain: list[str] = []
    entities: list[dict[str, object]] = []
    stack: list[_OpenTag] = []
    offset = 0
    position = 0
    while position < len(source):
        lt = source.find("<", position)
        chunk_end = len(source) if lt == -1 else lt
        if chunk_end > position:
            text = _unescape(source[position:chunk_end])
            plain.append(text)
            offset += utf16_length(text)
        if lt == -1:
            break
        byte_offset = len(source[:lt].encode("utf-8"))
        match = _TAG.match(source, lt)
        if match is None:
            raise _parse_error(f'Unsupported start tag "" at byte offset {byte_offset}')
        closing, name, raw_attributes = match.group(1), match.group(2).lower(), match.group(3)
        if closing:
            if not stack:
                raise _parse_error(f"Unexpected end tag at byte offset {byte_offset}")
            opened = stack.pop()
            if opened.name != name:
                raise _parse_error(
                    f"Unmatched end tag at byte offset {byte_offset}, expected "
                    f'"</{opened.name}>", found "</{name}>"'
                )
            _close(opened, offset, stack, entities)
        else:
            if name not in TAG_ENTITY_TYPES:
                raise _parse_error(f'Unsupported start tag "{name}" at byte offset {byte_offset}')
            attributes = _attributes(raw_attributes or "")
            if name == "span" and attributes.get("class") != "tg-spoiler":
                raise _parse_error(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset}'
                )
            stack.append(_OpenTag(name, attributes, offset, byte_offset))
        position = match.end()
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (int(str(e["offset"])), -int(str(e["length"]))))
    return "".join(plain), entities


def _close(
    opened: _OpenTag, offset: int, stack: list[_OpenTag], entities: list[dict[str, object]]
) -> None:
    """Emit the entity for a closed tag (empty spans produce none, as in Telegram)."""
    length = offset - opened.offset
    entity_type = TAG_ENTITY_TYPES[opened.name]
    language = opened.attributes.get("class", "")
    if opened.name == "code" and stack and stack[-1].name == "pre":
        # <pre><code class="language-x"> is one pre entity with a language, not two entities.
        if language.startswith("language-"):
            stack[-1].attributes["language"] = language.removeprefix("language-")
        return
    if length <= 0:
        return
    entity: dict[str, object] = {"type": entity_type, "offset": opened.offset, "length": length}
    if opened.name == "a":
        href = opened.attributes.get("href")
        if not href:
            return
        if href.startswith("tg://user?id="):
            entity["type"] = "text_mention"
            entity["user"] = {
                "id": int(href.removeprefix("tg://user?id=") or 0),
                "is_bot": False,
                "first_name": "",
            }
        else:
            entity["url"] = href
    elif opened.name == "pre" and opened.attributes.get("language"):
        entity["language"] = opened.attributes["language"]
    elif opened.name == "blockquote" and "expandable" in opened.attributes:
        entity["type"] = "expandable_blockquote"
    elif opened.name == "tg-emoji":
        entity["custom_emoji_id"] = opened.attributes.get("emoji-id", "")
    entities.append(entity)


def format_text(
    text: str, parse_mode: object, entities: object
) -> tuple[str, list[dict[str, object]]]:
    """Apply ``parse_mode``/explicit entities the way a send or edit method does.

    Only HTML is parsed; Markdown and MarkdownV2 texts are kept as given (the project formats
    with HTML), and explicit entities are echoed back untouched.
    """
    if parse_mode is None or parse_mode == "":
        given = entities if isinstance(entities, list) else []
        return text, [e for e in given if isinstance(e, dict)]
    mode = str(parse_mode)
    if mode.lower() == "html":
        return parse_html(text)
    if mode.lower() in ("markdown", "markdownv2"):
        return text, []
    raise bad_request("unsupported parse_mode")
