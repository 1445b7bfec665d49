# syntax=docker/dockerfile:1
# One image, two entry points: `evercert run` (the operator; the default) and `evercert solve` (the
# command of the HTTP-01 solver Pods, which run this same image). Every Python dependency is the
# locked one (requirements.lock, checked against its hash). Reproducible with BuildKit:
#   docker buildx build --build-arg SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) \
#     --output type=docker,rewrite-timestamp=true -t evercert/evercert:0.1.0 .

FROM python:3.11-slim AS build
ARG SOURCE_DATE_EPOCH
WORKDIR /src
COPY requirements.lock requirements-build.lock ./
# The locked build backend; then wheels of every locked dependency (hashes checked) and of evercert.
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements-build.lock \
    && pip wheel --no-cache-dir --require-hashes --no-deps --wheel-dir /wheels -r requirements.lock
COPY pyproject.toml README.md ./
COPY operator ./operator
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

FROM python:3.11-slim
ARG SOURCE_DATE_EPOCH
LABEL org.opencontainers.image.title="evercert" \
      org.opencontainers.image.description="ACME certificates for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Only the wheels reach the final image, not the build tools; bytecode checked by hash, not by time.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    --mount=type=bind,from=build,source=/src/requirements.lock,target=/requirements.lock \
    pip install --no-cache-dir --no-index --find-links=/wheels --require-hashes --no-deps --no-compile \
      -r /requirements.lock \
    && pip install --no-cache-dir --no-index --no-deps --no-compile /wheels/evercert-*.whl \
    && python -m compileall -q --invalidation-mode unchecked-hash /usr/local/lib/python3.11/site-packages
# The same fixed non-root id the chart and the solver Pods ask for (runAsNonRoot needs a numeric USER).
USER 65532:65532
ENTRYPOINT ["evercert"]
CMD ["run"]
