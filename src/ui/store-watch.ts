/**
 * Tells the app when another strata command changed the store: SQLite's `data_version`
 * moves whenever another connection commits (a build, pull, rmi, run), and costs one
 * pragma to read. A container's state is not in the database: its supervisor replaces
 * `containers/<id>/state.json`, which changes the directory's mtime, so those mtimes are
 * part of what is watched. Polled twice a second; each change bumps a generation number
 * pushed to every open event stream (server-sent events), on which the app reloads what it
 * shows.
 */
import { readdirSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { Database } from '../metadata/index.ts';

const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;

export class StoreWatch {
  generation = 1;
  private lastVersion: string;
  private readonly streams = new Set<ServerResponse>();
  private readonly poll: NodeJS.Timeout;
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly db: Database,
    /** The directory holding one directory per container. */
    private readonly containersDir: string,
  ) {
    this.lastVersion = this.version();
    this.poll = setInterval(() => this.check(), POLL_MS);
    this.keepalive = setInterval(() => this.send(': keepalive\n\n'), KEEPALIVE_MS);
  }

  private version(): string {
    return `${this.db.pragma('data_version', { simple: true }) as number} ${containersSignature(this.containersDir)}`;
  }

  private check(): void {
    let version: string;
    try {
      version = this.version();
    } catch {
      return;
    }
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    this.generation++;
    this.send(`event: change\ndata: ${this.generation}\n\n`);
  }

  private send(text: string): void {
    for (const res of this.streams) res.write(text);
  }

  /** Makes `res` an event stream; it gets the current generation now and each new one. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`event: change\ndata: ${this.generation}\n\n`);
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  }

  close(): void {
    clearInterval(this.poll);
    clearInterval(this.keepalive);
    for (const res of this.streams) res.end();
    this.streams.clear();
  }
}

/** Each container directory's name and mtime: a container's supervisor changes it as its state changes. */
function containersSignature(dir: string): string {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return '';
  }
  return names.map((name) => {
    try {
      return `${name}:${statSync(join(dir, name)).mtimeMs}`;
    } catch {
      return name;
    }
  }).join(',');
}
