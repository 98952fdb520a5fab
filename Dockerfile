# KAM web, worker and beat image (docker-compose.yml runs all three from it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# gettext: compilemessages turns locale/*.po into the .mo files Django reads. Pango and
# the Noto CJK fonts: WeasyPrint renders the PDF exports (Chinese text included).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext libpango-1.0-0 libpangoft2-1.0-0 \
       fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Settings need DEBUG=1 (or a real SECRET_KEY) to load; nothing here touches a database.
RUN DEBUG=1 python manage.py compilemessages --verbosity=0 \
    && useradd --create-home --uid 1000 kam \
    && mkdir -p "$STATIC_ROOT" "$MEDIA_ROOT" \
    && chown -R kam:kam "$STATIC_ROOT" "$MEDIA_ROOT"

USER kam
EXPOSE 8000

# The access log masks the survey tokens in paths and referrers (kam.gunicorn_log).
CMD ["gunicorn", "kam.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", \
     "--logger-class", "kam.gunicorn_log.AccessLogger"]
