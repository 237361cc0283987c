"""Methods about the bot itself and its connection: getMe, updates, webhook, commands, chats,
files. These are what a framework calls on start-up, so they must answer exactly in shape."""

from __future__ import annotations

import json
import re

from bot.standin.errors import WEBHOOK_CONFLICT, ApiError, bad_request
from bot.standin.faults import chat_key
from bot.standin.param_values import opt_bool, opt_dict, opt_int, opt_list, opt_str, req_str
from bot.standin.state import Handler, StandInState

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE = re.compile(r"[a-z]{2}")
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def get_me(state: StandInState, params: dict[str, object]) -> object:
    """getMe: the bot's User with the bot-only capability flags."""
    return state.bot_profile


async def get_updates(state: StandInState, params: dict[str, object]) -> object:
    """getUpdates: offset/limit/timeout/allowed_updates; 409 while a webhook is set."""
    if state.webhook is not None and state.webhook.active:
        raise ApiError(409, WEBHOOK_CONFLICT)
    limit = opt_int(params, "limit")
    limit = 100 if limit is None else min(max(limit, 1), 100)
    timeout = max(opt_int(params, "timeout") or 0, 0)
    if "allowed_updates" in params:
        state.updates.set_allowed(opt_list(params, "allowed_updates"))
    return await state.updates.get_updates(opt_int(params, "offset"), limit, timeout)


async def set_webhook(state: StandInState, params: dict[str, object]) -> object:
    """setWebhook; http:// is accepted (Telegram wants https) so tests can use loopback."""
    url = opt_str(params, "url") or ""
    secret = opt_str(params, "secret_token")
    if secret is not None and not _SECRET_TOKEN.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    max_connections = opt_int(params, "max_connections")
    if max_connections is not None and not 1 <= max_connections <= 100:
        raise bad_request("bad webhook: max_connections must be 1-100")
    if "allowed_updates" in params:
        state.updates.set_allowed(opt_list(params, "allowed_updates"))
    if opt_bool(params, "drop_pending_updates"):
        state.updates.drop_all()
    assert state.webhook is not None
    if not url:
        await state.webhook.clear()
        return True
    state.webhook.configure(
        url,
        secret_token=secret,
        max_connections=max_connections,
        ip_address=opt_str(params, "ip_address"),
    )
    return True


async def delete_webhook(state: StandInState, params: dict[str, object]) -> object:
    """deleteWebhook; ``drop_pending_updates`` forgets what was queued."""
    if opt_bool(params, "drop_pending_updates"):
        state.updates.drop_all()
    if state.webhook is not None:
        await state.webhook.clear()
    return True


def get_webhook_info(state: StandInState, params: dict[str, object]) -> object:
    """getWebhookInfo: url, pending count and the last delivery error."""
    assert state.webhook is not None
    return state.webhook.info()


def _commands_key(params: dict[str, object]) -> tuple[str, str]:
    """Commands are stored per (scope, language_code), and looked up exactly so."""
    scope = opt_dict(params, "scope") or {"type": "default"}
    if scope.get("type") not in SCOPE_TYPES:
        raise bad_request("can't parse BotCommandScope JSON object")
    normalised = dict(scope)
    if "chat_id" in normalised:
        normalised["chat_id"] = chat_key(normalised["chat_id"])
    language = opt_str(params, "language_code") or ""
    if language and not _LANGUAGE.fullmatch(language):
        raise bad_request("LANG_CODE_INVALID")
    return json.dumps(normalised, sort_keys=True), language


def set_my_commands(state: StandInState, params: dict[str, object]) -> object:
    """setMyCommands: Telegram's rules for command names and descriptions."""
    commands = opt_list(params, "commands") or []
    if len(commands) > 100:
        raise bad_request("too many commands")
    checked: list[dict[str, object]] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand JSON object")
        command = item.get("command")
        description = item.get("description")
        if not isinstance(command, str) or not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        checked.append({"command": command, "description": description})
    key = _commands_key(params)
    if checked:
        state.commands[key] = checked
    else:
        state.commands.pop(key, None)
    return True


def get_my_commands(state: StandInState, params: dict[str, object]) -> object:
    """getMyCommands for exactly this scope and language (no fallback, as in Telegram)."""
    return list(state.commands.get(_commands_key(params), []))


def delete_my_commands(state: StandInState, params: dict[str, object]) -> object:
    """deleteMyCommands for one scope and language."""
    state.commands.pop(_commands_key(params), None)
    return True


def get_chat(state: StandInState, params: dict[str, object]) -> object:
    """getChat: ChatFullInfo with the fields Bot API 9+ makes required."""
    record = state.chats.resolve(params.get("chat_id"))
    info: dict[str, object] = {
        **record.chat,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }
    if record.pinned and record.pinned[-1] in record.messages:
        info["pinned_message"] = record.messages[record.pinned[-1]].message
    return info


def get_chat_member(state: StandInState, params: dict[str, object]) -> object:
    """getChatMember: the bot administers groups and channels; known people are members."""
    record = state.chats.resolve(params.get("chat_id"))
    user_id = opt_int(params, "user_id")
    if user_id == state.bot_id:
        if record.chat_type == "private":
            return {"status": "member", "user": state.bot_user}
        rights = dict.fromkeys(_ADMIN_RIGHTS, True)
        rights.update(can_be_edited=False, is_anonymous=False)
        return {"status": "administrator", "user": state.bot_user, **rights}
    user = state.users.get(user_id or 0)
    if user is None:
        raise bad_request("user not found")
    if user_id in record.admins and record.chat_type != "private":
        rights = dict.fromkeys(_ADMIN_RIGHTS, True)
        # can_send_welcome_messages: required by aiogram 3's model, newer than the spec here.
        rights.update(can_be_edited=False, is_anonymous=False, can_send_welcome_messages=True)
        return {"status": "administrator", "user": user, **rights}
    known = record.chat_type != "private" or record.chat_id == user_id
    return {"status": "member" if known else "left", "user": user}


def get_chat_member_count(state: StandInState, params: dict[str, object]) -> object:
    """getChatMemberCount: the person and the bot in private chats."""
    record = state.chats.resolve(params.get("chat_id"))
    return 2 if record.chat_type == "private" else max(2, len(state.users) + 1)


def get_file(state: StandInState, params: dict[str, object]) -> object:
    """getFile: a File whose path the ``/file/bot<token>/`` route serves."""
    stored = state.files.get(req_str(params, "file_id"))
    if stored is None:
        raise bad_request("invalid file_id")
    return state.files.file_object(stored)


def always_true(state: StandInState, params: dict[str, object]) -> object:
    """close / logOut and similar housekeeping calls."""
    return True


HANDLERS: dict[str, Handler] = {
    "getMe": get_me,
    "getUpdates": get_updates,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "getChat": get_chat,
    "getChatMember": get_chat_member,
    "getChatMemberCount": get_chat_member_count,
    "getFile": get_file,
    "close": always_true,
    "logOut": always_true,
}
