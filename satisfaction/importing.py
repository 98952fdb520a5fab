"""The survey-answers import kind: results an agency (or staff) collected, one row per
customer and department of a campaign, through the one import pipeline (kam.imports;
SatisfactionConfig.ready registers it).

Columns: `customer_code, department, respondent, recommend, comment` and one per active
question of the campaign's template, by its code; a score is a whole number on the
survey's scale, and "-" (as the template writes it) or an empty cell is a question not
answered. A row with nothing filled in is skipped, so the downloaded template can be
uploaded as filled in. The write is set-based and does what `services.save_response` does
for one response: the invitation is used up, low answers propose OPL items.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from customers.models import Department
from integrations import events
from kam import codes as code_rules
from kam import messages
from kam.imports import cells, kinds, row_messages
from kam.imports.cells import Column
from kam.imports.files import ImportFileError, ParsedFile
from kam.imports.rows import (
    ChangePreview,
    RowError,
    UpsertResult,
    not_on_team_error,
    preview_value,
)

from . import services
from .models import (
    NPS_MAX,
    NPS_MIN,
    SCALE_MIN,
    Answer,
    Campaign,
    Invitation,
    Language,
    Question,
    Response,
    Survey,
)

FIXED_COLUMNS = [
    Column("customer_code", "text", True, _(
        "Code of a customer surveyed in this campaign."), "OEM-001"),
    Column("department", "choice", True, _("One of: %(choices)s."), "quality",
           choices=Department),
    Column("respondent", "text", False, _("Who answered (at most 120 characters)."), ""),
    Column("recommend", "integer", False, _(
        "Would recommend us, 0–10, when the survey asks it."), ""),
    Column("comment", "text", False, _("The department's comment."), ""),
]
# The template's mark for a question not asked of the row's department.
NOT_ASKED = frozenset({"-", "–", "—", "n/a"})
SOURCES = [(Response.Source.AGENCY, Response.Source.AGENCY.label),
           (Response.Source.STAFF, Response.Source.STAFF.label)]
RESPONSE_FIELDS = ["invitation", "source", "respondent", "language", "recommend", "comment",
                   "entered_by", "submitted_at", "updated_at"]
ANSWER_FIELDS = ["dimension", "weight", "score", "scale_min", "scale_max", "comment"]

NO_SURVEY = _("No survey for this customer code in this campaign.")
NOT_OPEN = _("The campaign is not open yet.")
ANSWERS_TWICE = _("%(code)s %(department)s appears twice in this upload (also line %(line)d).")


# --- what the file is for ----------------------------------------------------------------


class CampaignScopeForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=Campaign.objects.none(), label=_("Campaign"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.order_by("-year", "-quarter")

    def clean_campaign(self):
        campaign = self.cleaned_data["campaign"]
        if campaign.status == Campaign.Status.DRAFT:
            raise forms.ValidationError(NOT_OPEN)
        return campaign


def _campaign(options):
    campaign = (Campaign.objects.select_related("template")
                .filter(pk=options.get("campaign")).first())
    if campaign is None:
        raise ImportFileError(messages.message(_("The campaign of this import is gone.")))
    if campaign.status == Campaign.Status.DRAFT:
        raise ImportFileError(messages.message(NOT_OPEN))
    return campaign


def _questions(campaign):
    return list(Question.objects.filter(template_id=campaign.template_id, is_active=True)
                .order_by("position", "id"))


def _question_column(question, scale_max):
    # Columns are built for each page and task: the help is in the reader's language.
    return Column(question.code, "integer", False, _(
        "%(question)s Score %(min)s–%(max)s; asked of: %(departments)s.") % {
        "question": question.text(translation.get_language()), "min": SCALE_MIN,
        "max": scale_max, "departments": ", ".join(question.departments)}, "")


def _not_asked(value):
    return value in ("", None) or (isinstance(value, str) and value.strip().lower() in NOT_ASKED)


# --- checking --------------------------------------------------------------------------


@dataclass
class AnswerLookups:
    """What every row is checked against, read once for the whole file."""

    campaign: Campaign
    questions: list
    surveys: dict  # customer code ignoring case -> Survey
    invitations: dict  # (survey id, department) -> Invitation
    responses: dict  # (survey id, department) -> Response
    answers: dict  # response id -> {question id: Answer}

    def __post_init__(self):
        self.by_code = {q.code: q for q in self.questions}


def answer_lookups(*, campaign: Campaign, rows: list[dict]) -> AnswerLookups:
    """What the rows are checked against: the campaign's surveys, and the invitations,
    responses and answers of the surveys the rows name. A fixed number of queries for any
    number of rows."""
    surveys = {code_rules.key(s.customer.code): s for s in Survey.objects.filter(
        campaign=campaign).select_related("customer", "campaign")}
    named = {surveys[key].pk for key in {code_rules.key(cells.text(row.get("customer_code")))
                                         for row in rows} if key in surveys}
    responses = {(r.survey_id, r.department): r
                 for r in Response.objects.filter(survey__in=named)}
    answers = {}
    for answer in Answer.objects.filter(response__survey__in=named).only(
            "id", "response_id", "question_id", "score"):
        answers.setdefault(answer.response_id, {})[answer.question_id] = answer
    return AnswerLookups(
        campaign=campaign, questions=_questions(campaign), surveys=surveys,
        invitations={(i.survey_id, i.department): i
                     for i in Invitation.objects.filter(survey__in=named)},
        responses=responses, answers=answers)


@dataclass
class AnswerRow:
    """One department's answers, checked: what the write saves."""

    line: int
    survey: Survey
    department: str
    scores: dict  # question id -> score
    recommend: object
    respondent: str
    comment: str
    invitation: object = None
    response: object = None  # the department's response before the import, if any


@dataclass
class AnswerPlan:
    result: UpsertResult = field(default_factory=UpsertResult)
    rows: list = field(default_factory=list)
    seen: dict = field(default_factory=dict)  # (survey id, department) -> line
    texts: dict = field(default_factory=dict)  # question id -> its texts, for proposals
    lookups: object = None


def _key_error(lookups, number, row, editable):
    """(the row's survey and department, or None; its error, or None)."""
    code = cells.text(row.get("customer_code"))
    survey = lookups.surveys.get(code_rules.key(code))
    if survey is None:
        return None, RowError(number, "customer_code", messages.message(NO_SURVEY))
    word = cells.text(row.get("department"))
    department = cells.choice_value(Department, word) if word else None
    if department is None:
        return None, RowError(number, "department", messages.message(
            _("“%(value)s” is not one of: %(choices)s."), value=word,
            choices=cells.choice_help(Department)) if word else messages.message(
            row_messages.EMPTY, column="department"))
    if editable is not None and survey.customer_id not in editable:
        return None, not_on_team_error(number, "customer_code", survey.customer.code)
    return (survey, department), None


def _score_errors(lookups, number, row, survey, department):
    """({question id: score} of the row's answers, their errors)."""
    scores, errors = {}, []
    for code, question in lookups.by_code.items():
        value = row.get(code)
        if _not_asked(value):
            if department in question.departments and question.is_required:
                errors.append(RowError(number, code, messages.message(
                    _("Please answer this question."))))
            continue
        if department not in question.departments:
            errors.append(RowError(number, code, messages.message(
                _("This question is not asked of that department."))))
            continue
        try:
            score = cells.whole_number(value)
        except ValueError:
            errors.append(RowError(number, code, messages.message(
                row_messages.WHOLE_NUMBER, column=code, value=value)))
            continue
        if not SCALE_MIN <= score <= survey.scale_max:
            errors.append(RowError(number, code, messages.message(
                _("Choose a score from %(min)s to %(max)s."), min=SCALE_MIN,
                max=survey.scale_max)))
        scores[question.pk] = score
    return scores, errors


def _recommend(lookups, number, row, errors):
    value = row.get("recommend")
    if _not_asked(value):
        return None
    try:
        recommend = cells.whole_number(value)
    except ValueError:
        errors.append(RowError(number, "recommend", messages.message(
            row_messages.WHOLE_NUMBER, column="recommend", value=value)))
        return None
    if not lookups.campaign.template.ask_recommend:
        errors.append(RowError(number, "recommend", messages.message(
            _("This survey does not ask this question."))))
    elif not NPS_MIN <= recommend <= NPS_MAX:
        errors.append(RowError(number, "recommend", messages.message(
            _("Choose a value from 0 to 10."))))
    return recommend


def _filled(lookups, row):
    """Whether the row gives anything: a template row nobody filled in is skipped."""
    return (any(not _not_asked(row.get(code)) for code in lookups.by_code)
            or not _not_asked(row.get("recommend"))
            or any(cells.text(row.get(name)) for name in ("comment", "respondent")))


def _check_row(plan, lookups, number, row, context, preview):
    key, error = _key_error(lookups, number, row, context.editable)
    if error is not None:
        plan.result.errors.append(error)
        return
    survey, department = key
    if not _filled(lookups, row):
        if preview is not None:
            preview.changed_row(number, survey.customer.code, [])
        return
    if key_line := plan.seen.get((survey.pk, department)):
        plan.result.errors.append(RowError(number, "department", messages.message(
            ANSWERS_TWICE, code=survey.customer.code,
            department=Department(department).label, line=key_line)))
        return
    plan.seen[survey.pk, department] = number
    scores, errors = _score_errors(lookups, number, row, survey, department)
    recommend = _recommend(lookups, number, row, errors)
    checked = AnswerRow(
        line=number, survey=survey, department=department, scores=scores,
        recommend=recommend, respondent=cells.text(row.get("respondent"))[:120],
        comment=cells.text(row.get("comment")),
        invitation=lookups.invitations.get((survey.pk, department)),
        response=lookups.responses.get((survey.pk, department)))
    if (checked.response is not None and checked.invitation is not None
            and checked.response.invitation_id not in (None, checked.invitation.pk)):
        errors.append(RowError(number, "", messages.message(
            _("This answer belongs to another invitation."))))
    if errors:
        plan.result.errors.extend(errors)
        return
    if preview is not None:
        _preview(preview, lookups, checked, context.options)
    plan.rows.append(checked)


def check_answers(*, context: kinds.Context, parsed: ParsedFile,
                  preview: ChangePreview | None = None) -> AnswerPlan:
    """Check every row of a survey-answers file; writes nothing."""
    lookups = answer_lookups(campaign=_campaign(context.options), rows=parsed.rows)
    plan = AnswerPlan(lookups=lookups, texts={q.pk: {"en": q.text_en, "zh-hans": q.text_zh}
                                              for q in lookups.questions})
    for number, row in zip(parsed.lines, parsed.rows, strict=True):
        _check_row(plan, lookups, number, row, context, preview)
    plan.result.created = sum(1 for r in plan.rows if r.response is None)
    plan.result.updated = len(plan.rows) - plan.result.created
    plan.result.errors.sort(key=lambda e: e.row)
    return plan


# --- the preview ---------------------------------------------------------------------------


def _values(lookups, respondent, recommend, comment, scores):
    """column -> value, of what a row (or a response before it) says."""
    values = {"respondent": respondent, "recommend": recommend, "comment": comment}
    values.update((q.code, scores.get(q.pk)) for q in lookups.questions)
    return values


def _preview(preview, lookups, row, options):
    code, department = row.survey.customer.code, messages.message(
        Department(row.department).label)
    after = _values(lookups, row.respondent, row.recommend, row.comment, row.scores)
    if row.response is None:
        preview.new_row(row.line, code, [(name, preview_value(value))
                                         for name, value in after.items()
                                         if value not in (None, "")], period=department)
        return
    response = row.response
    before = _values(lookups, response.respondent, response.recommend, response.comment,
                     {qid: a.score for qid, a in lookups.answers.get(response.pk, {}).items()})
    source = options.get("source") or Response.Source.AGENCY
    changes = [(name, preview_value(before[name]), preview_value(value), "")
               for name, value in after.items() if before[name] != value]
    if response.source != source:
        online = response.source == Response.Source.ONLINE
        changes.insert(0, ("source", preview_value(Response.Source(response.source).label),
                           preview_value(Response.Source(source).label),
                           "replaces_online" if online else ""))
    preview.changed_row(row.line, code, changes, period=department)


# --- the write -------------------------------------------------------------------------------


def _response(row, *, tenant, source, user, now):
    response = Response(tenant=tenant, survey=row.survey, department=row.department,
                        invitation=row.invitation, source=source, respondent=row.respondent,
                        language=Language.EN, recommend=row.recommend, comment=row.comment,
                        entered_by=user, submitted_at=now, updated_at=now)
    return response  # with the survey as loaded (customer, campaign): proposals name them


def _answers(row, response, lookups):
    """(the response's answers after the import, the ids of those it no longer has)."""
    kept = [Answer(tenant_id=response.tenant_id, response=response, question=question,
                   dimension=question.dimension, weight=question.weight,
                   score=row.scores[question.pk], scale_min=SCALE_MIN,
                   scale_max=row.survey.scale_max, comment="")
            for question in lookups.questions if question.pk in row.scores]
    before = lookups.answers.get(row.response.pk, {}) if row.response is not None else {}
    return kept, [answer.pk for question_id, answer in before.items()
                  if question_id not in row.scores]


def _write_chunk(chunk, plan, context, now):
    """Insert or update the chunk's responses and answers, one INSERT … ON CONFLICT each
    (bulk_update's CASE WHEN per row and field costs seconds for a file); the ids come
    back from the inserts."""
    source = context.options.get("source") or Response.Source.AGENCY
    responses = [_response(row, tenant=context.tenant, source=source, user=context.user,
                           now=now) for row in chunk]
    Response.objects.bulk_create(responses, update_conflicts=True,
                                 unique_fields=["survey", "department"],
                                 update_fields=RESPONSE_FIELDS)
    entries, gone = [], []
    for row, response in zip(chunk, responses, strict=True):
        kept, removed = _answers(row, response, plan.lookups)
        entries.append((response, kept))
        gone += removed
    if gone:
        Answer.objects.filter(pk__in=gone).delete()
    Answer.objects.bulk_create([a for _response, kept in entries for a in kept],
                               update_conflicts=True, unique_fields=["response", "question"],
                               update_fields=ANSWER_FIELDS)
    services.propose_items_in_bulk(entries, texts=plan.texts)
    # One event per department's answers, in one insert for the chunk.
    events.emit("survey.responded", tenant=context.tenant, records=(
        services.survey_response_record(row.survey, response, answers=len(kept))
        for row, (response, kept) in zip(chunk, entries, strict=True)))


def write_answers(*, context: kinds.Context, plan: AnswerPlan,
                  progress: Callable[[int], None] | None = None) -> None:
    """Save every checked row at once: the responses and their answers in bulk, the
    invitations used up, the OPL proposals of low answers (services.save_response's
    effects, for a whole file)."""
    now, done = timezone.now(), 0
    with transaction.atomic():
        # One writer per survey at a time, as save_response: a respondent's link and the
        # import do not write the same response at once.
        list(Survey.objects.select_for_update().filter(
            pk__in={row.survey.pk for row in plan.rows}).order_by().values_list("pk"))
        for chunk in kinds.chunks(plan.rows):
            _write_chunk(chunk, plan, context, now)
            done += len(chunk)
            if progress:
                progress(done)
        Invitation.objects.filter(
            pk__in=[row.invitation.pk for row in plan.rows if row.invitation is not None],
            responded_at__isnull=True).update(responded_at=now)


# --- the kind ------------------------------------------------------------------------------


class AnswersKind(kinds.ImportKind):
    name = "answers"
    label = _("Survey answers")
    action_label = _("Import survey answers")
    description = _(
        "One row per customer and department of a campaign. Scores are whole numbers on the "
        "survey's scale; leave a cell empty (or “-”) when the question was not answered. A "
        "row with nothing filled in is skipped.")
    flag_labels = {"replaces_online": _("Replaces an answer given online")}
    replaces_rows = True  # as an answer by link: the department's answers, whole
    scope_form = CampaignScopeForm

    def scope_options(self, cleaned_data):
        campaign = cleaned_data["campaign"]
        return {"campaign": campaign.pk, "period": campaign.period}

    def scope_label(self, options):
        return options.get("period", "")

    def upload_fields(self):
        return {"source": forms.ChoiceField(label=_("Given by"), choices=SOURCES,
                                            initial=Response.Source.AGENCY)}

    def upload_options(self, cleaned_data):
        return {"source": cleaned_data["source"]}

    def columns(self, options):
        campaign = _campaign(options)
        return [*FIXED_COLUMNS, *(_question_column(q, campaign.template.scale_max)
                                  for q in _questions(campaign))]

    def check(self, context, parsed, *, preview=None):
        plan = check_answers(context=context, parsed=parsed, preview=preview)
        return kinds.Checked(result=plan.result, plan=plan)

    def write(self, context, checked, *, progress=None):
        write_answers(context=context, plan=checked.plan, progress=progress)

    def template_rows(self, context):
        campaign = _campaign(context.options)
        questions = _questions(campaign)
        return [[survey.customer.code, department, "", "", "",
                 *["" if department in q.departments else "-" for q in questions]]
                for survey in Survey.objects.filter(campaign=campaign).select_related("customer")
                for department in services.template_departments(campaign.template)]

    def template_name(self, options):
        return f"responses-{options.get('period', '')}"

    def result_link(self, options):
        return _("Go to the campaign"), reverse("campaign_detail", args=[options["campaign"]])
