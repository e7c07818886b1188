# syntax=docker/dockerfile:1
# The one-shot `synapse-config` service: renders Synapse's configuration for Compose from the repository's
# template with synapse/config/compose/render.ts (see docker-compose.yml). Built from the repository root.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
# npm ci needs every workspace's package.json to match the lock file (see bot.Dockerfile).
COPY package.json package-lock.json ./
COPY stubs/ stubs/
COPY protocol/package.json protocol/
COPY synapse/package.json synapse/
COPY bot/package.json bot/
COPY web/package.json web/
COPY agent-client/package.json agent-client/
COPY tests/package.json tests/
RUN npm ci --workspace synapse --omit=dev --ignore-scripts && npm cache clean --force
COPY synapse/ synapse/

FROM node:24.21.0-bookworm-slim
WORKDIR /app
COPY --from=deps /app /app
# 991 is the user of the official Synapse image. A new named volume takes the owner of the directory it is
# mounted over, so the Synapse data volume starts out owned by Synapse without any chown at run time.
RUN mkdir /data && chown 991:991 /data
USER 991:991
CMD ["node", "synapse/config/compose/render.ts"]
