// Many commands at once on one store: workers run a seeded random mix of CLI commands
// (build with cache hits and misses, run --rm, run -d then rm -f, tag, rmi, push and pull
// through a registry on 127.0.0.1, commit, volumes, the prunes), with docker's races set up
// on purpose: a prune during a pull, rmi of an image a running container uses, two
// `run --name X` at once, two builds of one Dockerfile, tag and rmi of one name. Every call
// has a hang guard. Afterwards: `system check` is clean; every image and name the calls
// reported (and no later call removed) is there, and each image runs and holds what it was
// made with; every failure was one docker gives (never a lock error, a stack trace,
// "internal error" or a hang); a table counts the calls and errors by kind.
//
// Short by default (8 workers × 25 operations). STRATA_SOAK_MINUTES=N runs for N minutes
// instead; STRATA_SOAK_SEED replays a seed's choices (the seed is printed; which images a
// choice finds still depends on timing); STRATA_SOAK_LOG=FILE writes every call there (JSON
// lines with start and end times); STRATA_SOAK_WORKERS, STRATA_SOAK_OPS and
// STRATA_SOAK_HANG_SECONDS change the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { tempDir } from '../helpers/temp-dir.ts';
import { GARBAGE_LINE, SUMMARY_LINE } from '../helpers/store-check.ts';
import { startRegistry } from '../helpers/registry-server.ts';
import { Prng } from '../helpers/prng.ts';
import { strataGuarded, type GuardedResult } from '../helpers/guarded-cli.ts';
import { CallTally, type WrongOutput } from '../helpers/call-tally.ts';
import { failureKind } from '../helpers/failure-kinds.ts';
import { FactLog, removalsIn } from '../helpers/fact-log.ts';
import { BUSYBOX, canRunContainers, mountsUnder, storeWithBusybox, strataOk } from './containers-fixture.ts';

function numberEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${text}: expected a positive number`);
  return n;
}

const MINUTES = numberEnv('STRATA_SOAK_MINUTES', 0);
const WORKERS = Math.floor(numberEnv('STRATA_SOAK_WORKERS', 8));
const OPS_PER_WORKER = Math.floor(numberEnv('STRATA_SOAK_OPS', MINUTES > 0 ? Number.MAX_SAFE_INTEGER : 25));
const HANG_MS = numberEnv('STRATA_SOAK_HANG_SECONDS', 90) * 1000;
/** Fixed contexts: builds of these hit the cache once the first one is made. */
const FIXED_CONTEXTS = 4;
/** Names every worker tags, builds and removes, so that workers collide on them. */
const SHARED_NAMES = 4;

const MIX = {
  build: 3,
  runRm: 3,
  runDetached: 2,
  tag: 2,
  rmi: 2,
  push: 1,
  pull: 1.5,
  commit: 1,
  volume: 1,
  prune: 1.5,
  racePruneDuringPull: 0.4,
  raceRmiWhileRunning: 0.4,
  raceSameName: 0.4,
  raceSameBuild: 0.4,
  raceTagRmi: 0.4,
} as const;
type OpKind = keyof typeof MIX;
const RACES: OpKind[] = ['racePruneDuringPull', 'raceRmiWhileRunning', 'raceSameName', 'raceSameBuild', 'raceTagRmi'];

const PRUNES: string[][] = [
  ['image', 'prune', '-f'],
  ['image', 'prune', '-a', '-f'],
  ['container', 'prune', '-f'],
  ['builder', 'prune', '-f'],
  ['builder', 'prune', '-a', '-f'],
  ['volume', 'prune', '-f'],
  ['volume', 'prune', '-a', '-f'],
  ['system', 'prune', '-f'],
];

/** How to see that an image holds what it was made with: a command and its output. */
interface Probe {
  args: string[];
  out: string;
}

const canRun = canRunContainers();

test(`${WORKERS} workers running a random mix of commands on one store: nothing lost, only docker's errors`, {
  skip: canRun ? false : 'needs root and runc to run containers',
  timeout: (MINUTES + 15) * 60_000,
}, async (t) => {
  const seed = Prng.seedFrom('STRATA_SOAK_SEED');
  const seedLine = `seed ${seed} (replay with STRATA_SOAK_SEED=${seed})`;
  console.log(`soak: ${seedLine}`);
  const registry = await startRegistry();
  const H = registry.host;
  const BASE = `${H}/soak/base:1`;
  const root = storeWithBusybox();
  strataOk(root, ['tag', BUSYBOX, BASE]);
  strataOk(root, ['rmi', BUSYBOX]);
  // In the registry, so that a build or run that finds the base gone pulls it from loopback.
  strataOk(root, ['push', '-q', BASE]);
  // A running container keeps the base from every prune; rmi never names it.
  strataOk(root, ['run', '-d', '--name', 'soak-keeps-base', BASE, 'sleep', '1000000']);
  const baseId = strataOk(root, ['image', 'inspect', '--format', '{{.Id}}', BASE]).trim();
  const work = tempDir('strata-soak-');

  /** Every call, one JSON line each, when STRATA_SOAK_LOG names a file. */
  const callLog = process.env['STRATA_SOAK_LOG'] || undefined;
  if (callLog !== undefined) writeFileSync(callLog, '');
  const tally = new CallTally();
  const idFacts = new FactLog();
  const nameFacts = new FactLog();
  /** Every image a call reported as made, with its probe; the base is one of them. */
  const probes = new Map<string, Probe>([[baseId, { args: ['cat', '/etc/image-file'], out: 'from the image\n' }]]);
  const knownIds: string[] = [baseId];
  /** Images not reported deleted since they were last made, to choose from. */
  const liveIds = new Set<string>([baseId]);
  /** Names as last reported, to choose from (the fact logs are what is checked). */
  const liveNames = new Map<string, string>();
  /** Registry names pushed, each always of the same image: `…/soak/img:<short ID>`. */
  const pushed = new Map<string, string>();
  /** When calls reported deleting each image ID (rmi, prunes). */
  const deletions = new Map<string, { start: number; end: number }[]>();
  const setupAt = { start: 0, end: performance.now(), args: ['setup'] };
  idFacts.note(baseId, 'present', setupAt);

  const ctxRoot = join(work, 'contexts');
  mkdirSync(ctxRoot);
  function context(name: string, content: string): string {
    const dir = join(ctxRoot, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'Dockerfile'), `FROM ${BASE}\nCOPY f.txt /f.txt\nRUN cat /f.txt > /g\n`);
    writeFileSync(join(dir, 'f.txt'), content);
    return dir;
  }
  const fixed = Array.from({ length: FIXED_CONTEXTS }, (_, i) => ({ dir: context(`fixed-${i}`, `fixed ${i}\n`), content: `fixed ${i}\n` }));

  /** Runs one CLI call, counts it, and notes the removals an rmi or prune reported. */
  async function cli(args: string[], wrongOutput?: (r: GuardedResult) => WrongOutput | undefined): Promise<GuardedResult & { ok: boolean }> {
    const r = await strataGuarded(root, args, { hangMs: HANG_MS });
    const outcome = tally.add(r, r.status === 0 ? wrongOutput?.(r) : undefined);
    if (callLog !== undefined) {
      appendFileSync(callLog, `${JSON.stringify({ start: Math.round(r.start), end: Math.round(r.end), args, status: r.status, outcome, stdout: r.stdout.slice(0, 400), stderr: r.stderr.slice(0, 400) })}\n`);
    }
    const ok = outcome === 'ok';
    if (ok && (args[0] === 'rmi' || args[1] === 'prune')) {
      const { untagged, deleted } = removalsIn(r.stdout);
      for (const name of untagged) {
        if (name.includes('@')) continue;
        nameFacts.note(name, undefined, r);
        liveNames.delete(name);
      }
      // rmi also prints the layers it deleted (by chain ID): only images are checked.
      for (const id of deleted) {
        deletions.set(id, [...(deletions.get(id) ?? []), { start: r.start, end: r.end }]);
        if (!probes.has(id)) continue;
        idFacts.note(id, undefined, r);
        liveIds.delete(id);
      }
    }
    return { ...r, ok };
  }

  const imageIdOutput = (r: GuardedResult): WrongOutput | undefined => (/^sha256:[0-9a-f]{64}\n$/.test(r.stdout) ? undefined : { kind: 'no image ID printed', detail: JSON.stringify(r.stdout.slice(0, 200)) });

  function made(r: GuardedResult, id: string, name: string | undefined, probe: Probe): void {
    idFacts.note(id, 'present', r);
    liveIds.add(id);
    if (!probes.has(id)) knownIds.push(id);
    probes.set(id, probe);
    if (name !== undefined) named(r, name, id);
  }
  function named(r: GuardedResult, name: string, id: string): void {
    nameFacts.note(name, id, r);
    liveNames.set(name, id);
  }

  const ownName = (w: number, k: number | string): string => `${H}/soak/w${w}:${k}`;
  const sharedName = (rng: Prng): string => `${H}/soak/shared:${rng.int(SHARED_NAMES)}`;
  const registryName = (id: string): string => `${H}/soak/img:${id.slice(7, 19)}`;
  /**
   * An image some call made: mostly one still there as far as the calls told, else any (to
   * meet "No such image"); recent ones more often; `notBase` leaves the base out.
   */
  function pickId(rng: Prng, notBase = false): string | undefined {
    const all = rng.chance(0.85) ? knownIds.filter((id) => liveIds.has(id)) : knownIds;
    const pool = notBase ? all.filter((id) => id !== baseId) : all;
    if (pool.length === 0) return undefined;
    const recent = rng.chance(0.5) ? Math.max(0, pool.length - 8) : 0;
    return pool[recent + rng.int(pool.length - recent)];
  }
  function pickName(rng: Prng): string {
    const names = [...liveNames.keys()].filter((n) => n !== BASE);
    return rng.chance(0.8) ? (rng.pick(names) ?? sharedName(rng)) : sharedName(rng);
  }
  function probeOutput(probe: Probe): (r: GuardedResult) => WrongOutput | undefined {
    return (r) => (r.stdout === probe.out ? undefined : { kind: 'wrong output', detail: `${JSON.stringify(r.stdout.slice(0, 80))}, not ${JSON.stringify(probe.out)}` });
  }
  function defect(what: string, ...calls: GuardedResult[]): void {
    tally.defects.push(`${what}\n${calls.map((r) => `  strata ${r.args.join(' ')} → exit ${r.status}: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 6).join('\n    ')}`).join('\n')}`);
  }

  async function build(rng: Prng, w: number, k: number, fresh = rng.chance(0.4)): Promise<void> {
    const chosen = fresh ? undefined : fixed[rng.int(FIXED_CONTEXTS)];
    const content = chosen?.content ?? `fresh ${w}.${k} ${rng.hex(8)}\n`;
    const dir = chosen?.dir ?? context(`w${w}-${k}`, content);
    const name = rng.chance(0.3) ? sharedName(rng) : ownName(w, k);
    const r = await cli(['build', '-q', '-t', name, ...(rng.chance(0.1) ? ['--no-cache'] : []), dir], imageIdOutput);
    if (r.ok) made(r, r.stdout.trim(), name, { args: ['cat', '/g'], out: content });
  }

  const ops: Record<OpKind, (rng: Prng, w: number, k: number) => Promise<void>> = {
    build,
    async runRm(rng) {
      const id = pickId(rng) ?? baseId;
      const probe = probes.get(id) as Probe;
      await cli(['run', '--rm', '--pull', 'never', id, ...probe.args], probeOutput(probe));
    },
    async runDetached(rng, w, k) {
      const c = `w${w}-${k}-detached`;
      const started = await cli(['run', '-d', '--pull', 'never', '--name', c, pickId(rng) ?? baseId, 'sleep', '600']);
      if (!started.ok) return;
      const killed = rng.chance(0.3);
      if (killed) {
        // The second kill finds it stopped ("is not running") or, if it is slow to die, kills again.
        await cli(['kill', c]);
        await cli(['kill', c]);
      }
      // Once stopped, another worker's container prune may take it first.
      const removed = await cli(['rm', '-f', c]);
      if (!removed.ok && !killed) defect('rm -f of a running container no other worker touches failed', removed);
    },
    async tag(rng, w, k) {
      const id = pickId(rng) ?? baseId;
      const name = rng.chance(0.5) ? sharedName(rng) : ownName(w, k);
      const r = await cli(['tag', id, name]);
      if (r.ok) named(r, name, id);
    },
    async rmi(rng) {
      const byId = rng.chance(0.3);
      const target = byId ? pickId(rng, true) : pickName(rng);
      if (target === undefined) return;
      await cli(['rmi', ...(rng.chance(0.3) ? ['-f'] : []), target]);
    },
    async push(rng) {
      const id = pickId(rng) ?? baseId;
      const name = registryName(id);
      const tagged = await cli(['tag', id, name]);
      if (!tagged.ok) return;
      named(tagged, name, id);
      const r = await cli(['push', name]);
      if (r.ok) pushed.set(name, id);
    },
    async pull(rng, w, k) {
      const name = rng.pick([...pushed.keys()]);
      if (name === undefined) return ops.push(rng, w, k);
      if (rng.chance(0.5)) await cli(['rmi', name]);
      const id = pushed.get(name) as string;
      const r = await cli(['pull', name]);
      if (r.ok) made(r, id, name, probes.get(id) as Probe);
    },
    async commit(rng, w, k) {
      const c = `w${w}-${k}-commit`;
      const salt = `committed ${w}.${k} ${rng.hex(8)}\n`;
      const name = rng.chance(0.3) ? sharedName(rng) : ownName(w, `c${k}`);
      const from = pickId(rng) ?? baseId;
      const running = rng.chance(0.5);
      const started = running
        ? await cli(['run', '-d', '--pull', 'never', '--name', c, from, 'sleep', '600'])
        : await cli(['run', '--pull', 'never', '--name', c, from, 'sh', '-c', `printf '%s' '${salt}' > /c`]);
      if (!started.ok) return;
      const wrote = running ? await cli(['exec', c, 'sh', '-c', `printf '%s' '${salt}' > /c`]) : started;
      if (wrote.ok) {
        const r = await cli(['commit', c, name], imageIdOutput);
        if (r.ok) made(r, r.stdout.trim(), name, { args: ['cat', '/c'], out: salt });
      }
      // A stopped one may be gone already: a container prune of another worker takes it.
      const removed = await cli(['rm', '-f', c]);
      if (!removed.ok && running) defect('rm -f of a running container no other worker touches failed', removed);
    },
    async volume(rng, w, k) {
      const v = `w${w}-v${k}`;
      const created = await cli(['volume', 'create', v]);
      if (!created.ok) return;
      const use = rng.next();
      if (use < 0.4) {
        const probe = { args: [], out: `${v}\n` };
        await cli(['run', '--rm', '--pull', 'never', '-v', `${v}:/data`, BASE, 'sh', '-c', `echo ${v} > /data/f && cat /data/f`], probeOutput(probe));
      } else if (use < 0.7) {
        const c = `w${w}-${k}-volume`;
        const started = await cli(['run', '-d', '--pull', 'never', '--name', c, '-v', `${v}:/data`, BASE, 'sleep', '600']);
        if (started.ok) {
          const r = await cli(['volume', 'rm', v]);
          if (r.ok) defect('volume rm removed a volume a running container uses', r);
          await cli(['rm', '-f', c]);
        }
      }
      await cli(['volume', 'rm', v]);
    },
    async prune(rng) {
      await cli(rng.pick(PRUNES) as string[]);
    },
    async racePruneDuringPull(rng, w, k) {
      const name = rng.pick([...pushed.keys()]);
      if (name === undefined) return ops.push(rng, w, k);
      await cli(['rmi', name]);
      const id = pushed.get(name) as string;
      const [pull] = await Promise.all([cli(['pull', name]), cli(['image', 'prune', '-a', '-f'])]);
      if (pull.ok) made(pull, id, name, probes.get(id) as Probe);
      else defect('a pull beside a prune failed', pull);
    },
    async raceRmiWhileRunning(rng, w, k) {
      const id = pickId(rng, true);
      if (id === undefined) return build(rng, w, k);
      const name = ownName(w, `r${k}`);
      const tagged = await cli(['tag', id, name]);
      if (!tagged.ok) return;
      named(tagged, name, id);
      const c = `w${w}-${k}-inuse`;
      const started = await cli(['run', '-d', '--pull', 'never', '--name', c, name, 'sleep', '600']);
      if (!started.ok) return;
      const [byName, byId] = await Promise.all([cli(['rmi', name]), cli(['rmi', '-f', id])]);
      // Another worker's `rmi -f` between the tag and the start may remove the image while the
      // container is only created, as docker's does: then there is nothing to judge.
      if ((deletions.get(id) ?? []).some((d) => d.end >= tagged.start && d.start <= started.end)) {
        await cli(['rm', '-f', c]);
        return;
      }
      if (byId.ok || failureKind(byId).kind !== 'image in use') defect('rmi -f of an image a running container uses did not refuse', byId);
      if (byName.ok && removalsIn(byName.stdout).deleted.includes(id)) defect('rmi deleted an image a running container uses', byName);
      const still = await cli(['image', 'inspect', '--format', '{{.Id}}', id]);
      if (!still.ok || still.stdout.trim() !== id) defect('an image a running container uses is gone', byName, byId, still);
      const state = await cli(['inspect', '--format', '{{.State.Running}}', c]);
      if (state.stdout !== 'true\n') defect('the container stopped while its image was removed', state);
      await cli(['rm', '-f', c]);
    },
    async raceSameName(_rng, w, k) {
      const c = `w${w}-${k}-samename`;
      const args = ['run', '-d', '--pull', 'never', '--name', c, BASE, 'sleep', '600'];
      const results = await Promise.all([cli(args), cli(args)]);
      const winners = results.filter((r) => r.ok).length;
      const losers = results.filter((r) => !r.ok && r.status === 125 && failureKind(r).kind === 'name in use').length;
      if (winners !== 1 || losers !== 1) defect(`two "run --name ${c}" at once: ${winners} succeeded, ${losers} got docker's name conflict`, ...results);
      await cli(['rm', '-f', c]);
    },
    async raceSameBuild(rng, w, k) {
      const content = `twice ${w}.${k} ${rng.hex(8)}\n`;
      const dir = context(`w${w}-${k}-twice`, content);
      const name = ownName(w, `b${k}`);
      const args = ['build', '-q', '-t', name, dir];
      const results = await Promise.all([cli(args, imageIdOutput), cli(args, imageIdOutput)]);
      for (const r of results) {
        if (r.ok) made(r, r.stdout.trim(), name, { args: ['cat', '/g'], out: content });
        else defect('one of two builds of one Dockerfile failed', r);
      }
    },
    async raceTagRmi(rng, w, k) {
      const id = pickId(rng) ?? baseId;
      const name = rng.chance(0.5) ? sharedName(rng) : ownName(w, `t${k}`);
      const [tagged] = await Promise.all([cli(['tag', id, name]), cli(['rmi', name])]);
      if (tagged.ok) named(tagged, name, id);
    },
  };

  // Each race at least once, early, whatever the mix draws.
  const master = new Prng(seed);
  const forced = new Map<string, OpKind>();
  RACES.forEach((race, i) => forced.set(`${i % WORKERS}/${master.int(Math.min(OPS_PER_WORKER, 10))}`, race));
  const deadline = MINUTES > 0 ? performance.now() + MINUTES * 60_000 : Infinity;
  const opCounts = new Map<OpKind, number>();
  const began = performance.now();
  async function worker(w: number): Promise<void> {
    const rng = master.fork(w);
    for (let k = 0; k < OPS_PER_WORKER && performance.now() < deadline; k++) {
      const drawn = rng.weighted(MIX);
      const kind = forced.get(`${w}/${k}`) ?? drawn;
      opCounts.set(kind, (opCounts.get(kind) ?? 0) + 1);
      await ops[kind](rng, w, k);
    }
  }
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  const minutes = (performance.now() - began) / 60_000;

  const problems: string[] = [];
  const checked = await strataGuarded(root, ['system', 'check'], { hangMs: HANG_MS });
  // Only garbage may be left: what a removal freed while another command's lease held it,
  // which the next collection (here --repair) takes.
  const garbageOnly = (checked.status === 0 || checked.status === 1) && checked.stdout.trimEnd().split('\n').every((l) => GARBAGE_LINE.test(l) || SUMMARY_LINE.test(l));
  if (!garbageOnly) problems.push(`system check after the soak:\n${checked.stdout}${checked.stderr}`);
  else if (checked.status === 1) {
    const repaired = await strataGuarded(root, ['system', 'check', '--repair'], { hangMs: HANG_MS });
    const again = await strataGuarded(root, ['system', 'check'], { hangMs: HANG_MS });
    if (repaired.status !== 0 || again.status !== 0) problems.push(`system check --repair after the soak:\n${repaired.stdout}${again.stdout}`);
  }

  // What the calls reported is what the store holds.
  const listed = strataOk(root, ['images', '-a', '--no-trunc', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']).split('\n').filter(Boolean);
  const storeIds = new Set(listed.map((l) => l.split(' ')[1] as string));
  const storeNames = new Map(listed.filter((l) => !l.startsWith('<none>')).map((l) => l.split(' ') as [string, string]));
  const ids = idFacts.settled();
  const mustRun: string[] = [];
  for (const [id, fact] of ids.decided) {
    if (fact.value !== undefined && !storeIds.has(id)) problems.push(`image ${id} is gone; made by "strata ${fact.args.join(' ')}" and no later call removed it`);
    if (fact.value === undefined && storeIds.has(id)) problems.push(`image ${id} is still there; "strata ${fact.args.join(' ')}" reported it deleted and no later call made it`);
    if (fact.value !== undefined && storeIds.has(id)) mustRun.push(id);
  }
  for (const id of storeIds) if (!probes.has(id)) problems.push(`image ${id} is in the store, but no call reported making it`);
  const names = nameFacts.settled();
  for (const [name, fact] of names.decided) {
    const now = storeNames.get(name);
    if (now !== fact.value) problems.push(`${name} is ${now ?? 'gone'}, but "strata ${fact.args.join(' ')}" left it ${fact.value ?? 'removed'} and no later call touched it`);
  }
  const reported = new Set([...nameFacts.keys(), BASE]);
  for (const name of storeNames.keys()) if (!reported.has(name)) problems.push(`${name} is in the store, but no call reported making it`);
  // Every image that must be there runs and holds what it was made with (two at a time).
  const queue = [...mustRun];
  await Promise.all([0, 1].map(async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const probe = probes.get(id) as Probe;
      const r = await strataGuarded(root, ['run', '--rm', '--pull', 'never', id, ...probe.args], { hangMs: HANG_MS });
      if (r.status !== 0 || r.stdout !== probe.out) problems.push(`image ${id} does not run as made: exit ${r.status}, ${JSON.stringify(r.stdout)} not ${JSON.stringify(probe.out)} ${r.stderr.trim()}`);
    }
  }));

  // Removing everything leaves nothing behind: no container, image, volume, mount or layer.
  strataOk(root, ['rm', '-f', 'soak-keeps-base']);
  strataOk(root, ['system', 'prune', '-a', '-f', '--volumes']);
  strataOk(root, ['builder', 'prune', '-a', '-f']);
  for (const [what, args] of [['containers', ['ps', '-aq']], ['images', ['images', '-aq']], ['volumes', ['volume', 'ls', '-q']]] as const) {
    const left = strataOk(root, [...args]);
    if (left !== '') problems.push(`${what} left after removing everything:\n${left}`);
  }
  const finalCheck = strataOk(root, ['system', 'check']);
  if (!/: OK\n$/.test(finalCheck)) problems.push(`system check after removing everything:\n${finalCheck}`);
  if (mountsUnder(root).length > 0) problems.push(`mounts left under the store: ${mountsUnder(root).join(', ')}`);
  for (const dir of ['snapshots/overlay', 'content/blobs/sha256', 'containers', 'volumes']) {
    let left: string[] = [];
    try {
      left = readdirSync(join(root, dir));
    } catch {
      // never made: nothing left
    }
    if (left.length > 0) problems.push(`${dir} still holds ${left.length} entr${left.length === 1 ? 'y' : 'ies'} after removing everything`);
  }

  const ran = [...opCounts].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ×${c}`).join(', ');
  const summary = [
    seedLine,
    `${WORKERS} workers, ${[...opCounts.values()].reduce((a, b) => a + b, 0)} operations (${ran}), ${tally.calls} CLI calls in ${minutes.toFixed(1)} minutes`,
    `checked afterwards: ${ids.decided.size} images (${mustRun.length} run), ${names.decided.size} names; ${ids.undecided.length + names.undecided.length} left out (their last calls overlapped)`,
    ...tally.table(),
  ];
  for (const line of summary) t.diagnostic(line);
  assert.deepEqual(tally.defects, [], `${seedLine}: calls that failed as docker never would`);
  assert.deepEqual(problems, [], `${seedLine}: the store does not hold what the calls reported`);
});
