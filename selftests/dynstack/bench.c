// SPDX-License-Identifier: GPL-2.0
/*
 * bench: the micro-benchmarks of `make bench`. Each prints one JSON line.
 *
 *   bench pipe-same  ITERS   pipe ping-pong round trip, both threads on CPU 0
 *   bench pipe-cross ITERS   the same with the threads on CPU 0 and CPU 1
 *   bench futex-cross ITERS  futex ping-pong round trip, CPU 0 and CPU 1
 *   bench thread ITERS       pthread_create + pthread_join, on CPU 0
 *   bench fork ITERS         fork + _exit + waitpid, on CPU 0
 *   bench deepsleep N FILE   N threads that each go through a deep kernel
 *                            path (TCP over loopback, poll on many fds) and
 *                            then sleep in read(); FILE is created once all
 *                            sleep; exits on SIGTERM
 *
 * Times are CLOCK_MONOTONIC in the guest: under QEMU -icount that is
 * virtual time derived from the instruction count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Untimed rounds before every timed loop: the first rounds of a benchmark
 * fill caches (the per-CPU stack cache, slab and page-allocator per-CPU
 * lists, the supply's magazines) and would otherwise dominate short runs.
 */
#define WARMUP 100

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void report(const char *name, long iters, uint64_t ns)
{
	printf("{\"bench\":\"%s\",\"iters\":%ld,\"ns_per_op\":%.1f}\n", name, iters,
	       (double)ns / iters);
	fflush(stdout);
}

struct pp {
	int rd, wr, cpu;
	long iters;
};

static void *pipe_echo(void *arg)
{
	struct pp *p = arg;
	char c;

	pin(p->cpu);
	for (long i = 0; i < p->iters; i++)
		if (read(p->rd, &c, 1) != 1 || write(p->wr, &c, 1) != 1)
			break;
	return NULL;
}

static int bench_pipe(const char *name, long iters, int other_cpu)
{
	int a[2], b[2];
	struct pp echo;
	pthread_t t;
	uint64_t t0 = 0;
	char c = 'x';

	if (pipe(a) || pipe(b))
		return 1;
	echo = (struct pp){ .rd = a[0], .wr = b[1], .cpu = other_cpu,
			    .iters = iters + WARMUP };
	pin(0);
	pthread_create(&t, NULL, pipe_echo, &echo);
	for (long i = 0; i < iters + WARMUP; i++) {
		if (i == WARMUP)
			t0 = now_ns();
		if (write(a[1], &c, 1) != 1 || read(b[0], &c, 1) != 1)
			return 1;
	}
	report(name, iters, now_ns() - t0);
	pthread_join(t, NULL);
	return 0;
}

static atomic_uint fword;

static void futex_wait(atomic_uint *w, unsigned int val)
{
	while (atomic_load(w) == val)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_uint *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_echo(void *arg)
{
	long iters = (long)arg;

	pin(1);
	for (long i = 0; i < iters; i++) {
		futex_wait(&fword, 2 * i);	/* wait for ping 2i+1 */
		atomic_store(&fword, 2 * i + 2);
		futex_wake(&fword);
	}
	return NULL;
}

static int bench_futex(long iters)
{
	pthread_t t;
	uint64_t t0 = 0;

	pin(0);
	atomic_store(&fword, 0);
	pthread_create(&t, NULL, futex_echo, (void *)(iters + WARMUP));
	for (long i = 0; i < iters + WARMUP; i++) {
		if (i == WARMUP)
			t0 = now_ns();
		atomic_store(&fword, 2 * i + 1);
		futex_wake(&fword);
		futex_wait(&fword, 2 * i + 1);
	}
	report("futex-cross", iters, now_ns() - t0);
	pthread_join(t, NULL);
	return 0;
}

static void *nothing(void *arg)
{
	return arg;
}

static int bench_thread(long iters)
{
	uint64_t t0 = 0;

	/*
	 * Parent and children on one CPU: the figure is the cost of creating
	 * and reaping, not of where the scheduler happened to wake the child.
	 */
	pin(0);
	for (long i = 0; i < iters + WARMUP; i++) {
		pthread_t t;

		if (i == WARMUP)
			t0 = now_ns();
		if (pthread_create(&t, NULL, nothing, NULL))
			return 1;
		pthread_join(t, NULL);
	}
	report("thread", iters, now_ns() - t0);
	return 0;
}

static int bench_fork(long iters)
{
	uint64_t t0 = 0;

	pin(0);	/* as bench_thread() */
	for (long i = 0; i < iters + WARMUP; i++) {
		pid_t pid;

		if (i == WARMUP)
			t0 = now_ns();
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	report("fork", iters, now_ns() - t0);
	return 0;
}

/* --- deepsleep ----------------------------------------------------------- */

static int lsock;
static struct sockaddr_in laddr;
static int sleep_pipe[2];
static atomic_int asleep, shallow;
static volatile sig_atomic_t stop;

static void deep_path(void)
{
	struct pollfd fds[256];
	char buf[4096] = { 0 };
	int s = socket(AF_INET, SOCK_STREAM, 0), c;

	/* TCP over loopback: socket, connect, a send that goes all the way. */
	if (s < 0 || connect(s, (struct sockaddr *)&laddr, sizeof(laddr)) ||
	    write(s, buf, sizeof(buf)) != sizeof(buf))
		atomic_fetch_add(&shallow, 1);
	/* poll() on many descriptors: a large on-stack table in the kernel. */
	c = s >= 0 ? s : 0;
	for (int i = 0; i < 256; i++)
		fds[i] = (struct pollfd){ .fd = c, .events = POLLIN };
	poll(fds, 256, 0);
	if (s >= 0)
		close(s);
}

static void *deep_sleeper(void *arg)
{
	char ch;

	deep_path();
	atomic_fetch_add(&asleep, 1);
	while (read(sleep_pipe[0], &ch, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static void *acceptor(void *arg)
{
	char buf[4096];

	for (;;) {
		int c = accept(lsock, NULL, NULL);

		if (c < 0)
			return NULL;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}

static void on_term(int sig)
{
	stop = 1;
}

static int deepsleep(int nr, const char *ready)
{
	socklen_t len = sizeof(laddr);
	pthread_attr_t attr;
	pthread_t acc, *t = calloc(nr, sizeof(*t));
	int made = 0;

	/* Each thread holds a socket for a while, the acceptor one more. */
	struct rlimit rl = { .rlim_cur = 2 * nr + 256, .rlim_max = 2 * nr + 256 };

	if (setrlimit(RLIMIT_NOFILE, &rl))
		perror("bench: RLIMIT_NOFILE (deep paths may fail)");
	laddr = (struct sockaddr_in){ .sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	if (!t || lsock < 0 || bind(lsock, (struct sockaddr *)&laddr, sizeof(laddr)) ||
	    listen(lsock, 1024) || getsockname(lsock, (struct sockaddr *)&laddr, &len) ||
	    pipe(sleep_pipe)) {
		perror("bench: deepsleep setup");
		return 1;
	}
	signal(SIGTERM, on_term);
	pthread_create(&acc, NULL, acceptor, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (int i = 0; i < nr; i++) {
		if (pthread_create(&t[i], &attr, deep_sleeper, NULL))
			break;
		made++;
	}
	while (atomic_load(&asleep) < made)
		usleep(10000);
	usleep(300000);
	printf("bench: %d threads went deep and sleep (%d without the TCP path)\n", made,
	       atomic_load(&shallow));
	fflush(stdout);
	close(open(ready, O_CREAT | O_WRONLY, 0644));
	while (!stop)
		pause();
	for (int i = 0; i < made; i++)
		if (write(sleep_pipe[1], "x", 1) != 1)
			break;
	for (int i = 0; i < made; i++)
		pthread_join(t[i], NULL);
	shutdown(lsock, SHUT_RDWR);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 0;

	if (argc < 3 || n <= 0) {
		fprintf(stderr, "usage: bench pipe-same|pipe-cross|futex-cross|thread|fork ITERS\n"
				"       bench deepsleep N READY_FILE\n");
		return 2;
	}
	if (!strcmp(argv[1], "pipe-same"))
		return bench_pipe("pipe-same", n, 0);
	if (!strcmp(argv[1], "pipe-cross"))
		return bench_pipe("pipe-cross", n, 1);
	if (!strcmp(argv[1], "futex-cross"))
		return bench_futex(n);
	if (!strcmp(argv[1], "thread"))
		return bench_thread(n);
	if (!strcmp(argv[1], "fork"))
		return bench_fork(n);
	if (!strcmp(argv[1], "deepsleep") && argc > 3)
		return deepsleep((int)n, argv[3]);
	fprintf(stderr, "bench: unknown benchmark '%s'\n", argv[1]);
	return 2;
}
