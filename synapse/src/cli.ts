/**
 * espace-synapse: homeserver chores for people and CI.
 *   node synapse/src/cli.ts ensure-tree   build the native Synapse tree if missing; print its version
 *   node synapse/src/cli.ts where         print where the tree is (or would be) cached
 */
import { defaultTreeDir, ensureSynapseTree, readTree } from './tree.ts';

const [command] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'ensure-tree': {
      const started = Date.now();
      const cached = readTree(defaultTreeDir());
      const tree = cached ?? (await ensureSynapseTree());
      process.stdout.write(
        `Synapse ${tree.version} in ${tree.root} (${cached ? 'cached' : `built in ${Math.round((Date.now() - started) / 1000)} s`})\n`,
      );
      return 0;
    }
    case 'where':
      process.stdout.write(`${defaultTreeDir()}\n`);
      return 0;
    default:
      process.stderr.write('usage: espace-synapse ensure-tree | where\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  },
);
