#!/usr/bin/env node
// ntsync-run: runs a command under the seccomp supervisor that turns its ntsync CREATE ioctls
// into object fds served by ntsyncd (see src/launcher/).
import { ntsyncRunMain } from '../launcher/cli';

void ntsyncRunMain(process.argv.slice(2)).then((status) => process.exit(status));
