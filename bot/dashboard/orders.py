"""Dashboard section: orders. A list by status and date, one order's page, and the chat
console's actions through the same services (``services/merchant_orders.py``): mark shipped
with a tracking number, cancel, refund (owners). The buyer hears of each exactly as when the
merchant acts in chat: the same notice, queued in the same transaction, sent by the outbox."""

from __future__ import annotations

from datetime import date

from bot.dashboard import page
from bot.dashboard.page import esc, tag
from bot.dashboard.products import tabs
from bot.dashboard.visit import NotFound, Page, Visit
from bot.domain.money import Money, parse_major
from bot.domain.orders import REFUNDABLE, OrderStatus, address_line, can_cancel
from bot.domain.staff import Permission
from bot.services import merchant_orders
from bot.services.merchant_orders import OrderFilter
from bot.services.order_ports import Order
from bot.services.orders import Refused

#: Orders a list looks through (the newest of its status) before the date filter.
LIST_LIMIT = 200
#: As in chat: carriers' tracking numbers are well under this.
MAX_TRACKING = 64


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


async def order_list(visit: Visit) -> Page:
    visit.require(Permission.ORDERS)
    raw = visit.query.get("status", OrderFilter.ALL.value)
    which = OrderFilter(raw) if raw in OrderFilter.__members__.values() else OrderFilter.ALL
    start, end = _day(visit.query.get("from", "")), _day(visit.query.get("to", ""))
    problems = []
    if visit.query.get("from") and start is None or visit.query.get("to") and end is None:
        problems.append(visit.t("dash.or.bad_date"))
    found, more = await merchant_orders.page(visit.uow, which, 0, LIST_LIMIT)
    if start is not None:
        found = [o for o in found if o.created_at.date() >= start]
    if end is not None:
        found = [o for o in found if o.created_at.date() <= end]
    options = [(f.value, visit.t(f"admin.or.filter.{f.value}")) for f in OrderFilter]
    filters = tag(
        "form",
        page.select(visit.t("dash.or.status"), "status", options, which.value)
        + page.field(visit.t("dash.or.from"), "from", visit.query.get("from", ""), kind="date")
        + page.field(visit.t("dash.or.to"), "to", visit.query.get("to", ""), kind="date")
        + tag("button", esc(visit.t("dash.or.filter")), type="submit"),
        data_get="orders",
    )
    rows = [
        tag(
            "div",
            tag(
                "div",
                page.link(f"#{o.id}", f"order/{o.id}") + tag("span", esc(visit.money(o.total))),
                class_="row",
            )
            + tag(
                "small",
                esc(f"{_status(visit, o)} · {o.created_at:%Y-%m-%d %H:%M}"),
                class_="hint",
            ),
            class_="card",
            data_order=o.id,
        )
        for o in found
    ]
    if not rows:
        rows.append(tag("p", esc(visit.t("dash.or.none")), class_="hint"))
    if more:
        rows.append(tag("p", esc(visit.t("dash.or.more", n=LIST_LIMIT)), class_="hint"))
    body = (
        tabs(visit, "orders")
        + tag("h1", esc(visit.t("dash.or.title")))
        + filters
        + page.errors(problems)
        + "".join(rows)
    )
    return Page(body, "orders")


def _status(visit: Visit, order: Order) -> str:
    if order.status is OrderStatus.AWAITING_CASH and order.delivery == "ship":
        return visit.t("order.status.awaiting_cod")  # cash on delivery, to the courier
    return visit.t(f"order.status.{order.status.value}")


async def _order(visit: Visit) -> Order:
    raw = visit.query.get("id", "")
    order = await visit.uow.orders.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if order is None:
        raise NotFound("order")
    return order


async def order_page(
    visit: Visit, order: Order, *, note: str = "", problems: list[str] | None = None
) -> Page:
    profile = await visit.uow.buyers.profile(order.user_id)
    buyer = profile.first_name if profile and profile.first_name else "—"
    if profile and profile.username:
        buyer += f" (@{profile.username})"
    lines = [
        tag(
            "tr",
            tag("td", esc(f"{ln.name} × {ln.quantity}")) + tag("td", esc(visit.money(ln.total))),
        )
        for ln in order.lines
    ]
    summary = [
        (visit.t("dash.or.items"), order.items),
        (visit.t("dash.or.discount"), order.discount),
        (visit.t("dash.or.shipping"), order.shipping),
        (visit.t("dash.or.total"), order.total),
        (visit.t("dash.or.refunded"), order.refunded),
    ]
    lines += [
        tag("tr", tag("th", esc(label)) + tag("th", esc(visit.money(amount))))
        for label, amount in summary
        if amount.amount or label == visit.t("dash.or.total")
    ]
    facts = [
        visit.t("dash.or.buyer", name=buyer, user=order.user_id),
        visit.t("dash.or.placed", when=f"{order.created_at:%Y-%m-%d %H:%M} UTC"),
        visit.t("dash.or.status_is", status=_status(visit, order)),
    ]
    if address_line(order.ship_address):
        facts.append(
            visit.t(
                "dash.or.address",
                name=order.ship_name or "—",
                address=address_line(order.ship_address),
            )
        )
    if order.ship_phone and order.status is not OrderStatus.PENDING:
        facts.append(visit.t("admin.or.phone", phone=order.ship_phone))
    if order.tracking:
        facts.append(visit.t("dash.or.tracking", tracking=order.tracking))
    body = (
        tabs(visit, "orders")
        + tag("p", page.link("← " + visit.t("dash.or.back"), "orders"))
        + tag("h1", esc(visit.t("dash.or.order", order=order.id)))
        + (page.notice(note) if note else "")
        + page.errors(problems or [])
        + "".join(tag("p", esc(f), class_="fact") for f in facts)
        + tag("table", "".join(lines), class_="card")
        + await _actions(visit, order)
    )
    return Page(body, f"order/{order.id}", 422 if problems else 200)


async def _actions(visit: Visit, order: Order) -> str:
    parts = []
    if merchant_orders.shippable(order):
        parts.append(
            tag(
                "div",
                page.form(
                    page.field(
                        visit.t("dash.or.tracking_field", most=MAX_TRACKING),
                        "tracking",
                        maxlength=MAX_TRACKING,
                    ),
                    f"order/{order.id}/ship",
                    visit.t("dash.or.ship"),
                ),
                class_="card",
            )
        )
    cash = order.method == "cash"  # settled at the counter: no cancel or refund from here
    if can_cancel(order.status, cash=cash) and order.shipped_at is None:
        parts.append(
            page.form(
                "",
                f"order/{order.id}/cancel",
                visit.t("dash.or.cancel"),
                confirm=visit.t("dash.or.confirm_cancel", order=order.id),
            )
        )
    already = await merchant_orders.refunded_so_far(visit.uow, order)
    left = order.total.amount - already
    if order.status in REFUNDABLE and left > 0 and not cash and visit.can(Permission.REFUNDS):
        parts.append(
            tag(
                "div",
                page.form(
                    page.field(
                        visit.t(
                            "dash.or.refund_amount", left=visit.money(Money(left, order.currency))
                        ),
                        "amount",
                        Money(left, order.currency).major_str(),
                        inputmode="decimal",
                    ),
                    f"order/{order.id}/refund",
                    visit.t("dash.or.refund"),
                    confirm=visit.t("dash.or.confirm_refund", order=order.id),
                ),
                class_="card",
            )
        )
    return "".join(parts)


async def show_order(visit: Visit) -> Page:
    visit.require(Permission.ORDERS)
    return await order_page(visit, await _order(visit))


_REFUSED = {
    Refused.NOT_FOUND: "dash.or.gone",
    Refused.GROUP_OPEN: "admin.or.group_open",
    Refused.NO_CARD: "admin.or.no_card",
    Refused.ALREADY_DONE: "admin.or.refund_already",
}


def _refusal(visit: Visit, refused: Refused, order: Order, fallback: str) -> str:
    key = _REFUSED.get(refused, fallback)
    return visit.t(key, order=order.id, status=_status(visit, order))


async def ship(visit: Visit) -> Page:
    visit.require(Permission.ORDERS)
    order = await _order(visit)
    tracking = " ".join(visit.form.get("tracking", "").split())
    if len(tracking) > MAX_TRACKING:
        problem = visit.t("admin.or.bad_tracking", most=MAX_TRACKING)
        return await order_page(visit, order, problems=[problem])
    if not merchant_orders.shippable(order):
        problem = visit.t("admin.or.cannot_ship", order=order.id, status=_status(visit, order))
        return await order_page(visit, order, problems=[problem])
    outcome = await merchant_orders.ship(
        visit.uow, visit.card, order.id, tracking or None, visit.now
    )
    if outcome.refused is not None:
        problem = _refusal(visit, outcome.refused, order, "admin.or.cannot_ship")
        return await order_page(visit, order, problems=[problem])
    await visit.audit("order.ship", f"order:{order.id}", tracking=tracking)
    visit.outbox = True  # the buyer's "shipped" notice goes out after the commit
    fresh = await visit.uow.orders.get(order.id) or order
    return await order_page(visit, fresh, note=visit.t("admin.or.shipped_toast", order=order.id))


async def cancel(visit: Visit) -> Page:
    visit.require(Permission.ORDERS)
    order = await _order(visit)
    outcome = await merchant_orders.cancel(visit.uow, order.id, visit.now)
    if outcome.refused is not None:
        problem = visit.t("dash.or.cannot_cancel", order=order.id, status=_status(visit, order))
        return await order_page(visit, order, problems=[problem])
    await visit.audit("order.cancel", f"order:{order.id}")
    visit.outbox = True
    fresh = await visit.uow.orders.get(order.id) or order
    return await order_page(visit, fresh, note=visit.t("dash.or.cancelled", order=order.id))


async def refund(visit: Visit) -> Page:
    visit.require(Permission.REFUNDS)
    order = await _order(visit)
    already = await merchant_orders.refunded_so_far(visit.uow, order)
    left = order.total.amount - already
    text = visit.form.get("amount", "").strip()
    try:
        amount = parse_major(text.replace(",", ".").lstrip("$€£¥ "), order.currency).amount
    except ValueError:
        amount = -1
    if amount <= 0 or amount > left:
        key = "admin.or.bad_amount" if amount <= 0 else "admin.or.amount_too_big"
        problem = visit.t(
            key, text=text[:40], left=visit.money(Money(max(left, 0), order.currency))
        )
        return await order_page(visit, order, problems=[problem])
    if order.method == "stars" and amount != left:
        return await order_page(visit, order, problems=[visit.t("admin.or.stars_in_full")])
    outcome = await merchant_orders.refund_to(visit.uow, order.id, already + amount, visit.now)
    if outcome.refused is not None or outcome.refund is None:
        refused = outcome.refused or Refused.NOT_ALLOWED
        problem = _refusal(visit, refused, order, "admin.or.refund_refused")
        return await order_page(visit, order, problems=[problem])
    await visit.audit(
        "order.refund",
        f"order:{order.id}",
        amount=outcome.refund.amount,
        currency=outcome.refund.currency,
    )
    visit.outbox = True  # the refund goes to Stripe / Telegram right after the commit
    fresh = await visit.uow.orders.get(order.id) or order
    note = visit.t("admin.or.refund_queued", total=visit.money(outcome.refund))
    return await order_page(visit, fresh, note=note)


ROUTES = [
    ("GET", "orders", order_list),
    ("GET", "order/{id}", show_order),
    ("POST", "order/{id}/ship", ship),
    ("POST", "order/{id}/cancel", cancel),
    ("POST", "order/{id}/refund", refund),
]
