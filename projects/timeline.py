"""Geometry of the timelines drawn as inline SVG (no JavaScript): a programme's milestones
(customer date ◇, forecast ●, actual ■, coloured by RAG, today line) and the portfolio's
next milestones. Pure functions of rows that already carry `rag` (see selectors)."""

from datetime import date, timedelta

from django.utils.formats import date_format

COLOURS = {"green": "#198754", "amber": "#d39e00", "red": "#dc3545", None: "#6c757d",
           "": "#6c757d"}

LABEL_WIDTH = 250
ROW_HEIGHT = 28
TOP = 34
RIGHT_PAD = 24


class Axis:
    def __init__(self, dates, width):
        dates = [d for d in dates if d]
        start, end = min(dates), max(dates)
        pad = max(7, (end - start).days // 20)
        self.start = start - timedelta(days=pad)
        self.end = end + timedelta(days=pad)
        self.left = LABEL_WIDTH
        self.plot_width = width - LABEL_WIDTH - RIGHT_PAD
        self.width = width

    def x(self, day):
        span = max(1, (self.end - self.start).days)
        return round(self.left + (day - self.start).days / span * self.plot_width, 1)

    def ticks(self):
        """Month ticks (every 1, 3 or 12 months, so that labels do not crowd)."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        step = 1 if months <= 14 else 3 if months <= 40 else 12
        day = date(self.start.year, self.start.month, 1)
        ticks = []
        while day <= self.end:
            if day >= self.start and (day.month - 1) % step == 0:
                fmt = "YEAR_MONTH_FORMAT" if step < 12 else "Y"
                ticks.append({"x": self.x(day), "label": date_format(day, fmt)})
            day = date(day.year + (day.month // 12), day.month % 12 + 1, 1)
        return ticks


def _today(axis, on, height):
    if axis.start <= on <= axis.end:
        return {"x": axis.x(on), "label": date_format(on, "SHORT_DATE_FORMAT"),
                "y2": height - 6}
    return None


def programme_timeline(milestones, on, width=1100):
    """Rows for a programme's milestones (with `rag` set), or None when there are none."""
    if not milestones:
        return None
    dates = [on]
    for m in milestones:
        dates += [m.planned_date, m.forecast_date, m.actual_date]
    axis = Axis(dates, width)
    rows = []
    for index, m in enumerate(milestones):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT // 2
        colour = COLOURS[m.rag]
        planned_x = axis.x(m.planned_date)
        forecast_x = axis.x(m.forecast_date) if m.forecast_date and not m.is_done else None
        actual_x = axis.x(m.actual_date) if m.actual_date else None
        end_x = actual_x if actual_x is not None else forecast_x
        rows.append({
            "milestone": m, "y": y, "label_y": y + 4, "colour": colour,
            "planned_x": planned_x, "forecast_x": forecast_x, "actual_x": actual_x,
            "slip": end_x is not None and end_x != planned_x,
            "slip_x1": min(planned_x, end_x or planned_x),
            "slip_x2": max(planned_x, end_x or planned_x),
            "diamond": _diamond(planned_x, y),
        })
    height = TOP + len(rows) * ROW_HEIGHT + 10
    return {"width": width, "height": height, "rows": rows, "ticks": axis.ticks(),
            "today": _today(axis, on, height), "axis_y": TOP - 8, "label_x": LABEL_WIDTH - 10,
            "plot_left": axis.left, "plot_right": width - RIGHT_PAD}


def portfolio_timeline(programmes, on, width=1100):
    """One row per programme (with `open_milestones`, `next_milestone`, `rag` set): its
    open milestones as ticks, the next one marked and coloured by its RAG."""
    rows_in = [p for p in programmes if p.next_milestone is not None]
    if not rows_in:
        return None
    dates = [on]
    for p in rows_in:
        for m in p.open_milestones:
            dates += [m.planned_date, m.forecast_date]
    axis = Axis(dates, width)
    rows = []
    for index, p in enumerate(rows_in):
        y = TOP + index * ROW_HEIGHT + ROW_HEIGHT // 2
        nxt = p.next_milestone
        planned_x = axis.x(nxt.planned_date)
        forecast_x = axis.x(nxt.forecast_date) if nxt.forecast_date else None
        label_x = max(planned_x, forecast_x or 0) + 10
        rows.append({
            "programme": p, "milestone": nxt, "y": y, "label_y": y + 4,
            "colour": COLOURS[nxt.rag], "programme_colour": COLOURS[p.rag],
            "ticks": [axis.x(m.planned_date) for m in p.open_milestones[1:]],
            "planned_x": planned_x, "forecast_x": forecast_x,
            "slip": forecast_x is not None and forecast_x != planned_x,
            "slip_x1": min(planned_x, forecast_x or planned_x),
            "slip_x2": max(planned_x, forecast_x or planned_x),
            "diamond": _diamond(planned_x, y),
            "text_x": label_x, "text_anchor": "start",
        })
        if label_x > width - 160:
            rows[-1]["text_x"] = min(planned_x, forecast_x or planned_x) - 10
            rows[-1]["text_anchor"] = "end"
    height = TOP + len(rows) * ROW_HEIGHT + 10
    return {"width": width, "height": height, "rows": rows, "ticks": axis.ticks(),
            "today": _today(axis, on, height), "axis_y": TOP - 8, "label_x": LABEL_WIDTH - 10,
            "plot_left": axis.left, "plot_right": width - RIGHT_PAD}


def _diamond(x, y, r=6):
    return f"{x},{y - r} {x + r},{y} {x},{y + r} {x - r},{y}"
