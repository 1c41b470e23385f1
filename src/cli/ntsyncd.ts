#!/usr/bin/env node
// Entry point of ntsyncd (node dist/src/cli/ntsyncd.js); see ntsyncd-main.ts.
if (process.argv[2] === 'abi-test' && !process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';

import { ntsyncdMain } from './ntsyncd-main';

ntsyncdMain(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`ntsyncd: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
