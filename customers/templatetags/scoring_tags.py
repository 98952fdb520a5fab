"""Template helpers of the scoring pages."""

from django import template

from kam import periods

register = template.Library()


@register.simple_tag
def closed_quarters(tenant, count=8):
    """The last `count` quarters that are over on `tenant`'s calendar, newest first: the
    quarters a scoring run may be asked to end with."""
    now = periods.Quarter.of(tenant.today())
    return [str(now - back) for back in range(1, count + 1)]
