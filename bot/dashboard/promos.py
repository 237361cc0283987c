"""Dashboard section: coupons and flash sales. The shop's coupons with their uses, a new one
(checked by ``services/coupon_terms.py`` as in chat), pausing and resuming; recent flash
sales, a new one (``services/flash_sales.py``) and stopping one. Audit-logged as in chat."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.screens.admin.coupons import terms as coupon_wording
from bot.dashboard import page
from bot.dashboard.page import esc, tag
from bot.dashboard.products import bad_input, tabs
from bot.dashboard.visit import NotFound, Page, Visit
from bot.domain.coupons import Coupon
from bot.domain.flash_sales import SaleError, SaleState
from bot.domain.staff import Permission
from bot.services import coupon_terms, flash_sales
from bot.services import merchant_catalog as mc
from bot.services.coupon_terms import TermsError

#: Coupons and sales listed (newest first).
SHOWN = 30
_TIME = "%Y-%m-%d %H:%M"


def _terms(visit: Visit, coupon: Coupon) -> str:
    return " · ".join(coupon_wording(coupon, visit.t, visit.money))


async def promos_page(visit: Visit, *, note: str = "", problems: list[str] | None = None) -> Page:
    visit.require(Permission.COUPONS)
    body = (
        tabs(visit, "promos")
        + (page.notice(note) if note else "")
        + page.errors(problems or [])
        + await _coupons(visit)
    )
    if visit.can(Permission.PROMOS):
        body += await _sales(visit)
    return Page(body, "promos", 422 if problems else 200)


async def _coupons(visit: Visit) -> str:
    everything = await visit.uow.coupons.all()
    shop_own = sorted(
        (s for s in everything if s.coupon.owner_id is None),
        key=lambda s: (not s.coupon.active, -s.coupon.id),
    )
    rows = []
    for entry in shop_own[:SHOWN]:
        c = entry.coupon
        limit = str(c.usage_limit) if c.usage_limit is not None else "∞"
        state = visit.t("dash.cp.on" if c.active else "dash.cp.paused")
        toggle = page.form(
            f"<input{page.attrs(type='hidden', name='active', value='0' if c.active else '1')}>",
            f"coupon/{c.id}/active",
            visit.t("dash.cp.pause" if c.active else "dash.cp.resume"),
        )
        rows.append(
            tag(
                "div",
                tag("div", tag("b", esc(c.code)) + tag("span", esc(state)), class_="row")
                + tag("small", esc(_terms(visit, c)), class_="hint", style="display:block")
                + tag("small", esc(visit.t("dash.cp.used", used=entry.used, limit=limit)))
                + toggle,
                class_="card" if c.active else "card muted",
                data_coupon=c.code,
            )
        )
    new = page.form(
        page.field(visit.t("dash.cp.code"), "code", visit.form.get("code", ""), maxlength=32)
        + page.field(visit.t("dash.cp.value"), "value", visit.form.get("value", ""))
        + page.field(visit.t("dash.cp.min"), "min", visit.form.get("min", ""), inputmode="decimal")
        + page.field(visit.t("dash.cp.limit"), "limit", visit.form.get("limit", ""))
        + page.field(visit.t("dash.cp.per"), "per", visit.form.get("per", ""))
        + page.field(visit.t("dash.cp.days"), "days", visit.form.get("days", "")),
        "coupons/new",
        visit.t("dash.cp.create"),
    )
    return (
        tag("h1", esc(visit.t("dash.cp.title")))
        + "".join(rows or [tag("p", esc(visit.t("dash.cp.none")), class_="hint")])
        + tag("details", tag("summary", esc(visit.t("dash.cp.new"))) + new, class_="card")
    )


async def _sales(visit: Visit) -> str:
    rows = []
    for s in await visit.uow.sales.recent(SHOWN):
        phase = s.state(visit.now)
        line = visit.t(
            "dash.fs.row",
            price=visit.money(s.price),
            state=visit.t(f"admin.fs.state.{phase.value}"),
            claimed=s.claimed,
            units=s.stock,
            starts=s.starts_at.strftime(_TIME),
            ends=s.ends_at.strftime(_TIME),
        )
        stop = (
            page.form(
                "",
                f"sale/{s.id}/stop",
                visit.t("dash.fs.stop"),
                confirm=visit.t("dash.fs.confirm_stop", sale=s.id),
            )
            if phase is not SaleState.ENDED
            else ""
        )
        rows.append(
            tag(
                "div",
                tag("b", esc(f"#{s.id} {s.name}"))
                + tag("small", esc(line), class_="hint", style="display:block")
                + stop,
                class_="card" if phase is not SaleState.ENDED else "card muted",
                data_sale=s.id,
            )
        )
    new = page.form(
        page.field(visit.t("dash.fs.sku"), "sku", visit.form.get("sku", ""))
        + page.field(visit.t("dash.fs.price"), "price", visit.form.get("price", ""))
        + page.field(visit.t("dash.fs.units"), "units", visit.form.get("units", ""))
        + page.field(visit.t("dash.fs.per"), "per", visit.form.get("per", "1"))
        + page.field(visit.t("dash.fs.starts_in"), "starts_in", visit.form.get("starts_in", "0"))
        + page.field(visit.t("dash.fs.minutes"), "minutes", visit.form.get("minutes", "60")),
        "sales/new",
        visit.t("dash.fs.create"),
    )
    return (
        tag("h1", esc(visit.t("dash.fs.title")))
        + "".join(rows or [tag("p", esc(visit.t("dash.fs.none")), class_="hint")])
        + tag("details", tag("summary", esc(visit.t("dash.fs.new"))) + new, class_="card")
    )


async def show(visit: Visit) -> Page:
    return await promos_page(visit)


async def new_coupon(visit: Visit) -> Page:
    visit.require(Permission.COUPONS)
    form = visit.form
    currency = await mc.shop_currency(visit.uow, visit.config.currency or None)
    try:
        code = coupon_terms.parse_code(form.get("code", ""))
        value = coupon_terms.parse_value(form.get("value", ""), currency)
        found = {
            name: coupon_terms.parse_option(name, form[name], currency)
            for name in ("min", "limit", "per", "days")
            if form.get(name, "").strip()
        }
        coupon = coupon_terms.with_options(
            code, value, coupon_terms.options_from(found, currency), visit.now
        )
    except TermsError as exc:
        problem = visit.t(f"ac.cp.bad.{exc.problem.value}", detail=exc.detail)
        return await promos_page(visit, problems=[problem])
    if await visit.uow.coupons.by_code(coupon.code) is not None:
        return await promos_page(visit, problems=[visit.t("ac.cp.exists", code=coupon.code)])
    coupon_id = await visit.uow.coupons.create(coupon, visit.now)
    await visit.audit(
        "coupon.create",
        f"coupon:{coupon.code}",
        id=coupon_id,
        kind=coupon.kind.value,
        percent=coupon.percent or None,
        amount=coupon.amount.major_str() if coupon.amount else None,
        limit=coupon.usage_limit,
        per=coupon.per_buyer_limit,
        expires=coupon.expires_at.isoformat() if coupon.expires_at else None,
    )
    visit.form = {}
    return await promos_page(visit, note=visit.t("dash.cp.created", code=coupon.code))


async def coupon_active(visit: Visit) -> Page:
    visit.require(Permission.COUPONS)
    raw = visit.query.get("id", "")
    coupon = await visit.uow.coupons.by_id(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if coupon is None:
        raise NotFound("coupon")
    wanted = visit.form.get("active") == "1"
    if coupon.active != wanted:  # sent twice: changed once
        await visit.uow.coupons.set_active(coupon.code, wanted)
        await visit.audit("coupon.enable" if wanted else "coupon.disable", f"coupon:{coupon.code}")
    key = "dash.cp.resumed" if wanted else "dash.cp.paused_now"
    return await promos_page(visit, note=visit.t(key, code=coupon.code))


def _whole(raw: str, low: int, high: int) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and low <= int(raw) <= high else None


async def new_sale(visit: Visit) -> Page:
    visit.require(Permission.PROMOS)
    form = visit.form
    variant_id = await visit.uow.catalog.variant_by_sku(form.get("sku", "").strip()[:64])
    found = await visit.uow.catalog.variant(variant_id) if variant_id else None
    problems = []
    if found is None:
        problems.append(visit.t("dash.fs.bad_sku"))
    units = _whole(form.get("units", ""), 1, 100_000)
    per = _whole(form.get("per", ""), 1, 100)
    starts_in = _whole(form.get("starts_in", ""), 0, 7 * 24 * 60)
    minutes = _whole(form.get("minutes", ""), 1, 7 * 24 * 60)
    for value, key in (
        (units, "units"),
        (per, "per"),
        (starts_in, "starts_in"),
        (minutes, "minutes"),
    ):
        if value is None:
            problems.append(visit.t("dash.fs.bad_number", field=visit.t(f"dash.fs.{key}")))
    if found is not None:
        currency = found[0].price.currency
        try:
            price = mc.parse_price(form.get("price", ""), currency)
        except mc.BadInput as exc:
            problems.append(bad_input(visit, visit.t("dash.fs.price"), exc, currency))
    if problems:
        return await promos_page(visit, problems=problems)
    assert found is not None and None not in (units, per, starts_in, minutes)
    starts = visit.now + timedelta(minutes=starts_in or 0)
    try:
        sale = await flash_sales.schedule(
            visit.uow,
            found[0].id,
            price,
            units or 0,
            per or 0,
            starts,
            starts + timedelta(minutes=minutes or 0),
            visit.now,
        )
    except (SaleError, LookupError) as exc:
        return await promos_page(visit, problems=[visit.t("admin.fs.refused", reason=str(exc))])
    await visit.audit(
        "sale.schedule",
        f"sale:{sale.id}",
        variant=found[0].id,
        price=sale.price.amount,
        units=sale.stock,
        per_buyer=sale.per_buyer,
        starts=sale.starts_at.isoformat(),
        ends=sale.ends_at.isoformat(),
    )
    visit.form = {}
    return await promos_page(visit, note=visit.t("admin.fs.scheduled_toast", sale=sale.id))


async def stop_sale(visit: Visit) -> Page:
    visit.require(Permission.PROMOS)
    raw = visit.query.get("id", "")
    sale_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    sale = await visit.uow.sales.sale(sale_id) if sale_id else None
    if sale is None:
        raise NotFound("sale")
    if sale.state(visit.now) is SaleState.ENDED or not await visit.uow.sales.stop(sale_id):
        return await promos_page(visit, problems=[visit.t("admin.fs.not_running", sale=sale_id)])
    await visit.audit("sale.stop", f"sale:{sale_id}")
    return await promos_page(visit, note=visit.t("admin.fs.stopped", sale=sale_id))


ROUTES = [
    ("GET", "promos", show),
    ("POST", "coupons/new", new_coupon),
    ("POST", "coupon/{id}/active", coupon_active),
    ("POST", "sales/new", new_sale),
    ("POST", "sale/{id}/stop", stop_sale),
]
