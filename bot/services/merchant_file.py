"""A merchant's YAML or JSON file: its data, the line of every value, and problems by line.

pydantic validates the data (the catalog and the shipping rates declare their models); its error
locations (``("products", 2, "price")``) are turned back into what a merchant finds in an
editor: ``line 14, products[2].price: must be zero or more``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, get_args

import yaml
from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

#: Where a value sits in the file: keys and list indexes from the top, ``()`` for the file.
Loc = tuple[str | int, ...]
#: The line (1-based) of each value, by its location.
Lines = dict[Loc, int]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: ISO 4217's "no currency": a price's while its currency is wrong. It never reaches a draft:
#: the currency's own problem fails the file.
NO_CURRENCY = "XXX"

#: pydantic's own error types, in the words of the rest of our messages.
_PLAIN_WORDS = {
    "missing": "is required",
    "bool_type": "must be true or false",
    "invalid_key": "unknown field",
}


@dataclass(frozen=True, slots=True)
class FileProblem:
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.field}: {self.message}"


class UnreadableFile(ValueError):
    """Not YAML or JSON at all; the problem says where the parser stopped."""

    def __init__(self, problem: FileProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def problem(message: str) -> PydanticCustomError:
    """An error for a validator to raise, its message shown to the merchant as it is."""
    return PydanticCustomError("merchant_file", "{message}", {"message": message})


# --- checks both files use (validators raise ``problem``) -----------------------------------


def text_of(value: object, limit: int, *, required: bool) -> str | None:
    """Text, stripped; a number is taken as its text (``sku: 1001``)."""
    if value is None:
        if required:
            raise problem("is required")
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise problem("must be text")
    text = str(value).strip()
    if required and not text:
        raise problem("must not be empty")
    if len(text) > limit:
        raise problem(f"is longer than {limit} characters")
    return text


def text_field(limit: int, *, required: bool) -> BeforeValidator:
    """``text_of`` as a field's validator."""

    def check(value: object) -> str | None:
        return text_of(value, limit, required=required)

    return BeforeValidator(check)


def whole_number(low: int, high: int) -> BeforeValidator:
    """A whole number from ``low`` to ``high`` (``true`` and ``2.5`` are not)."""

    def check(value: object) -> int:
        if value is None:
            raise problem("is required")
        if isinstance(value, bool) or not isinstance(value, int):
            raise problem("must be a whole number")
        if not low <= value <= high:
            raise problem(f"must be between {low} and {high}")
        return value

    return BeforeValidator(check)


def currency_code(value: object) -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value):
        raise problem("must be an ISO 4217 code such as USD or CNY")
    return value


def first_time(seen: set[str], value: str, twice: Callable[[str], str]) -> str:
    """The value, now remembered in ``seen``; already there, a problem worded by ``twice``."""
    if value in seen:
        raise problem(twice(value))
    seen.add(value)
    return value


# --- reading ---------------------------------------------------------------------------------


def load_text(text: str, suffix: str) -> tuple[Any, Lines]:
    """Parse the text (JSON for ``.json``, YAML otherwise) and find the line of every value."""
    data = _json(text) if suffix == ".json" else _yaml(text)
    return data, _lines_of(text)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(FileProblem(exc.lineno, "(file)", exc.msg)) from exc


def _yaml(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        message = f"not valid YAML: {getattr(exc, 'problem', exc)}"
        raise UnreadableFile(FileProblem(line, "(file)", message)) from exc


def _lines_of(text: str) -> Lines:
    """JSON is YAML too, so one composer (which keeps marks) serves both."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}  # valid JSON that YAML 1.1 reads differently: report without line numbers
    lines: Lines = {(): 1}
    if node is not None:
        _record(node, (), lines)
    return lines


def _record(node: yaml.Node, loc: Loc, out: Lines) -> None:
    """A field's line is its key's line (a block list starts on the lines below its key)."""
    out[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = (*loc, str(key.value))
            _record(value, sub, out)
            out[sub] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _record(item, (*loc, i), out)


def problems_from(
    error: ValidationError,
    root: type[BaseModel],
    lines: Lines,
    tags: Collection[str] = (),
) -> list[FileProblem]:
    """Every error of ``root``'s validation as a problem with its line, in the file's order.

    ``tags`` are the names of tagged-union members, which pydantic puts into locations and a
    merchant never wrote.
    """
    found = [_problem(detail, root, lines, tags) for detail in error.errors(include_url=False)]
    return sorted(found, key=lambda p: p.line or 0)


def _problem(
    detail: ErrorDetails, root: type[BaseModel], lines: Lines, tags: Collection[str]
) -> FileProblem:
    loc = tuple(part for part in detail["loc"] if part not in tags)
    if detail["type"] == "invalid_key":  # a key that is not text (``1: x``), named as written
        loc = (*loc[:-1], str(loc[-1]))
    return FileProblem(_line(loc, lines), _field(loc), _words(detail, loc, root))


def _line(loc: Loc, lines: Lines) -> int | None:
    """The value's own line or, for a missing one, the line of what should hold it."""
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _field(loc: Loc) -> str:
    """``products[2].price``; ``(file)`` for the file as a whole."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(file)"


def _words(detail: ErrorDetails, loc: Loc, root: type[BaseModel]) -> str:
    kind = detail["type"]
    if kind == "extra_forbidden":
        known = sorted(_model_at(root, loc[:-1]).model_fields)
        near = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return "unknown field" + (f" (did you mean '{near[0]}'?)" if near else "")
    if kind in ("model_type", "model_attributes_type"):
        return f"must be {getattr(_model_at(root, loc), 'shape', 'a mapping')}"
    return _PLAIN_WORDS.get(kind, detail["msg"])


def _model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel]:
    """The model that validates the mapping at ``loc`` (its fields name what may be there)."""
    model = root
    for part in loc:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        inner = _model_in(field.annotation) if field is not None else None
        if inner is not None:
            model = inner
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The first model inside ``list[...]``, ``X | None`` or ``Annotated[...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
