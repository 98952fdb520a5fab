"""factory-boy factories for records models; re-exported by tests/factories.py."""

import factory

from tests.factories import TenantOwnedFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


class RecordSettingsFactory(TenantOwnedFactory):
    class Meta:
        model = "records.RecordSettings"

    attachment_max_mb = 20


def _opl_item_id(attachment):
    from satisfaction.tests.factories import OplItemFactory

    return OplItemFactory(tenant=attachment.tenant).pk


class AttachmentFactory(TenantOwnedFactory):
    """A PDF on an OPL item of the same tenant (made for it)."""

    class Meta:
        model = "records.Attachment"

    object_type = "opl-item"
    object_id = factory.LazyAttribute(_opl_item_id)
    file = factory.django.FileField(data=PDF_BYTES, filename="8d-report.pdf")
    name = "8d-report.pdf"
    size = len(PDF_BYTES)
    content_type = "application/pdf"
