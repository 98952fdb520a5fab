"""Survey tokens stay out of the logs: the public link `/satisfaction/r/<token>/` is the
respondent's only credential, so Django's request warnings, the development server's
request lines and gunicorn's access log write it masked (kam.log_filters,
kam.gunicorn_log)."""

import io
import logging
import types
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test import Client

from kam.log_filters import MaskSecretPaths, mask

TOKEN = "Zq3xS3cr3tT0k3n-abc_DEF"
ROOT = Path(settings.BASE_DIR)


def test_mask_hides_the_token_and_keeps_the_rest():
    assert mask(f"/satisfaction/r/{TOKEN}/") == "/satisfaction/r/***/"
    assert mask(f"GET /satisfaction/r/{TOKEN}/?lang=zh-hans HTTP/1.1") == (
        "GET /satisfaction/r/***/?lang=zh-hans HTTP/1.1")
    assert mask(f"https://kam.example.com/satisfaction/r/{TOKEN}") == (
        "https://kam.example.com/satisfaction/r/***")
    assert mask("/satisfaction/surveys/12/") == "/satisfaction/surveys/12/"


@pytest.mark.parametrize("args", [
    ("Not Found", f"/satisfaction/r/{TOKEN}/"),
    {"path": f"/satisfaction/r/{TOKEN}/", "status": 404},
], ids=["positional", "by-name"])
def test_the_filter_masks_messages_and_their_arguments(args):
    message = "%s: %s" if isinstance(args, tuple) else "%(path)s %(status)d"
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, message, args,
                               None)

    assert MaskSecretPaths().filter(record)
    assert TOKEN not in record.getMessage() and "/satisfaction/r/***/" in record.getMessage()


@contextmanager
def console_output():
    """What the configured console handler (settings.LOGGING) writes meanwhile."""
    [handler] = [h for h in logging.getLogger().handlers
                 if any(isinstance(f, MaskSecretPaths) for f in h.filters)]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield stream
    finally:
        handler.setStream(previous)


def test_a_request_for_a_survey_link_is_logged_with_the_token_masked(db):
    with console_output() as output:
        response = Client().get(f"/satisfaction/r/{TOKEN}/")

    assert response.status_code == 404
    logged = output.getvalue()
    assert "django.request" in logged and "/satisfaction/r/***/" in logged
    assert TOKEN not in logged


def test_the_development_servers_request_lines_are_masked_too():
    with console_output() as output:
        logging.getLogger("django.server").info('"%s" %s %s',
                                                f"GET /satisfaction/r/{TOKEN}/ HTTP/1.1",
                                                "200", "5120")

    assert "/satisfaction/r/***/" in output.getvalue() and TOKEN not in output.getvalue()


def test_gunicorns_access_log_masks_the_request_line_the_path_and_the_referrer():
    from gunicorn.config import Config

    from kam.gunicorn_log import AccessLogger

    config = Config()
    config.set("accesslog", "-")
    logger = AccessLogger(config)
    page = f"https://kam.example.com/satisfaction/r/{TOKEN}/"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/satisfaction/r/{TOKEN}/?lang=en",
               "PATH_INFO": f"/satisfaction/r/{TOKEN}/", "SERVER_PROTOCOL": "HTTP/1.1",
               "REMOTE_ADDR": "192.0.2.1", "HTTP_REFERER": page}
    response = types.SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = types.SimpleNamespace(headers=[("REFERER", page)])

    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=30))
    line = config.access_log_format % logger.atoms_wrapper_class(atoms)

    assert TOKEN not in line and TOKEN not in str(atoms)
    assert '"GET /satisfaction/r/***/?lang=en HTTP/1.1" 200' in line


def test_the_web_process_runs_gunicorn_with_the_masking_access_logger():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    web = " ".join(compose["services"]["web"]["command"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    cmd = dockerfile[dockerfile.index("CMD ["):]

    for command in (web, cmd):
        assert "--access-logfile" in command
        assert "kam.gunicorn_log.AccessLogger" in command
