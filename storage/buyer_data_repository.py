"""A buyer's own data: every row the shop keeps about one person, read out (``/mydata``) and
erased (``/deleteme``).

``SqlBuyerDataRepository`` (``uow.buyer_data``, one session) takes its export from
``storage/buyer_data_export.py`` and its holds and erasure from ``storage/buyer_data_erasure.py``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage.buyer_data_erasure import SqlBuyerDataErasure
from storage.buyer_data_export import SqlBuyerDataExport
from storage.read_cache import RecentBuyers


class SqlBuyerDataRepository(SqlBuyerDataExport, SqlBuyerDataErasure):
    def __init__(self, session: AsyncSession, recent: RecentBuyers | None = None) -> None:
        self._s = session
        self._recent = recent
