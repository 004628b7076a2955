/**
 * `opcharts inspect`: a small HTTP server on 127.0.0.1 for the inspector page. The page is static
 * (inspector/static: HTML, CSS, plain JS) and everything it shows comes from a JSON API computed here
 * from the package itself: the machines' diagrams (the committed SVGs of diagrams/, or their Mermaid
 * source rendered in the page when mermaid is installed), their generated paths (`generate()` of
 * opcharts/graph), and traces replayed by the cluster code (inspector/trace.ts). Nothing is fetched
 * from the network, so the page works offline.
 *
 * API (all JSON unless named otherwise):
 * - `GET /api/machines`: `[{ name, spec, summary, svg: 'fresh' | 'stale' | 'missing' }]`
 * - `GET /api/machines/NAME/diagram.svg`: the committed diagram if fresh, its element ids made unique to this machine
 * - `GET /api/machines/NAME/mermaid`: the stateDiagram-v2 source (text)
 * - `GET /api/machines/NAME/paths`: the generated paths, `PathEntry[]` (computed on first request, then cached)
 * - `GET /api/traces`: `[{ id, name, format, steps }]`; `GET /api/traces/ID`: an InspectorTrace
 * - `POST /api/traces` with `{ name, content }` (content: the trace document as JSON text): loads
 *   one more trace; a bad one is a 400 with `{ error: { code, message } }` and changes nothing.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MachineModel } from '../graph/model.js';
import { stateDiagram } from '../graph/mermaid.js';
import { pathName } from '../graph/paths.js';
import { selectPaths } from '../graph/select.js';
import { models as builtInModels } from '../models/index.js';
import { loadTrace, type InspectorTrace } from './trace.js';
import { sha256 } from '../cli/diagrams.js';

/** The package root: the nearest directory above this file whose package.json is opcharts' (source and dist alike). */
export function packageRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string };
    if (pkg.name === 'opcharts') return dir;
  }
  throw new Error('opcharts package root not found');
}

/** mermaid's browser bundle if installed (a dev dependency): renders sequence diagrams in the page. */
function mermaidBundle(): string | undefined {
  for (const dir of createRequire(import.meta.url).resolve.paths('mermaid') ?? []) {
    const file = join(dir, 'mermaid', 'dist', 'mermaid.min.js');
    if (existsSync(file)) return file;
  }
  return undefined;
}

const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/app.css': 'app.css',
};
const TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const MAX_BODY = 16 * 1024 * 1024;

export interface InspectorOptions {
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Traces loaded at start, by name (a file name) and parsed JSON. */
  traces?: Array<{ name: string; raw: unknown }>;
  models?: readonly MachineModel[];
}

export interface Inspector {
  url: string;
  port: number;
  server: Server;
  traces: InspectorTrace[];
  close(): Promise<void>;
}

/** One generated path as the page lists it. */
export interface PathEntry {
  name: string;
  /** The model input variant the path starts from. */
  variant: string;
  finalState: string;
  events: string[];
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The SVG with every `my-svg` id (mermaid-cli's fixed id, also used in its scoped CSS) renamed, so many diagrams fit in one page. */
export function uniqueSvg(svg: string, name: string): string {
  return svg.replace(/^<!--[^]*?-->\s*/, '').replaceAll('my-svg', `svg-${name}`);
}

/** Starts the server; resolves once it listens. Loading a trace that is malformed throws before listening. */
export async function startInspector(opts: InspectorOptions = {}): Promise<Inspector> {
  const root = packageRoot();
  const models = opts.models ?? builtInModels;
  const traces: InspectorTrace[] = (opts.traces ?? []).map((t) => loadTrace(t.name, t.raw));
  const pathsCache = new Map<string, Promise<PathEntry[]>>();
  const children = new Set<ChildProcess>();
  /**
   * Generating a large machine's paths takes seconds to a minute: a built-in machine's are generated
   * (the list `opcharts paths NAME` prints, shortest first) by `opcharts paths NAME --json` in a child process so that the server keeps answering meanwhile;
   * a model given in the options (not importable by name) is generated here.
   */
  const pathsOf = (m: MachineModel): Promise<PathEntry[]> => {
    let p = pathsCache.get(m.name);
    if (!p) {
      p = builtInModels.includes(m)
        ? new Promise<PathEntry[]>((resolve, reject) => {
            const child = execFile(process.execPath, [join(root, 'bin', 'opcharts.js'), 'paths', m.name, '--json'], { maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout) => {
              children.delete(child);
              if (err) return reject(new Error(`opcharts paths ${m.name} failed: ${err.message}`));
              const rows = JSON.parse(stdout) as Array<{ variant: string; finalState: string; events: Array<{ type: string } & Record<string, unknown>> }>;
              resolve(rows.map((r) => ({ name: pathName(r.events), variant: r.variant, finalState: r.finalState, events: r.events.map((e) => e.type) })));
            });
            children.add(child);
          })
        : Promise.resolve().then(() => selectPaths(m, {}).map(({ path: x }) => ({ name: x.name, variant: x.variant, finalState: x.finalState, events: x.events.map((e) => e.type) })));
      p.catch(() => pathsCache.delete(m.name));
      pathsCache.set(m.name, p);
    }
    return p;
  };
  const mermaid = mermaidBundle();

  const model = (name: string) => {
    const m = models.find((x) => x.name === name);
    if (!m) throw new HttpError(404, 'UNKNOWN_MACHINE', `no machine ${JSON.stringify(name)}`);
    return m;
  };
  const svgFile = (name: string) => join(root, 'diagrams', `${name}.svg`);
  /**
   * A committed SVG is used only when it was rendered from the machine's current diagram source
   * (its stamp, cli/diagrams.ts); otherwise its state ids may not match the machine, and the page
   * renders the Mermaid source itself. The renderer part of the stamp is not compared: an installed
   * package has no renderer, and a renderer change keeps the states.
   */
  const svgStatus = (m: MachineModel): 'fresh' | 'stale' | 'missing' => {
    if (!existsSync(svgFile(m.name))) return 'missing';
    const head = readFileSync(svgFile(m.name), 'utf8').slice(0, 200);
    return head.includes(`source sha256:${sha256(stateDiagram(m.machine))} `) ? 'fresh' : 'stale';
  };

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));

  const readBody = (req: IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) {
          reject(new HttpError(413, 'TOO_LARGE', `a trace is at most ${MAX_BODY} bytes`));
          req.destroy();
        } else chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET' && STATIC[path]) {
      const file = STATIC[path]!;
      return send(res, 200, TYPES[file.split('.').pop()!]!, readFileSync(join(root, 'inspector', 'static', file)));
    }
    if (req.method === 'GET' && path === '/vendor/mermaid.min.js') {
      if (!mermaid) throw new HttpError(404, 'NO_MERMAID', 'mermaid is not installed');
      return send(res, 200, TYPES.js!, readFileSync(mermaid));
    }
    if (parts[0] !== 'api') throw new HttpError(404, 'NOT_FOUND', `no ${path}`);
    if (req.method === 'GET' && parts[1] === 'machines' && parts.length === 2) {
      return json(res, 200, models.map((m) => ({ name: m.name, spec: m.spec, summary: m.summary, svg: svgStatus(m) })));
    }
    if (req.method === 'GET' && parts[1] === 'machines' && parts.length === 4) {
      const m = model(parts[2]!);
      if (parts[3] === 'diagram.svg') {
        const status = svgStatus(m);
        if (status !== 'fresh') throw new HttpError(404, status === 'missing' ? 'NO_SVG' : 'STALE_SVG', `diagrams/${m.name}.svg is ${status} (run opcharts diagrams)`);
        return send(res, 200, 'image/svg+xml', uniqueSvg(readFileSync(svgFile(m.name), 'utf8'), m.name));
      }
      if (parts[3] === 'mermaid') return send(res, 200, 'text/plain; charset=utf-8', stateDiagram(m.machine));
      if (parts[3] === 'paths') return json(res, 200, await pathsOf(m));
    }
    if (parts[1] === 'traces' && parts.length === 2) {
      if (req.method === 'GET') return json(res, 200, traces.map((t, id) => ({ id, name: t.name, format: t.format, steps: t.steps.length - 1 })));
      if (req.method === 'POST') {
        let body: { name?: unknown; content?: unknown };
        try {
          body = JSON.parse(await readBody(req)) as typeof body;
        } catch (e) {
          if (e instanceof HttpError) throw e;
          throw new HttpError(400, 'INVALID_TRACE', 'the request is not JSON');
        }
        const name = typeof body.name === 'string' && body.name ? body.name : `trace ${traces.length + 1}`;
        let raw: unknown;
        try {
          raw = typeof body.content === 'string' ? JSON.parse(body.content) : body.content;
        } catch (e) {
          throw new HttpError(400, 'INVALID_TRACE', `${name}: not JSON (${(e as Error).message})`);
        }
        try {
          traces.push(loadTrace(name, raw));
        } catch (e) {
          const code = e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : 'INVALID_TRACE';
          throw new HttpError(400, code, e instanceof Error ? e.message : String(e));
        }
        return json(res, 201, { id: traces.length - 1 });
      }
    }
    if (req.method === 'GET' && parts[1] === 'traces' && parts.length === 3) {
      const t = /^\d+$/.test(parts[2]!) ? traces[Number(parts[2])] : undefined;
      if (!t) throw new HttpError(404, 'UNKNOWN_TRACE', `no trace ${parts[2]}`);
      return json(res, 200, t);
    }
    throw new HttpError(404, 'NOT_FOUND', `no ${req.method} ${path}`);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const code = e instanceof HttpError ? e.code : 'ERROR';
      if (!res.headersSent) json(res, status, { error: { code, message: e instanceof Error ? e.message : String(e) } });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    server,
    traces,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of children) c.kill();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
