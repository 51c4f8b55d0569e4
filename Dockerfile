# syntax=docker/dockerfile:1
# The webhook server image: ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server
# (deploy/daemonset.yaml runs it with `server ...` arguments, as uid/gid 10000).
#
#   docker build -t ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server:v0.1.0 .
#
# Stage 1 builds the binary with the `server` feature (no keyring: a server has no user
# session); stage 2 is distroless: glibc, CA certificates and nothing else, no shell.

ARG RUST_VERSION=1.94.1

FROM docker.io/library/rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# xtask is a workspace member, so cargo needs its manifest and sources to load the
# workspace; the cache mounts keep downloads and build outputs between builds.
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY xtask xtask
# The `release` profile, not cargo-dist's `dist`: it keeps unwinding, so one panicking
# request handler cannot take down the authentication path of the whole cluster.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --locked --release --no-default-features --features server \
        --bin aws-iam-authenticator \
    && install -m 0755 target/release/aws-iam-authenticator /aws-iam-authenticator

# cc: glibc and libgcc_s (unwinding) for the dynamically linked binary, CA certificates for
# STS, the EC2 API and the Kubernetes API; no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
LABEL org.opencontainers.image.source="https://github.com/aws-iam-authenticator-rs/aws-iam-authenticator" \
      org.opencontainers.image.description="aws-iam-authenticator webhook server (Rust)" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /aws-iam-authenticator /aws-iam-authenticator
# uid/gid 10000 as deploy/daemonset.yaml and upstream's kops integration expect (the
# hostPath state directories are chowned to it); never root.
USER 10000:10000
# webhook (TLS) and plain-HTTP health
EXPOSE 21362 21363
# One glibc malloc arena: memory freed on one runtime thread can serve another, which
# keeps the server under 20 MiB at 128 concurrent reviews at no throughput cost
# (README "Performance › Server"). Harmless for the client.
ENV MALLOC_ARENA_MAX=1
ENTRYPOINT ["/aws-iam-authenticator"]
CMD ["server"]
