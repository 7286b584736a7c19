// SPDX-License-Identifier: GPL-2.0
/*
 * dynstackctl end to end, in the guest: set then get round trip (also seen
 * in sysfs, and in what the module does), --json output parsed and checked,
 * clear exit codes and messages for bad values, missing capabilities and
 * --drop-caps.
 */
#include <sys/capability.h>
#include <linux/dynstack.h>
#include "dynstack_util.h"
#include "kselftest_harness.h"

#define CTL "/usr/bin/dynstackctl"

struct run {
	int rc;
	char out[16384];
	char err[4096];
};

/* Run dynstackctl with @args (a shell word list), optionally without CAP_SYS_ADMIN. */
static void ctl(struct run *r, bool no_admin, const char *args)
{
	char cmd[512];
	int o[2], e[2], status;
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), CTL " %s", args);
	if (pipe(o) || pipe(e)) {
		r->rc = -1;
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(o[1], 1);
		dup2(e[1], 2);
		if (no_admin) {
			cap_t c = cap_get_proc();
			cap_value_t v = CAP_SYS_ADMIN;

			cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
			cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
			cap_set_flag(c, CAP_INHERITABLE, 1, &v, CAP_CLEAR);
			if (cap_set_proc(c))
				_exit(100);
			/* Keep it dropped across exec, as root would regain it. */
			prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0);
		}
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	for (size_t off = 0; (n = read(o[0], r->out + off, sizeof(r->out) - 1 - off)) > 0;)
		off += n;
	for (size_t off = 0; (n = read(e[0], r->err + off, sizeof(r->err) - 1 - off)) > 0;)
		off += n;
	close(o[0]);
	close(e[0]);
	waitpid(pid, &status, 0);
	r->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The number after "key": in a JSON text, or -1. */
static long long jnum(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* Braces and brackets balance and the text is one value. */
static bool json_balanced(const char *s)
{
	int depth = 0;
	bool in_str = false;

	for (; *s; s++) {
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			continue;
		}
		if (*s == '"')
			in_str = true;
		else if (*s == '{' || *s == '[')
			depth++;
		else if (*s == '}' || *s == ']')
			depth--;
		if (depth < 0)
			return false;
	}
	return depth == 0 && !in_str;
}

static long sysfs_val(const char *name)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/mm/dynstack/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = 0;
	if (fd >= 0)
		close(fd);
	return atol(buf);
}

FIXTURE(ctl) {
	bool loaded;
	struct run r;
};

FIXTURE_SETUP(ctl)
{
	self->loaded = false;
	if (access(CTL, X_OK))
		SKIP(return, "no " CTL);
	if (access("/sys/module/dynstack", F_OK)) {
		if (!getenv("DYNSTACK_KO"))
			SKIP(return, "DYNSTACK_KO not set");
		ASSERT_EQ(load_module(), 0);
		self->loaded = true;
	}
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->loaded)
		EXPECT_EQ(unload_module(), 0);
}

TEST_F(ctl, set_then_get_round_trip)
{
	struct run *r = &self->r;

	ctl(r, false, "set magazine_size=13 reclaim_interval_ms=700");
	ASSERT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	ctl(r, false, "--json get");
	ASSERT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_EQ(jnum(r->out, "magazine_size"), 13);
	EXPECT_EQ(jnum(r->out, "reclaim_interval_ms"), 700);
	EXPECT_EQ(sysfs_val("magazine_size"), 13);
	ctl(r, false, "get magazine_size");
	EXPECT_NE(strstr(r->out, "magazine_size"), NULL);
	EXPECT_EQ(strstr(r->out, "depot_low"), NULL);
	ctl(r, false, "set magazine_size=32 reclaim_interval_ms=1000");
	EXPECT_EQ(r->rc, 0);
}

/* The value changes what the module does: magazines never exceed it. */
TEST_F(ctl, magazine_size_shows_in_statistics)
{
	struct run *r = &self->r;
	struct sleepers s;
	const char *p;
	int over = 0;

	ctl(r, false, "set magazine_size=1");
	ASSERT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	for (int i = 0; i < 4; i++) {
		ASSERT_EQ(sleepers_start(&s, 64), 64);
		usleep(20000);
		sleepers_stop(&s);
	}
	ctl(r, false, "--json stats --per-cpu");
	ASSERT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_EQ(r->out[0], '[');
	for (p = r->out; (p = strstr(p, "\"magazine_pages\":")); p++)
		if (strtol(p + 17, NULL, 10) > 1)
			over++;
	EXPECT_EQ(over, 0) TH_LOG("%s", r->out);
	ctl(r, false, "set magazine_size=32");
	EXPECT_EQ(r->rc, 0);
}

TEST_F(ctl, bad_values_are_explained_and_change_nothing)
{
	struct run *r = &self->r;
	long before = sysfs_val("magazine_size");

	ctl(r, false, "set magazine_size=0");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "out of range"), NULL) TH_LOG("%s", r->err);
	ctl(r, false, "set magazine_size=12 depot_low=999999999");
	EXPECT_EQ(r->rc, 2);
	ctl(r, false, "set depot_low=5000 depot_high=4000");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "depot_low"), NULL) TH_LOG("%s", r->err);
	ctl(r, false, "set nonsense=1");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "nonsense"), NULL);
	/* The module's minimum for this machine, from its own table. */
	ctl(r, false, "set reserve_pages=1");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "reserve_pages=1 is out of range"), NULL) TH_LOG("%s", r->err);
	/* A rule between two fields: the module's refusal names the one sent. */
	ctl(r, false, "set depot_low=16");
	ASSERT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	ctl(r, false, "set depot_high=10");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "refused depot_high=10"), NULL) TH_LOG("%s", r->err);
	ctl(r, false, "set depot_low=0");
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	/* Syntax is checked before the device is opened. */
	ctl(r, false, "--device /nonexistent set magazine_size=x");
	EXPECT_EQ(r->rc, 2) TH_LOG("%s", r->err);
	ctl(r, false, "stauts");
	EXPECT_EQ(r->rc, 2);
	EXPECT_EQ(sysfs_val("magazine_size"), before);
}

TEST_F(ctl, capabilities)
{
	struct run *r = &self->r;
	long before = sysfs_val("detach");

	ctl(r, true, "set detach=0");
	EXPECT_EQ(r->rc, 3);
	EXPECT_NE(strstr(r->err, "CAP_SYS_ADMIN"), NULL) TH_LOG("%s", r->err);
	ctl(r, true, "reclaim");
	EXPECT_EQ(r->rc, 3);
	EXPECT_EQ(sysfs_val("detach"), before);
	/* Reads work without any capability. */
	ctl(r, false, "--drop-caps --json status");
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_GT(jnum(r->out, "stacks"), 0);
	ctl(r, false, "--drop-caps set detach=0");
	EXPECT_EQ(r->rc, 2);
}

TEST_F(ctl, every_read_command_json)
{
	struct run *r = &self->r;
	char args[64];

	ctl(r, false, "--json status");
	ASSERT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_GT(jnum(r->out, "virtual_pages"), 0);
	ctl(r, false, "--json stats");
	EXPECT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_GT(jnum(r->out, "stacks"), 0);
	EXPECT_GE(jnum(r->out, "reserve_pages"), 1);
	snprintf(args, sizeof(args), "--json task %d", getpid());
	ctl(r, false, args);
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_GE(jnum(r->out, "resident_pages"), 1);
	EXPECT_EQ(jnum(r->out, "stack_pages"), 4);
	ctl(r, false, "--json top -n 3");
	EXPECT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	ctl(r, false, "--json reclaim --touched");
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_GT(jnum(r->out, "scanned"), 0);
	ctl(r, false, "--json version");
	EXPECT_EQ(jnum(r->out, "module_abi_version"), DYNSTACK_ABI_VERSION);
	ctl(r, false, "watch -i 1 -n 2");
	EXPECT_EQ(r->rc, 0);
	EXPECT_NE(strstr(strstr(r->out, "stacks:") + 1, "stacks:"), NULL);
	ctl(r, false, "task 999999999");
	EXPECT_NE(r->rc, 0);
}

/* The interfaces a fleet scripts against: metrics, pretty JSON, JSON errors. */
TEST_F(ctl, metrics_pretty_and_json_errors)
{
	struct run *r = &self->r;
	char args[64];

	ctl(r, false, "metrics");
	ASSERT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_NE(strstr(r->out, "# TYPE dynstack_resident_bytes gauge\n"), NULL);
	EXPECT_NE(strstr(r->out, "\ndynstack_stacks "), NULL) TH_LOG("%s", r->out);
	EXPECT_NE(strstr(r->out, "dynstack_stacks_by_resident_pages{pages=\"4\"} "), NULL);
	ctl(r, false, "-p get magazine_size");
	ASSERT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_NE(strstr(r->out, "{\n  \"magazine_size\": "), NULL) TH_LOG("%s", r->out);
	/* With --json, an error is a JSON object on stdout. */
	ctl(r, false, "--json get nonsense");
	EXPECT_EQ(r->rc, 2);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_NE(strstr(r->out, "\"error\":"), NULL) TH_LOG("%s", r->out);
	EXPECT_EQ(jnum(r->out, "exit_code"), 2);
	/* Threads that cannot be read are reported; the others are shown. */
	snprintf(args, sizeof(args), "--json task %d 999999999", getpid());
	ctl(r, false, args);
	EXPECT_EQ(r->rc, 1);
	EXPECT_GE(jnum(r->out, "resident_pages"), 1) TH_LOG("%s", r->out);
	EXPECT_NE(strstr(r->out, "\"tid\":999999999,\"error\":"), NULL) TH_LOG("%s", r->out);
	ctl(r, false, "--json top -s max_used -n 3");
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	EXPECT_TRUE(json_balanced(r->out));
	/* A device that is not dynstack's is named as such. */
	ctl(r, false, "--device=/dev/null status");
	EXPECT_EQ(r->rc, 2);
	EXPECT_NE(strstr(r->err, "/dev/null is not a dynstack device"), NULL) TH_LOG("%s", r->err);
}

/* pin, pins and unpin through the tool, and what each says when refused. */
TEST_F(ctl, pin_unpin_and_list)
{
	struct run *r = &self->r;
	char args[128];
	pid_t kid = fork();

	ASSERT_GE(kid, 0);
	if (kid == 0) {
		for (;;)
			pause();
	}
	snprintf(args, sizeof(args), "pin %d", kid);
	ctl(r, true, args);
	EXPECT_EQ(r->rc, 3) TH_LOG("%s", r->err);	/* no CAP_SYS_ADMIN */
	ctl(r, false, args);
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	ctl(r, false, "--json pins");
	EXPECT_EQ(r->rc, 0);
	EXPECT_TRUE(json_balanced(r->out));
	EXPECT_EQ(jnum(r->out, "tid"), kid) TH_LOG("%s", r->out);
	EXPECT_NE(strstr(r->out, "\"pinned\":true"), NULL) TH_LOG("%s", r->out);
	snprintf(args, sizeof(args), "task %d", kid);
	ctl(r, false, args);
	EXPECT_NE(strstr(r->out, "resident_kB"), NULL) TH_LOG("%s", r->out);
	EXPECT_NE(strstr(r->out, "yes"), NULL) TH_LOG("%s", r->out);
	snprintf(args, sizeof(args), "unpin %d", kid);
	ctl(r, false, args);
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	ctl(r, false, args);
	EXPECT_EQ(r->rc, 1);
	EXPECT_NE(strstr(r->err, "is not pinned"), NULL) TH_LOG("%s", r->err);
	ctl(r, false, "pin 999999999");
	EXPECT_EQ(r->rc, 1);
	EXPECT_NE(strstr(r->err, "no such task"), NULL) TH_LOG("%s", r->err);
	ctl(r, false, "unpin --all");
	EXPECT_EQ(r->rc, 0) TH_LOG("%s", r->err);
	ctl(r, false, "pins");
	EXPECT_EQ(r->rc, 0);
	EXPECT_EQ(strstr(r->out, "yes"), NULL) TH_LOG("%s", r->out);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
}

TEST_HARNESS_MAIN
