// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare fault-injection selftests, done the way syzkaller does them.
 *
 * For each operation and n = 1, 2, ...: write n to the calling thread's
 * /proc/self/task/TID/fail-nth (Documentation/fault-injection/
 * fault-injection.rst), do the operation once, read fail-nth back: 0 means
 * the Nth should_fail() of the thread happened and was made to fail. When
 * nothing was injected the loop ends, the operation must have worked, and
 * n - 1 is its number of injection points (printed per operation). For
 * every n that injected a fault:
 *
 * - the operation works, and leaves exactly what it leaves without
 *   injection, or it fails with an errno listed for it (ENOMEM mostly);
 * - a failed operation leaves nothing behind: no share of this process in
 *   /sys/kernel/debug/vidshare/vidshareN/shares, no mapping of the device in
 *   /proc/self/maps, and x86 PAT's memtype list exactly as before (the
 *   adapter's one write-combining reservation; shares never add one);
 * - the same call without injection then works (and is undone).
 *
 * The first run of every loop injects nothing (n = 0): it warms up the
 * code and the caches, so that faulting in the test's own pages cannot
 * count as injection points, and checks what the operation leaves normally.
 *
 * The tests, and the errnos each accepts under injection. fault.X is the
 * one test of the fixture "fault", one_fault_at_a_time, in its variant X:
 * the loop above for operation X.
 *
 * fault.open_node: ENOMEM (struct file, path lookup, vidshare's per-file
 *	state). The new file must work (INFO, SHARE, UNSHARE); a failed open
 *	leaves no file descriptor.
 * fault.info, fault.get_mode, fault.set_mode: none. INFO "always works";
 *	the mode ioctls only touch registers (they are skipped on an adapter
 *	without a mode interface).
 * fault.share, share_fixed_at_free_address, share_readonly,
 * share_unaligned_view: ENOMEM (vm_mmap(): VMA, maple tree; vidshare's share
 *	record). A failed FIXED SHARE leaves its range free. A fault in the
 *	fill after vm_mmap() (page tables) does not fail SHARE, by design
 *	(map.c): the share is made without page-table entries and its first
 *	touch fills it; that is checked (and logged as a note).
 * fault.unshare_is_atomic, fault.munmap_of_share: ENOMEM from vm_munmap().
 *	After a failure the share must still be there as it was: listed,
 *	mapped, readable and writable with its data, its page-table entries
 *	intact; and the same call must then work. On Linux 6.12 no single
 *	injected fault makes vm_munmap() fail: its one allocation that can is
 *	retried (see the "nomem" fixture), so these find none.
 * nomem.unshare.every_allocation_fails, nomem.munmap.*: UNSHARE (munmap(2))
 *	of a share with gaps around it, with every slab and page allocation
 *	of the thread failing (failslab and fail_page_alloc restricted to it
 *	with task-filter and make-it-fail, times=K for K = 1, 2, ...): that
 *	does make vm_munmap() fail, with ENOMEM; the failed call must leave
 *	the share as above, still counting toward max_shares, and the same
 *	call without injection must work (the claim was given back).
 *	nomem.unshare_between_vmas.*: the same with VMAs right before and
 *	after the share, where vm_munmap() needs no allocation (and works).
 * fault.mmap: ENOMEM, as SHARE; a new mmap(2) has no page-table entries
 *	("-" in debugfs) until its first touch, which takes exactly one fault.
 * fault.mmap_first_touch_read, mmap_first_touch_write: none. A fill that
 *	runs out of memory is VM_FAULT_OOM: the kernel retries the access,
 *	which must end up working, never with SIGBUS.
 * fault.close: none.
 * bind.bind_probe (write of the PCI address to the driver's bind file):
 *	ENOMEM; EBUSY, which pci_request_region() returns when
 *	__request_region() cannot allocate its struct resource. A failed bind
 *	leaves the adapter unbound, with nothing in PAT or /proc/iomem; a
 *	bind that worked leaves exactly what a bind without injection leaves
 *	(INFO, GET_MODE, sysfs, PAT, /proc/iomem, a working SHARE). Only the
 *	debugfs directory may be missing: debugfs is optional.
 * bind.unbind_remove (write to unbind, with a file, a share and an mmap(2)
 *	live): ENOMEM, only from the sysfs write buffer, before anything
 *	happened (the adapter must then still be bound and working). The
 *	remove itself cannot fail: it must leave no class device, no PAT
 *	entry, no claimed region, and every share revoked (SIGBUS).
 *
 * Run as root with vidshare bound to an adapter (reference: QEMU std VGA,
 * 1234:1111) on a kernel with CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB,
 * CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS. The device
 * node is $VIDSHARE_DEV (default /dev/vidshare0); $VIDSHARE_PCI picks the
 * adapter by PCI address when there are several. The "bind" fixture unbinds
 * and binds the adapter (and binds it again in the parent, also when a test
 * fails). Without /proc/self/task/TID/fail-nth (stock Debian kernels have
 * no fault injection) every test is skipped.
 *
 * Guest setup this needs (the fixtures check it and fail when it is
 * missing):
 *
 *   mount -t debugfs debugfs /sys/kernel/debug      # if not mounted yet
 *   for f in failslab fail_page_alloc; do
 *       d=/sys/kernel/debug/$f
 *       echo N > $d/ignore-gfp-wait   # GFP_KERNEL allocations count too
 *       echo 0 > $d/verbose           # no stack trace per injected fault
 *       echo N > $d/task-filter
 *   done                              # probability 0, interval 1: defaults
 *   echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
 *   echo N > /sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem
 *
 * The "nomem" tests also write probability, interval, times, space and
 * task-filter of both, /proc/self/task/TID/make-it-fail, and the module
 * parameter max_shares; the parent restores them as setup found them, also
 * after a failure or crash.
 *
 * (optional: echo 'module vidshare +p' > /sys/kernel/debug/dynamic_debug/control).
 * With verbose at its default (2) every injected fault prints a stack
 * trace, which a dmesg splat scanner takes for a failure. Injected faults
 * on the first touch of an mmap(2) print "Huh VM_FAULT_OOM leaked out to
 * the #PF handler. Retrying PF" (mm/oom_kill.c, rate-limited): that is the
 * kernel retrying the fault as it should, not a splat.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <linux/vidshare.h>

#include "vidshare_harness.h"
/* The callbacks of struct fault_op do not all need all their arguments. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#include "vidshare_lib.h"

/*
 * Note: EXPECT_*() and ASSERT_*() expand to two statements (the check and an
 * optional handler loop), so a loop or if body using them needs braces.
 */

/* More injection points than any operation has: a loop that runs away. */
#define FAIL_NTH_MAX		4000U
/* Give up on an operation after this many iterations that failed a check. */
#define MAX_BAD_ITERATIONS	40
#define SZ_2M			(2ULL << 20)
#define PROC_IOMEM		"/proc/iomem"
#define FAULT_DEBUGFS		"/sys/kernel/debug"

/* The operation and fault number under test, for the logs of helpers. */
static const char *cur_op = "setup";
static unsigned int cur_n;

#define OP_LOG(fmt, ...) TH_LOG("%s, fault %u: " fmt, cur_op, cur_n, ##__VA_ARGS__)

/* ksft_print_msg() goes to stdout, and the test process ends with _exit(). */
#define COUNT_MSG(fmt, ...) do {			\
	ksft_print_msg(fmt, ##__VA_ARGS__);		\
	fflush(stdout);					\
} while (0)

/* ------------------------------------------------------------------ */
/* fail-nth                                                             */
/* ------------------------------------------------------------------ */

/* /proc/self/task/TID/fail-nth of the calling thread: an fd or -errno. */
static int fail_nth_open(void)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/fail-nth", (long)syscall(SYS_gettid));
	fd = open(path, O_RDWR | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Make the @n-th should_fail() of this thread fail; 0 turns that off. */
static int fail_nth_set(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return write(fd, buf, len) == len ? 0 : -EIO;
}

/*
 * Right after the operation: 1 if the fault was injected (fail-nth reads 0),
 * 0 if it was not, or -errno. Turns injection off in either case, so that
 * nothing after the operation can be failed.
 */
static int fail_nth_end(int fd)
{
	char buf[16] = "";
	ssize_t r = pread(fd, buf, sizeof(buf) - 1, 0);
	int err = r > 0 ? 0 : -EIO;

	if (fail_nth_set(fd, 0) && !err)
		err = -EIO;
	if (err)
		return err;
	return strtoul(buf, NULL, 10) == 0;
}

/*
 * The fault-injection knobs the guest must set (see the top of this file),
 * or NULL if they are all set.
 */
static const char *fault_knob_problem(char *msg, size_t size)
{
	static const struct {
		const char *file, *want;
	} knobs[] = {
		{ "failslab/ignore-gfp-wait", "N" },
		{ "failslab/verbose", "0" },
		{ "failslab/task-filter", "N" },
		{ "failslab/probability", "0" },
		{ "fail_page_alloc/ignore-gfp-wait", "N" },
		{ "fail_page_alloc/ignore-gfp-highmem", "N" },
		{ "fail_page_alloc/min-order", "0" },
		{ "fail_page_alloc/verbose", "0" },
		{ "fail_page_alloc/task-filter", "N" },
		{ "fail_page_alloc/probability", "0" },
	};
	char path[128], val[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s", knobs[i].file);
		if (read_file(path, val, sizeof(val)) < 0) {
			snprintf(msg, size, "cannot read %s: mount debugfs, and enable CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and CONFIG_FAULT_INJECTION_DEBUG_FS",
				 path);
			return msg;
		}
		val[strcspn(val, "\n")] = '\0';
		if (strcmp(val, knobs[i].want)) {
			snprintf(msg, size, "guest setup: echo %s > %s (it is %s)", knobs[i].want,
				 path, val);
			return msg;
		}
	}
	return NULL;
}

/*
 * This thread's fail-nth, for the setup of a fixture, once the guest's
 * knobs are checked; -ENOENT (the test is skipped) on a kernel without
 * fault injection.
 */
static int fail_nth_setup(struct __test_metadata *_metadata)
{
	char msg[512];
	int fail = fail_nth_open();

	if (fail == -ENOENT)
		SKIP(return fail, "no /proc/self/task/TID/fail-nth: the kernel has no CONFIG_FAULT_INJECTION");
	ASSERT_LE(0, fail) TH_LOG("cannot open fail-nth: %s", strerror(-fail));
	ASSERT_EQ(NULL, fault_knob_problem(msg, sizeof(msg))) TH_LOG("%s", msg);
	return fail;
}

/* ------------------------------------------------------------------ */
/* What the kernel shows                                                */
/* ------------------------------------------------------------------ */

/* Mappings of device node @node in /proc/self/maps, or -errno. */
static int dev_vmas(const char *node)
{
	ssize_t r = read_file("/proc/self/maps", procbuf, sizeof(procbuf));
	size_t len = strlen(node);
	char *line, *save = NULL, *path;
	int n = 0;

	if (r < 0)
		return r;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		path = strchr(line, '/');
		if (path && !strncmp(path, node, len) &&
		    (!path[len] || !strcmp(path + len, " (deleted)")))
			n++;
	}
	return n;
}

/* Open file descriptors of this process, or -errno. */
static int count_fds(void)
{
	struct dirent *de;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Lines of /proc/iomem that name vidshare (its claimed BARs), or -errno. */
static int iomem_claims(void)
{
	ssize_t r = read_file(PROC_IOMEM, procbuf, sizeof(procbuf));
	char *line, *save = NULL;
	int n = 0;

	if (r < 0)
		return r;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n += strstr(line, "vidshare") != NULL;
	return n;
}

/* A copy of x86 PAT's memtype list ("" without PAT), or NULL. */
static char *pat_read(void)
{
	ssize_t r = read_file(PAT_MEMTYPE_LIST, procbuf, sizeof(procbuf));

	if (r == -ENOENT)
		return strdup("");
	return r < 0 ? NULL : strdup(procbuf);
}

/* Is @line (without its newline) one of the lines of @text? */
static bool has_line(const char *text, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, line, len) && (p[len] == '\n' || !p[len]))
			return true;
	return false;
}

/* Log the lines that only @a ("-") or only @b ("+") has; their number. */
static int diff_lines(struct __test_metadata *_metadata, const char *what, const char *a,
		      const char *b)
{
	const char *texts[] = { a, b }, *other[] = { b, a }, sign[] = "-+";
	char *copy, *line, *save;
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		copy = strdup(texts[i]);
		save = NULL;
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (has_line(other[i], line))
				continue;
			OP_LOG("%s: %c%s", what, sign[i], line);
			n++;
		}
		free(copy);
	}
	return n;
}

/* PAT's memtype list is exactly @want. */
static void pat_check(struct __test_metadata *_metadata, const char *want)
{
	char *now = pat_read();

	ASSERT_TRUE(now != NULL);
	if (strcmp(want, now)) {
		diff_lines(_metadata, "PAT memtype list", want, now);
		EXPECT_EQ(0, strcmp(want, now)) OP_LOG("the PAT memtype list changed");
	}
	free(now);
}

/* Minor page faults taken while reading one byte of every page of [p, p + len). */
static long faults_reading(volatile uint8_t *p, size_t len)
{
	struct rusage before, after;
	size_t i;

	/*
	 * probe_sink is in .bss: in a new test child its page may not be
	 * written yet (or still shared with the parent), and its first write
	 * would count as a fault of the share. Write it before measuring.
	 */
	probe_sink = 0;
	getrusage(RUSAGE_SELF, &before);
	for (i = 0; i < len; i += page_size())
		probe_sink = p[i];
	getrusage(RUSAGE_SELF, &after);
	return after.ru_minflt - before.ru_minflt;
}

/* A word derived from @seed in every KiB of [p, p + len). */
static void stamp(volatile uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	for (i = 0; i + 4 <= len; i += 1024)
		*(volatile uint32_t *)(p + i) = seed ^ (uint32_t)(i * 0x9e3779b9u);
	__sync_synchronize();
}

/* Offset of the first word stamp() did not leave there, or -1. */
static long stamp_mismatch(volatile uint8_t *p, size_t len, uint32_t seed)
{
	size_t i;

	__sync_synchronize();
	for (i = 0; i + 4 <= len; i += 1024)
		if (*(volatile uint32_t *)(p + i) != (seed ^ (uint32_t)(i * 0x9e3779b9u)))
			return (long)i;
	return -1;
}

/* Does errno @err appear in the 0-terminated list @list? */
static bool errno_in(const int *list, int err)
{
	for (; *list; list++)
		if (*list == err)
			return true;
	return false;
}

static const int accept_none[] = { 0 };
/* An allocation that failed: the errno every allocation failure gives. */
static const int accept_enomem[] = { ENOMEM, 0 };

/* ------------------------------------------------------------------ */
/* The injection loop                                                   */
/* ------------------------------------------------------------------ */

/*
 * One kind of operation: @prepare sets up what it needs (no injection),
 * @run does it and nothing else that could allocate or fault (0 or its
 * errno), @done checks what it left, retries it after a failure, and
 * undoes it.
 */
struct fault_op {
	const int *accept;	/* errnos allowed under injection, 0-terminated */
	void (*prepare)(struct __test_metadata *_metadata, void *fx, void *st);
	int (*run)(void *fx, void *st);
	void (*done)(struct __test_metadata *_metadata, void *fx, void *st, int err,
		     bool injected);
};

/*
 * Run @op, called @name in the logs, under fault n = 0 (none), 1, 2, ...
 * until no fault is injected; its number of injection points.
 */
static unsigned int fault_loop(struct __test_metadata *_metadata, int fail, const char *name,
			       const struct fault_op *op, void *fx, void *st)
{
	unsigned int n, failed = 0, worked = 0, bad = 0, nr_errnos = 0, i;
	struct {
		int err;
		unsigned int count;
	} errnos[8];
	int err, fired, entry_code = _metadata->exit_code;
	bool any_bad = false;

	cur_op = name;
	for (n = 0; ; n++) {
		ASSERT_GT(FAIL_NTH_MAX, n) OP_LOG("still injecting faults");
		cur_n = n;
		/* to tell which iterations fail a check; restored below */
		_metadata->exit_code = KSFT_PASS;
		if (op->prepare)
			op->prepare(_metadata, fx, st);
		ASSERT_EQ(0, fail_nth_set(fail, n));
		err = op->run(fx, st);
		fired = fail_nth_end(fail);
		ASSERT_LE(0, fired) OP_LOG("cannot read fail-nth back");
		/* fail-nth reads 0 when it is off, too */
		if (!n)
			fired = 0;
		if (!fired) {
			EXPECT_EQ(0, err) OP_LOG("fails without injection: %s", strerror(err));
		} else if (err) {
			failed++;
			EXPECT_TRUE(errno_in(op->accept, err))
				OP_LOG("fails with errno %d (%s), which it must not", err, strerror(err));
			for (i = 0; i < nr_errnos && errnos[i].err != err; i++)
				;
			if (i == nr_errnos && nr_errnos < ARRAY_SIZE(errnos))
				errnos[nr_errnos++] = (typeof(errnos[0])){ err, 0 };
			if (i < nr_errnos)
				errnos[i].count++;
		} else {
			worked++;
		}
		op->done(_metadata, fx, st, err, fired);
		if (_metadata->exit_code != KSFT_PASS)
			any_bad = true;
		if (_metadata->exit_code != KSFT_PASS && ++bad >= MAX_BAD_ITERATIONS) {
			OP_LOG("giving up after %u iterations that failed a check", bad);
			COUNT_MSG("%s: gave up at fault %u\n", name, n);
			break;
		}
		if (n && !fired)
			break;
	}
	COUNT_MSG("%s: %u injection points (%u: failed cleanly, %u: worked anyway)\n",
		  name, n - 1, failed, worked);
	for (i = 0; i < nr_errnos; i++)
		COUNT_MSG("%s:   errno %d (%s) %u times\n", name, errnos[i].err,
			  strerror(errnos[i].err), errnos[i].count);
	_metadata->exit_code = any_bad ? KSFT_FAIL : entry_code;
	cur_op = "teardown";
	return n - 1;
}

/* ------------------------------------------------------------------ */
/* Fixture "fault": one O_RDWR open of the adapter, an op per variant */
/* ------------------------------------------------------------------ */

FIXTURE(fault) {
	int fail;		/* this thread's fail-nth */
	int fd;			/* O_RDWR open of the adapter */
	char bdf[64];
	char node[PATH_MAX];
	uint64_t page;
	struct vidshare_info info;
	char memtype[8];	/* the adapter's memory type, as debugfs names it */
	char *pat;		/* PAT's memtype list before the test */
	bool modes;		/* the adapter has a mode interface */
	struct vidshare_mode mode0;	/* its mode before the test */
};

/*
 * What sets an operation apart from the others that share its callbacks;
 * they find it in their struct op_state.
 */
struct op_args {
	unsigned long cmd;	/* INFO, GET_MODE, SET_MODE: the ioctl */
	size_t recorded;	/* INFO, GET_MODE: where setup put what it reports */
	struct {		/* SHARE: the view (pages plus bytes), the flags */
		uint64_t off_pages, off_bytes, size_pages, size_bytes;
		__u32 flags;
	} view;
	bool by_munmap;		/* unshare with munmap(2), not UNSHARE */
	bool write;		/* first touch by a write */
};

/* Each variant is an operation, and fault.VARIANT.one_fault_at_a_time runs it. */
FIXTURE_VARIANT(fault) {
	const char *name;	/* of the operation, in the logs */
	const struct fault_op *op;
	bool needs_modes;	/* skipped on an adapter without a mode interface */
	struct op_args args;
};

/* Setup of the "fault" fixture, also that of "nomem" (which embeds it). */
static void fault_open(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self)
{
	self->fd = -1;
	self->page = page_size();
	self->fail = fail_nth_setup(_metadata);
	if (self->fail < 0)
		return;
	ASSERT_EQ(0, find_adapter(self->bdf, sizeof(self->bdf), self->node, sizeof(self->node)))
		TH_LOG("no vidshare adapter");
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) failed", self->node);
	ASSERT_EQ(0, vs_info(self->fd, &self->info));
	ASSERT_LE(64 * self->page, self->info.fb_size);
	snprintf(self->memtype, sizeof(self->memtype), "%s", adapter_memtype(&self->info));
	self->modes = !vs_get_mode(self->fd, &self->mode0);
	self->pat = pat_read();
	ASSERT_TRUE(self->pat != NULL);
	ASSERT_EQ(0, debugfs_count(self->node, getpid()))
		TH_LOG("cannot read the debugfs list of shares of %s", self->node);
	ASSERT_EQ(0, dev_vmas(self->node));
}

FIXTURE_SETUP(fault)
{
	fault_open(_metadata, self);
}

FIXTURE_TEARDOWN(fault)
{
	struct vidshare_mode *m = &self->mode0;

	/* a disabled mode (all zero) cannot be set again; leave a valid one */
	if (self->fd >= 0 && self->modes && m->width && m->height && m->bpp) {
		EXPECT_EQ(0, vs_set_mode(self->fd, m->width, m->height, m->bpp));
	}
	if (self->fd >= 0)
		close(self->fd);
	if (self->fail >= 0)
		close(self->fail);
	free(self->pat);
}

/* Nothing of this process is left: no share, no mapping, PAT as before. */
static void check_clean(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self)
{
	EXPECT_EQ(0, debugfs_count(self->node, getpid())) OP_LOG("a share is left behind");
	EXPECT_EQ(0, dev_vmas(self->node)) OP_LOG("a mapping of the device is left behind");
	pat_check(_metadata, self->pat);
}

/*
 * @run failed under injection: it must have left nothing behind, and work
 * again without injection.
 */
static void retry_clean(struct __test_metadata *_metadata, void *fx, void *stp,
			int (*run)(void *fx, void *st))
{
	int err;

	check_clean(_metadata, fx);
	err = run(fx, stp);
	ASSERT_EQ(0, err) OP_LOG("fails again without injection: %s", strerror(err));
}

/*
 * The share @s, made by SHARE with @req, is exactly what SHARE leaves: its
 * geometry, one VMA, one debugfs row with the adapter's memory type read
 * back from page-table entries that are all there (no fault on the first
 * touch), the frame buffer's bytes at its offset (seen through a second
 * mapping), and PAT as before. Only a SHARE that ran into an injected
 * fault may have left the entries unfilled (SHARE still succeeds then, by
 * design, and the first touch fills them); they must then be filled once
 * touched.
 */
static void check_share(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
			const struct vidshare_share *req, const struct vidshare_share *s,
			bool injected)
{
	const bool ro = req->flags & VIDSHARE_SHARE_READONLY;
	const uint64_t p = self->page, start = pg_down(s->virtual_addr);
	volatile uint8_t *base = (volatile uint8_t *)(uintptr_t)start, *alias;
	uint32_t seed = new_seed();
	struct share_row row;
	struct vma_desc v;
	char want[16];
	long faults;

	EXPECT_EQ(pg_down(req->view_offset), s->shared_offset);
	EXPECT_EQ(pg_up(req->view_offset + req->view_size) - pg_down(req->view_offset),
		  s->shared_size);
	EXPECT_EQ(req->view_offset & (p - 1), s->virtual_addr & (p - 1));
	if (req->flags & VIDSHARE_SHARE_FIXED) {
		EXPECT_EQ(req->requested_addr, start) OP_LOG("FIXED share elsewhere");
	}
	ASSERT_EQ(0, find_vma(start, &v)) OP_LOG("no VMA at the share");
	EXPECT_EQ(start, v.start);
	EXPECT_EQ(start + s->shared_size, v.end);
	EXPECT_STREQ(ro ? "r--s" : "rw-s", v.perms);
	EXPECT_EQ(1, dev_vmas(self->node));

	ASSERT_EQ(0, debugfs_row(self->node, start, &row)) OP_LOG("the share is not in debugfs");
	EXPECT_EQ(s->shared_size, row.size);
	EXPECT_EQ(s->shared_offset, row.offset);
	snprintf(want, sizeof(want), "%s,%s", ro ? "ro" : "rw", self->memtype);
	if (injected && !strcmp(row.flags, ro ? "ro,-" : "rw,-")) {
		OP_LOG("note: SHARE worked but its fill failed; the first touch fills it");
		faults = faults_reading(base, s->shared_size);
		EXPECT_LE(1, faults);
	} else {
		EXPECT_STREQ(want, row.flags);
		faults = faults_reading(base, s->shared_size);
		EXPECT_EQ(0, faults) OP_LOG("the share was not filled by SHARE");
	}
	ASSERT_EQ(0, debugfs_row(self->node, start, &row));
	EXPECT_STREQ(want, row.flags) OP_LOG("touched, the share has no memory type");

	/* Its bytes are the frame buffer's at shared_offset. */
	alias = dev_mmap(self->fd, s->shared_offset, s->shared_size, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(alias != NULL);
	if (ro) {
		stamp(alias, s->shared_size, seed);
		EXPECT_EQ(-1, stamp_mismatch(base, s->shared_size, seed));
		EXPECT_EQ(SIGSEGV, probe_write(base + 8));
	} else {
		stamp(base, s->shared_size, seed);
		EXPECT_EQ(-1, stamp_mismatch(alias, s->shared_size, seed));
	}
	EXPECT_EQ(0, munmap((void *)alias, s->shared_size));
	pat_check(_metadata, self->pat);
}

/* Per-operation state. */
struct op_state {
	struct op_args a;		/* of the operation */
	struct vidshare_share req;	/* a SHARE request */
	struct vidshare_share s;	/* what SHARE made of it */
	volatile uint8_t *m;		/* an mmap(2) of the device */
	uint64_t off;			/* its offset */
	size_t len;			/* its length */
	uint32_t seed;
	int fd2;
	int fds;			/* open files before the operation */
	union {				/* the argument of the ioctl a.cmd */
		struct vidshare_info info;
		struct vidshare_mode mode;
	} arg;
	struct sigaction old_segv, old_bus;
};

/* open(2) */

static void open_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	struct op_state *st = stp;

	st->fds = count_fds();
	ASSERT_LT(0, st->fds);
	st->fd2 = -1;
}

static int open_run(void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	st->fd2 = open(self->node, O_RDWR | O_CLOEXEC);
	return st->fd2 < 0 ? errno : 0;
}

static void open_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		      bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	struct vidshare_info info;
	struct vidshare_share s;

	if (err) {
		EXPECT_EQ(st->fds, count_fds()) OP_LOG("a failed open left a file");
		retry_clean(_metadata, fx, stp, open_run);
	}
	/* The new file is a whole one: INFO, SHARE and UNSHARE work on it. */
	EXPECT_EQ(st->fds + 1, count_fds());
	ASSERT_EQ(0, vs_info(st->fd2, &info));
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)));
	ASSERT_EQ(0, vs_share(st->fd2, self->page + 8, 16, 0, 0, &s));
	EXPECT_EQ(1, debugfs_count(self->node, getpid()));
	fill(share_ptr(&s), 16, new_seed());
	EXPECT_EQ(0, vs_unshare(st->fd2, s.virtual_addr));
	EXPECT_EQ(0, close(st->fd2));
	EXPECT_EQ(st->fds, count_fds());
	check_clean(_metadata, self);
}

/*
 * INFO and GET_MODE need nothing but an open file, always work, and must
 * report what they reported at setup.
 */

static void query_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	struct op_state *st = stp;

	memset(&st->arg, 0xa5, _IOC_SIZE(st->a.cmd));
}

/* The ioctl a.cmd with st->arg: INFO, GET_MODE and SET_MODE. */
static int ioctl_run(void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	return vs_ioctl(self->fd, st->a.cmd, &st->arg);
}

static void query_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		       bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	if (!err) {
		EXPECT_EQ(0, memcmp(&st->arg, (char *)self + st->a.recorded, _IOC_SIZE(st->a.cmd)))
			OP_LOG("%s reports something else than at setup", cur_op);
	}
	check_clean(_metadata, self);
}

/* SHARE of the view in a.view */

static void share_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	const uint64_t p = self->page;
	uint64_t free4m;

	memset(&st->req, 0, sizeof(st->req));
	st->req.view_offset = st->a.view.off_pages * p + st->a.view.off_bytes;
	st->req.view_size = st->a.view.size_pages * p + st->a.view.size_bytes;
	st->req.flags = st->a.view.flags;
	if (st->req.flags & VIDSHARE_SHARE_FIXED) {
		/* a free address two pages below a 2 MiB boundary */
		free4m = free_range(2 * SZ_2M / p);
		ASSERT_NE(0ULL, free4m);
		st->req.requested_addr = ((free4m + p + SZ_2M - 1) & ~(SZ_2M - 1)) - 2 * p;
	}
}

static int share_run(void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	st->s = st->req;
	return vs_share_raw(self->fd, &st->s);
}

static void share_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		       bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	if (err) {
		if (st->req.flags & VIDSHARE_SHARE_FIXED) {
			/* the requested range is still free */
			EXPECT_EQ(ENOMEM, mincore_errno(st->req.requested_addr));
			EXPECT_EQ(ENOMEM, mincore_errno(st->req.requested_addr +
							pg_up(st->req.view_size) - 1));
		}
		retry_clean(_metadata, fx, stp, share_run);
		injected = false;
	}
	check_share(_metadata, self, &st->req, &st->s, injected);
	EXPECT_EQ(0, vs_unshare(self->fd, st->s.virtual_addr));
	check_clean(_metadata, self);
}

/* UNSHARE and munmap(2) of a share: atomic, a failure leaves the share. */

static void unmap_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	/* unaligned, and longer than 2 MiB: more than one page table to free */
	ASSERT_EQ(0, vs_share(self->fd, 3 * self->page + 40, SZ_2M, 0, 0, &st->s));
	st->seed = new_seed();
	stamp((volatile uint8_t *)share_base(&st->s), st->s.shared_size, st->seed);
}

/* UNSHARE of the share st->s, or munmap(2) of it (a.by_munmap). */
static int unmap_run(void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	if (st->a.by_munmap)
		return munmap(share_base(&st->s), st->s.shared_size) ? errno : 0;
	return vs_unshare(self->fd, st->s.virtual_addr);
}

static void unmap_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		       bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	const uint64_t start = pg_down(st->s.virtual_addr), size = st->s.shared_size;
	volatile uint8_t *base = (volatile uint8_t *)(uintptr_t)start;
	struct share_row row;
	struct vma_desc v;
	char want[16];

	if (err) {
		/* The share is still there, exactly as it was, and usable. */
		ASSERT_EQ(0, debugfs_row(self->node, start, &row))
			OP_LOG("a failed %s took the share off the list", cur_op);
		EXPECT_EQ(size, row.size);
		EXPECT_EQ(st->s.shared_offset, row.offset);
		snprintf(want, sizeof(want), "rw,%s", self->memtype);
		EXPECT_STREQ(want, row.flags);
		ASSERT_EQ(0, find_vma(start, &v)) OP_LOG("a failed %s unmapped the share", cur_op);
		EXPECT_EQ(start, v.start);
		EXPECT_EQ(start + size, v.end);
		EXPECT_STREQ("rw-s", v.perms);
		ASSERT_EQ(0, probe_read(base)) OP_LOG("the share is not readable");
		ASSERT_EQ(0, probe_write(base + 8)) OP_LOG("the share is not writable");
		EXPECT_EQ(0, faults_reading(base, size))
			OP_LOG("a failed %s took page-table entries of the share", cur_op);
		EXPECT_EQ(-1, stamp_mismatch(base, size, st->seed));
		st->seed = ~st->seed;
		stamp(base, size, st->seed);
		EXPECT_EQ(-1, stamp_mismatch(base, size, st->seed));
		pat_check(_metadata, self->pat);
		/* A failed UNSHARE (munmap) can be repeated. */
		err = unmap_run(fx, stp);
		EXPECT_EQ(0, err) OP_LOG("fails again without injection: %s", strerror(err));
	}
	EXPECT_EQ(-ESRCH, debugfs_row(self->node, start, &row));
	EXPECT_EQ(-ESRCH, find_vma(start, &v));
	EXPECT_EQ(ENOMEM, mincore_errno(start));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, st->s.virtual_addr));
	check_clean(_metadata, self);
}

/* mmap(2) of the device, and its first touch */

static void mmap_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	st->off = 8 * self->page;
	st->len = SZ_2M + 2 * self->page;
	st->m = NULL;
}

static int mmap_run(void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	void *p = mmap(NULL, st->len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, st->off);

	st->m = p == MAP_FAILED ? NULL : p;
	return st->m ? 0 : errno;
}

/*
 * The mmap(2) st->m is what mmap(2) leaves: one VMA, one debugfs row
 * without page-table entries ("-"); one fault fills it all (@touched: that
 * fault happened already), and it maps the frame buffer from st->off on.
 * Unmaps it.
 */
static void check_mmap(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
		       struct op_state *st, bool touched)
{
	const uint64_t start = (uintptr_t)st->m, size = pg_up(st->len);
	struct vidshare_share alias;
	struct share_row row;
	struct vma_desc v;
	char want[16];

	snprintf(want, sizeof(want), "rw,%s", self->memtype);
	ASSERT_EQ(0, find_vma(start, &v)) OP_LOG("no VMA at the mmap(2)");
	EXPECT_EQ(start, v.start);
	EXPECT_EQ(start + size, v.end);
	EXPECT_STREQ("rw-s", v.perms);
	EXPECT_EQ(1, dev_vmas(self->node));
	ASSERT_EQ(0, debugfs_row(self->node, start, &row)) OP_LOG("the mmap(2) is not in debugfs");
	EXPECT_EQ(size, row.size);
	EXPECT_EQ(st->off, row.offset);
	EXPECT_STREQ(touched ? want : "rw,-", row.flags);
	EXPECT_EQ(touched ? 0 : 1, faults_reading(st->m, size))
		OP_LOG("one fault must fill the whole mapping");
	ASSERT_EQ(0, debugfs_row(self->node, start, &row));
	EXPECT_STREQ(want, row.flags);

	/* Its bytes are the frame buffer's from st->off on. */
	st->seed = new_seed();
	stamp(st->m, size, st->seed);
	ASSERT_EQ(0, vs_share(self->fd, st->off, size, VIDSHARE_SHARE_READONLY, 0, &alias));
	EXPECT_EQ(-1, stamp_mismatch(share_ptr(&alias), size, st->seed));
	EXPECT_EQ(0, vs_unshare(self->fd, alias.virtual_addr));
	pat_check(_metadata, self->pat);
	EXPECT_EQ(0, munmap((void *)st->m, size));
	st->m = NULL;
}

static void mmap_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		      bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	if (err)
		retry_clean(_metadata, fx, stp, mmap_run);
	check_mmap(_metadata, self, st, false);
	check_clean(_metadata, self);
}

static sigjmp_buf touch_env;
static volatile sig_atomic_t touch_sig;

static void touch_handler(int sig)
{
	touch_sig = sig;
	siglongjmp(touch_env, 1);
}

static void touch_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	struct op_state *st = stp;
	struct sigaction sa;

	mmap_prepare(_metadata, fx, st);
	ASSERT_EQ(0, mmap_run(fx, st));
	st->seed = new_seed();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = touch_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &st->old_segv);
	sigaction(SIGBUS, &sa, &st->old_bus);
	touch_sig = 0;
}

/*
 * The first touch: the fault that fills the whole mapping. An injected
 * fault makes the fill fail with ENOMEM: VM_FAULT_OOM, and the kernel
 * retries the access. It must end up working, never with a signal.
 */
static int touch_run(void *fx, void *stp)
{
	struct op_state *st = stp;

	if (sigsetjmp(touch_env, 1))
		return EFAULT;
	if (st->a.write)
		*(volatile uint32_t *)st->m = st->seed;
	else
		probe_sink = *st->m;
	return 0;
}

static void touch_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		       bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	struct vidshare_share alias;

	sigaction(SIGSEGV, &st->old_segv, NULL);
	sigaction(SIGBUS, &st->old_bus, NULL);
	ASSERT_EQ(0, err) OP_LOG("the first touch raised signal %d", (int)touch_sig);
	if (st->a.write) {
		ASSERT_EQ(0, vs_share(self->fd, st->off, 4, VIDSHARE_SHARE_READONLY, 0, &alias));
		EXPECT_EQ(st->seed, *(volatile uint32_t *)share_ptr(&alias));
		EXPECT_EQ(0, vs_unshare(self->fd, alias.virtual_addr));
	}
	check_mmap(_metadata, self, st, true);
	check_clean(_metadata, self);
}

/* close(2): always works; ->release runs on the way back to userspace. */

static void close_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	st->fds = count_fds();
	st->fd2 = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, st->fd2);
}

static int close_run(void *fx, void *stp)
{
	struct op_state *st = stp;

	return close(st->fd2) ? errno : 0;
}

static void close_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		       bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;

	EXPECT_EQ(-1, fcntl(st->fd2, F_GETFD));
	EXPECT_EQ(st->fds, count_fds());
	check_clean(_metadata, self);
}

/* SET_MODE: register accesses only, it must not fail. */

static void set_mode_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	bool is640 = self->mode0.width == 640 && self->mode0.height == 480;

	/* a mode the adapter is not in, so that SET_MODE changes something */
	memset(&st->arg.mode, 0, sizeof(st->arg.mode));
	st->arg.mode.width = is640 ? 800 : 640;
	st->arg.mode.height = is640 ? 600 : 480;
	st->arg.mode.bpp = 32;
}

static void set_mode_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
			  bool injected)
{
	FIXTURE_DATA(fault) *self = fx;
	struct op_state *st = stp;
	const struct vidshare_mode *m0 = &self->mode0, *set = &st->arg.mode;
	struct vidshare_mode m;

	if (!err) {
		ASSERT_EQ(0, vs_get_mode(self->fd, &m));
		EXPECT_EQ(set->width, m.width);
		EXPECT_EQ(set->height, m.height);
		EXPECT_EQ(set->bpp, m.bpp);
		EXPECT_EQ(set->width * set->bpp / 8, m.stride);
	}
	if (m0->width && m0->height && m0->bpp) {
		EXPECT_EQ(0, vs_set_mode(self->fd, m0->width, m0->height, m0->bpp));
	}
	check_clean(_metadata, self);
}

/* The kinds of operation: the errnos they may fail with, their callbacks */

static const struct fault_op open_op = {
	.accept = accept_enomem, .prepare = open_prepare, .run = open_run, .done = open_done,
};

static const struct fault_op query_op = {
	.accept = accept_none, .prepare = query_prepare, .run = ioctl_run, .done = query_done,
};

static const struct fault_op set_mode_op = {
	.accept = accept_none,
	.prepare = set_mode_prepare, .run = ioctl_run, .done = set_mode_done,
};

static const struct fault_op share_op = {
	.accept = accept_enomem, .prepare = share_prepare, .run = share_run, .done = share_done,
};

static const struct fault_op unmap_op = {
	.accept = accept_enomem, .prepare = unmap_prepare, .run = unmap_run, .done = unmap_done,
};

static const struct fault_op mmap_op = {
	.accept = accept_enomem, .prepare = mmap_prepare, .run = mmap_run, .done = mmap_done,
};

static const struct fault_op touch_op = {
	.accept = accept_none, .prepare = touch_prepare, .run = touch_run, .done = touch_done,
};

static const struct fault_op close_op = {
	.accept = accept_none, .prepare = close_prepare, .run = close_run, .done = close_done,
};

/* The operations, a variant each (see the top of this file) */

FIXTURE_VARIANT_ADD(fault, open_node) { .name = "open", .op = &open_op };

FIXTURE_VARIANT_ADD(fault, info) {
	.name = "INFO", .op = &query_op,
	.args = { .cmd = VIDSHARE_IOC_INFO, .recorded = offsetof(FIXTURE_DATA(fault), info) },
};

FIXTURE_VARIANT_ADD(fault, get_mode) {
	.name = "GET_MODE", .op = &query_op, .needs_modes = true,
	.args = { .cmd = VIDSHARE_IOC_GET_MODE, .recorded = offsetof(FIXTURE_DATA(fault), mode0) },
};

FIXTURE_VARIANT_ADD(fault, set_mode) {
	.name = "SET_MODE", .op = &set_mode_op, .needs_modes = true,
	.args.cmd = VIDSHARE_IOC_SET_MODE,
};

/* Plain: a view longer than 2 MiB, so the fill needs more than one page table. */
FIXTURE_VARIANT_ADD(fault, share) {
	.name = "SHARE", .op = &share_op,
	.args.view = { .size_pages = 2, .size_bytes = SZ_2M },
};

/* FIXED at a free address, its four pages straddling a 2 MiB boundary. */
FIXTURE_VARIANT_ADD(fault, share_fixed_at_free_address) {
	.name = "SHARE FIXED", .op = &share_op,
	.args.view = { .off_pages = 9, .size_pages = 4, .flags = VIDSHARE_SHARE_FIXED },
};

FIXTURE_VARIANT_ADD(fault, share_readonly) {
	.name = "SHARE READONLY", .op = &share_op,
	.args.view = { .off_pages = 5, .size_pages = 3, .flags = VIDSHARE_SHARE_READONLY },
};

/* A view at an unaligned offset: three pages mapped, virtual_addr inside. */
FIXTURE_VARIANT_ADD(fault, share_unaligned_view) {
	.name = "SHARE unaligned", .op = &share_op,
	.args.view = { .off_pages = 7, .off_bytes = 123, .size_pages = 2 },
};

FIXTURE_VARIANT_ADD(fault, unshare_is_atomic) { .name = "UNSHARE", .op = &unmap_op };

FIXTURE_VARIANT_ADD(fault, munmap_of_share) {
	.name = "munmap", .op = &unmap_op, .args.by_munmap = true,
};

FIXTURE_VARIANT_ADD(fault, mmap) { .name = "mmap", .op = &mmap_op };

FIXTURE_VARIANT_ADD(fault, mmap_first_touch_read) {
	.name = "mmap first touch (read)", .op = &touch_op,
};

FIXTURE_VARIANT_ADD(fault, mmap_first_touch_write) {
	.name = "mmap first touch (write)", .op = &touch_op, .args.write = true,
};

FIXTURE_VARIANT_ADD(fault, close) { .name = "close", .op = &close_op };

/* The variant's operation under fault n = 0 (none), 1, 2, ... */
TEST_F(fault, one_fault_at_a_time)
{
	struct op_state st = { .a = variant->args };

	if (variant->needs_modes && !self->modes)
		SKIP(return, "the adapter has no mode interface");
	fault_loop(_metadata, self->fail, variant->name, variant->op, self, &st);
}

/* ------------------------------------------------------------------ */
/* Fixture "nomem": UNSHARE (munmap) with every allocation failing      */
/* ------------------------------------------------------------------ */

/*
 * With one fault at a time (fail-nth, above) vm_munmap() never fails on
 * Linux 6.12, and that is no gap in the loop: for one whole VMA it has a
 * single allocation that can make it fail, and that one is retried.
 * do_vmi_munmap() -> do_vmi_align_munmap():
 *
 * - vms_gather_munmap_vmas() splits nothing (the range is the whole VMA)
 *   and stores the VMA at index 0 of an empty on-stack maple tree with
 *   mas_store_gfp(): a root pointer, no node (mas_prealloc_calc(),
 *   wr_store_root with index = last = 0), so nothing to allocate;
 * - vma_iter_clear_gfp(vmi, start, end, GFP_KERNEL) writes NULL over the
 *   range in the mm's maple tree: mas_store_gfp() preallocates its nodes
 *   with GFP_NOWAIT (mas_wr_preallocate() -> mas_node_count()), and when
 *   that fails mas_nomem() allocates them again with GFP_KERNEL; only when
 *   that fails too does vm_munmap() return -ENOMEM, after reattach_vmas()
 *   put the VMA back: nothing changed (the page tables are only touched
 *   after this, in vms_complete_munmap_vmas(), the point of no return).
 *
 * So it fails only when two allocations in a row fail: one injected fault
 * is always absorbed by the retry. And only when the store needs a node at
 * all: the mm's tree is in RCU mode, so writing NULL over a VMA with a gap
 * before or after it (mas_wr_extend_null() merges the gap into the range)
 * rewrites the leaf and needs at least one new node; a VMA with other VMAs
 * right before and after it is replaced in place (wr_exact_fit, no node),
 * and vm_munmap() of it cannot fail with ENOMEM at all. After that store
 * nothing can fail (vms_complete_munmap_vmas() returns void; what it
 * allocates, like the mmu_gather batch page, has a fallback).
 *
 * The tests here therefore make every allocation of the calling thread
 * fail: failslab and fail_page_alloc with task-filter=Y, probability=100,
 * interval=1, space=0 and times=K, and /proc/self/task/TID/make-it-fail=1
 * just around the one UNSHARE (or munmap(2)). times=K limits the faults to
 * the first K slab and the first K page allocations; what is left of times
 * afterwards tells how many were failed. K = 1, 2, ... until neither
 * budget ran out: then every allocation the operation made was failed.
 * Each K: the operation works (the share is gone) or fails with ENOMEM,
 * and then the share is still there exactly as it was (debugfs, maps,
 * readable and writable with its data, its page-table entries), still
 * counts toward max_shares, and the same call without injection works.
 * With the share between gaps (variants unshare, munmap) some K must make
 * it fail; between two VMAs (unshare_between_vmas) it cannot, as above.
 *
 * Needs, at the start, the knobs the "fault" fixture checks (probability
 * 0, task-filter N; ignore-gfp-wait N, or the GFP_KERNEL retry is never
 * failed). The test changes probability, interval, times, space and
 * task-filter of both, and max_shares; the parent restores them all from
 * what setup read, also when the test failed or crashed.
 */

/* More K than any UNSHARE has allocations: a loop that runs away. */
#define NOMEM_K_MAX		64U

static const char *const fail_attrs[] = { "failslab", "fail_page_alloc" };
#define NR_FAIL_ATTRS		ARRAY_SIZE(fail_attrs)
/* probability first: it is set last and cleared first */
static const char *const fail_knobs[] = {
	"probability", "interval", "times", "space", "task-filter",
};

#define NR_FAIL_KNOBS		ARRAY_SIZE(fail_knobs)

struct fail_knobs {
	bool saved;
	char val[NR_FAIL_ATTRS][NR_FAIL_KNOBS][24];
};

static int fail_knob_write(unsigned int attr, const char *knob, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s/%s", fail_attrs[attr], knob);
	return write_file(path, val);
}

static int fail_knobs_save(struct fail_knobs *k)
{
	char path[128];
	unsigned int a, i;
	ssize_t r;

	for (a = 0; a < NR_FAIL_ATTRS; a++) {
		for (i = 0; i < NR_FAIL_KNOBS; i++) {
			snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s/%s", fail_attrs[a],
				 fail_knobs[i]);
			r = read_file(path, k->val[a][i], sizeof(k->val[a][i]));
			if (r < 0)
				return r;
			k->val[a][i][strcspn(k->val[a][i], "\n")] = '\0';
		}
	}
	k->saved = true;
	return 0;
}

/*
 * Back to what fail_knobs_save() read: probability first. 0 or -errno,
 * with the knob that failed in @what.
 */
static int fail_knobs_restore(const struct fail_knobs *k, char *what, size_t size)
{
	unsigned int a, i;
	int err = 0, r;

	if (!k->saved)
		return 0;
	for (i = 0; i < NR_FAIL_KNOBS; i++) {
		for (a = 0; a < NR_FAIL_ATTRS; a++) {
			r = fail_knob_write(a, fail_knobs[i], k->val[a][i]);
			if (r && !err) {
				err = r;
				snprintf(what, size, "%s/%s = %s", fail_attrs[a], fail_knobs[i],
					 k->val[a][i]);
			}
		}
	}
	return err;
}

/*
 * Fail the first @k slab and the first @k page allocations of every task
 * with make-it-fail set (none yet). 0 or -errno.
 */
static int fail_all_arm(unsigned int k)
{
	char times[16];
	unsigned int a;
	int err = 0;

	snprintf(times, sizeof(times), "%u", k);
	for (a = 0; a < NR_FAIL_ATTRS && !err; a++) {
		err = fail_knob_write(a, "task-filter", "Y") ?:
		      fail_knob_write(a, "interval", "1") ?:
		      fail_knob_write(a, "space", "0") ?:
		      fail_knob_write(a, "times", times);
	}
	for (a = 0; a < NR_FAIL_ATTRS && !err; a++)
		err = fail_knob_write(a, "probability", "100");
	return err;
}

/* Injection off again; what is left of times of each attribute in @left. */
static int fail_all_disarm(int left[NR_FAIL_ATTRS])
{
	char path[128], val[24];
	unsigned int a;
	int err = 0, r;

	for (a = 0; a < NR_FAIL_ATTRS; a++) {
		r = fail_knob_write(a, "probability", "0");
		if (r && !err)
			err = r;
	}
	for (a = 0; a < NR_FAIL_ATTRS; a++) {
		snprintf(path, sizeof(path), FAULT_DEBUGFS "/%s/times", fail_attrs[a]);
		r = read_file(path, val, sizeof(val));
		if (r < 0 && !err)
			err = r;
		left[a] = r < 0 ? -1 : atoi(val);
	}
	return err;
}

FIXTURE(nomem) {
	FIXTURE_DATA(fault) f;	/* for the helpers of the "fault" fixture */
	int mif;		/* this thread's /proc/self/task/TID/make-it-fail */
	/* as setup found them; the parent puts them back */
	struct fail_knobs knobs;
	unsigned int max_shares;
	bool max_shares_saved;
	/* the share's neighbours (variant between), or MAP_FAILED */
	void *nb[2];
};

FIXTURE_VARIANT(nomem) {
	bool by_munmap;		/* munmap(2) of the share, not UNSHARE */
	bool between;		/* a VMA right before and after the share */
};

FIXTURE_VARIANT_ADD(nomem, unshare) {
	.by_munmap = false, .between = false,
};

FIXTURE_VARIANT_ADD(nomem, unshare_between_vmas) {
	.by_munmap = false, .between = true,
};

FIXTURE_VARIANT_ADD(nomem, munmap) {
	.by_munmap = true, .between = false,
};

FIXTURE_SETUP(nomem)
{
	char path[64];

	self->mif = -1;
	self->nb[0] = MAP_FAILED;
	self->nb[1] = MAP_FAILED;
	fault_open(_metadata, &self->f);
	if (_metadata->exit_code)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%ld/make-it-fail",
		 (long)syscall(SYS_gettid));
	self->mif = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->mif) TH_LOG("open(%s): %s", path, strerror(errno));
	ASSERT_EQ(0, fail_knobs_save(&self->knobs));
	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &self->max_shares));
	self->max_shares_saved = true;
}

/*
 * In the parent, so that it also runs when the test died: the knobs and
 * max_shares as they were. (The fds are the child's, gone with it.)
 */
FIXTURE_TEARDOWN_PARENT(nomem)
{
	char buf[16], what[96] = "";
	int err = fail_knobs_restore(&self->knobs, what, sizeof(what));

	/*
	 * Not EXPECT_EQ() ... TH_LOG(): after a failed ASSERT in the child,
	 * _metadata->trigger is still set and the handler would log anyway.
	 */
	if (err) {
		TH_LOG("cannot restore %s: %s", what, strerror(-err));
		_metadata->exit_code = KSFT_FAIL;
	}
	if (self->max_shares_saved) {
		snprintf(buf, sizeof(buf), "%u", self->max_shares);
		EXPECT_EQ(0, write_file(MAX_SHARES_PARAM, buf));
	}
}

/*
 * With max_shares 1, SHARE on the file must fail with ENOSPC when @counted
 * (it holds the share under test) and work when not (it holds nothing).
 */
static void check_counted(struct __test_metadata *_metadata, FIXTURE_DATA(nomem) *self,
			  bool counted)
{
	struct vidshare_share s;
	char buf[16];
	int err;

	ASSERT_EQ(0, write_file(MAX_SHARES_PARAM, "1"));
	err = vs_share(self->f.fd, 0, self->f.page, VIDSHARE_SHARE_READONLY, 0, &s);
	if (!err) {
		EXPECT_EQ(0, vs_unshare(self->f.fd, s.virtual_addr));
	}
	snprintf(buf, sizeof(buf), "%u", self->max_shares);
	ASSERT_EQ(0, write_file(MAX_SHARES_PARAM, buf));
	if (counted) {
		EXPECT_EQ(ENOSPC, err)
			OP_LOG("the share a failed %s left no longer counts toward max_shares",
			       cur_op);
	} else {
		EXPECT_EQ(0, err) OP_LOG("the file still counts a share after the retry");
	}
}

/*
 * A FIXED share of 2 MiB + 1 page (an unaligned view: more than one page
 * table) with a free page before and after it, or (between) one page of
 * another VMA right before and after it.
 */
static void nomem_prepare(struct __test_metadata *_metadata, FIXTURE_DATA(nomem) *self,
			  const FIXTURE_VARIANT(nomem) *variant, struct op_state *st)
{
	const uint64_t p = self->f.page, size = SZ_2M + p;
	uint64_t a = free_range(size / p + 4), at[2] = { a + p, a + 2 * p + size };
	struct vma_desc v;
	int i;

	ASSERT_NE(0ULL, a);
	for (i = 0; i < 2 && variant->between; i++) {
		self->nb[i] = mmap((void *)(uintptr_t)at[i], p, PROT_READ,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		ASSERT_EQ((void *)(uintptr_t)at[i], self->nb[i]);
	}
	ASSERT_EQ(0, vs_share(self->f.fd, 3 * p + 40, SZ_2M, VIDSHARE_SHARE_FIXED, a + 2 * p,
			      &st->s));
	ASSERT_EQ(a + 2 * p, pg_down(st->s.virtual_addr));
	ASSERT_EQ(size, st->s.shared_size);
	/* the layout the variant is about */
	ASSERT_EQ(variant->between ? 0 : -ESRCH, find_vma(at[0], &v));
	ASSERT_EQ(variant->between ? 0 : -ESRCH, find_vma(at[1], &v));
	st->seed = new_seed();
	stamp((volatile uint8_t *)share_base(&st->s), size, st->seed);
}

/* The operation, with make-it-fail set around it: 0 or its errno. */
static int nomem_run(FIXTURE_DATA(nomem) *self, struct op_state *st)
{
	int err, i;

	if (write(self->mif, "1", 1) != 1)
		return -1;
	err = unmap_run(&self->f, st);
	/* cannot fail (proc_fault_inject_write() allocates nothing); be sure */
	for (i = 0; i < 100 && write(self->mif, "0", 1) != 1; i++)
		;
	return err;
}

TEST_F_TIMEOUT(nomem, every_allocation_fails, 300)
{
	const char *name = variant->by_munmap ? "munmap (all allocations fail)" :
			   variant->between ? "UNSHARE between VMAs (all allocations fail)" :
			   "UNSHARE (all allocations fail)";
	struct op_state st = { .a.by_munmap = variant->by_munmap };
	unsigned int k, failed = 0, worked = 0, first_fail = 0, inj[NR_FAIL_ATTRS];
	int err, left[NR_FAIL_ATTRS], entry_code = _metadata->exit_code, i;
	bool any_bad = false, all = false;
	char val[8];

	cur_op = name;
	for (k = 0; !all; k++) {
		ASSERT_GT(NOMEM_K_MAX, k) OP_LOG("still failing allocations");
		cur_n = k;
		_metadata->exit_code = KSFT_PASS;
		nomem_prepare(_metadata, self, variant, &st);
		/* k = 0: no injection; warms up the path, checks a plain run */
		if (k) {
			ASSERT_EQ(0, fail_all_arm(k)) OP_LOG("cannot set the injection knobs");
		}
		err = nomem_run(self, &st);
		ASSERT_LE(0, err) OP_LOG("cannot write make-it-fail");
		memset(left, 0, sizeof(left));
		if (k) {
			ASSERT_EQ(0, fail_all_disarm(left));
		}
		ASSERT_LT(0, pread(self->mif, val, sizeof(val), 0));
		ASSERT_EQ('0', val[0]) OP_LOG("make-it-fail is still set");
		for (i = 0; i < (int)NR_FAIL_ATTRS; i++) {
			ASSERT_LE(0, left[i]);
			inj[i] = k - left[i];
		}
		/* neither budget ran out: every allocation was failed */
		all = k && left[0] && left[1];
		if (k) {
			COUNT_MSG("%s: times=%u: %u slab and %u page allocations failed%s: %s\n",
				  name, k, inj[0], inj[1], all ? " (all it made)" : "",
				  err ? strerror(err) : "worked");
		}
		if (!k || !(inj[0] + inj[1])) {
			EXPECT_EQ(0, err) OP_LOG("fails without injection: %s", strerror(err));
		} else if (err) {
			EXPECT_EQ(ENOMEM, err) OP_LOG("fails with %s, not ENOMEM", strerror(err));
			failed++;
			if (!first_fail)
				first_fail = k;
		} else {
			worked++;
		}

		if (err)
			check_counted(_metadata, self, true);
		unmap_done(_metadata, &self->f, &st, err, true);
		if (err)
			check_counted(_metadata, self, false);
		for (i = 0; i < 2; i++) {
			if (self->nb[i] != MAP_FAILED) {
				EXPECT_EQ(0, munmap(self->nb[i], self->f.page));
			}
			self->nb[i] = MAP_FAILED;
		}
		if (_metadata->exit_code != KSFT_PASS)
			any_bad = true;
	}
	_metadata->exit_code = any_bad ? KSFT_FAIL : entry_code;
	COUNT_MSG("%s: %u allocations (%u slab, %u page), failed cleanly with ENOMEM %u times (from times=%u on), worked %u times\n",
		  name, inj[0] + inj[1], inj[0], inj[1], failed, first_fail, worked);
	COUNT_MSG("%s: injected by failslab and fail_page_alloc with task-filter=Y, make-it-fail=1 around the call, probability=100, interval=1, space=0, times=K for K = 1..%u\n",
		  name, k - 1);
	if (!variant->between) {
		EXPECT_LT(0U, failed)
			TH_LOG("no injection made %s fail: the failure path went untested", name);
	} else if (failed) {
		TH_LOG("note: %s failed although the share sits between two VMAs", name);
	}
	cur_op = "teardown";
}

/* ------------------------------------------------------------------ */
/* Fixture "bind": probe and remove under injection                     */
/* ------------------------------------------------------------------ */

/*
 * The probe runs in the context of the thread that writes the PCI address
 * to the driver's bind file (no NUMA node: pci_call_probe() calls it
 * directly), and the remove in that of the writer of unbind: fail-nth of
 * the writer reaches both.
 */
FIXTURE(bind) {
	int fail;
	char bdf[64];
	char node[PATH_MAX];
	uint64_t page;
	struct vidshare_info info;	/* of the adapter, bound */
	int get_mode_err;		/* what GET_MODE gives, bound */
	char attrs[512];		/* its sysfs attributes, bound */
	char *pat_bound, *pat_unbound;	/* PAT's memtype list */
	int iomem_bound;		/* its claims in /proc/iomem, bound */
	int ctl;			/* the bind or unbind file */
	/* unbind: a file, a share and an mmap(2) of it, to be revoked */
	int fd;
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed;
};

/* The sysfs attributes of the class device behind @node. */
static int read_attrs(const char *node, char *buf, size_t size)
{
	static const char *const names[] = {
		"adapter", "fb_bar", "fb_size", "write_combining", "max_shares", "mode",
	};
	const char *base = strrchr(node, '/');
	char path[PATH_MAX], val[128];
	size_t i, len = 0;

	base = base ? base + 1 : node;
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), CLASS_DIR "/%s/%s", base, names[i]);
		if (read_file(path, val, sizeof(val)) < 0)
			return -ENOENT;
		len += snprintf(buf + len, size - len, "%s=%s", names[i], val);
		if (len >= size)
			return -ENOSPC;
	}
	return 0;
}

static void unbind_adapter(struct __test_metadata *_metadata, FIXTURE_DATA(bind) *self)
{
	char name[64];

	if (driver_bound(self->bdf)) {
		ASSERT_EQ(0, unbind_device(self->bdf)) OP_LOG("unbind without injection fails");
	}
	EXPECT_EQ(-ENOENT, find_class_dev(self->bdf, name, sizeof(name)));
}

/*
 * The adapter is bound, exactly as a bind without injection leaves it:
 * its node opens, INFO, GET_MODE and the sysfs attributes say what they
 * said before, PAT and /proc/iomem hold what they held, and a SHARE works.
 */
static void check_bound(struct __test_metadata *_metadata, FIXTURE_DATA(bind) *self)
{
	const char *base;
	char attrs[sizeof(self->attrs)], path[PATH_MAX], want[16];
	struct vidshare_info info;
	struct vidshare_mode mode;
	struct vidshare_share s;
	struct share_row row;
	int fd;

	ASSERT_TRUE(driver_bound(self->bdf)) OP_LOG("the adapter is not bound");
	ASSERT_EQ(0, rebind_device(self->bdf, self->node, sizeof(self->node)))
		OP_LOG("bound, but no class device or node");
	fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) OP_LOG("open(%s): %s", self->node, strerror(errno));
	ASSERT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(0, memcmp(&info, &self->info, sizeof(info)))
		OP_LOG("INFO differs: flags %#x fb_size %#llx mode %ux%ux%u, not %#x %#llx %ux%ux%u",
		       info.flags, (unsigned long long)info.fb_size, info.width, info.height,
		       info.bpp, self->info.flags, (unsigned long long)self->info.fb_size,
		       self->info.width, self->info.height, self->info.bpp);
	EXPECT_EQ(self->get_mode_err, vs_get_mode(fd, &mode))
		OP_LOG("GET_MODE differs: the mode interface got lost");
	ASSERT_EQ(0, read_attrs(self->node, attrs, sizeof(attrs)));
	if (strcmp(self->attrs, attrs)) {
		diff_lines(_metadata, "sysfs", self->attrs, attrs);
		EXPECT_EQ(0, strcmp(self->attrs, attrs)) OP_LOG("sysfs attributes differ");
	}
	pat_check(_metadata, self->pat_bound);
	EXPECT_EQ(self->iomem_bound, iomem_claims()) OP_LOG("/proc/iomem differs");

	ASSERT_EQ(0, vs_share(fd, self->page + 8, 64, 0, 0, &s)) OP_LOG("SHARE fails");
	fill(share_ptr(&s), 64, new_seed());
	base = strrchr(self->node, '/') + 1;
	snprintf(path, sizeof(path), VIDSHARE_DEBUGFS "/%s/shares", base);
	if (access(path, F_OK)) {
		/* debugfs is optional; vidshare ignores its failures, by design */
		OP_LOG("note: bound without %s", path);
	} else {
		ASSERT_EQ(0, debugfs_row(self->node, pg_down(s.virtual_addr), &row));
		snprintf(want, sizeof(want), "rw,%s", adapter_memtype(&self->info));
		EXPECT_STREQ(want, row.flags);
	}
	EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

/* The adapter is unbound and left nothing: no node, no PAT entry, no region. */
static void check_unbound(struct __test_metadata *_metadata, FIXTURE_DATA(bind) *self)
{
	char name[64];

	EXPECT_FALSE(driver_bound(self->bdf)) OP_LOG("the adapter is still bound");
	EXPECT_EQ(-ENOENT, find_class_dev(self->bdf, name, sizeof(name)))
		OP_LOG("a class device is left");
	if (!wait_path(self->node, false, 1000)) {
		/* devtmpfs ignores its own allocation failures: not vidshare's */
		OP_LOG("note: %s is still there", self->node);
		EXPECT_GT(0, open(self->node, O_RDWR | O_CLOEXEC));
	}
	pat_check(_metadata, self->pat_unbound);
	EXPECT_EQ(0, iomem_claims()) OP_LOG("a region of the adapter is still claimed");
}

FIXTURE_SETUP(bind)
{
	struct vidshare_mode mode;
	int fd;

	self->page = page_size();
	self->ctl = -1;
	self->fd = -1;
	self->fail = fail_nth_setup(_metadata);
	if (self->fail < 0)
		return;
	ASSERT_EQ(0, find_adapter(self->bdf, sizeof(self->bdf), self->node, sizeof(self->node)))
		TH_LOG("no vidshare adapter");
	/* From a bind without injection: an earlier test may have left another */
	unbind_adapter(_metadata, self);
	ASSERT_EQ(0, rebind_device(self->bdf, self->node, sizeof(self->node)));

	/* What the bound adapter shows */
	fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("open(%s) failed", self->node);
	ASSERT_EQ(0, vs_info(fd, &self->info));
	self->get_mode_err = vs_get_mode(fd, &mode);
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(0, read_attrs(self->node, self->attrs, sizeof(self->attrs)));
	self->pat_bound = pat_read();
	ASSERT_TRUE(self->pat_bound != NULL);
	self->iomem_bound = iomem_claims();
	ASSERT_LT(0, self->iomem_bound) TH_LOG("vidshare claims nothing in " PROC_IOMEM);

	/* ... and the unbound one */
	unbind_adapter(_metadata, self);
	self->pat_unbound = pat_read();
	ASSERT_TRUE(self->pat_unbound != NULL);
	ASSERT_EQ(0, iomem_claims());
	ASSERT_EQ(0, rebind_device(self->bdf, self->node, sizeof(self->node)));
	check_bound(_metadata, self);
}

/*
 * In the parent: runs even if the test died, so later tests find the
 * device, bound without injection (a bind under injection that "worked"
 * may have left it without something).
 */
FIXTURE_TEARDOWN_PARENT(bind)
{
	char node[PATH_MAX];

	if (!self->bdf[0])
		return;
	if (driver_bound(self->bdf)) {
		EXPECT_EQ(0, unbind_device(self->bdf));
	}
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
}

/* The PCI address written to the bind or unbind file open at self->ctl. */
static int ctl_write_run(void *fx, void *stp)
{
	FIXTURE_DATA(bind) *self = fx;
	ssize_t len = strlen(self->bdf), r;

	r = write(self->ctl, self->bdf, len);
	return r < 0 ? errno : r == len ? 0 : EIO;
}

/* bind: the probe */

static void bind_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(bind) *self = fx;

	unbind_adapter(_metadata, self);
	self->ctl = open(DRIVER_DIR "/bind", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
}

static void bind_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
		      bool injected)
{
	FIXTURE_DATA(bind) *self = fx;

	close(self->ctl);
	self->ctl = -1;
	if (err) {
		check_unbound(_metadata, self);
		ASSERT_EQ(0, write_file(DRIVER_DIR "/bind", self->bdf))
			OP_LOG("bind fails again without injection");
	}
	check_bound(_metadata, self);
}

/*
 * Accepted: ENOMEM; and EBUSY, which is what pci_request_region() returns
 * when __request_region() cannot allocate the struct resource (it cannot
 * tell that from a busy range).
 */
static const int accept_bind[] = { ENOMEM, EBUSY, 0 };

TEST_F_TIMEOUT(bind, bind_probe, 600)
{
	static const struct fault_op op = {
		.accept = accept_bind,
		.prepare = bind_prepare, .run = ctl_write_run, .done = bind_done,
	};

	fault_loop(_metadata, self->fail, "bind (probe)", &op, self, NULL);
}

/* unbind: the remove, with a live file, share and mmap(2) to revoke */

static void unbind_prepare(struct __test_metadata *_metadata, void *fx, void *stp)
{
	FIXTURE_DATA(bind) *self = fx;

	if (!driver_bound(self->bdf)) {
		ASSERT_EQ(0, write_file(DRIVER_DIR "/bind", self->bdf));
	}
	ASSERT_EQ(0, rebind_device(self->bdf, self->node, sizeof(self->node)));
	self->fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, vs_share(self->fd, 3 * self->page + 40, 2 * self->page, 0, 0, &self->s));
	self->m = dev_mmap(self->fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(self->m != NULL);
	self->seed = new_seed();
	stamp((volatile uint8_t *)share_base(&self->s), self->s.shared_size, self->seed);
	stamp(self->m, self->page, ~self->seed);
	self->ctl = open(DRIVER_DIR "/unbind", O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, self->ctl);
}

static void unbind_done(struct __test_metadata *_metadata, void *fx, void *stp, int err,
			bool injected)
{
	FIXTURE_DATA(bind) *self = fx;
	volatile uint8_t *base = (volatile uint8_t *)share_base(&self->s);
	char debugfs[PATH_MAX];
	struct vidshare_share s;
	struct vidshare_info info;

	close(self->ctl);
	self->ctl = -1;
	snprintf(debugfs, sizeof(debugfs), VIDSHARE_DEBUGFS "/%s", strrchr(self->node, '/') + 1);
	if (err) {
		/* Nothing happened: still bound, and everything still works. */
		EXPECT_TRUE(driver_bound(self->bdf)) OP_LOG("a failed unbind unbound");
		ASSERT_EQ(0, probe_read(base));
		ASSERT_EQ(0, probe_read(self->m));
		EXPECT_EQ(-1, stamp_mismatch(base, self->s.shared_size, self->seed));
		EXPECT_EQ(-1, stamp_mismatch(self->m, self->page, ~self->seed));
		ASSERT_EQ(0, vs_info(self->fd, &info));
		EXPECT_EQ(0U, info.flags & VIDSHARE_INFO_REVOKED);
		pat_check(_metadata, self->pat_bound);
		ASSERT_EQ(0, unbind_device(self->bdf)) OP_LOG("unbind fails without injection");
	}

	/* The remove ran to its end: unbound, and everything revoked. */
	check_unbound(_metadata, self);
	EXPECT_EQ(SIGBUS, probe_read(base)) OP_LOG("a share survived the unbind");
	EXPECT_EQ(SIGBUS, probe_read(self->m)) OP_LOG("an mmap(2) survived the unbind");
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ((__u32)VIDSHARE_INFO_REVOKED, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ(ENODEV, vs_share(self->fd, 0, 1, 0, 0, &s));
	EXPECT_EQ(0, vs_unshare(self->fd, self->s.virtual_addr));
	EXPECT_EQ(0, munmap((void *)self->m, self->page));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	/* the last file is gone: so is the adapter's state, debugfs with it */
	EXPECT_NE(0, access(debugfs, F_OK)) OP_LOG("%s outlives the adapter", debugfs);
	EXPECT_EQ(0, dev_vmas(self->node));
	pat_check(_metadata, self->pat_unbound);
}

TEST_F_TIMEOUT(bind, unbind_remove, 600)
{
	static const struct fault_op op = {
		.accept = accept_enomem,
		.prepare = unbind_prepare, .run = ctl_write_run, .done = unbind_done,
	};

	fault_loop(_metadata, self->fail, "unbind (remove)", &op, self, NULL);
	ASSERT_EQ(0, write_file(DRIVER_DIR "/bind", self->bdf));
	check_bound(_metadata, self);
}

TEST_HARNESS_MAIN
