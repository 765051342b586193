# Production image: gunicorn serves the web app; the same image runs the Celery worker and beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 1000 helpdesk

COPY pyproject.toml ./
RUN pip install --quiet .

COPY . .
# Static files are collected at build time and served by WhiteNoise; the key is a build-only dummy.
RUN SECRET_KEY=build-only-not-secret DEBUG=false python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var/media && chown -R helpdesk /app/var

USER helpdesk
EXPOSE 8000
CMD ["gunicorn", "helpdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
