# The container image of cfgen a release pushes (see .github/workflows/release.yml): the static
# binary alone, run as an unprivileged user, on the project mounted at /work:
#   docker run --rm -v "$PWD:/work" ghcr.io/cfgen-dev/cfgen:0.1.0 build --check
# (a writing build: add --user "$(id -u):$(id -g)" so the files are yours)
# The build context holds amd64/cfgen and arm64/cfgen from the release archives.
FROM scratch
ARG TARGETARCH
COPY --chmod=0755 ${TARGETARCH}/cfgen /usr/local/bin/cfgen
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/cfgen"]
