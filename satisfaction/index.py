"""The satisfaction index and the B2B NPS: the one place their formulas live.

Index, 0–100, over the answered questions of a group (a survey, a department, a
dimension, a customer, a quarter of the whole portfolio):

    index = 100 × (Σ wᵢ·sᵢ / Σ wᵢ − min) / (max − min)

with wᵢ the question's weight, sᵢ the score and min/max the ends of the scale (1–5 or
1–10). Each answer keeps the scale it was given on; the index is computed as
100 × Σ wᵢ·(sᵢ − minᵢ)/(maxᵢ − minᵢ) / Σ wᵢ, which is the formula above whenever the
answers share one scale and still right when two quarters used different scales.
Unanswered questions do not count. No answers: no index (None), never 0.

NPS over the would-recommend answers (0–10): % promoters (9–10) − % detractors (0–6).

Trend: the group's index in a quarter minus its index in the previous quarter (None when
either is missing).

Set-based helpers build the same formula as ORM aggregates, so lists and reports compute
any number of groups in one query.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast

PROMOTER_MIN = 9
DETRACTOR_MAX = 6
ONE_DECIMAL = Decimal("0.1")


def _round(value):
    if value is None:
        return None
    return Decimal(str(value)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def satisfaction_index(answers):
    """The index of `answers`: an iterable of (weight, score, scale_min, scale_max)."""
    weighted = total = Decimal(0)
    for weight, score, low, high in answers:
        if score is None:
            continue
        weight = Decimal(str(weight))
        weighted += weight * (Decimal(score) - low) / (Decimal(high) - low)
        total += weight
    if not total:
        return None
    return _round(100 * weighted / total)


def nps(recommend_scores):
    """The NPS (−100…100) of the 0–10 answers given; None when nobody answered."""
    scores = [s for s in recommend_scores if s is not None]
    if not scores:
        return None
    promoters = sum(1 for s in scores if s >= PROMOTER_MIN)
    detractors = sum(1 for s in scores if s <= DETRACTOR_MAX)
    return _round(Decimal(100) * (promoters - detractors) / len(scores))


def trend(current, previous):
    if current is None or previous is None:
        return None
    return _round(Decimal(str(current)) - Decimal(str(previous)))


# --- set-based ------------------------------------------------------------------------

def _float(expression):
    return Cast(expression, FloatField())


def weighted_sum(prefix="", filter=None):
    """Σ wᵢ·(sᵢ − minᵢ)/(maxᵢ − minᵢ) over the answers at `prefix` (e.g. "answers__"),
    of those matching `filter` (a Q) if given."""
    p = prefix
    return Sum(_float(F(f"{p}weight")) * _float(F(f"{p}score") - F(f"{p}scale_min"))
               / _float(F(f"{p}scale_max") - F(f"{p}scale_min")), filter=filter)


def weight_sum(prefix="", filter=None):
    return Sum(_float(F(f"{prefix}weight")), filter=filter)


def index_annotations(prefix="", *, filter=None, suffix=""):
    """Annotations `_iw` and `_w` (plus `suffix`) whose ratio × 100 is the index of the
    answers (matching `filter`); see `from_sums`."""
    return {f"_iw{suffix}": weighted_sum(prefix, filter),
            f"_w{suffix}": weight_sum(prefix, filter)}


def from_totals(weighted, total):
    """The index from Σ wᵢ·(sᵢ − minᵢ)/(maxᵢ − minᵢ) and Σ wᵢ."""
    if not total:
        return None
    return _round(100 * weighted / total)


def from_sums(row):
    """The index of a row annotated (or aggregated) with `index_annotations`."""
    return from_totals(row.get("_iw"), row.get("_w"))


def grouped(answers, *group_by):
    """{group key: index} over the `answers` queryset (of Answer) grouped by the given
    fields, in one query; a key is a value for one field, a tuple for several."""
    rows = answers.order_by().values(*group_by).annotate(**index_annotations())
    result = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        result[key[0] if len(key) == 1 else key] = from_sums(row)
    return result


def total(answers):
    """The index of all of `answers` (an Answer queryset) together."""
    return from_sums(answers.order_by().aggregate(**index_annotations()))


def nps_annotations(prefix=""):
    """Counts of would-recommend answers (all, promoters, detractors) over Response rows
    at `prefix` ("" on a Response queryset, "responses__" on a Survey one); distinct, so
    other joins in the same query do not inflate them."""
    target = prefix.removesuffix("__") or "pk"
    p = f"{prefix}recommend"
    return {
        "_nps_n": Count(target, distinct=True, filter=Q(**{f"{p}__isnull": False})),
        "_nps_pro": Count(target, distinct=True, filter=Q(**{f"{p}__gte": PROMOTER_MIN})),
        "_nps_det": Count(target, distinct=True, filter=Q(**{f"{p}__lte": DETRACTOR_MAX})),
    }


def nps_from_counts(row):
    answered = row.get("_nps_n") or 0
    if not answered:
        return None
    return _round(Decimal(100) * (row["_nps_pro"] - row["_nps_det"]) / answered)


def grouped_nps(responses, *group_by):
    """{group key: NPS} over a Response queryset, in one query."""
    rows = responses.order_by().values(*group_by).annotate(**nps_annotations())
    result = {}
    for row in rows:
        key = tuple(row[name] for name in group_by)
        result[key[0] if len(key) == 1 else key] = nps_from_counts(row)
    return result


# The heatmap's colour bands, the one rule for the report pages' cells and the dashboard's
# chart: (lowest index of the band, key, background, text colour), highest band first.
# Text colours keep a contrast of at least 4.5:1 on their background.
COLOUR_BANDS = (
    (80, "high", "#c6efce", "#0a3d1c"),
    (65, "good", "#e2f0d9", "#1e3d12"),
    (50, "mid", "#ffeb9c", "#4d3c00"),
    (0, "low", "#ffc7ce", "#6b0010"),
)
NO_INDEX_COLOURS = ("none", "#f1f3f5", "#495057")


def band(value):
    """(key, background, text colour) of an index's band; `NO_INDEX_COLOURS` for None."""
    if value is None:
        return NO_INDEX_COLOURS
    for lowest, key, background, text in COLOUR_BANDS:
        if value >= lowest:
            return key, background, text
    return COLOUR_BANDS[-1][1:]


def colour(value):
    """The heatmap band of an index: a CSS class name (its colours: `COLOUR_BANDS`)."""
    return f"sat-{band(value)[0]}"


def chart_bands():
    """The bands as the dashboard's heatmap draws them (ECharts pieces): [{gte, lt or lte,
    color}] over 0–100, highest first."""
    pieces, upper = [], None
    for lowest, _key, background, _text in COLOUR_BANDS:
        piece = {"gte": lowest, "color": background}
        piece.update({"lte": 100} if upper is None else {"lt": upper})
        pieces.append(piece)
        upper = lowest
    return pieces
