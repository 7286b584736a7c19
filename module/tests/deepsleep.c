// SPDX-License-Identifier: GPL-2.0
/*
 * dynstack_deepsleep.ko: a test-only module whose one file makes the writing
 * thread sleep deep in its kernel stack, as a thread waiting in a filesystem
 * or block driver does.
 *
 *   echo MS > /sys/kernel/debug/dynstack_deepsleep/sleep
 *
 * recurses through about depth_kb KiB of stack frames (default 9), then
 * sleeps MS milliseconds at the bottom, uninterruptibly (D state, as a
 * thread waiting for I/O; sysrq-w dumps it), checks that its frames
 * survived, and returns. The readers kselftest alternates such deep
 * sleeps with shallow ones while other threads unwind the sleeper's stack
 * (/proc/PID/stack, wchan, sysrq-t): the reader starts from a deep saved
 * stack pointer that the sleeper may leave at any moment.
 *
 * A frame that came back changed makes the write fail with -EIO.
 */
#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>

static unsigned int depth_kb = 9;
module_param(depth_kb, uint, 0444);
MODULE_PARM_DESC(depth_kb, "stack depth of each sleep, in KiB (1-12)");

static struct dentry *dir;

/* One KiB of frame per level, filled with a pattern checked on the way up. */
static noinline int sleep_deep(unsigned int level, unsigned int ms)
{
	unsigned long frame[1024 / sizeof(unsigned long) - 4];
	int bad = 0, i;

	for (i = 0; i < ARRAY_SIZE(frame); i++)
		frame[i] = (unsigned long)i * 0x9e3779b97f4a7c15UL ^ level;
	/* Keep the frame on the stack and its contents live across the call. */
	barrier_data(frame);
	if (level > 1)
		bad = sleep_deep(level - 1, ms);
	else
		msleep(ms);
	barrier_data(frame);
	for (i = 0; i < ARRAY_SIZE(frame); i++)
		if (frame[i] != ((unsigned long)i * 0x9e3779b97f4a7c15UL ^ level))
			bad = 1;
	return bad;
}

static ssize_t sleep_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	unsigned int ms;
	int err;

	err = kstrtouint_from_user(ubuf, len, 0, &ms);
	if (err)
		return err;
	if (ms > 60000)
		return -EINVAL;
	if (sleep_deep(depth_kb, ms))
		return -EIO;
	return len;
}

static const struct file_operations sleep_fops = {
	.owner = THIS_MODULE,
	.write = sleep_write,
	.llseek = noop_llseek,
};

static int __init deepsleep_init(void)
{
	if (depth_kb < 1 || depth_kb > 12) {
		pr_err("dynstack_deepsleep: depth_kb must be 1-12, not %u\n",
		       depth_kb);
		return -EINVAL;
	}
	dir = debugfs_create_dir("dynstack_deepsleep", NULL);
	debugfs_create_file("sleep", 0200, dir, NULL, &sleep_fops);
	return 0;
}

static void __exit deepsleep_exit(void)
{
	debugfs_remove_recursive(dir);
}

module_init(deepsleep_init);
module_exit(deepsleep_exit);
MODULE_DESCRIPTION("dynstack test helper: sleep deep in the kernel stack");
MODULE_LICENSE("GPL");
