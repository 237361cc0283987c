"""The Bot API description that every call to the stand-in is checked against.

The stand-in exists to catch calls that real Telegram would reject or silently ignore, so it
needs to know each method's parameter names, which of them are required and roughly what kind of
value each one carries (the last part lets form-encoded strings be decoded the way Telegram
decodes them: ``"true"`` for a Boolean, a JSON string for an object, a plain string for text).

Two file shapes are understood:

* the full description in ``shared/telegram-bot-api.json`` (``methods`` -> ``fields`` with
  ``name``/``types``/``required``), which is the authority;
* the compact copy shipped inside the package (``botapi_methods.json``) so that the stand-in
  still works where the shared folder is absent (an installed package, the sandbox command).

Run ``python -m bot.standin.spec compact SRC DST`` to regenerate the compact copy.

Some parameters are checked deeper, against the object types (``DEEP_PARAMETERS``): the compact
copy keeps the types they reach (``types``), with their fields, field types and required flags.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.standin.type_check import ObjectType, check, closure, compact_types, read_types

SPEC_ENV_VAR = "TELEGRAM_BOT_API_SPEC"
PACKAGED_SPEC = Path(__file__).resolve().with_name("botapi_methods.json")
SHARED_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "telegram-bot-api.json"

# How a parameter's value is decoded when it arrives as a form string.
KIND_STR = "str"
KIND_INT = "int"
KIND_FLOAT = "float"
KIND_BOOL = "bool"
KIND_INT_OR_STR = "int_or_str"
KIND_FILE = "file"
KIND_JSON = "json"

#: JSON parameters whose objects are checked field by field against ``types`` (Telegram refuses
#: a result with an unknown field, a missing required one or an unknown ``type``).
DEEP_PARAMETERS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "answerInlineQuery": {
        "results": ("Array of InlineQueryResult",),
        "button": ("InlineQueryResultsButton",),
    },
}


def kind_of_types(types: Sequence[str]) -> str:
    """Reduce a field's list of Bot API types to the decoding rule the server applies."""
    present = set(types)
    if "InputFile" in present:
        return KIND_FILE
    if present == {"String"}:
        return KIND_STR
    if present == {"Integer"}:
        return KIND_INT
    if present == {"Integer", "String"}:
        return KIND_INT_OR_STR
    if present <= {"Float", "Float number"}:
        return KIND_FLOAT
    if present <= {"Boolean", "True"}:
        return KIND_BOOL
    return KIND_JSON


@dataclass(frozen=True)
class MethodSpec:
    """One Bot API method: its exact name and parameter names, split by whether required."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    kinds: Mapping[str, str] = field(default_factory=dict)

    @property
    def parameters(self) -> frozenset[str]:
        """Every parameter the method accepts."""
        return frozenset(self.required) | frozenset(self.optional)

    def kind(self, parameter: str) -> str | None:
        """The decoding rule for ``parameter``, or None when the description has no types."""
        return self.kinds.get(parameter)


class BotApiSpec:
    """Method names and parameters of one Bot API version, looked up as Telegram does.

    Telegram matches method names case-insensitively (``/bot<token>/SENDMESSAGE`` works), so
    lookups do too, while problems are reported with the method's exact documented name.
    """

    def __init__(
        self,
        version: str,
        methods: Sequence[MethodSpec],
        source: Path | None = None,
        types: Mapping[str, ObjectType] | None = None,
    ) -> None:
        self.version = version
        self.source = source
        self._methods: dict[str, MethodSpec] = {m.name.lower(): m for m in methods}
        self.types: Mapping[str, ObjectType] = types or {}

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], source: Path | None = None) -> BotApiSpec:
        """Build from either the full description or the compact file, detected by shape."""
        version = str(data.get("version", "unknown"))
        raw_methods = data.get("methods")
        if not isinstance(raw_methods, Mapping):
            msg = f"{source or 'spec'}: no 'methods' object"
            raise ValueError(msg)
        raw_kinds = data.get("field_kinds")
        kinds_by_method = raw_kinds if isinstance(raw_kinds, Mapping) else {}
        methods: list[MethodSpec] = []
        for name, entry in raw_methods.items():
            if not isinstance(entry, Mapping):
                continue
            if "required" in entry or "optional" in entry:
                kinds = kinds_by_method.get(name, {})
                methods.append(
                    MethodSpec(
                        name=str(name),
                        required=tuple(entry.get("required", ())),
                        optional=tuple(entry.get("optional", ())),
                        kinds=dict(kinds) if isinstance(kinds, Mapping) else {},
                    )
                )
            else:
                methods.append(_method_from_full(str(name), entry))
        return cls(version, methods, source, read_types(data.get("types")))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BotApiSpec:
        """Read a full or compact description from ``path``."""
        resolved = Path(path)
        with resolved.open(encoding="utf-8") as handle:
            data = json.load(handle)
        return cls.from_mapping(data, resolved)

    @classmethod
    def default(cls) -> BotApiSpec:
        """The description to trust here: the env override, the shared file, else the packaged
        copy (which may lag behind the shared file but keeps the sandbox working offline)."""
        override = os.environ.get(SPEC_ENV_VAR)
        if override:
            return cls.load(override)
        if SHARED_SPEC.is_file():
            return cls.load(SHARED_SPEC)
        return cls.load(PACKAGED_SPEC)

    @property
    def method_names(self) -> list[str]:
        """Exact names of all methods, in the description's order."""
        return [m.name for m in self._methods.values()]

    def method(self, name: str) -> MethodSpec | None:
        """The method called ``name`` in any letter case, or None."""
        return self._methods.get(name.lower())

    def canonical_name(self, name: str) -> str | None:
        """The documented spelling of ``name`` (``sendmessage`` -> ``sendMessage``)."""
        found = self._methods.get(name.lower())
        return found.name if found else None

    def validate(self, method: str, params: Mapping[str, object]) -> list[str]:
        """Problems Telegram would have with this call: unknown method, unknown parameter names,
        required parameters that are absent or null. An empty list means the call is fine."""
        found = self._methods.get(method.lower())
        if found is None:
            return [f"unknown method '{method}' (not in {self.version})"]
        accepted = found.parameters
        problems = [
            f"{found.name}: unknown parameter '{name}'" for name in params if name not in accepted
        ]
        problems.extend(
            f"{found.name}: missing required parameter '{name}'"
            for name in found.required
            if params.get(name) is None
        )
        for name, types in DEEP_PARAMETERS.get(found.name, {}).items():
            if params.get(name) is not None:
                problems.extend(
                    f"{found.name}: {problem}"
                    for problem in check(self.types, types, params[name], name)
                )
        return problems

    def compact(self) -> dict[str, object]:
        """The compact file's content: names split into required/optional, plus kinds."""
        methods = {
            m.name: {"required": list(m.required), "optional": list(m.optional)}
            for m in self._methods.values()
        }
        kinds = {m.name: dict(m.kinds) for m in self._methods.values() if m.kinds}
        roots = [t for params in DEEP_PARAMETERS.values() for ts in params.values() for t in ts]
        types = compact_types(closure(self.types, roots))
        return {"version": self.version, "methods": methods, "field_kinds": kinds, "types": types}


def _method_from_full(name: str, entry: Mapping[str, object]) -> MethodSpec:
    """Read one method of the full description; methods without parameters lack 'fields'."""
    required: list[str] = []
    optional: list[str] = []
    kinds: dict[str, str] = {}
    raw_fields = entry.get("fields") or []
    for item in raw_fields if isinstance(raw_fields, list) else []:
        field_name = str(item["name"])
        (required if item.get("required") else optional).append(field_name)
        kinds[field_name] = kind_of_types(item.get("types") or [])
    return MethodSpec(
        name=str(entry.get("name", name)),
        required=tuple(required),
        optional=tuple(optional),
        kinds=kinds,
    )


def write_compact(source: Path, destination: Path) -> BotApiSpec:
    """Regenerate the packaged compact copy from a full description."""
    spec = BotApiSpec.load(source)
    text = json.dumps(spec.compact(), indent=1, sort_keys=False, ensure_ascii=False)
    destination.write_text(text + "\n", encoding="utf-8")
    return spec


def main(argv: Sequence[str]) -> int:
    """Command line: ``compact SRC DST``."""
    if len(argv) != 3 or argv[0] != "compact":
        sys.stderr.write("usage: python -m bot.standin.spec compact SRC DST\n")
        return 2
    spec = write_compact(Path(argv[1]), Path(argv[2]))
    sys.stdout.write(f"{spec.version}: {len(spec.method_names)} methods -> {argv[2]}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
