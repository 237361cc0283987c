"""A buyer's own data: the export ``/mydata`` sends as a JSON file, and the erasure of
``/deleteme`` (refused while something still needs the buyer: ``bot.domain.privacy``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.domain.privacy import Hold, anonymous_marker, blocking
from bot.services.ports import UnitOfWork

#: What the export's file says it is (a reader can tell a later layout from this one).
EXPORT_FORMAT = "storefront-buyer-data/1"


async def export(uow: UnitOfWork, user_id: int, now: datetime, shop: str) -> bytes:
    """Everything the shop holds about ``user_id``, as UTF-8 JSON."""
    record: dict[str, object] = {**await uow.buyer_data.export(user_id)}
    record["support_threads"] = await uow.support.export(user_id)
    document: dict[str, object] = {
        "format": EXPORT_FORMAT,
        "shop": shop,
        "user_id": user_id,
        "made_at": now.isoformat(),
        **record,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()


async def holds(uow: UnitOfWork, user_id: int) -> list[Hold]:
    """What an erasure would meet now: the blocking holds, and the unpaid invoices it would
    cancel (``bot.domain.privacy.blocking`` tells them apart)."""
    return await uow.buyer_data.holds(user_id)


@dataclass(frozen=True, slots=True)
class Erasure:
    #: Empty when the data was erased; else what keeps it waiting (nothing was changed).
    holds: list[Hold]
    #: How many rows each section lost or had anonymised.
    rows: dict[str, int]


async def erase(uow: UnitOfWork, user_id: int, chat_id: int, now: datetime) -> Erasure:
    """Erase the buyer's personal data, unless something still needs them (checked again
    here, in the erasure's own transaction: an order may have been paid since they asked)."""
    waiting = blocking(await uow.buyer_data.holds(user_id))
    if waiting:
        return Erasure(waiting, {})
    marker = anonymous_marker()
    rows = await uow.buyer_data.erase(user_id, marker, now)
    rows |= await uow.support.erase(user_id, marker)
    await uow.ui_states.clear(user_id, chat_id)  # a step kept in Redis goes too
    return Erasure([], rows)
