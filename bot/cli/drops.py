"""``storefront drops …``: compose a drop, preview it, send it, follow it, cancel it. The
running bot does the sending (within a few seconds), at Telegram's pace."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.cli.common import Subparsers, with_app

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.services.ports import UnitOfWork


def add_parsers(sub: Subparsers) -> None:
    drop = sub.add_parser("drops", help="broadcasts to subscribers, groups and channels")
    dsub = drop.add_subparsers(dest="drops_command", required=True)
    create = dsub.add_parser("create", help="compose a drop (a draft)")
    create.add_argument("--text", required=True)
    media = create.add_mutually_exclusive_group()
    media.add_argument("--photo", help="URL, file or Telegram file_id")
    media.add_argument("--video", help="URL, file or Telegram file_id")
    create.add_argument(
        "--button", action="append", default=[], help="buy:SKU, sale:ID or coupon:CODE"
    )
    create.add_argument(
        "--audience", default="all", help="all, lang:zh, tag:spicy, chats:ID,ID, interest:snacks"
    )
    create.add_argument(
        "--paid", action="store_true", help="allow_paid_broadcast: up to 1,000/s, paid in Stars"
    )
    create.set_defaults(func=with_app(create_drop))
    for name, text, run in (
        ("preview", "send it to ADMIN_IDS only", preview_drop),
        ("send", "send it to its audience", send_drop),
        ("cancel", "stop sending it", cancel_drop),
    ):
        one = dsub.add_parser(name, help=text)
        one.add_argument("id", type=int)
        one.set_defaults(func=with_app(run))
    dsub.add_parser("list", help="recent drops with their progress").set_defaults(
        func=with_app(list_drops)
    )


async def _change(app: App, change: Callable[[UnitOfWork, datetime], Awaitable[str]]) -> int:
    """One change to the drops in one transaction: its message once committed, or what the
    drop rules refused."""
    from bot.domain.drops import DropError

    now = datetime.now(UTC)
    async with app.uows() as uow:
        try:
            message = await change(uow, now)
        except DropError as exc:
            print(f"storefront: {exc}")
            return 2
        await uow.commit()
    print(message)
    return 0


async def create_drop(app: App, args: argparse.Namespace) -> int:
    from bot.domain.drops import MediaKind
    from bot.services import drops

    async def create(uow: UnitOfWork, now: datetime) -> str:
        kind = MediaKind.PHOTO if args.photo else MediaKind.VIDEO if args.video else None
        drop_id = await drops.compose(
            uow,
            args.text,
            kind or MediaKind.NONE,
            args.photo or args.video,
            args.button,
            args.audience,
            args.paid,
            now,
        )
        return f"Drop #{drop_id} saved as a draft: `storefront drops preview {drop_id}`"

    return await _change(app, create)


async def preview_drop(app: App, args: argparse.Namespace) -> int:
    from bot.services import drops

    async def preview(uow: UnitOfWork, now: datetime) -> str:
        copy = await drops.preview(uow, args.id, tuple(app.settings.admin_ids), now)
        return f"Preview sent as drop #{copy} to ADMIN_IDS."

    return await _change(app, preview)


async def send_drop(app: App, args: argparse.Namespace) -> int:
    from bot.services import drops

    async def send(uow: UnitOfWork, now: datetime) -> str:
        policy = app.storefront.config.alerts  # the buyers' alert choices apply
        started = await drops.send(uow, args.id, app.settings.drops_per_day, now, policy)
        return f"Drop #{args.id} is going to {started.recipients} chats."

    return await _change(app, send)


async def cancel_drop(app: App, args: argparse.Namespace) -> int:
    from bot.domain.drops import DropError, DropStatus

    async def cancel(uow: UnitOfWork, now: datetime) -> str:
        if not await uow.drops.finish(args.id, DropStatus.CANCELLED, now):
            raise DropError(f"drop #{args.id} is not sending")
        return f"Drop #{args.id} cancelled; what was sent stays sent."

    return await _change(app, cancel)


async def list_drops(app: App, args: argparse.Namespace) -> int:
    async with app.uows() as uow:
        recent = await uow.drops.recent(20)
        if not recent:
            print("No drops yet.")
        for d in recent:
            p = await uow.drops.progress(d.id)
            print(
                f"#{d.id:<5} {d.status.value:<9} {str(d.audience)[:24]:<24} "
                f"sent {p.sent}/{p.total} · not delivered {p.failed} · left {p.pending}"
            )
    return 0
