# syntax=docker/dockerfile:1.7
# Vitrine's container images (docs/deploy.md): one build, two targets.
#   gateway        `vitrine serve` (WebSockets, SSE) and `vitrine consumers` on ECS Fargate
#   render-worker  `vitrine worker` on ECS GPU instances (NVIDIA EGL through the container
#                  toolkit; Mesa's software rasterizer where no GPU is attached)
# docker build --target gateway -t vitrine-gateway:$(git rev-parse --short HEAD) .
# docker build --target render-worker -t vitrine-render:$(git rev-parse --short HEAD) .

ARG PYTHON_IMAGE=python:3.11.7-slim-bookworm

FROM ${PYTHON_IMAGE} AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gateway gateway
COPY schema schema
COPY resolvers resolvers
COPY datasources datasources
COPY render_jobs render_jobs
COPY client_examples/operations client_examples/operations
COPY client_examples/trusted-documents.json client_examples/trusted-documents.json
RUN pip install . && useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin vitrine

FROM base AS gateway
ENV VITRINE_HOST=0.0.0.0 VITRINE_PORT=8000
EXPOSE 8000
USER 10001
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["vitrine", "serve"]

FROM base AS render-worker
RUN apt-get update \
 && apt-get install -y --no-install-recommends libegl1 libgl1 libgles2 libglvnd0 nodejs npm \
 && rm -rf /var/lib/apt/lists/* \
 && cd render_jobs/node && npm ci --omit=dev --no-audit --no-fund
ENV NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=graphics,compute,utility
USER 10001
CMD ["vitrine", "worker"]
