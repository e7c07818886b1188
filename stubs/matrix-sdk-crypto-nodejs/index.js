// Intentionally empty. matrix-bot-sdk imports this package at load time, but only its end-to-end
// encryption code uses it, and Espace mineurs never enables encryption (docs/architecture.md, Principles 4).
// The real package downloads a native binary from outside the npm registry in a postinstall script,
// which fails on our machines. See README.md in this folder.
module.exports = {};
