// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko: the loadable policy half of dynamic kernel stacks.
 *
 * This is the module's skeleton: it creates /sys/kernel/mm/dynstack/ with
 * the ABI version. The page supply, the policy and the statistics are added
 * on top of it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>
#include <linux/mm.h>
#include "../uapi/linux/dynstack.h"

static ssize_t abi_version_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", DYNSTACK_ABI_VERSION);
}
static struct kobj_attribute abi_version_attr = __ATTR_RO(abi_version);

static struct attribute *dynstack_attrs[] = {
	&abi_version_attr.attr,
	NULL,
};

static const struct attribute_group dynstack_attr_group = {
	.attrs = dynstack_attrs,
};

static struct kobject *dynstack_kobj;

static int __init dynstack_init(void)
{
	int err;

	dynstack_kobj = kobject_create_and_add("dynstack", mm_kobj);
	if (!dynstack_kobj)
		return -ENOMEM;
	err = sysfs_create_group(dynstack_kobj, &dynstack_attr_group);
	if (err) {
		kobject_put(dynstack_kobj);
		return err;
	}
	pr_info("loaded\n");
	return 0;
}

static void __exit dynstack_exit(void)
{
	kobject_put(dynstack_kobj);
	pr_info("unloaded\n");
}

module_init(dynstack_init);
module_exit(dynstack_exit);

MODULE_DESCRIPTION("Dynamic kernel stacks: page supply and policy");
MODULE_LICENSE("GPL");
