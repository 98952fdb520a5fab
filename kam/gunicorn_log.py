"""Gunicorn's access log without secrets: `--logger-class kam.gunicorn_log.AccessLogger`
(docker-compose.yml, the Dockerfile) masks the survey tokens (kam.log_filters) in every
field of a line — the request line, the path, the Referer of the page's own assets and any
header — whatever `--access-logformat` says."""

from gunicorn import glogging

from .log_filters import mask


class AccessLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: mask(value) if isinstance(value, str) else value
                for name, value in atoms.items()}
