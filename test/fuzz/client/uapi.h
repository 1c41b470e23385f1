/*
 * The ntsync ABI as include/uapi/linux/ntsync.h defines it (Linux 6.14 to 7.2), spelled out
 * here because the build machine's headers may predate it. The fuzz client knows this and
 * nothing else about the device: it must run unchanged on the kernel driver and on ntsyncd.
 */
#ifndef FUZZ_UAPI_H
#define FUZZ_UAPI_H

#include <linux/ntsync.h> /* from test/include */

#endif
