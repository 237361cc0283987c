"""Answers to queries a person started: callback (button) queries and inline queries.

Telegram accepts one answer per query id. Bots that answer twice, answer a forged id, or answer
far too late get "query is too old...", and a shop bot must never crash on it; so the stand-in
enforces the rule instead of answering ``true`` to everything.
"""

from __future__ import annotations

from bot.standin.errors import QUERY_TOO_OLD, bad_request
from bot.standin.keyboards import check_reply_markup
from bot.standin.param_values import opt_list, opt_str, req_str
from bot.standin.state import Handler, QueryRecord, StandInState

MAX_CALLBACK_ANSWER = 200
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64


def take_query(state: StandInState, query_id: str, kind: str) -> QueryRecord:
    """Mark a query answered, or raise Telegram's 400 for unknown or already answered ones."""
    record = state.queries.get(query_id)
    if record is None or record.kind != kind or record.answered:
        raise bad_request(QUERY_TOO_OLD)
    record.answered = True
    return record


def answer_callback_query(state: StandInState, params: dict[str, object]) -> object:
    """answerCallbackQuery: once per query; notification text up to 200 characters."""
    text = opt_str(params, "text")
    if text is not None and len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    record = take_query(state, req_str(params, "callback_query_id"), "callback_query")
    record.answer = dict(params)
    return True


def answer_inline_query(state: StandInState, params: dict[str, object]) -> object:
    """answerInlineQuery: at most 50 results with unique ids of at most 64 bytes.

    Each result's fields were already checked against the Bot API's types before this runs
    (``spec.DEEP_PARAMETERS``: an unknown field, a missing required one or an unknown ``type``
    is a violation); what is checked here are Telegram's rules beyond the description."""
    results = opt_list(params, "results")
    if results is None:
        raise bad_request("can't parse inline query results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict) or not isinstance(result.get("type"), str):
            raise bad_request("can't parse InlineQueryResult JSON object")
        result_id = str(result.get("id", ""))
        if not result_id or len(result_id.encode("utf-8")) > MAX_RESULT_ID_BYTES:
            raise bad_request("RESULT_ID_INVALID")
        if result_id in seen:
            raise bad_request("RESULT_ID_DUPLICATE")
        seen.add(result_id)
        check_reply_markup(result.get("reply_markup"))
    next_offset = opt_str(params, "next_offset")
    if next_offset is not None and len(next_offset.encode("utf-8")) > MAX_RESULT_ID_BYTES:
        raise bad_request("NEXT_OFFSET_INVALID")
    record = take_query(state, req_str(params, "inline_query_id"), "inline_query")
    record.answer = dict(params)
    return True


HANDLERS: dict[str, Handler] = {
    "answerCallbackQuery": answer_callback_query,
    "answerInlineQuery": answer_inline_query,
}
