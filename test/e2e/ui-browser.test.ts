// `strata ui` in a real browser (Debian's chromium, driven by playwright-core) against a
// store whose images the test builds: the images table, a layer stack with its shared
// layers marked, the explorer on a 20,000-file layer, a CLI build showing up without a
// reload, hostile names shown as text, and the token refused when missing. Screenshots go
// to a directory under the OS temp dir, printed at the start (kept for a look after the run).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { STRATA_BIN, strataOk } from '../helpers/strata-cli.ts';

const CHROMIUM = '/usr/bin/chromium';
/** A file name and a label that would run script if the app put them into HTML. */
const HOSTILE_FILE = '<img src=x onerror="window.__pwned=1">.txt';
const HOSTILE_LABEL = '<script>window.__pwned=2</script><b>bold?</b>';
const BIG_DIRS = 100;
const BIG_FILES_PER_DIR = 200;

/** ui/waste:1's bytes: what its two base layers store (busybox, `hostile\n`, `plain\n`), and its own. */
const WASTE_BASE_BYTES = statSync('/bin/busybox').size + 8 + 6;
const WASTE_USER_BYTES = 1000 + 500 + 200 + 200 + 300;
const WASTE_WASTED = 1000 + 500;

let root: string;
let server: ChildProcess;
let url: URL;
let browser: Browser;
let page: Page;
const screens = mkdtempSync(join(tmpdir(), 'strata-ui-screens-'));
// The store and the build contexts; removed by the last hook, once the server has stopped.
const work = mkdtempSync(join(tmpdir(), 'strata-ui-test-'));

function build(tag: string, dockerfile: string, files: Record<string, string> = {}): void {
  const ctx = mkdtempSync(join(work, 'ctx-'));
  writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(ctx, name, '..'), { recursive: true });
    writeFileSync(join(ctx, name), content);
  }
  if (dockerfile.includes('COPY busybox')) copyFileSync('/bin/busybox', join(ctx, 'busybox'));
  strataOk(root, ['build', '-q', '-t', tag, ctx]);
}

function bigContext(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let d = 0; d < BIG_DIRS; d++) for (let f = 0; f < BIG_FILES_PER_DIR; f++) files[`big/d-${d}/f-${d * BIG_FILES_PER_DIR + f}`] = `file ${d}/${f}\n`;
  return files;
}

/** Starts `strata ui` and returns the URL it prints. */
function startUi(): Promise<URL> {
  server = spawn(STRATA_BIN, ['ui', '--port', '0'], { env: { ...process.env, STRATA_ROOT: root }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    server.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /http:\/\/\S+\?token=[0-9a-f]+/.exec(out);
      if (m) resolve(new URL(m[0]));
    });
    server.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
    server.on('exit', (code) => reject(new Error(`strata ui exited ${code}: ${err}`)));
  });
}

/** A GET straight to the server, with the Host and headers given (no browser in between). */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A GET's status and the headers the token's redirect sets. */
function rawGetHeaders(path: string): Promise<{ status: number; location: string; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location ?? '', cookie: res.headers['set-cookie']?.[0] ?? '' });
    });
    req.on('error', reject);
    req.end();
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(screens, `${name}.png`), fullPage: true });
}

before(async () => {
  root = join(work, 'root');
  build('ui/base:1', `FROM scratch\nCOPY busybox /bin/busybox\nCOPY files/ /data/\nLABEL hostile="${HOSTILE_LABEL.replace(/"/g, '\\"')}"\n`, { [`files/${HOSTILE_FILE}`]: 'hostile\n', 'files/readme': 'plain\n' });
  build('ui/app:1', 'FROM ui/base:1\nENV MODE=one\nCOPY one.txt /app/\n', { 'one.txt': 'one\n' });
  build('ui/app:2', 'FROM ui/base:1\nCOPY two.txt /app/\n', { 'two.txt': 'two two\n' });
  build('ui/big:1', 'FROM scratch\nCOPY big/ /big/\n', bigContext());
  // Known waste (see WASTE_*): a 1000-byte file overwritten by a 300-byte one, a 500-byte
  // file added then removed, a 200-byte body stored at two paths (one of them hostile).
  build('ui/waste:1', 'FROM ui/base:1\nCOPY w1/ /w/\nCOPY w2/ /w/\nRUN ["/bin/busybox", "rm", "/w/tmp.bin"]\n', {
    'w1/big.bin': 'a'.repeat(1000),
    'w1/tmp.bin': 'b'.repeat(500),
    'w1/dup.txt': 'd'.repeat(200),
    [`w1/${HOSTILE_FILE}`]: 'd'.repeat(200),
    'w2/big.bin': 'c'.repeat(300),
  });
  strataOk(root, ['run', '--name', 'ui-c1', 'ui/base:1', '/bin/busybox', 'sh', '-c', 'echo hi > /hello && /bin/busybox rm /data/readme']);
  url = await startUi();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('dialog', (d) => void d.dismiss());
  // Visiting the printed URL once sets the token's cookie for every test below.
  await page.goto(url.href);
  console.log(`# screenshots: ${screens}`);
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGINT');
    await exited;
  }
  strataOk(root, ['rm', '-f', 'ui-c1']);
  rmSync(work, { recursive: true, force: true });
});

test('without its token the server answers nothing but the login page', async () => {
  const assetPath = /src="(\/assets\/[^"]+\.js)"/.exec((await rawGet('/', { authorization: `token ${url.searchParams.get('token')}` })).body)?.[1];
  assert.ok(assetPath, 'the app page names its script');
  for (const path of ['/api/images', '/api/layers/x/tree', '/api/events', '/api/diff?a=ui/app:1&b=ui/app:2', assetPath, '/index.html']) {
    const r = await rawGet(path);
    assert.equal(r.status, 401, path);
    assert.doesNotMatch(r.body, /ui\/base/, path);
  }
  assert.equal((await rawGet('/api/images', { authorization: 'token wrong' })).status, 401);
  assert.equal((await rawGet('/?token=wrong')).status, 401);
  const login = await rawGet('/');
  assert.equal(login.status, 401);
  assert.match(login.body, /token/);
  // The URL's token becomes a cookie and the browser goes back to the same page: never to another host.
  const redirect = await rawGetHeaders(`/.//attacker.example/?token=${url.searchParams.get('token')}`);
  assert.equal(redirect.status, 303);
  assert.equal(redirect.location, '/');
  assert.match(redirect.cookie, /^strata-ui-token-\d+=[0-9a-f]{48}; Path=\/; HttpOnly; SameSite=Strict$/);
  // A page on a DNS name rebound to 127.0.0.1 sends its own Host: refused, token or not.
  const rebound = await rawGet(`/api/images`, { host: `attacker.example:${url.port}`, authorization: `token ${url.searchParams.get('token')}` });
  assert.equal(rebound.status, 403);
  const stranger = await browser.newContext();
  const strangerPage = await stranger.newPage();
  await strangerPage.goto(`${url.origin}/`);
  await strangerPage.locator('input[name=token]').waitFor();
  assert.equal(await strangerPage.locator('table').count(), 0);
  await strangerPage.screenshot({ path: join(screens, 'login.png') });
  await stranger.close();
});

test('the images table lists docker\'s columns with shared and unique sizes, and sorts', async () => {
  await page.goto(url.href);
  assert.equal(new URL(page.url()).searchParams.get('token'), null, 'the token leaves the address bar');
  const rows = page.locator('table.images tbody tr');
  await rows.filter({ hasText: 'ui/big' }).waitFor();
  assert.deepEqual(await page.locator('table.images th').allInnerTexts(), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED ▼', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']);
  assert.equal(await rows.count(), 5);
  const app1 = (await rows.allInnerTexts()).find((r) => r.startsWith('ui/app\t1\t')) ?? '';
  const cells = app1.split('\t').map((c) => c.trim());
  assert.equal(cells[1], '1');
  assert.match(cells[2] ?? '', /^[0-9a-f]{12}$/);
  assert.equal(cells[6], '4B', 'the unique size of ui/app:1 is its own 4-byte file');
  const sizeButton = page.locator('th', { hasText: 'SIZE' }).first().locator('button');
  await sizeButton.click();
  assert.match(await rows.last().innerText(), /^ui\/big\t/, 'the smallest image last after sorting by SIZE');
  await sizeButton.click();
  assert.match(await rows.first().innerText(), /^ui\/big\t/, 'and first in ascending order');
  await page.locator('th', { hasText: 'REPOSITORY' }).locator('button').click();
  assert.match(await rows.first().innerText(), /^ui\/app/, 'sorted by name');
  // A short window, so the picture is the table and not the empty page below it.
  await page.setViewportSize({ width: 1280, height: 260 });
  await shot('images');
  await page.setViewportSize({ width: 1280, height: 800 });
});

test('an image\'s layer stack: base at the bottom, metadata rows at 0 B, shared layers linked to the other images', async () => {
  await page.goto(`${url.origin}/#/images`);
  await page.locator('table.images a', { hasText: 'ui/app' }).first().waitFor();
  const id = await page.locator('table.images tbody tr').filter({ hasText: 'ui/app' }).filter({ has: page.locator('td:nth-child(2)', { hasText: /^1$/ }) }).getAttribute('data-image');
  await page.goto(`${url.origin}/#/image/${encodeURIComponent(id ?? '')}`);
  const layers = page.locator('ol.stack > li');
  await layers.first().waitFor();
  // History: COPY busybox, COPY files, LABEL, ENV, COPY one.txt (base first).
  assert.equal(await layers.count(), 5);
  const texts = await layers.allInnerTexts();
  assert.match(texts[0] ?? '', /COPY busybox/);
  assert.match(texts[2] ?? '', /^0B\s+LABEL/);
  assert.match(texts[3] ?? '', /^0B\s+ENV MODE=one/);
  assert.match(texts[4] ?? '', /^4B\s+COPY one.txt/);
  const box = async (i: number): Promise<number> => (await layers.nth(i).boundingBox())?.y ?? NaN;
  assert.ok((await box(0)) > (await box(4)), 'the base layer is drawn below the top one');
  const shared = page.locator('ol.stack > li.shared');
  assert.equal(await shared.count(), 2, 'both base layers are shared');
  assert.deepEqual((await shared.first().locator('.shared-with a').allInnerTexts()).sort(), ['ui/app:2', 'ui/base:1', 'ui/waste:1']);
  assert.equal(await layers.nth(4).locator('.shared-with').count(), 0);
  // The label is shown as text: no script ran, no element came from it.
  await page.locator('table.labels td', { hasText: '<script>' }).waitFor();
  assert.equal(await page.locator('table.labels td').innerText(), HOSTILE_LABEL);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
  await shot('image-stack');
  await shared.first().locator('.shared-with a', { hasText: 'ui/app:2' }).click();
  await page.locator('h1', { hasText: 'ui/app:2' }).waitFor();
});

test('a hostile file name is shown as text in the explorer', async () => {
  const detail = JSON.parse((await rawGet(`/api/images/ui%2Fbase:1`, { authorization: `token ${url.searchParams.get('token')}` })).body) as { stack: { chainId: string | null }[] };
  const chainId = detail.stack[1]?.chainId ?? '';
  await page.goto(`${url.origin}/#/layer/${encodeURIComponent(chainId)}`);
  await page.locator('.tree.root .toggle', { hasText: 'data' }).click();
  const entry = page.locator(`li[data-path="/data/${HOSTILE_FILE.replace(/"/g, '\\"')}"]`);
  await entry.waitFor();
  assert.match(await entry.innerText(), /^A\s+<img src=x onerror="window.__pwned=1">\.txt\s+8B$/);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
  await shot('hostile-name');
});

test('the explorer opens a 20,000-file layer one directory at a time, and finds a path', async () => {
  const detail = JSON.parse((await rawGet(`/api/images/ui%2Fbig:1`, { authorization: `token ${url.searchParams.get('token')}` })).body) as { stack: { chainId: string | null }[] };
  const chainId = detail.stack[0]?.chainId ?? '';
  const started = Date.now();
  await page.goto(`${url.origin}/#/layer/${encodeURIComponent(chainId)}`);
  await page.locator('.layer-summary', { hasText: `${BIG_DIRS * BIG_FILES_PER_DIR} files` }).waitFor();
  console.log(`# explorer: 20,000-file layer listed in ${Date.now() - started} ms (first open)`);
  await page.locator('.tree.root .toggle', { hasText: 'big' }).click();
  const dirs = page.locator('li[data-path^="/big/d-"]');
  await dirs.first().waitFor();
  assert.equal(await dirs.count(), BIG_DIRS);
  await page.locator('li[data-path="/big/d-7"] > .entry-row .toggle').click();
  await page.locator('li[data-path="/big/d-7/f-1400"]').waitFor();
  assert.equal(await page.locator('li[data-path^="/big/d-7/"]').count(), BIG_FILES_PER_DIR);
  assert.ok((await page.locator('li.entry').count()) < 1 + BIG_DIRS + BIG_FILES_PER_DIR + 1, 'only opened directories are in the page');
  await page.locator('input[type=search]').fill('f-19999');
  const match = page.locator('.matches li', { hasText: '/big/d-99/f-19999' });
  await match.waitFor();
  assert.equal(await page.locator('.matches li').count(), 1);
  await shot('explorer-20000');
});

test('a build, then an rmi, by another CLI show up without a reload', async () => {
  await page.goto(`${url.origin}/#/images`);
  await page.locator('table.images tbody tr', { hasText: 'ui/big' }).waitFor();
  await page.evaluate(() => ((globalThis as unknown as { __sameDocument?: boolean }).__sameDocument = true));
  const started = Date.now();
  build('ui/live:1', 'FROM ui/base:1\nCOPY live.txt /\n', { 'live.txt': 'live\n' });
  const built = Date.now();
  await page.locator('table.images tbody tr', { hasText: 'ui/live' }).waitFor();
  console.log(`# live: the new image showed ${Date.now() - built} ms after the build returned (build took ${built - started} ms)`);
  strataOk(root, ['rmi', 'ui/live:1']);
  await page.locator('table.images tbody tr', { hasText: 'ui/live' }).waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the page was not reloaded');
  await shot('live');
});

test('sharing, disk and build cache views draw the store', async () => {
  await page.goto(`${url.origin}/#/sharing`);
  const matrix = page.locator('table.matrix tbody tr');
  await matrix.first().waitFor();
  assert.equal(await matrix.count(), 2, 'the two base layers are the shared ones');
  assert.match(await matrix.first().innerText(), /COPY busybox/);
  assert.equal(await matrix.first().locator('td.cell.on').count(), 4, 'ui/base:1, ui/app:1, ui/app:2, ui/waste:1');
  await shot('sharing');
  await page.goto(`${url.origin}/#/disk`);
  await page.locator('table.df tbody tr').first().waitFor();
  assert.deepEqual((await page.locator('table.df tbody tr td:first-child').allInnerTexts()), ['Images', 'Containers', 'Local Volumes', 'Build Cache']);
  assert.ok((await page.locator('.treemap .tile').count()) >= 5);
  await shot('disk');
  await page.goto(`${url.origin}/#/build-cache`);
  await page.locator('table tbody tr', { hasText: 'COPY busybox' }).first().waitFor();
  await shot('build-cache');
});

test('a container\'s writable layer: its changes and size', async () => {
  await page.goto(`${url.origin}/#/containers`);
  const row = page.locator('tbody tr', { hasText: 'ui-c1' });
  await row.waitFor();
  assert.match(await row.innerText(), /\tui\/base:1\t.*\tExited \(0\) .*\t3B\tui-c1$/);
  await row.locator('button').click();
  await page.locator('.changes li').first().waitFor();
  assert.deepEqual(await page.locator('.changes li').allInnerTexts(), ['C /data', 'D /data/readme', 'A /hello']);
  assert.match(await page.locator('.changes h2').innerText(), /Writable layer of [0-9a-f]{12}: 3B$/);
  await shot('containers');
});

/** An image's ID, from the server's JSON (what the app's links carry). */
async function imageId(ref: string): Promise<string> {
  const detail = JSON.parse((await rawGet(`/api/images/${encodeURIComponent(ref)}`, { authorization: `token ${url.searchParams.get('token')}` })).body) as { image: { id: string }; stack: { chainId: string | null }[] };
  return detail.image.id;
}

test('an image with known waste shows the analyzer\'s numbers, per layer, its hints and duplicates', async () => {
  await page.goto(`${url.origin}/#/image/${encodeURIComponent(await imageId('ui/waste:1'))}`);
  await page.locator('.analysis .efficiency').waitFor();
  const stored = WASTE_BASE_BYTES + WASTE_USER_BYTES;
  assert.equal(await page.locator('.analysis .efficiency').innerText(), `${(((stored - WASTE_WASTED) / stored) * 100).toFixed(1)}%`);
  assert.equal(await page.locator('.analysis .wasted-total').innerText(), '1.5kB');
  assert.equal(await page.locator('.analysis .user-waste').innerText(), '1.5kB', 'all the waste is in the user\'s layers');
  assert.equal(await page.locator('.analysis .base-waste').innerText(), '0B');
  assert.equal(await page.locator('.analysis .duplicate-total').innerText(), '200B');
  // Beside the stack (base first): COPY w1 adds 4 files and stores all the waste, COPY w2
  // modifies big.bin, the RUN removes tmp.bin.
  const layers = page.locator('ol.stack > li');
  const texts = await layers.allInnerTexts();
  const row = (instruction: string): string => texts.find((t) => t.includes(instruction)) ?? '';
  assert.match(row('COPY w1/'), /\+4 \(1\.9kB\) ~0 \(0B\) −0 \(0B\) wasted 1\.5kB/);
  assert.match(row('COPY w2/'), /\+0 \(0B\) ~1 \(300B\) −0 \(0B\)$/m);
  assert.match(row('busybox rm'), /\+0 \(0B\) ~0 \(0B\) −1 \(500B\)/);
  assert.doesNotMatch(row('ENV') + row('LABEL'), /wasted/, 'metadata rows have no counts');
  const hint = page.locator('.hints li[data-kind="added-then-removed"]');
  assert.match(await hint.locator('.hint-message').innerText(), /adds 1 file\(s\), 500 ?B.*RUN \/bin\/busybox rm \/w\/tmp\.bin/);
  assert.match(await hint.locator('.hint-instruction').innerText(), /COPY w1\/ \/w\//);
  const dup = page.locator('table.duplicates tbody tr');
  assert.equal(await dup.count(), 1);
  assert.equal(await dup.locator('td').nth(2).innerText(), `/w/${HOSTILE_FILE} (2), /w/dup.txt (2)`);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
  await shot('analysis');
  // The explorer, opened from this image, marks the overwritten and the removed copy as wasted.
  await layers.filter({ hasText: 'COPY w1/' }).locator('a.explore').click();
  await page.locator('.tree.root .toggle', { hasText: 'w' }).click();
  await page.locator('li[data-path="/w/dup.txt"]').waitFor();
  const hidden = await page.locator('li.entry.hidden').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')));
  assert.deepEqual(hidden.sort(), ['/w/big.bin', '/w/tmp.bin']);
  await shot('explorer-wasted');
});

test('the diff view of two built images shows the shared layers, changed files, config and history', async () => {
  const a = await imageId('ui/app:1');
  const b = await imageId('ui/app:2');
  await page.goto(`${url.origin}/#/diff`);
  await page.locator('select[aria-label="image A"]').selectOption(a);
  await page.locator('select[aria-label="image B"]').selectOption(b);
  await page.locator('table.diff-files tbody tr').first().waitFor();
  assert.equal(await page.locator('.diff-shared').innerText(), '2 of 3 / 3 layers shared');
  assert.deepEqual(await page.locator('table.diff-files tbody tr').allInnerTexts(), ['D\t/app/one.txt\tfile\t4B\t', 'A\t/app/two.txt\tfile\t\t8B']);
  assert.deepEqual(await page.locator('table.diff-config tbody tr').allInnerTexts(), ['Env MODE\tone\t(unset)']);
  assert.deepEqual(await page.locator('ul.history-a li').allInnerTexts(), ['ENV MODE=one', 'COPY one.txt /app/ # buildkit']);
  assert.deepEqual(await page.locator('ul.history-b li').allInnerTexts(), ['COPY two.txt /app/ # buildkit']);
  await shot('diff');
  // A missing image or a missing side is named, not an internal error.
  const auth = { authorization: `token ${url.searchParams.get('token')}` };
  const missing = await rawGet('/api/diff?a=ui/app:1&b=no/such:image', auth);
  assert.equal(missing.status, 404);
  assert.match(JSON.parse(missing.body).message, /no\/such:image/);
  const half = await rawGet('/api/diff?a=ui/app:1', auth);
  assert.equal(half.status, 400);
  assert.match(JSON.parse(half.body).message, /a diff needs two images/);
  // A hostile file name in a diff is text.
  await page.locator('select[aria-label="image A"]').selectOption(await imageId('ui/base:1'));
  await page.locator('select[aria-label="image B"]').selectOption(await imageId('ui/waste:1'));
  const hostile = page.locator(`table.diff-files tr[data-path="/w/${HOSTILE_FILE.replace(/"/g, '\\"')}"]`);
  await hostile.waitFor();
  assert.equal(await hostile.locator('td.name').innerText(), `/w/${HOSTILE_FILE}`);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned), undefined);
});

test('the build cache view lists recent builds with each step CACHED or why it missed', async () => {
  await page.goto(`${url.origin}/#/build-cache`);
  await page.locator('details.build').first().waitFor();
  const dockerfile = 'FROM ui/base:1\nRUN ["/bin/busybox", "touch", "/ran"]\nCOPY steps.txt /\n';
  build('ui/steps:1', dockerfile, { 'steps.txt': 'one\n' });
  const firstId = await imageId('ui/steps:1');
  build('ui/steps:1', dockerfile, { 'steps.txt': 'two\n' });
  // The newest build is open, and shows up without a reload.
  const newest = page.locator('details.build[open]', { hasText: 'file steps.txt changed' });
  await newest.waitFor();
  assert.match(await newest.locator('summary').innerText(), /ui\/steps:1/);
  assert.deepEqual(await newest.locator('tbody tr td:nth-child(2)').allInnerTexts(), ['CACHED', 'file steps.txt changed']);
  assert.match(await newest.locator('tbody tr').first().innerText(), /RUN \["\/bin\/busybox", "touch", "\/ran"\]/);
  assert.equal(await page.locator('details.build').count(), 8, 'the before hook\'s five builds, ui/live and these two');
  await shot('build-steps');
  strataOk(root, ['rmi', 'ui/steps:1', firstId]);
});
