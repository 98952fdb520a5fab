# One unambiguous date style for English: 4 Dec 2026 (never 12/04/2026), 24-hour times.
# Used for every date the product shows, charts included (dashboards.charts).
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "F Y"  # April 2026
MONTH_DAY_FORMAT = "j M"
FIRST_DAY_OF_WEEK = 1  # Monday
# Typed dates: ISO first, then day month year; no month-first forms (3/4 is ambiguous).
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d %b %Y", "%d %B %Y", "%d.%m.%Y"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                          "%Y-%m-%d", "%d %b %Y %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
