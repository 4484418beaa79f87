# Local stand-in for rabbitmq:3.10-management (scripts/test-deploy, deploy/compose.local.yml):
# Debian 12's rabbitmq-server (3.10.8) with the management plugin, RABBITMQ_DEFAULT_USER/PASS
# honoured as in the upstream image, data in /var/lib/rabbitmq.
ARG DEBIAN_BASE=debian12-base
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server \
    && rm -rf /var/lib/apt/lists/* \
    && rabbitmq-plugins enable --offline rabbitmq_management >/dev/null
COPY --chmod=0755 rabbitmq-entrypoint.sh /usr/local/bin/rabbitmq-entrypoint.sh
EXPOSE 5672 15672
CMD ["/usr/local/bin/rabbitmq-entrypoint.sh"]
