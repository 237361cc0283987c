"""Browsing screens: /catalog, categories, card paging, search, deep links, "more like this"."""

from __future__ import annotations

from bot.conversation.callbacks import Action, Callback, cb
from bot.conversation.dispatch import on_command, on_press
from bot.conversation.replies import Button
from bot.conversation.screens.cards import show_card, show_variant_picker
from bot.conversation.turn import Turn
from bot.domain.interests import InteractionKind
from bot.services import browsing
from bot.services.browsing import CardPage, ListKind, QueryTooLong


async def _show(turn: Turn, page: CardPage, *, replace: bool) -> None:
    """Show a card and count it as one view (paging back to it soon after counts once)."""
    await turn.uow.interests.record(
        turn.person.id, [page.product.id], InteractionKind.VIEW, turn.now
    )
    show_card(turn, page, replace=replace)


@on_command("catalog")
async def catalog_command(turn: Turn, args: str) -> None:
    await catalog(turn)


@on_command("search")
async def search_command(turn: Turn, args: str) -> None:
    await search(turn, args)


async def catalog(turn: Turn) -> None:
    summaries = await browsing.categories(turn.uow)
    if not summaries:
        turn.tell(turn.tx.t("catalog.empty"))
        return
    rows = tuple(
        (
            Button(
                turn.tx.label("catalog.category_button", name=s.category.name, count=s.products),
                cb(Action.CATEGORY, s.category.id),
            ),
        )
        for s in summaries
    )
    turn.answer()
    turn.show(turn.tx.t("catalog.title"), rows)


async def open_category(turn: Turn, category_id: int) -> None:
    page = await browsing.category_page(turn.uow, category_id, 0, turn.now)
    if page is None:
        category = await turn.uow.catalog.category(category_id)
        if category is None:
            turn.answer(turn.tx.t("stale_button"))
            return
        turn.tell(turn.tx.t("catalog.category_empty", name=category.name))
        return
    turn.answer()
    await _show(turn, page, replace=False)


def _searcher(turn: Turn, call: Callback) -> int | None:
    """Whose search list a button may show: a button the bot signed for this chat shows the
    list it names (a search made in a group pages for every member); an unsigned one (forged,
    or from before buttons were signed) only the presser's own search."""
    return None if call.signed else turn.person.id


async def navigate(turn: Turn, call: Callback) -> None:
    kind, list_id, index = ListKind(call.str_arg(0)), call.int_arg(1), call.int_arg(2)
    page = await browsing.page(turn.uow, kind, list_id, index, turn.now, _searcher(turn, call))
    if page is None:
        turn.answer(turn.tx.t("card.list_empty"), alert=True)
        return
    turn.answer()
    await _show(turn, page, replace=True)


async def more_like_this(turn: Turn, product_id: int) -> None:
    if await turn.uow.catalog.product(product_id) is None:
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return
    page = await browsing.similar_page(turn.uow, product_id, 0, turn.now)
    if page is None:
        turn.answer(turn.tx.t("card.no_similar"))
        return
    turn.answer()
    await _show(turn, page, replace=True)


async def pick_or_add(turn: Turn, call: Callback) -> bool:
    """Add to cart, or first show the variant picker. True when the cart screen should add."""
    product_id, kind, list_id, index = (
        call.int_arg(0),
        ListKind(call.str_arg(1)),
        call.int_arg(2),
        call.int_arg(3),
    )
    product = await turn.uow.catalog.product(product_id)
    if product is None:
        turn.answer(turn.tx.t("card.product_gone"), alert=True)
        return False
    sellable = [v for v in product.sellable_variants if v.available > 0]
    if len(product.sellable_variants) > 1 and sellable:
        page = await browsing.page(turn.uow, kind, list_id, index, turn.now, _searcher(turn, call))
        if page is None or page.product.id != product_id:
            page = await browsing.single_page(turn.uow, product_id, turn.now)
        assert page is not None
        show_variant_picker(turn, page, buy=call.action is Action.BUY)
        return False
    return True


async def search(turn: Turn, query: str) -> None:
    try:
        words = browsing.normalise_query(query)
    except QueryTooLong:
        turn.tell(turn.tx.t("search.too_long", n=browsing.MAX_QUERY_CHARS))
        return
    if not words:
        turn.tell(turn.tx.t("search.prompt"))
        return
    search_id = await browsing.start_search(turn.uow, turn.person.id, query, turn.now)
    page = await browsing.search_page(turn.uow, search_id, 0, turn.now)
    if page is None:
        turn.tell(turn.tx.t("search.none", query=" ".join(query.split())))
        return
    await _show(turn, page, replace=False)


async def open_product(turn: Turn, product_id: int) -> bool:
    """A deep link ``p_<id>``; False when the product does not exist (any more)."""
    page = await browsing.single_page(turn.uow, product_id, turn.now)
    if page is None:
        return False
    await _show(turn, page, replace=False)
    return True


@on_press(Action.NAV, Action.MORE, Action.CATEGORIES, Action.CATEGORY)
async def pressed(turn: Turn, call: Callback) -> None:
    if call.action is Action.NAV:
        await navigate(turn, call)
    elif call.action is Action.MORE:
        await more_like_this(turn, call.int_arg(0))
    elif call.action is Action.CATEGORIES:
        await catalog(turn)
    elif call.action is Action.CATEGORY:
        await open_category(turn, call.int_arg(0))
