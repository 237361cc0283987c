"""Dashboard section: products. A list with search; one product's page to change its name and
description, each variant's price and stock, its card's photo or video (an upload, shown on
buyers' next card), and to hide or show it. Checked like the chat console
(``services/merchant_catalog.py``) and written to the same audit log."""

from __future__ import annotations

from bot.dashboard import page
from bot.dashboard.page import esc, tag
from bot.dashboard.uploads import TOO_LARGE, UPLOAD_TYPES, save_upload
from bot.dashboard.visit import NotFound, Page, Visit
from bot.domain.catalog import MediaKind, Product, Variant
from bot.domain.money import minor_unit_exponent
from bot.domain.staff import Permission
from bot.services import merchant_catalog as mc

P = Permission.CATALOG
#: Products looked at by a search (names and SKUs matched here).
LIST_LIMIT = 500


def tabs(visit: Visit, current: str) -> str:
    items = [
        ("dash.tab.products", "products", Permission.CATALOG),
        ("dash.tab.orders", "orders", Permission.ORDERS),
        ("dash.tab.promos", "promos", Permission.COUPONS),
        ("dash.tab.stats", "stats", Permission.STATS),
    ]
    return page.nav(
        (visit.t(key), go, go == current) for key, go, need in items if visit.can(need)
    )


def bad_input(visit: Visit, label: str, exc: mc.BadInput, currency: str = "USD") -> str:
    why = visit.t(
        f"ac.bad.{exc.problem.value}",
        limit=exc.limit,
        places=minor_unit_exponent(currency),
        currency=currency,
    )
    return f"{label}: {why}"


async def product_list(visit: Visit) -> Page:
    visit.require(P)
    q = visit.query.get("q", "").strip()[:80]
    listing, total = await visit.uow.catalog_writer.products_page(0, LIST_LIMIT)
    if q:
        words = q.casefold().split()
        listing = [i for i in listing if all(w in i.name.casefold() for w in words)]
    search = tag(
        "form",
        page.field(visit.t("dash.pr.search"), "q", q, kind="search")
        + tag("button", esc(visit.t("dash.pr.search_btn")), type="submit"),
        data_get="products",
        role="search",
    )
    rows = []
    for item in listing:
        state = "" if item.active else " · " + visit.t("dash.pr.hidden")
        line = visit.t("dash.pr.row", stock=item.stock, variants=item.variants) + state
        rows.append(
            tag(
                "div",
                page.link(item.name, f"product/{item.id}")
                + tag("small", esc(line), class_="hint", style="display:block"),
                class_="card" if item.active else "card muted",
                data_product=item.id,
            )
        )
    empty = [tag("p", esc(visit.t("dash.pr.none")), class_="hint")] if not rows else []
    body = (
        tabs(visit, "products")
        + tag("h1", esc(visit.t("dash.pr.title", n=total)))
        + search
        + "".join(rows + empty)
    )
    return Page(body, "products")


async def _product(visit: Visit) -> Product:
    raw = visit.query.get("id", "")
    product_id = int(raw) if raw.isdigit() and len(raw) < 10 else 0
    product = await visit.uow.catalog_writer.any_product(product_id) if product_id else None
    if product is None:
        raise NotFound("product")
    return product


def _variant_form(visit: Visit, product: Product, variant: Variant) -> str:
    name = variant.name or variant.sku
    currency = variant.price.currency
    body = (
        tag("h2", esc(name) + " " + tag("small", esc(variant.sku), class_="hint"))
        + page.field(
            visit.t("dash.pr.price", currency=currency),
            "price",
            variant.price.major_str(),
            inputmode="decimal",
            required=True,
        )
        + page.field(
            visit.t("dash.pr.stock"), "stock", variant.stock, inputmode="numeric", required=True
        )
    )
    return tag(
        "div",
        page.form(body, f"product/{product.id}/variant/{variant.id}", visit.t("dash.save")),
        class_="card",
        data_variant=variant.id,
    )


def product_page(
    visit: Visit, product: Product, *, note: str = "", problems: list[str] | None = None
) -> Page:
    texts_form = page.form(
        page.field(visit.t("dash.pr.name"), "name", product.name, maxlength=mc.MAX_NAME)
        + page.field(
            visit.t("dash.pr.description"),
            "description",
            product.description,
            kind="textarea",
            rows=4,
            maxlength=mc.MAX_DESCRIPTION,
        ),
        f"product/{product.id}/texts",
        visit.t("dash.save"),
    )
    media = product.card_media
    shows = visit.t(f"ac.pn.kind.{media.kind.value}") if media else visit.t("ac.pr.no_media")
    media_form = page.form(
        tag("p", esc(visit.t("dash.pr.media_now", what=shows)), class_="hint")
        + page.field(
            visit.t("dash.pr.media"),
            "media",
            kind="file",
            accept="image/jpeg,image/png,image/webp,video/mp4",
            required=True,
        ),
        f"product/{product.id}/media",
        visit.t("dash.pr.upload"),
    )
    toggle = page.form(
        f"<input{page.attrs(type='hidden', name='active', value='0' if product.active else '1')}>",
        f"product/{product.id}/active",
        visit.t("dash.pr.hide" if product.active else "dash.pr.show"),
        confirm=visit.t("dash.pr.confirm_hide" if product.active else "dash.pr.confirm_show"),
    )
    status = visit.t("dash.pr.status_on" if product.active else "dash.pr.status_hidden")
    body = (
        tabs(visit, "products")
        + tag("p", page.link("← " + visit.t("dash.pr.back"), "products"))
        + tag("h1", esc(product.name), data_name=product.name)
        + tag("p", esc(status), class_="hint")
        + (page.notice(note) if note else "")
        + page.errors(problems or [])
        + tag("div", texts_form, class_="card")
        + "".join(_variant_form(visit, product, v) for v in product.variants)
        + tag("div", media_form, class_="card")
        + toggle
    )
    status_code = 422 if problems else 200
    return Page(body, f"product/{product.id}", status_code)


async def show_product(visit: Visit) -> Page:
    visit.require(P)
    return product_page(visit, await _product(visit))


async def save_texts(visit: Visit) -> Page:
    visit.require(P)
    product = await _product(visit)
    problems: list[str] = []
    name = description = ""
    try:
        name = mc.clean_name(visit.form.get("name", ""))
    except mc.BadInput as exc:
        problems.append(bad_input(visit, visit.t("dash.pr.name"), exc))
    try:
        description = mc.clean_text(
            visit.form.get("description", ""), mc.MAX_DESCRIPTION, required=False
        )
    except mc.BadInput as exc:
        problems.append(bad_input(visit, visit.t("dash.pr.description"), exc))
    if problems:
        return product_page(visit, product, problems=problems)
    if (name, description) != (product.name, product.description):
        await mc.retitle(visit.uow, product, name, description)
        await visit.audit(
            "product.texts",
            f"product:{product.id}",
            before=product.name,
            after=name,
            description_changed=description != product.description,
        )
    fresh = await visit.uow.catalog_writer.any_product(product.id) or product
    return product_page(visit, fresh, note=visit.t("dash.saved"))


async def save_variant(visit: Visit) -> Page:
    visit.require(P)
    product = await _product(visit)
    raw = visit.query.get("vid", "")
    variant = product.variant(int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if variant is None:
        raise NotFound("variant")
    currency = variant.price.currency
    problems: list[str] = []
    price, stock = variant.price, variant.stock
    try:
        price = mc.parse_price(visit.form.get("price", ""), currency)
    except mc.BadInput as exc:
        problems.append(
            bad_input(visit, visit.t("dash.pr.price", currency=currency), exc, currency)
        )
    try:
        stock = mc.parse_stock(visit.form.get("stock", ""))
    except mc.BadInput as exc:
        problems.append(bad_input(visit, visit.t("dash.pr.stock"), exc))
    if problems:  # nothing changes unless every field is right
        return product_page(visit, product, problems=problems)
    target = f"variant:{variant.id}"
    if price != variant.price:
        await visit.uow.catalog_writer.set_price(variant.id, price)
        await visit.audit(
            "product.price",
            target,
            product=product.id,
            sku=variant.sku,
            before=variant.price.major_str(),
            after=price.major_str(),
            currency=currency,
        )
    if stock != variant.stock:
        await visit.uow.catalog_writer.set_stock(variant.id, stock)
        await visit.audit(
            "product.stock",
            target,
            product=product.id,
            sku=variant.sku,
            before=variant.stock,
            after=stock,
        )
    fresh = await visit.uow.catalog_writer.any_product(product.id) or product
    return product_page(visit, fresh, note=visit.t("dash.saved"))


async def upload_media(visit: Visit) -> Page:
    visit.require(P)
    product = await _product(visit)
    upload = visit.files.get("media")
    if upload is None or not upload.data and upload.content_type != TOO_LARGE:
        return product_page(visit, product, problems=[visit.t("dash.pr.media_missing")])
    if upload.content_type == TOO_LARGE:
        return product_page(visit, product, problems=[visit.t("dash.pr.media_too_large")])
    if upload.content_type not in UPLOAD_TYPES:
        return product_page(visit, product, problems=[visit.t("dash.pr.media_type")])
    kind = MediaKind.VIDEO if upload.content_type.startswith("video/") else MediaKind.PHOTO
    path = save_upload(visit.media_dir, upload)
    before = product.card_media
    media_id = await visit.uow.catalog_writer.add_local_media(kind, str(path))
    await visit.uow.catalog_writer.set_card_media(product.id, media_id, kind)
    await visit.audit(
        "product.media",
        f"product:{product.id}",
        before=before.id if before is not None else None,
        after=media_id,
        kind=kind.value,
    )
    fresh = await visit.uow.catalog_writer.any_product(product.id) or product
    return product_page(visit, fresh, note=visit.t("dash.pr.media_set"))


async def set_active(visit: Visit) -> Page:
    visit.require(P)
    product = await _product(visit)
    wanted = visit.form.get("active") == "1"
    if product.active != wanted:  # sent twice: changed once
        await visit.uow.catalog_writer.set_active(product.id, wanted)
        await visit.audit(
            "product.unarchive" if wanted else "product.archive",
            f"product:{product.id}",
            name=product.name,
        )
    fresh = await visit.uow.catalog_writer.any_product(product.id) or product
    note = visit.t("dash.pr.shown" if wanted else "dash.pr.hidden_now")
    return product_page(visit, fresh, note=note)


ROUTES = [
    ("GET", "products", product_list),
    ("GET", "product/{id}", show_product),
    ("POST", "product/{id}/texts", save_texts),
    ("POST", "product/{id}/variant/{vid}", save_variant),
    ("POST", "product/{id}/media", upload_media),
    ("POST", "product/{id}/active", set_active),
]
