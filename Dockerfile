# syntax=docker/dockerfile:1
# The webhook server image: ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server
# (deploy/daemonset.yaml runs it with `server ...` arguments, as uid/gid 10000).
#
#   docker build -t ghcr.io/aws-iam-authenticator-rs/aws-iam-authenticator-server:v0.1.0 .
#
# Stage 1 builds the binary with the `server` feature (no keyring: a server has no user
# session); stage 2 is distroless: glibc, CA certificates and nothing else, no shell.

# Base images are pinned by digest (docs/release.md "Container image": where the digests
# came from and how to refresh them; packaging/check.sh fails on a FROM without one).
# The builder runs on the build machine's own platform and cross-compiles for the target
# one, so an arm64 image builds at native speed on an x86-64 runner, never under QEMU.
FROM --platform=$BUILDPLATFORM docker.io/library/rust:1.94.1-slim-bookworm@sha256:cf9dd0ec73e75f827fe59123fff9dc65af1a1c8363c3c31ee8d7f8ad0b6a5fb2 AS build
ARG TARGETARCH
ARG BUILDARCH
# What `version`, the start-up line and the build_info metric report: the source is copied
# without .git, so build.rs cannot ask git (publish-packages.yml passes the tag's commit).
ARG REVISION=""
ARG SOURCE_DATE_EPOCH=""
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The C cross toolchain for ring and the linker: Debian's gcc for the target architecture
# (none when building for the build machine's own).
# hadolint ignore=DL3008
RUN case "$TARGETARCH" in \
      amd64) echo x86_64-unknown-linux-gnu x86_64-linux-gnu gcc-x86-64-linux-gnu libc6-dev-amd64-cross ;; \
      arm64) echo aarch64-unknown-linux-gnu aarch64-linux-gnu gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;; \
      *) echo "unsupported TARGETARCH=$TARGETARCH (amd64 or arm64)" >&2; exit 1 ;; \
    esac > /target \
    && read -r rust_target gnu _ _ < /target \
    && rustup target add "$rust_target" \
    && if [ "$TARGETARCH" != "$BUILDARCH" ]; then \
         read -r _ _ gcc libc < /target \
         && apt-get update -qq \
         && apt-get install -y -qq --no-install-recommends "$gcc" "$libc" \
         && rm -rf /var/lib/apt/lists/* \
         && target_var="${rust_target//-/_}" \
         && printf '%s=%s\n' "CC_${target_var}" "${gnu}-gcc" \
              "CARGO_TARGET_${target_var^^}_LINKER" "${gnu}-gcc" > /cross.env; \
       else : > /cross.env; fi
WORKDIR /src
# xtask is a workspace member, so cargo needs its manifest and sources to load the
# workspace; the cache mounts keep downloads and build outputs between builds.
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY xtask xtask
# The `release` profile, not cargo-dist's `dist`: it keeps unwinding, so one panicking
# request handler cannot take down the authentication path of the whole cluster.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=target-$TARGETARCH \
    read -r rust_target _ < /target \
    && set -a && . /cross.env && set +a \
    && AWS_IAM_AUTHENTICATOR_COMMIT="$REVISION" \
       cargo build --locked --release --no-default-features --features server \
        --target "$rust_target" --bin aws-iam-authenticator \
    && install -m 0755 "target/$rust_target/release/aws-iam-authenticator" /aws-iam-authenticator

# cc: glibc and libgcc_s (unwinding) for the dynamically linked binary, CA certificates for
# STS, the EC2 API and the Kubernetes API; no shell, no package manager.
FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
# OCI labels: which source, commit and version this image is (build arguments, set by
# .github/workflows/publish-packages.yml from the release tag).
ARG VERSION="unknown"
ARG REVISION="unknown"
LABEL org.opencontainers.image.source="https://github.com/aws-iam-authenticator-rs/aws-iam-authenticator" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.title="aws-iam-authenticator-server" \
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
