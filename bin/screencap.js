#!/usr/bin/env -S node --initial-old-space-size=128
// Node flags on the line above: see src/cli/node-flags.ts (a test keeps the two the same).
// The screencap command. The TypeScript build (npm run build, or npm start / npm test, which
// set everything up) puts the program in dist/.
'use strict';
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (error) {
  if (error.code !== 'MODULE_NOT_FOUND') throw error;
  process.stderr.write('screencap is not built yet: run "npm run setup" (or npm start) in ' + require('node:path').resolve(__dirname, '..') + '\n');
  process.exit(1);
}
cli.main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
