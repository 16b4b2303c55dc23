// Self-service at /my/voicemail in headless Chromium against the real `voicepin serve`: a
// user asks for a confirmation link, reads it from the message the real SMTP server
// received, follows it, resets their PIN, and the emailed PIN signs in through the API
// (pinChangeRequired). An unknown address or extension answers the same page; a used link
// no longer works; a locked mailbox stays locked. Every page is screenshotted and checked
// with axe-core.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launch, newPage, shot, axe, pinIn, waitFor } = require('../harness');

let server;
let browser;
const accessibility = new Map();

async function check(page, name) {
  await shot(page, name);
  const violations = await axe(page);
  if (violations.length) accessibility.set(name, violations);
  assert.deepEqual(page.errors, [], `script errors on ${name}`);
}

/// A message's text with quoted-printable soft breaks and escapes undone (ASCII only).
function decoded(message) {
  return message.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/// The confirmation link in a message.
function linkIn(message) {
  const match = /(https?:\/\/[^\s"<>]+\/my\/voicemail\/confirm\?link=[A-Za-z0-9_-]+)/.exec(decoded(message));
  if (!match) throw new Error('no confirmation link in the message:\n' + message.slice(0, 2000));
  return match[1];
}

function subjectOf(message) {
  return (/^Subject: (.*)$/m.exec(message) || [])[1];
}

/// Waits for the next message to `address` whose subject matches, after `seen` messages.
async function mailAbout(address, subject, seen) {
  return waitFor(() => server.messages().slice(seen)
    .find(m => new RegExp(`^To:.*${address}`, 'mi').test(m) && subject.test(subjectOf(m) || '')),
  `"${subject}" to ${address}`);
}

async function voiceSignIn(identity, pin) {
  const { status, json } = await server.api('POST', '/api/v1/voice-access/sign-in', { identity, pin });
  assert.equal(status, 200, JSON.stringify(json));
  return json.outcome;
}

/// Asks for a link on the request page; the text of the page that answers.
async function ask(page, identity) {
  await page.goto('/my/voicemail');
  await page.getByLabel('Email address or extension').fill(identity);
  await page.getByRole('button', { name: 'Send me a confirmation link' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
  return page.locator('main').innerText();
}

test.before(async () => {
  server = await Server.start();
  browser = await launch();
  const plan = await server.api('POST', '/api/v1/dial-plans', {
    name: 'CONTOSO', numberOfDigitsInExtension: 5, accessTelephoneNumbers: ['+14255550100'],
  });
  assert.equal(plan.status, 201, JSON.stringify(plan.json));
  for (const [identity, extension, displayName] of [
    ['tonysmith@contoso.com', '36697', 'Tony Smith'],
    ['kim@contoso.com', '36698', 'Kim Akers'],
  ]) {
    const { status, json } = await server.api('POST', '/api/v1/mailboxes', {
      identity, umMailboxPolicy: 'CONTOSO Default Policy', extensions: [extension], displayName,
    });
    assert.equal(status, 201, JSON.stringify(json));
  }
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

test('from the request to the emailed link, the reset and the emailed PIN signing in', async () => {
  const page = await newPage(browser, server);
  const first = await page.goto('/my/voicemail');
  const headers = first.headers();
  assert.match(headers['content-security-policy'], /default-src 'self'/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(headers['cache-control'], 'no-store');
  assert.match(await first.headerValue('set-cookie'), /voicepin_my_csrf=\w+; HttpOnly; SameSite=Strict; Path=\/my/);
  await page.getByRole('heading', { name: 'Reset your voice mail PIN' }).waitFor();
  assert.equal(await page.locator('script').count(), 0, 'the page needs no script');
  await check(page, '40-my-voicemail');

  // An empty request says what to give, with the error summary focused.
  await page.getByLabel('Email address or extension').fill(' ');
  await page.locator('#identity').evaluate(input => input.removeAttribute('required'));
  await page.getByRole('button', { name: 'Send me a confirmation link' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.className), 'error-summary');
  await check(page, '41-my-voicemail-empty');

  const seen = server.messages().length;
  const known = await ask(page, 'tonysmith@contoso.com');
  await check(page, '42-my-voicemail-sent');
  const message = await mailAbout('tonysmith@contoso.com', /Confirm the reset of your voice mail PIN/, seen);
  const link = linkIn(message);
  assert.ok(link.startsWith(server.url + '/my/voicemail/confirm?link=vpl_'), link);

  const response = await page.goto(link);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cache-control'], 'no-store');
  assert.equal(response.headers()['referrer-policy'], 'no-referrer');
  await page.getByRole('heading', { name: 'Your voice mail' }).waitFor();
  const settings = await page.locator('main').innerText();
  assert.match(settings, /tonysmith@contoso\.com/);
  assert.match(settings, /Access numbers\s+\+14255550100/);
  assert.match(settings, /Extension\s+36697/);
  assert.match(settings, /PIN status\s+Not locked out/);
  assert.equal(await page.locator('input[name=pin], input[type=password]').count(), 0, 'a user may type a PIN');
  await check(page, '43-my-voicemail-settings');

  const before = server.messages().length;
  await page.getByRole('button', { name: 'Reset my voice mail PIN' }).click();
  await page.getByRole('heading', { name: 'Your voice mail PIN was reset' }).waitFor();
  const done = await page.locator('main').innerText();
  assert.match(done, /sent by email to tonysmith@contoso\.com/);
  assert.match(done, /\+14255550100/);
  await check(page, '44-my-voicemail-reset');
  const pinMessage = await mailAbout('tonysmith@contoso.com', /Your voice mail PIN has been reset/, before);
  const pin = pinIn(pinMessage);
  assert.ok(!(await page.content()).includes(pin), 'the page shows the PIN');
  assert.equal(await voiceSignIn('36697', pin), 'pinChangeRequired');

  // The link worked once.
  const again = await page.goto(link);
  assert.equal(again.status(), 410);
  await page.getByText('That link no longer works').waitFor();
  await check(page, '45-my-voicemail-link-used');

  // An unknown address and an unknown extension answer the very same page, and send nothing.
  const sent = server.messages().length;
  assert.equal(await ask(page, 'nobody@contoso.com'), known);
  assert.equal(await ask(page, '99999'), known);
  // A known one by extension, after them: once its message is in, theirs would be too.
  await ask(page, '36698');
  await mailAbout('kim@contoso.com', /Confirm the reset/, sent);
  assert.deepEqual(server.messages().slice(sent).map(m => (/^To: .*<(.*)>/m.exec(m) || [])[1]), ['kim@contoso.com']);

  const audit = await server.api('GET', '/api/v1/audit-events?action=pinResetLinkRequested&limit=50');
  assert.equal(audit.status, 200, JSON.stringify(audit.json));
  const events = audit.json;
  assert.ok(events.every(e => e.channel === 'web'), JSON.stringify(events));
  const outcomes = events.map(e => `${e.target} ${e.details.outcome}`).sort();
  assert.deepEqual(outcomes, [
    '99999 unknown', 'kim@contoso.com sent', 'nobody@contoso.com unknown', 'tonysmith@contoso.com sent',
  ]);
  await page.context().close();
});

test('a form without the cookie\'s CSRF token is refused', async () => {
  const response = await fetch(`${server.url}/my/voicemail`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'csrf=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef&identity=tonysmith%40contoso.com',
  });
  assert.equal(response.status, 403);
});

test('a locked mailbox stays locked, and the message says an administrator must unlock it', async () => {
  const kim = (await server.api('GET', '/api/v1/mailboxes/kim@contoso.com')).json;
  assert.ok([200, 204].includes((await server.api('POST', `/api/v1/mailboxes/${kim.id}/lock`)).status));
  const page = await newPage(browser, server);
  const seen = server.messages().length;
  await ask(page, 'kim@contoso.com');
  await page.goto(linkIn(await mailAbout('kim@contoso.com', /Confirm the reset/, seen)));
  assert.match(await page.locator('main').innerText(), /PIN status\s+Locked Out/);
  await check(page, '46-my-voicemail-locked');
  const before = server.messages().length;
  await page.getByRole('button', { name: 'Reset my voice mail PIN' }).click();
  await page.getByRole('heading', { name: 'Your voice mail PIN was reset' }).waitFor();
  assert.match(await page.locator('main').innerText(), /still locked/);
  await check(page, '47-my-voicemail-reset-locked');
  const message = decoded(await mailAbout('kim@contoso.com', /Your voice mail PIN has been reset/, before));
  assert.match(message.replace(/\s+/g, ' '), /an administrator must unlock it before this PIN works/);
  assert.equal(await voiceSignIn('36698', pinIn(message)), 'failed');
  assert.equal((await server.api('GET', `/api/v1/mailboxes/${kim.id}/pin`)).json.lockedOut, true);
  await page.context().close();
});

test('no serious accessibility violation on any self-service page', () => {
  assert.deepEqual(Object.fromEntries(accessibility), {});
});
