"""The Bot API description: loading both shapes, validation, and the packaged compact copy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.standin.spec import PACKAGED_SPEC, BotApiSpec, kind_of_types, main
from tests.helpers import SHARED_SPEC


@pytest.fixture(scope="module")
def shared() -> dict[str, object]:
    if not SHARED_SPEC.is_file():
        pytest.skip("shared/telegram-bot-api.json is not beside the repository")
    data = json.loads(SHARED_SPEC.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _expected_methods(shared: dict[str, object]) -> dict[str, dict[str, list[str]]]:
    methods = shared["methods"]
    assert isinstance(methods, dict)
    expected: dict[str, dict[str, list[str]]] = {}
    for name, entry in methods.items():
        fields = entry.get("fields", [])
        expected[name] = {
            "required": [f["name"] for f in fields if f["required"]],
            "optional": [f["name"] for f in fields if not f["required"]],
        }
    return expected


def test_packaged_compact_copy_matches_shared_file(shared: dict[str, object]) -> None:
    compact = json.loads(PACKAGED_SPEC.read_text(encoding="utf-8"))
    assert compact["version"] == shared["version"]
    assert compact["methods"] == _expected_methods(shared)
    methods = shared["methods"]
    assert isinstance(methods, dict)
    for name, entry in methods.items():
        kinds = {f["name"]: kind_of_types(f["types"]) for f in entry.get("fields", [])}
        assert compact["field_kinds"].get(name, {}) == kinds, name


def test_full_and_compact_load_to_the_same_spec(shared: dict[str, object]) -> None:
    full = BotApiSpec.load(SHARED_SPEC)
    compact = BotApiSpec.load(PACKAGED_SPEC)
    assert full.version == compact.version == shared["version"]
    assert full.method_names == compact.method_names
    for name in full.method_names:
        assert full.method(name) == compact.method(name)


def test_validate_reports_unknown_and_missing_with_exact_names() -> None:
    spec = BotApiSpec.load(PACKAGED_SPEC)
    assert spec.validate("sendMessage", {"chat_id": 1, "text": "hi"}) == []
    assert spec.validate("SENDMESSAGE", {"chat_id": 1, "text": "hi"}) == []
    problems = spec.validate("sendmessage", {"chat_id": 1, "txt": "hi"})
    assert problems == [
        "sendMessage: unknown parameter 'txt'",
        "sendMessage: missing required parameter 'text'",
    ]
    assert spec.validate("sendMessage", {"chat_id": 1, "text": None}) == [
        "sendMessage: missing required parameter 'text'"
    ]
    assert spec.validate("sendMesage", {}) == [
        f"unknown method 'sendMesage' (not in {spec.version})"
    ]
    assert spec.validate("getMe", {}) == []
    assert spec.canonical_name("getme") == "getMe"


def test_kinds_drive_decoding() -> None:
    spec = BotApiSpec.load(PACKAGED_SPEC)
    send_video = spec.method("sendVideo")
    assert send_video is not None
    assert send_video.kind("chat_id") == "int_or_str"
    assert send_video.kind("video") == "file"
    assert send_video.kind("reply_markup") == "json"
    assert send_video.kind("caption") == "str"
    assert send_video.kind("has_spoiler") == "bool"
    assert send_video.kind("width") == "int"


def test_default_prefers_env_then_shared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, shared: dict[str, object]
) -> None:
    custom = tmp_path / "custom.json"
    custom.write_text(
        json.dumps(
            {
                "version": "Bot API 0.1",
                "methods": {"getMe": {"required": [], "optional": []}},
            }
        )
    )
    monkeypatch.setenv("TELEGRAM_BOT_API_SPEC", str(custom))
    assert BotApiSpec.default().version == "Bot API 0.1"
    monkeypatch.delenv("TELEGRAM_BOT_API_SPEC")
    default = BotApiSpec.default()
    assert default.source is not None
    assert default.source.resolve() == SHARED_SPEC.resolve()
    assert default.version == shared["version"]


def test_compact_command_regenerates_the_packaged_copy(
    tmp_path: Path, shared: dict[str, object]
) -> None:
    out = tmp_path / "methods.json"
    assert main(["compact", str(SHARED_SPEC), str(out)]) == 0
    assert json.loads(out.read_text()) == json.loads(PACKAGED_SPEC.read_text())
    assert main(["bogus"]) == 2
