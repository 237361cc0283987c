"""Telegram's error answers, with the exact wording bots match on.

Bots (and aiogram/python-telegram-bot) branch on the HTTP status, on ``parameters.retry_after``
and sometimes on the description text ("message is not modified", "query is too old"), so the
stand-in reuses Telegram's own strings instead of inventing its own.
"""

from __future__ import annotations

MESSAGE_TO_EDIT_NOT_FOUND = "message to edit not found"
MESSAGE_TO_DELETE_NOT_FOUND = "message to delete not found"
MESSAGE_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
NO_TEXT_TO_EDIT = "there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "there is no caption in the message to edit"
NO_MEDIA_TO_EDIT = "there is no media in the message to edit"
MESSAGE_CANT_BE_EDITED = "message can't be edited"
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
BUTTON_DATA_INVALID = "BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "BUTTON_URL_INVALID"
MESSAGE_TEXT_EMPTY = "message text is empty"
MESSAGE_TOO_LONG = "message is too long"
CAPTION_TOO_LONG = "message caption is too long"
CHAT_NOT_FOUND = "chat not found"
WRONG_FILE_IDENTIFIER = "wrong file identifier/HTTP URL specified"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
BLOCKED_BY_USER = "Forbidden: bot was blocked by the user"
KICKED_FROM_GROUP = "Forbidden: bot was kicked from the group chat"
NOT_IN_CHANNEL = "Forbidden: bot is not a member of the channel chat"
NO_PIN_RIGHTS = "not enough rights to manage pinned messages in the chat"


class ApiError(Exception):
    """A failed Bot API call: raised by method handlers, turned into Telegram's JSON envelope."""

    def __init__(
        self,
        error_code: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, object]:
        """The JSON body Telegram sends with this error (``parameters`` only when relevant)."""
        body: dict[str, object] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        parameters: dict[str, int] = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(detail: str) -> ApiError:
    """400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """429 flood-control answer that both frameworks turn into a retry-after exception."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def unauthorized() -> ApiError:
    """401 for a token the server does not know."""
    return ApiError(401, "Unauthorized")


def default_description(error_code: int, retry_after: int | None) -> str:
    """Telegram's usual wording for an error code, for faults injected without a description."""
    if error_code == 429:
        return f"Too Many Requests: retry after {retry_after or 1}"
    if error_code == 403:
        return BLOCKED_BY_USER
    if error_code == 401:
        return "Unauthorized"
    if error_code == 409:
        return POLL_CONFLICT
    if error_code == 400:
        return "Bad Request: injected failure"
    if error_code == 502:
        return "Bad Gateway"
    if error_code >= 500:
        return "Internal Server Error"
    return f"Error {error_code}"
