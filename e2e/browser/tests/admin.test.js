// The admin center in headless Chromium against the real `voicepin serve`: first sign-in
// and the forced password change, finding a mailbox among many, Reset PIN with each
// combination of its options (the PIN arriving at a real SMTP server and then signing in
// through the API), a typed PIN that breaks rules, keyboard-only use, roles, and axe-core on
// every page. Every page visited is saved as a screenshot.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { Server, launch, newPage, shot, axe, signIn, pinIn } = require('../harness');

const PASSWORD = 'correct horse battery staple';
const MANY = Number(process.env.E2E_MAILBOXES || 300);

let server;
let browser;
const accessibility = new Map();

/// Screenshots the page and records its serious accessibility violations.
async function check(page, name) {
  await shot(page, name);
  const violations = await axe(page);
  if (violations.length) accessibility.set(name, violations);
  assert.deepEqual(page.errors, [], `script errors on ${name}`);
}

async function enable(address, extension, displayName) {
  const [first, last] = displayName.split(' ');
  const { status, json } = await server.api('POST', '/api/v1/mailboxes', {
    identity: address, umMailboxPolicy: 'CONTOSO Default Policy', extensions: [extension],
    displayName, firstName: first, lastName: last,
  });
  assert.equal(status, 201, JSON.stringify(json));
  return json;
}

async function voiceSignIn(identity, pin) {
  const { status, json } = await server.api('POST', '/api/v1/voice-access/sign-in', { identity, pin });
  assert.equal(status, 200, JSON.stringify(json));
  return json.outcome;
}

/// A new administrator with `role`, signed in with its own password in a fresh page.
async function administrator(name, role) {
  const { status, json } = await server.api('POST', '/api/v1/admin-accounts', { name, role });
  assert.equal(status, 201, JSON.stringify(json));
  const page = await newPage(browser, server);
  await signIn(page, name, json.oneTimePassword);
  await page.getByLabel('One-time password').fill(json.oneTimePassword);
  await page.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm the new password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL('**/admin');
  return page;
}

test.before(async () => {
  server = await Server.start();
  browser = await launch();
});

test.after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

let admin;
let tony;

test('sign in with the first-start one-time password and change it', async () => {
  admin = await newPage(browser, server);
  const root = await admin.goto('/');
  assert.match(admin.url(), /\/admin\/sign-in/);
  const headers = root.headers();
  assert.match(headers['content-security-policy'], /default-src 'self'/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  await check(admin, '01-sign-in');

  await admin.getByLabel('Account name').fill('admin');
  await admin.getByLabel('Password').fill('not the password');
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.getByRole('alert').waitFor();
  assert.equal(await admin.evaluate(() => document.activeElement.className), 'error-summary');
  await check(admin, '02-sign-in-failed');

  await signIn(admin, 'admin', server.oneTimePassword);
  await admin.waitForURL('**/admin/password');
  await admin.getByText('You signed in with a one-time password').waitFor();
  await check(admin, '03-password-forced');
  // Nothing else before the password changes.
  await admin.goto('/admin/recipients');
  assert.match(admin.url(), /\/admin\/password$/);
  await admin.getByLabel('One-time password').fill(server.oneTimePassword);
  await admin.getByLabel('New password', { exact: true }).fill(PASSWORD);
  await admin.getByLabel('Confirm the new password').fill(PASSWORD);
  await admin.getByRole('button', { name: 'Change password' }).click();
  await admin.waitForURL('**/admin');
  const dashboard = await admin.goto('/admin');
  assert.equal(dashboard.headers()['cache-control'], 'no-store');
  await check(admin, '04-dashboard-empty');
});

test('find a mailbox among many', async () => {
  const plan = await server.api('POST', '/api/v1/dial-plans', {
    name: 'CONTOSO', numberOfDigitsInExtension: 5, accessTelephoneNumbers: ['+14255550100'],
  });
  assert.equal(plan.status, 201, JSON.stringify(plan.json));
  const jobs = [];
  for (let i = 0; i < MANY; i++) {
    const n = String(i).padStart(4, '0');
    jobs.push(() => enable(`user${n}@contoso.com`, String(20000 + i), `User ${n}`));
  }
  while (jobs.length) await Promise.all(jobs.splice(0, 16).map(job => job()));
  tony = await enable('tonysmith@contoso.com', '36697', 'Tony Smith');

  await admin.goto('/admin/recipients');
  assert.equal(await admin.locator('tbody tr').count(), 50);
  await check(admin, '05-recipients');
  await admin.getByRole('link', { name: 'Next page' }).click();
  assert.match(await admin.locator('tbody tr').first().textContent(), /user0049@contoso.com/);
  await admin.getByLabel('Search by name, email address or extension').fill('tony');
  await admin.getByRole('button', { name: 'Search' }).click();
  assert.equal(await admin.locator('tbody tr').count(), 1);
  const row = admin.locator('tbody tr').first();
  assert.match(await row.textContent(), /Tony Smith.*tonysmith@contoso\.com.*36697.*Yes.*Not locked out/s);
  await check(admin, '06-recipients-search');
  await admin.getByRole('link', { name: 'Tony Smith' }).click();
  await admin.getByRole('heading', { name: 'Phone and Voice Features' }).waitFor();
  await check(admin, '07-recipient');
  await admin.getByRole('link', { name: 'View details' }).click();
  await admin.getByRole('heading', { name: 'UM Mailbox', exact: true }).waitFor();
  assert.match(await admin.locator('main').textContent(), /Not locked out/);
  await check(admin, '08-um-mailbox');
});

test('Reset PIN with each combination of the three options; the emailed PIN signs in', async () => {
  const combos = [
    { typed: null, requireReset: true },
    { typed: null, requireReset: false },
    { typed: '58203917', requireReset: true },
    { typed: '71946382', requireReset: false },
  ];
  for (const [i, combo] of combos.entries()) {
    await admin.goto(`/admin/recipients/${tony.id}/voicemail`);
    await admin.getByRole('link', { name: 'Reset PIN' }).click();
    await admin.getByRole('heading', { name: 'Reset UM Mailbox PIN' }).waitFor();
    // Exchange's defaults.
    assert.equal(await admin.getByLabel('Automatically generate a PIN').isChecked(), true);
    assert.equal(await admin.getByLabel('Type a PIN', { exact: true }).isChecked(), false);
    assert.equal(await admin.getByLabel('Require the user to reset their PIN the first time they sign in').isChecked(), true);
    if (i === 0) await check(admin, '09-reset-pin');
    if (combo.typed) {
      await admin.getByLabel('Type a PIN', { exact: true }).check();
      await admin.getByLabel('New PIN').fill(combo.typed);
    }
    if (!combo.requireReset) {
      await admin.getByLabel('Require the user to reset their PIN the first time they sign in').uncheck();
    }
    const seen = server.messages().length;
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('heading', { name: 'PIN reset' }).waitFor();
    const text = await admin.locator('main').textContent();
    assert.match(text, /sent by email to\s*tonysmith@contoso\.com/);
    assert.match(text, combo.typed ? /The PIN you typed was set/ : /A new PIN was generated/);
    assert.match(text, combo.requireReset ? /must change it/ : /no change is required/);
    if (combo.typed) assert.ok(!(await admin.content()).includes(combo.typed), 'the page shows the PIN');
    if (i === 0) await check(admin, '10-reset-pin-done');
    const pin = pinIn(await server.mailTo('tonysmith@contoso.com', seen));
    if (combo.typed) assert.equal(pin, combo.typed);
    assert.equal(await voiceSignIn('tonysmith@contoso.com', pin),
      combo.requireReset ? 'pinChangeRequired' : 'success');
  }
});

test('a typed PIN that breaks rules shows every reason, and never comes back in the page', async () => {
  await admin.goto(`/admin/recipients/${tony.id}/reset-pin`);
  await admin.getByLabel('Type a PIN', { exact: true }).check();
  await admin.getByLabel('New PIN').fill('1234');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByRole('alert').waitFor();
  const reasons = await admin.locator('#pin-errors li').allTextContents();
  assert.ok(reasons.some(r => /at least 6 digits/.test(r)), reasons.join('\n'));
  assert.ok(reasons.some(r => /consecutive/.test(r)), reasons.join('\n'));
  assert.ok(reasons.length >= 2);
  assert.equal(await admin.evaluate(() => document.activeElement.className), 'error-summary');
  assert.equal(await admin.getByLabel('Type a PIN', { exact: true }).isChecked(), true);
  const html = await admin.content();
  assert.ok(!/value="1234"/.test(html), 'the typed PIN is echoed');
  await check(admin, '11-reset-pin-rejected');
});

test('the Reset PIN page works with the keyboard alone', async () => {
  const page = admin;
  await page.goto(`/admin/recipients/${tony.id}/reset-pin`);
  const seen = server.messages().length;
  let tabs = 0;
  while ((await page.evaluate(() => document.activeElement.id)) !== 'pin-generate') {
    await page.keyboard.press('Tab');
    assert.ok(++tabs < 40, 'the PIN choice is not reachable with Tab');
  }
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel('Type a PIN', { exact: true }).isChecked(), true);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'pin');
  await page.keyboard.type('39571846');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'require-reset');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Save');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'PIN reset' }).waitFor();
  const pin = pinIn(await server.mailTo('tonysmith@contoso.com', seen));
  assert.equal(pin, '39571846');
  assert.equal(await voiceSignIn('tonysmith@contoso.com', pin), 'success');
});

test('Unlock, disable with Keep properties and enable again', async () => {
  assert.ok([200, 204].includes((await server.api('POST', `/api/v1/mailboxes/${tony.id}/lock`)).status));
  await admin.goto(`/admin/recipients/${tony.id}/voicemail`);
  assert.match(await admin.locator('main').textContent(), /Locked Out/);
  await check(admin, '12-um-mailbox-locked');
  await admin.getByRole('button', { name: 'Unlock' }).click();
  await admin.getByText('The mailbox was unlocked').waitFor();
  assert.match(await admin.locator('main').textContent(), /Not locked out/);

  const user = (await server.api('GET', '/api/v1/mailboxes/user0007@contoso.com')).json;
  await admin.goto(`/admin/recipients/${user.id}`);
  await admin.getByRole('link', { name: 'Disable' }).click();
  assert.equal(await admin.getByLabel(/Keep properties/).isChecked(), true);
  await check(admin, '13-disable');
  await admin.getByRole('button', { name: 'Disable' }).click();
  await admin.getByText('Voice mail was disabled').waitFor();
  await admin.getByRole('link', { name: 'Enable' }).click();
  await admin.getByLabel('Extension').fill('20007');
  await admin.getByLabel('Phone numbers').fill('+14255550177, +14255550178');
  await check(admin, '14-enable');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText('The mailbox was enabled for voice mail').waitFor();
  const enabled = (await server.api('GET', '/api/v1/mailboxes/user0007@contoso.com')).json;
  assert.deepEqual(enabled.phoneNumbers, ['+14255550177', '+14255550178'], JSON.stringify(enabled));
});

test('policies, dial plans, audit log, accounts and tokens', async () => {
  await admin.goto('/admin/policies');
  await check(admin, '15-policies');
  await admin.getByRole('link', { name: 'CONTOSO Default Policy' }).click();
  await admin.getByRole('heading', { name: 'PIN policies' }).waitFor();
  assert.match(await admin.locator('main').textContent(), /4 to 24 digits/);
  await admin.getByLabel('Text in the PIN reset message').fill('Call the help desk at 4444 with questions.');
  await admin.getByRole('button', { name: 'Save' }).click();
  await admin.getByText('Saved.').waitFor();
  assert.match(await admin.locator('.preview').first().textContent(), /Call the help desk at 4444/);
  await check(admin, '16-policy');
  await admin.goto('/admin/policies/new');
  await check(admin, '17-policy-new');
  await admin.goto('/admin/dial-plans');
  await check(admin, '18-dial-plans');
  await admin.getByRole('link', { name: 'CONTOSO' }).click();
  await check(admin, '19-dial-plan');
  await admin.goto('/admin/audit?action=pinSet');
  assert.ok(await admin.locator('tbody tr').count() >= 5);
  await check(admin, '20-audit');
  await admin.goto('/admin');
  assert.match(await admin.locator('main').textContent(), /Administrator PIN resets: \d+ in 30 days/);
  await check(admin, '21-dashboard');
  await admin.goto('/admin/accounts');
  await admin.getByLabel('New token name').fill('pbx');
  await admin.getByLabel('Role', { exact: true }).last().selectOption('voiceService');
  await admin.getByRole('button', { name: 'Create token' }).click();
  const secret = await admin.locator('.secret-value').textContent();
  assert.match(secret, /^vpt_/);
  await check(admin, '22-accounts-token-shown');
  await admin.reload();
  assert.ok(!(await admin.content()).includes(secret), 'the token is shown again');
  const problem = await server.api('GET', '/api/v1/mailboxes/nobody@contoso.com');
  assert.equal(problem.json.type, '/problems/not-found');
  await admin.goto(problem.json.type);
  await admin.getByRole('heading', { name: 'Not found' }).waitFor();
  await check(admin, '23-problem-type');
});

test('Help Desk resets and unlocks but never reaches policy editing', async () => {
  const page = await administrator('helpdesk1', 'helpDesk');
  const nav = await page.locator('nav[aria-label="Admin center"]').textContent();
  assert.doesNotMatch(nav, /policies/i);
  await page.goto(`/admin/recipients/${tony.id}/voicemail`);
  assert.equal(await page.getByRole('link', { name: 'Reset PIN' }).count(), 1);
  assert.doesNotMatch(await page.locator('main').textContent(), /CONTOSO Default Policy.*href/);
  await check(page, '24-helpdesk-um-mailbox');
  const policy = (await server.api('GET', '/api/v1/policies/CONTOSO%20Default%20Policy')).json;
  for (const url of ['/admin/policies', `/admin/policies/${policy.id}`, '/admin/policies/new']) {
    const response = await page.goto(url);
    assert.equal(response.status(), 403, url);
    assert.match(await page.locator('main').textContent(), /Help Desk.*does not allow/s);
  }
  await check(page, '25-helpdesk-forbidden');
  await page.context().close();
});

test('View-Only sees no control that changes anything', async () => {
  const page = await administrator('viewer1', 'viewOnly');
  for (const url of [`/admin/recipients/${tony.id}`, `/admin/recipients/${tony.id}/voicemail`, '/admin/recipients',
    '/admin/accounts', '/admin/dial-plans']) {
    await page.goto(url);
    const controls = await page.locator('main button, main a.button, main input:not([type=search]):not([type=hidden]):not([disabled])')
      .evaluateAll(els => els.filter(e => !e.closest('fieldset[disabled]') && !e.closest('form[method=get]')
        && e.textContent !== 'View details')
        .map(e => e.outerHTML));
    assert.deepEqual(controls, [], url);
  }
  await check(page, '26-viewonly-accounts');
  const policy = (await server.api('GET', '/api/v1/policies/CONTOSO%20Default%20Policy')).json;
  await page.goto(`/admin/policies/${policy.id}`);
  assert.equal(await page.getByRole('button', { name: 'Save' }).count(), 0);
  await check(page, '27-viewonly-policy');
  const response = await page.goto(`/admin/recipients/${tony.id}/reset-pin`);
  assert.equal(response.status(), 403);
  await page.context().close();
});

test('no serious accessibility violation on any page', () => {
  assert.deepEqual(Object.fromEntries(accessibility), {});
});

test('sign out', async () => {
  await admin.goto('/admin');
  await admin.getByRole('button', { name: 'Sign out' }).click();
  await admin.waitForURL('**/admin/sign-in');
  await admin.goto('/admin/recipients');
  assert.match(admin.url(), /\/admin\/sign-in\?next=/);
});
