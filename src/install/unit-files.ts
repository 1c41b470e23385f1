// The systemd unit and modules-load snippet that `ntsyncd install` writes. The binary build
// embeds them (esbuild `define`); run from a checkout, they are read from systemd/.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

declare const NTSYNCD_EMBEDDED_FILES: Record<string, string> | undefined;

export const UNIT_NAME = 'ntsyncd.service';
export const MODULES_FILE = 'ntsyncd-modules.conf';

export function unitFileText(name: string): string {
  if (typeof NTSYNCD_EMBEDDED_FILES !== 'undefined' && NTSYNCD_EMBEDDED_FILES[name] !== undefined) {
    return NTSYNCD_EMBEDDED_FILES[name];
  }
  // From src/install (ts-jest) or dist/src/install (tsc output) up to the checkout.
  for (const up of [['..', '..'], ['..', '..', '..']]) {
    const path = join(__dirname, ...up, 'systemd', name);
    if (existsSync(path)) return readFileSync(path, 'utf8');
  }
  throw new Error(`systemd/${name} not found beside this build; build the binary with npm run build:binary`);
}
