# syntax=docker/dockerfile:1
#
# The shipyard image: the API (`shipyard serve`) with a model already in it, as a non-root
# user; the `space` target serves the dashboard and the API on one port (a Hugging Face
# Space). Build and run (docs/deploy/docker.md):
#
#   docker build -t shipyard:local .
#   docker run -p 8000:8000 -e SHIPYARD_AUTH__JWT_SECRET=... shipyard:local
#
# What is particular to this project is in two build arguments: EXTRAS (the extras pip
# installs with the project) and TRAIN_COMMAND (what puts a model in the image's MLflow store).

# Both stages use the same Python (the virtual environment is copied from one to the other).
ARG PYTHON_VERSION=3.11

# --- builder: a virtual environment with the project, and the baked model -----------------
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH

RUN python -m venv /opt/venv

WORKDIR /src
COPY . .

# The project's extras the image serves with, brackets included (empty: the project alone):
# PostgreSQL, the ONNX fast path, the dashboard, the Prefect client. Installed from the
# source's path (/src), so pip takes the versions the project itself requires.
ARG EXTRAS="[postgres,onnx,dashboard,prefect]"
RUN --mount=type=cache,target=/root/.cache/pip pip install "/src${EXTRAS}"

# Registers a model in a local MLflow store at /opt/registry, so that the image serves
# without a registry of its own. Empty: no model in the image (point MLFLOW_TRACKING_URI at
# your registry instead). The store lives outside the data
# dir, so a volume mounted on /data does not hide it. It is written at the path it is
# served from: MLflow records artifact locations as absolute paths.
ARG TRAIN_COMMAND="shipyard train attrition"
# Training also records its alias move in a SQLite prediction log there: not kept.
RUN mkdir -p /opt/registry \
    && SHIPYARD_DATA_DIR=/opt/registry sh -c "${TRAIN_COMMAND}" \
    && rm -f /opt/registry/shipyard.db

# --- base: the slim image both targets below share ---------------------------------------
FROM python:${PYTHON_VERSION}-slim AS base

# UID/GID 1000: the user Hugging Face Spaces runs containers as, and what most hosts map.
RUN groupadd --gid 1000 app \
    && useradd --uid 1000 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app \
    && mkdir /data \
    && chown app:app /data

COPY --from=builder /opt/venv /opt/venv
COPY --from=builder --chown=app:app /opt/registry /opt/registry

# The data dir (/data) holds the spool, the reports and, without DATABASE_URL, the SQLite
# prediction log: mount a volume there. The registry is the baked store until
# MLFLOW_TRACKING_URI or SHIPYARD_MLFLOW_TRACKING_URI names another: it is set here under the
# name shipyard reads last, so that either one given at run time wins.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SHIPYARD_ENV=prod \
    SHIPYARD_SERVER__HOST=0.0.0.0 \
    SHIPYARD_DATA_DIR=/data \
    MLFLOW_TRACKING_URI=sqlite:////opt/registry/mlflow.db

# The project's files as the build saw them: its pyproject.toml names the models it serves
# (a project made by `shipyard init` declares them there, with their data and pipeline, so
# that a container can train them too); the working directory is where shipyard looks.
WORKDIR /app
COPY --from=builder /src /app
USER 1000:1000

# --- space: a Hugging Face Space (docs/deploy/huggingface.md) -----------------------------
# The dashboard at / and the API at /api on port 7860, in one process. A Space builds the
# last stage of its Dockerfile, so the Space's copy of this file ends with `FROM space`.
# No HEALTHCHECK: the Space watches its app_port itself.
FROM base AS space

# The demo prints links to the API's docs, which the prod profile turns off by default.
ENV SHIPYARD_DOCS_ENABLED=true
EXPOSE 7860
CMD ["shipyard", "demo", "--dashboard", "--port", "7860"]

# --- runtime: the API (the default target) ------------------------------------------------
FROM base AS runtime

EXPOSE 8000

# Liveness only (readiness is /readyz); on $PORT when a platform sets it. No curl needed.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ.get('SHIPYARD_SERVER__PORT') or os.environ.get('PORT') or '8000'; urllib.request.urlopen(f'http://127.0.0.1:{port}/livez', timeout=4)"]

CMD ["shipyard", "serve"]
