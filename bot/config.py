"""Settings from the environment and ``.env`` (see ``.env.example`` for every one)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_API_BASE = "https://api.telegram.org"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = ""
    telegram_api_base: str = DEFAULT_API_BASE
    bot_framework: Literal["aiogram", "ptb"] = "aiogram"
    database_url: str = "sqlite+aiosqlite:///storefront.db"
    #: Seconds to get a database connection (a new one, or a free one from the pool), and
    #: seconds one statement may take (lock waits included; SQLite: the wait for the write
    #: lock). Past either, the update fails as if the database were down: the webhook answers
    #: 500 and Telegram sends it again. The defaults of ``storage.engine``.
    db_connect_timeout: float = Field(default=5.0, gt=0, le=600)
    db_statement_timeout: float = Field(default=10.0, gt=0, le=24 * 3600)
    redis_url: str | None = None
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    payment_provider_token: str = ""
    stripe_api_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str | None = None
    #: Without a Telegram provider token, pay by Stripe Checkout links (authorise, capture at
    #: shipping). Needs STRIPE_API_KEY.
    stripe_checkout_links: bool = False
    #: Where `storefront run` listens for Stripe webhooks (when STRIPE_WEBHOOK_SECRET is set).
    stripe_webhook_host: str = "127.0.0.1"
    stripe_webhook_port: int = Field(default=8081, ge=0, le=65535)
    #: Shipping zones, rates and pickup point (YAML or JSON); empty: the bundled example.
    shipping_file: str | None = None
    #: How long a confirmed payment sheet holds stock and coupon for the payment to arrive.
    checkout_hold_minutes: int = Field(default=15, ge=1, le=24 * 60)
    return_window_days: int = Field(default=7, ge=0, le=365)
    #: Pay at pickup (a pickup point with `pay_on_delivery: true` in the shipping file): how
    #: long an unpaid pickup order holds its stock, the largest order total it may be used for
    #: when the shipping file names none (minor units, 0: no cap), and whether buyers with no
    #: paid order yet may use it when the shipping file does not say.
    cod_hold_hours: int = Field(default=48, ge=1, le=24 * 30)
    cod_max_total: int = Field(default=0, ge=0)
    cod_first_time_buyers: bool = True
    #: One reminder for a cart left alone this long; 0 turns reminders off.
    cart_reminder_hours: int = Field(default=24, ge=0, le=24 * 30)
    #: Only leaders the merchant appointed (`storefront leaders add`) may open group buys.
    group_buy_leaders_only: bool = False
    #: Group-buy seats authorise the card with a Stripe link and capture when the team fills
    #: (needs STRIPE_API_KEY); otherwise seats are paid through Telegram and refunded if the
    #: team does not fill.
    group_buy_authorize: bool = False
    #: A flash-sale reservation waits this long for its payment, then goes back to the sale.
    flash_claim_minutes: int = Field(default=10, ge=1, le=60)
    #: Watchers hear this long before a flash sale starts (and again at the start).
    flash_alert_minutes: int = Field(default=10, ge=0, le=24 * 60)
    #: An order paid this long after a click on a creator's link still earns that creator.
    creator_window_days: int = Field(default=7, ge=1, le=90)
    #: Drops one buyer gets at most in 24 hours (0: no cap).
    drops_per_day: int = Field(default=2, ge=0, le=50)
    #: Marketing messages (drops, flash-sale and restock alerts...) one buyer gets at most per
    #: local day; a buyer may lower it in /alerts (0: none at all).
    marketing_per_day: int = Field(default=3, ge=0, le=50)
    #: The time zone of buyers who never chose one (Chinese-speaking buyers: Asia/Shanghai):
    #: an IANA name (Europe/Berlin) or a UTC offset (+8, UTC-5:30).
    default_timezone: str = "UTC"
    #: The quiet hours of buyers who chose none, in their zone: ``22-8``, ``23:30-07:00`` or
    #: ``off``; marketing messages due then wait until they end.
    quiet_hours: str = "22-8"
    #: Wrong codes (coupons, group-buy, invite, creator, sale and order links) one buyer may try
    #: in GUESS_WINDOW_MINUTES; then every code is refused until the window frees (0: no limit).
    guess_limit: int = Field(default=10, ge=0, le=1000)
    guess_window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    #: `storefront webhook`: the public HTTPS URL Telegram posts updates to (its path is the
    #: path the server answers on), and the secret Telegram sends with each of them.
    webhook_url: str | None = None
    webhook_secret: str | None = None
    #: The key that signs buttons the bot hands to one chat (coupon buttons in drops, search
    #: lists, refund confirmations); empty: derived from BOT_TOKEN, so nobody has to set it.
    #: Changing it (or the token) makes the signed buttons already sent stale.
    callback_secret: str = ""
    #: Where `storefront webhook` listens (behind the HTTPS proxy that WEBHOOK_URL names).
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    #: Flood control: a chat may send FLOOD_RATE updates per FLOOD_WINDOW_SECONDS (a burst of
    #: that many, then that rate); what is over is dropped and the chat told once. 0: off.
    flood_rate: int = Field(default=20, ge=0, le=10_000)
    flood_window_seconds: float = Field(default=10.0, gt=0, le=3600)
    #: `storefront run`: updates done in the polling inbox are kept this long, then pruned.
    inbox_keep_hours: int = Field(default=24, ge=1, le=24 * 30)
    #: "💬 Ask the shop": buyers' messages go to this group (its members answer by replying);
    #: empty: to the private chat of every owner (ADMIN_IDS) and staff member.
    support_chat_id: int | None = None
    #: A buyer's message unanswered this long reminds the staff, once per this many hours
    #: (0: no reminders).
    support_reminder_hours: int = Field(default=4, ge=0, le=24 * 30)
    #: The merchant dashboard (a Telegram Mini App): the public HTTPS URL its Web App buttons
    #: open (the "🖥 Dashboard" button in /admin, staff members' menu button); empty: no
    #: buttons. `storefront webhook` serves it beside the updates (at /dashboard);
    #: `storefront run` and the sandbox listen on DASHBOARD_HOST:DASHBOARD_PORT for it.
    dashboard_url: str | None = None
    dashboard_host: str = "127.0.0.1"
    dashboard_port: int = Field(default=8082, ge=0, le=65535)
    #: How old (seconds) the Telegram sign-in a dashboard request carries may be.
    dashboard_auth_max_age: int = Field(default=24 * 3600, ge=60, le=30 * 24 * 3600)
    #: Where photos and videos uploaded from the dashboard are kept (cards send them from here
    #: once, then by Telegram's file id).
    dashboard_media_dir: str = "media/uploads"
    default_locale: Literal["en", "zh"] = "en"
    currency: str = "USD"
    shop_name: str = "Storefront"
    max_quantity_per_line: int = Field(default=20, ge=1, le=999)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(",", " ").split()]
        return value

    @field_validator("support_chat_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("default_timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from bot.domain.alerts import AlertError, parse_zone

        try:
            return parse_zone(value)
        except AlertError:
            raise ValueError("DEFAULT_TIMEZONE: an IANA zone (Asia/Shanghai) or +8") from None

    @field_validator("quiet_hours")
    @classmethod
    def _quiet(cls, value: str) -> str:
        from bot.domain.alerts import AlertError, parse_quiet

        try:
            parse_quiet(value)
        except AlertError:
            raise ValueError("QUIET_HOURS: like 22-8 or 23:30-07:00, or off") from None
        return value

    @field_validator("telegram_api_base")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")
