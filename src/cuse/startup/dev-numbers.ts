// glibc's dev_t encoding (major 12 bits + minor 20 bits, split), as st_dev/st_rdev show it.
export function devMajor(dev: number): number {
  return (Math.floor(dev / 256) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
}

export function devMinor(dev: number): number {
  return (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff & 0xfffff);
}
