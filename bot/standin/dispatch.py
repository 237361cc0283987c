"""One Bot API call from decoded request to Telegram's envelope: check, fault, run, record.

The order mirrors what matters to tests: a call that breaks the description is a violation even
if a fault was planned for it; faults come before the method runs so a 429 changes nothing;
every call, good or bad, is recorded.
"""

from __future__ import annotations

import inspect
import logging

from bot.standin import bot_methods, edit_methods, payment_methods, query_methods, send_methods
from bot.standin.call_log import CallLog
from bot.standin.errors import ApiError, bad_request
from bot.standin.faults import ChatKey, FaultInjector
from bot.standin.request_decoding import (
    RawRequest,
    contains_upload,
    decode_params,
    recordable,
)
from bot.standin.state import Handler, StandInState

_log = logging.getLogger(__name__)

Envelope = dict[str, object]


def _handler_table() -> dict[str, Handler]:
    table: dict[str, Handler] = {}
    for module in (bot_methods, send_methods, edit_methods, query_methods, payment_methods):
        table.update({name.lower(): handler for name, handler in module.HANDLERS.items()})
    return table


class MethodDispatcher:
    """Runs calls against the state; methods without a handler answer ``true``."""

    def __init__(
        self,
        state: StandInState,
        faults: FaultInjector,
        log: CallLog,
        violations: list[str],
        *,
        check_calls: bool = True,
    ) -> None:
        self._state = state
        #: False: calls are not checked against the description (the benchmarks' fast path).
        self._check_calls = check_calls
        self._faults = faults
        self._log = log
        self._violations = violations
        self._handlers = _handler_table()

    @property
    def implemented(self) -> list[str]:
        """Lower-cased names of methods with realistic behaviour (others answer ``true``)."""
        return sorted(self._handlers)

    async def execute(self, method: str, raw: RawRequest) -> tuple[int, Envelope]:
        """Answer one call: ``(http_status, json_body)``."""
        spec = self._state.spec
        method_spec = spec.method(method)
        name = method_spec.name if method_spec else method
        params = decode_params(method_spec, raw)
        problems = spec.validate(method, params) if self._check_calls else []
        if problems:
            self._violations.extend(problems)
            return self._fail(name, params, bad_request("; ".join(problems)))
        fault = self._faults.check(name, params, self._chat_type)
        if fault is not None:
            return self._fail(name, params, fault)
        handler = self._handlers.get(name.lower())
        try:
            result: object = True if handler is None else handler(self._state, params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            return self._fail(name, params, error)
        except Exception as exc:
            _log.exception("stand-in failed on %s", name)
            self._violations.append(f"{name}: stand-in internal error {exc!r}")
            return self._fail(name, params, ApiError(500, "Internal Server Error"))
        self._log.record(name, self._recorded(params), result, ok=True, status=200)
        return 200, {"ok": True, "result": result}

    def record_unauthorized(self, method: str, raw: RawRequest) -> tuple[int, Envelope]:
        """A call with a wrong token: 401, recorded but not checked further."""
        return self._fail(method, dict(raw.fields), ApiError(401, "Unauthorized"))

    def _fail(self, name: str, params: dict[str, object], error: ApiError) -> tuple[int, Envelope]:
        body = error.payload()
        self._log.record(name, self._recorded(params), body, ok=False, status=error.error_code)
        return error.error_code, body

    @staticmethod
    def _recorded(params: dict[str, object]) -> dict[str, object]:
        if contains_upload(params):
            converted = recordable(params)
            return converted if isinstance(converted, dict) else params
        return params

    def _chat_type(self, key: ChatKey) -> str | None:
        if isinstance(key, int):
            record = self._state.chats.get(key)
            return record.chat_type if record else None
        return None
