// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare_stress: a seeded, bounded stress of /dev/vidshareN.
 *
 * --procs worker processes with --threads threads each mix, at random but
 * reproducibly from --seed, SHARE, UNSHARE, mmap(2), munmap(2), mprotect(2),
 * mremap(2), madvise(2), reads and verified writes through live shares,
 * INFO and GET_MODE, open/dup/close of the descriptors the threads of a
 * process share, fork(2) (the child works on inherited descriptors) and
 * descriptor passing with SCM_RIGHTS. Every result is checked against what
 * Documentation/vidshare/uapi.rst and the kernel's own mm code say it must
 * be in the current state; the expected errnos are written down next to
 * each operation below. Anything else is reported as UNEXPECTED.
 *
 * With --revoke the adapter may go away at any time: shares may then raise
 * SIGBUS, SHARE and mmap(2) may fail with ENODEV, INFO may report
 * VIDSHARE_INFO_REVOKED, and opens may fail while no adapter is bound.
 * --unbind MS makes one more process unbind and bind the adapter through
 * sysfs every MS milliseconds or so (--unplug-cmd/--plug-cmd run commands
 * instead, e.g. to unplug it); once such an unbind has returned, every file
 * opened before it must be revoked: each access to its shares must raise
 * SIGBUS, SHARE and mmap(2) must fail with ENODEV, INFO must report
 * REVOKED. Opens after the rebind must work again.
 *
 * Each worker thread writes only to its own window of the frame buffer and
 * keeps a copy of what it wrote there, so concurrent writers cannot make
 * the verification flaky; reads may go anywhere.
 *
 * Some SHARE and mmap(2) requests ask for an uncached mapping
 * (VIDSHARE_SHARE_UNCACHED, VIDSHARE_MMAP_UNCACHED). The adapter has one
 * memory type for all its shares: a write-combining adapter refuses them
 * with EOPNOTSUPP, an uncached one maps them as any other. Whatever the
 * requests, x86 PAT's memtype list must hold, in the adapter's BARs, only
 * the adapter's own reservation of its frame buffer (write-combining
 * adapters) and vidshare's mapping of a register BAR: no share has an
 * entry, and no unbind leaves one behind.
 *
 * The output is TAP: one test per operation class (no unexpected result,
 * and the class did succeed, or failed as it must, at least once), then
 * the op count, data, children, revocation and leak checks. The exit code
 * is 0 only if every test passed.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vidshare.h>

#include "kselftest.h"

#include "vidshare_lib.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK		18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK		19
#endif

#define NSLOTS			4	/* descriptors the threads of a process share */
#define MAX_SHARES		24	/* live shares one thread holds at most */
#define MAX_FILES		8192	/* files one process opens over its life */
#define MAX_PRINTS		200	/* UNEXPECTED lines printed at most */
#define MAX_BARS		32	/* memory BARs of every binding the run sees */
#define SHARE_PAGES		4	/* largest writable share */
#define BLOCK_PAGES		8	/* no small share crosses a block */
#define HUGE_BLOCK		(2ULL << 20)	/* a PMD entry's worth */
#define MOVE_PAGES		8	/* largest share mremap(2) tries to move */
#define WAIT_MS			30000	/* for the adapter to go or come back */

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_SEQ_CST)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_SEQ_CST)
#define ADD(x, v)		__atomic_add_fetch(&(x), (v), __ATOMIC_SEQ_CST)

/*
 * Results: 0 is success, an errno below 59 stands for itself, EOPNOTSUPP
 * (95) for R_EOPNOTSUPP in the place of EBFONT (59), which nothing here
 * returns, and three pseudo results stand for what an access to a share
 * can raise or find.
 */
#define R_EOPNOTSUPP		59
#define R_SIGSEGV		60
#define R_SIGBUS		61
#define R_MISMATCH		62
#define R_OTHER			63	/* any other errno from 59 up */
#define NR_RES			64
#define B(r)			(1ULL << (r))
#define OK			B(0)

enum op {
	OP_SHARE,		/* SHARE of a view */
	OP_SHARE_BAD,		/* SHARE with a malformed argument */
	OP_MMAP,		/* mmap(2) of the device */
	OP_MMAP_BAD,		/* mmap(2) the driver or the kernel must refuse */
	OP_UNSHARE,		/* UNSHARE of a live share */
	OP_UNSHARE_BAD,		/* UNSHARE of something that is not a share */
	OP_MUNMAP,		/* munmap(2) of a whole share */
	OP_MUNMAP_PART,		/* munmap(2) of part of a share */
	OP_MPROTECT,		/* mprotect(2) of a whole share */
	OP_MPROTECT_PART,	/* mprotect(2) of part of a share */
	OP_MPROTECT_UP,		/* mprotect(2) upgrade of a read-only share */
	OP_MREMAP,		/* mremap(2): grow, shrink, move, DONTUNMAP */
	OP_MADVISE,		/* madvise(2), several advices, whole or part */
	OP_WRITE,		/* write a pattern into the own window, read it back */
	OP_READ,		/* read through a share; verified in the own window */
	OP_CHECK,		/* access after another op: intact, protection kept */
	OP_INFO,		/* INFO */
	OP_GET_MODE,		/* GET_MODE */
	OP_OPEN,		/* open(2) of the device node */
	OP_CLOSE,		/* close(2) of a descriptor */
	OP_DUP,			/* dup(2) of a descriptor */
	OP_FORK,		/* fork(2); the child works on inherited files */
	OP_NO_INHERIT,		/* the child has none of its parent's shares */
	OP_SCM,			/* a descriptor passed with SCM_RIGHTS */
	OP_SWEEP,		/* every share of a revoked file raises SIGBUS */
	OP_UNBIND,		/* the unbinder: unbind, or the unplug command */
	OP_BIND,		/* the unbinder: bind, or the plug command */
	NR_OPS
};

/* must: 1 = must succeed at least once, 0 = must fail as expected at least once */
static const struct {
	const char *name;
	bool must_ok;
	bool revoke_only;
} ops[NR_OPS] = {
	[OP_SHARE]		= { "share", true, false },
	[OP_SHARE_BAD]		= { "share_invalid", false, false },
	[OP_MMAP]		= { "mmap", true, false },
	[OP_MMAP_BAD]		= { "mmap_invalid", false, false },
	[OP_UNSHARE]		= { "unshare", true, false },
	[OP_UNSHARE_BAD]	= { "unshare_invalid", false, false },
	[OP_MUNMAP]		= { "munmap", true, false },
	[OP_MUNMAP_PART]	= { "munmap_partial", false, false },
	[OP_MPROTECT]		= { "mprotect", true, false },
	[OP_MPROTECT_PART]	= { "mprotect_partial", false, false },
	[OP_MPROTECT_UP]	= { "mprotect_upgrade_readonly", false, false },
	[OP_MREMAP]		= { "mremap", false, false },
	[OP_MADVISE]		= { "madvise", true, false },
	[OP_WRITE]		= { "write_verify", true, false },
	[OP_READ]		= { "read_verify", true, false },
	[OP_CHECK]		= { "access_after_op", true, false },
	[OP_INFO]		= { "info", true, false },
	[OP_GET_MODE]		= { "get_mode", true, false },
	[OP_OPEN]		= { "open", true, false },
	[OP_CLOSE]		= { "close", true, false },
	[OP_DUP]		= { "dup", true, false },
	[OP_FORK]		= { "fork", true, false },
	[OP_NO_INHERIT]		= { "fork_child_inherits_no_share", false, false },
	[OP_SCM]		= { "scm_rights", true, false },
	[OP_SWEEP]		= { "revoked_share_raises_sigbus", false, true },
	[OP_UNBIND]		= { "unbind", true, true },
	[OP_BIND]		= { "bind", true, true },
};

/* Shared by every process (MAP_SHARED); updated with atomics only. */
struct stats {
	uint64_t res[NR_OPS][NR_RES];
	uint64_t unexpected[NR_OPS];
	uint64_t ops_done;
	uint64_t printed;
	uint64_t children;
	uint64_t children_bad;
	uint64_t revocations;	/* completed unbinds: files opened before are gone */
	uint64_t rebinds;
	uint64_t info_revoked;
	uint64_t opens_after;	/* opens that worked after a revocation */
	uint64_t shares_after;	/* SHARE/mmap that worked on such files */
	uint64_t uc_ok;		/* uncached SHARE/mmap that worked */
	uint64_t huge_ok;	/* SHARE/mmap of 2 MiB or more that worked */
	uint64_t uc_refused;	/* uncached SHARE/mmap refused with EOPNOTSUPP */
	int stop;		/* the workers are done: the unbinder stops */
	int nbars;
	struct {
		uint64_t start, end;	/* bus addresses [start, end) */
		bool fb;		/* the frame-buffer BAR */
	} bars[MAX_BARS];
	uint64_t fb_phys;	/* the frame buffer of the last binding seen */
};

static struct stats *st;

static struct {
	uint64_t seed;
	uint64_t ops;
	unsigned int seconds;
	unsigned int threads;
	unsigned int procs;
	const char *device;
	bool revoke;
	unsigned int unbind_ms;
	const char *unplug_cmd;
	const char *plug_cmd;
	unsigned int max_shares;	/* 0: leave the module parameter alone */
} cfg = {
	.seed = 1,
	.ops = 100000,
	.seconds = 600,
	.threads = 3,
	.procs = 2,
};

static uint64_t page;
static uint64_t fb_size;
static bool wc;			/* the adapter is write-combining (VIDSHARE_INFO_WC) */
static bool modes;		/* it has a mode interface: GET_MODE works */
static unsigned int adapter_vendor, adapter_device;
static char adapter_bdf[64];	/* its PCI address */
static uint64_t window;		/* bytes of the frame buffer each thread owns */
static unsigned int max_shares;
static struct timespec t_start;

/* One open file of the device, in this process (copied into children). */
struct vfile {
	int mode;		/* O_RDWR or O_RDONLY */
	uint64_t bind_upper;	/* revocations seen when the open returned */
	int revoked;		/* seen revoked: R_SIGBUS, or 100 + the op that saw it */
	bool after;		/* opened after a revocation */
};

static struct vfile files[MAX_FILES];
static int nfiles;

struct slot {
	pthread_rwlock_t lock;	/* readers use fd; writers replace it */
	int fd;
	int file;
};

static struct slot slots[NSLOTS];

struct share {
	bool used;
	bool mmapped;		/* made by mmap(2), not SHARE */
	bool readonly;		/* VM_MAYWRITE cleared: never writable */
	bool own;		/* inside the thread's own window */
	bool revoked;		/* raised SIGBUS once */
	int prot;		/* current protection */
	int advice;		/* MADV_NORMAL, MADV_RANDOM or MADV_SEQUENTIAL */
	int file;
	uint64_t addr;		/* virtual_addr from SHARE, or the mmap(2) start */
	uint64_t start;
	uint64_t size;
	uint64_t fb_off;	/* frame-buffer offset of start */
};

struct ctx {
	char name[32];
	enum op doing;		/* the operation under way, for reports */
	uint64_t rng;
	bool child;		/* a forked child: slot locks are off limits */
	int cfd[NSLOTS];	/* the child's descriptors, and their files */
	int cfile[NSLOTS];
	uint64_t base;		/* the own window of the frame buffer */
	uint64_t len;
	uint8_t *shadow;	/* what the window holds, where known */
	uint32_t *tag;		/* per page: 0 unknown, else 1 + file written through */
	uint64_t reserve;	/* anonymous PROT_NONE range for mremap moves */
	uint64_t seen_revocations;
	struct share sh[MAX_SHARES];
	int nsh;
};

/* ------------------------------------------------------------------ */
/* Randomness, time, reporting                                          */
/* ------------------------------------------------------------------ */

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd64(struct ctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng * 0x2545f4914f6cdd1dULL;
}

/* A random number in [0, n), n > 0. */
static uint64_t rnd(struct ctx *c, uint64_t n)
{
	return (rnd64(c) >> 11) % n;
}

static void seed_ctx(struct ctx *c, uint64_t a, uint64_t b)
{
	c->rng = splitmix(cfg.seed ^ splitmix(a << 32 | b)) | 1;
}

static double elapsed(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t_start.tv_sec) + (t.tv_nsec - t_start.tv_nsec) / 1e9;
}

static void msleep(unsigned int ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static const char *res_name(int r)
{
	static const char * const pseudo[] = { "SIGSEGV", "SIGBUS", "MISMATCH", "OTHER" };
	const char *n;

	if (!r)
		return "OK";
	if (r == R_EOPNOTSUPP)
		return "EOPNOTSUPP";
	if (r >= R_SIGSEGV && r < NR_RES)
		return pseudo[r - R_SIGSEGV];
	n = strerrorname_np(r);
	return n ? n : "E?";
}

static int res_of(int err)
{
	if (!err)
		return 0;
	if (err == EOPNOTSUPP)
		return R_EOPNOTSUPP;
	return err > 0 && err < R_EOPNOTSUPP ? err : R_OTHER;
}

/* One line, one write(2): lines of concurrent writers do not mix. */
static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (write(STDOUT_FILENO, buf, n) < 0)
		return;
}

/* A check that failed: count it and print it (up to MAX_PRINTS lines). */
static void fail(struct ctx *c, enum op op, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	ADD(st->unexpected[op], 1);
	if (ADD(st->printed, 1) > MAX_PRINTS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	out("# UNEXPECTED %s [%s pid %d t=%.1fs during %s]: %s\n", ops[op].name,
	    c ? c->name : "main", (int)getpid(), elapsed(), c ? ops[c->doing].name : "-", buf);
}

/*
 * Count result @r of @op; if @r is not in @allowed, report it with the
 * arguments. Returns whether @r was allowed.
 */
static bool note(struct ctx *c, enum op op, int r, uint64_t allowed, const char *fmt, ...)
{
	char args[512];
	char want[256];
	size_t n = 0;
	va_list ap;
	int i;

	ADD(st->res[op][r], 1);
	if (allowed & B(r))
		return true;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	want[0] = '\0';
	for (i = 0; i < NR_RES && n < sizeof(want) - 16; i++)
		if (allowed & B(i))
			n += snprintf(want + n, sizeof(want) - n, "%s%s", n ? "|" : "",
				      res_name(i));
	fail(c, op, "got %s, expected %s: %s", res_name(r), want, args);
	return false;
}

/* ------------------------------------------------------------------ */
/* sysfs: finding the adapter, its node, its BAR                         */
/* ------------------------------------------------------------------ */

/*
 * Remember the memory BARs of the adapter behind @classdev, for the PAT
 * check at the end, and where its frame buffer is now.
 */
static void note_bar(const char *classdev)
{
	struct pci_bar bars[PCI_BARS];
	char path[PATH_MAX];
	unsigned int fb_bar;
	int bar, i, n, nb;

	snprintf(path, sizeof(path), CLASS_DIR "/%s/fb_bar", classdev);
	if (read_uint(path, &fb_bar))
		return;
	nb = class_bars(classdev, bars);
	for (bar = 0; bar < nb; bar++) {
		if (!bars[bar].start || !(bars[bar].flags & 0x200))	/* IORESOURCE_MEM */
			continue;
		if (bar == (int)fb_bar)
			WRITE_ONCE(st->fb_phys, bars[bar].start);
		n = READ_ONCE(st->nbars);
		for (i = 0; i < n && i < MAX_BARS; i++)
			if (st->bars[i].start == bars[bar].start)
				break;
		if (i < n)
			continue;
		i = ADD(st->nbars, 1) - 1;
		if (i < MAX_BARS) {
			st->bars[i].start = bars[bar].start;
			st->bars[i].end = bars[bar].end;
			st->bars[i].fb = bar == (int)fb_bar;
		}
	}
}

/*
 * The device node of the adapter: the vidshare class device of its PCI
 * function (the minor may change with every bind), or --device without
 * --revoke.
 */
static bool find_node(char *node, size_t size)
{
	bool found = false;
	char name[64];

	if (!find_class_dev(adapter_bdf, name, sizeof(name))) {
		snprintf(node, size, "/dev/%s", name);
		note_bar(name);
		found = true;
	}
	if (cfg.device && !cfg.revoke) {
		snprintf(node, size, "%s", cfg.device);
		found = true;
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Files and descriptor slots                                           */
/* ------------------------------------------------------------------ */

static int new_file(int mode, uint64_t bind_upper, bool after)
{
	int i = ADD(nfiles, 1) - 1;

	if (i >= MAX_FILES)
		return -1;
	files[i].mode = mode;
	files[i].bind_upper = bind_upper;
	files[i].after = after;
	return i;
}

/*
 * The binding the file was opened on is surely gone: an unbind that
 * started after the open returned has completed. SHARE and mmap(2) must
 * fail with ENODEV, INFO must say REVOKED, every access must raise SIGBUS.
 */
static bool gone(int f)
{
	return cfg.revoke && READ_ONCE(st->revocations) > files[f].bind_upper;
}

/* The file was seen revoked: it never works again. */
static bool seen_revoked(int f)
{
	return READ_ONCE(files[f].revoked) || gone(f);
}

/* The descriptor in slot @i with its reader lock held, or -1. */
static int slot_get(struct ctx *c, int i, int *file)
{
	if (c->child) {
		*file = c->cfile[i];
		return c->cfd[i];
	}
	pthread_rwlock_rdlock(&slots[i].lock);
	if (slots[i].fd < 0) {
		pthread_rwlock_unlock(&slots[i].lock);
		return -1;
	}
	*file = slots[i].file;
	return slots[i].fd;
}

static void slot_put(struct ctx *c, int i)
{
	if (!c->child)
		pthread_rwlock_unlock(&slots[i].lock);
}

/* A slot holding a descriptor of file @f, locked, or -1. */
static int slot_of_file(struct ctx *c, int f, int *fd)
{
	int i, file;

	for (i = 0; i < NSLOTS; i++) {
		*fd = slot_get(c, i, &file);
		if (*fd < 0)
			continue;
		if (file == f)
			return i;
		slot_put(c, i);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Accesses with SIGSEGV and SIGBUS caught                              */
/* ------------------------------------------------------------------ */

static __thread uint8_t touch_got;	/* the differing byte R_MISMATCH found */

static uint8_t pat_byte(uint32_t pat, uint64_t i)
{
	uint32_t x = pat ^ (uint32_t)(i * 0x9e3779b1u);

	x ^= x >> 15;
	x *= 0x2c1b3c6du;
	x ^= x >> 12;
	return x;
}

enum access { A_READ, A_WRITE, A_VERIFY };

/*
 * Read, write (pattern @pat at frame-buffer offset @fb) or verify (against
 * @want) @n bytes at @p. Returns 0, R_SIGSEGV, R_SIGBUS or R_MISMATCH with
 * the first differing byte in *@bad.
 */
static int touch(volatile uint8_t *p, uint64_t n, enum access how, uint32_t pat,
		 uint64_t fb, const uint8_t *want, uint64_t *bad)
{
	sigjmp_buf env;
	volatile uint64_t i = 0;
	uint8_t sink = 0;

	if (sigsetjmp(env, 1)) {
		probe_jmp = NULL;
		return probe_sig == SIGBUS ? R_SIGBUS : R_SIGSEGV;
	}
	probe_jmp = &env;
	for (i = 0; i < n; i++) {
		switch (how) {
		case A_READ:
			sink ^= p[i];
			break;
		case A_WRITE:
			p[i] = pat_byte(pat, fb + i);
			break;
		case A_VERIFY:
			touch_got = p[i];
			if (touch_got != want[i]) {
				probe_jmp = NULL;
				*bad = i;
				return R_MISMATCH;
			}
			break;
		}
	}
	__sync_synchronize();
	probe_jmp = NULL;
	(void)sink;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Shares                                                               */
/* ------------------------------------------------------------------ */

static struct share *pick(struct ctx *c)
{
	int i, n;

	if (!c->nsh)
		return NULL;
	n = rnd(c, c->nsh);
	for (i = 0; i < MAX_SHARES; i++)
		if (c->sh[i].used && !n--)
			return &c->sh[i];
	return NULL;
}

static struct share *add_share(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_SHARES; i++) {
		if (!c->sh[i].used) {
			memset(&c->sh[i], 0, sizeof(c->sh[i]));
			c->sh[i].used = true;
			c->nsh++;
			return &c->sh[i];
		}
	}
	return NULL;
}

static void drop_share(struct ctx *c, struct share *s)
{
	s->used = false;
	c->nsh--;
}

/* Forget what the window holds at frame-buffer range [off, off + n). */
static void forget(struct ctx *c, uint64_t off, uint64_t n)
{
	uint64_t p;

	for (p = off / page; p < (off + n + page - 1) / page; p++)
		if (p * page >= c->base && p * page < c->base + c->len)
			c->tag[(p * page - c->base) / page] = 0;
}

/*
 * What an access to @s must give: SIGSEGV if its protection forbids it,
 * SIGBUS once its file is surely revoked, else success (or SIGBUS with
 * --revoke). One page raising SIGBUS says nothing about the others yet:
 * while the revocation is under way, some pages may still be mapped.
 */
static uint64_t access_allowed(struct share *s, bool write)
{
	int need = write ? PROT_WRITE : PROT_READ;

	if (!(s->prot & need))
		return B(R_SIGSEGV);
	if (gone(s->file))
		return B(R_SIGBUS);
	return cfg.revoke ? OK | B(R_SIGBUS) : OK;
}

static void saw_sigbus(struct ctx *c, struct share *s)
{
	if (!s->revoked && s->own)
		forget(c, s->fb_off, s->size);
	s->revoked = true;
	WRITE_ONCE(files[s->file].revoked, R_SIGBUS);
}

/* The line of /proc/self/maps holding @addr, for reports. */
static void maps_line(uint64_t addr, char *line, size_t size)
{
	unsigned long long a, b;
	char buf[256];
	FILE *f;

	snprintf(line, size, "not in /proc/self/maps");
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(buf, sizeof(buf), f)) {
		if (sscanf(buf, "%llx-%llx", &a, &b) == 2 && addr >= a && addr < b) {
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(line, size, "maps: %s", buf);
			break;
		}
	}
	fclose(f);
}

/* Access page @pg of @s and check the outcome; @op is what is counted. */
static int access_page(struct ctx *c, enum op op, struct share *s, uint64_t pg, bool write)
{
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(s->start + pg * page);
	uint64_t allowed = access_allowed(s, write), bad;
	int r;

	char maps[300] = "";

	r = touch(p, write ? 4 : 64, write ? A_WRITE : A_READ, (uint32_t)rnd64(c),
		  s->fb_off + pg * page, NULL, &bad);
	if (write && !r && s->own)
		forget(c, s->fb_off + pg * page, 4);
	if (!(allowed & B(r)))
		maps_line((uintptr_t)p, maps, sizeof(maps));
	note(c, op, r, allowed,
	     "%s page %llu of share %#llx+%#llx fb %#llx prot %d file %d (opened before unbind %llu, now %llu) %s",
	     write ? "write" : "read", (unsigned long long)pg,
	     (unsigned long long)s->start, (unsigned long long)s->size,
	     (unsigned long long)s->fb_off, s->prot, s->file,
	     (unsigned long long)files[s->file].bind_upper + 1,
	     (unsigned long long)READ_ONCE(st->revocations), maps);
	if (r == R_SIGBUS)
		saw_sigbus(c, s);
	return r;
}

/* After a refused change: the share is still there, first and last page. */
static void check_intact(struct ctx *c, struct share *s)
{
	access_page(c, OP_CHECK, s, 0, false);
	if (s->size > page)
		access_page(c, OP_CHECK, s, s->size / page - 1, false);
}

/* A free, page-aligned range of @n bytes, found by mapping and unmapping. */
static uint64_t hole(uint64_t n)
{
	void *p = mmap(NULL, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 0;
	munmap(p, n);
	return (uintptr_t)p;
}

/*
 * A random view inside one block (BLOCK_PAGES; no share crosses one):
 * writable ones in the own window, read-only ones anywhere; or, one
 * read-only view in eight, 2 to 6 MiB anywhere, half of them at a 2 MiB
 * boundary, which have huge entries where the kernel has them. One in four
 * asks to be uncached: on a write-combining adapter that is refused
 * (EOPNOTSUPP) wherever the view lies and whatever else is mapped, since
 * every share of an adapter has its one memory type.
 */
static void pick_view(struct ctx *c, bool own, uint64_t *off, uint64_t *len, bool *uc)
{
	uint64_t blk = BLOCK_PAGES * page, max = own ? SHARE_PAGES * page : blk, b;

	*uc = !rnd(c, 4);
	if (!own && fb_size >= 4 * HUGE_BLOCK && !rnd(c, 8)) {
		*len = HUGE_BLOCK + rnd(c, 2 * HUGE_BLOCK);
		*off = rnd(c, fb_size - *len + 1);
		if (rnd(c, 2))
			*off &= ~(HUGE_BLOCK - 1);
		return;
	}
	*len = 1 + rnd(c, max - 1);
	if (own)
		b = c->base + blk * rnd(c, c->len / blk);
	else
		b = blk * rnd(c, fb_size / blk);
	*off = b + rnd(c, blk - *len + 1);
}

/* Count the outcome @r of an uncached SHARE or mmap(2). */
static void uc_result(bool uc, int r)
{
	if (!uc)
		return;
	if (!r)
		ADD(st->uc_ok, 1);
	else if (r == R_EOPNOTSUPP)
		ADD(st->uc_refused, 1);
}

static void shared_ok(int f, uint64_t size)
{
	if (files[f].after)
		ADD(st->shares_after, 1);
	if (size >= HUGE_BLOCK)
		ADD(st->huge_ok, 1);
}

/*
 * The live shares of file @f that this thread holds: a lower bound of what
 * the file holds that no other thread can lower while this one calls SHARE.
 */
static unsigned int mine(struct ctx *c, int f)
{
	unsigned int i, n = 0;

	for (i = 0; i < MAX_SHARES; i++)
		n += c->sh[i].used && c->sh[i].file == f;
	return n;
}

/*
 * What a SHARE or an mmap(2) of file @f may return, as op_share() and
 * op_mmap() describe: @ro and @uc for a read-only and an uncached request,
 * @fixed for one at a fixed address, @over for a FIXED SHARE over one of our
 * own live shares; @mmap for mmap(2), where the kernel's EEXIST for
 * MAP_FIXED_NOREPLACE comes before EACCES.
 */
static uint64_t share_allowed(struct ctx *c, int f, bool ro, bool uc, bool fixed,
			      bool over, bool mmap)
{
	uint64_t allowed;

	if (!ro && files[f].mode == O_RDONLY)
		return B(EACCES) | (mmap && fixed ? B(EEXIST) : 0);
	if (over)
		return B(EEXIST);
	if (uc && wc) {
		allowed = B(R_EOPNOTSUPP);
	} else {
		allowed = B(ENOSPC);
		if (mine(c, f) < max_shares && !seen_revoked(f))
			allowed |= OK;
		if (cfg.revoke)
			allowed |= B(ENODEV);
		if (gone(f))
			allowed = B(ENODEV);
	}
	if (fixed)
		allowed |= B(EEXIST);
	return allowed;
}

/*
 * SHARE. Expected, in this order of precedence:
 *   EACCES      writable share on an O_RDONLY file (before anything else);
 *   EEXIST      FIXED over one of our own live shares (always), or FIXED at
 *               a hole another thread took first (a race, allowed): the
 *               kernel's mmap(2) checks come before the driver's;
 *   EOPNOTSUPP  UNCACHED on a write-combining adapter (also once revoked
 *               or at max_shares: before ENODEV and ENOSPC);
 *   ENODEV      --revoke only; required once the file is seen revoked;
 *   ENOSPC      the file holds max_shares shares; required when this
 *               thread alone holds that many and the file is not revoked,
 *               allowed otherwise (the file is shared with other threads,
 *               children and other processes).
 * Success is refused once the file is seen revoked. UNCACHED on an
 * uncached adapter changes nothing.
 */
static void op_share(struct ctx *c, int fd, int f)
{
	struct vidshare_share req = { 0 };
	bool ro, own, uc, fixed = false, over = false;
	uint64_t allowed, off, len, want_start = 0;
	struct share *s, *o;
	int r;

	ro = files[f].mode == O_RDONLY ? rnd(c, 8) != 0 : rnd(c, 4) == 0;
	own = !ro || rnd(c, 2);
	pick_view(c, own, &off, &len, &uc);
	req.view_offset = off;
	req.view_size = len;
	req.flags = (ro ? VIDSHARE_SHARE_READONLY : 0) | (uc ? VIDSHARE_SHARE_UNCACHED : 0);
	switch (rnd(c, 10)) {
	case 0:
		req.flags |= VIDSHARE_SHARE_FIXED;
		o = pick(c);
		if (o && !rnd(c, 3)) {
			req.requested_addr = o->start;
			over = true;
		} else {
			want_start = hole(((off + len + page - 1) & ~(page - 1)) -
					  (off & ~(page - 1)));
			req.requested_addr = want_start;
		}
		fixed = true;
		break;
	case 1:
		req.requested_addr = hole(SHARE_PAGES * page) + rnd(c, page);	/* a hint */
		break;
	}

	allowed = share_allowed(c, f, ro, uc, fixed, over, false);
	r = ioctl(fd, VIDSHARE_IOC_SHARE, &req) ? res_of(errno) : 0;
	uc_result(uc, r);
	note(c, OP_SHARE, r, allowed,
	     "fd %d file %d off %#llx size %#llx flags %#x addr %#llx mine %u revoked %d",
	     fd, f, (unsigned long long)off, (unsigned long long)len, req.flags,
	     (unsigned long long)req.requested_addr, mine(c, f),
	     READ_ONCE(files[f].revoked));
	if (r == ENODEV)
		WRITE_ONCE(files[f].revoked, OP_SHARE + 100);
	if (r)
		return;

	if (req.virtual_addr % page != off % page || req.shared_offset != (off & ~(page - 1)) ||
	    req.shared_size != ((off + len + page - 1) & ~(page - 1)) - req.shared_offset ||
	    (fixed && req.virtual_addr - off % page != want_start))
		fail(c, OP_SHARE,
		     "SHARE off %#llx size %#llx returned addr %#llx offset %#llx size %#llx",
		     (unsigned long long)off, (unsigned long long)len,
		     (unsigned long long)req.virtual_addr,
		     (unsigned long long)req.shared_offset,
		     (unsigned long long)req.shared_size);
	s = add_share(c);
	s->addr = req.virtual_addr;
	s->start = req.virtual_addr & ~(page - 1);
	s->size = req.shared_size;
	s->fb_off = req.shared_offset;
	s->readonly = ro;
	s->prot = ro ? PROT_READ : PROT_READ | PROT_WRITE;
	s->own = own;
	s->file = f;
	s->advice = MADV_NORMAL;
	shared_ok(f, s->size);
}

/*
 * mmap(2) of the device, MAP_SHARED, page-aligned offset, optionally with
 * VIDSHARE_MMAP_UNCACHED and MAP_FIXED_NOREPLACE. Expected as for SHARE,
 * except that EACCES comes from the kernel (PROT_WRITE on an O_RDONLY
 * file), after its EEXIST for MAP_FIXED_NOREPLACE over a mapping:
 *   EACCES      PROT_WRITE on an O_RDONLY file (EEXIST first, if FIXED);
 *   EOPNOTSUPP  VIDSHARE_MMAP_UNCACHED on a write-combining adapter
 *               (EEXIST first, if FIXED), before ENODEV and ENOSPC;
 *   ENODEV, ENOSPC, EEXIST and success as for SHARE.
 */
static void op_mmap(struct ctx *c, int fd, int f)
{
	bool ro = files[f].mode == O_RDONLY ? rnd(c, 8) != 0 : rnd(c, 4) == 0;
	bool own = !ro || rnd(c, 2), fixed = !rnd(c, 10), uc;
	uint64_t off, len, allowed, size, addr = 0, o64;
	int prot = ro ? PROT_READ : PROT_READ | PROT_WRITE, flags = MAP_SHARED;
	struct share *s;
	void *p;
	int r;

	pick_view(c, own, &off, &len, &uc);
	off &= ~(page - 1);
	size = (len + page - 1) & ~(page - 1);
	if (fixed) {
		addr = hole(size);
		flags |= MAP_FIXED_NOREPLACE;
	}
	o64 = off | (uc ? VIDSHARE_MMAP_UNCACHED : 0);

	allowed = share_allowed(c, f, ro, uc, fixed, false, true);
	p = mmap((void *)(uintptr_t)addr, len, prot, flags, fd, (off_t)o64);
	r = p == MAP_FAILED ? res_of(errno) : 0;
	uc_result(uc, r);
	note(c, OP_MMAP, r, allowed,
	     "fd %d file %d off %#llx len %#llx prot %d flags %#x addr %#llx mine %u revoked %d",
	     fd, f, (unsigned long long)o64, (unsigned long long)len, prot, flags,
	     (unsigned long long)addr, mine(c, f), READ_ONCE(files[f].revoked));
	if (r == ENODEV)
		WRITE_ONCE(files[f].revoked, OP_MMAP + 100);
	if (r)
		return;
	if (fixed && (uintptr_t)p != addr)
		fail(c, OP_MMAP, "MAP_FIXED_NOREPLACE at %#llx mapped at %p",
		     (unsigned long long)addr, p);
	s = add_share(c);
	s->addr = (uintptr_t)p;
	s->start = (uintptr_t)p;
	s->size = size;
	s->fb_off = off;
	s->mmapped = true;
	s->readonly = ro;
	s->prot = prot;
	s->own = own;
	s->file = f;
	s->advice = MADV_NORMAL;
	shared_ok(f, s->size);
}

/*
 * Malformed SHARE and mmap(2) requests, and an unknown ioctl. Arguments are
 * checked before anything else, also after revocation (uapi.rst, Errors):
 *   SHARE: unknown flags, reserved != 0, view_size 0, view past fb_size,
 *          offset + size overflows, FIXED at 0 or unaligned: EINVAL;
 *   mmap:  MAP_PRIVATE: EINVAL; PROT_EXEC: EPERM; offset at fb_size or
 *          with another bit above the frame buffer: EINVAL; length 0:
 *          EINVAL (kernel);
 *   ioctl: unknown number: ENOTTY.
 * Half of the SHARE and mmap(2) requests ask to be uncached as well
 * (VIDSHARE_SHARE_UNCACHED, VIDSHARE_MMAP_UNCACHED): the memory type is
 * looked at only after all these, so the errors are the same on a
 * write-combining adapter, not EOPNOTSUPP.
 */
static void op_bad(struct ctx *c, int fd, int f)
{
	struct vidshare_share req = { .view_offset = 0, .view_size = page };
	uint64_t o64 = 0, len = page;
	int v = rnd(c, 12), prot = PROT_READ, flags = MAP_SHARED, want, r;
	bool uc = rnd(c, 2);
	void *p;

	req.flags = VIDSHARE_SHARE_READONLY | (uc ? VIDSHARE_SHARE_UNCACHED : 0);
	switch (v) {
	case 0:
		req.flags |= 1U << (3 + rnd(c, 29));
		break;
	case 1:
		req.reserved = 1 + rnd(c, 100);
		break;
	case 2:
		req.view_size = 0;
		break;
	case 3:
		req.view_offset = fb_size - rnd(c, page);
		req.view_size = page + 1;
		break;
	case 4:
		req.view_offset = ~0ULL - rnd(c, page);
		req.view_size = page;
		break;
	case 5:
		req.flags |= VIDSHARE_SHARE_FIXED;
		req.requested_addr = rnd(c, 2) ? 0 : hole(page) + 1 + rnd(c, page - 1);
		break;
	case 6:
		flags = MAP_PRIVATE;
		break;
	case 7:
		prot |= PROT_EXEC;
		break;
	case 8:
		o64 = fb_size + page * rnd(c, 4);
		break;
	case 9:
		o64 = 1ULL << (41 + rnd(c, 6));
		break;
	case 10:
		len = 0;
		break;
	case 11:
		r = ioctl(fd, _IO(VIDSHARE_IOCTL_MAGIC, 0x20 + rnd(c, 0x20)), &req) ?
		    res_of(errno) : 0;
		note(c, OP_SHARE_BAD, r, B(ENOTTY), "unknown ioctl on fd %d", fd);
		return;
	}
	if (v <= 5) {
		r = ioctl(fd, VIDSHARE_IOC_SHARE, &req) ? res_of(errno) : 0;
		note(c, OP_SHARE_BAD, r, B(EINVAL),
		     "variant %d fd %d file %d off %#llx size %#llx flags %#x reserved %u addr %#llx",
		     v, fd, f, (unsigned long long)req.view_offset,
		     (unsigned long long)req.view_size, req.flags, req.reserved,
		     (unsigned long long)req.requested_addr);
		if (!r)
			munmap((void *)(uintptr_t)(req.virtual_addr & ~(page - 1)),
			       req.shared_size);
		return;
	}
	want = v == 7 ? EPERM : EINVAL;
	if (uc)
		o64 |= VIDSHARE_MMAP_UNCACHED;
	p = mmap(NULL, len, prot, flags, fd, (off_t)o64);
	r = p == MAP_FAILED ? res_of(errno) : 0;
	note(c, OP_MMAP_BAD, r, B(want),
	     "variant %d fd %d file %d off %#llx len %#llx prot %d flags %#x",
	     v, fd, f, (unsigned long long)o64, (unsigned long long)len, prot, flags);
	if (!r)
		munmap(p, len);
}

/*
 * UNSHARE of a live share through a descriptor of its file: must work, also
 * after revocation. Without such a descriptor the share ends with munmap(2).
 */
static void op_unshare(struct ctx *c, struct share *s)
{
	struct vidshare_unshare u = { .virtual_addr = s->addr };
	int fd, i, r;

	i = slot_of_file(c, s->file, &fd);
	if (i < 0)
		return;
	r = ioctl(fd, VIDSHARE_IOC_UNSHARE, &u) ? res_of(errno) : 0;
	slot_put(c, i);
	note(c, OP_UNSHARE, r, OK, "fd %d file %d addr %#llx start %#llx size %#llx mmapped %d",
	     fd, s->file, (unsigned long long)s->addr, (unsigned long long)s->start,
	     (unsigned long long)s->size, s->mmapped);
	if (!r)
		drop_share(c, s);
}

/*
 * UNSHARE that must be refused, and leave the share alone:
 *   flags or reserved != 0: EINVAL;
 *   an address inside the share, the page start of a share whose view does
 *   not start there, an address that is no share, or a share of another
 *   file: ENOENT.
 */
static void op_unshare_bad(struct ctx *c, int fd, int f)
{
	struct vidshare_unshare u = { 0 };
	struct share *s = pick(c);
	int want = ENOENT, r, v = rnd(c, 6);

	switch (v) {
	case 0:
		u.flags = 1 + rnd(c, 7);
		u.virtual_addr = s ? s->addr : 0;
		want = EINVAL;
		break;
	case 1:
		u.reserved = 1 + rnd(c, 7);
		u.virtual_addr = s ? s->addr : 0;
		want = EINVAL;
		break;
	case 2:
		if (!s || s->size < 2 * page)
			return;
		u.virtual_addr = s->start + page * (1 + rnd(c, s->size / page - 1));
		break;
	case 3:
		if (!s || s->addr == s->start)
			return;
		u.virtual_addr = s->start;
		break;
	case 4:
		u.virtual_addr = c->reserve + page * rnd(c, 3 * MOVE_PAGES);
		break;
	case 5:
		if (!s || s->file == f)
			return;
		u.virtual_addr = s->addr;
		break;
	}
	r = ioctl(fd, VIDSHARE_IOC_UNSHARE, &u) ? res_of(errno) : 0;
	note(c, OP_UNSHARE_BAD, r, B(want),
	     "variant %d fd %d file %d addr %#llx flags %u reserved %u",
	     v, fd, f, (unsigned long long)u.virtual_addr, u.flags, u.reserved);
	if (s && v != 4)
		check_intact(c, s);
}

/*
 * munmap(2) of the whole share: must work, also after revocation. Of a part
 * of it: EINVAL (a share is never split), and the share stays.
 */
static void op_munmap(struct ctx *c, struct share *s, bool part)
{
	uint64_t a = s->start, n = s->size;
	int r;

	if (part) {
		if (s->size < 2 * page)
			return;
		n = page * (1 + rnd(c, s->size / page - 1));
		if (rnd(c, 2))
			a = s->start + s->size - n;
		r = munmap((void *)(uintptr_t)a, n) ? res_of(errno) : 0;
		note(c, OP_MUNMAP_PART, r, B(EINVAL), "munmap %#llx+%#llx of share %#llx+%#llx",
		     (unsigned long long)a, (unsigned long long)n,
		     (unsigned long long)s->start, (unsigned long long)s->size);
		if (!r) {
			drop_share(c, s);	/* half of it is gone: stop using it */
			return;
		}
		check_intact(c, s);
		return;
	}
	r = munmap((void *)(uintptr_t)a, n) ? res_of(errno) : 0;
	note(c, OP_MUNMAP, r, OK, "munmap %#llx+%#llx", (unsigned long long)a,
	     (unsigned long long)n);
	drop_share(c, s);
}

/*
 * mprotect(2):
 *   whole share to PROT_READ or PROT_NONE: works;
 *   whole share to PROT_READ|PROT_WRITE: works, EACCES on a read-only share
 *     (VM_MAYWRITE cleared);
 *   PROT_EXEC: EACCES (VM_MAYEXEC cleared);
 *   a part of the share: EINVAL when the protection would change (no
 *     split), success when it would not; an upgrade of a read-only share is
 *     EACCES before that.
 * Afterwards an access must succeed or fail as the new protection says.
 */
static void op_mprotect(struct ctx *c, struct share *s)
{
	static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE,
				     PROT_READ | PROT_EXEC };
	int prot = prots[rnd(c, 4)], r;
	bool part = s->size >= 2 * page && !rnd(c, 3);
	uint64_t a = s->start, n = s->size, allowed;
	enum op op = OP_MPROTECT;

	if (part) {
		n = page * (1 + rnd(c, s->size / page - 1));
		if (rnd(c, 2))
			a = s->start + s->size - n;
		op = OP_MPROTECT_PART;
	}
	if (prot & PROT_EXEC) {
		allowed = B(EACCES);
	} else if ((prot & PROT_WRITE) && s->readonly) {
		allowed = B(EACCES);
		op = OP_MPROTECT_UP;
	} else if (part) {
		allowed = prot == s->prot ? OK : B(EINVAL);
	} else {
		allowed = OK;
	}
	r = mprotect((void *)(uintptr_t)a, n, prot) ? res_of(errno) : 0;
	note(c, op, r, allowed,
	     "mprotect %#llx+%#llx prot %d of share %#llx+%#llx prot %d readonly %d",
	     (unsigned long long)a, (unsigned long long)n, prot,
	     (unsigned long long)s->start, (unsigned long long)s->size, s->prot,
	     s->readonly);
	if (!r && !part)
		s->prot = prot;
	else if (!r && prot != s->prot)
		s->prot = -1;	/* unexpectedly split: do not trust it any more */
	if (s->prot < 0) {
		drop_share(c, s);
		return;
	}
	if (rnd(c, 2))
		access_page(c, OP_CHECK, s, 0, (s->prot & PROT_WRITE) ? false : !rnd(c, 2));
	else
		check_intact(c, s);
}

/* Re-create the reserve after a failed move emptied part of it. */
static void fix_reserve(struct ctx *c, uint64_t at, uint64_t n)
{
	void *p = mmap((void *)(uintptr_t)at, n, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	uint64_t end = c->reserve + 3 * MOVE_PAGES * page;

	if (p != MAP_FAILED)
		return;
	/* another thread mapped into the hole: give the rest back, start over */
	munmap((void *)(uintptr_t)c->reserve, at - c->reserve);
	munmap((void *)(uintptr_t)(at + n), end - at - n);
	c->reserve = (uintptr_t)mmap(NULL, 3 * MOVE_PAGES * page, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/*
 * mremap(2) of a share (uapi.rst: it fails and leaves the share intact):
 *   grow, with or without MREMAP_MAYMOVE: EFAULT (VM_DONTEXPAND);
 *   shrink: EINVAL (the unmap of the tail may not split it);
 *   move with MREMAP_FIXED to a free range: EINVAL (vm_ops->mremap);
 *   MREMAP_DONTUNMAP: EINVAL (VM_PFNMAP).
 */
static void op_mremap(struct ctx *c, struct share *s)
{
	uint64_t to = 0, n = s->size;
	int v = rnd(c, 4), flags = 0, want = EINVAL, r;
	void *p;

	switch (v) {
	case 0:
		n = s->size + page * (1 + rnd(c, 4));
		flags = rnd(c, 2) ? MREMAP_MAYMOVE : 0;
		want = EFAULT;
		break;
	case 1:
		if (s->size < 2 * page)
			return;
		n = s->size - page * (1 + rnd(c, s->size / page - 1));
		break;
	case 2:
		if (s->size > MOVE_PAGES * page || c->reserve == (uintptr_t)MAP_FAILED)
			return;
		to = c->reserve + MOVE_PAGES * page;
		flags = MREMAP_MAYMOVE | MREMAP_FIXED;
		break;
	case 3:
		flags = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
		break;
	}
	p = mremap((void *)(uintptr_t)s->start, s->size, n, flags, (void *)(uintptr_t)to);
	r = p == MAP_FAILED ? res_of(errno) : 0;
	note(c, OP_MREMAP, r, B(want), "variant %d share %#llx+%#llx to %#llx+%#llx flags %#x",
	     v, (unsigned long long)s->start, (unsigned long long)s->size,
	     (unsigned long long)to, (unsigned long long)n, flags);
	if (v == 2)
		fix_reserve(c, to, s->size);
	if (!r) {
		/* it moved or shrank after all: let it go */
		munmap(p, n);
		if ((uintptr_t)p != s->start)
			munmap((void *)(uintptr_t)s->start, s->size);
		drop_share(c, s);
		return;
	}
	check_intact(c, s);
}

/*
 * madvise(2) on the whole share or a part of it (mm/madvise.c):
 *   NORMAL, RANDOM, SEQUENTIAL: work on the whole share; on a part, EINVAL
 *     when the VMA flags would change (no split), else success;
 *   WILLNEED, DONTFORK (VM_DONTCOPY is set already), DONTDUMP (VM_DONTDUMP
 *     is set already), KEEPONFORK: success;
 *   DONTNEED, FREE, COLD, PAGEOUT: EINVAL (VM_PFNMAP);
 *   DOFORK: EINVAL (VM_IO); DODUMP: EINVAL (VM_SPECIAL); WIPEONFORK: EINVAL
 *     (a file mapping).
 * Afterwards the share still works (DONTNEED must not have zapped it).
 */
static void op_madvise(struct ctx *c, struct share *s)
{
	static const struct {
		int advice;
		int err;
	} adv[] = {
		{ MADV_NORMAL, -1 }, { MADV_RANDOM, -1 }, { MADV_SEQUENTIAL, -1 },
		{ MADV_WILLNEED, 0 }, { MADV_DONTFORK, 0 }, { MADV_DONTDUMP, 0 },
		{ MADV_KEEPONFORK, 0 }, { MADV_DONTNEED, EINVAL }, { MADV_FREE, EINVAL },
		{ MADV_COLD, EINVAL }, { MADV_PAGEOUT, EINVAL }, { MADV_DOFORK, EINVAL },
		{ MADV_DODUMP, EINVAL }, { MADV_WIPEONFORK, EINVAL },
	};
	int i = rnd(c, ARRAY_SIZE(adv)), want = adv[i].err, r;
	bool part = s->size >= 2 * page && !rnd(c, 3);
	uint64_t a = s->start, n = s->size;

	if (part) {
		n = page * (1 + rnd(c, s->size / page - 1));
		if (rnd(c, 2))
			a = s->start + s->size - n;
	}
	if (want < 0)
		want = part && adv[i].advice != s->advice ? EINVAL : 0;
	r = madvise((void *)(uintptr_t)a, n, adv[i].advice) ? res_of(errno) : 0;
	note(c, OP_MADVISE, r, B(want), "advice %d on %#llx+%#llx of share %#llx+%#llx (advice %d)",
	     adv[i].advice, (unsigned long long)a, (unsigned long long)n,
	     (unsigned long long)s->start, (unsigned long long)s->size, s->advice);
	if (!r && !part && adv[i].err < 0)
		s->advice = adv[i].advice;
	check_intact(c, s);
}

static uint32_t tag_of(int f)
{
	return cfg.revoke ? 1 + f : 1;
}

/*
 * Write a pattern through a writable share of the own window: a whole page
 * (which makes the page known) or a few unaligned bytes; read it back
 * through the same share. SIGSEGV if the protection forbids it; SIGBUS
 * only with --revoke, and always once the file is surely revoked.
 */
static void op_write(struct ctx *c, struct share *s)
{
	uint64_t off, n, bad = 0, fb, pg, allowed = access_allowed(s, true);
	uint32_t pat = (uint32_t)rnd64(c);
	volatile uint8_t *p;
	uint64_t i;
	int r;

	if (!s->own || s->readonly)
		return;
	if (rnd(c, 3)) {
		off = page * rnd(c, s->size / page);
		n = page;
	} else {
		n = 1 + rnd(c, 300);
		off = rnd(c, s->size - n + 1);
	}
	p = (volatile uint8_t *)(uintptr_t)(s->start + off);
	fb = s->fb_off + off;
	r = touch(p, n, A_WRITE, pat, fb, NULL, &bad);
	if (!r) {
		for (i = 0; i < n; i++)
			c->shadow[fb - c->base + i] = pat_byte(pat, fb + i);
		r = touch(p, n, A_VERIFY, 0, 0, c->shadow + (fb - c->base), &bad);
		if (r == R_SIGSEGV)
			r = R_OTHER;	/* it was writable a moment ago */
	}
	note(c, OP_WRITE, r, allowed, "%llu bytes at fb %#llx through share %#llx+%#llx file %d%s",
	     (unsigned long long)n, (unsigned long long)fb, (unsigned long long)s->start,
	     (unsigned long long)s->size, s->file,
	     r == R_MISMATCH ? " read back differs" : "");
	if (r == R_SIGBUS)
		saw_sigbus(c, s);
	if (r) {
		forget(c, fb, n);
		return;
	}
	for (pg = fb / page; pg <= (fb + n - 1) / page; pg++) {
		uint32_t *t = &c->tag[(pg * page - c->base) / page];

		if (n == page)
			*t = tag_of(s->file);
		else if (*t && *t != tag_of(s->file))
			*t = 0;
	}
}

/*
 * Read through a share. In the own window, the bytes of every page whose
 * contents are known (written through this file with --revoke) must be
 * what was written there last. Elsewhere, a plain read.
 */
static void op_read(struct ctx *c, struct share *s)
{
	uint64_t pg = rnd(c, s->size / page), fb = s->fb_off + pg * page, bad = 0;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)(s->start + pg * page);
	uint64_t allowed = access_allowed(s, false);
	uint32_t t = 0;
	int r;

	if (s->own)
		t = c->tag[(fb - c->base) / page];
	if (t && t == tag_of(s->file))
		r = touch(p, page, A_VERIFY, 0, 0, c->shadow + (fb - c->base), &bad);
	else
		r = touch(p, page, A_READ, 0, 0, NULL, &bad);
	if (r == R_MISMATCH)
		note(c, OP_READ, r, allowed,
		     "fb %#llx through share %#llx+%#llx file %d holds %#x, wrote %#x",
		     (unsigned long long)(fb + bad), (unsigned long long)s->start,
		     (unsigned long long)s->size, s->file, touch_got,
		     c->shadow[fb - c->base + bad]);
	else
		note(c, OP_READ, r, allowed,
		     "page fb %#llx through share %#llx+%#llx prot %d file %d",
		     (unsigned long long)fb, (unsigned long long)s->start,
		     (unsigned long long)s->size, s->prot, s->file);
	if (r == R_SIGBUS)
		saw_sigbus(c, s);
}

/*
 * INFO always works. Its identity fields and its memory type (WC) never
 * change; REVOKED is set only with --revoke, always once the file is
 * surely revoked, and stays. GET_MODE works until revocation, then fails
 * with ENODEV; without a mode interface it fails with EOPNOTSUPP, always.
 */
static void op_info(struct ctx *c, int fd, int f)
{
	struct vidshare_info info;
	struct vidshare_mode mode;
	bool was = seen_revoked(f), must = gone(f), rev;
	uint64_t allowed;
	int r;

	memset(&info, 0xa5, sizeof(info));
	r = ioctl(fd, VIDSHARE_IOC_INFO, &info) ? res_of(errno) : 0;
	note(c, OP_INFO, r, OK, "fd %d file %d", fd, f);
	if (r)
		return;
	rev = info.flags & VIDSHARE_INFO_REVOKED;
	if (info.api_version != VIDSHARE_API_VERSION || info.vendor != adapter_vendor ||
	    info.device != adapter_device || info.fb_size != fb_size ||
	    info.max_shares != max_shares || info.reserved[0] || info.reserved[1] ||
	    info.reserved[2] || info.reserved[3] || !(info.flags & VIDSHARE_INFO_WC) != !wc ||
	    (info.flags & ~(VIDSHARE_INFO_WC | VIDSHARE_INFO_REVOKED)))
		fail(c, OP_INFO, "fd %d: api %u id %04x:%04x fb_size %llu max_shares %u flags %#x",
		     fd, info.api_version, info.vendor, info.device,
		     (unsigned long long)info.fb_size, info.max_shares, info.flags);
	if (rev && !cfg.revoke)
		fail(c, OP_INFO, "fd %d file %d reports REVOKED", fd, f);
	if (!rev && (was || must))
		fail(c, OP_INFO, "fd %d file %d not REVOKED, though %s", fd, f,
		     must ? "an unbind completed after its open" : "it was seen revoked");
	if (rev) {
		ADD(st->info_revoked, 1);
		WRITE_ONCE(files[f].revoked, OP_INFO + 100);
		if (info.width || info.height || info.bpp || info.stride)
			fail(c, OP_INFO, "fd %d: revoked, but mode %ux%ux%u", fd,
			     info.width, info.height, info.bpp);
	}

	memset(&mode, 0xa5, sizeof(mode));
	allowed = cfg.revoke ? OK | B(ENODEV) : OK;
	if (rev || must)
		allowed = B(ENODEV);
	if (!modes)
		allowed = B(R_EOPNOTSUPP);
	r = ioctl(fd, VIDSHARE_IOC_GET_MODE, &mode) ? res_of(errno) : 0;
	note(c, OP_GET_MODE, r, allowed, "fd %d file %d revoked %d", fd, f, rev);
	if (r == ENODEV)
		WRITE_ONCE(files[f].revoked, OP_GET_MODE + 100);
}

/*
 * Open the adapter's node (found again each time: after a rebind it may
 * have another minor). Without --revoke it must work. With it, while the
 * adapter is away: ENOENT (no node), ENXIO (a stale node) or ENODEV (revoked
 * during the open).
 */
static int open_file(struct ctx *c, int mode, int *file)
{
	uint64_t before = READ_ONCE(st->revocations);
	char node[PATH_MAX];
	int fd, r;

	if (!find_node(node, sizeof(node))) {
		note(c, OP_OPEN, ENOENT, cfg.revoke ? B(ENOENT) : OK, "no adapter bound");
		return -1;
	}
	fd = open(node, mode | O_CLOEXEC);
	r = fd < 0 ? res_of(errno) : 0;
	note(c, OP_OPEN, r, cfg.revoke ? OK | B(ENOENT) | B(ENXIO) | B(ENODEV) : OK,
	     "open(%s, %s)", node, mode == O_RDONLY ? "O_RDONLY" : "O_RDWR");
	if (r)
		return -1;
	*file = new_file(mode, READ_ONCE(st->revocations), before > 0);
	if (*file < 0) {
		close(fd);
		return -1;
	}
	if (before > 0)
		ADD(st->opens_after, 1);
	return fd;
}

static void op_open(struct ctx *c, int i)
{
	int fd, f, old;

	if (c->child)
		return;
	fd = open_file(c, rnd(c, 6) ? O_RDWR : O_RDONLY, &f);
	if (fd < 0)
		return;
	pthread_rwlock_wrlock(&slots[i].lock);
	old = slots[i].fd;
	slots[i].fd = fd;
	slots[i].file = f;
	pthread_rwlock_unlock(&slots[i].lock);
	if (old >= 0)
		note(c, OP_CLOSE, close(old) ? res_of(errno) : 0, OK, "close(%d)", old);
}

/* close(2) of a slot's descriptor: works; the file's shares stay usable. */
static void op_close(struct ctx *c, int i)
{
	int old;

	if (c->child)
		return;
	pthread_rwlock_wrlock(&slots[i].lock);
	old = slots[i].fd;
	slots[i].fd = -1;
	pthread_rwlock_unlock(&slots[i].lock);
	if (old >= 0)
		note(c, OP_CLOSE, close(old) ? res_of(errno) : 0, OK, "close(%d)", old);
}

/* dup(2) of one slot into another: the same file, UNSHARE works through both. */
static void op_dup(struct ctx *c, int from, int to)
{
	int fd, f, nfd, old;

	if (c->child || from == to)
		return;
	fd = slot_get(c, from, &f);
	if (fd < 0)
		return;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	note(c, OP_DUP, nfd < 0 ? res_of(errno) : 0, OK, "dup(%d)", fd);
	slot_put(c, from);
	if (nfd < 0)
		return;
	pthread_rwlock_wrlock(&slots[to].lock);
	old = slots[to].fd;
	slots[to].fd = nfd;
	slots[to].file = f;
	pthread_rwlock_unlock(&slots[to].lock);
	if (old >= 0)
		note(c, OP_CLOSE, close(old) ? res_of(errno) : 0, OK, "close(%d)", old);
}

static void one_op(struct ctx *c);

/* End every share: UNSHARE where a descriptor of its file is at hand. */
static void end_shares(struct ctx *c)
{
	int i;

	for (i = 0; i < MAX_SHARES; i++) {
		if (!c->sh[i].used)
			continue;
		if (rnd(c, 2))
			op_unshare(c, &c->sh[i]);
		if (c->sh[i].used)
			op_munmap(c, &c->sh[i], false);
	}
}

/*
 * In a child: none of the parent's shares was inherited (VM_DONTCOPY): the
 * range is unmapped (mincore: ENOMEM) and UNSHARE of it through the
 * inherited file finds nothing (ENOENT).
 */
static void check_no_inherit(struct ctx *c, struct share *parent, int n)
{
	unsigned char vec;
	int i, j, r;

	for (i = 0; i < n; i++) {
		if (!parent[i].used)
			continue;
		r = mincore((void *)(uintptr_t)parent[i].start, page, &vec) ? res_of(errno) : 0;
		note(c, OP_NO_INHERIT, r, B(ENOMEM), "parent's share %#llx+%#llx in the child",
		     (unsigned long long)parent[i].start, (unsigned long long)parent[i].size);
		for (j = 0; j < NSLOTS; j++) {
			struct vidshare_unshare u = { .virtual_addr = parent[i].addr };

			if (c->cfd[j] < 0 || c->cfile[j] != parent[i].file)
				continue;
			r = ioctl(c->cfd[j], VIDSHARE_IOC_UNSHARE, &u) ? res_of(errno) : 0;
			note(c, OP_NO_INHERIT, r, B(ENOENT),
			     "UNSHARE of parent's share %#llx in the child",
			     (unsigned long long)parent[i].addr);
		}
	}
}

/* The child's part: a narrower window, its own shares, a few ops, exit. */
static void child_ops(struct ctx *c, uint64_t wbase, uint64_t wlen, int nops)
{
	c->child = true;
	c->shadow += wbase - c->base;
	c->tag += (wbase - c->base) / page;
	c->base = wbase;
	c->len = wlen;
	memset(c->sh, 0, sizeof(c->sh));
	c->nsh = 0;
	while (nops--)
		one_op(c);
	/* leave some shares to the exit of the process */
	if (rnd(c, 2))
		end_shares(c);
	_exit(0);
}

static void reap(struct ctx *c, pid_t pid, enum op op)
{
	int status;

	if (waitpid(pid, &status, 0) != pid) {
		fail(c, op, "waitpid(%d): %s", (int)pid, strerror(errno));
		return;
	}
	ADD(st->children, 1);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		ADD(st->children_bad, 1);
		fail(c, op, "child %d ended with status %#x", (int)pid, status);
	}
}

/* A random block of the own window for a child to write to. */
static void child_window(struct ctx *c, uint64_t *wbase, uint64_t *wlen)
{
	*wlen = BLOCK_PAGES * page;
	*wbase = c->base + *wlen * rnd(c, c->len / *wlen);
}

/*
 * fork(2): the child gets the descriptors (held open across the fork),
 * checks that it inherited no share, then works through its own shares on
 * the inherited files in a part of the window the parent leaves alone
 * until it has reaped the child.
 */
static void op_fork(struct ctx *c)
{
	uint64_t wbase, wlen, seed = rnd64(c);
	struct share parent[MAX_SHARES];
	int i, held[NSLOTS];
	pid_t pid;

	if (c->child)
		return;
	child_window(c, &wbase, &wlen);
	for (i = 0; i < NSLOTS; i++) {
		c->cfd[i] = slot_get(c, i, &c->cfile[i]);
		held[i] = c->cfd[i] >= 0;
	}
	memcpy(parent, c->sh, sizeof(parent));
	pid = fork();
	if (!pid) {
		snprintf(c->name, sizeof(c->name), "fork-child");
		c->rng = splitmix(seed) | 1;
		c->child = true;
		check_no_inherit(c, parent, MAX_SHARES);
		child_ops(c, wbase, wlen, 6 + rnd(c, 10));
	}
	for (i = 0; i < NSLOTS; i++)
		if (held[i])
			slot_put(c, i);
	note(c, OP_FORK, pid < 0 ? res_of(errno) : 0, OK, "fork");
	if (pid > 0)
		reap(c, pid, OP_FORK);
	forget(c, wbase, wlen);
}

/*
 * SCM_RIGHTS both ways with a child: the parent sends one of its
 * descriptors, the child shares and writes through it (the same file, so
 * the same max_shares count and revocation), opens the device itself and
 * sends that descriptor back; the parent shares through it and keeps it in
 * a slot.
 */
static void op_scm(struct ctx *c)
{
	uint64_t wbase, wlen, seed = rnd64(c);
	int sv[2], fd, f, i, nfd, err, r, payload;
	pid_t pid;

	if (c->child)
		return;
	i = rnd(c, NSLOTS);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		note(c, OP_SCM, res_of(errno), OK, "socketpair");
		return;
	}
	child_window(c, &wbase, &wlen);
	/* hold the descriptor open across the fork: the child knows its file */
	fd = slot_get(c, i, &f);
	pid = fork();
	if (!pid) {
		int j, file = -1, mine;

		snprintf(c->name, sizeof(c->name), "scm-child");
		c->rng = splitmix(seed) | 1;
		c->child = true;
		close(sv[0]);
		for (j = 0; j < NSLOTS; j++)
			c->cfd[j] = -1;
		err = EPIPE;
		nfd = recv_fd(sv[1], &err, sizeof(err));
		if (nfd >= 0) {
			/* the file the parent sent, known by its slot's record */
			file = err;
			c->cfd[0] = nfd;
			c->cfile[0] = file;
		}
		mine = open_file(c, O_RDWR, &f);
		err = mine < 0 ? ENODEV : 0;
		r = send_fd(sv[1], mine, &err, sizeof(err));
		note(c, OP_SCM, res_of(r), OK, "child sends fd %d", mine);
		if (mine >= 0) {
			c->cfd[1] = mine;
			c->cfile[1] = f;
		}
		child_ops(c, wbase, wlen, 4 + rnd(c, 8));
	}
	close(sv[1]);
	if (pid < 0) {
		note(c, OP_SCM, res_of(errno), OK, "fork");
		if (fd >= 0)
			slot_put(c, i);
		close(sv[0]);
		return;
	}
	/* the payload is the file's index: the child has a copy of the table */
	payload = fd >= 0 ? f : -1;
	r = send_fd(sv[0], fd, &payload, sizeof(payload));
	if (fd >= 0)
		slot_put(c, i);
	note(c, OP_SCM, res_of(r), OK, "parent sends fd %d", fd);
	err = EPIPE;
	nfd = recv_fd(sv[0], &err, sizeof(err));
	r = nfd >= 0 ? 0 : res_of(err);
	note(c, OP_SCM, r, cfg.revoke ? OK | B(ENODEV) : OK, "receive the child's descriptor");
	reap(c, pid, OP_SCM);
	close(sv[0]);
	forget(c, wbase, wlen);
	if (nfd < 0)
		return;
	f = new_file(O_RDWR, READ_ONCE(st->revocations), READ_ONCE(st->revocations) > 0);
	if (f < 0) {
		close(nfd);
		return;
	}
	if (c->nsh < MAX_SHARES)
		op_share(c, nfd, f);
	i = rnd(c, NSLOTS);
	pthread_rwlock_wrlock(&slots[i].lock);
	fd = slots[i].fd;
	slots[i].fd = nfd;
	slots[i].file = f;
	pthread_rwlock_unlock(&slots[i].lock);
	if (fd >= 0)
		note(c, OP_CLOSE, close(fd) ? res_of(errno) : 0, OK, "close(%d)", fd);
}

/*
 * After a revocation completed: every share of a file opened before it
 * must raise SIGBUS on access, each one of them.
 */
static void sweep(struct ctx *c)
{
	uint64_t now = READ_ONCE(st->revocations);
	int i;

	if (now == c->seen_revocations)
		return;
	c->seen_revocations = now;
	for (i = 0; i < MAX_SHARES; i++) {
		struct share *s = &c->sh[i];

		if (s->used && s->prot != PROT_NONE && gone(s->file))
			access_page(c, OP_SWEEP, s, rnd(c, s->size / page), false);
	}
}

/* One operation, chosen at random. */
static void one_op(struct ctx *c)
{
	int i = rnd(c, NSLOTS), w = rnd(c, 1000), fd, f;
	struct share *s = pick(c);

	c->doing = OP_SWEEP;
	if (cfg.revoke && !c->child)
		sweep(c);
	c->doing = w < 60 ? OP_OPEN : w < 66 ? OP_FORK : OP_SCM;
	if (w < 60) {				/* descriptors */
		if (w < 20)
			op_open(c, i);
		else if (w < 35)
			op_close(c, i);
		else
			op_dup(c, rnd(c, NSLOTS), i);
		return;
	}
	if (w < 66) {
		op_fork(c);
		return;
	}
	if (w < 71) {
		op_scm(c);
		return;
	}
	if (w < 450 || !s) {			/* through a descriptor */
		fd = slot_get(c, i, &f);
		if (fd >= 0 && !c->child && seen_revoked(f) && rnd(c, 2)) {
			slot_put(c, i);		/* mostly, replace a revoked file */
			fd = -1;
		}
		if (fd < 0) {
			op_open(c, i);
			return;
		}
		c->doing = w < 120 ? OP_INFO : w < 150 ? OP_SHARE_BAD : w < 170 ?
			   OP_UNSHARE_BAD : w < 320 ? OP_SHARE : OP_MMAP;
		if (w < 120)
			op_info(c, fd, f);
		else if (w < 150)
			op_bad(c, fd, f);
		else if (w < 170)
			op_unshare_bad(c, fd, f);
		else if (c->nsh >= MAX_SHARES)
			w = 1000;		/* full: end one below */
		else if (w < 320)
			op_share(c, fd, f);
		else
			op_mmap(c, fd, f);
		slot_put(c, i);
		if (w < 1000 || !s)
			return;
	}
	c->doing = w < 530 ? OP_WRITE : w < 630 ? OP_READ : w < 690 ? OP_MPROTECT :
		   w < 730 ? OP_MREMAP : w < 790 ? OP_MADVISE : w < 810 ? OP_MUNMAP_PART :
		   w < 880 ? OP_MUNMAP : OP_UNSHARE;
	if (w < 530)
		op_write(c, s);
	else if (w < 630)
		op_read(c, s);
	else if (w < 690)
		op_mprotect(c, s);
	else if (w < 730)
		op_mremap(c, s);
	else if (w < 790)
		op_madvise(c, s);
	else if (w < 810)
		op_munmap(c, s, true);
	else if (w < 880)
		op_munmap(c, s, false);
	else
		op_unshare(c, s);
}

/* ------------------------------------------------------------------ */
/* Workers                                                              */
/* ------------------------------------------------------------------ */

struct worker {
	pthread_t tid;
	unsigned int proc, thread;
	uint64_t quota;
	struct ctx *c;
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct ctx *c = w->c;
	uint64_t n, region = w->proc * cfg.threads + w->thread;
	double limit = cfg.seconds;

	snprintf(c->name, sizeof(c->name), "p%u.t%u", w->proc, w->thread);
	seed_ctx(c, w->proc + 1, w->thread + 1);
	c->base = region * window;
	c->len = window;
	c->shadow = calloc(1, window);
	c->tag = calloc(window / page, sizeof(*c->tag));
	c->reserve = (uintptr_t)mmap(NULL, 3 * MOVE_PAGES * page, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!c->shadow || !c->tag) {
		fail(c, OP_WRITE, "out of memory");
		return NULL;
	}
	for (n = 0; n < w->quota || !cfg.ops; n++) {
		if (limit && elapsed() >= limit)
			break;
		one_op(c);
		ADD(st->ops_done, 1);
	}
	end_shares(c);
	return NULL;
}

static int worker_proc(unsigned int proc, uint64_t quota)
{
	struct worker w[64];
	struct ctx *cs;
	unsigned int t;
	int i, f;

	cs = calloc(cfg.threads, sizeof(*cs));
	if (!cs)
		return 1;
	for (i = 0; i < NSLOTS; i++) {
		pthread_rwlock_init(&slots[i].lock, NULL);
		slots[i].fd = -1;
	}
	snprintf(cs[0].name, sizeof(cs[0].name), "p%u", proc);
	for (i = 0; i < 2; i++) {
		slots[i].fd = open_file(&cs[0], O_RDWR, &f);
		if (slots[i].fd >= 0)
			slots[i].file = f;
	}
	for (t = 0; t < cfg.threads; t++) {
		w[t].proc = proc;
		w[t].thread = t;
		w[t].c = &cs[t];
		w[t].quota = quota / cfg.threads + (t < quota % cfg.threads);
		if (pthread_create(&w[t].tid, NULL, worker_thread, &w[t])) {
			fail(NULL, OP_FORK, "pthread_create failed");
			return 1;
		}
	}
	for (t = 0; t < cfg.threads; t++)
		pthread_join(w[t].tid, NULL);
	for (i = 0; i < NSLOTS; i++)
		if (slots[i].fd >= 0)
			note(NULL, OP_CLOSE, close(slots[i].fd) ? res_of(errno) : 0, OK, "close");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The unbinder                                                         */
/* ------------------------------------------------------------------ */

static bool wait_for(bool (*cond)(const char *), const char *arg, int ms)
{
	for (; ms > 0; ms -= 20) {
		if (cond(arg))
			return true;
		msleep(20);
	}
	return cond(arg);
}

static bool pci_gone(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DIR "/%s", bdf);
	return access(path, F_OK) != 0;
}

static bool adapter_bound(const char *unused)
{
	char node[PATH_MAX];

	(void)unused;
	return find_node(node, sizeof(node)) && !access(node, F_OK);
}

static bool stopping(void)
{
	return READ_ONCE(st->stop);
}

/*
 * Unbind (or unplug) the adapter and bind (or plug) it again, at random
 * intervals around --unbind milliseconds, until the workers are done. A
 * revocation counts once the unbind returned (the driver's remove() ran)
 * or, for an unplug, the PCI function is gone. The adapter is bound again
 * at the end.
 */
static void unbinder(void)
{
	struct ctx c = { .name = "unbinder" };
	const char *bdf = adapter_bdf;
	int r;

	seed_ctx(&c, 0, 0);
	while (!stopping()) {
		msleep(cfg.unbind_ms / 2 + rnd(&c, cfg.unbind_ms + 1));
		if (stopping())
			break;
		if (pci_gone(bdf)) {
			fail(&c, OP_UNBIND, "no PCI function %s", bdf);
			break;
		}
		if (cfg.unplug_cmd) {
			r = system(cfg.unplug_cmd);
			r = r ? EIO : wait_for(pci_gone, bdf, WAIT_MS) ? 0 : ETIMEDOUT;
		} else {
			r = -unbind_device(bdf);
		}
		note(&c, OP_UNBIND, res_of(r), OK, "%s %s", cfg.unplug_cmd ?: "unbind", bdf);
		if (r)
			break;
		ADD(st->revocations, 1);
		msleep(rnd(&c, cfg.unbind_ms / 2 + 1));
		if (cfg.plug_cmd)
			r = system(cfg.plug_cmd) ? EIO : 0;
		else
			r = -bind_device(bdf);
		if (!r)
			r = wait_for(adapter_bound, NULL, WAIT_MS) ? 0 : ETIMEDOUT;
		note(&c, OP_BIND, res_of(r), OK, "%s %s", cfg.plug_cmd ?: "bind", bdf);
		if (r)
			break;
		ADD(st->rebinds, 1);
	}
}

/* ------------------------------------------------------------------ */
/* The end: checks on the whole run                                     */
/* ------------------------------------------------------------------ */

/*
 * After the rebinds, a new open shares, writes and reads back; debugfs
 * lists the share with the adapter's memory type, read back from its
 * page-table entries: "wc" on a write-combining adapter, "uc-"
 * (uncached-minus) on an uncached one.
 */
static bool final_share(void)
{
	struct ctx c = { .name = "final" };
	uint32_t pat = (uint32_t)cfg.seed;
	struct vidshare_share req = { .view_offset = 3, .view_size = 2 * page };
	const char *type = wc ? "wc" : "uc-";
	char node[PATH_MAX], want[16];
	struct share_row row = { .flags = "" };
	uint64_t bad;
	int fd, f, r, d = -ENODEV;

	if (!wait_for(adapter_bound, NULL, WAIT_MS))
		return false;
	fd = open_file(&c, O_RDWR, &f);
	if (fd < 0)
		return false;
	r = ioctl(fd, VIDSHARE_IOC_SHARE, &req) ? errno : 0;
	if (!r) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)req.virtual_addr;
		uint8_t want[64];
		int i;

		if (find_node(node, sizeof(node)))
			d = debugfs_row(node, req.virtual_addr & ~(page - 1), &row);
		for (i = 0; i < 64; i++)
			want[i] = pat_byte(pat, 3 + i);
		r = touch(p, 64, A_WRITE, pat, 3, NULL, &bad);
		if (!r)
			r = touch(p, 64, A_VERIFY, 0, 0, want, &bad);
		munmap((void *)(uintptr_t)(req.virtual_addr & ~(page - 1)), req.shared_size);
	}
	close(fd);
	if (r)
		out("# final share after the run: %s\n", res_name(res_of(r)));
	snprintf(want, sizeof(want), "rw,%s", type);
	if (!r && d != -ESRCH && d < 0) {
		out("# final share after the run: no debugfs list (%s), its memory type is not checked\n",
		    strerror(-d));
	} else if (!r && (d || strcmp(row.flags, want))) {
		out("# final share after the run: debugfs flags \"%s\", want \"%s\"\n",
		    d ? "(not listed)" : row.flags, want);
		r = EPROTO;
	}
	return !r;
}

/*
 * x86 PAT's memtype list against the memory BARs of every binding the run
 * saw: the frame buffer of a write-combining adapter holds exactly one
 * write-combining entry for exactly [fb_phys, fb_phys + fb_size), its own
 * reservation, made at bind; an uncached adapter has none. The only other
 * entry allowed in its BARs is vidshare's ioremap() of a whole register
 * BAR (uncached-minus). A share's own entry, or one an unbind left
 * behind, is an entry too many. Returns those entries, the first in
 * @first, and in *@fb the reservations found; -1 if PAT's list is unknown,
 * and one entry too many if it is too long to read whole.
 */
static int pat_check(char *first, size_t size, int *fb)
{
	static struct pat_ent e[4096];
	uint64_t fb_phys = READ_ONCE(st->fb_phys);
	int n = 0, i, j, nbars = READ_ONCE(st->nbars);
	int ne = pat_overlapping(0, UINT64_MAX, e, ARRAY_SIZE(e));

	*fb = 0;
	if (nbars > MAX_BARS)
		nbars = MAX_BARS;
	/* A list too long to read whole fails the check rather than pass half. */
	if (ne == -E2BIG || ne > (int)ARRAY_SIZE(e)) {
		snprintf(first, size, "%s is too long to read whole", PAT_MEMTYPE_LIST);
		return 1;
	}
	if (ne < 0)
		return -1;
	for (j = 0; j < ne; j++) {
		for (i = 0; i < nbars; i++)
			if (e[j].start < st->bars[i].end && e[j].end > st->bars[i].start)
				break;
		if (i == nbars)
			continue;	/* not the adapter's */
		if (wc && e[j].start == fb_phys && e[j].end == fb_phys + fb_size &&
		    !strcmp(e[j].type, memtype_name(true))) {
			++*fb;
			continue;
		}
		if (!st->bars[i].fb && e[j].start == st->bars[i].start &&
		    e[j].end == st->bars[i].end && !strcmp(e[j].type, memtype_name(false)))
			continue;
		if (!n++)
			snprintf(first, size, "PAT: [mem 0x%016llx-0x%016llx] %s", e[j].start,
				 e[j].end, e[j].type);
	}
	return n;
}

/* Lines of /sys/kernel/debug/vidshare/STAR/shares below their header. */
static int debugfs_left(char *first, size_t size)
{
	char path[PATH_MAX], buf[4096], *line, *save;
	struct dirent *de;
	int n = 0, found = 0;
	DIR *dir;

	dir = opendir(VIDSHARE_DEBUGFS);
	if (!dir)
		return -1;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), VIDSHARE_DEBUGFS "/%s/shares", de->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0)
			continue;
		found++;
		line = strtok_r(buf, "\n", &save);	/* the header */
		while ((line = strtok_r(NULL, "\n", &save))) {
			if (!n++)
				snprintf(first, size, "%s: %s", de->d_name, line);
		}
	}
	closedir(dir);
	return found ? n : -1;
}

/* One test of the TAP output, with its details in a diagnostic line before it. */
static void tap(bool ok, const char *name, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ksft_print_msg("%s: %s\n", name, buf);
	ksft_test_result_code(ok ? KSFT_PASS : KSFT_FAIL, name, NULL);
}

static int report(bool final_ok, double secs)
{
	uint64_t total_ops = 0, ok_n, err_n, unexp;
	char line[768], first[512];
	int op, r, n, fb, ntests = NR_OPS + 8;
	bool must_ok;

	/* the unbinder's tests exist only when there is one */
	for (op = 0; op < NR_OPS; op++)
		ntests -= ops[op].revoke_only && !cfg.unbind_ms;
	size_t len;

	ksft_print_header();
	ksft_set_plan(ntests);
	out("# seed %llu ops %llu seconds %u procs %u threads %u max_shares %u\n",
	    (unsigned long long)cfg.seed, (unsigned long long)cfg.ops, cfg.seconds, cfg.procs,
	    cfg.threads, max_shares);
	out("# revoke %d unbind_ms %u unplug %s\n", cfg.revoke, cfg.unbind_ms,
	    cfg.unplug_cmd ?: "-");
	for (op = 0; op < NR_OPS; op++) {
		ok_n = st->res[op][0];
		err_n = 0;
		len = 0;
		line[0] = '\0';
		for (r = 0; r < NR_RES; r++) {
			total_ops += st->res[op][r];
			if (r)
				err_n += st->res[op][r];
			if (st->res[op][r] && len < sizeof(line) - 40)
				len += snprintf(line + len, sizeof(line) - len, " %s %llu",
						res_name(r), (unsigned long long)st->res[op][r]);
		}
		unexp = st->unexpected[op];
		if (ops[op].revoke_only && !cfg.unbind_ms) {
			if (unexp || len)
				tap(false, ops[op].name, "ran without --unbind:%s", line);
			continue;
		}
		/* without a mode interface GET_MODE must fail (EOPNOTSUPP) */
		must_ok = ops[op].must_ok && (op != OP_GET_MODE || modes);
		tap(!unexp && (must_ok ? ok_n : err_n) > 0, ops[op].name,
		    "%s;%s unexpected %llu", len ? line + 1 : "never ran",
		    must_ok ? "" : " (refusals expected)", (unsigned long long)unexp);
	}
	n = READ_ONCE(st->ops_done);
	tap(cfg.ops ? (uint64_t)n >= cfg.ops : n > 0, "ops_ran",
	    "%d operations (%llu results) of %llu requested in %.1f s", n,
	    (unsigned long long)total_ops, (unsigned long long)cfg.ops, secs);
	tap(!st->res[OP_READ][R_MISMATCH] && !st->res[OP_WRITE][R_MISMATCH], "data_verified",
	    "%llu mismatches in %llu verified writes and %llu reads",
	    (unsigned long long)(st->res[OP_READ][R_MISMATCH] + st->res[OP_WRITE][R_MISMATCH]),
	    (unsigned long long)st->res[OP_WRITE][0], (unsigned long long)st->res[OP_READ][0]);
	tap(st->children > 0 && !st->children_bad, "children",
	    "%llu children reaped, %llu ended badly", (unsigned long long)st->children,
	    (unsigned long long)st->children_bad);
	tap(wc ? st->uc_refused && !st->uc_ok : st->uc_ok && !st->uc_refused, "uncached",
	    "%s adapter: %llu uncached SHARE and mmap(2) worked, %llu were refused with EOPNOTSUPP",
	    wc ? "a write-combining" : "an uncached", (unsigned long long)st->uc_ok,
	    (unsigned long long)st->uc_refused);
	tap(fb_size < 4 * HUGE_BLOCK || st->huge_ok, "huge_views",
	    "%llu SHARE and mmap(2) of 2 MiB or more worked (frame buffer %llu MiB)",
	    (unsigned long long)st->huge_ok, (unsigned long long)(fb_size >> 20));
	if (cfg.revoke && cfg.unbind_ms) {
		uint64_t sigbus = 0, enodev = 0;

		for (op = 0; op < NR_OPS; op++) {
			sigbus += st->res[op][R_SIGBUS];
			enodev += st->res[op][ENODEV];
		}
		tap(st->revocations > 0 && sigbus && enodev && st->info_revoked &&
		    st->opens_after && st->shares_after && final_ok, "revocation",
		    "%llu unbinds, %llu rebinds; %llu SIGBUS, %llu ENODEV, %llu INFO REVOKED; %llu opens and %llu shares after an unbind; share after the run %s",
		    (unsigned long long)st->revocations, (unsigned long long)st->rebinds,
		    (unsigned long long)sigbus, (unsigned long long)enodev,
		    (unsigned long long)st->info_revoked, (unsigned long long)st->opens_after,
		    (unsigned long long)st->shares_after, final_ok ? "works" : "FAILED");
	} else {
		tap(final_ok, "share_after_run", "a new open shares, writes and reads back: %s",
		    final_ok ? "works" : "FAILED");
	}
	n = pat_check(first, sizeof(first), &fb);
	if (n < 0)
		ksft_test_result_code(KSFT_SKIP, "pat_memtype_clean", "no %s", PAT_MEMTYPE_LIST);
	else
		tap(!n && fb == (wc ? 1 : 0) && st->nbars, "pat_memtype_clean",
		    "%d write-combining reservations of the frame buffer (want %d), %d other PAT entries in %d BAR ranges%s%s",
		    fb, wc ? 1 : 0, n, st->nbars, n ? ", first: " : "", n ? first : "");
	n = debugfs_left(first, sizeof(first));
	if (n < 0)
		ksft_test_result_code(KSFT_SKIP, "debugfs_shares_empty", "no %s/*/shares",
				      VIDSHARE_DEBUGFS);
	else
		tap(!n, "debugfs_shares_empty", "%d shares listed%s%s", n, n ? ", first: " : "",
		    n ? first : "");
	if ((int)ksft_test_num() != ntests)
		tap(false, "plan", "%u tests, planned %d", ksft_test_num(), ntests);
	ksft_print_msg("vidshare_stress: %s: %u of %u failed; seed %llu, %llu ops in %.1f s\n",
		       ksft_get_fail_cnt() ? "FAIL" : "PASS", ksft_get_fail_cnt(),
		       ksft_test_num(), (unsigned long long)cfg.seed,
		       (unsigned long long)READ_ONCE(st->ops_done), secs);
	return ksft_get_fail_cnt() ? 1 : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--seed N] [--ops N] [--seconds S] [--threads N] [--procs N]\n"
		"          [--device PATH] [--max-shares N] [--revoke [--unbind MS |\n"
		"          --unplug-cmd CMD --plug-cmd CMD]]\n"
		"Runs N operations (0: no limit), or stops after S seconds (0: none);\n"
		"fewer than N operations fail the run. Prints TAP, exits 1 on any failure.\n",
		prog);
	exit(2);
}

static unsigned long long num(const char *s, const char *prog)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (!*s || *end)
		usage(prog);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "ops", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 't' },
		{ "threads", required_argument, NULL, 'T' },
		{ "procs", required_argument, NULL, 'P' },
		{ "device", required_argument, NULL, 'd' },
		{ "max-shares", required_argument, NULL, 'm' },
		{ "revoke", no_argument, NULL, 'r' },
		{ "unbind", required_argument, NULL, 'u' },
		{ "unplug-cmd", required_argument, NULL, 'U' },
		{ "plug-cmd", required_argument, NULL, 'B' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	char node[PATH_MAX], old_max[32] = "", buf[32];
	struct vidshare_info info;
	struct vidshare_mode mode;
	pid_t pids[64], unb = 0;
	uint64_t progress = 0;
	bool final_ok = true;
	unsigned int p;
	int opt, fd, status, ret;
	double secs;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 's':
			cfg.seed = num(optarg, argv[0]);
			break;
		case 'n':
			cfg.ops = num(optarg, argv[0]);
			break;
		case 't':
			cfg.seconds = num(optarg, argv[0]);
			break;
		case 'T':
			cfg.threads = num(optarg, argv[0]);
			break;
		case 'P':
			cfg.procs = num(optarg, argv[0]);
			break;
		case 'd':
			cfg.device = optarg;
			break;
		case 'm':
			cfg.max_shares = num(optarg, argv[0]);
			break;
		case 'r':
			cfg.revoke = true;
			break;
		case 'u':
			cfg.unbind_ms = num(optarg, argv[0]);
			break;
		case 'U':
			cfg.unplug_cmd = optarg;
			break;
		case 'B':
			cfg.plug_cmd = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}
	if (optind != argc || !cfg.threads || cfg.threads > 64 || !cfg.procs ||
	    cfg.procs > 64 || (!cfg.ops && !cfg.seconds) ||
	    ((cfg.unbind_ms || cfg.unplug_cmd) && !cfg.revoke) ||
	    (!cfg.unplug_cmd != !cfg.plug_cmd))
		usage(argv[0]);
	if (cfg.unplug_cmd && !cfg.unbind_ms)
		cfg.unbind_ms = 1000;
	setvbuf(stdout, NULL, _IONBF, 0);
	page = sysconf(_SC_PAGESIZE);
	clock_gettime(CLOCK_MONOTONIC, &t_start);
	signal(SIGPIPE, SIG_IGN);
	probe_catch(NULL, NULL);

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/*
	 * The adapter, as the selftests find it: --device (or $VIDSHARE_DEV),
	 * $VIDSHARE_PCI, or the one vidshare device there is; found again by
	 * its PCI address after every rebind.
	 */
	if (cfg.device)
		setenv("VIDSHARE_DEV", cfg.device, 1);
	ret = find_adapter(adapter_bdf, sizeof(adapter_bdf), node, sizeof(node));
	if (ret)
		ksft_exit_fail_msg("no vidshare device (%s): %s\n", dev_path(), strerror(-ret));
	if (!find_node(node, sizeof(node)))
		ksft_exit_fail_msg("no vidshare device bound to %s\n", adapter_bdf);
	fd = open(node, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, VIDSHARE_IOC_INFO, &info))
		ksft_exit_fail_msg("%s: %s\n", node, strerror(errno));
	adapter_vendor = info.vendor;
	adapter_device = info.device;
	ret = ioctl(fd, VIDSHARE_IOC_GET_MODE, &mode) ? errno : 0;
	close(fd);
	if (ret && ret != EOPNOTSUPP) {
		out("Bail out! GET_MODE on %s: %s\n", node, strerror(ret));
		return 1;
	}
	modes = !ret;
	wc = info.flags & VIDSHARE_INFO_WC;
	fb_size = info.fb_size;
	max_shares = info.max_shares;
	window = fb_size / (cfg.procs * cfg.threads) / (BLOCK_PAGES * page) *
		 (BLOCK_PAGES * page);
	if (window < 2 * BLOCK_PAGES * page) {
		out("Bail out! %llu bytes of frame buffer are too few for %u threads\n",
		    (unsigned long long)fb_size, cfg.procs * cfg.threads);
		return 1;
	}
	out("# vidshare_stress: %s, fb_size %llu, %u procs x %u threads, window %llu KiB\n",
	    node, (unsigned long long)fb_size, cfg.procs, cfg.threads,
	    (unsigned long long)(window >> 10));
	out("# seed %llu\n", (unsigned long long)cfg.seed);
	out("# adapter %s (%04x:%04x): %s, %s mode interface\n", adapter_bdf, adapter_vendor,
	    adapter_device, wc ? "write-combining" : "uncached", modes ? "a" : "no");
	if (cfg.max_shares) {
		snprintf(buf, sizeof(buf), "%u\n", cfg.max_shares);
		if (read_file(MAX_SHARES_PARAM, old_max, sizeof(old_max)) < 0 ||
		    write_file(MAX_SHARES_PARAM, buf)) {
			out("Bail out! cannot set " MAX_SHARES_PARAM "\n");
			return 1;
		}
		max_shares = cfg.max_shares;
	}

	for (p = 0; p < cfg.procs; p++) {
		pids[p] = fork();
		if (!pids[p])
			_exit(worker_proc(p, cfg.ops / cfg.procs + (p < cfg.ops % cfg.procs)));
		if (pids[p] < 0) {
			out("Bail out! fork: %s\n", strerror(errno));
			return 1;
		}
	}
	if (cfg.unbind_ms) {
		unb = fork();
		if (!unb) {
			unbinder();
			_exit(0);
		}
	}
	for (p = 0; p < cfg.procs; ) {
		pid_t pid = waitpid(pids[p], &status, WNOHANG);
		uint64_t done = READ_ONCE(st->ops_done);

		if (!pid) {
			msleep(100);
			if (done * 10 / (cfg.ops ?: 1) > progress) {
				progress = done * 10 / (cfg.ops ?: 1);
				out("# progress: %llu ops, %.1f s, %llu unbinds\n",
				    (unsigned long long)done, elapsed(),
				    (unsigned long long)READ_ONCE(st->revocations));
			}
			continue;
		}
		if (pid != pids[p] || !WIFEXITED(status) || WEXITSTATUS(status))
			fail(NULL, OP_FORK, "worker %u ended with status %#x", p, status);
		p++;
	}
	WRITE_ONCE(st->stop, 1);
	if (unb > 0 && (waitpid(unb, &status, 0) != unb || !WIFEXITED(status) ||
			WEXITSTATUS(status)))
		fail(NULL, OP_UNBIND, "unbinder ended with status %#x", status);
	secs = elapsed();
	final_ok = final_share();
	if (old_max[0])
		write_file(MAX_SHARES_PARAM, old_max);
	ret = report(final_ok, secs);
	return ret;
}
