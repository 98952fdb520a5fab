# One unambiguous date style for 简体中文: 2026-12-04, 24-hour times; thousands separated
# by commas in groups of three, as Chinese business documents write amounts.
# Used for every date the product shows, charts included (dashboards.charts).
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = "Y年n月"  # 2026年4月
MONTH_DAY_FORMAT = "m-d"  # 12-04
FIRST_DAY_OF_WEEK = 1  # 星期一
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                          "%Y-%m-%d", "%Y/%m/%d %H:%M"]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
