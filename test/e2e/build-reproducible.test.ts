// Reproducible builds: with SOURCE_DATE_EPOCH, two --no-cache builds of the same Dockerfile
// and context in two separate stores ("two machines"), from context copies at other paths
// with other mtimes, give the same image ID — RUN output, created directories, COPY and
// WORKDIR layers and the history all included. Without it, the IDs differ (times are real).
// (The listing leaves out ls's time column: `ls -l /app > /app/listing` listed the new file
// itself with the real time of the build, so two builds a minute boundary apart differed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { strata, strataOk } from '../helpers/strata-cli.ts';
import { writeTree } from './build-fixture.ts';

const EPOCH = '1700000000';

const DOCKERFILE = `FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox","--install","-s","/bin"]

FROM base AS build
WORKDIR /src
COPY src/ ./
RUN mkdir -p out/dir && cat *.txt > out/all && echo done > out/dir/x

FROM base
ENV APP=/app
WORKDIR /app
COPY --from=build /src/out ./
RUN ls -ln /app > /app/.ls && awk '{print $1, $3, $4, $5, $9}' /app/.ls > /app/listing && rm /app/.ls
CMD ["cat", "/app/all"]
`;

function machine(mtime: number): { root: string; ctx: string } {
  const root = tempDir('strata-repro-root-');
  const ctx = tempDir('strata-repro-ctx-');
  copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  writeTree(ctx, { 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', Dockerfile: DOCKERFILE });
  for (const f of ['busybox', 'src/a.txt', 'src/b.txt', 'src', 'Dockerfile']) utimesSync(join(ctx, f), mtime, mtime);
  return { root, ctx };
}

function build(m: { root: string; ctx: string }, env: Record<string, string>, extra: string[] = []): string {
  const r = strata(m.root, ['build', '-q', '--no-cache', ...extra, m.ctx], { env });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('SOURCE_DATE_EPOCH makes two --no-cache builds on two stores give the same image ID', () => {
  // Both later than the epoch (mtimes older than it are kept, as BuildKit keeps them).
  const one = machine(1_750_000_000);
  const two = machine(1_760_000_000);
  const id1 = build(one, { SOURCE_DATE_EPOCH: EPOCH });
  const id2 = build(two, { SOURCE_DATE_EPOCH: EPOCH });
  assert.match(id1, /^sha256:[0-9a-f]{64}$/);
  assert.equal(id1, id2);
  // The same through --build-arg, as BuildKit takes it.
  assert.equal(build(two, {}, ['--build-arg', `SOURCE_DATE_EPOCH=${EPOCH}`]), id1);
  const created = strataOk(one.root, ['image', 'inspect', '--format', '{{.Created}}', id1]).trim();
  assert.equal(created, '2023-11-14T22:13:20Z');
  const history = strataOk(one.root, ['history', '--format', '{{.CreatedAt}}', id1]).trim().split('\n');
  assert.ok(history.every((h) => h === history[0]), history.join('\n'));
  // The layers' tars are regenerated from their snapshots for save, without the variable set:
  // the clamped times live in the snapshots, so the tars still hash to the diff_ids.
  const saved = strata(one.root, ['save', '-o', join(tempDir(), 'img.tar'), id1], { env: { SOURCE_DATE_EPOCH: '' } });
  assert.equal(saved.status, 0, saved.stderr);
});

test('without SOURCE_DATE_EPOCH, the same --no-cache build gives a new ID each time', () => {
  const m = machine(1_750_000_000);
  const a = build(m, { SOURCE_DATE_EPOCH: '' });
  writeFileSync(join(m.ctx, 'unused'), 'x');
  const b = build(m, { SOURCE_DATE_EPOCH: '' });
  assert.notEqual(a, b);
});
