# One image for every role of the service: web (gunicorn), worker, scheduler, migrate.

# The pages' stylesheet and script: GOV.UK Frontend compiled as `make setup` does.
FROM node:20-slim AS frontend
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend ./frontend
RUN mkdir -p service/static && npm run build

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    LOG_FORMAT=json \
    TZ=UTC

WORKDIR /app
# Editable install: migrations/ stays beside service/, where create_app looks for it.
COPY pyproject.toml README.md ./
COPY solver ./solver
COPY service ./service
COPY --from=frontend /build/service/static/govuk ./service/static/govuk
COPY worker ./worker
COPY migrations ./migrations
# The app writes only to its instance folder (create_app makes it).
RUN pip install -e . && useradd --system --home-dir /app app \
    && mkdir -p /app/instance && chown app /app/instance
USER app

EXPOSE 8000
# The web role by default; compose gives each other role its own command.
CMD ["gunicorn", "--config", "python:service.gunicorn_conf", "service:create_app()"]
