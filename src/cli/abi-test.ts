#!/usr/bin/env node
// Entry point of `abi-test` on its own (node dist/src/cli/abi-test.js); see src/abitest/cli.ts.
// Blocked waits run on libuv worker threads: make room for them before anything starts the
// pool (it is sized once, at first use).
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';

import { runAbiTest } from '../abitest/cli';

runAbiTest(process.argv.slice(2)).then(
  (status) => process.exit(status),
  (err: unknown) => {
    process.stderr.write(`abi-test: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
