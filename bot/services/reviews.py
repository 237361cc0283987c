"""Verified reviews: asked once after delivery, given only by buyers of the product, one per
buyer and product; the merchant may reply or hide an abusive one, and each such act is written
to the audit log."""

from __future__ import annotations

from datetime import datetime

from bot.domain.orders import OrderStatus
from bot.domain.reviews import (
    MAX_REPLY,
    ReviewRefusal,
    ReviewStatus,
    clean_text,
    rating_refusal,
)
from bot.services.order_ports import Order
from bot.services.ports import UnitOfWork

#: A delivered order stays reviewable unless its money went back in full.
_GONE = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})


async def ask_after_delivery(uow: UnitOfWork, order: Order, now: datetime) -> int:
    """One "how was it?" notice per product of a delivered order (the delivery happens once:
    a conditional status change), skipping products this buyer reviewed already."""
    asked = 0
    seen: set[int] = set()
    for line in order.lines:
        if line.product_id in seen:
            continue
        seen.add(line.product_id)
        if await uow.trust.review_by(order.user_id, line.product_id) is not None:
            continue
        product = await uow.catalog.product(line.product_id)
        name = product.name if product is not None else line.name
        params = {"order": order.id, "product": line.product_id, "name": name}
        await uow.notices.add(order.chat_id, "review_ask", params, now)
        asked += 1
    return asked


async def _verified(uow: UnitOfWork, user_id: int, order_id: int, product_id: int) -> bool:
    order = await uow.orders.get(order_id)
    return (
        order is not None
        and order.user_id == user_id
        and order.delivered_at is not None
        and order.status not in _GONE
        and any(line.product_id == product_id for line in order.lines)
    )


async def rate(
    uow: UnitOfWork, user_id: int, order_id: int, product_id: int, rating: int, now: datetime
) -> int | ReviewRefusal:
    """The review's id, or why not (a forged button, a product not bought, a second review)."""
    refusal = rating_refusal(rating)
    if refusal is not None:
        return refusal
    if not await _verified(uow, user_id, order_id, product_id):
        return ReviewRefusal.NOT_BOUGHT
    review_id = await uow.trust.add_review(product_id, user_id, order_id, rating, now)
    return ReviewRefusal.ALREADY if review_id is None else review_id


async def add_text(uow: UnitOfWork, user_id: int, review_id: int, raw: str) -> str | ReviewRefusal:
    """The optional words after the stars, as plain text; the stored text."""
    review = await uow.trust.review(review_id)
    if review is None or review.user_id != user_id:
        return ReviewRefusal.NOT_BOUGHT
    if review.text:
        return ReviewRefusal.ALREADY
    text = clean_text(raw)
    if isinstance(text, ReviewRefusal):
        return text
    await uow.trust.set_review_text(review_id, text)
    return text


async def add_photo(
    uow: UnitOfWork, user_id: int, review_id: int, file_id: str, caption: str
) -> str | ReviewRefusal:
    """A photo instead of (or with, as its caption) the words; once per review."""
    review = await uow.trust.review(review_id)
    if review is None or review.user_id != user_id:
        return ReviewRefusal.NOT_BOUGHT
    if review.photo:
        return ReviewRefusal.ALREADY
    text = ""
    if caption.strip() and not review.text:
        cleaned = clean_text(caption)
        if cleaned is ReviewRefusal.TOO_LONG:
            return cleaned
        if isinstance(cleaned, str):  # a caption of markup alone: the photo speaks
            text = cleaned
            await uow.trust.set_review_text(review_id, text)
    await uow.trust.set_review_photo(review_id, file_id)
    return text


async def set_visible(
    uow: UnitOfWork, review_id: int, visible: bool, actor: str, reason: str, now: datetime
) -> bool:
    status = ReviewStatus.VISIBLE if visible else ReviewStatus.HIDDEN
    if await uow.trust.review(review_id) is None:
        return False
    await uow.trust.set_review_status(review_id, status)
    await uow.trust.audit_review(
        review_id, "show" if visible else "hide", actor, reason[:MAX_REPLY], now
    )
    return True


async def reply(
    uow: UnitOfWork, review_id: int, actor: str, raw: str, now: datetime
) -> str | ReviewRefusal:
    """The merchant's public answer (plain text like the review); the reviewer hears."""
    review = await uow.trust.review(review_id)
    if review is None:
        return ReviewRefusal.NOT_BOUGHT
    text = clean_text(raw, MAX_REPLY)
    if isinstance(text, ReviewRefusal):
        return text
    await uow.trust.set_review_reply(review_id, text)
    await uow.trust.audit_review(review_id, "reply", actor, text, now)
    product = await uow.catalog.product(review.product_id)
    await uow.notices.add(
        review.user_id,
        "review_reply",
        {"name": product.name if product else "", "reply": text},
        now,
    )
    return text
