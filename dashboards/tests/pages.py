"""Reading the dashboard page in tests: its text, and the figures behind its charts."""

import json
import re
from html import unescape


def text(response):
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def chart_data(response):
    return json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)'
                                r"</script>", response.content.decode(), re.S)[1])
