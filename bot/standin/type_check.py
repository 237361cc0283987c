"""Deep checks of JSON parameters against the Bot API's object types.

Telegram parses a JSON-serialized parameter (an inline query's ``results``) into its own
types and refuses the call when an object has a field the type does not know, lacks a required
one, carries a value of the wrong kind, or names a ``type`` no result has ("can't parse
InlineQueryResult"). The description lists each type's fields with their types and whether they
are required; abstract types (``InlineQueryResult``, ``InputMessageContent``) list their
subtypes, told apart by a ``type`` field whose description says "must be video".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_ARRAY = "Array of "
_MUST_BE = re.compile(r"must be ([a-z][a-z0-9_]*)\s*$")
_PRIMITIVES = frozenset({"String", "Integer", "Float", "Boolean", "True", "InputFile"})


@dataclass(frozen=True, slots=True)
class FieldType:
    name: str
    types: tuple[str, ...]
    required: bool
    #: The only value allowed ("must be video" in the description), for discriminators.
    constant: str | None = None


@dataclass(frozen=True, slots=True)
class ObjectType:
    name: str
    fields: tuple[FieldType, ...] = ()
    subtypes: tuple[str, ...] = ()

    def field(self, name: str) -> FieldType | None:
        return next((f for f in self.fields if f.name == name), None)


TypeTable = Mapping[str, ObjectType]


def read_types(raw: object) -> dict[str, ObjectType]:
    """The ``types`` of the full description, or of the compact copy (same shape, shorter)."""
    if not isinstance(raw, Mapping):
        return {}
    table: dict[str, ObjectType] = {}
    for name, entry in raw.items():
        if not isinstance(entry, Mapping):
            continue
        fields = []
        for item in entry.get("fields") or []:
            if not isinstance(item, Mapping):
                continue
            constant = item.get("constant")
            if constant is None:
                found = _MUST_BE.search(str(item.get("description", "")))
                constant = found.group(1) if found and item.get("name") == "type" else None
            fields.append(
                FieldType(
                    name=str(item["name"]),
                    types=tuple(str(t) for t in item.get("types") or ()),
                    required=bool(item.get("required")),
                    constant=str(constant) if constant is not None else None,
                )
            )
        subtypes = tuple(str(s) for s in entry.get("subtypes") or ())
        table[str(name)] = ObjectType(str(name), tuple(fields), subtypes)
    return table


def compact_types(table: TypeTable) -> dict[str, object]:
    """The compact copy's ``types``: names, field types, required flags and constants."""
    out: dict[str, object] = {}
    for name, entry in table.items():
        fields = []
        for f in entry.fields:
            item: dict[str, object] = {"name": f.name, "types": list(f.types)}
            if f.required:
                item["required"] = True
            if f.constant is not None:
                item["constant"] = f.constant
            fields.append(item)
        body: dict[str, object] = {"fields": fields}
        if entry.subtypes:
            body["subtypes"] = list(entry.subtypes)
        out[name] = body
    return out


def closure(table: TypeTable, roots: Iterable[str]) -> dict[str, ObjectType]:
    """The types reachable from ``roots`` (fields' types and subtypes), for the compact copy."""
    found: dict[str, ObjectType] = {}
    pending = [_element(r) for r in roots]
    while pending:
        name = pending.pop()
        entry = table.get(name)
        if entry is None or name in found:
            continue
        found[name] = entry
        pending.extend(entry.subtypes)
        pending.extend(_element(t) for f in entry.fields for t in f.types)
    return dict(sorted(found.items()))


def _element(type_name: str) -> str:
    while type_name.startswith(_ARRAY):
        type_name = type_name[len(_ARRAY) :]
    return type_name


def check(table: TypeTable, types: Sequence[str], value: object, path: str) -> list[str]:
    """Problems with ``value`` as one of ``types`` (any alternative may match); [] if fine.

    A type the table does not describe is accepted: only what is known is checked.
    """
    best: list[str] | None = None
    for type_name in types:
        problems = _check_one(table, type_name, value, path)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or []


def _check_one(table: TypeTable, type_name: str, value: object, path: str) -> list[str]:
    if type_name.startswith(_ARRAY):
        if not isinstance(value, list):
            return [f"{path}: should be an {type_name}"]
        inner = type_name[len(_ARRAY) :]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems += _check_one(table, inner, item, f"{path}[{index}]")
        return problems
    if type_name in _PRIMITIVES:
        return [] if _primitive_ok(type_name, value) else [f"{path}: should be {type_name}"]
    entry = table.get(type_name)
    if entry is None:
        return []
    if not isinstance(value, dict):
        return [f"{path}: should be a {type_name} object"]
    if entry.subtypes:
        return _check_union(table, entry, value, path)
    return _check_object(table, entry, value, path)


def _primitive_ok(type_name: str, value: object) -> bool:
    if type_name in ("String", "InputFile"):
        return isinstance(value, str)
    if type_name == "Integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if type_name == "True":
        return value is True
    return isinstance(value, bool)


def _check_union(
    table: TypeTable, entry: ObjectType, value: dict[str, object], path: str
) -> list[str]:
    """One of the subtypes must fit; those whose ``type`` constant differs are not tried."""
    candidates = [table[s] for s in entry.subtypes if s in table]
    kind = value.get("type")
    constants = {c.name: _constant(c) for c in candidates}
    if any(constants.values()):
        candidates = [c for c in candidates if constants[c.name] == kind]
        if not candidates:
            return [f"{path}: unknown {entry.name} type {kind!r}"]
    best: list[str] | None = None
    for candidate in candidates:
        problems = _check_object(table, candidate, value, path)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or []


def _constant(entry: ObjectType) -> str | None:
    found = entry.field("type")
    return found.constant if found is not None else None


def _check_object(
    table: TypeTable, entry: ObjectType, value: dict[str, object], path: str
) -> list[str]:
    where = f"{path} ({entry.name})"
    known = {f.name: f for f in entry.fields}
    problems = [f"{where}: unknown field '{name}'" for name in value if name not in known]
    for f in entry.fields:
        item = value.get(f.name)
        if item is None:
            if f.required:
                problems.append(f"{where}: missing required field '{f.name}'")
            continue
        if f.constant is not None and item != f.constant:
            problems.append(f"{where}: field '{f.name}' must be {f.constant!r}")
            continue
        problems += check(table, f.types, item, f"{path}.{f.name}")
    return problems
