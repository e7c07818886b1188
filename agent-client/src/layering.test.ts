import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The client is layered one-way, as hydrogen-web is: matrix/ (SDK, protocol, typed edge) → domain/ (state per
 * screen) → ui/ (components). A lower layer importing a higher one is how the layers melt; this scans the import
 * and export-from lines of every source file and fails on any that points upwards.
 */
const SRC = import.meta.dirname;
const LAYERS = ['matrix', 'domain', 'ui'] as const;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|svelte)$/.test(entry.name) ? [path] : [];
  });
}

/** Module specifiers of static imports, re-exports and dynamic imports. */
export function importedSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/g))
    found.push(match[1] ?? '');
  for (const match of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(match[1] ?? '');
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(match[1] ?? '');
  return found;
}

function upwardImports(layer: (typeof LAYERS)[number]): string[] {
  const above = LAYERS.slice(LAYERS.indexOf(layer) + 1);
  const problems: string[] = [];
  for (const file of sources(join(SRC, layer))) {
    for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(SRC, join(file, '..', specifier)).split(/[\\/]/)[0];
      if (above.includes(target as never)) problems.push(`${relative(SRC, file)} imports ${specifier}`);
    }
  }
  return problems;
}

describe('layering matrix → domain → ui', () => {
  it('finds imports of every form (the scan itself can fail)', () => {
    const text =
      "import { a } from '../domain/x.ts';\nimport type {\n  B,\n} from \"../ui/y.ts\";\nexport * from '../domain/z.ts';\nimport './side.ts';\nconst m = import('../ui/lazy.ts');";
    expect(importedSpecifiers(text)).toEqual([
      '../domain/x.ts',
      '../ui/y.ts',
      '../domain/z.ts',
      './side.ts',
      '../ui/lazy.ts',
    ]);
  });

  it('matrix/ imports nothing from domain/ or ui/', () => {
    expect(upwardImports('matrix')).toEqual([]);
  });

  it('domain/ imports nothing from ui/', () => {
    expect(upwardImports('domain')).toEqual([]);
  });
});
