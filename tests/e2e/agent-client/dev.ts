/**
 * A local stack for working on the agent client by hand: Synapse, bootstrap, the stand-in engine with a few
 * waiting conversations, and the client served by Vite. From the repository root:
 *   node tests/e2e/agent-client/dev.ts
 * It prints the client URL and the demo accounts' passwords, and runs until Ctrl+C.
 */
import { writeFileSync } from 'node:fs';
import { startAgentClientStack } from './support/stack.ts';

const stack = await startAgentClientStack();
await stack.engine.openConversation({
  force: 'police',
  what: 'violences-physiques',
  firstWords: ['bonjour', '<img src=x onerror=alert(1)>', 'photo\u202Egpj.exe'],
});
await stack.engine.openConversation({ force: 'police', what: 'sextorsion', urgent: true });
await stack.engine.openConversation({ force: 'police', what: 'harcelement' });
await stack.engine.openConversation({ force: 'gendarmerie', what: 'addiction' });
const info = {
  clientUrl: stack.clientUrl,
  homeserver: stack.homeserver.baseUrl,
  accounts: stack.boot.demo.map(({ localpart, password }) => ({ localpart, password })),
};
if (process.env.ESPACE_DEV_INFO) writeFileSync(process.env.ESPACE_DEV_INFO, JSON.stringify(info, null, 2));
process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
const stop = () => void stack.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
