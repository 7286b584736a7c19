/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the dynstack kselftests. */
#ifndef DYNSTACK_UTIL_H
#define DYNSTACK_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/prctl.h>

/* A field of /proc/meminfo in kB, or -1. */
static inline long meminfo_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long val = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, n) && line[n] == ':') {
			val = strtol(line + n + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/*
 * Free memory in kB: MemFree plus the pages waiting in the per-CPU page
 * lists (the "count:" of every pageset in /proc/zoneinfo), which are free
 * but not in MemFree. After a burst of frees those lists can hold several
 * MiB (their high mark is tuned up by frequent freeing), so MemFree alone
 * makes pages that were freed look leaked.
 */
static inline long free_kb(void)
{
	long free = meminfo_kb("MemFree"), pcp = 0;
	char line[256];
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (free < 0 || !f) {
		if (f)
			fclose(f);
		return free;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		while (*p == ' ')
			p++;
		if (!strncmp(p, "count: ", 7))
			pcp += strtol(p + 7, NULL, 10);
	}
	fclose(f);
	return free + pcp * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * An army of threads that sleep in read() on one pipe until released: the
 * simplest way to make many kernel stacks that are all asleep.
 */
struct sleepers {
	pthread_t *tids;
	int nr;
	int pipe[2];
};

static void *sleeper_fn(void *arg)
{
	struct sleepers *s = arg;
	char c;

	while (read(s->pipe[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* Start nr sleeping threads; returns how many started. */
static inline int sleepers_start(struct sleepers *s, int nr)
{
	pthread_attr_t attr;

	s->nr = 0;
	s->tids = calloc(nr, sizeof(*s->tids));
	if (!s->tids || pipe(s->pipe))
		return 0;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < nr; i++) {
		if (pthread_create(&s->tids[i], &attr, sleeper_fn, s))
			break;
		s->nr++;
	}
	pthread_attr_destroy(&attr);
	return s->nr;
}

/* Wake every thread (one byte each) and join them. */
static inline void sleepers_stop(struct sleepers *s)
{
	char buf[256] = { 0 };

	for (int left = s->nr; left > 0;) {
		int n = left < (int)sizeof(buf) ? left : (int)sizeof(buf);

		n = write(s->pipe[1], buf, n);
		if (n <= 0)
			break;
		left -= n;
	}
	for (int i = 0; i < s->nr; i++)
		pthread_join(s->tids[i], NULL);
	close(s->pipe[0]);
	close(s->pipe[1]);
	free(s->tids);
	s->nr = 0;
}

/* Write @val to the file at @path; 0 or -1 with errno. */
static inline int put_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -1;
	if (write(fd, val, strlen(val)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

/* Write @val in decimal to the file at @path; 0 or -1 with errno. */
static inline int write_u32(const char *path, unsigned int val)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", val);
	return put_file(path, buf);
}

/* The decimal number at the start of the file at @path, or -1. */
static inline long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* The same as an unsigned int (sysfs tunables), or -1U. */
static inline unsigned int read_u32(const char *path)
{
	return (unsigned int)read_long(path);
}

/* Load the module at @path with @params; 0 or -1 with errno. */
static inline int load_ko(const char *path, const char *params)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

/* Load dynstack.ko from $DYNSTACK_KO; 0 or -1 with errno. */
static inline int load_module(void)
{
	const char *ko = getenv("DYNSTACK_KO");

	if (!ko)
		return -1;
	return load_ko(ko, "");
}

static inline int unload_module(void)
{
	return syscall(SYS_delete_module, "dynstack", O_NONBLOCK);
}

/* The value of a "@key value" line of the file at @path, or -1. */
static inline long ds_key_of(const char *path, const char *key)
{
	char line[256];
	size_t n = strlen(key);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ' ')
			v = strtol(line + n + 1, NULL, 0);
	fclose(f);
	return v;
}

/* debugfs: per-CPU bulk and fault injection (module/debugfs.c). */
#define DS_DEBUGFS "/sys/kernel/debug/dynstack/"
#define DS_DRAIN DS_DEBUGFS "drain"

/*
 * A statistic, one value per file: /sys/kernel/mm/dynstack/@dir/@key, @dir
 * "stats" (the module's) or "core" (the core's). -1 if absent.
 */
static inline long ds_stat(const char *dir, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/dynstack/%s/%s", dir, key);
	return read_long(path);
}

/* The value of @key in /proc/vmstat, or -1. */
static inline long ds_vmstat(const char *key)
{
	return ds_key_of("/proc/vmstat", key);
}

/*
 * Start @nr threads running @fn (64 KiB user stacks, so that thousands
 * fit); returns how many started.
 */
static inline int ds_start_threads(pthread_t *tids, int nr, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int started = 0;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (; started < nr; started++)
		if (pthread_create(&tids[started], &attr, fn, arg))
			break;
	pthread_attr_destroy(&attr);
	return started;
}

/*
 * Wait up to 60 s for the periodic reclaim pass to strip stacks until
 * @want stacks lack a page; returns how many do.
 */
static inline long ds_wait_partial(long want)
{
	for (int i = 0; i < 600 && ds_stat("stats", "partial_stacks") < want; i++)
		usleep(100000);
	return ds_stat("stats", "partial_stacks");
}

/* An integer from the environment, or @def. */
static inline int ds_env_int(const char *name, int def)
{
	const char *v = getenv(name);

	return v ? atoi(v) : def;
}

/* The pid of the first task whose comm is exactly @name, or -1. */
static inline pid_t ds_pid_of(const char *name)
{
	char path[300], comm[32];
	size_t n = strlen(name);
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d))) {
		pid_t pid = atoi(e->d_name);
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, name, n) &&
		    (comm[n] == '\n' || comm[n] == '\0'))
			found = pid;
		fclose(f);
	}
	closedir(d);
	return found;
}

#ifdef DYNSTACK_NEED_CAPS
#include <sys/capability.h>

/* Drop CAP_SYS_ADMIN from the effective and permitted sets; 0 or -1. */
static inline int drop_sys_admin(void)
{
	cap_t caps = cap_get_proc();
	cap_value_t v = CAP_SYS_ADMIN;
	int ret;

	if (!caps)
		return -1;
	ret = cap_set_flag(caps, CAP_EFFECTIVE, 1, &v, CAP_CLEAR) ||
	      cap_set_flag(caps, CAP_PERMITTED, 1, &v, CAP_CLEAR) ||
	      cap_set_proc(caps);
	cap_free(caps);
	return ret ? -1 : 0;
}
#endif

#endif /* DYNSTACK_UTIL_H */
