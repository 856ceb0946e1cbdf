# Journeyboard: one image for the web (ASGI) server, the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    JOURNEYBOARD_VAR_DIR=/app/var

WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY journeys ./journeys
COPY personas ./personas
COPY touchpoints ./touchpoints
COPY feedback ./feedback
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install . && python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home journeyboard && mkdir -p var/media var/uploads \
    && chown -R journeyboard var && chmod 700 var/uploads
# The compose file's volumes take their owner from these directories, so they exist here.
USER journeyboard

EXPOSE 8000
CMD ["uvicorn", "config.asgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--ws-per-message-deflate", "false"]
