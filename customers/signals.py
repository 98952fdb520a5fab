"""Signals of the customers app.

`customers_changed(sender, tenant, customer_ids)`: figures, tiers or overrides of these
customers changed through a bulk write or an UPDATE statement, which send no model
signals (customer_ids: a collection or a queryset of ids). Whatever keeps figures
derived from customers (the stored account health) listens to it.
"""

from django.dispatch import Signal

customers_changed = Signal()
