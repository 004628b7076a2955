/**
 * The README's embedding example type-checks under the project's strict compiler options (issue 9,
 * item 14): the event `parseEventWith` returns is inferred from the schemas, so the example sends
 * it to the actor without a cast. The example is read from README.md at test time, so an edit to
 * it is checked too; only the host objects it leaves undefined (transport, changefeedDb, log,
 * membership) are declared here.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

const HOST_DECLARATIONS = `
declare const transport: { send(to: string, message: unknown): void; onMessage(handler: (raw: unknown) => void): void };
declare const changefeedDb: { apply(intent: { type: string }): void };
declare const log: { warn(...args: unknown[]): void };
declare const membership: { onRemoved(handler: (node: string) => void): void };
`;

function embeddingExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Embedding a machine in a host'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no ts block under "Embedding a machine in a host"');
  return block[1]!;
}

describe('README embedding example', () => {
  it('sends a parsed event without a cast and passes tsc --strict', () => {
    const example = embeddingExample();
    expect(example).toMatch(/parseEventWith\(/);
    expect(example).not.toMatch(/ as (never|any)\b/);
    // Under node_modules so that `xstate` resolves and `tsc --noEmit` of the project never sees it.
    const dir = join(root, 'node_modules', '.cache', `opcharts-readme-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'example.ts');
    try {
      writeFileSync(file, `${example}\n${HOST_DECLARATIONS}\nexport {};\n`);
      const config = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
      const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
      const program = ts.createProgram({ rootNames: [file], options: { ...parsed.options, strict: true, noEmit: true } });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : '';
        return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
      });
      expect(diagnostics).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
