# syntax=docker/dockerfile:1
# The agents' client (agent-client/, a Vite single-page application): built with Node, served as static files
# by Caddy (already pinned for the proxy, so no third web server to keep up to date).

FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
# Manifests first, so that the npm layer is cached across source edits (see bot.Dockerfile).
COPY package.json package-lock.json ./
COPY stubs/ stubs/
COPY protocol/package.json protocol/
COPY synapse/package.json synapse/
COPY bot/package.json bot/
COPY web/package.json web/
COPY agent-client/package.json agent-client/
COPY tests/package.json tests/
RUN npm ci --workspace agent-client --include-workspace-root
COPY protocol/ protocol/
COPY agent-client/ agent-client/
RUN npm run build --workspace agent-client

FROM caddy:2.11.4-alpine
# The official binary carries the file capability cap_net_bind_service. This server listens on 8080 and its
# container drops every capability, and the kernel refuses to execute a binary whose file capabilities cannot
# be granted: a plain copy (cp keeps no extended attributes) is the same program without them.
RUN cp /usr/bin/caddy /tmp/caddy && mv /tmp/caddy /usr/bin/caddy \
 && addgroup -S static && adduser -S -H -G static static
COPY deploy/agent-client/Caddyfile /etc/caddy/Caddyfile
COPY --from=build /app/agent-client/dist /srv
# Caddy wants somewhere to write even when it keeps nothing; docker-compose.yml mounts a tmpfs on /tmp.
ENV XDG_CONFIG_HOME=/tmp/caddy-config XDG_DATA_HOME=/tmp/caddy-data
USER static
EXPOSE 8080
CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
