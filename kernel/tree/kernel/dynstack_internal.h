/* SPDX-License-Identifier: GPL-2.0 */
/* Internals of kernel/dynstack.c shared with its KUnit suite. */
#ifndef _KERNEL_DYNSTACK_INTERNAL_H
#define _KERNEL_DYNSTACK_INTERNAL_H

#include <linux/dynstack.h>

struct dynstack *dynstack_create(int node, unsigned int nr_pages);
void dynstack_destroy(struct dynstack *ds);
unsigned int dynstack_populate(struct dynstack *ds);
unsigned int dynstack_fill(struct dynstack *ds, struct page **pool,
			   unsigned int *nr);
unsigned int dynstack_detach(struct dynstack *ds, unsigned long sp,
			     bool touched, struct page **out);
unsigned int dynstack_release_pending(struct dynstack *ds, unsigned int covered,
				      struct page **out);
void dynstack_set_accounted(struct dynstack *ds, bool on);
typedef bool (*dynstack_visit_t)(struct dynstack *ds, void *data);
void dynstack_visit_stacks(dynstack_visit_t fn, void *data);
unsigned long dynstack_sum_event(enum vm_event_item item);

/* The waiting protocol, for the KUnit suite. */
extern bool dynstack_kthread_paused;
void dynstack_kthread_pause(bool pause);
void dynstack_allow_detach(struct task_struct *p);

#endif /* _KERNEL_DYNSTACK_INTERNAL_H */
