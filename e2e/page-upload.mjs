// Uploads a real photo through the web page in headless Chromium and waits for the sepia result to show.
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
  await page.goto(base + '/');
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
  console.log(JSON.stringify({ id, state, result, ms: Date.now() - started, error, pageErrors: errors }));
  if (state !== 'processed' || !result.src.includes(id) || result.width === 0 || errors.length > 0) {
    console.error('page test failed');
    process.exit(1);
  }
  console.log('page: 1 passed, 0 failed');
} finally {
  await browser.close();
}
