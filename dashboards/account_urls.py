"""The customer list and the account 360 page, under /customers/ beside the customers
app's own pages (kam/urls.py mounts both)."""

from django.urls import path

from . import accounts, exports

urlpatterns = [
    path("", accounts.customer_list, name="customer_list"),
    path("<int:pk>/", accounts.customer_detail, name="customer_detail"),
    path("<int:pk>/qbr/", exports.qbr_pack, name="customer_qbr"),
]
