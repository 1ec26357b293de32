import { startServer } from './support/server.js';
import { launchBrowser, PHONE } from './support/browser.js';
const server = await startServer({ timeScale: 60, demo: true });
const browser = await launchBrowser();
try {
  await new Promise(r => setTimeout(r, 8000));
  const page = await browser.newPage(PHONE);
  await page.goto(server.url + '/dispatch.html');
  await new Promise(r => setTimeout(r, 4000));
  console.log(await page.evaluate(() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 392).slice(0, 8).map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)));
} finally { await browser.close(); await server.stop(); }
