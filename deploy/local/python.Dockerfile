# The local stand-in for python:3.11-slim, for machines that cannot pull images (scripts/test-deploy):
# Debian 12 (bookworm) + its python3 (3.11) and venv module, on a base made with
#     debootstrap --variant=minbase bookworm /tmp/rootfs http://deb.debian.org/debian
#     tar -C /tmp/rootfs -c . | docker import - debian12-base
ARG DEBIAN_BASE=debian12-base
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["python3"]
