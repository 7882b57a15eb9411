#!/usr/bin/env node
/**
 * node scripts/results-page-screenshot.js DIR [OUT.png]
 *
 * Writes a PNG of DIR/index.html (the results page of `camu reproduce` / `camu report DIR`) as
 * headless Chromium shows it, to OUT.png (default DIR/index.png), so a recorded run's page can be
 * committed with its picture. Fails when the page logs a console error, throws or fetches
 * anything. Chromium: the system's (apt-get install chromium), or CAMU_CHROMIUM.
 */
'use strict';

const path = require('node:path');
const fs = require('node:fs');
const { openPage, screenshot } = require('./results-page-browser');

async function main(args) {
  if (args.length < 1 || args.length > 2) {
    console.error('usage: node scripts/results-page-screenshot.js DIR [OUT.png]');
    return 2;
  }
  const [directory, out = path.join(directory, 'index.png')] = args;
  const page = path.resolve(directory, 'index.html');
  if (!fs.existsSync(page)) {
    console.error(`${page} does not exist: run \`camu report ${directory}\` first`);
    return 1;
  }
  const opened = await openPage(page);
  try {
    await screenshot(opened.page, path.resolve(out));
  } finally {
    await opened.browser.close();
  }
  if (opened.problems.length > 0) {
    console.error(`${page}:\n${opened.problems.map((problem) => `  ${problem}`).join('\n')}`);
    return 1;
  }
  console.log(out);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
