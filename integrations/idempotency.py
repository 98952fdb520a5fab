"""Safe retries: a POST to the API with an `Idempotency-Key` header is answered once.

The first request with a key (per token, or per user for a session, and per method and
path) runs, and its answer (status, body, Location) is stored in the same transaction as
its writes. A request with the same key and the same body within
IDEMPOTENCY_KEY_HOURS (24) gets that answer again, with `Idempotent-Replayed: true`; with
another body it is a 422; while the first one is still running, a 409. A failed answer
(5xx) is not kept, so the request may be retried with the same key. Keys live in the
database, so every worker sees them; the `integrations-cleanup` job purges old ones.

Every API view takes this path: the router (kam.api_urls) puts `IdempotentViewMixin` in
front of each viewset it registers.
"""

import hashlib
import json
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from kam.tenancy import TenantOwnedModel

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# A request still running after this long is taken to have died (its worker killed):
# its key may be used again.
IN_FLIGHT_SECONDS = 300
KEPT_HEADERS = ("Location", "Content-Type")


class IdempotencyKey(TenantOwnedModel):
    """One key's first request and, once answered, its answer."""

    key = models.CharField(max_length=MAX_KEY_LENGTH)
    # Who sent it: "token:<id>" or "user:<id>" (a browser session).
    principal = models.CharField(max_length=40)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    body_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # Null while the first request runs.
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_headers = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(
            fields=["tenant", "principal", "method", "path", "key"],
            name="idempotency_key_unique")]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotency_created")]
        verbose_name = gettext_lazy("idempotency key")

    def __str__(self):
        return f"{self.method} {self.path} {self.key}"


class KeyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_in_flight"


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _principal(request):
    token = getattr(request, "auth", None)
    if token is not None and getattr(token, "pk", None) is not None:
        return f"token:{token.pk}"
    return f"user:{request.user.pk}"


class _BodyEncoder(JSONEncoder):
    """A multipart body's files (an attachment's upload) count by their name and content."""

    def default(self, obj):
        if isinstance(obj, UploadedFile):
            digest = hashlib.sha256()
            for chunk in obj.chunks():
                digest.update(chunk)
            obj.seek(0)
            return {"file": obj.name, "sha256": digest.hexdigest()}
        return super().default(obj)


def _body_hash(request):
    """The hash of the body as parsed, so that a retry serialised with other spacing or
    key order is the same request."""
    data = request.data
    if hasattr(data, "lists"):  # a multipart body (QueryDict): every value of each key
        data = {key: values if len(values) != 1 else values[0] for key, values in data.lists()}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=_BodyEncoder)
    return hashlib.sha256(body.encode()).hexdigest()


def window_start(now=None):
    return (now or timezone.now()) - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)


def begin(request):
    """The key row of this request, claimed for it; or a Response to replay. Raises
    KeyConflict (running) or KeyReused (another body). None: no key, nothing to do."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        from rest_framework.exceptions import ValidationError

        raise ValidationError({HEADER: [_("Send a key of 1 to %(max)s characters.")
                                        % {"max": MAX_KEY_LENGTH}]})
    fields = {"principal": _principal(request), "method": request.method,
              "path": request.path[:500], "key": key}
    body_hash = _body_hash(request)
    now = timezone.now()
    # Committed at once (the request's own transaction starts after), so that a second
    # request with the key sees it running.
    with transaction.atomic():
        row = IdempotencyKey.objects.select_for_update().filter(**fields).first()
        stale = row is not None and (
            row.created_at < window_start(now)
            or (row.status_code is None
                and row.created_at < now - timedelta(seconds=IN_FLIGHT_SECONDS)))
        if row is None or stale:
            if row is not None:
                row.delete()
            try:
                with transaction.atomic():
                    return IdempotencyKey.objects.create(**fields, body_hash=body_hash,
                                                         created_at=now)
            except IntegrityError:  # the same key, sent at the same moment
                raise KeyConflict(_("A request with this Idempotency-Key is still being "
                                    "processed; try again shortly.")) from None
    if row.body_hash != body_hash:
        raise KeyReused(_("This Idempotency-Key was used with another request body; use a "
                          "new key for a new request."))
    if row.status_code is None:
        raise KeyConflict(_("A request with this Idempotency-Key is still being processed; "
                            "try again shortly."))
    return replay(row)


def replay(row):
    data = json.loads(row.response_body) if row.response_body else None
    headers = {name: value for name, value in row.response_headers.items()
               if name != "Content-Type"}
    response = Response(data, status=row.status_code, headers=headers)
    response[REPLAYED_HEADER] = "true"
    return response


def keeps(response):
    """Whether an answer is kept for replays: not a failure (5xx), nor a refusal to run
    at all (429, too many requests)."""
    return response.status_code < 500 and response.status_code != 429


def store(row, response):
    row.status_code = response.status_code
    row.response_body = json.dumps(getattr(response, "data", None), cls=JSONEncoder)
    row.response_headers = {name: response[name] for name in KEPT_HEADERS
                            if response.has_header(name)}
    row.save(update_fields=["status_code", "response_body", "response_headers"])


def release(row):
    IdempotencyKey.objects.filter(pk=row.pk, status_code__isnull=True).delete()


def purge(*, now=None) -> int:
    """Delete the current tenant's keys past their window; returns how many."""
    deleted, _counts = IdempotencyKey.objects.filter(created_at__lt=window_start(now)).delete()
    return deleted


class IdempotentViewMixin:
    """Runs a POST with an Idempotency-Key once (see the module): the handler and the
    stored answer in one transaction."""

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or HEADER not in request.headers:
            return super().dispatch(request, *args, **kwargs)
        # DRF's dispatch, with the handler run under the key.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        try:
            self.initial(request, *args, **kwargs)
            handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
            claimed = None if handler == self.http_method_not_allowed else begin(request)
            if claimed is None:
                response = handler(request, *args, **kwargs)
            elif isinstance(claimed, Response):
                response = claimed
            else:
                response = self._run_keyed(claimed, handler, request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 -- as DRF's dispatch: handled or re-raised
            response = self.handle_exception(exc)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _run_keyed(self, row, handler, request, *args, **kwargs):
        failed = False
        try:
            with transaction.atomic():
                try:
                    response = handler(request, *args, **kwargs)
                except Exception as exc:  # noqa: BLE001 -- answered by DRF, or re-raised
                    # A refused request writes nothing, even what it wrote before failing.
                    transaction.set_rollback(True)
                    failed = True
                    response = self.handle_exception(exc)
                if keeps(response) and not failed:
                    store(row, response)  # commits with the handler's writes
        except BaseException:
            release(row)
            raise
        if not keeps(response):
            release(row)
        elif failed:
            store(row, response)  # a refusal (4xx): nothing was written, the answer holds
        return response
