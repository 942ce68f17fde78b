// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare revocation holdout test: unbinding the adapter must not wait for
 * the mmap_lock of a process that has a share.
 *
 * Revocation used to take the mmap_lock (for reading, not killable) of every
 * process with a share of the adapter. Anyone can keep a process's
 * mmap_lock held: a reader that faults on a FUSE file whose daemon never
 * answers holds it for as long as the daemon likes, and a writer queued
 * behind that reader makes every later reader wait as well. The unbind then
 * sleeps in D state, holding the device lock, until the daemon gives up.
 *
 * The test process T takes its own mmap_lock hostage that way:
 *
 *   R, a child, reads T's memory through /proc/T/mem at a page of a FUSE
 *     file that T has mapped but not touched; access_remote_vm() faults the
 *     page in with T's mmap_lock held for reading, and the fault waits for
 *     the FUSE READ;
 *   D, another child, is the FUSE daemon (the raw /dev/fuse protocol, no
 *     libfuse): it answers everything but READ, which it never answers;
 *   W, a thread of T, calls munmap(): it queues for T's mmap_lock for
 *     writing behind R, so every later reader of T's mm queues behind W;
 *   U, a third child, writes the adapter's PCI address to the driver's
 *     unbind file and reports how long that took.
 *
 * The unbind has to complete while all that stands; then the hostage is
 * released (D is killed, which aborts the FUSE connection and fails R's
 * read) and T's share must raise SIGBUS. With the old revocation the unbind
 * stays blocked until the release and the test fails, saying for how long.
 *
 * While the hostage stands, T must not need its own mmap_lock either: a
 * page fault, a fork(), a malloc() that grows the heap would all queue
 * behind W. So everything that needs it is done before: the children are
 * forked and W is created first, then mlockall() maps (and un-shares after
 * the forks) every page T has, and while the hostage stands T only makes
 * system calls (poll(), read(), write(), open(), nanosleep()) on memory that
 * is already mapped; nothing is printed until it is released.
 *
 * Run as root with the vidshare module bound to an adapter; the device node
 * is $VIDSHARE_DEV, /dev/vidshare0 if unset ($VIDSHARE_PCI, a PCI address,
 * picks the adapter when there are several). Needs FUSE (/dev/fuse): the
 * test is skipped without it. The adapter is bound again afterwards, also
 * when the test fails.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/fuse.h>
#include <linux/vidshare.h>

#include "vidshare_harness.h"

#include "vidshare_lib.h"

/* How long the unbind may take while the hostage stands. */
#define UNBIND_LIMIT_MS		20000
/* How long to wait for the unbind once the hostage is released. */
#define RELEASE_LIMIT_MS	30000
/* How long any other step may take (a debug kernel under TCG is slow). */
#define STEP_LIMIT_MS		10000

#define FUSE_DEV		"/dev/fuse"
#define FUSE_FILE		"file"
#define FUSE_FILE_INO		2
#define FUSE_FILE_SIZE		16384

/* What D and U report over their pipes. */
enum { MSG_MOUNTED = 1, MSG_READ, MSG_ERROR, MSG_UNBOUND };

struct msg {
	int what;
	int err;	/* an errno, or U's -errno */
	int ms;		/* U: how long the unbind took */
};

/*
 * CLOCK_MONOTONIC in ms through the system call itself: the vDSO's data
 * page might not be mapped yet, and its fault would need the mmap_lock.
 */
static long long now_ms(void)
{
	struct timespec ts;

	syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Read one message of @len bytes from the pipe @fd within @ms: true if it
 * came. Only poll() and read() into memory that is already mapped, so it
 * works while the hostage stands.
 */
static bool read_within(int fd, void *buf, size_t len, int ms)
{
	long long end = now_ms() + ms, left;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	for (;;) {
		left = end - now_ms();
		n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n > 0)
			return read(fd, buf, len) == (ssize_t)len;
		if (!n || errno != EINTR)
			return false;
	}
}

static void send_msg(int fd, int what, int err, int ms)
{
	struct msg m = { .what = what, .err = err, .ms = ms };

	if (write(fd, &m, sizeof(m)) != sizeof(m))
		_exit(3);
}

/*
 * The scheduler state letter of a task (R, S, D, Z ...) from @path, its
 * /proc stat file, or 0 if it cannot be read (the task is gone). Reading
 * stat takes no mmap_lock of the task.
 */
static char task_state(const char *path)
{
	char buf[512], *p;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything, even ") " */
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* ------------------------------------------------------------------ */
/* D: a FUSE daemon with one file whose reads never finish             */
/* ------------------------------------------------------------------ */

static void fuse_attr_of(uint64_t ino, struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	if (ino == FUSE_ROOT_ID) {
		a->mode = S_IFDIR | 0755;
		a->nlink = 2;
	} else {
		a->mode = S_IFREG | 0444;
		a->nlink = 1;
		a->size = FUSE_FILE_SIZE;
		a->blocks = FUSE_FILE_SIZE / 512;
	}
	a->blksize = 4096;
}

static void fuse_reply(int fd, uint64_t unique, int error, const void *arg, size_t len)
{
	struct fuse_out_header oh = {
		.len = sizeof(oh) + len,
		.error = error,
		.unique = unique,
	};
	struct iovec iov[2] = {
		{ .iov_base = &oh, .iov_len = sizeof(oh) },
		{ .iov_base = (void *)arg, .iov_len = len },
	};

	/* A failed reply only fails the request it answers. */
	if (writev(fd, iov, len ? 2 : 1) < 0)
		return;
}

/*
 * Serve requests on @fuse until the connection goes away. Everything T needs
 * to open and map the file is answered; a READ is reported on @evt and never
 * answered, so the page fault waiting for it (R's, holding T's mmap_lock)
 * waits until the connection is aborted: when D dies.
 */
static void fuse_serve(int fuse, int evt)
{
	/* the kernel wants room for a whole WRITE request of max_write */
	static char buf[FUSE_MIN_READ_BUFFER + 65536];
	struct fuse_in_header *in = (struct fuse_in_header *)buf;
	const char *arg = buf + sizeof(*in);
	bool reported = false;
	ssize_t n;

	for (;;) {
		n = read(fuse, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;	/* ENOENT: the request was interrupted */
		if (n < 0)
			return;		/* ENODEV: unmounted or aborted */
		if (n < (ssize_t)sizeof(*in))
			continue;

		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in ii;
			struct fuse_init_out io;

			memset(&ii, 0, sizeof(ii));
			memcpy(&ii, arg, n - sizeof(*in) < sizeof(ii) ? n - sizeof(*in) : sizeof(ii));
			memset(&io, 0, sizeof(io));
			io.major = FUSE_KERNEL_VERSION;
			io.minor = ii.minor < FUSE_KERNEL_MINOR_VERSION ?
				   ii.minor : FUSE_KERNEL_MINOR_VERSION;
			/*
			 * No readahead: the fault reads its page with one
			 * synchronous READ, the fault handler waits for it
			 * itself.
			 */
			io.max_readahead = 0;
			io.max_write = 4096;
			io.time_gran = 1;
			fuse_reply(fuse, in->unique, 0, &io, sizeof(io));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out ao;

			if (in->nodeid != FUSE_ROOT_ID && in->nodeid != FUSE_FILE_INO) {
				fuse_reply(fuse, in->unique, -ENOENT, NULL, 0);
				break;
			}
			memset(&ao, 0, sizeof(ao));
			ao.attr_valid = 3600;
			fuse_attr_of(in->nodeid, &ao.attr);
			fuse_reply(fuse, in->unique, 0, &ao, sizeof(ao));
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out eo;

			if (in->nodeid != FUSE_ROOT_ID || strcmp(arg, FUSE_FILE)) {
				fuse_reply(fuse, in->unique, -ENOENT, NULL, 0);
				break;
			}
			memset(&eo, 0, sizeof(eo));
			eo.nodeid = FUSE_FILE_INO;
			eo.generation = 1;
			eo.entry_valid = 3600;
			eo.attr_valid = 3600;
			fuse_attr_of(FUSE_FILE_INO, &eo.attr);
			fuse_reply(fuse, in->unique, 0, &eo, sizeof(eo));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out oo;

			memset(&oo, 0, sizeof(oo));
			oo.fh = 1;
			fuse_reply(fuse, in->unique, 0, &oo, sizeof(oo));
			break;
		}
		case FUSE_FLUSH:
		case FUSE_RELEASE:
			fuse_reply(fuse, in->unique, 0, NULL, 0);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			/* never answered: the kernel expects no reply */
			break;
		case FUSE_READ:
			if (!reported)
				send_msg(evt, MSG_READ, 0, 0);
			reported = true;
			break;
		default:
			fuse_reply(fuse, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
}

/* D: mount a FUSE file system on @dir and serve it; reports on @evt. */
static void daemon_main(const char *dir, int evt)
{
	char opts[128];
	int fuse;

	/*
	 * Only D ever has /dev/fuse open: when D dies, the connection is
	 * aborted and every request still waiting for an answer fails.
	 */
	fuse = open(FUSE_DEV, O_RDWR | O_CLOEXEC);
	if (fuse < 0) {
		send_msg(evt, MSG_ERROR, errno, 0);
		_exit(1);
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse);
	if (mount("vidshare-holdout", dir, "fuse", MS_NODEV | MS_NOSUID, opts)) {
		send_msg(evt, MSG_ERROR, errno, 0);
		_exit(1);
	}
	send_msg(evt, MSG_MOUNTED, 0, 0);
	fuse_serve(fuse, evt);
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* The hostage                                                          */
/* ------------------------------------------------------------------ */

struct hostage {
	pid_t tpid;			/* T */
	const char *bdf;
	const char *dir;
	/* pipes: [0] is read, [1] is written */
	int d_evt[2];			/* D -> T: mounted, READ arrived */
	int r_go[2];			/* T -> R: the address to read */
	int u_go[2];			/* T -> U: unbind now */
	int u_res[2];			/* U -> T: unbind result */
	int w_go[2];			/* T -> W: munmap now */
	int w_evt[2];			/* W -> T: its tid, then munmap's result */
	void *dummy;			/* what W unmaps */
	pthread_t writer;
	char w_stat[64];		/* /proc/T/task/W/stat */

	/* what T saw while the hostage stood */
	bool read_arrived;		/* D got R's READ */
	bool w_told, u_told;		/* W and U were told to go */
	bool w_early;			/* W's munmap() returned at once */
	char w_state;			/* W's state once queued: 'D' */
	bool unbound;			/* U reported within UNBIND_LIMIT_MS */
	struct msg u_msg;		/* U's report */
	long long held_ms;		/* how long T waited for U */
	bool w_before_unbind;		/* W's munmap() returned before U did */
	/* after the release */
	bool w_returned;
	int w_ret;			/* W's munmap() result: 0 or errno */
	bool unbound_late;		/* U reported after the release */
	int r_status, u_status;		/* exit codes of R and U, -1: not reaped */
};

/* U: unbind the adapter when told to, and report how long it took. */
static void unbinder_main(struct hostage *h)
{
	long long t0;
	char c;
	int err;

	if (read(h->u_go[0], &c, 1) != 1)
		_exit(2);	/* T gave up before the go */
	t0 = now_ms();
	err = unbind_device(h->bdf);
	send_msg(h->u_res[1], MSG_UNBOUND, err, (int)(now_ms() - t0));
	_exit(err ? 1 : 0);
}

/*
 * R: read one byte of T's memory at the address T sends, through
 * /proc/T/mem. access_remote_vm() holds T's mmap_lock for reading while it
 * faults the page in, and the fault waits for D's answer to its READ.
 */
static void reader_main(struct hostage *h)
{
	char path[64], c;
	uint64_t addr;
	int fd;

	if (read(h->r_go[0], &addr, sizeof(addr)) != sizeof(addr))
		_exit(2);
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)h->tpid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		_exit(3);
	/* fails (EIO) once D is killed and the READ is aborted */
	_exit(pread(fd, &c, 1, (off_t)addr) == 1 ? 0 : 1);
}

/* W: queue for T's mmap_lock for writing, behind R. */
static void *writer_main(void *arg)
{
	struct hostage *h = arg;
	int tid = (int)syscall(SYS_gettid), ret;
	char c;

	if (write(h->w_evt[1], &tid, sizeof(tid)) != sizeof(tid))
		return NULL;
	if (read(h->w_go[0], &c, 1) != 1)
		return NULL;	/* T gave up before the go */
	ret = munmap(h->dummy, page_size()) ? errno : 0;
	if (write(h->w_evt[1], &ret, sizeof(ret)) != sizeof(ret))
		return NULL;
	return NULL;
}

/*
 * Fork a child that runs @fn(@h) and exits. It dies with T (a test that
 * died must not leave a FUSE daemon, and so a stuck reader, behind). It
 * closes every pipe end but @keep1 and @keep2, so that a pipe whose writers
 * are all gone reads as end of file, and T's device file, so that it holds
 * nothing of the adapter.
 */
static pid_t spawn(void (*fn)(struct hostage *), struct hostage *h, int devfd,
		   int keep1, int keep2)
{
	int *fds[] = { h->d_evt, h->r_go, h->u_go, h->u_res, h->w_go, h->w_evt };
	pid_t pid = fork();
	size_t i;

	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != h->tpid)
		_exit(4);	/* T died before the prctl() */
	for (i = 0; i < 2 * ARRAY_SIZE(fds); i++) {
		int fd = fds[i / 2][i % 2];

		if (fd != keep1 && fd != keep2)
			close(fd);
	}
	close(devfd);
	fn(h);
	_exit(0);
}

static void daemon_child(struct hostage *h)
{
	daemon_main(h->dir, h->d_evt[1]);
}

/*
 * Use some stack, so that the pages under the current stack pointer that
 * T's calls later need are part of the stack VMA when mlockall() maps it:
 * growing the stack takes the mmap_lock.
 */
static void __attribute__((noinline)) touch_stack(void)
{
	volatile char buf[64 * 1024];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 512)
		buf[i] = 0;
}

/*
 * Everything between the READ arriving and the release: no mmap_lock of
 * T may be needed here (no page fault, no malloc, no printing, no fork).
 */
static void hold(struct hostage *h)
{
	long long t0;
	struct msg m;
	int ret, i;
	char c = 'g';

	/* The READ is R's fault: R holds T's mmap_lock from now on. */
	h->read_arrived = read_within(h->d_evt[0], &m, sizeof(m), STEP_LIMIT_MS) &&
			  m.what == MSG_READ;
	if (!h->read_arrived)
		return;

	/*
	 * W queues for the write lock. It must still be waiting after a
	 * second, and sleeping (D: mmap_write_lock_killable()).
	 */
	if (write(h->w_go[1], &c, 1) != 1)
		return;
	h->w_told = true;
	if (read_within(h->w_evt[0], &ret, sizeof(ret), 1000)) {
		h->w_early = true;
		h->w_returned = true;
		h->w_ret = ret;
		return;
	}
	for (i = 0; i < STEP_LIMIT_MS / 100; i++) {
		h->w_state = task_state(h->w_stat);
		if (h->w_state == 'D')
			break;
		usleep(100 * 1000);
	}
	if (h->w_state != 'D')
		return;

	/* the hostage stands: unbind */
	t0 = now_ms();
	if (write(h->u_go[1], &c, 1) != 1)
		return;
	h->u_told = true;
	h->unbound = read_within(h->u_res[0], &h->u_msg, sizeof(h->u_msg), UNBIND_LIMIT_MS);
	h->held_ms = now_ms() - t0;

	/* W still waiting: the lock was held all the time the unbind ran */
	if (read_within(h->w_evt[0], &ret, sizeof(ret), 0)) {
		h->w_before_unbind = true;
		h->w_returned = true;
		h->w_ret = ret;
	}
}

/* waitpid() for at most @ms; wait_child()'s result, or -1 on timeout. */
static int reap_within(pid_t pid, int ms)
{
	long long end = now_ms() + ms;
	int status;
	pid_t r;

	do {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
		if (r < 0)
			return -1;
		usleep(10 * 1000);
	} while (now_ms() < end);
	return -1;
}

/* Is task @pid gone (or a zombie)? Waits up to @ms for it. */
static bool wait_gone(pid_t pid, int ms)
{
	char path[64], s;
	int waited;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (waited = 0; ; waited += 50) {
		s = task_state(path);
		if (!s || s == 'Z' || s == 'X')
			return true;
		if (waited >= ms)
			return false;
		usleep(50 * 1000);
	}
}

/* ------------------------------------------------------------------ */
/* Fixture "holdout"                                                    */
/* ------------------------------------------------------------------ */

/*
 * MAP_SHARED (FIXTURE_TEARDOWN_PARENT): the teardown in the harness's
 * process sees the children T left behind if it died.
 */
FIXTURE(holdout) {
	char bdf[64];
	char node[PATH_MAX];
	char dir[64];		/* the FUSE mount point */
	pid_t daemon, reader, unbinder;
	int fd;
	struct vidshare_share share;
};

FIXTURE_SETUP(holdout)
{
	int fuse;

	if (geteuid())
		SKIP(return, "needs root: it mounts FUSE and unbinds the adapter");
	fuse = open(FUSE_DEV, O_RDWR | O_CLOEXEC);
	if (fuse < 0)
		SKIP(return, "no FUSE (%s: %s): the mmap_lock is held through a FUSE read",
		     FUSE_DEV, strerror(errno));
	close(fuse);

	ASSERT_EQ(0, find_adapter(self->bdf, sizeof(self->bdf), self->node, sizeof(self->node)))
		TH_LOG("no adapter bound to vidshare in " CLASS_DIR);
	ASSERT_TRUE(driver_bound(self->bdf)) TH_LOG("%s not bound to vidshare", self->bdf);
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) failed", self->node);

	/* the share that makes T's mm one the old revocation waited for */
	ASSERT_EQ(0, vs_share(self->fd, 0, page_size(), 0, 0, &self->share));
	ASSERT_EQ(0, probe_write(share_ptr(&self->share)));
}

/* In the harness's process: runs even if T died, so later tests find the device. */
FIXTURE_TEARDOWN_PARENT(holdout)
{
	char node[PATH_MAX];

	/*
	 * T reaps its children and clears their pids. Any left: killing D
	 * releases the hostage, and U's unbind can finish before the bind.
	 */
	if (self->daemon > 0)
		kill(self->daemon, SIGKILL);
	if (self->reader > 0)
		kill(self->reader, SIGKILL);
	if (self->unbinder > 0 && !wait_gone(self->unbinder, RELEASE_LIMIT_MS))
		TH_LOG("the unbind (pid %d) is still blocked", (int)self->unbinder);
	if (self->dir[0]) {
		umount2(self->dir, MNT_DETACH);
		rmdir(self->dir);
	}
	if (!self->bdf[0])
		return;
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)))
		TH_LOG("could not bind %s again", self->bdf);
}

static void close_pipe(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

/*
 * Unbind while a stuck reader holds T's mmap_lock and a writer waits
 * behind it. The unbind must finish within UNBIND_LIMIT_MS; the old
 * revocation waits for T's mmap_lock and only finishes after the release.
 */
TEST_F_TIMEOUT(holdout, unbind_completes_while_mmap_lock_is_held_hostage,
	       (UNBIND_LIMIT_MS + RELEASE_LIMIT_MS) / 1000 + 40)
{
	struct hostage h = {
		.tpid = getpid(),
		.bdf = self->bdf,
		.dir = self->dir,
		.r_status = -1,
		.u_status = -1,
	};
	char fpath[PATH_MAX];
	pthread_attr_t attr;
	void *file_map;
	struct msg m;
	uint64_t addr;
	int ffd, tid;

	snprintf(self->dir, sizeof(self->dir), "/tmp/vidshare-holdout-XXXXXX");
	ASSERT_TRUE(mkdtemp(self->dir) != NULL) TH_LOG("mkdtemp: %s", strerror(errno));
	snprintf(fpath, sizeof(fpath), "%s/" FUSE_FILE, self->dir);
	ASSERT_EQ(0, pipe2(h.d_evt, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(h.r_go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(h.u_go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(h.u_res, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(h.w_go, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(h.w_evt, O_CLOEXEC));
	h.dummy = anon_map(1);
	ASSERT_TRUE(h.dummy != NULL);

	/* 1. The children first: fork() takes T's mmap_lock for writing. */
	self->daemon = spawn(daemon_child, &h, self->fd, h.d_evt[1], -1);
	ASSERT_LT(0, self->daemon);
	ASSERT_TRUE(read_within(h.d_evt[0], &m, sizeof(m), STEP_LIMIT_MS))
		TH_LOG("the FUSE daemon did not report");
	if (m.what == MSG_ERROR && (m.err == ENODEV || m.err == ENOENT))
		SKIP(return, "cannot mount FUSE: %s", strerror(m.err));
	ASSERT_EQ(MSG_MOUNTED, m.what) TH_LOG("FUSE mount failed: %s", strerror(m.err));
	self->reader = spawn(reader_main, &h, self->fd, h.r_go[0], -1);
	ASSERT_LT(0, self->reader);
	self->unbinder = spawn(unbinder_main, &h, self->fd, h.u_go[0], h.u_res[1]);
	ASSERT_LT(0, self->unbinder);
	/* T's copies of the children's ends: EOF when a child is gone */
	close(h.d_evt[1]);
	close(h.r_go[0]);
	close(h.u_go[0]);
	close(h.u_res[1]);
	h.d_evt[1] = h.r_go[0] = h.u_go[0] = h.u_res[1] = -1;

	/* 2. W: creating a thread maps its stack. */
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 256 * 1024));
	ASSERT_EQ(0, pthread_create(&h.writer, &attr, writer_main, &h));
	pthread_attr_destroy(&attr);
	ASSERT_TRUE(read_within(h.w_evt[0], &tid, sizeof(tid), STEP_LIMIT_MS));
	snprintf(h.w_stat, sizeof(h.w_stat), "/proc/%d/task/%d/stat", (int)h.tpid, tid);
	ASSERT_NE(0, task_state(h.w_stat));

	/*
	 * 3. Map every page T has, writable ones with a write fault: after
	 * the forks they are copy-on-write, and a write fault while the
	 * hostage stands would queue for T's own mmap_lock. Not MCL_FUTURE:
	 * the FUSE mapping must stay untouched until R faults it.
	 */
	touch_stack();
	ASSERT_EQ(0, mlockall(MCL_CURRENT)) TH_LOG("mlockall: %s", strerror(errno));

	/* 4. The FUSE file, mapped but not faulted in. */
	ffd = open(fpath, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, ffd) TH_LOG("open(%s): %s", fpath, strerror(errno));
	file_map = mmap(NULL, FUSE_FILE_SIZE, PROT_READ, MAP_SHARED, ffd, 0);
	ASSERT_TRUE(file_map != MAP_FAILED) TH_LOG("mmap of the FUSE file: %s", strerror(errno));
	close(ffd);
	addr = (uintptr_t)file_map;

	/* 5. Take the hostage and unbind: no ASSERT, no output until released. */
	if (write(h.r_go[1], &addr, sizeof(addr)) == sizeof(addr))
		hold(&h);

	/*
	 * 6. Release: killing D aborts the FUSE connection, R's fault fails
	 * and lets T's mmap_lock go, W gets it and unmaps, and a revocation
	 * that waits for the lock gets it too. Closing the go pipes ends W
	 * and U if they were never told to go.
	 */
	kill(self->daemon, SIGKILL);
	if (reap_within(self->daemon, STEP_LIMIT_MS) >= 0)
		self->daemon = 0;
	umount2(self->dir, MNT_DETACH);
	close_pipe(h.r_go);
	close_pipe(h.u_go);
	close(h.w_go[1]);
	h.w_go[1] = -1;
	if (!h.w_returned && h.w_told &&
	    read_within(h.w_evt[0], &h.w_ret, sizeof(h.w_ret), STEP_LIMIT_MS))
		h.w_returned = true;
	/* W is stuck for good if told to go and not back: do not join it */
	if (!h.w_told || h.w_returned)
		pthread_join(h.writer, NULL);
	h.r_status = reap_within(self->reader, STEP_LIMIT_MS);
	if (h.r_status >= 0)
		self->reader = 0;
	if (h.u_told && !h.unbound &&
	    read_within(h.u_res[0], &h.u_msg, sizeof(h.u_msg), RELEASE_LIMIT_MS))
		h.unbound_late = true;
	h.u_status = reap_within(self->unbinder, h.u_told && !h.unbound && !h.unbound_late ?
				 1000 : STEP_LIMIT_MS);
	if (h.u_status >= 0)
		self->unbinder = 0;
	munlockall();
	munmap(file_map, FUSE_FILE_SIZE);
	if (!rmdir(self->dir))
		self->dir[0] = '\0';
	close_pipe(h.d_evt);
	close_pipe(h.u_res);
	close_pipe(h.w_evt);
	close(h.w_go[0]);

	/* 7. What happened. First: was the hostage taken at all? */
	ASSERT_TRUE(h.read_arrived)
		TH_LOG("R's read of the FUSE page never reached the daemon: no hostage");
	ASSERT_FALSE(h.w_early)
		TH_LOG("munmap() in W returned while R's read was pending: no hostage");
	ASSERT_EQ('D', h.w_state)
		TH_LOG("W is not waiting for T's mmap_lock (state %c): no hostage",
		       h.w_state ? h.w_state : '?');
	ASSERT_TRUE(h.u_told);

	if (h.unbound)
		TH_LOG("unbind took %d ms while T's mmap_lock was held", h.u_msg.ms);
	else if (h.unbound_late)
		TH_LOG("unbind took %d ms: blocked until the hostage was released after %lld ms",
		       h.u_msg.ms, h.held_ms);
	else
		TH_LOG("unbind still blocked %lld ms after it started and %d s after the release",
		       h.held_ms, RELEASE_LIMIT_MS / 1000);
	EXPECT_TRUE(h.unbound)
		TH_LOG("unbind did not complete in %d ms with T's mmap_lock held",
		       UNBIND_LIMIT_MS);
	EXPECT_FALSE(h.w_before_unbind)
		TH_LOG("W's munmap() returned before the unbind: the lock was let go");
	if (h.unbound || h.unbound_late) {
		EXPECT_EQ(0, h.u_msg.err) TH_LOG("unbind failed: %s", strerror(-h.u_msg.err));
		EXPECT_EQ(0, h.u_status);
	}
	EXPECT_TRUE(h.w_returned) TH_LOG("W's munmap() never returned");
	EXPECT_EQ(0, h.w_ret);
	/* R's read fails when D dies; it must have ended either way */
	EXPECT_LE(0, h.r_status) TH_LOG("R is still stuck");

	/* 8. The share was revoked: access raises SIGBUS, UNSHARE ends it. */
	if (h.unbound || h.unbound_late) {
		EXPECT_EQ(SIGBUS, probe_read(share_ptr(&self->share)));
		EXPECT_EQ(0, vs_unshare(self->fd, self->share.virtual_addr));
	}
}

TEST_HARNESS_MAIN
