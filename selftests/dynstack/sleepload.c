// SPDX-License-Identifier: GPL-2.0
/*
 * sleepload: park N threads in a mix of blocking calls, the way a real
 * system's threads sleep, and hold them until told to stop.
 *
 *   sleepload N [READY_FILE]
 *
 * Threads are spread round-robin over: futex wait, pipe read, epoll_wait,
 * nanosleep, accept on a listening socket, and read on a FIFO. Once all are
 * started (and have had time to block) sleepload writes a summary line to
 * stdout and creates READY_FILE; it exits (waking and joining every thread)
 * on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum kind { K_FUTEX, K_PIPE, K_EPOLL, K_NANOSLEEP, K_ACCEPT, K_FIFO, NR_KINDS };
static const char *const kind_name[NR_KINDS] = {
	"futex", "pipe", "epoll", "nanosleep", "accept", "fifo",
};

static _Atomic int stop;
static atomic_uint futex_word;
static int pipefd[2], epfd, evfd[2], lsock, fifofd;
static const char *fifo_path = "/tmp/sleepload.fifo";
static const char *sock_path = "/tmp/sleepload.sock";
static atomic_int started[NR_KINDS];
static atomic_int failed, fail_errno;

static void *sleeper(void *arg)
{
	enum kind k = (enum kind)(long)arg;
	struct epoll_event ev;
	char c;

	atomic_fetch_add(&started[k], 1);
	while (!atomic_load(&stop)) {
		switch (k) {
		case K_FUTEX:
			syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0,
				NULL, NULL, 0);
			break;
		case K_PIPE:
			if (read(pipefd[0], &c, 1) == 1)
				return NULL;
			break;
		case K_EPOLL:
			epoll_wait(epfd, &ev, 1, -1);
			return NULL;
		case K_NANOSLEEP: {
			struct timespec ts = { .tv_sec = 3600 };

			nanosleep(&ts, NULL);
			break;
		}
		case K_ACCEPT: {
			int fd = accept(lsock, NULL, NULL);

			if (fd >= 0) {
				close(fd);
				return NULL;
			}
			/*
			 * Anything but a signal ends the thread: retrying
			 * EMFILE (accept() reserves a descriptor before it
			 * blocks) would spin instead of sleeping.
			 */
			if (errno != EINTR) {
				if (!atomic_load(&stop)) {
					atomic_store(&fail_errno, errno);
					atomic_fetch_add(&failed, 1);
				}
				return NULL;
			}
			break;
		}
		case K_FIFO:
			if (read(fifofd, &c, 1) == 1)
				return NULL;
			break;
		default:
			return NULL;
		}
	}
	return NULL;
}

static void on_signal(int sig)
{
	atomic_store(&stop, 1);
}

static int setup(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };

	if (pipe(pipefd) || pipe(evfd))
		return -1;
	epfd = epoll_create1(0);
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, evfd[0], &ev))
		return -1;
	unlink(sock_path);
	strncpy(sun.sun_path, sock_path, sizeof(sun.sun_path) - 1);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(lsock, 4096))
		return -1;
	unlink(fifo_path);
	if (mkfifo(fifo_path, 0600))
		return -1;
	/* O_RDWR keeps the FIFO open for writing too: readers block, not EOF. */
	fifofd = open(fifo_path, O_RDWR);
	return fifofd < 0 ? -1 : 0;
}

/* Wake every kind of sleeper so that they return. */
static void release(int nr)
{
	char *buf = calloc(nr + 1, 1);

	atomic_store(&futex_word, 1);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
	if (buf) {
		if (write(pipefd[1], buf, nr) < 0 || write(fifofd, buf, nr) < 0 ||
		    write(evfd[1], buf, 1) < 0)
			perror("sleepload: release");
		free(buf);
	}
	shutdown(lsock, SHUT_RDWR);
	close(lsock);
}

int main(int argc, char **argv)
{
	struct rlimit rl, old;
	pthread_attr_t attr;
	pthread_t *tids;
	int nr, i, made = 0;
	sigset_t set;

	if (argc < 2 || (nr = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: sleepload N [READY_FILE]\n");
		return 2;
	}
	/*
	 * Every thread blocked in accept() holds a reserved descriptor: make
	 * room for all of them (root may raise the hard limit up to nr_open).
	 */
	rl.rlim_cur = rl.rlim_max = nr + 256;
	if (getrlimit(RLIMIT_NOFILE, &old) || (old.rlim_cur < rl.rlim_cur &&
					       setrlimit(RLIMIT_NOFILE, &rl))) {
		perror("sleepload: RLIMIT_NOFILE");
		return 1;
	}
	if (setup()) {
		perror("sleepload: setup");
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	tids = calloc(nr, sizeof(*tids));
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < nr && tids; i++) {
		if (pthread_create(&tids[i], &attr, sleeper, (void *)(long)(i % NR_KINDS))) {
			perror("sleepload: pthread_create");
			break;
		}
		made++;
	}
	/* Let every thread reach its blocking call. */
	for (i = 0; i < 100; i++) {
		int sum = 0;

		for (int k = 0; k < NR_KINDS; k++)
			sum += atomic_load(&started[k]);
		if (sum == made)
			break;
		usleep(20000);
	}
	usleep(500000);
	printf("sleepload: %d threads sleeping (", made);
	for (int k = 0; k < NR_KINDS; k++)
		printf("%s%s %d", k ? ", " : "", kind_name[k], atomic_load(&started[k]));
	printf(")\n");
	if (atomic_load(&failed)) {
		fprintf(stderr, "sleepload: %d threads could not block in accept(): %s\n",
			atomic_load(&failed), strerror(atomic_load(&fail_errno)));
		return 1;
	}
	fflush(stdout);
	if (argc > 2)
		close(open(argv[2], O_CREAT | O_WRONLY, 0644));

	sigemptyset(&set);
	while (!atomic_load(&stop))
		pause();
	/* Interrupt the nanosleeps and any other restartable waits. */
	release(made);
	for (i = 0; i < made; i++)
		pthread_kill(tids[i], SIGINT);
	for (i = 0; i < made; i++)
		pthread_join(tids[i], NULL);
	unlink(fifo_path);
	unlink(sock_path);
	printf("sleepload: %d threads joined\n", made);
	return 0;
}
