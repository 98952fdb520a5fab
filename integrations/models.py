"""Integrations' tables (see apps.py)."""

# --- incremental sync and safe retries (integrations/deletions.py, idempotency.py) ------
from .deletions import Deletion  # noqa: E402, F401
from .idempotency import IdempotencyKey  # noqa: E402, F401

# --- webhooks (subscriptions and deliveries: integrations/webhooks.py) -----------------
from .webhooks import Webhook, WebhookDelivery  # noqa: E402, F401
