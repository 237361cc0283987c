"""The buyer's own data (``bot.services.buyer_data``) on SQLite and PostgreSQL: the export
holds the buyer's rows and nothing of another buyer; the erasure waits while an order still
needs them, then deletes what is personal and anonymises what the merchant keeps."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from bot.domain.privacy import HoldKind
from bot.services import buyer_data
from storage.admin_tables import InteractionRow
from storage.group_tables import TeamRow, TeamSeatRow
from storage.order_tables import (
    CouponCodeRow,
    CouponRow,
    CouponUseRow,
    NotificationRow,
    OrderLineRow,
    OrderRow,
)
from storage.tables import CartLineRow, SearchRow, UserRow, VariantRow
from storage.trust_tables import BuyerInviteRow, InviteCodeRow, ReviewRow
from storage.unit_of_work import SqlUnitOfWorkFactory

ANN, BOB, ADMIN = 51_001, 51_002, 51_999
NOW = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


async def _world(uows: SqlUnitOfWorkFactory, ann_status: str = "delivered") -> dict[str, int]:
    """Ann and Bob, each with an order (with a line and delivery details), a cart line,
    a review, a coupon use, a view and a search; Bob invited Ann."""
    ids: dict[str, int] = {}
    async with uows.sessions() as s:
        variant = (await s.execute(select(VariantRow).limit(1))).scalars().one()
        coupon = CouponRow(code="SPRING10", kind="percent", percent=10)
        s.add(coupon)
        await s.flush()
        for who, name, status in ((ANN, "Ann", ann_status), (BOB, "Bob", "delivered")):
            s.add(UserRow(id=who, first_name=name, username=name.lower(), language_code="en"))
            await s.flush()
            order = OrderRow(
                user_id=who,
                chat_id=who,
                status=status,
                token=f"tok{who}",
                currency="USD",
                items_minor=2500,
                total_minor=2500,
                ship_name=f"{name} Person",
                ship_phone=f"+1555{who}",
                ship_address=f"{who} {name} Street, Springfield",
            )
            s.add(order)
            await s.flush()
            assert order.id is not None
            ids[name] = order.id
            s.add(
                OrderLineRow(
                    order_id=order.id,
                    variant_id=variant.id,
                    product_id=variant.product_id,
                    sku=variant.sku,
                    name=f"Mug for {name}",
                    unit_minor=2500,
                    quantity=1,
                )
            )
            s.add(CartLineRow(user_id=who, variant_id=variant.id, quantity=2))
            s.add(
                ReviewRow(
                    product_id=variant.product_id,
                    user_id=who,
                    order_id=order.id,
                    rating=5,
                    text=f"{name} loves it",
                )
            )
            s.add(CouponUseRow(coupon_id=coupon.id, user_id=who, uses=1))
            s.add(CouponCodeRow(coupon_id=coupon.id, code=f"ONCE{who}", used_by=who, used_at=NOW))
            s.add(InteractionRow(user_id=who, product_id=variant.product_id, kind="view", at=NOW))
            s.add(SearchRow(user_id=who, query=f"{name.lower()} words"))
        s.add(InviteCodeRow(user_id=ANN, code="ANNCODE1"))
        s.add(CouponRow(code="FRIEND-ANN1", kind="percent", percent=5, owner_id=ANN))
        s.add(CouponRow(code="FRIEND-BOB1", kind="percent", percent=5, owner_id=BOB))
        for who in (ANN, BOB):  # the owner's copy of a notice about each buyer, sent
            s.add(
                NotificationRow(
                    chat_id=ADMIN,
                    kind="return_requested_admin",
                    params=json.dumps({"order": 1, "user": who}),
                    status="sent",
                )
            )
        s.add(BuyerInviteRow(invitee_id=ANN, inviter_id=BOB, status="rewarded"))
        await s.commit()
    return ids


async def test_the_export_holds_the_buyers_rows_and_none_of_another(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    ids = await _world(demo_uows)
    async with demo_uows() as uow:
        data = await buyer_data.export(uow, ANN, NOW, "Shop")
    text = data.decode()
    doc = json.loads(text)
    assert doc["user_id"] == ANN
    assert doc["profile"][0]["first_name"] == "Ann"
    [order] = doc["orders"]
    assert order["id"] == ids["Ann"]
    assert order["ship_address"] == f"{ANN} Ann Street, Springfield"
    assert [line["name"] for line in order["lines"]] == ["Mug for Ann"]
    assert doc["cart"][0]["quantity"] == 2
    assert doc["reviews"][0]["text"] == "Ann loves it"
    assert doc["coupons_used"] == [{"code": "SPRING10", "uses": 1}]
    assert [(c["code"], c["coupon"]) for c in doc["one_time_codes_used"]] == [
        (f"ONCE{ANN}", "SPRING10")
    ]
    assert len(doc["interests"]) == 1
    assert doc["searches"][0]["query"] == "ann words"
    assert doc["invite_code"][0]["code"] == "ANNCODE1"
    assert [c["code"] for c in doc["coupons_owned"]] == ["FRIEND-ANN1"]
    assert doc["invited_by"] == [
        {k: v for k, v in doc["invited_by"][0].items() if k != "inviter_id"}
    ]
    # Nothing of Bob: not his id (not even as Ann's inviter), not his order, name or address.
    for bob in (str(BOB), "Bob", "bob", "Mug for Bob"):
        # As a whole word: an id's digits may well sit inside a timestamp's microseconds.
        assert not re.search(rf"(?<![\w.+]){re.escape(bob)}(?!\w)", text), bob
    assert ids["Bob"] not in [o["id"] for o in doc["orders"]]


async def test_a_payment_under_way_keeps_the_erasure_waiting(uows: SqlUnitOfWorkFactory) -> None:
    async with uows.sessions() as s:
        s.add(UserRow(id=ANN, first_name="Ann"))
        await s.flush()
        held = OrderRow(
            user_id=ANN, chat_id=ANN, token="t1", currency="USD", items_minor=100,
            ship_address="1 Lane", held_until=NOW + timedelta(minutes=10),
        )  # fmt: skip
        unpaid = OrderRow(user_id=ANN, chat_id=ANN, token="t2", currency="USD", items_minor=100)
        s.add_all([held, unpaid])
        await s.commit()
    async with uows() as uow:
        found = await buyer_data.holds(uow, ANN)
        outcome = await buyer_data.erase(uow, ANN, ANN, NOW)
        await uow.commit()
    assert [(h.kind, h.ref) for h in found] == [
        (HoldKind.PAYING, held.id),
        (HoldKind.UNPAID, unpaid.id),
    ]
    assert [(h.kind, h.ref) for h in outcome.holds] == [(HoldKind.PAYING, held.id)]
    assert outcome.rows == {}
    async with uows.sessions() as s:
        assert await s.get(UserRow, ANN) is not None
        for order in (held, unpaid):
            row = await s.get(OrderRow, order.id)
            assert row is not None and row.user_id == ANN and row.status == "pending"
        row = await s.get(OrderRow, held.id)
        assert row is not None and row.ship_address == "1 Lane"


async def test_the_erasure_deletes_the_personal_and_anonymises_the_orders(
    demo_uows: SqlUnitOfWorkFactory,
) -> None:
    ids = await _world(demo_uows)
    async with demo_uows.sessions() as s:
        invoice = OrderRow(user_id=ANN, chat_id=ANN, token="inv", currency="USD", items_minor=9)
        s.add(invoice)
        await s.commit()
    async with demo_uows() as uow:
        outcome = await buyer_data.erase(uow, ANN, ANN, NOW)
        await uow.commit()
    assert outcome.holds == []
    assert outcome.rows["orders"] == 2 and outcome.rows["orders_cancelled"] == 1
    assert outcome.rows["profile"] == 1
    async with demo_uows.sessions() as s:
        assert await s.get(UserRow, ANN) is None
        order = await s.get(OrderRow, ids["Ann"])
        assert order is not None
        assert order.user_id < 0 and order.chat_id == order.user_id
        assert (order.ship_name, order.ship_phone, order.ship_address) == (None, None, None)
        assert (order.status, order.total_minor) == ("delivered", 2500)
        cancelled = await s.get(OrderRow, invoice.id)  # the unpaid invoice: cancelled, kept
        assert cancelled is not None and cancelled.status == "cancelled"
        assert cancelled.user_id == order.user_id and cancelled.closed_at is not None
        lines = (
            (await s.execute(select(OrderLineRow).where(col(OrderLineRow.order_id) == order.id)))
            .scalars()
            .all()
        )
        assert [line.name for line in lines] == ["Mug for Ann"]
        reviews = (await s.execute(select(ReviewRow).order_by(col(ReviewRow.id)))).scalars()
        by_owner = {r.user_id: r for r in reviews}
        assert ANN not in by_owner
        assert by_owner[order.user_id].text == "" and by_owner[order.user_id].rating == 5
        assert by_owner[BOB].text == "Bob loves it"
        for table, column in (
            (CartLineRow, CartLineRow.user_id),
            (InteractionRow, InteractionRow.user_id),
            (SearchRow, SearchRow.user_id),
            (CouponUseRow, CouponUseRow.user_id),
            (InviteCodeRow, InviteCodeRow.user_id),
            (BuyerInviteRow, BuyerInviteRow.invitee_id),
        ):
            mine = (await s.execute(select(table).where(col(column) == ANN))).all()
            assert mine == [], table
        uses = (await s.execute(select(CouponUseRow.user_id))).scalars().all()
        once = dict((await s.execute(select(CouponCodeRow.code, CouponCodeRow.used_by))).all())
        # Ann's one-time code stays used (under the marker): clearing it would free it again.
        assert once == {f"ONCE{ANN}": order.user_id, f"ONCE{BOB}": BOB}
        assert sorted(uses) == sorted([order.user_id, BOB])  # the coupon count is kept
        owned = {c.code: c for c in (await s.execute(select(CouponRow))).scalars()}
        assert owned["FRIEND-ANN1"].owner_id == order.user_id
        assert not owned["FRIEND-ANN1"].active
        assert owned["FRIEND-BOB1"].owner_id == BOB and owned["FRIEND-BOB1"].active
        notices = (await s.execute(select(NotificationRow.params))).scalars().all()
        assert [json.loads(p)["user"] for p in notices] == [BOB]
        # Bob is untouched.
        bob = await s.get(UserRow, BOB)
        assert bob is not None and bob.first_name == "Bob"
        bob_order = await s.get(OrderRow, ids["Bob"])
        assert bob_order is not None and bob_order.user_id == BOB
        assert bob_order.ship_address == f"{BOB} Bob Street, Springfield"
        bobs = (await s.execute(select(CartLineRow).where(col(CartLineRow.user_id) == BOB))).all()
        assert len(bobs) == 1
    async with demo_uows() as uow:
        doc = json.loads(await buyer_data.export(uow, ANN, NOW, "Shop"))
    assert doc["profile"] == [] and doc["orders"] == [] and doc["reviews"] == []


async def test_a_held_group_seat_and_a_team_led_keep_the_erasure_waiting(
    uows: SqlUnitOfWorkFactory,
) -> None:
    """A seat held for an unpaid order counts in its team until paid or released, and the
    open team Ann leads needs its leader: neither is cancelled by an erasure."""
    async with uows.sessions() as s:
        s.add_all([UserRow(id=ANN, first_name="Ann"), UserRow(id=BOB, first_name="Bob")])
        await s.flush()
        team = TeamRow(
            variant_id=1, product_id=1, leader_id=BOB, size=3, taken=1, currency="USD",
            price_minor=900, regular_minor=1200, deadline=NOW + timedelta(days=1),
        )  # fmt: skip
        led = TeamRow(
            variant_id=1, product_id=1, leader_id=ANN, size=3, currency="USD",
            price_minor=900, regular_minor=1200, deadline=NOW + timedelta(days=1),
        )  # fmt: skip
        seat_order = OrderRow(user_id=ANN, chat_id=ANN, token="g1", currency="USD", items_minor=9)
        s.add_all([team, led, seat_order])
        await s.flush()
        assert team.id is not None and seat_order.id is not None
        s.add(TeamSeatRow(team_id=team.id, user_id=ANN, order_id=seat_order.id))
        await s.commit()
    async with uows() as uow:
        outcome = await buyer_data.erase(uow, ANN, ANN, NOW)
        await uow.commit()
    assert [(h.kind, h.ref) for h in outcome.holds] == [
        (HoldKind.PAYING, seat_order.id),
        (HoldKind.TEAM, led.id),
    ]
    async with uows.sessions() as s:
        assert await s.get(UserRow, ANN) is not None
        row = await s.get(OrderRow, seat_order.id)
        assert row is not None and (row.user_id, row.status) == (ANN, "pending")
