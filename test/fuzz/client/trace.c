/*
 * Trace formatting. A trace line holds only what both sides must agree on: the operation with
 * its arguments (fds as slot names), the return value, errno by name and every output field.
 * Nothing that legitimately differs between machines (fd numbers, clock values, pointers)
 * appears in it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client.h"

const char *errno_name(int err)
{
	switch (err) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ENFILE: return "ENFILE";
	case EMFILE: return "EMFILE";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case ENOSYS: return "ENOSYS";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EOWNERDEAD: return "EOWNERDEAD";
	case EIO: return "EIO";
	case ENODEV: return "ENODEV";
	case ENXIO: return "ENXIO";
	case EACCES: return "EACCES";
	default: {
		static __thread char buf[24];
		snprintf(buf, sizeof(buf), "errno%d", err);
		return buf;
	}
	}
}

const char *ref_name(struct ref r, char buf[16])
{
	switch (r.type) {
	case REF_NONE: return "none";
	case REF_OBJ: snprintf(buf, 16, "o%u", r.idx); return buf;
	case REF_DEV: snprintf(buf, 16, "d%u", r.idx); return buf;
	case REF_CLOSED: return "closed";
	case REF_NULL: return "devnull";
	case REF_NEG: return "fd-1";
	case REF_ZERO: return "fd0";
	}
	return "?";
}

const char *timeout_name(const struct wait_spec *w, char buf[16])
{
	switch (w->timeout) {
	case TMO_ZERO: return "0";
	case TMO_ONE: return "1ns";
	case TMO_NOW: return "now";
	case TMO_PAST: return "now-1s";
	case TMO_INFINITE: return "inf";
	case TMO_FAR: return "now+1000s";
	case TMO_SHORT: snprintf(buf, 16, "now+%ums", w->short_ms); return buf;
	}
	return "?";
}

void print_result(long ret, int err)
{
	if (ret == -1) printf(" -> -1 %s", errno_name(err));
	else printf(" -> %ld", ret);
}

void print_wait_spec(const struct wait_spec *w)
{
	char b[16], t[16];
	printf(" objs=[");
	for (int i = 0; i < w->nrefs; i++) printf("%s%s", i ? "," : "", ref_name(w->refs[i], b));
	printf("]%s count=%u alert=%s owner=0x%x flags=0x%x pad=%u timeout=%s",
	       w->objs_null ? "@NULL" : "", w->count, ref_name(w->alert, b), w->owner, w->flags, w->pad,
	       timeout_name(w, t));
}

void print_wait_out(const struct ntsync_wait_args *after, const struct ntsync_wait_args *before)
{
	printf(" index=0x%x", after->index);
	/* The driver writes nothing but index; say so explicitly if anything else moved. */
	if (after->timeout != before->timeout) printf(" timeout-changed");
	if (after->objs != before->objs) printf(" objs-changed");
	if (after->count != before->count) printf(" count=0x%x", after->count);
	if (after->flags != before->flags) printf(" flags=0x%x", after->flags);
	if (after->owner != before->owner) printf(" owner=0x%x", after->owner);
	if (after->alert != before->alert) printf(" alert-changed");
	if (after->pad != before->pad) printf(" pad=0x%x", after->pad);
}

void print_u32s(const char *label, const void *p, int n)
{
	uint32_t v[2];
	if (!p) {
		printf(" %s=NULL", label);
		return;
	}
	memcpy(v, p, (size_t)n * 4);
	printf(" %s={", label);
	for (int i = 0; i < n; i++) printf("%s0x%x", i ? "," : "", v[i]);
	printf("}");
}
