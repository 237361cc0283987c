"""Reading typed values out of decoded parameters, with Telegram-style 400s when they are off.

Decoding by the description already turned ``"42"`` into 42 where the field is an Integer; these
helpers tolerate what is left (a JSON body with a string where a number belongs, a missing
description) and refuse values Telegram would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.standin.errors import ApiError, bad_request


def _type_error(name: str, expected: str) -> ApiError:
    return bad_request(f'field "{name}" must be of type {expected}')


def opt_int(params: Mapping[str, object], name: str) -> int | None:
    """An optional Integer parameter."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise _type_error(name, "Integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _type_error(name, "Integer")


def req_int(params: Mapping[str, object], name: str) -> int:
    """A required Integer parameter (presence is also checked by the spec)."""
    value = opt_int(params, name)
    if value is None:
        raise bad_request(f"{name} is empty")
    return value


def opt_str(params: Mapping[str, object], name: str) -> str | None:
    """An optional String parameter; numbers are accepted as their text, like Telegram does."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _type_error(name, "String")


def req_str(params: Mapping[str, object], name: str) -> str:
    """A required String parameter."""
    value = opt_str(params, name)
    if value is None:
        raise bad_request(f"{name} is empty")
    return value


def opt_bool(params: Mapping[str, object], name: str) -> bool:
    """A Boolean parameter; absent means False."""
    value = params.get(name)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _type_error(name, "Boolean")


def opt_list(params: Mapping[str, object], name: str) -> list[object] | None:
    """A JSON-serialized Array parameter."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        return value
    raise bad_request(f"can't parse {name} JSON object")


def opt_dict(params: Mapping[str, object], name: str) -> dict[str, object] | None:
    """A JSON-serialized object parameter."""
    value = params.get(name)
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    raise bad_request(f"can't parse {name} JSON object")
