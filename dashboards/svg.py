"""Small server-side SVG charts (bars and lines from numbers) for the printed packs: no
JavaScript, so WeasyPrint draws them as they are."""

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH, HEIGHT = 520, 180
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 34
COLOURS = ("#2c6fbb", "#9aa5b1", "#e0a100", "#c0392b", "#2e8b57")


def _scale(series):
    values = [v for _name, points in series for v in points if v is not None]
    top = max(values, default=0)
    return top if top > 0 else 1


def _axis(labels, top, step_of):
    """The x labels under the plot and the maximum on the y axis."""
    parts = [f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
             f'y2="{HEIGHT - BOTTOM}" stroke="#555" stroke-width="0.6"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 8}" font-size="8" text-anchor="end">'
             f'{_short(top)}</text>',
             f'<text x="{LEFT - 4}" y="{HEIGHT - BOTTOM}" font-size="8" '
             'text-anchor="end">0</text>']
    for i, label in enumerate(labels):
        parts.append(f'<text x="{step_of(i):.1f}" y="{HEIGHT - BOTTOM + 11}" font-size="8" '
                     f'text-anchor="middle">{escape(label)}</text>')
    return parts


def _legend(series):
    parts, x = [], LEFT
    for i, (name, _points) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 12}" width="8" height="8" fill="{colour}"/>'
                     f'<text x="{x + 11}" y="{HEIGHT - 5}" font-size="8">{escape(name)}</text>')
        x += 24 + 6 * len(str(name))
    return parts


def _short(value):
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f} M"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f} k"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def _svg(parts, title):
    return mark_safe(  # noqa: S308 -- every text drawn is escaped, the rest are numbers
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">'
        f'<title>{escape(title)}</title>{"".join(parts)}</svg>')


def bar_chart(labels, series, *, title=""):
    """Grouped bars: `series` is [(name, [value or None per label])]."""
    top = _scale(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(labels), 1)
    bar = slot * 0.8 / max(len(series), 1)
    parts = _axis(labels, top, lambda i: LEFT + slot * (i + 0.5))
    for s, (_name, points) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        for i, value in enumerate(points):
            if value is None:
                continue
            h = plot_h * max(value, 0) / top
            x = LEFT + slot * i + slot * 0.1 + bar * s
            parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
    return _svg(parts + _legend(series), title)


def line_chart(labels, series, *, title=""):
    """Lines with dots: `series` is [(name, [value or None per label])]; gaps stay gaps."""
    top = _scale(series)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels), 1)

    def x_of(i):
        return LEFT + step * (i + 0.5)

    parts = _axis(labels, top, x_of)
    for s, (_name, points) in enumerate(series):
        colour = COLOURS[s % len(COLOURS)]
        run = []
        for i, value in enumerate(points + [None]):
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" '
                                 f'points="{" ".join(run)}"/>')
                run = []
                continue
            y = TOP + plot_h - plot_h * max(value, 0) / top
            run.append(f"{x_of(i):.1f},{y:.1f}")
            parts.append(f'<circle cx="{x_of(i):.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>')
    return _svg(parts + _legend(series), title)
