/** A usage mistake: exit code 2 and the help of the command. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string>;
  flags: Set<string>;
}

/** Flags that take no value; every other `--name` takes the next argument (or `--name=value`). */
const FLAGS = new Set(['help', 'yes', 'json', 'verify-evidence', 'password-stdin']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { positional: [], options: new Map(), flags: new Set() };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '-h') {
      parsed.flags.add('help');
    } else if (arg.startsWith('--')) {
      const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      if (!name) throw new UsageError(`option vide : ${arg}`);
      if (FLAGS.has(name)) {
        if (inline !== undefined) throw new UsageError(`--${name} ne prend pas de valeur`);
        parsed.flags.add(name);
        continue;
      }
      const value = inline ?? argv[++index];
      if (value === undefined || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`--${name} attend une valeur`);
      parsed.options.set(name, value);
    } else {
      parsed.positional.push(arg);
    }
  }
  return parsed;
}

export function required(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} est obligatoire`);
  return value;
}

export function onlyKnown(args: ParsedArgs, options: readonly string[], flags: readonly string[] = []): void {
  for (const name of args.options.keys())
    if (!options.includes(name)) throw new UsageError(`option inconnue : --${name}`);
  for (const name of args.flags)
    if (name !== 'help' && !flags.includes(name)) throw new UsageError(`option inconnue : --${name}`);
}
