# syntax=docker/dockerfile:1
# One image, two entry points: `evercert run` (the operator; the default) and `evercert solve` (the
# command of the HTTP-01 solver Pods, which run this same image).
#   docker build -t evercert/evercert:0.1.0 .

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator ./operator
# Wheels for evercert and every dependency; only they reach the final image, not the build tools' cache.
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
LABEL org.opencontainers.image.title="evercert" \
      org.opencontainers.image.description="ACME certificates for Kubernetes" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/evercert-*.whl
# The same fixed non-root id the chart and the solver Pods ask for (runAsNonRoot needs a numeric USER).
USER 65532:65532
ENTRYPOINT ["evercert"]
CMD ["run"]
