// Browser test of trellis-serve's upload page: headless chromium (the Debian package) driven by
// playwright-core. Trains a small model that finds coloured blocks (trellis-serve-fixture),
// starts trellis-serve on a free port, uploads a JPEG through the file picker, waits for the
// boxes, checks labels and the threshold slider, and saves a screenshot.
//
//   TRELLIS_BUILD_DIR=build node tests/browser/serve_upload_test.mjs [--screenshot docs/x.png]
// Exit code 0 on success. CHROMIUM overrides /usr/bin/chromium.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const buildDir = path.resolve(process.env.TRELLIS_BUILD_DIR || 'build');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const shotArg = process.argv.indexOf('--screenshot');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trellis-browser-'));
const screenshot = shotArg > 0 ? path.resolve(process.argv[shotArg + 1]) : path.join(tmp, 'upload.png');

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

function check(condition, message) {
  if (!condition) fail(message);
  console.log(`ok: ${message}`);
}

async function startServer(model) {
  const server = spawn(path.join(buildDir, 'bin/trellis-serve'), [model, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const onData = (chunk) => {
      log += chunk.toString();
      const m = log.match(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    };
    server.stdout.on('data', onData);
    server.stderr.on('data', onData);
    server.on('exit', (code) => reject(new Error(`trellis-serve exited with ${code}:\n${log}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${base}/ping`)).status === 200) return { server, base };
    } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`trellis-serve did not become ready:\n${log}`);
}

async function main() {
  // By default a barely trained model (fast on a busy CI machine): its detections are faint,
  // so the page is opened with min_score=0. TRELLIS_BROWSER_EPOCHS=40 trains one that finds
  // the blocks (for the screenshot in docs/).
  const epochs = process.env.TRELLIS_BROWSER_EPOCHS || '1';
  const model = path.join(tmp, 'blocks.safetensors');
  console.log(`making a small block detector (trellis-serve-fixture, ${epochs} epochs)...`);
  const fixture = spawnSync(path.join(buildDir, 'bin/trellis-serve-fixture'),
    ['--out', model, '--images', tmp, '--epochs', epochs,
      '--train-images', epochs === '1' ? '2' : '8', '--seed', '3'],
    { encoding: 'utf8' });
  if (fixture.status !== 0) fail(`trellis-serve-fixture failed:\n${fixture.stdout}${fixture.stderr}`);
  console.log(fixture.stdout.trim());
  const { server, base } = await startServer(model);
  const context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1180, height: 800 },
    deviceScaleFactor: 1,
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const minScore = epochs === '1' ? 0 : 0.05;
    await page.goto(`${base}/?min_score=${minScore}`);
    await page.waitForFunction(() => document.getElementById('model').textContent.startsWith('model '));
    check((await page.textContent('#model')).includes('blocks.safetensors@'), 'the header names the model');

    await page.setInputFiles('#file', path.join(tmp, 'sample.jpg'));
    await page.waitForSelector('body[data-detections]', { timeout: 60000 });
    // A briefly trained model is not sure of itself: look at everything the page asked for.
    await page.$eval('#threshold', (el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }, minScore);
    const shown = Number(await page.getAttribute('body', 'data-detections'));
    check(shown >= 1, `boxes are drawn (${shown} at threshold ${minScore})`);
    const labels = await page.$$eval('#detections tr.detection:not(.hidden) td:first-child',
      (tds) => tds.map((td) => td.textContent.trim()));
    check(labels.length === shown && labels.every((l) => /^(red|green|blue) block$/.test(l)),
      `the table lists the labels: ${[...new Set(labels)].join(', ')}`);
    check((await page.textContent('#status')).includes('480×480'), 'the status line gives the image size');
    const canvas = await page.$eval('#canvas', (c) => [c.width, c.height]);
    check(canvas[0] === 480 && canvas[1] === 480, 'the canvas has the image size');
    // Boxes are drawn: the canvas differs from the plain image somewhere along a box edge.
    const painted = await page.evaluate(() => {
      const c = document.getElementById('canvas');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let saturated = 0;
      for (let i = 0; i < d.length; i += 4) {
        const max = Math.max(d[i], d[i + 1], d[i + 2]), min = Math.min(d[i], d[i + 1], d[i + 2]);
        if (max - min > 60) saturated++;
      }
      return saturated;
    });
    check(painted > 1000, 'the canvas shows coloured boxes and blocks');

    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`screenshot: ${screenshot}`);

    await page.$eval('#threshold', (el) => { el.value = '1'; el.dispatchEvent(new Event('input')); });
    check(await page.getAttribute('body', 'data-detections') === '0', 'the slider at 1.00 hides every box');
    check((await page.textContent('#threshold-value')) === '1.00', 'the slider shows its value');
    await page.$eval('#threshold', (el, v) => { el.value = String(v); el.dispatchEvent(new Event('input')); }, minScore);
    check(Number(await page.getAttribute('body', 'data-detections')) === shown, 'and back down shows them again');
    check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join('; ') : ''}`);
  } finally {
    await context.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
    if (shotArg < 0) fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(() => console.log('PASS'), (e) => {
  console.error(e.stack || e.message);
  process.exitCode = 1;
});
