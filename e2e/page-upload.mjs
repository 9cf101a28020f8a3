// Uploads a real photo through the web page in headless Chromium and waits for the sepia result and its thumbnail
// to show, under the page's Content-Security-Policy: any violation (a blocked script, style or image) fails the test.
// Then opens the result's URL on its own, where the API's deny-all policy applies, and checks the browser still shows
// the image.
// With IMAGERY_E2E_KEY (the API runs with IMAGERY_AUTH_MODE=api-key): the page must first find out by itself that it
// needs a key and, when an upload is tried without one, say so and put the focus on the key field; then the test types
// the key, uploads, and the pictures come as blob: URLs of bytes the page fetched with the key. The key must stay in
// sessionStorage (never localStorage, never the URL), and after "Forget" the page asks for it again.
//   [IMAGERY_E2E_KEY=KEY] node page-upload.mjs BASE_URL PHOTO [SCREENSHOT]
import { chromium } from 'playwright-core';

const [base, photo, screenshot] = process.argv.slice(2);
const key = process.env.IMAGERY_E2E_KEY || '';
if (!base || !photo) {
  console.error('usage: [IMAGERY_E2E_KEY=KEY] node page-upload.mjs BASE_URL PHOTO [SCREENSHOT]');
  process.exit(2);
}
const fail = (why, detail) => {
  console.error('page test failed: ' + why + (detail === undefined ? '' : ': ' + JSON.stringify(detail)));
  process.exit(1);
};
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  // Chromium reports a CSP violation on the console ("Refused to execute inline script ..."), and as an event.
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/i.test(msg.text())) errors.push(msg.text());
  });
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => console.error('Refused to load (Content Security Policy): ' + e.violatedDirective + ' ' + e.blockedURI)));
  const response = await page.goto(base + '/');
  const headers = response.headers();
  const policy = headers['content-security-policy'] || '';
  if (!policy.includes("frame-ancestors 'none'") || !/script-src 'self' 'sha256-/.test(policy)
    || headers['x-content-type-options'] !== 'nosniff' || headers['referrer-policy'] !== 'no-referrer') {
    fail('the page lacks its security headers', headers);
  }
  // A blocked inline script or style is reported while the page loads: say so, rather than time out below.
  await page.waitForLoadState('load');
  if (errors.length > 0) {
    fail('the page broke its own policy', errors);
  }
  // The page asks the server whether it needs a credential (a 401 with WWW-Authenticate: Bearer, or not).
  await page.waitForFunction(() => document.querySelector('#auth').dataset.state, null, { timeout: 10_000 });
  const probed = await page.$eval('#auth', (d) => ({ state: d.dataset.state, open: d.open, focus: document.activeElement?.id }));
  if (!key && probed.state !== 'open') fail('without authentication the page should see that it needs no key', probed);
  let refused = null;
  if (key) {
    if (probed.state !== 'needed' || !probed.open || probed.focus !== 'key') {
      fail('the page should have found that the server needs a key, shown the field and focused it', probed);
    }
    // Without the key an upload is refused: the page says why and puts the focus on the field.
    await page.setInputFiles('#file', photo);
    await page.click('#upload');
    refused = await waitForRefusal(page, 'without the key');
    await page.fill('#key', key);
    await page.press('#key', 'Enter');
    await page.waitForFunction(() => document.querySelector('#auth').dataset.state === 'accepted', null, { timeout: 10_000 });
    const kept = await page.evaluate(() => ({ session: sessionStorage.getItem('imagery.credential'),
      local: JSON.stringify(Object.assign({}, localStorage)), url: location.href, error: document.querySelector('#error').textContent }));
    if (kept.session !== key || kept.local.includes(key) || kept.url.includes(key) || kept.error) {
      fail('the key belongs in sessionStorage only, and using it clears the 401 message', { ...kept, session: !!kept.session });
    }
  }
  await page.setInputFiles('#file', photo);
  const started = Date.now();
  await page.click('#upload');
  // Until the image is final, or the page shows an error (a refused upload): then say which, rather than time out.
  await page.waitForFunction(() => {
    const state = document.querySelector('#state')?.textContent?.trim();
    return state === 'processed' || state === 'failed' || document.querySelector('#error')?.textContent;
  }, null, { timeout: 60_000 });
  const uploadError = (await page.textContent('#error'))?.trim();
  if (uploadError) fail('the page shows an error after the upload', uploadError);
  const state = (await page.textContent('#state')).trim();
  const id = (await page.textContent('#image-id')).trim();
  // The result <img> and the recent list's thumbnail must have loaded real pixels from the API, not a broken image.
  await page.waitForFunction(() => {
    const img = document.querySelector('#result');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 });
  await page.waitForFunction(() => {
    const img = document.querySelector('#recent li:first-child img');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 });
  const result = await page.$eval('#result', (img) => ({ src: img.getAttribute('src'), api: img.dataset.src, width: img.naturalWidth }));
  const thumbnail = await page.$eval('#recent li:first-child img', (img) => ({ src: img.getAttribute('src'), width: img.naturalWidth }));
  const download = await page.$eval('#download', (a) => ({ href: a.getAttribute('href'), hidden: a.hidden }));
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  const error = (await page.textContent('#error'))?.trim();
  // With a key, <img src> could not send it: the page shows bytes it fetched itself; without, plain API URLs.
  const fetchedWith = key ? /^blob:/ : new RegExp('^/image/' + id + '/');
  if (!fetchedWith.test(result.src) || !fetchedWith.test(thumbnail.src) || !fetchedWith.test(download.href || '')
    || download.hidden || !result.api?.includes(id)) {
    fail('the pictures should be ' + (key ? 'blob: URLs of bytes fetched with the key' : 'plain API URLs'),
      { result, thumbnail, download });
  }
  // The result on its own: an image document under the API's policy (default-src 'none').
  const alone = await browser.newContext(key ? { extraHTTPHeaders: { Authorization: 'Bearer ' + key } } : {});
  const alonePage = await alone.newPage();
  const imageResponse = await alonePage.goto(base + result.api);
  const shown = await alonePage.evaluate(() => {
    const img = document.querySelector('img');
    return img && img.complete ? img.naturalWidth : 0;
  });
  await alone.close();
  const direct = { status: imageResponse.status(), policy: imageResponse.headers()['content-security-policy'], width: shown };
  // Forgetting the key: gone from sessionStorage, and the page asks for it again (its record is now a 401).
  let forgotten = null;
  if (key) {
    await page.click('#key-forget');
    forgotten = await waitForRefusal(page, 'after Forget');
    forgotten.session = await page.evaluate(() => sessionStorage.getItem('imagery.credential'));
    if (forgotten.session !== null) fail('Forget should remove the key from sessionStorage');
  }
  console.log(JSON.stringify({ auth: key ? 'api-key' : 'none', id, state, result, thumbnail, direct,
    ms: Date.now() - started, error, refused, forgotten, pageErrors: errors }));
  if (state !== 'processed' || result.width === 0 || thumbnail.width === 0 || errors.length > 0
    || direct.status !== 200 || direct.width !== result.width) {
    fail('expected a processed image, its result and thumbnail shown, and no policy violation');
  }
  console.log('page (' + (key ? 'api-key' : 'none') + '): 1 passed, 0 failed');
} finally {
  await browser.close();
}

// Waits for the page's 401 message and checks the key field then has the focus.
async function waitForRefusal(page, when) {
  await page.waitForFunction(() => /needs an API key/.test(document.querySelector('#error').textContent), null,
    { timeout: 10_000 }).catch(async () => fail('no 401 message ' + when, await page.textContent('#error')));
  const shown = await page.evaluate(() => ({ error: document.querySelector('#error').textContent,
    focus: document.activeElement?.id, open: document.querySelector('#auth').open }));
  if (shown.focus !== 'key' || !shown.open) fail('the key field should be open and focused ' + when, shown);
  return shown;
}
