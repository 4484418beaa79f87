# Local stand-in for postgres:15 (scripts/test-deploy, deploy/compose.local.yml): Debian 12's
# postgresql-15 with the same interface as the upstream image for what docker-compose.yml
# uses: POSTGRES_PASSWORD, POSTGRES_DB, data in /var/lib/postgresql/data, pg_isready.
ARG DEBIAN_BASE=debian12-base
FROM ${DEBIAN_BASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
    && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY --chmod=0755 postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
CMD ["/usr/local/bin/postgres-entrypoint.sh"]
