/**
 * Headless Chromium for the results page (index.html of `camu reproduce` / `camu report`), shared
 * by its test and scripts/results-page-screenshot.js. It drives the system's Chromium (Debian's
 * `chromium` package) through puppeteer-core, which downloads no browser of its own, and records
 * what a page must never do: log a console error, throw, or fetch anything.
 */
'use strict';

const fs = require('node:fs');
const { pathToFileURL } = require('node:url');

/** Where Chromium may be: CAMU_CHROMIUM first, then the usual Debian and Chrome paths. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable to use, or null when there is none. */
function findChromium() {
  const chosen = process.env.CAMU_CHROMIUM;
  if (chosen) return fs.existsSync(chosen) ? chosen : null;
  return CANDIDATES.find((candidate) => fs.existsSync(candidate)) ?? null;
}

/** The page is wide enough for the tables and three plots a row. */
const VIEWPORT = { width: 1400, height: 900 };

/**
 * Opens `file` in a new headless Chromium and waits for it to load. Returns the browser (the
 * caller closes it), the page and `problems`: console errors, uncaught exceptions, and every
 * request other than the page itself (the page must be self-contained), as they happen.
 */
async function openPage(file, executablePath = findChromium()) {
  if (executablePath === null) throw new Error('no Chromium found: install it (apt-get install chromium) or set CAMU_CHROMIUM');
  const puppeteer = require('puppeteer-core');
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    // Chromium's sandbox refuses to run as root (CI's user); the page is our own file.
    args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport(VIEWPORT);
    const url = pathToFileURL(file).href;
    const problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
    page.on('request', (request) => {
      if (request.url() !== url) problems.push(`request: ${request.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    return { browser, page, problems };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

/** A PNG of the whole page. */
async function screenshot(page, out) {
  await page.screenshot({ path: out, fullPage: true });
}

module.exports = { findChromium, openPage, screenshot };
