"""Inline mode: ``@bot words`` in any chat offers matching products to post, and a posted
result (``chosen_inline_result``) counts as a share of that product.

* ``@bot g_<team>`` is a group buy's card (``screens.group_buys.inline``);
* ``@bot p_12 p_7`` (what the Share buttons type) leads with those products, sold out or not,
  since the person chose them;
* anything else is a catalog search (every word must match, as in /search), and an empty
  query offers the best sellers of the last 30 days, then the catalog in the merchant's
  order; searches offer only what is in stock, since a buyer who follows a shared card
  wants something they can buy.

Results come 10 a page; ``next_offset`` is the next page's number. A forged offset is read as
the first page, or as a page past the end (no results): never an error.
"""

from __future__ import annotations

import html
import logging
import re
from datetime import timedelta

from bot.conversation.callbacks import row_id
from bot.conversation.events import ChosenInline, InlineQuery
from bot.conversation.replies import AnswerInline, Button, InlineProduct, Keyboard, MediaRef
from bot.conversation.screens import group_buys
from bot.conversation.screens.cards import price_line
from bot.conversation.texts import Texts, escape
from bot.conversation.turn import Turn
from bot.domain.catalog import Media, MediaKind, Product
from bot.domain.interests import InteractionKind
from bot.services import browsing

log = logging.getLogger(__name__)

PAGE_SIZE = 10
#: Searches look at this many matching products at most (10 pages).
MAX_CANDIDATES = 100
#: Product searches are the same for everyone: Telegram may cache them briefly.
CACHE_SECONDS = 30
#: An empty query leads with what sold best lately, then the catalog in the merchant's order.
BEST_SELLER_WINDOW = timedelta(days=30)
#: A shared product's query: ``p_<id>`` words (the order screen shares several).
MAX_SHARED = PAGE_SIZE
_SHARED_WORD = re.compile(r"^p_([1-9][0-9]{0,17})$")
_TEAM_QUERY = re.compile(r"^\s*g_[0-9]")
_OFFSET = re.compile(r"^[0-9]{1,3}$")
_RESULT_ID = re.compile(r"^p:([1-9][0-9]{0,17})$")
#: The caption's description: a teaser, not the whole text (the card has the rest).
_DESCRIPTION_CHARS = 200
_TAG = re.compile(r"<[^>]+>")


def share_query(product_ids: list[int]) -> str:
    """What a Share button types after ``@bot``: the products to lead with."""
    unique = list(dict.fromkeys(p for p in product_ids if p > 0))[:MAX_SHARED]
    return " ".join(f"p_{p}" for p in unique)


def result_id(product_id: int) -> str:
    return f"p:{product_id}"


def product_of_result(value: str) -> int | None:
    """The product a chosen result stands for, or None for anything else (a team card)."""
    match = _RESULT_ID.match(value)
    product_id = row_id(match.group(1)) if match else 0  # beyond any row's id: forged
    return product_id or None


def _shared_ids(query: str) -> list[int] | None:
    """The products of a Share button's query, or None when the query is not one."""
    words = query.split()
    matches = [_SHARED_WORD.match(w) for w in words]
    if not words or not all(matches):
        return None
    ids = (row_id(m.group(1)) for m in matches if m)  # 0 (found nowhere) when forged
    return list(dict.fromkeys(i for i in ids if i))[:MAX_SHARED]


def _page_number(offset: str) -> int:
    """The page ``offset`` asks for: 0 for none or a forged one; a page past the end simply
    has no results."""
    return int(offset) if _OFFSET.match(offset) else 0


async def inline(turn: Turn, event: InlineQuery) -> None:
    if _TEAM_QUERY.match(event.query):
        await group_buys.inline(turn, event)
        return
    shared = _shared_ids(event.query)
    if shared is not None:
        products = await _existing(turn, shared)
        if products:
            results = tuple(_result(turn, p) for p in products)
            turn.replies.append(AnswerInline(event.query_id, results, CACHE_SECONDS))
            return
        event_query = ""  # the shared products are gone: offer the shop instead
    else:
        event_query = event.query
    page = _page_number(event.offset)
    products, more = await _search_page(turn, event_query, page)
    turn.replies.append(
        AnswerInline(
            event.query_id,
            tuple(_result(turn, p) for p in products),
            CACHE_SECONDS,
            next_offset=str(page + 1) if more else "",
        )
    )


async def _existing(turn: Turn, product_ids: list[int]) -> list[Product]:
    found = [await turn.uow.catalog.product(p) for p in product_ids]
    return [p for p in found if p is not None]


async def _search_page(turn: Turn, query: str, page: int) -> tuple[list[Product], bool]:
    """The in-stock products of ``page`` and whether another page follows."""
    if page * PAGE_SIZE >= MAX_CANDIDATES:
        return [], False
    words = browsing.normalise_query(query[: browsing.MAX_QUERY_CHARS])
    ids = await turn.uow.catalog.search_ids(words, MAX_CANDIDATES)
    if not words:
        since = turn.now - BEST_SELLER_WINDOW
        best = [p for p, _ in await turn.uow.interests.best_sellers(since, PAGE_SIZE)]
        ids = list(dict.fromkeys(best + ids))
    wanted = (page + 1) * PAGE_SIZE + 1  # one more than the page: is there a next one?
    offered: list[Product] = []
    for product_id in ids:
        product = await turn.uow.catalog.product(product_id)
        if product is not None and product.available > 0:
            offered.append(product)
            if len(offered) == wanted:
                break
    start = page * PAGE_SIZE
    return offered[start : start + PAGE_SIZE], len(offered) > start + PAGE_SIZE


def _plain(markup: str) -> str:
    """A caption line as plain text (titles and descriptions of results are not HTML)."""
    return html.unescape(_TAG.sub("", markup))


def caption(tx: Texts, product: Product) -> str:
    """Name, price and stock, and the start of the description."""
    parts = [f"<b>{escape(product.name)}</b>", price_line(tx, product)]
    text = " ".join(product.description.split())
    if text:
        if len(text) > _DESCRIPTION_CHARS:
            text = text[: _DESCRIPTION_CHARS - 1].rstrip() + "…"
        parts.append(escape(text))
    return "\n".join(parts)


def _media(product: Product) -> MediaRef | None:
    """What an inline result can show without an upload: the teaser video once Telegram gave
    its file_id, else the photo by file_id or https URL, else nothing (a text card)."""
    candidates: list[Media] = [m for m in (product.teaser, product.photo) if m is not None]
    for media in candidates:
        if media.kind is MediaKind.VIDEO and media.file_id:
            return MediaRef(media.kind, media.id, media.source, media.file_id)
        if media.kind is MediaKind.PHOTO and (
            media.file_id or media.source.startswith("https://")
        ):
            return MediaRef(media.kind, media.id, media.source, media.file_id)
    return None


def _keyboard(turn: Turn, product: Product) -> Keyboard | None:
    """🛒 Buy opens the product in the bot (``p_<id>``); 🛍 the shop itself."""
    tx = turn.tx
    buy = turn.deep_link(f"p_{product.id}")
    shop = turn.deep_link("shop")
    if buy is None or shop is None:  # the bot's username is not known yet
        return None
    return (
        (
            Button(tx.label("sharing.btn_buy"), url=buy),
            Button(tx.label("sharing.btn_shop"), url=shop),
        ),
    )


def _result(turn: Turn, product: Product) -> InlineProduct:
    tx = turn.tx
    return InlineProduct(
        id=result_id(product.id),
        title=product.name,
        description=_plain(price_line(tx, product)),
        caption=caption(tx, product),
        media=_media(product),
        keyboard=_keyboard(turn, product),
    )


async def chosen(turn: Turn, event: ChosenInline) -> None:
    """A posted product result is a share by that person; a team card, an id that does not
    decode or a product gone since is ignored."""
    product_id = product_of_result(event.result_id)
    if product_id is None:
        return
    if await turn.uow.catalog.product(product_id) is None:
        log.info("chosen inline result for a product that is gone: %s", event.result_id)
        return
    await turn.uow.interests.record(turn.person.id, [product_id], InteractionKind.SHARE, turn.now)
