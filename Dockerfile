# okot-flow: the worker, `okot db upgrade` and the CLI, in one image.
#   docker build -t okot-flow .                                    # the runtime image (default)
#   docker run --rm -e TEMPORAL_ADDRESS=... -e OKOT_DATABASE_URL=... okot-flow okot worker
#   docker build --target dev-tools -t okot-flow-dev-tools .       # + okot_dev (`okot vdab-sim`)
# Configuration is environment variables only (OKOT_*, TEMPORAL_*); see docker-compose.yml.
#
# Stages: `runtime` is what production runs and holds no dev-only tool (no okot_dev);
# `dev-tools` adds okot_dev (the VDAB simulator for docker-compose.yml's vdab-sim);
# the last stage makes `runtime` the image built without --target.

# ------------------------------------------------------------------ runtime
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OKOT_LOG_FORMAT=json

RUN groupadd --system --gid 10001 okot \
    && useradd --system --uid 10001 --gid okot --home-dir /home/okot --create-home \
       --shell /usr/sbin/nologin okot \
    && install -d -m 0700 -o okot -g okot /home/okot/keys  # the keyring's volume (compose)

# Install from a throw-away copy of the source; only the installed package stays.
COPY pyproject.toml README.md worker.py starter.py replay_check.py /src/
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

# ---------------------------------------------------------------- dev-tools
# The runtime image plus okot_dev, for the local stack only (never deployed).
# The project is installed again with okot_dev in it (its dependencies are there already).
FROM runtime AS dev-tools

USER root
COPY pyproject.toml README.md worker.py starter.py replay_check.py /src/
COPY okot /src/okot
COPY workflows /src/workflows
COPY activities /src/activities
COPY okot_dev /src/okot_dev
RUN pip install --no-deps --force-reinstall /src && rm -rf /src
USER okot

# ------------------------------------------------------------------ default
# `docker build .` without --target builds the last stage: the runtime image.
FROM runtime
