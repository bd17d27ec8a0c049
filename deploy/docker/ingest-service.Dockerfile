# syntax=docker/dockerfile:1
# ingest-service image. Build from the repository root (the context must be
# the whole repo; .dockerignore keeps build trees and .git out):
#
#   docker build -f deploy/docker/ingest-service.Dockerfile -t analytics/ingest-service:dev .
#
# Two stages on Debian 12, like the development machines and CI: the build
# stage installs the build part of scripts/lib.sh's ANALYTICS_PACKAGES and
# builds just this binary (Release, no tests); the runtime stage has only the
# shared libraries it links, tzdata and CA certificates, and runs as uid
# 65532. tests/deploy/check_manifests.py keeps both package lists honest
# (against scripts/lib.sh, and against the binary's NEEDED libraries).

FROM debian:bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      build-essential cmake ninja-build ccache pkg-config g++ \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libabsl-dev libpqxx-dev libspdlog-dev libfmt-dev \
      libssl-dev libcpp-httplib-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# ccache as in scripts/lib.sh, kept across builds by a BuildKit cache mount.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_TESTING=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
 && cmake --build build --target ingest-service

FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# The Debian 12 packages owning the libraries the binary links (readelf -d;
# dpkg -S); libc6, libgcc-s1 and libstdc++6 are in the base image already.
# tzdata: IANA zones for time-zone aware queries; ca-certificates: for TLS
# to PostgreSQL.
RUN apt-get update \
 && apt-get install -y -q --no-install-recommends \
      libabsl20220623 libfmt9 libgrpc++1.51 libgrpc29 libpqxx-6.4 \
      libprotobuf32 libspdlog1.10 libssl3 libcpp-httplib0.11 \
      tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ingest-service /usr/local/bin/ingest-service
# Reachable from outside the container; the binary's default is 127.0.0.1.
# The Kubernetes manifests set ANALYTICS_LISTEN explicitly as well.
ENV ANALYTICS_LISTEN=0.0.0.0:50051
EXPOSE 50051 9090
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ingest-service"]
