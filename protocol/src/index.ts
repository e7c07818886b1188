export * from './events.ts';
export * from './forces.ts';
export * from './conversation.ts';
export * from './triage.ts';
export * from './api.ts';
export * from './parse.ts';
export * from './commands.ts';
export * from './safety.ts';
