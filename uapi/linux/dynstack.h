/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * dynstack: user-space ABI of /dev/dynstack.
 *
 * Only the version is defined so far; the ioctl commands are added with
 * their size-versioned structs (see docs/design.md).
 */
#ifndef _UAPI_LINUX_DYNSTACK_H
#define _UAPI_LINUX_DYNSTACK_H

#define DYNSTACK_ABI_VERSION 0

#endif /* _UAPI_LINUX_DYNSTACK_H */
