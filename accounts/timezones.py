"""The time zones a workspace chooses from: the common ones first, labelled by city and
UTC offset, then the other canonical zones grouped by region. The stored value stays the
IANA name."""

import functools
import zoneinfo
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Where a supplier's plants and customers usually are; (IANA name, city label).
COMMON_ZONES = [
    ("America/Los_Angeles", _("Los Angeles")),
    ("America/Chicago", _("Chicago")),
    ("America/Mexico_City", _("Mexico City")),
    ("America/Detroit", _("Detroit")),
    ("America/New_York", _("New York")),
    ("America/Sao_Paulo", _("São Paulo")),
    ("Europe/London", _("London")),
    ("Europe/Berlin", _("Berlin")),
    ("Europe/Paris", _("Paris")),
    ("Europe/Madrid", _("Madrid")),
    ("Europe/Prague", _("Prague")),
    ("Europe/Istanbul", _("Istanbul")),
    ("Africa/Johannesburg", _("Johannesburg")),
    ("Asia/Kolkata", _("Chennai, Kolkata")),
    ("Asia/Bangkok", _("Bangkok")),
    ("Asia/Shanghai", _("Shanghai")),
    ("Asia/Singapore", _("Singapore")),
    ("Asia/Seoul", _("Seoul")),
    ("Asia/Tokyo", _("Tokyo")),
]

REGIONS = {
    "Africa": _("Africa"),
    "America": _("America"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
    "Asia": _("Asia"),
    "Atlantic": _("Atlantic"),
    "Australia": _("Australia"),
    "Europe": _("Europe"),
    "Indian": _("Indian Ocean"),
    "Pacific": _("Pacific"),
}


def _zone_tab_lines() -> list[str]:
    """The lines of the tz database's zone.tab (one canonical zone per country region),
    or [] where it is not installed."""
    for directory in zoneinfo.TZPATH:
        path = Path(directory) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8").splitlines()
    try:
        from importlib.resources import files

        return (files("tzdata.zoneinfo") / "zone.tab").read_text(encoding="utf-8").splitlines()
    except (ImportError, FileNotFoundError, ModuleNotFoundError):
        return []


@functools.cache
def canonical_zones() -> list[str]:
    """The geographic zones, sorted, without the legacy aliases (`Factory`, `GB-Eire`,
    `Etc/…`, `US/…`, `PRC`) nor, where zone.tab is at hand, the old spellings it does not
    list (`Asia/Calcutta`)."""
    available = zoneinfo.available_timezones()
    listed = {line.split("\t")[2] for line in _zone_tab_lines()
              if line and not line.startswith("#") and line.count("\t") >= 2}
    names = listed & available or {name for name in available
                                   if name.split("/", 1)[0] in REGIONS and "/" in name}
    return sorted(name for name in names if name.split("/", 1)[0] in REGIONS)


def _offset(name: str, at: datetime) -> timedelta:
    return at.astimezone(zoneinfo.ZoneInfo(name)).utcoffset()


def utc_offset(name: str, *, at: datetime | None = None) -> str:
    """"UTC+08:00" for `name` at `at` (default: now)."""
    minutes = int(_offset(name, at or timezone.now()).total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def city_label(name: str) -> str:
    """"Buenos Aires (Argentina)" for America/Argentina/Buenos_Aires, "Kolkata" for
    Asia/Kolkata."""
    parts = [part.replace("_", " ") for part in name.split("/")[1:]]
    city = parts[-1]
    return f"{city} ({', '.join(parts[:-1])})" if len(parts) > 1 else city


def timezone_choices(*, current: str | None = None, at: datetime | None = None) -> list:
    """Grouped choices for a time-zone select: the common zones (by UTC offset), then each
    region's zones by city. `current`, a stored value not offered otherwise (an alias such
    as `Asia/Calcutta` or `UTC`), comes first so that it stays selected."""
    at = at or timezone.now()
    common_names = {name for name, _label in COMMON_ZONES}
    common = sorted(
        ((name, f"{label} ({utc_offset(name, at=at)})") for name, label in COMMON_ZONES),
        key=lambda choice: (_offset(choice[0], at), str(choice[1])))
    choices = []
    canonical = canonical_zones()
    if current and current not in common_names and current not in canonical:
        choices.append((current, current))
    choices.append((_("Common time zones"), common))
    groups = {}
    for name in canonical:
        if name not in common_names:
            groups.setdefault(name.split("/", 1)[0], []).append(
                (name, f"{city_label(name)} ({utc_offset(name, at=at)})"))
    for region, label in REGIONS.items():
        if region in groups:
            choices.append((label, sorted(groups[region], key=lambda choice: choice[1])))
    return choices
