"""Console section, part of coupons: the one-line command,
``/admin coupon add SAVE10 10% min 20 limit 100 per 1 days 7``, ``list``, ``codes``, ``off``.
"""

from __future__ import annotations

from bot.conversation.screens.admin.catalog_text import terms_text
from bot.conversation.screens.admin.coupon_codes import make_codes, parse_count
from bot.conversation.screens.admin.coupons import (
    P,
    confirm_disable,
    listing,
    shop_currency,
    store,
)
from bot.conversation.screens.admin.registry import command
from bot.conversation.turn import Turn
from bot.domain.coupons import MAX_ONE_TIME_CODES
from bot.domain.staff import Role
from bot.services import coupon_terms as terms
from bot.services import coupons


@command("coupon", P)
async def coupon_command(turn: Turn, role: Role, args: str) -> None:
    """``/admin coupon add CODE 10%|5.00|freeship [min 20] [limit 100] [per 1] [days 7]``,
    ``/admin coupon list``, ``/admin coupon off CODE``."""
    word, _, rest = args.partition(" ")
    word = word.lower()
    if word == "add":
        try:
            coupon = terms.parse_line(rest, await shop_currency(turn), turn.now)
        except terms.TermsError as exc:
            turn.say(terms_text(turn, exc) + "\n" + turn.tx.t("ac.cp.usage"))
            return
        except ValueError:
            turn.say(turn.tx.t("ac.cp.usage"))
            return
        await store(turn, role, coupon)
    elif word == "list":
        text, keyboard = await listing(turn)
        turn.say(text, keyboard)
    elif word == "codes":
        named, _, how_many = rest.strip().rpartition(" ")
        count = parse_count(how_many)
        if not named.strip() or count is None:
            turn.say(turn.tx.t("ac.cp.codes_usage", max=MAX_ONE_TIME_CODES))
            return
        await make_codes(turn, role, named, count)
    elif word in ("off", "disable"):
        found = await coupons.coupon_for_codes(turn.uow, rest)  # its own code, not a one-time one
        if found is None:
            turn.say(turn.tx.t("ac.cp.no_such", code=rest.strip()[:32]))
            return
        if not found.active:
            turn.say(turn.tx.t("ac.cp.disabled", code=found.code))
            return
        turn.say(*confirm_disable(turn, found))  # the same Yes as the list's button
    else:
        turn.say(turn.tx.t("ac.cp.usage"))
