# syntax=docker/dockerfile:1
# The conversation service (bot/). Built from the repository root: docker compose build bot.
# The bot runs its TypeScript directly (Node 24 strips types), so there is no compile step: the first stage
# installs production dependencies, the second holds only what runs.

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
# Manifests first: the npm layer is rebuilt only when dependencies change, not on every source edit.
# npm ci needs every workspace's package.json to match the lock file, even those it does not install.
COPY package.json package-lock.json ./
COPY stubs/ stubs/
COPY protocol/package.json protocol/
COPY synapse/package.json synapse/
COPY bot/package.json bot/
COPY web/package.json web/
COPY agent-client/package.json agent-client/
COPY tests/package.json tests/
# drops testcontainers (only for starting Synapse in tests); --ignore-scripts because no runtime
# dependency needs one (the crypto binding is replaced by stubs/, see the root package.json overrides).
RUN npm ci --workspace bot --omit=dev --ignore-scripts && npm cache clean --force
COPY protocol/ protocol/
COPY synapse/ synapse/
COPY bot/ bot/

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the service user: the running bot cannot alter its own code.
COPY --from=deps /app /app
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/espace-entrypoint
# Its state (bot access token, demo credentials file) lives in the volume mounted here by docker-compose.yml.
RUN mkdir -p /var/lib/espace-bot && chown node:node /var/lib/espace-bot
USER node
EXPOSE 8090
ENTRYPOINT ["/usr/local/bin/espace-entrypoint"]
CMD ["node", "bot/src/main.ts"]
