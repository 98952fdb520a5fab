"""Write use cases for satisfaction: templates, campaigns, invitations, responses, the OPL.

Every function takes the tenant (or objects of it) and raises Django's ValidationError
with field names for bad input; nothing is written when it raises.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import hash_token
from customers.models import Contact, Customer, DecisionRole, Department, Level, Tier
from integrations import events
from jobs import outbox
from kam.periods import Quarter
from kam.tenancy import cross_tenant
from notifications import emails
from notifications.emails import from_address

from . import opl
from .models import (
    NPS_MAX,
    NPS_MIN,
    SCALE_MIN,
    Answer,
    Campaign,
    CampaignCustomer,
    Dimension,
    Invitation,
    Language,
    OplItem,
    OplProposal,
    OplUpdate,
    Question,
    Response,
    SatisfactionSettings,
    Survey,
    SurveyTemplate,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date
    from decimal import Decimal
    from typing import Any

    from django.db.models import QuerySet

    from accounts.models import Tenant, User
    from notifications.models import OutgoingEmail

DEFAULT_TIERS = (Tier.A, Tier.B)
SURVEY_DEPARTMENTS = (Department.PURCHASING, Department.ENGINEERING, Department.LOGISTICS,
                      Department.QUALITY)
TOKEN_BYTES = 32


# --- templates -------------------------------------------------------------------------

P, E, L, Q = (Department.PURCHASING, Department.ENGINEERING, Department.LOGISTICS,
              Department.QUALITY)
ALL = [P, E, L, Q]

# (code, dimension, departments, weight, English, 简体中文)
DEFAULT_QUESTIONS = [
    ("QUA-1", Dimension.QUALITY, [Q, E, L], 2,
     "How satisfied are you with the quality of our parts at your plants (PPM, defects)?",
     "您对我们零件在贵司工厂的质量（PPM、缺陷）满意吗？"),
    ("QUA-2", Dimension.QUALITY, [Q], 1.5,
     "How well do we handle complaints: 8D reports, containment and lasting corrective "
     "actions?", "我们处理投诉（8D 报告、围堵措施和长期纠正措施）的表现如何？"),
    ("QUA-3", Dimension.QUALITY, [Q, E], 1,
     "How satisfied are you with our PPAP submissions and launch quality?",
     "您对我们的 PPAP 提交和量产启动质量满意吗？"),
    ("DEL-1", Dimension.DELIVERY, [L, P], 2,
     "How satisfied are you with our on-time, in-full delivery?",
     "您对我们的准时足量交付满意吗？"),
    ("DEL-2", Dimension.DELIVERY, [L], 1,
     "How well do we react to schedule changes and call-offs (JIT/JIS)?",
     "我们应对排程变化和要货指令（JIT/JIS）的表现如何？"),
    ("DEL-3", Dimension.DELIVERY, [L], 1,
     "How satisfied are you with our packaging, labelling and shipping documents?",
     "您对我们的包装、标签和发运单据满意吗？"),
    ("COS-1", Dimension.COST, [P], 2,
     "How competitive are our prices compared with other suppliers?",
     "与其他供应商相比，我们的价格竞争力如何？"),
    ("COS-2", Dimension.COST, [P, E], 1,
     "How well do we propose cost reductions (VA/VE, design to cost)?",
     "我们在提出降本方案（VA/VE、目标成本设计）方面表现如何？"),
    ("COS-3", Dimension.COST, [P], 1,
     "How transparent and fair are our quotations and change-price requests?",
     "我们的报价和变更价格申请是否透明、公平？"),
    ("TEC-1", Dimension.TECHNICAL_SUPPORT, [E], 2,
     "How satisfied are you with our engineering support in development "
     "(simulation, prototypes, design changes)?",
     "您对我们在开发阶段的工程支持（仿真、样件、设计变更）满意吗？"),
    ("TEC-2", Dimension.TECHNICAL_SUPPORT, [E, Q], 1,
     "How well do we bring innovation (materials, lightweight, smart cockpit) to you?",
     "我们在为贵司带来创新（材料、轻量化、智能座舱）方面表现如何？"),
    ("TEC-3", Dimension.TECHNICAL_SUPPORT, [E], 1,
     "How well do we keep programme milestones (design freeze, tooling, PPAP)?",
     "我们在遵守项目节点（设计冻结、模具、PPAP）方面表现如何？"),
    ("SER-1", Dimension.SERVICE, ALL, 1.5,
     "How quickly do we respond to your requests and issues?",
     "我们对您的需求和问题响应有多快？"),
    ("SER-2", Dimension.SERVICE, [Q, L], 1,
     "How well does our on-site support (resident engineers, sorting) work?",
     "我们的现场支持（驻厂工程师、挑选）效果如何？"),
    ("COM-1", Dimension.COMMUNICATION, ALL, 1,
     "How clear and proactive is our communication (risks, changes, escalations)?",
     "我们的沟通（风险、变更、升级）是否清晰、主动？"),
    ("COM-2", Dimension.COMMUNICATION, [P, E], 1,
     "How easy is it to reach the right person at our company?",
     "在我们公司找到合适的联系人是否容易？"),
]

DEFAULT_TEMPLATE_NAME = "Automotive OEM quarterly survey"


def ensure_default_template(tenant: Tenant) -> SurveyTemplate:
    """The tenant's default automotive template, created with its questions if missing."""
    template, created = SurveyTemplate.objects.get_or_create(
        tenant=tenant, name=DEFAULT_TEMPLATE_NAME,
        defaults={"description": "Quality, delivery, cost, technical support, service and "
                                 "communication, asked of purchasing, engineering, logistics "
                                 "and quality.", "scale_max": 5, "ask_recommend": True})
    if created:
        Question.objects.bulk_create([
            Question(tenant=tenant, template=template, code=code, dimension=dimension,
                     departments=[str(d) for d in departments], weight=weight, text_en=en,
                     text_zh=zh, position=position)
            for position, (code, dimension, departments, weight, en, zh)
            in enumerate(DEFAULT_QUESTIONS, start=1)
        ])
    return template


def template_departments(template: SurveyTemplate) -> list[str]:
    """The departments any active question of `template` is for, in the usual order."""
    wanted = set()
    for departments in template.questions.filter(is_active=True).values_list("departments",
                                                                               flat=True):
        wanted.update(departments)
    return [d for d in Department.values if d in wanted]


# --- campaigns -------------------------------------------------------------------------

def default_customers(tenant: Tenant) -> QuerySet[Customer]:
    return Customer.objects.filter(is_active=True, tier__in=DEFAULT_TIERS)


def _check_quarter_free(year, quarter, exclude=None):
    others = Campaign.objects.filter(year=year, quarter=quarter)
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    if others.exists():
        raise ValidationError({"quarter": _("There is already a campaign for %(period)s.") % {
            "period": Quarter(year, quarter)}})


@transaction.atomic
def create_campaign(tenant: Tenant, *, year: int, quarter: int, template: SurveyTemplate,
                    closes_on: date, customers: Iterable[Customer] | None = None,
                    note: str = "", user: User | None = None) -> Campaign:
    """A draft campaign for a quarter; its customers default to the active A and B tiers."""
    _check_quarter_free(year, quarter)
    campaign = Campaign(tenant=tenant, year=year, quarter=quarter, template=template,
                        closes_on=closes_on, note=note, created_by=user)
    campaign.full_clean()
    campaign.save()
    set_campaign_customers(
        campaign, customers=default_customers(tenant) if customers is None else customers)
    return campaign


CAMPAIGN_FIELDS = frozenset({"year", "quarter", "template", "closes_on", "note", "customers"})


@transaction.atomic
def update_campaign(campaign: Campaign, **fields: Any) -> Campaign:
    """Change a campaign's fields: all of them while it is a draft; the note and the
    closing day (not into the past; the links follow it) while open; the note once closed.
    The status is read from the database under a lock, never trusted from `campaign`."""
    unknown = set(fields) - CAMPAIGN_FIELDS
    if unknown:
        raise TypeError(f"Unknown campaign fields: {sorted(unknown)}")
    stored = Campaign.objects.select_for_update().get(pk=campaign.pk)
    campaign.status, campaign.opened_at, campaign.closed_at = (
        stored.status, stored.opened_at, stored.closed_at)
    if campaign.status != Campaign.Status.DRAFT:
        allowed = {"note", "closes_on"} if campaign.status == Campaign.Status.OPEN else {"note"}
        changed = [name for name, value in fields.items()
                   if name not in allowed and (name == "customers"
                                               or getattr(stored, name) != value)]
        if changed:
            raise ValidationError({changed[0]: _(
                "Only a draft campaign's quarter, template and customers can change.")})
    if (campaign.status == Campaign.Status.OPEN and fields.get("closes_on") is not None
            and fields["closes_on"] != stored.closes_on
            and fields["closes_on"] < campaign.tenant.today()):
        # The links expire at the end of the closing day: close the campaign instead.
        raise ValidationError({"closes_on": _("The closing date is in the past.")})
    if {"year", "quarter"} & fields.keys():
        _check_quarter_free(fields.get("year", campaign.year),
                            fields.get("quarter", campaign.quarter), exclude=campaign)
    customers = fields.pop("customers", None)
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.full_clean()
    if fields:
        campaign.save(update_fields=list(fields))
    if customers is not None:
        set_campaign_customers(campaign, customers=customers)
    if campaign.status == Campaign.Status.OPEN and "closes_on" in fields:
        Invitation.objects.filter(survey__campaign=campaign, revoked_at__isnull=True).update(
            expires_at=expiry(campaign))
    return campaign


def set_campaign_customers(campaign: Campaign, *, customers: Iterable[Customer]) -> None:
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError({"customers": _(
            "The customers of an open or closed campaign cannot change.")})
    wanted = {c.pk for c in customers}
    have = set(CampaignCustomer.objects.filter(campaign=campaign)
               .values_list("customer_id", flat=True))
    CampaignCustomer.objects.filter(campaign=campaign, customer_id__in=have - wanted).delete()
    CampaignCustomer.objects.bulk_create([
        CampaignCustomer(tenant=campaign.tenant, campaign=campaign, customer_id=pk)
        for pk in sorted(wanted - have)
    ])


def expiry(campaign: Campaign) -> datetime:
    """Invitations expire at the end of the closing day, in the tenant's time zone."""
    return datetime.combine(campaign.closes_on, time.max, tzinfo=campaign.tenant.tzinfo)


def new_token() -> tuple[str, str]:
    """A raw token and its hash; only the hash is stored."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, hash_token(raw)


def best_contact(contacts: Sequence[Contact]) -> Contact | None:
    """The contact an invitation is addressed to: decision makers, then higher levels,
    then more influence; with an e-mail address first."""
    level_rank = {Level.EXECUTIVE: 0, Level.MIDDLE: 1, Level.OPERATIONAL: 2}

    def key(contact):
        return (not contact.email, contact.decision_role != DecisionRole.DECISION_MAKER,
                level_rank.get(contact.level, 3), -contact.influence, contact.pk)

    return min(contacts, key=key) if contacts else None


@dataclass
class OpenResult:
    campaign: Campaign
    surveys: int = 0
    # [(invitation, raw token)] of the links to hand over — the only moment the raw tokens
    # exist. With `email_links`, those whose contact has an e-mail address are not here:
    # their e-mail carries a link of its own, issued when it is sent.
    links: list = field(default_factory=list)
    # The invitations whose link is e-mailed once the opening commits.
    emailing: list = field(default_factory=list)

    @property
    def emailed(self):
        return len(self.emailing)


def respond_path(raw_token: str) -> str:
    return reverse("survey_respond", kwargs={"token": raw_token})


@transaction.atomic
def open_campaign(campaign: Campaign, *, user: User | None = None, email_links: bool = False,
                  today: date | None = None) -> OpenResult:
    """Create one survey per included customer and one invitation per department the
    template asks (addressed to the department's best contact, if any). With
    `email_links`, the links of contacts with an address are e-mailed after the commit
    (queued here, sent by a task through the outbox; one that fails is retried by the
    tenant's next job run), never from inside this transaction: an e-mail sent before a
    rollback would carry a link that never works. Returns an OpenResult."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    tenant = campaign.tenant
    today = today or tenant.today()
    if campaign.status != Campaign.Status.DRAFT:
        raise ValidationError({"status": _("Only a draft campaign can be opened.")})
    if campaign.closes_on < today:
        raise ValidationError({"closes_on": _("The closing date is in the past.")})
    customer_ids = list(CampaignCustomer.objects.filter(campaign=campaign)
                        .values_list("customer_id", flat=True))
    if not customer_ids:
        raise ValidationError({"customers": _("Include at least one customer.")})
    departments = template_departments(campaign.template)
    if not departments:
        raise ValidationError({"template": _("The template has no active questions.")})
    surveys = Survey.objects.bulk_create([
        Survey(tenant=tenant, campaign=campaign, customer_id=pk, template=campaign.template,
               scale_max=campaign.template.scale_max) for pk in customer_ids])
    contacts = {}
    for contact in Contact.objects.filter(customer_id__in=customer_ids, is_active=True,
                                          department__in=departments):
        contacts.setdefault((contact.customer_id, contact.department), []).append(contact)
    expires = expiry(campaign)
    result = OpenResult(campaign=campaign, surveys=len(surveys))
    invitations = []
    for survey in surveys:
        for department in departments:
            raw, hashed = new_token()
            contact = best_contact(contacts.get((survey.customer_id, department), []))
            invitation = Invitation(tenant=tenant, survey=survey, department=department,
                                    contact=contact,
                                    language=invitation_language(contact, tenant),
                                    token_hash=hashed, expires_at=expires)
            invitations.append(invitation)
            result.links.append((invitation, raw))
    Invitation.objects.bulk_create(invitations)
    campaign.status = Campaign.Status.OPEN
    campaign.opened_at = timezone.now()
    campaign.save(update_fields=["status", "opened_at"])
    if email_links:
        result.emailing = [i for i in invitations if i.contact is not None and i.contact.email]
        queue_link_emails(result.emailing)
        emailing = set(result.emailing)
        result.links = [(i, raw) for i, raw in result.links if i not in emailing]
    return result


class InvitationEmail(NamedTuple):
    subject: str
    body: str
    from_email: str


def invitation_language(contact: Contact | None, tenant: Tenant) -> str:
    """The language a department is invited in: its contact's, else the workspace's."""
    for language in (getattr(contact, "language", ""), tenant.default_language):
        if language in Language.values:
            return language
    return Language.EN


def invitation_email(invitation: Invitation, raw: str, base_url: str, *,
                     reminder: bool = False) -> InvitationEmail:
    """The e-mail with an invitation's link, in its language (the contact's), from and
    naming the supplier, so that the customer does not take it for phishing; a `reminder`
    says the new link replaces the one sent before."""
    contact = invitation.contact
    values = {"name": contact.name, "url": base_url.rstrip("/") + respond_path(raw),
              "date": invitation.expires_at.date().isoformat(),
              "period": invitation.survey.campaign.period, "supplier": invitation.tenant.name}
    with translation.override(invitation.language):
        if reminder:
            subject = _("Reminder: %(supplier)s — customer satisfaction survey "
                        "%(period)s") % values
            body = _(
                "Dear %(name)s,\n\n%(supplier)s has not yet heard from you about "
                "%(period)s. The survey takes about five minutes and needs no login:\n\n"
                "%(url)s\n\nThis personal link replaces the one we sent before and works "
                "until %(date)s.\n\nThank you,\n%(supplier)s") % values
        else:
            subject = _("%(supplier)s — customer satisfaction survey %(period)s") % values
            body = _(
                "Dear %(name)s,\n\nplease tell %(supplier)s how it did as your supplier in "
                "%(period)s. The survey takes about five minutes and needs no login:\n\n"
                "%(url)s\n\nThe link is personal and works until %(date)s.\n\nThank you,"
                "\n%(supplier)s") % values
    # A name, not prose: the same in every language.
    sender = from_address(display_name=f"{invitation.tenant.name} via KAM")
    return InvitationEmail(str(subject), str(body), sender)


INVITATION_EMAIL = "invitation"  # the e-mail ledger's kind of the link e-mails


def invitation_email_key(invitation: Invitation, *, week: date | None = None) -> str:
    """The ledger key of an invitation's first e-mail, or of its chaser in `week`."""
    if week is None:
        return f"invitation:{invitation.pk}"
    return f"invitation-chase:{invitation.pk}:{week.isoformat()}"


def queue_link_emails(invitations: Sequence[Invitation], *, week: date | None = None,
                      publish: bool = True) -> list[Invitation]:
    """Queue the link e-mail of each invitation (first ones, or the chasers of `week`), to
    be sent once (`write_link_email` writes them). With `publish`, a task sends them once
    the current transaction commits (jobs.outbox); otherwise the next job run's e-mails
    do. Returns the invitations newly queued."""
    queued = []
    for invitation in invitations:
        _email, created = emails.queue_secret(
            tenant=invitation.tenant, dedup_key=invitation_email_key(invitation, week=week),
            kind=INVITATION_EMAIL, to_address=invitation.contact.email,
            subject=str(invitation.survey.campaign.period))
        if created:
            queued.append(invitation)
    if queued and publish:
        outbox.enqueue("satisfaction.tasks.send_link_emails", tenant_id=queued[0].tenant_id)
    return queued


def write_link_email(email: OutgoingEmail) -> emails.Content | None:
    """The e-mail of a queued invitation link, called by notifications.emails when it
    sends it, in the transaction of the sending: a new link is issued (only the hash of a
    token is stored, so no earlier one can be sent), kept only if the e-mail goes out —
    if it fails, the link the contact already has keeps working. None if the invitation
    no longer waits for an answer (answered, revoked, expired, campaign closed)."""
    prefix, _sep, rest = email.dedup_key.partition(":")
    reminder = prefix == "invitation-chase"
    answered = Response.objects.filter(survey=OuterRef("survey"),
                                       department=OuterRef("department"))
    invitation = (Invitation.objects
                  .filter(pk=rest.split(":", 1)[0], responded_at__isnull=True,
                          revoked_at__isnull=True, expires_at__gt=timezone.now(),
                          survey__campaign__status=Campaign.Status.OPEN)
                  .exclude(Exists(answered))
                  .select_related("survey__campaign", "contact", "tenant").first())
    contact = invitation.contact if invitation is not None else None
    if contact is None or not contact.email:
        return None
    raw = reissue_invitation(invitation)
    # The contact's language may have been set since the campaign opened.
    language = invitation_language(contact, invitation.tenant)
    invitation.language, invitation.sent_at = language, timezone.now()
    invitation.save(update_fields=["language", "sent_at"])
    subject, body, sender = invitation_email(invitation, raw, settings.SITE_URL,
                                             reminder=reminder)
    return emails.Content(subject=subject, text=body, html=emails.html_from_text(body),
                          to_address=contact.email, from_email=sender)


@transaction.atomic
def close_campaign(campaign: Campaign, *, user: User | None = None) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.OPEN:
        raise ValidationError({"status": _("Only an open campaign can be closed.")})
    now = timezone.now()
    campaign.status = Campaign.Status.CLOSED
    campaign.closed_at = now
    campaign.save(update_fields=["status", "closed_at"])
    Invitation.objects.filter(survey__campaign=campaign, expires_at__gt=now).update(
        expires_at=now)
    return campaign


def reissue_invitation(invitation: Invitation) -> str:
    """A new link for an invitation (the old one stops working); returns the raw token."""
    if invitation.survey.campaign.status != Campaign.Status.OPEN:
        raise ValidationError({"status": _("Links can only be issued while the campaign is "
                                           "open.")})
    raw, hashed = new_token()
    invitation.token_hash = hashed
    invitation.revoked_at = None
    invitation.save(update_fields=["token_hash", "revoked_at"])
    return raw


# --- the respondent's link -------------------------------------------------------------

class TokenState:
    OK = "ok"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"


def resolve_token(raw: str | None) -> tuple[Invitation | None, str]:
    """(invitation or None, state) for a raw token from a link. The lookup crosses tenants
    on purpose (the tenant is not known yet); callers set the tenant from the invitation."""
    if not raw or len(raw) > 100:
        return None, TokenState.UNKNOWN
    hashed = hash_token(raw)
    with cross_tenant():
        # An indexed equality lookup by the SHA-256 of the token: the database compares
        # hashes, never the secret, so response times say nothing about valid tokens.
        invitation = (Invitation.objects
                      .select_related("tenant", "survey__campaign", "survey__customer",
                                      "contact")
                      .filter(token_hash=hashed).first())
        response = (Response.objects.filter(invitation=invitation).first()
                    if invitation is not None else None)
    if (invitation is None or invitation.revoked_at is not None
            # Exact match in constant time (a case-insensitive collation must not pass).
            or not hmac.compare_digest(invitation.token_hash, hashed)):
        return None, TokenState.UNKNOWN
    if (invitation.expires_at <= timezone.now()
            or invitation.survey.campaign.status != Campaign.Status.OPEN):
        return invitation, TokenState.EXPIRED
    if response is not None and response.source != Response.Source.ONLINE:
        # Staff or an agency answered for this department: the link is used up.
        return invitation, TokenState.USED
    return invitation, TokenState.OK


def questions_for(survey: Survey, department: str) -> list[Question]:
    """The active questions of the survey's template asked of `department`."""
    return [q for q in Question.objects.filter(template_id=survey.template_id, is_active=True)
            .order_by("position", "id") if department in q.departments]


# --- responses -------------------------------------------------------------------------

def field_name(question: Question) -> str:
    return f"q_{question.pk}"


def validate_answers(questions: Sequence[Question], scores: Mapping[int, int | None], *,
                     scale_max: int, ask_recommend: bool,
                     recommend: int | None) -> dict[str, list[str]]:
    """Field errors for the scores given ({question id: int or None}); returns {} if fine."""
    errors = {}
    known = {q.pk for q in questions}
    for question_id in scores:
        if question_id not in known:
            errors.setdefault("answers", []).append(
                _("Question %(id)s is not part of this survey.") % {"id": question_id})
    for question in questions:
        score = scores.get(question.pk)
        if score is None:
            if question.is_required:
                errors[field_name(question)] = [_("Please answer this question.")]
            continue
        if isinstance(score, bool) or not isinstance(score, int) or not (
                SCALE_MIN <= score <= scale_max):
            errors[field_name(question)] = [_("Choose a score from %(min)s to %(max)s.") % {
                "min": SCALE_MIN, "max": scale_max}]
    if recommend is not None and (not ask_recommend or isinstance(recommend, bool)
                                  or not isinstance(recommend, int)
                                  or not NPS_MIN <= recommend <= NPS_MAX):
        errors["recommend"] = [_("Choose a value from 0 to 10.")] if ask_recommend else [
            _("This survey does not ask this question.")]
    return errors


@transaction.atomic
def save_response(survey: Survey, *, department: str, scores: Mapping[int, int | None],
                  recommend: int | None = None, comment: str = "", respondent: str = "",
                  language: str = Language.EN, source: str = Response.Source.ONLINE,
                  invitation: Invitation | None = None, user: User | None = None,
                  answer_comments: Mapping[int, str] | None = None) -> Response:
    """Create or replace the department's answers to `survey` after checking every one;
    low answers propose OPL items. Raises ValidationError (nothing written) when any
    answer is off the scale or a required one is missing."""
    if department not in Department.values:
        raise ValidationError({"department": _("Unknown department.")})
    questions = questions_for(survey, department)
    if not questions:
        raise ValidationError({"department": _(
            "This survey asks no questions of that department.")})
    errors = validate_answers(questions, scores, scale_max=survey.scale_max,
                              ask_recommend=survey.template.ask_recommend,
                              recommend=recommend)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    # One writer per survey at a time: a double submit (or staff and a respondent at the
    # same moment) edits one response instead of failing on its unique constraint.
    list(Survey.objects.select_for_update().filter(pk=survey.pk).order_by().values_list("pk"))
    if invitation is None:
        invitation = Invitation.objects.filter(survey=survey, department=department).first()
    response = (Response.objects.select_for_update()
                .filter(survey=survey, department=department).first())
    if response is None:
        response = Response(tenant=survey.tenant, survey=survey, department=department)
    elif invitation is not None and response.invitation_id not in (None, invitation.pk):
        raise ValidationError({"__all__": _("This answer belongs to another invitation.")})
    response.invitation = invitation
    response.source = source
    response.respondent = (respondent or "")[:120]
    response.language = language if language in Language.values else Language.EN
    response.recommend = recommend
    response.comment = comment or ""
    response.entered_by = user if source != Response.Source.ONLINE else None
    response.submitted_at = now
    response.full_clean(exclude=["invitation", "survey"], validate_unique=False)
    response.save()
    answer_comments = answer_comments or {}
    existing = {a.question_id: a for a in Answer.objects.filter(response=response)}
    keep = []
    for question in questions:
        score = scores.get(question.pk)
        if score is None:
            continue
        answer = existing.get(question.pk) or Answer(tenant=survey.tenant, response=response,
                                                     question=question)
        answer.dimension = question.dimension
        answer.weight = question.weight
        answer.score = score
        answer.scale_min = SCALE_MIN
        answer.scale_max = survey.scale_max
        answer.comment = (answer_comments.get(question.pk) or "")[:500]
        answer.save()
        keep.append(answer)
    Answer.objects.filter(response=response).exclude(pk__in=[a.pk for a in keep]).delete()
    if invitation is not None and invitation.responded_at is None:
        invitation.responded_at = now
        invitation.save(update_fields=["responded_at"])
    propose_items(response, answers=keep, questions=questions)
    events.emit("survey.responded", tenant=survey.tenant,
                records=[survey_response_record(survey, response, answers=len(keep))])
    return response


def survey_response_record(survey: Survey, response: Response, *, answers: int) -> dict:
    """The `survey.responded` record of one department's answers."""
    return {"survey": {"id": survey.pk, "campaign": survey.campaign_id,
                       "customer": survey.customer_id},
            "response": {"id": response.pk, "department": response.department,
                         "source": response.source, "recommend": response.recommend,
                         "answers": answers, "submitted_at": response.submitted_at}}


def propose_items(response: Response, *, answers: list[Answer],
                  questions: Iterable[Question]) -> None:
    """One pending proposal per low answer; proposals of answers no longer low go away."""
    propose_items_in_bulk([(response, answers)], texts={
        q.pk: {"en": q.text_en, "zh-hans": q.text_zh} for q in questions})


def propose_items_in_bulk(entries: list[tuple[Response, list[Answer]]], *,
                          texts: dict[int, dict[str, str]]) -> None:
    """`propose_items` for many responses at once: `entries` are (response, all its
    answers), `texts` the questions' texts by id ({"en": …, "zh-hans": …}). A fixed number
    of queries for any number of responses (their surveys loaded with customer and
    campaign)."""
    answers = [answer for _response, answers in entries for answer in answers]
    low = [(response, answer) for response, answers in entries for answer in answers
           if opl.is_low_score(answer.score, answer.scale_max)]
    low_ids = [answer.pk for _response, answer in low]
    # `answers` are all the responses' answers (the others were deleted with their
    # proposals). Naming them, rather than joining on the response, keeps the delete on
    # the answer key: inside a big transaction, such as the demo seed, the planner's
    # statistics of the empty tables made the join a scan per row.
    OplProposal.objects.filter(answer__in=[a.pk for a in answers],
                               status=OplProposal.Status.PENDING).exclude(
        answer__in=low_ids).delete()
    have = set(OplProposal.objects.filter(answer__in=low_ids).values_list("answer_id",
                                                                          flat=True))
    proposals = []
    for response, answer in low:
        if answer.pk in have:
            continue
        survey = response.survey
        department_label = Department(response.department).label
        title, lines = opl.proposal_messages(answer, texts[answer.question_id],
                                             survey.customer.name, department_label,
                                             survey.campaign.period)
        proposal = OplProposal(tenant_id=response.tenant_id, answer=answer,
                               customer=survey.customer, department=response.department)
        proposal.set_generated(title=title, description=lines)
        proposals.append(proposal)
    OplProposal.objects.bulk_create(proposals)


@dataclass(frozen=True)
class HealthDrop:
    """An account whose health fell into a worse band in `week`: what a proposal says
    (stored messages, so each reader sees them in their language)."""

    customer_id: int
    week: date
    title: dict
    description: list[dict]


def propose_for_health_drops(tenant: Tenant, *, drops: list[HealthDrop]) -> int:
    """One pending proposal per customer and week whose health band dropped, for the
    KAM to accept or dismiss like a low answer's; a week already proposed (pending or
    decided) is left alone, so a rerun proposes nothing new. Two queries; returns how
    many were proposed."""
    if not drops:
        return 0
    have = set(OplProposal.objects.filter(
        week__in={drop.week for drop in drops},
        customer__in=[drop.customer_id for drop in drops]).values_list("customer_id", "week"))
    proposals = []
    for drop in drops:
        if (drop.customer_id, drop.week) in have:
            continue
        proposal = OplProposal(tenant=tenant, source=OplProposal.Source.HEALTH,
                               customer_id=drop.customer_id, week=drop.week)
        proposal.set_generated(title=drop.title, description=drop.description)
        proposals.append(proposal)
    # A run racing another one for the same week meets the unique key: nothing twice.
    OplProposal.objects.bulk_create(proposals, ignore_conflicts=True)
    return len(proposals)


def respond_by_link(invitation: Invitation, **kwargs: Any) -> Response:
    """A respondent's answers through their link (the caller resolved the token)."""
    return save_response(invitation.survey, department=invitation.department,
                         invitation=invitation, source=Response.Source.ONLINE, **kwargs)


def check_staff_entry(survey: Survey) -> None:
    if survey.campaign.status == Campaign.Status.DRAFT:
        raise ValidationError({"survey": _("The campaign is not open yet.")})


# --- the OPL ---------------------------------------------------------------------------

ITEM_FIELDS = ["customer", "source", "answer", "title", "description", "department",
               "priority", "owner", "accountable", "due_date", "root_cause", "action",
               "verification"]


def _log(item, *, user, note, progress, status_from="", status_to="", at=None):
    return OplUpdate.objects.create(
        tenant=item.tenant, item=item, author=user, note=note, progress=progress,
        status_from=status_from, status_to=status_to, created_at=at or timezone.now())


@transaction.atomic
def create_item(tenant: Tenant, *, user: User | None = None, opened_on: date | None = None,
                generated: dict | None = None, **fields: Any) -> OplItem:
    """A new OPL item; the accountable KAM defaults to the customer's owner. `generated`:
    the stored messages of a proposal's title and description (OplProposal.generated)."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown OPL fields: {sorted(unknown)}")
    item = OplItem(tenant=tenant, created_by=user, opened_on=opened_on or tenant.today(),
                   last_update_at=timezone.now(), generated=generated or {}, **fields)
    if item.accountable_id is None and item.customer_id and item.customer.owner_id:
        item.accountable_id = item.customer.owner_id
    item.full_clean()
    item.save()
    _log(item, user=user, note=_("Item opened."), progress=0, status_to=item.status)
    events.emit("opl_item.created", tenant=tenant, records=[{"opl_item": _item_ref(item)}])
    return item


def _item_ref(item: OplItem) -> dict:
    """An OPL item as its webhook events show it."""
    return {"id": item.pk, "customer": item.customer_id, "title": item.title, "source": item.source,
            "priority": item.priority, "status": item.status, "progress": item.progress,
            "owner": item.owner_id, "accountable": item.accountable_id,
            "opened_on": item.opened_on, "due_date": item.due_date}


def _status_changed(item: OplItem, before: str, *, reason: str = "") -> None:
    if item.status != before:
        events.emit("opl_item.status_changed", tenant=item.tenant, records=[{
            "opl_item": _item_ref(item), "status": {"from": before, "to": item.status},
            "reason": reason or None}])


@transaction.atomic
def update_item(item: OplItem, *, user: User, role: str, status: str | None = None,
                status_reason: str = "", note: str = "", **fields: Any) -> OplItem:
    """Change an item's fields and, optionally, its status (checked by the OPL rules; a
    move to blocked or cancelled needs its own `status_reason`). Without a status change a
    reason amends the one of a blocked or cancelled item."""
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown OPL fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(item, name, value)
    if ((status is None or status == item.status) and (status_reason or "").strip()
            and item.status in opl.NEEDS_REASON):
        item.status_reason = status_reason.strip()
    if status is not None and status != item.status:
        opl.check_transition(item, status, user=user, role=role, reason=status_reason,
                             verification=item.verification)
    item.full_clean()
    if status is not None and status != item.status:
        before = item.status
        opl.apply_transition(item, status, user=user, reason=status_reason,
                             today=item.tenant.today())
        item.last_update_at = timezone.now()
        item.save()
        _log(item, user=user, note=note or status_reason or _("Status changed."),
             progress=item.progress, status_from=before, status_to=status)
        _status_changed(item, before, reason=item.status_reason)
    else:
        item.save()
    return item


@transaction.atomic
def add_update(item: OplItem, *, user: User, role: str, note: str, progress: int | None,
               status: str | None = None, status_reason: str = "",
               verification: str = "") -> OplUpdate:
    """A progress update: a note and % done, optionally moving the status. Returns it."""
    errors = {}
    if not (note or "").strip():
        errors["note"] = [_("Write what happened.")]
    if progress is None or isinstance(progress, bool) or not 0 <= progress <= 100:
        errors["progress"] = [_("Enter a percentage from 0 to 100.")]
    if item.status == OplItem.Status.VERIFIED:
        errors.setdefault("__all__", []).append(_("A verified item is closed."))
    if status is not None and status != item.status:
        try:
            opl.check_transition(item, status, user=user, role=role, reason=status_reason,
                                 verification=verification)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    before = item.status
    now = timezone.now()
    item.progress = progress
    if verification:
        item.verification = verification
    if status is not None and status != item.status:
        opl.apply_transition(item, status, user=user, reason=status_reason, now=now,
                             today=item.tenant.today())
    item.last_update_at = now
    item.save()
    _status_changed(item, before, reason=item.status_reason)
    return _log(item, user=user, note=note.strip(), progress=item.progress,
                status_from=before if item.status != before else "",
                status_to=item.status if item.status != before else "", at=now)


@transaction.atomic
def accept_proposal(proposal: OplProposal, *, user: User, **fields: Any) -> OplItem:
    """Turn a pending proposal into an OPL item (fields pre-filled from the answer)."""
    proposal = OplProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != OplProposal.Status.PENDING:
        raise ValidationError({"__all__": _("This proposal has already been decided.")})
    fields.setdefault("customer", proposal.customer)
    fields.setdefault("source", _item_source(proposal))
    fields.setdefault("answer", proposal.answer)
    fields.setdefault("department", proposal.department)
    fields.setdefault("title", proposal.title)
    fields.setdefault("description", proposal.description)
    item = create_item(proposal.tenant, user=user, generated=proposal.generated, **fields)
    proposal.status = OplProposal.Status.ACCEPTED
    proposal.item = item
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "item", "decided_by", "decided_at"])
    return item


def dismiss_proposal(proposal: OplProposal, *, user: User) -> OplProposal:
    if proposal.status != OplProposal.Status.PENDING:
        raise ValidationError({"__all__": _("This proposal has already been decided.")})
    proposal.status = OplProposal.Status.DISMISSED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal


def _item_source(proposal: OplProposal) -> str:
    return (OplItem.Source.HEALTH if proposal.source == OplProposal.Source.HEALTH
            else OplItem.Source.SURVEY)


def proposal_defaults(proposal: OplProposal, today: date) -> dict:
    """Initial values of the item a proposal suggests."""
    answer = proposal.answer
    # A health drop has no score to grade: a band lost is worth a prompt look.
    priority = (opl.proposed_priority(answer.score, answer.scale_max) if answer is not None
                else OplItem.Priority.HIGH)
    return {
        "customer": proposal.customer, "source": _item_source(proposal),
        "title": proposal.title, "description": proposal.description,
        "department": proposal.department, "priority": priority,
        "accountable": proposal.customer.owner, "owner": proposal.customer.owner,
        "due_date": opl.default_due_date(today, priority),
    }


def set_interim_share(tenant: Tenant, *, share: Decimal) -> SatisfactionSettings:
    """Save from which share (0–1) of answered invitations an open campaign counts."""
    row, _created = SatisfactionSettings.objects.get_or_create(tenant=tenant)
    row.interim_share = share
    row.full_clean()
    row.save(update_fields=["interim_share"])
    return row
