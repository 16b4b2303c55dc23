// The end-to-end harness: a real SMTP server (Debian's aiosmtpd) and the real `voicepin serve`
// on loopback, headless Chromium (Debian's) driven by playwright-core, axe-core for the
// accessibility check, and a screenshot of every page visited.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = process.env.VOICEPIN_BIN
  || path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target'), 'debug', 'voicepin');
const SHOTS = process.env.VOICEPIN_SHOTS || path.join(__dirname, 'screenshots');
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitFor(check, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/// A running server with its SMTP sink, data directory and first-start secrets.
class Server {
  static async start() {
    const s = new Server();
    s.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'voicepin-e2e-'));
    s.maildir = path.join(s.dir, 'maildir');
    s.smtpPort = await freePort();
    s.smtp = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${s.smtpPort}`,
      '-c', 'aiosmtpd.handlers.Mailbox', s.maildir], { stdio: 'ignore' });
    await waitFor(() => new Promise(resolve => {
      const socket = net.connect(s.smtpPort, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    }), 'the SMTP server');
    s.port = await freePort();
    s.url = `http://127.0.0.1:${s.port}`;
    s.stderr = '';
    s.process = spawn(BINARY, ['serve', '--mail-poll-seconds', '1'], {
      env: {
        PATH: process.env.PATH,
        VOICEPIN_DATA_DIR: path.join(s.dir, 'data'),
        VOICEPIN_HTTP__LISTEN: `127.0.0.1:${s.port}`,
        VOICEPIN_MAIL__SMTP_URL: `smtp://127.0.0.1:${s.smtpPort}`,
        VOICEPIN_SECURITY__ARGON2_MEMORY_KIB: '256',
        VOICEPIN_SECURITY__ARGON2_ITERATIONS: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    s.process.stderr.on('data', chunk => { s.stderr += chunk; });
    await waitFor(async () => {
      try { return (await fetch(`${s.url}/readyz`)).ok; } catch { return false; }
    }, 'voicepin serve', 90000);
    await waitFor(() => /shown once\):\s*(\S+)/.test(s.stderr) && /shown once:\s+(\S+)/.test(s.stderr),
      'the first-start secrets', 30000);
    s.oneTimePassword = /one-time password \(shown once\):\s*(\S+)/.exec(s.stderr)[1];
    s.token = /shown once:\s+(\S+)/.exec(s.stderr)[1];
    return s;
  }

  /// A call to the HTTP API with the first-start token.
  async api(method, route, body, token = this.token) {
    const response = await fetch(this.url + route, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }

  /// The messages the SMTP server received, oldest first, as raw text.
  messages() {
    const dir = path.join(this.maildir, 'new');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).map(f => {
      const file = path.join(dir, f);
      return { file, mtime: fs.statSync(file).mtimeMs, text: fs.readFileSync(file, 'utf8') };
    }).sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file)).map(m => m.text);
  }

  /// Waits for the next message to `address` after `seen` messages in all.
  async mailTo(address, seen) {
    return waitFor(() => this.messages().slice(seen).find(m => new RegExp(`^To:.*${address}`, 'mi').test(m)),
      `mail to ${address}`);
  }

  async stop() {
    if (this.process) this.process.kill('SIGTERM');
    if (this.smtp) this.smtp.kill('SIGTERM');
    await new Promise(r => setTimeout(r, 200));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/// The PIN in a message (the plain part's "Your PIN:" line).
function pinIn(message) {
  const decoded = message.replace(/=\r?\n/g, '');
  const match = /Your PIN:\s+(\d{4,24})/.exec(decoded);
  if (!match) throw new Error('no PIN in the message:\n' + message.slice(0, 2000));
  return match[1];
}

async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * 127.0.0.1'],
    timeout: 30000,
  });
}

/// A page that fails the test on a script error or a CSP violation report, and keeps a
/// list of what it saw.
async function newPage(browser, server) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, baseURL: server.url });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', e => page.errors.push(String(e)));
  page.on('console', m => {
    if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) page.errors.push(m.text());
  });
  return page;
}

/// Saves a full-page screenshot named `name`.
async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/// Runs axe-core on the page; returns the serious and critical violations.
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) {
    // Evaluated from the test, not injected as a <script>: the page's CSP stays strict.
    await page.evaluate(AXE);
  }
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(' ')).join('; ')})`);
}

/// Signs in on the sign-in page.
async function signIn(page, name, password) {
  await page.goto('/admin/sign-in');
  await page.getByLabel('Account name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

module.exports = { Server, launch, newPage, shot, axe, signIn, pinIn, waitFor, SHOTS };
