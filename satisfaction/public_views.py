"""The respondent's survey page: reached by an invitation link, no login.

The token is resolved across tenants (the tenant is not known before it is), then the
rest of the request runs in the invitation's tenant. An unknown, tampered or replaced
token is a plain 404 page; an expired one (or one whose department was answered by
staff) a plain 410 page; nothing is written in either case.
"""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from kam.tenancy import tenant_context

from . import services
from .forms import AnswersForm
from .models import Language, Response

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # The token is in the URL: no referrer to other sites. Not "no-referrer", with which
    # browsers post the form with "Origin: null" and the CSRF check refuses it.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
}


def _render(request, template, context, status=200):
    response = render(request, template, context, status=status)
    for name, value in PAGE_HEADERS.items():
        response[name] = value
    return response


def _language(request, invitation):
    chosen = request.GET.get("lang") or request.POST.get("lang")
    if chosen in Language.values:
        return chosen
    if invitation is not None and invitation.language in Language.values:
        return invitation.language
    return Language.EN


@never_cache
def respond(request, token):
    invitation, state = services.resolve_token(token)
    language = _language(request, invitation)
    with translation.override(language):
        base = {"language": language, "languages": Language.choices}
        if state == services.TokenState.UNKNOWN:
            return _render(request, "satisfaction/public/problem.html",
                           {**base, "problem": "unknown"}, status=404)
        with tenant_context(invitation.tenant), timezone.override(invitation.tenant.tzinfo):
            context = {**base, "invitation": invitation, "survey": invitation.survey,
                       "customer": invitation.survey.customer,
                       "supplier": invitation.tenant.name,
                       "department": invitation.get_department_display()}
            if state != services.TokenState.OK:
                return _render(request, "satisfaction/public/problem.html",
                               {**context, "problem": state}, status=410)
            return _answer(request, invitation, context, language)


def _answer(request, invitation, context, language):
    survey = invitation.survey
    existing = (Response.objects.filter(invitation=invitation)
                .prefetch_related("answers").first())
    form = AnswersForm(request.POST if request.method == "POST" else None,
                       questions=services.questions_for(survey, invitation.department),
                       scale_max=survey.scale_max,
                       ask_recommend=survey.template.ask_recommend, language=language,
                       initial_response=existing)
    if request.method == "POST" and form.is_valid():
        try:
            services.respond_by_link(
                invitation, scores=form.scores(), recommend=form.cleaned_data.get("recommend"),
                comment=form.cleaned_data["comment"],
                respondent=invitation.contact.name if invitation.contact else "",
                language=language)
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            return _render(request, "satisfaction/public/thanks.html",
                           {**context, "edited": existing is not None})
    status = 400 if request.method == "POST" else 200
    return _render(request, "satisfaction/public/form.html",
                   {**context, "form": form, "existing": existing,
                    "scale_max": survey.scale_max}, status=status)
