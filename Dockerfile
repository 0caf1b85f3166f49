# okot-flow: the worker, `okot db upgrade`, `okot vdab-sim` and the CLI, in one image.
#   docker build -t okot-flow .
#   docker run --rm -e TEMPORAL_ADDRESS=... -e OKOT_DATABASE_URL=... okot-flow okot worker
# Configuration is environment variables only (OKOT_*, TEMPORAL_*); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OKOT_LOG_FORMAT=json

RUN groupadd --system --gid 10001 okot \
    && useradd --system --uid 10001 --gid okot --home-dir /home/okot --create-home \
       --shell /usr/sbin/nologin okot

# Install from a throw-away copy of the source; only the installed package stays.
COPY pyproject.toml README.md worker.py starter.py /src/
COPY okot /src/okot
COPY workflows /src/workflows
COPY activities /src/activities
RUN pip install /src && rm -rf /src

USER okot
WORKDIR /home/okot
# The default SQLite path is not used in containers: set OKOT_DATABASE_URL.
ENV OKOT_DATABASE_URL=sqlite:////home/okot/okot.db

EXPOSE 9464
CMD ["okot", "worker"]
