import type { Homeserver } from '../matrix/homeserver.ts';
import type { Auditor, StaffLookup } from './safety.ts';

/**
 * The one set of dependencies a feature receives (bot/README.md, "Layout"). The running bot's `Context` extends
 * it (its `matrix` is the bot's `Matrix`, its `audit` the `AuditLog`, its `staff` reads the store); the admin
 * command line, which has no Context, builds one from its connection (admin/commands.ts, `adminDeps`). A feature
 * takes `deps: Pick<Deps, …>` first, naming only what it uses, so either caller passes what it has as it is; one
 * needing nothing but the homeserver takes the `Homeserver` itself, like the room operations of
 * matrix/homeserver.ts.
 */
export interface Deps {
  /** The homeserver client: the bot's `Matrix`, or `connectHomeserver` for the admin command line and tests. */
  matrix: Homeserver;
  audit: Auditor;
  staff: StaffLookup;
  /** Clock, replaceable in tests. */
  now(): number;
}
