// errno values as users meet them in messages and search for them.
import { constants } from 'node:os';

/** "EPERM (1)": the name the user can search for, and the number. */
export function errnoText(errno: number): string {
  const name = Object.entries(constants.errno).find(([, v]) => v === errno)?.[0];
  return name ? `${name} (${errno})` : `errno ${errno}`;
}
