// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack.ko in debugfs, /sys/kernel/debug/dynstack/: what is bulk or for
 * tests, as mm/zswap.c keeps its statistics there.
 *
 *   stats_per_cpu        a header, then one line per possible CPU (a
 *                        seq_file: no page limit, every CPU of a large
 *                        machine is there)
 *   residency_histogram  "pages stacks" per line
 *   live_depth           "pages switch-outs" per line: blocking switch-outs
 *                        by the stack pages live at or above the saved
 *                        stack pointer, since sampling was first on;
 *                        write 1 or 0 (CAP_SYS_ADMIN) to sample or not
 *                        (off by default: a call per switch-out when on)
 *   drain                write 1 (CAP_SYS_ADMIN): empty every magazine
 *                        and the depot, keeping the reserve (fault
 *                        injection for the tests)
 *
 * The ioctl (/dev/dynstack) stays the complete, stable interface.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "dynstack_mod.h"

static struct dentry *ds_debugfs;

static int stats_per_cpu_show(struct seq_file *m, void *v)
{
	int cpu;

	seq_puts(m, "cpu magazine take_magazine take_depot take_reserve take_short give_magazine give_depot kicks refused napped\n");
	for_each_possible_cpu(cpu) {
		struct ds_cpu_snapshot c;
		const struct ds_cpu_stats *st = &c.supply;

		ds_stats_get_cpu(cpu, &c);
		seq_printf(m, "%d %u %llu %llu %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, c.magazine_pages, st->take_magazine,
			   st->take_depot, st->take_reserve, st->take_short,
			   st->give_magazine, st->give_depot, st->kicks,
			   st->refused, c.napped);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats_per_cpu);

static int residency_histogram_show(struct seq_file *m, void *v)
{
	unsigned long hist[DYNSTACK_PAGES + 1];
	int i;

	dynstack_residency_histogram(hist);
	for (i = 0; i <= DYNSTACK_PAGES; i++)
		seq_printf(m, "%d %lu\n", i, hist[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(residency_histogram);

static int live_depth_show(struct seq_file *m, void *v)
{
	unsigned long hist[DYNSTACK_PAGES + 1];
	int i;

	dynstack_depth_histogram(hist);
	for (i = 1; i <= DYNSTACK_PAGES; i++)
		seq_printf(m, "%d %lu\n", i, hist[i]);
	return 0;
}

static int live_depth_open(struct inode *inode, struct file *file)
{
	return single_open(file, live_depth_show, NULL);
}

static ssize_t live_depth_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	bool on;
	int err;

	/* The opener's credentials, not the writer's, as for sysfs. */
	if (!file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN))
		return -EPERM;
	err = kstrtobool_from_user(ubuf, count, &on);
	if (err)
		return err;
	dynstack_depth_sampling(on);
	return count;
}

static const struct file_operations live_depth_fops = {
	.owner = THIS_MODULE,
	.open = live_depth_open,
	.read = seq_read,
	.write = live_depth_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static ssize_t drain_write(struct file *file, const char __user *ubuf,
			   size_t count, loff_t *ppos)
{
	bool yes;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (kstrtobool_from_user(ubuf, count, &yes) || !yes)
		return -EINVAL;
	ds_refill_drain();
	return count;
}

static const struct file_operations drain_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = drain_write,
	.llseek = noop_llseek,
};

/* debugfs is optional: without it, the module works and these are absent. */
void ds_debugfs_init(void)
{
	ds_debugfs = debugfs_create_dir("dynstack", NULL);
	debugfs_create_file("stats_per_cpu", 0444, ds_debugfs, NULL,
			    &stats_per_cpu_fops);
	debugfs_create_file("residency_histogram", 0444, ds_debugfs, NULL,
			    &residency_histogram_fops);
	debugfs_create_file("live_depth", 0644, ds_debugfs, NULL,
			    &live_depth_fops);
	debugfs_create_file("drain", 0200, ds_debugfs, NULL, &drain_fops);
}

void ds_debugfs_exit(void)
{
	debugfs_remove_recursive(ds_debugfs);
	/* The core's, but only this module turns it on. */
	dynstack_depth_sampling(false);
}
