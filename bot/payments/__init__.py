"""Payment gateways: Stripe through its SDK (refunds, Checkout links, capture, webhooks)."""
