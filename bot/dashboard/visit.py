"""One dashboard request once its caller is known: their role and language, one unit of work,
the form they sent, and what the answer is (a fragment of HTML and the page it shows)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.conversation.texts import Texts
from bot.conversation.turn import ShopConfig
from bot.dashboard.auth import WebAppUser
from bot.domain.money import Money
from bot.domain.staff import Permission, Role, can
from bot.services.payment_port import CardGateway
from bot.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Page:
    """An answer: ``body`` is HTML (escaped already); ``at`` names the page it shows."""

    body: str
    at: str
    status: int = 200
    content_type: str = "text/html"
    data: bytes | None = None
    filename: str | None = None


class Forbidden(Exception):
    """The caller's role does not allow this (answered 403, nothing changed)."""


class NotFound(Exception):
    """No such product, order, coupon... (answered 404)."""


@dataclass
class Visit:
    uow: UnitOfWork
    user: WebAppUser
    role: Role
    tx: Texts
    now: datetime
    config: ShopConfig
    card: CardGateway | None
    media_dir: Path
    query: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, Upload] = field(default_factory=dict)
    #: Set by a change: the unit of work is committed after the page is made.
    changed: bool = False
    #: Set when notices or refunds were queued: the outbox worker is woken after the commit.
    outbox: bool = False

    def can(self, permission: Permission) -> bool:
        return can(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not can(self.role, permission):
            raise Forbidden(permission.value)

    def t(self, key: str, **values: object) -> str:
        """A text as plain text (the page escapes it once, when it is put in HTML)."""
        return self.tx.label(key, **values)

    def money(self, amount: Money) -> str:
        """Money in the caller's locale, as plain text."""
        return html.unescape(self.tx.money(amount))

    async def audit(self, action: str, target: str = "", **detail: object) -> None:
        """The console's audit log, with the same action names as the chat console."""
        await self.uow.audit.write(
            self.user.id, self.role, action, target, {"via": "dashboard", **detail}, self.now
        )
        self.changed = True
