# Benchtop container image. Multi-stage: dependencies and the dashboard are built in the
# first stage; the runtime stage carries only what runs, as a non-root user.
# Serial ports: run with --device /dev/ttyUSB0 and add the user to the device's group.

FROM debian:bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# The pinned Node 24 arrives as the `node` devDependency; npm scripts run on it.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --if-present && npm prune --omit=dev --no-audit --no-fund \
    && cp -a node_modules/node/bin/node /app/node24 2>/dev/null || true

FROM debian:bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl tini \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/benchtop benchtop \
    && usermod -a -G dialout benchtop
WORKDIR /opt/benchtop
COPY --from=build /app /opt/benchtop
# The Node 24 binary from the pinned devDependency, kept before pruning.
RUN if [ -x /opt/benchtop/node24 ]; then mv /opt/benchtop/node24 /usr/local/bin/node; fi
ENV NODE_ENV=production \
    BENCHTOP_LOGGING__FORMAT=json \
    BENCHTOP_STORAGE__OUTPUT_DIR=/var/lib/benchtop/data \
    BENCHTOP_BACKUP__DIR=/var/lib/benchtop/backups
VOLUME ["/var/lib/benchtop"]
USER benchtop
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health/basic || exit 1
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/node", "/opt/benchtop/src/cli/main.ts"]
# Inside a container the server must listen beyond loopback, so authentication is required:
# mount a config with [security] auth = "required" and a jwt_secret (see deploy/docker-compose.yml).
CMD ["start", "--config", "/etc/benchtop/benchtop.toml"]
