// Uploads a real photo through the web page in headless Chromium and waits for the sepia result to show, under the
// page's Content-Security-Policy: any violation (a blocked script, style or image) fails the test. Then opens the
// result's URL on its own, where the API's deny-all policy applies, and checks the browser still shows the image.
//   node page-upload.mjs BASE_URL PHOTO [SCREENSHOT]
import { chromium } from 'playwright-core';

const [base, photo, screenshot] = process.argv.slice(2);
if (!base || !photo) {
  console.error('usage: node page-upload.mjs BASE_URL PHOTO [SCREENSHOT]');
  process.exit(2);
}
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
    console.error('page test failed: the page lacks its security headers: ' + JSON.stringify(headers));
    process.exit(1);
  }
  // A blocked inline script or style is reported while the page loads: say so, rather than time out below.
  await page.waitForLoadState('load');
  if (errors.length > 0) {
    console.error('page test failed: the page broke its own policy: ' + JSON.stringify(errors));
    process.exit(1);
  }
  await page.setInputFiles('#file', photo);
  const started = Date.now();
  await page.click('#upload');
  await page.waitForFunction(() => {
    const state = document.querySelector('#state')?.textContent?.trim();
    return state === 'processed' || state === 'failed';
  }, null, { timeout: 60_000 });
  const state = (await page.textContent('#state')).trim();
  const id = (await page.textContent('#image-id')).trim();
  // The result <img> must have loaded real pixels from the API, not a broken image.
  await page.waitForFunction(() => {
    const img = document.querySelector('#result');
    return img && img.complete && img.naturalWidth > 0;
  }, null, { timeout: 30_000 });
  const result = await page.$eval('#result', (img) => ({ src: img.getAttribute('src'), width: img.naturalWidth }));
  if (screenshot) {
    await page.screenshot({ path: screenshot, fullPage: true });
  }
  const error = (await page.textContent('#error'))?.trim();
  // The result on its own: an image document under the API's policy (default-src 'none').
  const alone = await browser.newPage();
  const imageResponse = await alone.goto(base + result.src);
  const shown = await alone.evaluate(() => {
    const img = document.querySelector('img');
    return img && img.complete ? img.naturalWidth : 0;
  });
  await alone.close();
  const direct = { status: imageResponse.status(), policy: imageResponse.headers()['content-security-policy'], width: shown };
  console.log(JSON.stringify({ id, state, result, direct, ms: Date.now() - started, error, pageErrors: errors }));
  if (state !== 'processed' || !result.src.includes(id) || result.width === 0 || errors.length > 0
    || direct.status !== 200 || direct.width !== result.width) {
    console.error('page test failed');
    process.exit(1);
  }
  console.log('page: 1 passed, 0 failed');
} finally {
  await browser.close();
}
