// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare bad-input selftests: every request of /dev/vidshareN with every
 * argument at its boundaries.
 *
 * The tests are tables. Every row names one documented condition, a row of
 * the errno table in Documentation/vidshare/uapi.rst (conds[] below): the
 * request, the errno it must give and what causes it. "vidshare_input_test
 * --errno-table" prints conds[] as tab-separated lines, and make check fails
 * when the table in uapi.rst is not exactly that. The last test fails when a
 * documented condition was never checked.
 *
 * After every case:
 *
 * - a failed request has changed nothing: the device mappings of the
 *   process (/proc/self/maps), its shares in debugfs and x86 PAT's memtype
 *   list are as before the case;
 * - a mapping that succeeded is exactly the expected VMA and is listed in
 *   debugfs, with the adapter's memory type read back from its page-table
 *   entries once it has them (SHARE fills them before it returns, mmap(2)
 *   at the first touch; "-" until then). It maps the frame-buffer bytes it
 *   should: a byte changed through a reference mapping of the whole frame
 *   buffer reads back through it at both ends (or the other way round for
 *   a write-only one). And PAT's memtype list is exactly as before: the
 *   memory type is the adapter's, reserved once at bind, and no share adds,
 *   changes or removes an entry;
 * - the device still works: a SHARE, a write and read through it and an
 *   UNSHARE succeed, and no share of this process is left.
 *
 * Every test starts by checking PAT's list against the adapter: one
 * write-combining entry for exactly the frame buffer of a write-combining
 * adapter, none for an uncached one, and nothing else in any of its BARs
 * but vidshare's own mapping of a whole register BAR. Once the adapter is
 * unbound nothing at all is left in its BARs; bound again, its entry is back.
 *
 * Some conditions cannot apply to every adapter: VIDSHARE_SHARE_UNCACHED
 * and VIDSHARE_MMAP_UNCACHED succeed on an uncached adapter and fail with
 * EOPNOTSUPP on a write-combining one (VIDSHARE_INFO_WC), and an adapter
 * without a mode interface fails GET_MODE and SET_MODE with EOPNOTSUPP
 * (checked too) before most of their conditions. Those count as not
 * applicable; the others must all be checked.
 *
 * Run as root with vidshare bound to a display adapter (the reference is a
 * QEMU std VGA, 1234:1111, 16 MiB BAR0, registers in BAR2; a QXL is an
 * uncached adapter without a mode interface); the device node is
 * $VIDSHARE_DEV, or the first vidshare class device. $VIDSHARE_EXPECT, if
 * set, may say "wc=0|1" and "modes=dispi|none" for the adapter. The fixture
 * "input" changes the max_shares module parameter, vm.mmap_min_addr,
 * vm.max_map_count and the display mode for a moment and restores them;
 * "revoked" unbinds the adapter and binds it again.
 */

#include <grp.h>
#include <stddef.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "vidshare_harness.h"

#include "vidshare_lib.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef __NR_mseal
#define __NR_mseal		462
#endif

#define MMAP_MIN_ADDR		"/proc/sys/vm/mmap_min_addr"
#define MAX_MAP_COUNT		"/proc/sys/vm/max_map_count"
#define UC			VIDSHARE_MMAP_UNCACHED
#define U64_MAX			UINT64_MAX
#define U32_MAX			UINT32_MAX
/* An address in the kernel half with 4- and 5-level paging alike. */
#define KERNEL_ADDR		0xffff800000000000ULL
/* Non-canonical with 4- and 5-level paging alike. */
#define NONCANON_ADDR		0x8000000000000000ULL
#define NONCANON_ADDR2		(1ULL << 56)
#define NOBODY			65534

/*
 * Note: EXPECT_*() and ASSERT_*() expand to two statements (the check and an
 * optional handler loop), so a loop or if body using them needs braces.
 */

/* ------------------------------------------------------------------ */
/* The documented conditions: the errno table of uapi.rst               */
/* ------------------------------------------------------------------ */

enum cond_id {
	INFO_OK, INFO_REVOKED, INFO_EFAULT,
	SHARE_OK, SHARE_OUT_FIELDS, SHARE_FLAGS, SHARE_HINT, SHARE_HINT_IGNORED,
	SHARE_FIXED, SHARE_SIZE_0, SHARE_PAST_END, SHARE_WRAP, SHARE_FLAGS_UNKNOWN,
	SHARE_RESERVED, SHARE_FIXED_NULL, SHARE_FIXED_UNALIGNED, SHARE_FIXED_RANGE,
	SHARE_FIXED_EXISTS, SHARE_FIXED_LOW, SHARE_RDONLY, SHARE_WRONLY,
	SHARE_UNCACHED_WC, SHARE_MAX_SHARES, SHARE_READ_IMPLIES_EXEC,
	SHARE_MAX_MAP_COUNT,
	SHARE_RLIMIT_AS, SHARE_MLOCK, SHARE_REVOKED, SHARE_EFAULT_IN,
	SHARE_EFAULT_OUT,
	UNSHARE_OK, UNSHARE_RO_ARG, UNSHARE_REVOKED, UNSHARE_FLAGS,
	UNSHARE_RESERVED, UNSHARE_NOT_A_SHARE, UNSHARE_OTHER_FILE, UNSHARE_SEALED,
	UNSHARE_EFAULT,
	GET_MODE_OK, GET_MODE_REVOKED, GET_MODE_EFAULT,
	SET_MODE_OK, SET_MODE_RO_ARG, SET_MODE_BPP, SET_MODE_WIDTH,
	SET_MODE_HEIGHT, SET_MODE_SIZE, SET_MODE_FLAGS, SET_MODE_RESERVED,
	SET_MODE_RDONLY, SET_MODE_REVOKED, SET_MODE_EFAULT,
	IOCTL_NR, IOCTL_SHAPE, IOCTL_TYPE,
	MMAP_OK, MMAP_UNCACHED, MMAP_PAST_END, MMAP_PRIVATE, MMAP_EXEC,
	MMAP_READ_IMPLIES_EXEC, MMAP_UNCACHED_WC, MMAP_MAX_SHARES, MMAP_REVOKED,
	MMAP_LENGTH_0,
	MMAP_UNALIGNED, MMAP_HUGE, MMAP_WRAP, MMAP_KERNEL_FLAGS, MMAP_VALIDATE,
	MMAP_RDONLY, MMAP_WRONLY, MMAP_EXISTS, MMAP_LOW, MMAP_MLOCK,
	MREMAP_SAME, MREMAP_GROW, MREMAP_MOVE, MREMAP_SHRINK,
	MUNMAP_WHOLE, MUNMAP_PART,
	MPROTECT_SAME, MPROTECT_PART, MPROTECT_EXEC, MPROTECT_WRITE,
	MADVISE_DOFORK,
	OPEN_GONE,
	NR_CONDS
};

struct cond {
	const char *req;	/* the request */
	int err;		/* what it must give: 0 or an errno */
	const char *what;	/* when; "kernel: " if the kernel's generic code decides */
};

static const struct cond conds[NR_CONDS] = {
	[INFO_OK] = { "INFO", 0,
		"any argument contents; on a file open for reading, writing or both" },
	[INFO_REVOKED] = { "INFO", 0,
		"the adapter is gone: sets ``VIDSHARE_INFO_REVOKED``, mode fields 0" },
	[INFO_EFAULT] = { "INFO", EFAULT,
		"the argument cannot be written: NULL, unmapped, ``PROT_NONE``, read-only, a "
		"kernel or non-canonical address, or a struct that runs into an unmapped or "
		"read-only page or past the end of the address space" },

	[SHARE_OK] = { "SHARE", 0,
		"a view inside ``[0, fb_size)``: ``view_offset`` 0 .. ``fb_size - 1``, "
		"``view_size`` from 1, ending at ``fb_size`` at most; any alignment" },
	[SHARE_OUT_FIELDS] = { "SHARE", 0,
		"``virtual_addr``, ``shared_offset`` and ``shared_size`` hold anything on input" },
	[SHARE_FLAGS] = { "SHARE", 0,
		"``flags`` any combination of ``VIDSHARE_SHARE_READONLY`` and ``_FIXED``, and "
		"``_UNCACHED`` on an uncached adapter; ``READONLY`` also on a file opened "
		"``O_RDONLY``" },
	[SHARE_HINT] = { "SHARE", 0,
		"no ``FIXED``: a free ``requested_addr`` (rounded down to a page) is "
		"followed, up to the last page below ``TASK_SIZE``" },
	[SHARE_HINT_IGNORED] = { "SHARE", 0,
		"no ``FIXED``: a ``requested_addr`` that rounds down to 0 or cannot be "
		"followed (over a mapping, past ``TASK_SIZE``, kernel, non-canonical, "
		"``U64_MAX``) lets the kernel choose" },
	[SHARE_FIXED] = { "SHARE", 0,
		"``FIXED`` at a free page-aligned ``requested_addr``: from ``PAGE_SIZE`` "
		"(below ``vm.mmap_min_addr`` with ``CAP_SYS_RAWIO``) to the last page below "
		"``TASK_SIZE``" },
	[SHARE_SIZE_0] = { "SHARE", EINVAL,
		"``view_size`` is 0" },
	[SHARE_PAST_END] = { "SHARE", EINVAL,
		"``view_offset + view_size > fb_size``: from one byte past the end on, also "
		"at the offset of the register BAR" },
	[SHARE_WRAP] = { "SHARE", EINVAL,
		"``view_offset + view_size`` overflows 64 bits" },
	[SHARE_FLAGS_UNKNOWN] = { "SHARE", EINVAL,
		"``flags`` has a bit other than ``READONLY``, ``FIXED`` and ``UNCACHED`` "
		"(each of the 29, alone or with known ones)" },
	[SHARE_RESERVED] = { "SHARE", EINVAL,
		"``reserved`` is not 0" },
	[SHARE_FIXED_NULL] = { "SHARE", EINVAL,
		"``FIXED`` with ``requested_addr`` 0" },
	[SHARE_FIXED_UNALIGNED] = { "SHARE", EINVAL,
		"``FIXED`` with a ``requested_addr`` that is not page-aligned (1, ``PAGE_SIZE "
		"- 1``, ``U32_MAX``, ``U64_MAX``, ...)" },
	[SHARE_FIXED_RANGE] = { "SHARE", ENOMEM,
		"kernel: ``FIXED`` and the range ends past ``TASK_SIZE`` (``TASK_SIZE``, the "
		"last page with a longer view, kernel and non-canonical addresses)" },
	[SHARE_FIXED_EXISTS] = { "SHARE", EEXIST,
		"kernel: ``FIXED`` and the range overlaps a mapping, in whole or in part" },
	[SHARE_FIXED_LOW] = { "SHARE", EPERM,
		"kernel: ``FIXED`` below ``vm.mmap_min_addr`` without ``CAP_SYS_RAWIO``" },
	[SHARE_RDONLY] = { "SHARE", EACCES,
		"no ``READONLY`` on a file opened ``O_RDONLY``" },
	[SHARE_WRONLY] = { "SHARE", EACCES,
		"kernel: a file opened ``O_WRONLY``, with or without ``READONLY``" },
	[SHARE_UNCACHED_WC] = { "SHARE", EOPNOTSUPP,
		"``UNCACHED`` on a write-combining adapter (``VIDSHARE_INFO_WC``), with any "
		"other known flags; nothing is mapped" },
	[SHARE_MAX_SHARES] = { "SHARE", ENOSPC,
		"the file already holds ``max_shares`` shares" },
	[SHARE_READ_IMPLIES_EXEC] = { "SHARE", EPERM,
		"the process has the ``READ_IMPLIES_EXEC`` personality" },
	[SHARE_MAX_MAP_COUNT] = { "SHARE", ENOMEM,
		"kernel: the process has ``vm.max_map_count`` mappings" },
	[SHARE_RLIMIT_AS] = { "SHARE", ENOMEM,
		"kernel: ``RLIMIT_AS`` would be exceeded" },
	[SHARE_MLOCK] = { "SHARE", EAGAIN,
		"kernel: ``mlockall(MCL_FUTURE)`` and ``RLIMIT_MEMLOCK`` would be exceeded, "
		"without ``CAP_IPC_LOCK``" },
	[SHARE_REVOKED] = { "SHARE", ENODEV,
		"the adapter is gone, and the request passes the checks above" },
	[SHARE_EFAULT_IN] = { "SHARE", EFAULT,
		"the argument cannot be read: NULL, unmapped, ``PROT_NONE``, a kernel or "
		"non-canonical address, or a struct that runs into an unmapped page or past "
		"the end of the address space; nothing is mapped" },
	[SHARE_EFAULT_OUT] = { "SHARE", EFAULT,
		"the argument can be read but not written back: read-only, or it runs into a "
		"read-only page; the share is undone" },

	[UNSHARE_OK] = { "UNSHARE", 0,
		"``virtual_addr`` is what SHARE returned, or the start of an ``mmap(2)``, of "
		"a live share of this file in this process" },
	[UNSHARE_RO_ARG] = { "UNSHARE", 0,
		"the argument is read-only, or runs into a read-only page (UNSHARE only reads "
		"it)" },
	[UNSHARE_REVOKED] = { "UNSHARE", 0,
		"a share of an adapter that is gone" },
	[UNSHARE_FLAGS] = { "UNSHARE", EINVAL,
		"``flags`` is not 0 (each of the 32 bits); the share stays" },
	[UNSHARE_RESERVED] = { "UNSHARE", EINVAL,
		"``reserved`` is not 0; the share stays" },
	[UNSHARE_NOT_A_SHARE] = { "UNSHARE", ENOENT,
		"``virtual_addr`` is no share's: 0, 1, ``PAGE_SIZE``, inside, before or at "
		"the end of a share, also inside a sealed one, the page start of an "
		"unaligned share, an anonymous mapping, ``TASK_SIZE``, kernel, "
		"non-canonical, ``U64_MAX``; or unshared already" },
	[UNSHARE_OTHER_FILE] = { "UNSHARE", ENOENT,
		"a share made through another open file of the adapter; it stays" },
	[UNSHARE_SEALED] = { "UNSHARE", EPERM,
		"``virtual_addr`` is a sealed share's (``mseal(2)``); it stays" },
	[UNSHARE_EFAULT] = { "UNSHARE", EFAULT,
		"the argument cannot be read (as for SHARE); the share stays" },

	[GET_MODE_OK] = { "GET_MODE", 0,
		"any argument contents; on a file open for reading, writing or both" },
	[GET_MODE_REVOKED] = { "GET_MODE", ENODEV,
		"the adapter is gone (before the argument is written, so also with a bad "
		"pointer)" },
	[GET_MODE_EFAULT] = { "GET_MODE", EFAULT,
		"the argument cannot be written (as for INFO)" },

	[SET_MODE_OK] = { "SET_MODE", 0,
		"``bpp`` 8, 16, 24 or 32; ``width`` a multiple of 8 in 8 .. 16000; ``height`` "
		"1 .. 12000; ``width * bpp / 8 * height <= fb_size``; any ``stride``; on a "
		"file open for writing" },
	[SET_MODE_RO_ARG] = { "SET_MODE", 0,
		"a supported mode in a read-only argument (SET_MODE only reads it)" },
	[SET_MODE_BPP] = { "SET_MODE", EINVAL,
		"``bpp`` is not 8, 16, 24 or 32" },
	[SET_MODE_WIDTH] = { "SET_MODE", EINVAL,
		"``width`` is 0, not a multiple of 8, or above 16000" },
	[SET_MODE_HEIGHT] = { "SET_MODE", EINVAL,
		"``height`` is 0 or above 12000" },
	[SET_MODE_SIZE] = { "SET_MODE", EINVAL,
		"``width * bpp / 8 * height > fb_size``" },
	[SET_MODE_FLAGS] = { "SET_MODE", EINVAL,
		"``flags`` is not 0 (each of the 32 bits)" },
	[SET_MODE_RESERVED] = { "SET_MODE", EINVAL,
		"``reserved`` is not 0" },
	[SET_MODE_RDONLY] = { "SET_MODE", EACCES,
		"a file opened ``O_RDONLY``, whatever the mode" },
	[SET_MODE_REVOKED] = { "SET_MODE", ENODEV,
		"the adapter is gone, and the mode is supported" },
	[SET_MODE_EFAULT] = { "SET_MODE", EFAULT,
		"the argument cannot be read (as for SHARE), also on a file opened ``O_RDONLY``" },

	[IOCTL_NR] = { "ioctl", ENOTTY,
		"type 0xB9 with a number other than 0x00 .. 0x04 (each, in each direction)" },
	[IOCTL_SHAPE] = { "ioctl", ENOTTY,
		"numbers 0x00 .. 0x04 with another direction or size than the ABI's" },
	[IOCTL_TYPE] = { "ioctl", ENOTTY,
		"the ABI's commands with any other type byte" },

	[MMAP_OK] = { "mmap", 0,
		"``MAP_SHARED`` or ``MAP_SHARED_VALIDATE``, page-aligned offset, length "
		"rounded up to pages, the range inside ``[0, fb_size)``; ``PROT_READ``, "
		"``PROT_WRITE`` or ``PROT_NONE``" },
	[MMAP_UNCACHED] = { "mmap", 0,
		"the same with ``VIDSHARE_MMAP_UNCACHED`` in the offset, on an uncached "
		"adapter" },
	[MMAP_PAST_END] = { "mmap", EINVAL,
		"the range, without ``VIDSHARE_MMAP_UNCACHED``, is not inside ``[0, "
		"fb_size)``: also every other offset bit from ``fb_size`` up, with or without "
		"``VIDSHARE_MMAP_UNCACHED``" },
	[MMAP_PRIVATE] = { "mmap", EINVAL,
		"``MAP_PRIVATE``" },
	[MMAP_EXEC] = { "mmap", EPERM,
		"``PROT_EXEC``" },
	[MMAP_READ_IMPLIES_EXEC] = { "mmap", EPERM,
		"``PROT_READ`` with the ``READ_IMPLIES_EXEC`` personality" },
	[MMAP_UNCACHED_WC] = { "mmap", EOPNOTSUPP,
		"``VIDSHARE_MMAP_UNCACHED`` in the offset on a write-combining adapter "
		"(``VIDSHARE_INFO_WC``), the range inside ``[0, fb_size)``; nothing is "
		"mapped" },
	[MMAP_MAX_SHARES] = { "mmap", ENOSPC,
		"the file already holds ``max_shares`` shares" },
	[MMAP_REVOKED] = { "mmap", ENODEV,
		"the adapter is gone, and the request passes the checks above" },
	[MMAP_LENGTH_0] = { "mmap", EINVAL,
		"kernel: length 0" },
	[MMAP_UNALIGNED] = { "mmap", EINVAL,
		"kernel: offset not page-aligned" },
	[MMAP_HUGE] = { "mmap", ENOMEM,
		"kernel: length above ``TASK_SIZE``, or rounding it up wraps (``U64_MAX``)" },
	[MMAP_WRAP] = { "mmap", EOVERFLOW,
		"kernel: offset + length beyond 2^64 - 1" },
	[MMAP_KERNEL_FLAGS] = { "mmap", EINVAL,
		"kernel: no mapping type, or another than ``MAP_SHARED``, "
		"``MAP_SHARED_VALIDATE`` or ``MAP_PRIVATE``; ``MAP_GROWSDOWN``; "
		"``MAP_HUGETLB``" },
	[MMAP_VALIDATE] = { "mmap", EOPNOTSUPP,
		"kernel: ``MAP_SHARED_VALIDATE`` with ``MAP_SYNC``" },
	[MMAP_RDONLY] = { "mmap", EACCES,
		"kernel: ``PROT_WRITE`` on a file opened ``O_RDONLY``" },
	[MMAP_WRONLY] = { "mmap", EACCES,
		"kernel: a file opened ``O_WRONLY``" },
	[MMAP_EXISTS] = { "mmap", EEXIST,
		"kernel: ``MAP_FIXED_NOREPLACE`` over a mapping" },
	[MMAP_LOW] = { "mmap", EPERM,
		"kernel: ``MAP_FIXED`` below ``vm.mmap_min_addr`` without ``CAP_SYS_RAWIO``" },
	[MMAP_MLOCK] = { "mmap", EAGAIN,
		"kernel: ``mlockall(MCL_FUTURE)`` and ``RLIMIT_MEMLOCK`` would be exceeded, "
		"without ``CAP_IPC_LOCK``" },

	[MREMAP_SAME] = { "mremap", 0,
		"a share to its own size, not moved: nothing changes" },
	[MREMAP_GROW] = { "mremap", EFAULT,
		"kernel: grow a share, in place, with ``MREMAP_MAYMOVE`` or ``MREMAP_FIXED``, "
		"also past ``fb_size``; duplicate it (old size 0); the share stays" },
	[MREMAP_MOVE] = { "mremap", EINVAL,
		"move a share or a part of it (``MREMAP_FIXED``; kernel: "
		"``MREMAP_DONTUNMAP``); the share stays" },
	[MREMAP_SHRINK] = { "mremap", EINVAL,
		"shrink a share; the share stays" },

	[MUNMAP_WHOLE] = { "munmap", 0,
		"the whole share, also of an adapter that is gone" },
	[MUNMAP_PART] = { "munmap", EINVAL,
		"a part of a share; the share stays" },

	[MPROTECT_SAME] = { "mprotect", 0,
		"kernel: a share or a part of it to the protection it has: nothing changes" },
	[MPROTECT_PART] = { "mprotect", EINVAL,
		"a part of a share to another protection; the share stays" },
	[MPROTECT_EXEC] = { "mprotect", EACCES,
		"``PROT_EXEC``" },
	[MPROTECT_WRITE] = { "mprotect", EACCES,
		"``PROT_WRITE`` on a share made without write permission" },

	[MADVISE_DOFORK] = { "madvise", EINVAL,
		"kernel: ``MADV_DOFORK``" },

	[OPEN_GONE] = { "open", ENOENT,
		"the adapter is gone: its node was removed" },
};

static const char *errname(int err)
{
	static const struct {
		int err;
		const char *name;
	} names[] = {
		{ 0, "0" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EINTR, "EINTR" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" }, { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EEXIST, "EEXIST" }, { ENODEV, "ENODEV" },
		{ EINVAL, "EINVAL" }, { ENOTTY, "ENOTTY" }, { ENOSPC, "ENOSPC" },
		{ ENOSYS, "ENOSYS" }, { EOVERFLOW, "EOVERFLOW" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ENXIO, "ENXIO" }, { EBADF, "EBADF" },
	};
	static char buf[32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].err == err)
			return names[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* The table for the docs: request, errno and condition, tab-separated. */
static int print_errno_table(void)
{
	int i;

	for (i = 0; i < NR_CONDS; i++) {
		if (!conds[i].req || !conds[i].what) {
			fprintf(stderr, "condition %d has no table row\n", i);
			return 1;
		}
		printf("%s\t%s\t%s\n", conds[i].req, errname(conds[i].err), conds[i].what);
	}
	return 0;
}

/*
 * How often each condition was checked, shared by all test processes (the
 * harness forks one per test), so that the last test can tell whether every
 * documented condition had a case. @na counts conditions that cannot apply
 * here: the kernel lacks a feature (mseal(2)), or the adapter is of the
 * other kind (cond_applies()).
 */
struct hit {
	unsigned int ran, failed, na;
};

static struct hit *hits;
static unsigned int *groups_run;

static void __attribute__((constructor)) alloc_hits(void)
{
	void *p = mmap(NULL, NR_CONDS * sizeof(*hits) + sizeof(*groups_run),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	hits = p;
	groups_run = (unsigned int *)(hits + NR_CONDS);
}

/* ------------------------------------------------------------------ */
/* The state of one test process and the checks around every case      */
/* ------------------------------------------------------------------ */

#define PAT_MAX		512

/* All of PAT's memtype list. */
struct pat_list {
	int n;
	struct pat_ent e[PAT_MAX];
};

struct dev_vma {
	unsigned long long start, end, off;
	char perms[8];
};

#define DEV_VMA_MAX	16

/* A memory BAR of the adapter: bus addresses [start, end). */
struct mem_bar {
	int bar;
	uint64_t start, end;
};

struct env {
	char node[PATH_MAX], node_real[PATH_MAX];
	int fd, rofd, wofd, fd2;
	uint64_t page, fb_size, fb_phys, task_size;
	uint64_t mmio_start, mmio_end;	/* the other memory BARs, [start, end) */
	struct mem_bar bars[6];		/* every memory BAR of the adapter */
	int nbars;
	unsigned long mmap_min_addr;
	struct vidshare_info info;
	bool wc, pat, modes, revoked;
	const char *memtype;		/* debugfs name of the adapter's memory type */
	volatile uint8_t *ref;		/* the whole frame buffer, for data checks */
	void *ref_area;			/* the reference with a guard page each side */
	bool sweep, baseline_ok;
	unsigned int cases;
	/* what is mapped when the current case starts */
	struct pat_list pat0;
	struct dev_vma vma0[DEV_VMA_MAX];
	int nvma0, rows0;
};

static struct env E;

/*
 * A GET_MODE or SET_MODE case on an adapter without a mode interface
 * (mode_req()): it must fail with EOPNOTSUPP, which uapi.rst lists among
 * the errors of other hardware, not in the table.
 */
#define NO_MODE		NR_CONDS

/* Can condition @c apply to the adapter under test? */
static bool cond_applies(int c)
{
	switch (c) {
	case SHARE_UNCACHED_WC:
	case MMAP_UNCACHED_WC:
		return E.wc;
	case MMAP_UNCACHED:
		return !E.wc;
	case GET_MODE_OK:
	case GET_MODE_REVOKED:
	case GET_MODE_EFAULT:
	case SET_MODE_OK:
	case SET_MODE_RO_ARG:
	case SET_MODE_BPP:
	case SET_MODE_WIDTH:
	case SET_MODE_HEIGHT:
	case SET_MODE_SIZE:
	case SET_MODE_FLAGS:
	case SET_MODE_RESERVED:
	case SET_MODE_REVOKED:
		return E.modes;
	}
	return true;
}

/*
 * The condition a GET_MODE or SET_MODE of condition @c meets here. Without
 * a mode interface GET_MODE fails with EOPNOTSUPP before anything else,
 * SET_MODE right after reading its argument and checking the open mode.
 */
static int mode_req(int c)
{
	return E.modes || c == SET_MODE_EFAULT || c == SET_MODE_RDONLY ? c : NO_MODE;
}

/*
 * The condition a SHARE of condition @c meets with @flags. An adapter has
 * one memory type: VIDSHARE_SHARE_UNCACHED changes nothing on an uncached
 * adapter, and a write-combining one refuses it with EOPNOTSUPP once the
 * request, the open mode, the kernel's mmap(2) checks and PROT_EXEC have
 * passed, before ENODEV and ENOSPC.
 */
static int share_uc(uint32_t flags, int c)
{
	if (!(flags & VIDSHARE_SHARE_UNCACHED) || !E.wc)
		return c;
	switch (c) {
	case SHARE_OK:
	case SHARE_OUT_FIELDS:
	case SHARE_FLAGS:
	case SHARE_HINT:
	case SHARE_HINT_IGNORED:
	case SHARE_FIXED:
	case SHARE_MAX_SHARES:
	case SHARE_REVOKED:
		return SHARE_UNCACHED_WC;
	}
	return c;
}

/* The same for mmap(2) at offset @off, VIDSHARE_MMAP_UNCACHED or not. */
static int mmap_uc(uint64_t off, int c)
{
	if (!(off & UC))
		return c;
	switch (c) {
	case MMAP_OK:
	case MMAP_UNCACHED:
		return E.wc ? MMAP_UNCACHED_WC : MMAP_UNCACHED;
	case MMAP_MAX_SHARES:
	case MMAP_REVOKED:
		return E.wc ? MMAP_UNCACHED_WC : c;
	}
	return c;
}

static int pat_read(struct pat_list *p)
{
	p->n = pat_overlapping(0, UINT64_MAX, p->e, PAT_MAX);
	if (p->n < 0)
		return p->n;
	return p->n > PAT_MAX ? -E2BIG : 0;
}

/* The VMAs of the device node in this process, sorted by address. */
static int dev_vmas(struct dev_vma *v, int max)
{
	size_t len = strlen(E.node_real);
	char *line, *nl, *path;
	unsigned long long start, end, off;
	char perms[8];
	int n = 0, pos;
	ssize_t r;

	r = read_file("/proc/self/maps", procbuf, sizeof(procbuf));
	if (r < 0)
		return r;
	for (line = procbuf; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*u %n", &start, &end, perms, &off,
			   &pos) != 4 || !pos)
			continue;
		/* once the node is removed: "/dev/vidshareN (deleted)" */
		path = line + pos;
		if (strncmp(path, E.node_real, len) ||
		    (path[len] && strcmp(path + len, " (deleted)")))
			continue;
		if (n < max) {
			v[n].start = start;
			v[n].end = end;
			v[n].off = off;
			snprintf(v[n].perms, sizeof(v[n].perms), "%s", perms);
		}
		n++;
	}
	return n;
}

/* Is [addr, addr + len) free of any mapping of this process? */
static bool range_free(uint64_t addr, uint64_t len)
{
	unsigned long long start, end;
	char *line, *nl;

	if (read_file("/proc/self/maps", procbuf, sizeof(procbuf)) < 0)
		return false;
	for (line = procbuf; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (sscanf(line, "%llx-%llx", &start, &end) != 2)
			continue;
		if (start < addr + len && addr < end)
			return false;
	}
	return true;
}

/*
 * PAT's memtype list against the adapter. While it is bound: exactly one
 * write-combining entry for exactly the frame buffer of a write-combining
 * adapter, nothing else in the frame-buffer BAR, and in its other memory
 * BARs at most vidshare's own ioremap() of a whole register BAR
 * (uncached-minus). Unbound: nothing in any of its BARs. A share never
 * has an entry of its own.
 */
static void check_pat_adapter(struct __test_metadata *_metadata, bool bound, const char *when)
{
	static struct pat_list now;
	int i, b, wc = 0, other = 0;

	if (!E.pat)
		return;
	ASSERT_EQ(0, pat_read(&now)) TH_LOG("%s: cannot read %s", when, PAT_MEMTYPE_LIST);
	for (i = 0; i < now.n; i++) {
		const struct pat_ent *e = &now.e[i];

		for (b = 0; b < E.nbars; b++) {
			const struct mem_bar *m = &E.bars[b];

			if (e->end <= m->start || e->start >= m->end)
				continue;
			if (bound && E.wc && e->start == E.fb_phys &&
			    e->end == E.fb_phys + E.fb_size &&
			    !strcmp(e->type, memtype_name(true))) {
				wc++;
				continue;
			}
			if (bound && m->bar != (int)E.info.bar && e->start == m->start &&
			    e->end == m->end && !strcmp(e->type, memtype_name(false)))
				continue;
			other++;
			TH_LOG("%s: PAT [mem %#llx-%#llx] %s in BAR%d [%#llx-%#llx) of the adapter",
			       when, e->start, e->end, e->type, m->bar,
			       (unsigned long long)m->start, (unsigned long long)m->end);
		}
	}
	EXPECT_EQ(bound && E.wc ? 1 : 0, wc)
		TH_LOG("%s: %d write-combining entries for exactly the frame buffer [%#llx-%#llx) of %s %s adapter",
		       when, wc, (unsigned long long)E.fb_phys,
		       (unsigned long long)(E.fb_phys + E.fb_size),
		       bound ? "the bound" : "the unbound", E.wc ? "write-combining" : "uncached");
	EXPECT_EQ(0, other) TH_LOG("%s: %d other PAT entries in the adapter's BARs", when, other);
}

/* Remember what is mapped before a case. */
static void case_begin(struct __test_metadata *_metadata)
{

	/*
	 * In a sweep nothing runs between cases: when the last case ended as
	 * it began, what it began with is still what is mapped.
	 */
	if (E.sweep && E.baseline_ok)
		return;
	E.nvma0 = dev_vmas(E.vma0, DEV_VMA_MAX);
	ASSERT_LE(0, E.nvma0);
	ASSERT_GE(DEV_VMA_MAX, E.nvma0);
	E.rows0 = debugfs_count(E.node, getpid());
	ASSERT_LE(0, E.rows0);
	if (E.pat) {
		ASSERT_EQ(0, pat_read(&E.pat0));
	}
}

/*
 * Record the outcome of a case: @got must be the errno of condition @c
 * (NO_MODE: EOPNOTSUPP), which must be able to apply to this adapter.
 */
static bool case_result(struct __test_metadata *_metadata, int c, int got, const char *desc)
{
	int want;

	E.cases++;
	if (c == NO_MODE) {
		EXPECT_EQ(EOPNOTSUPP, got)
			TH_LOG("%s: got %s, want EOPNOTSUPP: the adapter has no mode interface",
			       desc, errname(got));
		return got == EOPNOTSUPP;
	}
	want = conds[c].err;
	__atomic_add_fetch(&hits[c].ran, 1, __ATOMIC_RELAXED);
	EXPECT_TRUE(cond_applies(c))
		TH_LOG("%s: a case of \"%s %s: %s\", which cannot apply to this adapter (%s)",
		       desc, conds[c].req, errname(want), conds[c].what,
		       E.wc ? "write-combining" : "uncached");
	if (got == want && cond_applies(c))
		return true;
	__atomic_add_fetch(&hits[c].failed, 1, __ATOMIC_RELAXED);
	EXPECT_EQ(want, got)
		TH_LOG("%s %s: got %s, want %s (%s)", conds[c].req, desc, errname(got),
		       errname(want), conds[c].what);
	return false;
}

/*
 * PAT's memtype list must be exactly what it was when the case began: the
 * memory type is reserved once per adapter, at bind, and no share, nor
 * filling one, nor ending one, adds, changes or removes an entry.
 */
static void check_pat_same(struct __test_metadata *_metadata, const char *desc)
{
	static struct pat_list now;
	bool used[PAT_MAX] = { false };
	int i, j, fresh = 0, gone = 0;

	if (!E.pat)
		return;
	ASSERT_EQ(0, pat_read(&now));
	for (i = 0; i < now.n; i++) {
		const struct pat_ent *e = &now.e[i];

		for (j = 0; j < E.pat0.n; j++) {
			const struct pat_ent *o = &E.pat0.e[j];

			if (!used[j] && o->start == e->start && o->end == e->end &&
			    !strcmp(o->type, e->type))
				break;
		}
		if (j < E.pat0.n) {
			used[j] = true;
			continue;
		}
		fresh++;
		TH_LOG("%s: new PAT entry [mem %#llx-%#llx] %s", desc, e->start, e->end, e->type);
	}
	for (j = 0; j < E.pat0.n; j++) {
		const struct pat_ent *e = &E.pat0.e[j];

		if (used[j])
			continue;
		gone++;
		TH_LOG("%s: PAT entry [mem %#llx-%#llx] %s is gone", desc, e->start, e->end,
		       e->type);
	}
	EXPECT_EQ(0, fresh) TH_LOG("%s: PAT's memtype list got %d new entries", desc, fresh);
	EXPECT_EQ(0, gone) TH_LOG("%s: %d PAT memtype entries disappeared", desc, gone);
}

/*
 * The debugfs row of the mapping at @start: its size, offset, access and
 * memory type, the adapter's once it has page-table entries (@filled), "-"
 * until then.
 */
static void check_row(struct __test_metadata *_metadata, uint64_t start, uint64_t len,
		      uint64_t fb_off, int prot, bool filled,
		      const char *desc)
{
	struct share_row row;
	char flags[16];

	ASSERT_EQ(0, debugfs_row(E.node, start, &row)) TH_LOG("%s: not in debugfs", desc);
	EXPECT_EQ(len, row.size) TH_LOG("%s", desc);
	EXPECT_EQ(fb_off, row.offset) TH_LOG("%s", desc);
	snprintf(flags, sizeof(flags), "%s,%s", prot & PROT_WRITE ? "rw" : "ro",
		 filled ? E.memtype : "-");
	EXPECT_STREQ(flags, row.flags)
		TH_LOG("%s: debugfs flags, %s page-table entries", desc,
		       filled ? "with" : "before any");
}

/*
 * The mapping of @len bytes at @start shows frame-buffer bytes @fb_off and
 * @fb_off + @len - 1: a byte changed through the reference mapping of the
 * whole frame buffer reads back changed through it or, for a mapping
 * without PROT_READ, a byte written through it reads back through the
 * reference. So it reaches neither past fb_size nor into another BAR, now
 * that PAT's list says nothing about single shares.
 */
static void check_data(struct __test_metadata *_metadata, uint64_t start, uint64_t len,
		       uint64_t fb_off, int prot,
		       const char *desc)
{
	volatile uint8_t *m = (volatile uint8_t *)(uintptr_t)start;
	const uint64_t at[] = { 0, len - 1 };
	unsigned int i;
	uint8_t v;

	if (!E.ref)
		return;
	for (i = 0; i < ARRAY_SIZE(at); i++) {
		v = E.ref[fb_off + at[i]] ^ (0x80 | ((E.cases + i) & 0x7f));
		if (prot & PROT_READ) {
			E.ref[fb_off + at[i]] = v;
			__sync_synchronize();
			EXPECT_EQ(v, m[at[i]])
				TH_LOG("%s: byte %#llx of the mapping is not frame-buffer byte %#llx",
				       desc, (unsigned long long)at[i],
				       (unsigned long long)(fb_off + at[i]));
		} else {
			m[at[i]] = v;
			__sync_synchronize();
			EXPECT_EQ(v, E.ref[fb_off + at[i]])
				TH_LOG("%s: a write to byte %#llx of the mapping is not at frame-buffer byte %#llx",
				       desc, (unsigned long long)at[i],
				       (unsigned long long)(fb_off + at[i]));
		}
	}
}

/*
 * A mapping that a case made: exactly one device VMA [@start, @start + @len)
 * at file offset @fb_off (plus VIDSHARE_MMAP_UNCACHED if @uncached), with
 * @prot, listed in debugfs with page-table entries (@filled: SHARE) or
 * without (mmap(2)) until its first touch, mapping the right frame-buffer
 * bytes, and nothing new in PAT.
 */
static void check_mapped(struct __test_metadata *_metadata, uint64_t start, uint64_t len,
			 uint64_t fb_off, bool uncached,
			 int prot, bool filled, const char *desc)
{
	volatile uint8_t *first = (volatile uint8_t *)(uintptr_t)start;
	volatile uint8_t *last = (volatile uint8_t *)(uintptr_t)(start + len - 1);
	const char *how = prot & PROT_READ ? "reading" : "writing";
	struct dev_vma v[DEV_VMA_MAX];
	int n, i, found = -1, sig1, sig2;

	n = dev_vmas(v, DEV_VMA_MAX);
	ASSERT_EQ(E.nvma0 + 1, n) TH_LOG("%s: %d device mappings, want %d", desc, n, E.nvma0 + 1);
	for (i = 0; i < n; i++)
		if (v[i].start == start)
			found = i;
	ASSERT_LE(0, found)
		TH_LOG("%s: no device mapping at %#llx", desc, (unsigned long long)start);
	EXPECT_EQ(start + len, v[found].end) TH_LOG("%s", desc);
	EXPECT_EQ(fb_off | (uncached ? UC : 0), v[found].off) TH_LOG("%s", desc);
	EXPECT_LE(start + len, E.task_size) TH_LOG("%s", desc);
	EXPECT_EQ(prot & PROT_READ ? 'r' : '-', v[found].perms[0]) TH_LOG("%s", desc);
	EXPECT_EQ(prot & PROT_WRITE ? 'w' : '-', v[found].perms[1]) TH_LOG("%s", desc);
	EXPECT_EQ('-', v[found].perms[2]) TH_LOG("%s", desc);
	EXPECT_EQ('s', v[found].perms[3]) TH_LOG("%s", desc);

	check_row(_metadata, start, len, fb_off, prot, filled, desc);
	check_pat_same(_metadata, desc);
	if (!(prot & (PROT_READ | PROT_WRITE)))
		return;
	/* the first touch fills an mmap(2) */
	sig1 = prot & PROT_READ ? probe_read(first) : probe_write(first);
	sig2 = prot & PROT_READ ? probe_read(last) : probe_write(last);
	EXPECT_EQ(0, sig1) TH_LOG("%s: %s its first byte", desc, how);
	EXPECT_EQ(0, sig2) TH_LOG("%s: %s its last byte", desc, how);
	check_row(_metadata, start, len, fb_off, prot, true, desc);
	if (!sig1 && !sig2)
		check_data(_metadata, start, len, fb_off, prot, desc);
	check_pat_same(_metadata, desc);
}

/* SHARE, a write and read through it and UNSHARE work; INFO once revoked. */
static void sanity(struct __test_metadata *_metadata, const char *desc)
{
	uint64_t pages = E.fb_size / E.page, off;
	volatile uint64_t *p;
	struct vidshare_share s;
	struct vidshare_info info;
	uint64_t val;

	if (E.revoked) {
		ASSERT_EQ(0, vs_info(E.fd, &info)) TH_LOG("after %s", desc);
		EXPECT_NE(0U, info.flags & VIDSHARE_INFO_REVOKED) TH_LOG("after %s", desc);
		return;
	}
	off = (E.cases * 7919 % pages) * E.page + 8;
	ASSERT_EQ(0, vs_share(E.fd, off, 16, 0, 0, &s)) TH_LOG("device broken after %s", desc);
	p = (volatile uint64_t *)(uintptr_t)s.virtual_addr;
	val = 0x5a5a000000000000ULL ^ ((uint64_t)getpid() << 20) ^ E.cases;
	p[0] = val;
	p[1] = ~val;
	__sync_synchronize();
	EXPECT_EQ(val, p[0]) TH_LOG("after %s", desc);
	EXPECT_EQ(~val, p[1]) TH_LOG("after %s", desc);
	ASSERT_EQ(0, vs_unshare(E.fd, s.virtual_addr)) TH_LOG("device broken after %s", desc);
}

/*
 * After a case: the device works, and the device mappings, the shares in
 * debugfs and PAT's memtype list are as before it, except for the mapping
 * at @gone (0: none) that the case removed; PAT's list is exactly as
 * before even then.
 */
static void case_end_gone(struct __test_metadata *_metadata, const char *desc, uint64_t gone)
{
	struct dev_vma v[DEV_VMA_MAX], *g = NULL;
	int n, i, j;

	for (i = 0; gone && i < E.nvma0; i++)
		if (E.vma0[i].start == gone)
			g = &E.vma0[i];
	EXPECT_FALSE(gone && !g) TH_LOG("%s: no mapping at %#llx before", desc,
					(unsigned long long)gone);
	sanity(_metadata, desc);
	n = dev_vmas(v, DEV_VMA_MAX);
	EXPECT_EQ(E.nvma0 - (gone ? 1 : 0), n)
		TH_LOG("%s: %d device mappings, were %d", desc, n, E.nvma0);
	for (i = 0, j = 0; i < n && j < E.nvma0; i++, j++) {
		if (E.vma0[j].start == gone)
			j++;
		if (j == E.nvma0)
			break;
		EXPECT_EQ(E.vma0[j].start, v[i].start) TH_LOG("%s: mappings changed", desc);
		EXPECT_EQ(E.vma0[j].end, v[i].end) TH_LOG("%s: mappings changed", desc);
		EXPECT_EQ(E.vma0[j].off, v[i].off) TH_LOG("%s: mappings changed", desc);
		EXPECT_STREQ(E.vma0[j].perms, v[i].perms) TH_LOG("%s: mappings changed", desc);
	}
	EXPECT_EQ(E.rows0 - (gone ? 1 : 0), debugfs_count(E.node, getpid()))
		TH_LOG("%s: shares in debugfs changed", desc);
	check_pat_same(_metadata, desc);
	E.baseline_ok = !gone && _metadata->exit_code == KSFT_PASS;
}

/* Cases follow each other with nothing in between until sweep_end(). */
static void sweep_begin(void)
{
	E.sweep = true;
	E.baseline_ok = false;
}

static void sweep_end(void)
{
	E.sweep = false;
	E.baseline_ok = false;
}

static void case_end(struct __test_metadata *_metadata, const char *desc)
{
	case_end_gone(_metadata, desc, 0);
}

/* ------------------------------------------------------------------ */
/* Case runners                                                         */
/* ------------------------------------------------------------------ */

static void desc_share(char *buf, size_t size, const char *what, const struct vidshare_share *s)
{
	snprintf(buf, size,
		 "%s (view_offset %#llx, view_size %#llx, requested_addr %#llx, flags %#x, reserved %#x)",
		 what, (unsigned long long)s->view_offset, (unsigned long long)s->view_size,
		 (unsigned long long)s->requested_addr, s->flags, s->reserved);
}

/* What SHARE returned for @req must be the documented geometry. */
static void check_share(struct __test_metadata *_metadata, const struct vidshare_share *req,
			const struct vidshare_share *s,
			uint64_t want_start, const char *desc)
{
	uint64_t sub = req->view_offset % E.page, start = s->virtual_addr - sub;
	int prot = PROT_READ | (req->flags & VIDSHARE_SHARE_READONLY ? 0 : PROT_WRITE);

	EXPECT_EQ(pg_down(req->view_offset), s->shared_offset) TH_LOG("%s", desc);
	EXPECT_EQ(pg_up(req->view_offset + req->view_size) - pg_down(req->view_offset),
		  s->shared_size) TH_LOG("%s", desc);
	EXPECT_EQ(sub, s->virtual_addr % E.page) TH_LOG("%s", desc);
	if (want_start) {
		EXPECT_EQ(want_start, start) TH_LOG("%s: not mapped where asked", desc);
	}
	check_mapped(_metadata, start, s->shared_size, s->shared_offset,
		     req->flags & VIDSHARE_SHARE_UNCACHED, prot, true, desc);
}

/*
 * SHARE @req on @fd, which must give condition @c, or what
 * VIDSHARE_SHARE_UNCACHED makes of it on this adapter (share_uc()); a
 * share made must be where @want_start says (0: anywhere) and is unshared
 * again.
 */
static void share_case_at(struct __test_metadata *_metadata, int c, int fd,
			  const struct vidshare_share *req, uint64_t want_start,
			  const char *what)
{
	struct vidshare_share s = *req;
	char desc[384];
	int err;

	c = share_uc(req->flags, c);
	desc_share(desc, sizeof(desc), what, req);
	case_begin(_metadata);
	err = vs_share_raw(fd, &s);
	case_result(_metadata, c, err, desc);
	if (!err) {
		check_share(_metadata, req, &s, want_start, desc);
		EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr)) TH_LOG("%s", desc);
	}
	case_end(_metadata, desc);
}

static void share_case(struct __test_metadata *_metadata, int c, int fd,
		       const struct vidshare_share *req, const char *what)
{
	share_case_at(_metadata, c, fd, req, 0, what);
}

static struct vidshare_share share_req(uint64_t off, uint64_t size, uint32_t flags, uint64_t addr)
{
	struct vidshare_share s = {
		.view_offset = off,
		.view_size = size,
		.requested_addr = addr,
		.flags = flags,
	};

	return s;
}

static void desc_mmap(char *buf, size_t size, const char *what, uint64_t addr, uint64_t len,
		      int prot, int flags, uint64_t off)
{
	snprintf(buf, size, "%s (addr %#llx, length %#llx, prot %#x, flags %#x, offset %#llx)",
		 what, (unsigned long long)addr, (unsigned long long)len, prot, flags,
		 (unsigned long long)off);
}

/*
 * mmap(2) of @fd must give condition @c, or what VIDSHARE_MMAP_UNCACHED in
 * @off makes of it on this adapter (mmap_uc()); a mapping made is checked
 * and unmapped.
 */
static void mmap_case(struct __test_metadata *_metadata, int c, int fd, uint64_t addr, uint64_t len,
		      int prot, int flags,
		      uint64_t off, const char *what)
{
	char desc[384];
	void *p;
	int err;

	c = mmap_uc(off, c);
	desc_mmap(desc, sizeof(desc), what, addr, len, prot, flags, off);
	case_begin(_metadata);
	p = mmap((void *)(uintptr_t)addr, len, prot, flags, fd, (off_t)off);
	err = p == MAP_FAILED ? errno : 0;
	case_result(_metadata, c, err, desc);
	if (!err) {
		if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
			EXPECT_EQ(addr, (uintptr_t)p) TH_LOG("%s", desc);
		}
		check_mapped(_metadata, (uintptr_t)p, pg_up(len), off & ~UC, off & UC, prot, false,
			     desc);
		EXPECT_EQ(0, munmap(p, pg_up(len))) TH_LOG("%s", desc);
	}
	case_end(_metadata, desc);
}

/* An ioctl that must give condition @c and map nothing. */
static void ioctl_case(struct __test_metadata *_metadata, int c, int fd, unsigned long cmd,
		       void *arg, const char *what)
{
	char desc[256];

	snprintf(desc, sizeof(desc), "%s (cmd %#lx, arg %p)", what, cmd, arg);
	case_begin(_metadata);
	case_result(_metadata, c, vs_ioctl(fd, cmd, arg), desc);
	case_end(_metadata, desc);
}

/* Exit codes of child cases: the kernel lacks a feature; a setup step failed. */
#define CHILD_NA	199
#define CHILD_SETUP	200

/*
 * Run @fn in a child process; its exit code is the errno of the request it
 * makes, which must be that of condition @c. Whatever the child mapped goes
 * with it.
 */
static void child_case(struct __test_metadata *_metadata, int c, int (*fn)(void *), void *arg,
		       const char *what)
{
	char desc[384];
	pid_t pid;
	int rc;

	snprintf(desc, sizeof(desc), "%s (in a child process)", what);
	case_begin(_metadata);
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(fn(arg));
	rc = wait_child(pid);
	if (rc == CHILD_NA) {
		__atomic_add_fetch(&hits[c].na, 1, __ATOMIC_RELAXED);
		TH_LOG("%s: not applicable to this kernel", desc);
	} else if (rc >= CHILD_SETUP) {
		EXPECT_LT(rc, CHILD_SETUP) TH_LOG("%s: the child's setup step %d failed", desc,
						  rc - CHILD_SETUP);
	} else {
		case_result(_metadata, c, rc, desc);
	}
	EXPECT_EQ(0, debugfs_count(E.node, pid)) TH_LOG("%s: the child's shares outlive it", desc);
	case_end(_metadata, desc);
}

/* ------------------------------------------------------------------ */
/* Setting up                                                           */
/* ------------------------------------------------------------------ */

/* /dev node of the adapter: $VIDSHARE_DEV, else the first class device. */
static int find_node(char *node, size_t size)
{
	const char *env = getenv("VIDSHARE_DEV");
	char name[64];

	if (env && *env) {
		snprintf(node, size, "%s", env);
		return 0;
	}
	if (find_class_dev(NULL, name, sizeof(name)))
		return -ENOENT;
	snprintf(node, size, "/dev/%s", name);
	return 0;
}

/* TASK_SIZE: the end of the last page a process can map (47- or 56-bit). */
static uint64_t probe_task_size(uint64_t page)
{
	static const int bits[] = { 56, 47 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		uint64_t top = (1ULL << bits[i]) - page;
		void *p = mmap((void *)(uintptr_t)(top - page), page, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

		if (p == MAP_FAILED)
			continue;
		munmap(p, page);
		if ((uintptr_t)p == top - page)
			return top;
	}
	return 0;
}

static int read_ulong(const char *path, unsigned long *val)
{
	char buf[64];

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return sscanf(buf, "%lu", val) == 1 ? 0 : -1;
}

static int write_ulong(const char *path, unsigned long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu\n", val);
	return write_file(path, buf);
}

/* Is @word one of the space-separated words of $VIDSHARE_EXPECT? */
static bool expected(const char *word)
{
	const char *e = getenv("VIDSHARE_EXPECT"), *p;
	size_t n = strlen(word);

	for (p = e ? strstr(e, word) : NULL; p; p = strstr(p + 1, word))
		if ((p == e || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

#define IORESOURCE_PREFETCH	0x2000

/*
 * The adapter's memory type and mode interface, told apart from what INFO
 * says: write-combining must be what sysfs says, and with PAT exactly
 * where the frame-buffer BAR is prefetchable; $VIDSHARE_EXPECT and the ids
 * of the QEMU std VGA (DISPI) may say more.
 */
static void env_kind(struct __test_metadata *_metadata, const char *node)
{
	const char *base = strrchr(node, '/');
	struct vidshare_mode m;
	struct pci_bar bars[PCI_BARS];
	char path[PATH_MAX];
	unsigned int wc;
	bool prefetch;
	int err;

	snprintf(path, sizeof(path), CLASS_DIR "/%s/write_combining", base ? base + 1 : node);
	ASSERT_EQ(0, read_uint(path, &wc));
	EXPECT_EQ(E.wc, wc == 1) TH_LOG("INFO and %s disagree", path);
	prefetch = class_bars(node, bars) > (int)E.info.bar &&
		   bars[E.info.bar].flags & IORESOURCE_PREFETCH;
	if (E.pat) {
		EXPECT_EQ(prefetch, E.wc)
			TH_LOG("with PAT the adapter is write-combining exactly when BAR%u is prefetchable",
			       E.info.bar);
	}
	if (expected("wc=1")) {
		EXPECT_TRUE(E.wc) TH_LOG("VIDSHARE_EXPECT says wc=1");
	}
	if (expected("wc=0")) {
		EXPECT_FALSE(E.wc) TH_LOG("VIDSHARE_EXPECT says wc=0");
	}
	E.memtype = adapter_memtype(&E.info);

	err = vs_get_mode(E.fd, &m);
	ASSERT_TRUE(!err || err == EOPNOTSUPP) TH_LOG("GET_MODE: %s", errname(err));
	E.modes = !err;
	if (expected("modes=dispi") || (E.info.vendor == 0x1234 && E.info.device == 0x1111)) {
		EXPECT_TRUE(E.modes) TH_LOG("the adapter has the Bochs DISPI mode interface");
	}
	if (expected("modes=none")) {
		EXPECT_FALSE(E.modes) TH_LOG("VIDSHARE_EXPECT says modes=none");
	}
	if (!E.modes) {
		EXPECT_EQ(0U, E.info.width | E.info.height | E.info.bpp | E.info.stride);
	}
}

static void env_open(struct __test_metadata *_metadata, const char *node)
{
	uint64_t s, e;
	int bar;

	snprintf(E.node, sizeof(E.node), "%s", node);
	ASSERT_TRUE(realpath(node, E.node_real) != NULL) TH_LOG("no %s", node);
	E.fd = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, E.fd) TH_LOG("open(%s) failed", node);
	E.rofd = open(node, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, E.rofd);
	E.wofd = open(node, O_WRONLY | O_CLOEXEC);
	ASSERT_LE(0, E.wofd);
	E.fd2 = open(node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, E.fd2);
	ASSERT_EQ(0, vs_info(E.fd, &E.info));
	E.fb_size = E.info.fb_size;
	E.wc = E.info.flags & VIDSHARE_INFO_WC;
	E.revoked = false;
	ASSERT_LE(128 * E.page, E.fb_size);
	ASSERT_EQ(0, bar_range(node, E.info.bar, &E.fb_phys, &e));
	ASSERT_NE(0ULL, (unsigned long long)E.fb_phys);
	ASSERT_LE(E.fb_phys + E.fb_size, e);
	/* The register BAR (BAR2 on the std VGA); any other memory BAR will do. */
	E.mmio_start = E.mmio_end = 0;
	E.nbars = 0;
	for (bar = 0; bar < 6; bar++) {
		if (bar_range(node, bar, &s, &e) || !s)
			continue;
		E.bars[E.nbars++] = (struct mem_bar){ .bar = bar, .start = s, .end = e };
		if (bar == (int)E.info.bar || E.mmio_end)
			continue;
		E.mmio_start = s;
		E.mmio_end = e;
	}
	env_kind(_metadata, node);
	check_pat_adapter(_metadata, true, "bound");
}

/*
 * The reference mapping of the whole frame buffer (check_data()), with a
 * guard page either side, so that no share of a test lands right next to
 * it: the address just past a share must never be the reference's start.
 */
static void ref_map(struct __test_metadata *_metadata)
{
	const uint64_t p = E.page;
	uint8_t *area;
	void *r;

	area = mmap(NULL, E.fb_size + 2 * p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, area);
	E.ref_area = area;
	r = mmap(area + p, E.fb_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, E.fd, 0);
	ASSERT_EQ((void *)(area + p), r) TH_LOG("no reference mapping: %s", strerror(errno));
	E.ref = r;
}

static void ref_unmap(void)
{
	if (E.ref_area)
		munmap(E.ref_area, E.fb_size + 2 * E.page);
	E.ref_area = NULL;
	E.ref = NULL;
}

static void env_init(struct __test_metadata *_metadata)
{
	char node[PATH_MAX];
	int c;

	memset(&E, 0, sizeof(E));
	E.page = page_size();
	E.pat = !access(PAT_MEMTYPE_LIST, R_OK);
	if (!E.pat)
		TH_LOG("no %s: PAT's memtype list is not checked", PAT_MEMTYPE_LIST);
	ASSERT_EQ(0, find_node(node, sizeof(node))) TH_LOG("no vidshare device");
	env_open(_metadata, node);
	E.task_size = probe_task_size(E.page);
	ASSERT_NE(0ULL, (unsigned long long)E.task_size);
	ASSERT_EQ(0, read_ulong(MMAP_MIN_ADDR, &E.mmap_min_addr));
	for (c = 0; c < NR_CONDS; c++)
		if (!cond_applies(c))
			__atomic_add_fetch(&hits[c].na, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(groups_run, 1, __ATOMIC_RELAXED);
}

static void env_close(void)
{
	ref_unmap();
	close(E.fd);
	close(E.rofd);
	close(E.wofd);
	close(E.fd2);
}

/* ------------------------------------------------------------------ */
/* Fixture "input": one adapter, bound; restores what it changes        */
/* ------------------------------------------------------------------ */

FIXTURE(input) {
	unsigned int max_shares;
	unsigned long mmap_min_addr, max_map_count;
	struct vidshare_mode mode;
	bool saved;
};

FIXTURE_SETUP(input)
{
	env_init(_metadata);
	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &self->max_shares));
	ASSERT_EQ(0, read_ulong(MMAP_MIN_ADDR, &self->mmap_min_addr));
	ASSERT_EQ(0, read_ulong(MAX_MAP_COUNT, &self->max_map_count));
	memset(&self->mode, 0, sizeof(self->mode));
	if (E.modes) {
		ASSERT_EQ(0, vs_get_mode(E.fd, &self->mode));
	}
	self->saved = true;
	/* Nothing of ours is mapped when a test starts. */
	ASSERT_EQ(0, debugfs_count(E.node, 0));
	ref_map(_metadata);
}

/* In the parent: runs even when the test died half-way. */
FIXTURE_TEARDOWN_PARENT(input)
{
	struct vidshare_mode *m = &self->mode;
	char node[PATH_MAX];
	int fd;

	if (!self->saved)
		return;
	EXPECT_EQ(0, set_max_shares(self->max_shares));
	EXPECT_EQ(0, write_ulong(MMAP_MIN_ADDR, self->mmap_min_addr));
	EXPECT_EQ(0, write_ulong(MAX_MAP_COUNT, self->max_map_count));
	/* a disabled mode (all zero) cannot be set again */
	if (m->width && m->height && m->bpp && !find_node(node, sizeof(node))) {
		fd = open(node, O_RDWR | O_CLOEXEC);
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, vs_set_mode(fd, m->width, m->height, m->bpp));
		close(fd);
	}
	/* No test leaves a share of any process behind. */
	if (!find_node(node, sizeof(node))) {
		EXPECT_EQ(0, debugfs_count(node, 0));
	}
}

/* INFO and GET_MODE take no input: any contents, any open mode. */
TEST_F(input, info_and_get_mode_ignore_argument_contents)
{
	const int fds[] = { E.fd, E.rofd, E.wofd };
	const char *names[] = { "O_RDWR", "O_RDONLY", "O_WRONLY" };
	const uint8_t fills[] = { 0x00, 0xff, 0xa5 };
	struct vidshare_info info;
	struct vidshare_mode mode;
	char what[64];
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(fds); i++) {
		for (j = 0; j < ARRAY_SIZE(fills); j++) {
			snprintf(what, sizeof(what), "INFO on %s, argument filled with %#x",
				 names[i], fills[j]);
			memset(&info, fills[j], sizeof(info));
			ioctl_case(_metadata, INFO_OK, fds[i], VIDSHARE_IOC_INFO, &info, what);
			EXPECT_EQ((__u32)VIDSHARE_API_VERSION, info.api_version) TH_LOG("%s", what);
			EXPECT_EQ(E.fb_size, info.fb_size) TH_LOG("%s", what);
			EXPECT_EQ(0ULL, info.reserved[0] | info.reserved[1] | info.reserved[2] |
				  info.reserved[3]) TH_LOG("%s", what);
			EXPECT_EQ(0U, info.flags & VIDSHARE_INFO_REVOKED) TH_LOG("%s", what);

			snprintf(what, sizeof(what), "GET_MODE on %s, argument filled with %#x",
				 names[i], fills[j]);
			memset(&mode, fills[j], sizeof(mode));
			ioctl_case(_metadata, mode_req(GET_MODE_OK), fds[i], VIDSHARE_IOC_GET_MODE,
				   &mode,
				   what);
			EXPECT_EQ(!!E.wc, !!(info.flags & VIDSHARE_INFO_WC)) TH_LOG("%s", what);
			if (!E.modes)
				continue;
			EXPECT_EQ(0U, mode.flags | mode.reserved) TH_LOG("%s", what);
			EXPECT_EQ(info.width, mode.width) TH_LOG("%s", what);
			EXPECT_EQ(info.stride, mode.stride) TH_LOG("%s", what);
		}
	}
}

/* The SHARE view: offset and size at every boundary, and the combinations. */
static int share_view_cond(uint64_t off, uint64_t size, uint64_t fb_size)
{
	uint64_t end;

	if (!size)
		return SHARE_SIZE_0;
	if (__builtin_add_overflow(off, size, &end))
		return SHARE_WRAP;
	if (end > fb_size)
		return SHARE_PAST_END;
	return SHARE_OK;
}

TEST_F_TIMEOUT(input, share_view_offset_and_size_at_every_boundary, 120)
{
	const uint64_t p = E.page, fb = E.fb_size;
	const uint64_t v[] = {
		0, 1, p - 1, p, p + 1, fb - p, fb - 1, fb, fb + 1, 0x80000000, U32_MAX,
		U64_MAX - p + 1, U64_MAX,
	};
	const struct {
		uint64_t off, size;
	} extra[] = {
		{ fb - p, p + 1 },		/* one byte past the end */
		{ 1, fb - 1 },			/* ends exactly at fb_size */
		{ 1, fb },			/* one byte past */
		{ fb - 1, 2 },			/* one byte past */
		{ p, fb - p + 1 },		/* one byte past */
		{ fb - 2 * p + 1, 2 * p - 1 },	/* ends exactly at fb_size */
		{ p, U64_MAX - p + 1 },		/* wraps to exactly 0 */
		{ fb, U64_MAX - fb + 1 },	/* wraps to exactly 0 */
		{ 2, U64_MAX },			/* wraps to 1 */
		{ 1, U64_MAX - p + 1 },		/* no wrap, but its page end would */
		{ fb - 1, U64_MAX - fb + 2 },	/* wraps to exactly 0 */
	};
	struct vidshare_share s;
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		for (j = 0; j < ARRAY_SIZE(v); j++) {
			s = share_req(v[i], v[j], 0, 0);
			share_case(_metadata, share_view_cond(v[i], v[j], fb), E.fd, &s,
				   "SHARE view");
		}
	}
	for (i = 0; i < ARRAY_SIZE(extra); i++) {
		s = share_req(extra[i].off, extra[i].size, 0, 0);
		share_case(_metadata, share_view_cond(extra[i].off, extra[i].size, fb), E.fd, &s,
			   "SHARE view");
	}
	/* READONLY and UNCACHED views at the very end, too */
	s = share_req(fb - 1, 1, VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED, 0);
	share_case(_metadata, SHARE_FLAGS, E.fd, &s, "SHARE of the last byte");
	s = share_req(fb - 1, 2, VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED, 0);
	share_case(_metadata, SHARE_PAST_END, E.fd, &s, "SHARE one byte past the end");
}

TEST_F(input, share_reserved_and_output_fields)
{
	const uint32_t bad[] = { 1, 2, 0x80000000, U32_MAX };
	const uint64_t junk[] = { 1, E.page, U64_MAX, KERNEL_ADDR };
	struct vidshare_share s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		s = share_req(E.page, E.page, 0, 0);
		s.reserved = bad[i];
		share_case(_metadata, SHARE_RESERVED, E.fd, &s, "SHARE with reserved set");
		s.flags = VIDSHARE_SHARE_READONLY;
		share_case(_metadata, SHARE_RESERVED, E.fd, &s, "SHARE READONLY with reserved set");
	}
	for (i = 0; i < ARRAY_SIZE(junk); i++) {
		s = share_req(3 * E.page + 9, 100, 0, 0);
		s.virtual_addr = junk[i];
		s.shared_offset = junk[i];
		s.shared_size = junk[i];
		share_case(_metadata, SHARE_OUT_FIELDS, E.fd, &s, "SHARE with output fields set");
	}
}

TEST_F(input, share_every_flag_bit)
{
	const uint32_t known = VIDSHARE_SHARE_FLAGS;
	struct vidshare_share s;
	uint64_t addr;
	char what[64];
	uint32_t f;
	int bit;

	/* every bit alone */
	for (bit = 0; bit < 32; bit++) {
		f = 1U << bit;
		addr = f & VIDSHARE_SHARE_FIXED ? free_range(2) : 0;
		s = share_req(2 * E.page + 1, E.page, f, addr);
		snprintf(what, sizeof(what), "SHARE with flag bit %d alone", bit);
		share_case_at(_metadata, f & known ? SHARE_FLAGS : SHARE_FLAGS_UNKNOWN, E.fd, &s,
			      addr, what);
	}
	/* every combination of the known flags */
	for (f = 0; f <= known; f++) {
		if (f & ~known)
			continue;
		addr = f & VIDSHARE_SHARE_FIXED ? free_range(2) : 0;
		s = share_req(E.page - 1, 2, f, addr);
		share_case_at(_metadata, SHARE_FLAGS, E.fd, &s, addr, "SHARE with known flags");
	}
	/* every unknown bit with the known ones */
	for (bit = 3; bit < 32; bit++) {
		addr = free_range(2);
		s = share_req(0, E.page, known | 1U << bit, addr);
		snprintf(what, sizeof(what), "SHARE with all known flags and bit %d", bit);
		share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s, what);
		s = share_req(0, E.page, VIDSHARE_SHARE_READONLY | 1U << bit, 0);
		snprintf(what, sizeof(what), "SHARE with READONLY and bit %d", bit);
		share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s, what);
	}
	s = share_req(0, E.page, ~0U, free_range(1));
	share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s, "SHARE with every flag bit");
	s = share_req(0, E.page, ~known, 0);
	share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s, "SHARE with every unknown flag bit");
}

/*
 * requested_addr with FIXED: what the contract and mmap(2) say for
 * MAP_FIXED_NOREPLACE, decided from the address and this process's memory
 * map, never from the result.
 */
static int fixed_cond(uint64_t addr, uint64_t len)
{
	if (!addr)
		return SHARE_FIXED_NULL;
	if (addr % E.page)
		return SHARE_FIXED_UNALIGNED;
	if (addr > E.task_size || len > E.task_size - addr)
		return SHARE_FIXED_RANGE;
	if (!range_free(addr, len))
		return SHARE_FIXED_EXISTS;
	return SHARE_FIXED;
}

/* Without FIXED: followed when the kernel can (free, in range, not 0), else ignored. */
static int hint_cond(uint64_t addr, uint64_t len, uint64_t *want)
{
	uint64_t a = pg_down(addr);

	*want = 0;
	if (!a || a < E.mmap_min_addr || a > E.task_size || len > E.task_size - a ||
	    !range_free(a, len))
		return SHARE_HINT_IGNORED;
	*want = a;
	return SHARE_HINT;
}

TEST_F_TIMEOUT(input, share_requested_addr_with_and_without_fixed, 60)
{
	const uint64_t p = E.page, ts = E.task_size;
	uint8_t *anon = anon_map(2);
	const uint64_t fixed_addrs[] = {
		0, 1, p - 1, p, p + 1, 0x80000000, U32_MAX, (uintptr_t)anon,
		(uintptr_t)anon + p, (uintptr_t)anon - p, ts - 2 * p, ts - p, ts - p + 1, ts,
		ts + p, 1ULL << 47, KERNEL_ADDR, 0xffffffffff600000ULL, NONCANON_ADDR,
		NONCANON_ADDR2, U64_MAX - p + 1, U64_MAX,
	};
	const uint64_t lens[] = { 1, p, 2 * p };
	struct vidshare_share s;
	uint64_t addr, want, len;
	unsigned int i, j;
	int c;

	ASSERT_TRUE(anon != NULL);
	for (i = 0; i < ARRAY_SIZE(fixed_addrs) + 2; i++) {
		/* and two holes found just now */
		addr = i < ARRAY_SIZE(fixed_addrs) ? fixed_addrs[i] : free_range(3) + (i & 1) * 123;
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			len = lens[j];
			s = share_req(5 * p, len, VIDSHARE_SHARE_FIXED, addr);
			c = fixed_cond(addr, pg_up(len));
			share_case_at(_metadata, c, E.fd, &s, addr, "SHARE FIXED");
			/* the address is checked before the memory type */
			s.flags |= VIDSHARE_SHARE_UNCACHED | (j ? VIDSHARE_SHARE_READONLY : 0);
			c = fixed_cond(addr, pg_up(len));
			share_case_at(_metadata, c, E.fd, &s, addr, "SHARE FIXED UNCACHED");
			s = share_req(5 * p, len, 0, addr);
			c = hint_cond(addr, pg_up(len), &want);
			share_case_at(_metadata, c, E.fd, &s, want, "SHARE with a hint");
		}
	}
	/* a partial overlap: the first page free, the second mapped */
	ASSERT_EQ(0, munmap(anon, p));
	s = share_req(0, 2 * p, VIDSHARE_SHARE_FIXED, (uintptr_t)anon);
	share_case(_metadata, fixed_cond((uintptr_t)anon, 2 * p), E.fd, &s,
		   "SHARE FIXED half over a mapping");
	EXPECT_EQ(0, munmap(anon + p, p));
}

/* Where sealed_child() unshares its sealed two-page share with an unaligned view. */
enum seal_at {
	SEAL_VIEW,		/* exactly what SHARE returned: EPERM */
	SEAL_INSIDE,		/* one byte further: ENOENT */
	SEAL_SECOND_PAGE,	/* the start of its second page: ENOENT */
	SEAL_PAGE_START,	/* the start of its first page: ENOENT */
};

/*
 * A sealed share cannot be unshared, and stays; it goes when the child
 * exits. An address that is not the share's is no share's, sealed or not:
 * the share's start is checked first.
 */
static int sealed_child(void *arg)
{
	const uint64_t p = E.page;
	struct vidshare_share s;
	uint32_t seed = new_seed();
	uint64_t addr;
	int err;

	if (vs_share(E.fd, 20 * p + 8, p + 64, 0, 0, &s))
		return CHILD_SETUP + 1;
	fill(share_ptr(&s), 64, seed);
	if (syscall(__NR_mseal, share_base(&s), s.shared_size, 0))
		return errno == ENOSYS ? CHILD_NA : CHILD_SETUP + 2;
	switch (*(enum seal_at *)arg) {
	case SEAL_VIEW:
		addr = s.virtual_addr;
		break;
	case SEAL_INSIDE:
		addr = s.virtual_addr + 1;
		break;
	case SEAL_SECOND_PAGE:
		addr = pg_down(s.virtual_addr) + p;
		break;
	default:
		addr = pg_down(s.virtual_addr);
		break;
	}
	err = vs_unshare(E.fd, addr);
	if (mismatch(share_ptr(&s), 64, seed) != -1 || probe_write(share_ptr(&s)) ||
	    debugfs_count(E.node, getpid()) != 1)
		return CHILD_SETUP + 3;
	return err;
}

/* UNSHARE: every flag bit, reserved, and addresses that are no share's. */
TEST_F_TIMEOUT(input, unshare_every_field_at_its_boundaries, 60)
{
	static const enum seal_at seal_view = SEAL_VIEW, seal_inside = SEAL_INSIDE,
		seal_second = SEAL_SECOND_PAGE, seal_start = SEAL_PAGE_START;
	const uint64_t p = E.page, ts = E.task_size;
	const uint32_t reserved[] = { 1, 2, 0x80000000, U32_MAX };
	struct vidshare_unshare u;
	struct vidshare_share s, t;
	uint8_t *anon = anon_map(1);
	volatile uint8_t *m;
	char what[96];
	uint64_t base;
	unsigned int i;
	int bit;

	ASSERT_TRUE(anon != NULL);
	ASSERT_EQ(0, vs_share(E.fd, 5 * p + 100, 2 * p, 0, 0, &s));
	base = pg_down(s.virtual_addr);
	for (bit = 0; bit < 32; bit++) {
		u = (struct vidshare_unshare){ .virtual_addr = s.virtual_addr, .flags = 1U << bit };
		snprintf(what, sizeof(what), "UNSHARE with flag bit %d", bit);
		ioctl_case(_metadata, UNSHARE_FLAGS, E.fd, VIDSHARE_IOC_UNSHARE, &u, what);
	}
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		u = (struct vidshare_unshare){ .virtual_addr = s.virtual_addr,
					       .reserved = reserved[i] };
		snprintf(what, sizeof(what), "UNSHARE with reserved %#x", reserved[i]);
		ioctl_case(_metadata, UNSHARE_RESERVED, E.fd, VIDSHARE_IOC_UNSHARE, &u, what);
	}
	{
		const uint64_t addrs[] = {
			0, 1, p - 1, p, base, base + p, base + 3 * p, base - p, s.virtual_addr - 1,
			s.virtual_addr + 1, s.virtual_addr + p, (uintptr_t)anon, 0x80000000,
			U32_MAX, ts - p, ts, KERNEL_ADDR, NONCANON_ADDR, NONCANON_ADDR2,
			U64_MAX - p + 1, U64_MAX,
		};

		for (i = 0; i < ARRAY_SIZE(addrs); i++) {
			u = (struct vidshare_unshare){ .virtual_addr = addrs[i] };
			snprintf(what, sizeof(what), "UNSHARE of %#llx, share at %#llx",
				 (unsigned long long)addrs[i], (unsigned long long)s.virtual_addr);
			ioctl_case(_metadata, UNSHARE_NOT_A_SHARE, E.fd, VIDSHARE_IOC_UNSHARE, &u,
				   what);
		}
	}
	/* another open file's share, both ways */
	u = (struct vidshare_unshare){ .virtual_addr = s.virtual_addr };
	ioctl_case(_metadata, UNSHARE_OTHER_FILE, E.fd2, VIDSHARE_IOC_UNSHARE, &u,
		   "UNSHARE through another open file");
	ASSERT_EQ(0, vs_unshare(E.fd, s.virtual_addr));

	/* the address SHARE returned; then again */
	case_begin(_metadata);
	ASSERT_EQ(0, vs_share(E.fd, 7 * p + 1, 1, 0, 0, &s));
	u = (struct vidshare_unshare){ .virtual_addr = s.virtual_addr };
	case_result(_metadata, UNSHARE_OK, vs_ioctl(E.fd, VIDSHARE_IOC_UNSHARE, &u),
		    "UNSHARE of a share");
	case_end(_metadata, "UNSHARE of a share");
	ioctl_case(_metadata, UNSHARE_NOT_A_SHARE, E.fd, VIDSHARE_IOC_UNSHARE, &u, "UNSHARE twice");

	/* the start of an mmap(2), and addresses inside it */
	m = dev_mmap(E.fd, 9 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	for (i = 0; i < 3; i++) {
		const uint64_t inside[] = { 1, p, 2 * p };

		u = (struct vidshare_unshare){ .virtual_addr = (uintptr_t)m + inside[i] };
		ioctl_case(_metadata, UNSHARE_NOT_A_SHARE, E.fd, VIDSHARE_IOC_UNSHARE, &u,
			   "UNSHARE inside an mmap(2)");
	}
	case_begin(_metadata);
	u = (struct vidshare_unshare){ .virtual_addr = (uintptr_t)m };
	case_result(_metadata, UNSHARE_OK, vs_ioctl(E.fd, VIDSHARE_IOC_UNSHARE, &u),
		    "UNSHARE of the start of an mmap(2)");
	case_end_gone(_metadata, "UNSHARE of the start of an mmap(2)", (uintptr_t)m);

	/* a share of the second file, unshared through the first */
	ASSERT_EQ(0, vs_share(E.fd2, 0, p, 0, 0, &t));
	u = (struct vidshare_unshare){ .virtual_addr = t.virtual_addr };
	ioctl_case(_metadata, UNSHARE_OTHER_FILE, E.fd, VIDSHARE_IOC_UNSHARE, &u,
		   "UNSHARE of another open file's share");
	EXPECT_EQ(0, vs_unshare(E.fd2, t.virtual_addr));
	EXPECT_EQ(0, munmap(anon, p));

	child_case(_metadata, UNSHARE_SEALED, sealed_child, (void *)&seal_view,
		   "UNSHARE of a sealed share");
	child_case(_metadata, UNSHARE_NOT_A_SHARE, sealed_child, (void *)&seal_inside,
		   "UNSHARE inside a sealed share");
	child_case(_metadata, UNSHARE_NOT_A_SHARE, sealed_child, (void *)&seal_second,
		   "UNSHARE of the second page of a sealed share");
	child_case(_metadata, UNSHARE_NOT_A_SHARE, sealed_child, (void *)&seal_start,
		   "UNSHARE of the page start of a sealed unaligned share");
}

/* SET_MODE: what the contract supports, decided from the fields alone. */
static int mode_cond(const struct vidshare_mode *m)
{
	if (m->flags)
		return SET_MODE_FLAGS;
	if (m->reserved)
		return SET_MODE_RESERVED;
	if (m->bpp != 8 && m->bpp != 16 && m->bpp != 24 && m->bpp != 32)
		return SET_MODE_BPP;
	if (!m->width || m->width % 8 || m->width > 16000)
		return SET_MODE_WIDTH;
	if (!m->height || m->height > 12000)
		return SET_MODE_HEIGHT;
	if ((uint64_t)m->width * (m->bpp / 8) * m->height > E.fb_size)
		return SET_MODE_SIZE;
	return SET_MODE_OK;
}

/*
 * SET_MODE @m on @fd must give condition @c, or EOPNOTSUPP where the adapter
 * has no mode interface (mode_req()); a mode set must be what GET_MODE reads.
 */
static void set_mode_case(struct __test_metadata *_metadata, int c, int fd,
			  const struct vidshare_mode *m, const char *what)
{
	struct vidshare_mode arg = *m, got;
	char desc[256];
	int err;

	c = mode_req(c);
	snprintf(desc, sizeof(desc),
		 "%s (width %u, height %u, bpp %u, stride %u, flags %#x, reserved %#x)", what,
		 m->width, m->height, m->bpp, m->stride, m->flags, m->reserved);
	case_begin(_metadata);
	err = vs_ioctl(fd, VIDSHARE_IOC_SET_MODE, &arg);
	case_result(_metadata, c, err, desc);
	if (!err && c != NO_MODE) {
		ASSERT_EQ(0, vs_get_mode(E.fd, &got)) TH_LOG("%s", desc);
		EXPECT_EQ(m->width, got.width) TH_LOG("%s", desc);
		EXPECT_EQ(m->height, got.height) TH_LOG("%s", desc);
		EXPECT_EQ(m->bpp, got.bpp) TH_LOG("%s", desc);
		EXPECT_EQ(m->width * (m->bpp / 8), got.stride) TH_LOG("%s", desc);
	}
	case_end(_metadata, desc);
}

static struct vidshare_mode mode(uint32_t width, uint32_t height, uint32_t bpp)
{
	struct vidshare_mode m = { .width = width, .height = height, .bpp = bpp };

	return m;
}

TEST_F_TIMEOUT(input, set_mode_every_field_at_its_boundaries, 120)
{
	const uint32_t widths[] = {
		0, 1, 7, 8, 9, 16, 15992, 15999, 16000, 16008, 0x10008, 0x80000000,
		0x80000008, U32_MAX - 7, U32_MAX,
	};
	const uint32_t heights[] = { 0, 1, 2, 11999, 12000, 12001, 0x10001, 0x80000000, U32_MAX };
	const uint32_t bpps[] = {
		0, 1, 4, 7, 8, 9, 15, 16, 24, 32, 33, 64, 0x10020, 0x80000000, U32_MAX,
	};
	const uint32_t strides[] = { 0, 1, 2560, 0x80000000, U32_MAX };
	const uint32_t reserved[] = { 1, 0x80000000, U32_MAX };
	const uint32_t sizes[][3] = {	/* around width * bpp / 8 * height == fb_size */
		{ 4096, 1024, 32 }, { 4096, 1025, 32 }, { 16000, 262, 32 }, { 16000, 263, 32 },
		{ 16000, 1048, 8 }, { 16000, 1049, 8 }, { 16000, 349, 24 }, { 16000, 350, 24 },
		{ 16000, 12000, 32 }, { 8, 12000, 32 },
	};
	struct vidshare_mode m;
	unsigned int i;
	char what[64];
	int bit;

	for (i = 0; i < ARRAY_SIZE(widths); i++) {
		m = mode(widths[i], 1, 8);
		set_mode_case(_metadata, mode_cond(&m), E.fd, &m, "SET_MODE width");
	}
	for (i = 0; i < ARRAY_SIZE(heights); i++) {
		m = mode(8, heights[i], 8);
		set_mode_case(_metadata, mode_cond(&m), E.fd, &m, "SET_MODE height");
	}
	for (i = 0; i < ARRAY_SIZE(bpps); i++) {
		m = mode(8, 1, bpps[i]);
		set_mode_case(_metadata, mode_cond(&m), E.fd, &m, "SET_MODE bpp");
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		m = mode(sizes[i][0], sizes[i][1], sizes[i][2]);
		set_mode_case(_metadata, mode_cond(&m), E.fd, &m, "SET_MODE size");
	}
	for (i = 0; i < ARRAY_SIZE(strides); i++) {
		m = mode(640, 480, 32);
		m.stride = strides[i];
		set_mode_case(_metadata, mode_cond(&m), E.fd, &m, "SET_MODE stride");
	}
	for (bit = 0; bit < 32; bit++) {
		m = mode(640, 480, 32);
		m.flags = 1U << bit;
		snprintf(what, sizeof(what), "SET_MODE with flag bit %d", bit);
		set_mode_case(_metadata, SET_MODE_FLAGS, E.fd, &m, what);
	}
	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		m = mode(640, 480, 32);
		m.reserved = reserved[i];
		set_mode_case(_metadata, SET_MODE_RESERVED, E.fd, &m, "SET_MODE with reserved set");
	}
	m = mode(800, 600, 16);
	set_mode_case(_metadata, SET_MODE_OK, E.wofd, &m, "SET_MODE on O_WRONLY");
	set_mode_case(_metadata, SET_MODE_RDONLY, E.rofd, &m, "SET_MODE on O_RDONLY");
	m = mode(7, 0, 3);
	m.flags = 1;
	set_mode_case(_metadata, SET_MODE_RDONLY, E.rofd, &m, "SET_MODE of a bad mode on O_RDONLY");
	ioctl_case(_metadata, SET_MODE_EFAULT, E.rofd, VIDSHARE_IOC_SET_MODE, NULL,
		   "SET_MODE NULL on O_RDONLY");
	m = mode(1024, 768, 32);
	set_mode_case(_metadata, SET_MODE_OK, E.fd, &m, "SET_MODE back to a common mode");
}

/* ------------------------------------------------------------------ */
/* Argument pointers                                                    */
/* ------------------------------------------------------------------ */

/*
 * Memory for bad arguments: four pages [RW][unmapped][RW][RO], a PROT_NONE
 * page, and the last page below TASK_SIZE (RW) so that a struct can run
 * past the end of the address space.
 */
struct arena {
	uint8_t *r, *none, *top;
};

static void arena_init(struct __test_metadata *_metadata, struct arena *a)
{
	const uint64_t p = E.page;
	void *top = (void *)(uintptr_t)(E.task_size - p);

	a->r = anon_map(4);
	ASSERT_TRUE(a->r != NULL);
	ASSERT_EQ(0, munmap(a->r + p, p));
	ASSERT_EQ(0, mprotect(a->r + 3 * p, p, PROT_READ));
	a->none = anon_map(1);
	ASSERT_TRUE(a->none != NULL);
	ASSERT_EQ(0, mprotect(a->none, p, PROT_NONE));
	a->top = mmap(top, p, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_EQ(top, (void *)a->top);
}

static void arena_fini(struct arena *a)
{
	munmap(a->r, E.page);
	munmap(a->r + 2 * E.page, 2 * E.page);
	munmap(a->none, E.page);
	munmap(a->top, E.page);
}

/* Store the bytes of @src that fall into accessible arena memory at @dst. */
static void arena_put(struct arena *a, uint8_t *dst, const void *src, size_t n)
{
	const uint64_t p = E.page;
	uint8_t *ro = a->r + 3 * p;
	size_t i;

	mprotect(ro, p, PROT_READ | PROT_WRITE);
	for (i = 0; i < n; i++) {
		uint8_t *d = dst + i;

		if ((d >= a->r && d < a->r + p) || (d >= a->r + 2 * p && d < a->r + 4 * p) ||
		    (d >= a->top && d < a->top + p))
			*d = ((const uint8_t *)src)[i];
	}
	mprotect(ro, p, PROT_READ);
}

struct bad_ptr {
	const char *name;
	uint8_t *ptr;
	bool readable;	/* the kernel can read all of it, but not write it */
};

/* Where an argument of @size bytes cannot be read, or only read. */
static int bad_ptrs(struct arena *a, size_t size, struct bad_ptr *b)
{
	const uint64_t p = E.page;
	int n = 0;

#define BAD(_name, _ptr, _readable) \
	(b[n++] = (struct bad_ptr){ _name, (uint8_t *)(uintptr_t)(_ptr), _readable })
	BAD("NULL", 0, false);
	BAD("an unmapped page", a->r + p, false);
	BAD("a PROT_NONE page", a->none, false);
	BAD("a kernel address", KERNEL_ADDR, false);
	BAD("the vsyscall page", 0xffffffffff600000ULL, false);
	BAD("a non-canonical address", NONCANON_ADDR, false);
	BAD("a non-canonical address", NONCANON_ADDR2, false);
	BAD("a struct that wraps past 2^64", U64_MAX - size / 2, false);
	BAD("a struct whose last byte is in an unmapped page", a->r + p - size + 1, false);
	BAD("a struct half in an unmapped page", a->r + p - size / 2, false);
	BAD("a struct one byte past the end of the address space", a->top + p - size + 1, false);
	BAD("a struct at the end of the address space", a->top + p, false);
	BAD("a read-only page", a->r + 3 * p, true);
	BAD("a struct whose last byte is in a read-only page", a->r + 3 * p - size + 1, true);
	BAD("a struct half in a read-only page", a->r + 3 * p - size / 2, true);
#undef BAD
	return n;
}

TEST_F_TIMEOUT(input, argument_pointers_of_every_ioctl, 60)
{
	const uint64_t p = E.page;
	struct vidshare_mode cur;
	struct vidshare_share req = share_req(p + 7, 100, 0, 0), s;
	struct vidshare_unshare u;
	struct bad_ptr b[20];
	struct arena a;
	char what[160];
	int i, n;

	arena_init(_metadata, &a);
	cur = mode(1024, 768, 32);
	if (E.modes) {
		ASSERT_EQ(0, vs_get_mode(E.fd, &cur));
	}
	if (E.modes && !cur.width) {
		cur = mode(1024, 768, 32);
		ASSERT_EQ(0, vs_set_mode(E.fd, cur.width, cur.height, cur.bpp));
	}
	cur.stride = cur.flags = cur.reserved = 0;

	n = bad_ptrs(&a, sizeof(struct vidshare_info), b);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "INFO into %s", b[i].name);
		ioctl_case(_metadata, INFO_EFAULT, E.fd, VIDSHARE_IOC_INFO, b[i].ptr, what);
	}
	n = bad_ptrs(&a, sizeof(struct vidshare_mode), b);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "GET_MODE into %s", b[i].name);
		ioctl_case(_metadata, mode_req(GET_MODE_EFAULT), E.fd, VIDSHARE_IOC_GET_MODE,
			   b[i].ptr,
			   what);
		snprintf(what, sizeof(what), "SET_MODE from %s", b[i].name);
		arena_put(&a, b[i].ptr, &cur, sizeof(cur));
		ioctl_case(_metadata, mode_req(b[i].readable ? SET_MODE_RO_ARG : SET_MODE_EFAULT),
			   E.fd,
			   VIDSHARE_IOC_SET_MODE, b[i].ptr, what);
	}

	/* SHARE: a valid request; also with only the output fields read-only */
	n = bad_ptrs(&a, sizeof(struct vidshare_share), b);
	b[n++] = (struct bad_ptr){ "a struct whose output fields are in a read-only page",
				   a.r + 3 * p - offsetof(struct vidshare_share, virtual_addr),
				   true };
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "SHARE with %s", b[i].name);
		arena_put(&a, b[i].ptr, &req, sizeof(req));
		ioctl_case(_metadata, b[i].readable ? SHARE_EFAULT_OUT : SHARE_EFAULT_IN, E.fd,
			   VIDSHARE_IOC_SHARE, b[i].ptr, what);
	}

	/* UNSHARE of a live share: it stays when the argument cannot be read */
	n = bad_ptrs(&a, sizeof(struct vidshare_unshare), b);
	b[n++] = (struct bad_ptr){ "a struct whose flags are in an unmapped page",
				   a.r + p - offsetof(struct vidshare_unshare, flags), false };
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "UNSHARE with %s", b[i].name);
		if (b[i].readable)
			case_begin(_metadata);
		ASSERT_EQ(0, vs_share(E.fd, 11 * p + 3, 10, 0, 0, &s));
		u = (struct vidshare_unshare){ .virtual_addr = s.virtual_addr };
		arena_put(&a, b[i].ptr, &u, sizeof(u));
		if (b[i].readable) {
			case_result(_metadata, UNSHARE_RO_ARG,
				    vs_ioctl(E.fd, VIDSHARE_IOC_UNSHARE, b[i].ptr), what);
			case_end(_metadata, what);
			continue;
		}
		ioctl_case(_metadata, UNSHARE_EFAULT, E.fd, VIDSHARE_IOC_UNSHARE, b[i].ptr, what);
		EXPECT_EQ(0, vs_unshare(E.fd, s.virtual_addr)) TH_LOG("%s", what);
	}
	arena_fini(&a);
}

/* ------------------------------------------------------------------ */
/* ioctl command numbers                                                */
/* ------------------------------------------------------------------ */

static const unsigned long known_cmds[] = {
	VIDSHARE_IOC_INFO, VIDSHARE_IOC_SHARE, VIDSHARE_IOC_UNSHARE, VIDSHARE_IOC_GET_MODE,
	VIDSHARE_IOC_SET_MODE,
};

static bool is_known_cmd(unsigned long cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(known_cmds); i++)
		if (known_cmds[i] == cmd)
			return true;
	return false;
}

TEST_F_TIMEOUT(input, unknown_ioctl_commands, 300)
{
	static const unsigned int dirs[] = {
		_IOC_NONE, _IOC_READ, _IOC_WRITE, _IOC_READ | _IOC_WRITE,
	};
	const unsigned int sizes[] = {
		0, 1, 8, 15, 16, 17, 23, 24, 25, 55, 56, 57, 71, 72, 73, 4096, _IOC_SIZEMASK,
	};
	/* Any command read as a valid SHARE would map something. */
	static struct vidshare_share buf[_IOC_SIZEMASK / sizeof(struct vidshare_share) + 1];
	unsigned int nr, d, i, k, type;
	unsigned long cmd;
	char what[96];

	for (i = 0; i < ARRAY_SIZE(buf); i++)
		buf[i] = share_req(0, E.page, 0, 0);
	sweep_begin();
	for (nr = 0; nr < 256; nr++) {
		for (d = 0; d < ARRAY_SIZE(dirs); d++) {
			cmd = _IOC(dirs[d], VIDSHARE_IOCTL_MAGIC, nr,
				   dirs[d] ? sizeof(struct vidshare_share) : 0);
			if (nr < ARRAY_SIZE(known_cmds))
				continue;
			snprintf(what, sizeof(what), "ioctl number %#x", nr);
			ioctl_case(_metadata, IOCTL_NR, E.fd, cmd, buf, what);
		}
	}
	for (k = 0; k < ARRAY_SIZE(known_cmds); k++) {
		for (d = 0; d < ARRAY_SIZE(dirs); d++) {
			for (i = 0; i < ARRAY_SIZE(sizes); i++) {
				cmd = _IOC(dirs[d], VIDSHARE_IOCTL_MAGIC, _IOC_NR(known_cmds[k]),
					   sizes[i]);
				if (is_known_cmd(cmd))
					continue;
				snprintf(what, sizeof(what), "ioctl number %#lx, direction %u, size %u",
					 _IOC_NR(known_cmds[k]), dirs[d], sizes[i]);
				ioctl_case(_metadata, IOCTL_SHAPE, E.fd, cmd, buf, what);
			}
		}
	}
	for (type = 0; type < 256; type++) {
		if (type == VIDSHARE_IOCTL_MAGIC)
			continue;
		for (k = 0; k < ARRAY_SIZE(known_cmds); k++) {
			cmd = (known_cmds[k] & ~((unsigned long)_IOC_TYPEMASK << _IOC_TYPESHIFT)) |
			      (unsigned long)type << _IOC_TYPESHIFT;
			snprintf(what, sizeof(what), "ioctl type %#x", type);
			ioctl_case(_metadata, IOCTL_TYPE, E.fd, cmd, buf, what);
		}
	}
	sweep_end();
}

/* ------------------------------------------------------------------ */
/* mmap(2)                                                              */
/* ------------------------------------------------------------------ */

/*
 * What mmap(2) of the device must give for @off and @len (MAP_SHARED, R/W);
 * mmap_case() turns MMAP_UNCACHED into MMAP_UNCACHED_WC where it applies.
 */
static int mmap_cond(uint64_t off, uint64_t len)
{
	uint64_t fb_off = off & ~UC, plen = pg_up(len);

	if (off % E.page)
		return MMAP_UNALIGNED;
	if (!len)
		return MMAP_LENGTH_0;
	if (!plen || plen > E.task_size)
		return MMAP_HUGE;
	if (off / E.page > (U64_MAX - plen) / E.page)
		return MMAP_WRAP;
	if (fb_off >= E.fb_size || plen > E.fb_size - fb_off)
		return MMAP_PAST_END;
	return off & UC ? MMAP_UNCACHED : MMAP_OK;
}

TEST_F_TIMEOUT(input, mmap_offset_and_length_at_every_boundary, 180)
{
	const uint64_t p = E.page, fb = E.fb_size;
	const uint64_t offs[] = {
		0, 1, p - 1, p, fb - p, fb - 1, fb, fb + p, 0x80000000, U32_MAX, 1ULL << 62,
		1ULL << 63, U64_MAX - 2 * p + 1, U64_MAX - p + 1, U64_MAX, UC, UC | 1,
		UC | (fb - p), UC | fb,
	};
	const uint64_t lens[] = {
		0, 1, p - 1, p, p + 1, fb - p, fb - 1, fb, fb + 1, 0x80000000, U32_MAX,
		1ULL << 62, U64_MAX - p, U64_MAX,
	};
	unsigned int i, j;

	sweep_begin();
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			mmap_case(_metadata, mmap_cond(offs[i], lens[j]), E.fd, 0, lens[j],
				  PROT_READ | PROT_WRITE, MAP_SHARED, offs[i], "mmap");
		}
	}
	sweep_end();
}

TEST_F_TIMEOUT(input, mmap_every_offset_bit_with_and_without_uncached, 60)
{
	unsigned int bit;
	uint64_t off;

	sweep_begin();
	for (bit = __builtin_ctzll(E.page); bit < 64; bit++) {
		off = 1ULL << bit;
		if (off == UC)
			continue;
		mmap_case(_metadata, mmap_cond(off, E.page), E.fd, 0, E.page,
			  PROT_READ | PROT_WRITE,
			  MAP_SHARED, off, "mmap at one offset bit");
		mmap_case(_metadata, mmap_cond(off | UC, E.page), E.fd, 0, E.page,
			  PROT_READ | PROT_WRITE,
			  MAP_SHARED, off | UC, "mmap at one offset bit, uncached");
	}
	sweep_end();
}

TEST_F_TIMEOUT(input, mmap_protections_flags_and_open_modes, 60)
{
	const uint64_t p = E.page;
	const int rw = PROT_READ | PROT_WRITE;
	uint8_t *anon = anon_map(2);
	uint64_t addr;

	ASSERT_TRUE(anon != NULL);
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, PROT_READ, MAP_SHARED, 3 * p, "mmap PROT_READ");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, PROT_WRITE, MAP_SHARED, 3 * p, "mmap PROT_WRITE");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, PROT_NONE, MAP_SHARED, 3 * p, "mmap PROT_NONE");
	mmap_case(_metadata, MMAP_UNCACHED, E.fd, 0, p, PROT_NONE, MAP_SHARED, UC | 3 * p,
		  "mmap PROT_NONE uncached");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, PROT_EXEC, MAP_SHARED, 0, "mmap PROT_EXEC");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, PROT_READ | PROT_EXEC, MAP_SHARED, 0,
		  "mmap PROT_EXEC");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, rw | PROT_EXEC, MAP_SHARED, 0,
		  "mmap PROT_EXEC");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, rw | PROT_EXEC, MAP_SHARED, UC,
		  "mmap PROT_EXEC");
	mmap_case(_metadata, MMAP_PRIVATE, E.fd, 0, p, PROT_READ, MAP_PRIVATE, 0,
		  "mmap MAP_PRIVATE");
	mmap_case(_metadata, MMAP_PRIVATE, E.fd, 0, p, rw, MAP_PRIVATE, 0, "mmap MAP_PRIVATE");
	mmap_case(_metadata, MMAP_PRIVATE, E.fd, 0, p, rw, MAP_PRIVATE, UC, "mmap MAP_PRIVATE");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, rw, MAP_SHARED_VALIDATE, p,
		  "mmap MAP_SHARED_VALIDATE");
	mmap_case(_metadata, MMAP_VALIDATE, E.fd, 0, p, rw, MAP_SHARED_VALIDATE | MAP_SYNC, p,
		  "mmap MAP_SHARED_VALIDATE | MAP_SYNC");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, rw, MAP_SHARED | MAP_SYNC, p,
		  "mmap MAP_SHARED | MAP_SYNC (ignored)");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, rw, MAP_SHARED | MAP_POPULATE | MAP_NORESERVE, p,
		  "mmap MAP_POPULATE | MAP_NORESERVE");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, rw, MAP_SHARED | MAP_LOCKED, p,
		  "mmap MAP_LOCKED");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, rw, MAP_SHARED | MAP_32BIT, p, "mmap MAP_32BIT");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, 0, p,
		  "mmap without a mapping type");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, 0x08, p, "mmap MAP_DROPPABLE");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, 0x0f, p,
		  "mmap of mapping type 0xf");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, MAP_SHARED | MAP_GROWSDOWN, p,
		  "mmap MAP_GROWSDOWN");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, MAP_SHARED | MAP_HUGETLB, p,
		  "mmap MAP_HUGETLB");
	addr = free_range(2);
	mmap_case(_metadata, MMAP_OK, E.fd, addr, 2 * p, rw, MAP_SHARED | MAP_FIXED_NOREPLACE,
		  5 * p,
		  "mmap MAP_FIXED_NOREPLACE at a free address");
	mmap_case(_metadata, MMAP_EXISTS, E.fd, (uintptr_t)anon, 2 * p, rw,
		  MAP_SHARED | MAP_FIXED_NOREPLACE, 5 * p,
		  "mmap MAP_FIXED_NOREPLACE over a mapping");
	mmap_case(_metadata, MMAP_EXISTS, E.fd, (uintptr_t)anon + p, 2 * p, rw,
		  MAP_SHARED | MAP_FIXED_NOREPLACE, 5 * p,
		  "mmap MAP_FIXED_NOREPLACE half over a mapping");
	mmap_case(_metadata, MMAP_OK, E.fd, (uintptr_t)anon, 2 * p, rw, MAP_SHARED | MAP_FIXED,
		  5 * p,
		  "mmap MAP_FIXED over an anonymous mapping");
	mmap_case(_metadata, MMAP_OK, E.fd, E.task_size - p, p, rw,
		  MAP_SHARED | MAP_FIXED_NOREPLACE, 0,
		  "mmap of the last page below TASK_SIZE");
	mmap_case(_metadata, MMAP_OK, E.rofd, 0, p, PROT_READ, MAP_SHARED, 0,
		  "mmap PROT_READ on O_RDONLY");
	mmap_case(_metadata, MMAP_RDONLY, E.rofd, 0, p, rw, MAP_SHARED, 0,
		  "mmap PROT_WRITE on O_RDONLY");
	mmap_case(_metadata, MMAP_RDONLY, E.rofd, 0, p, PROT_WRITE, MAP_SHARED, UC,
		  "mmap PROT_WRITE on O_RDONLY");
	mmap_case(_metadata, MMAP_WRONLY, E.wofd, 0, p, PROT_READ, MAP_SHARED, 0,
		  "mmap on O_WRONLY");
	mmap_case(_metadata, MMAP_WRONLY, E.wofd, 0, p, rw, MAP_SHARED, 0, "mmap on O_WRONLY");
	mmap_case(_metadata, MMAP_WRONLY, E.wofd, 0, p, PROT_WRITE, MAP_SHARED, 0,
		  "mmap on O_WRONLY");
}

/*
 * VIDSHARE_SHARE_UNCACHED and VIDSHARE_MMAP_UNCACHED: an adapter has one
 * memory type, so a write-combining adapter refuses them with EOPNOTSUPP
 * and maps nothing, and on an uncached one they change nothing. The checks
 * of the request, of the open mode and the kernel's own mmap(2) checks
 * come first (uapi.rst, Errors); ENOSPC and ENODEV come after (see
 * open_modes_limits_and_process_state and every_request_after_revocation).
 */
TEST_F_TIMEOUT(input, uncached_after_the_checks_of_the_request, 60)
{
	const uint64_t p = E.page, fb = E.fb_size;
	const uint32_t uc = VIDSHARE_SHARE_UNCACHED, ro = VIDSHARE_SHARE_READONLY;
	const uint32_t fixed = VIDSHARE_SHARE_FIXED;
	const int rw = PROT_READ | PROT_WRITE;
	uint8_t *anon = anon_map(2);
	struct vidshare_share s;
	uint64_t addr, want;
	int c;

	ASSERT_TRUE(anon != NULL);
	/* the request: EINVAL */
	s = share_req(p, p, uc, 0);
	s.reserved = 1;
	share_case(_metadata, SHARE_RESERVED, E.fd, &s, "SHARE UNCACHED with reserved set");
	s = share_req(p, 0, uc | ro, 0);
	share_case(_metadata, SHARE_SIZE_0, E.fd, &s, "SHARE UNCACHED of nothing");
	s = share_req(fb - p, p + 1, uc, 0);
	share_case(_metadata, SHARE_PAST_END, E.fd, &s, "SHARE UNCACHED past the end");
	s = share_req(p, U64_MAX, uc | ro, 0);
	share_case(_metadata, SHARE_WRAP, E.fd, &s, "SHARE UNCACHED wrapping");
	s = share_req(p, p, uc | 1U << 5, 0);
	share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s, "SHARE UNCACHED with an unknown flag");
	s = share_req(p, p, uc | fixed, 0);
	share_case(_metadata, SHARE_FIXED_NULL, E.fd, &s, "SHARE UNCACHED FIXED at 0");
	s = share_req(p, p, uc | fixed, free_range(1) + 1);
	share_case(_metadata, SHARE_FIXED_UNALIGNED, E.fd, &s, "SHARE UNCACHED FIXED unaligned");
	/* the open mode: EACCES */
	s = share_req(p, p, uc, 0);
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE UNCACHED on O_RDONLY");
	s = share_req(p, p, uc | fixed, free_range(1));
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE UNCACHED FIXED on O_RDONLY");
	s = share_req(p, p, uc | ro, 0);
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE READONLY UNCACHED on O_WRONLY");
	/* the kernel's mmap(2) checks */
	s = share_req(p, 2 * p, uc | fixed, (uintptr_t)anon);
	share_case(_metadata, SHARE_FIXED_EXISTS, E.fd, &s, "SHARE UNCACHED FIXED over a mapping");
	s = share_req(p, 2 * p, uc | ro | fixed, E.task_size);
	share_case(_metadata, SHARE_FIXED_RANGE, E.fd, &s, "SHARE UNCACHED FIXED at TASK_SIZE");
	/* then the memory type */
	s = share_req(p + 1, 3, uc, 0);
	share_case(_metadata, SHARE_FLAGS, E.fd, &s, "SHARE UNCACHED");
	s = share_req(0, fb, uc, 0);
	share_case(_metadata, SHARE_FLAGS, E.fd, &s, "SHARE UNCACHED of the whole frame buffer");
	addr = free_range(1);
	s = share_req(fb - 1, 1, uc | ro | fixed, addr);
	share_case_at(_metadata, SHARE_FLAGS, E.fd, &s, addr, "SHARE READONLY UNCACHED FIXED");
	addr = free_range(2);
	s = share_req(p + 7, p, uc, addr + 7);
	c = hint_cond(addr + 7, 2 * p, &want);
	share_case_at(_metadata, c, E.fd, &s, want, "SHARE UNCACHED with a hint");

	/* mmap(2): the kernel's checks and the driver's before the memory type */
	mmap_case(_metadata, MMAP_UNALIGNED, E.fd, 0, p, rw, MAP_SHARED, UC | 1,
		  "mmap uncached unaligned");
	mmap_case(_metadata, MMAP_LENGTH_0, E.fd, 0, 0, rw, MAP_SHARED, UC,
		  "mmap uncached of length 0");
	mmap_case(_metadata, MMAP_KERNEL_FLAGS, E.fd, 0, p, rw, 0, UC,
		  "mmap uncached without a mapping type");
	mmap_case(_metadata, MMAP_RDONLY, E.rofd, 0, p, rw, MAP_SHARED, UC | p,
		  "mmap uncached PROT_WRITE on O_RDONLY");
	mmap_case(_metadata, MMAP_WRONLY, E.wofd, 0, p, PROT_READ, MAP_SHARED, UC | p,
		  "mmap uncached on O_WRONLY");
	mmap_case(_metadata, MMAP_EXISTS, E.fd, (uintptr_t)anon, 2 * p, rw,
		  MAP_SHARED | MAP_FIXED_NOREPLACE, UC | p,
		  "mmap uncached MAP_FIXED_NOREPLACE over a mapping");
	mmap_case(_metadata, MMAP_PRIVATE, E.fd, 0, p, PROT_READ, MAP_PRIVATE, UC | p,
		  "mmap uncached MAP_PRIVATE");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, PROT_READ | PROT_EXEC, MAP_SHARED, UC | p,
		  "mmap uncached PROT_EXEC");
	mmap_case(_metadata, MMAP_PAST_END, E.fd, 0, 2 * p, PROT_READ, MAP_SHARED, UC | (fb - p),
		  "mmap uncached past the end");
	/* then the memory type */
	mmap_case(_metadata, MMAP_UNCACHED, E.rofd, 0, p, PROT_READ, MAP_SHARED, UC | 2 * p,
		  "mmap uncached PROT_READ on O_RDONLY");
	mmap_case(_metadata, MMAP_UNCACHED, E.fd, 0, p, PROT_WRITE, MAP_SHARED_VALIDATE,
		  UC | (fb - p),
		  "mmap uncached PROT_WRITE, MAP_SHARED_VALIDATE");
	mmap_case(_metadata, MMAP_UNCACHED, E.fd, 0, fb, rw, MAP_SHARED, UC,
		  "mmap uncached of the whole frame buffer");
	addr = free_range(1);
	mmap_case(_metadata, MMAP_UNCACHED, E.fd, addr, p, rw, MAP_SHARED | MAP_FIXED_NOREPLACE,
		  UC | 4 * p, "mmap uncached MAP_FIXED_NOREPLACE at a free address");
	EXPECT_EQ(0, munmap(anon, 2 * p));
}

/* ------------------------------------------------------------------ */
/* What the memory-map system calls may do to a share                   */
/* ------------------------------------------------------------------ */

/* @err (0 or an errno) of a call on a live share must be condition @c; nothing changes. */
static void vma_case(struct __test_metadata *_metadata, int c, int err,
		     const volatile uint8_t *data, const uint8_t *snap,
		     const char *what)
{
	int i, changed = 0;

	case_result(_metadata, c, err, what);
	for (i = 0; i < 64; i++)
		changed += data[i] != snap[i];
	EXPECT_EQ(0, changed) TH_LOG("%s: the share's bytes changed", what);
	case_end(_metadata, what);
}

static int mremap_errno(void *old, uint64_t old_len, uint64_t new_len, int flags, uint64_t to)
{
	void *r = mremap(old, old_len, new_len, flags, (void *)(uintptr_t)to);

	if (r == MAP_FAILED)
		return errno;
	return r == old ? 0 : -1;
}

/*
 * A share of @size bytes at frame-buffer offset @off, made by SHARE or by
 * mmap(2) (VIDSHARE_SHARE_UNCACHED in @share_flags: at the offset with
 * VIDSHARE_MMAP_UNCACHED), and every way to grow, move, shrink or split it.
 */
static void vma_ops(struct __test_metadata *_metadata, uint64_t off, uint64_t size, bool by_mmap,
		    uint32_t share_flags)
{
	const uint64_t p = E.page;
	struct vidshare_share s;
	volatile uint8_t *data;
	char what[160], kind[64];
	uint8_t *base, snap[64];
	int same = PROT_READ, other = PROT_NONE;
	uint64_t to;
	int i;

	snprintf(kind, sizeof(kind), "%s%s of [%#llx, +%#llx)", by_mmap ? "mmap(2)" : "a share",
		 share_flags & VIDSHARE_SHARE_UNCACHED ? " uncached" : "",
		 (unsigned long long)off, (unsigned long long)size);
	if (by_mmap) {
		base = (uint8_t *)dev_mmap(E.fd, off |
					   (share_flags & VIDSHARE_SHARE_UNCACHED ? UC : 0),
					   size, PROT_READ | PROT_WRITE);
		ASSERT_TRUE(base != NULL) TH_LOG("%s", kind);
	} else {
		ASSERT_EQ(0, vs_share(E.fd, off, size, share_flags, 0, &s)) TH_LOG("%s", kind);
		base = share_base(&s);
	}
	if (!(share_flags & VIDSHARE_SHARE_READONLY)) {
		same = PROT_READ | PROT_WRITE;
		other = PROT_READ;
	}
	data = base + size - 64;
	if (!(share_flags & VIDSHARE_SHARE_READONLY))
		fill((volatile uint8_t *)data, 64, new_seed());
	for (i = 0; i < 64; i++)
		snap[i] = data[i];
#define VMA(_c, _call, _fmt) do {						\
		snprintf(what, sizeof(what), _fmt " of %s", kind);		\
		case_begin(_metadata);							\
		vma_case(_metadata, _c, _call, data, snap, what);				\
	} while (0)
	if (share_flags & VIDSHARE_SHARE_READONLY) {
		VMA(MPROTECT_WRITE, mprotect(base, size, PROT_READ | PROT_WRITE) ? errno : 0,
		    "mprotect(PROT_WRITE)");
	} else {
		VMA(MREMAP_SAME, mremap_errno(base, size, size, 0, 0), "mremap to the same size");
		VMA(MREMAP_GROW, mremap_errno(base, size, size + p, 0, 0), "mremap growing");
		VMA(MREMAP_GROW, mremap_errno(base, size, size + p, MREMAP_MAYMOVE, 0),
		    "mremap growing, may move");
		VMA(MREMAP_GROW, mremap_errno(base, size, 2 * size, MREMAP_MAYMOVE, 0),
		    "mremap doubling");
		VMA(MREMAP_GROW, mremap_errno(base, size, 1ULL << 40, MREMAP_MAYMOVE, 0),
		    "mremap to 1 TiB");
		VMA(MREMAP_GROW, mremap_errno(base, 0, size, MREMAP_MAYMOVE, 0),
		    "mremap duplicating (old size 0)");
		VMA(MREMAP_SHRINK, mremap_errno(base, size, p, 0, 0), "mremap shrinking");
		to = free_range(size / p + 1);
		VMA(MREMAP_MOVE, mremap_errno(base, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to),
		    "mremap moving");
		VMA(MREMAP_GROW, mremap_errno(base, size, size + p, MREMAP_MAYMOVE | MREMAP_FIXED,
					      to), "mremap moving and growing");
		VMA(MREMAP_MOVE, mremap_errno(base, p, p, MREMAP_MAYMOVE | MREMAP_FIXED, to),
		    "mremap moving the first page");
		VMA(MREMAP_MOVE, mremap_errno(base + size - p, p, p,
					      MREMAP_MAYMOVE | MREMAP_FIXED, to),
		    "mremap moving the last page");
		VMA(MREMAP_MOVE, mremap_errno(base, size, size,
					      MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0),
		    "mremap MREMAP_DONTUNMAP");
	}
	VMA(MUNMAP_PART, munmap(base, p) ? errno : 0, "munmap of the first page");
	VMA(MUNMAP_PART, munmap(base + size - p, p) ? errno : 0, "munmap of the last page");
	VMA(MPROTECT_PART, mprotect(base, p, other) ? errno : 0, "mprotect of the first page");
	VMA(MPROTECT_PART, mprotect(base + p, p, other) ? errno : 0,
	    "mprotect of the second page");
	VMA(MPROTECT_SAME, mprotect(base, p, same) ? errno : 0,
	    "mprotect of the first page to what it is");
	VMA(MPROTECT_SAME, mprotect(base, size, same) ? errno : 0, "mprotect to what it is");
	VMA(MPROTECT_EXEC, mprotect(base, size, PROT_READ | PROT_EXEC) ? errno : 0,
	    "mprotect(PROT_EXEC)");
	VMA(MADVISE_DOFORK, madvise(base, size, MADV_DOFORK) ? errno : 0, "madvise(MADV_DOFORK)");
#undef VMA
	snprintf(what, sizeof(what), "munmap of all of %s", kind);
	case_begin(_metadata);
	case_result(_metadata, MUNMAP_WHOLE, munmap(base, size) ? errno : 0, what);
	case_end_gone(_metadata, what, (uintptr_t)base);
}

TEST_F_TIMEOUT(input, shares_cannot_grow_move_shrink_or_split, 60)
{
	const uint64_t p = E.page, fb = E.fb_size;

	vma_ops(_metadata, fb - 2 * p, 2 * p, false, 0);
	vma_ops(_metadata, fb - 2 * p, 2 * p, true, 0);
	vma_ops(_metadata, 0, fb, false, 0);
	vma_ops(_metadata, 0, fb, true, 0);
	/* uncached where the adapter is; it cannot be on a write-combining one */
	vma_ops(_metadata, 7 * p, 3 * p, false, E.wc ? 0 : VIDSHARE_SHARE_UNCACHED);
	vma_ops(_metadata, 7 * p, 3 * p, true, E.wc ? 0 : VIDSHARE_SHARE_UNCACHED);
	vma_ops(_metadata, fb - 3 * p, 3 * p, false, VIDSHARE_SHARE_READONLY);
}

/* ------------------------------------------------------------------ */
/* Open modes, limits and process state                                 */
/* ------------------------------------------------------------------ */

static int drop_privileges(void)
{
	return setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ? -1 : 0;
}

static int rie_share_child(void *arg)
{
	uint32_t flags = *(uint32_t *)arg;
	struct vidshare_share s;

	if (personality(READ_IMPLIES_EXEC) < 0)
		return CHILD_SETUP + 1;
	return vs_share(E.fd, E.page, E.page, flags, 0, &s);
}

struct rie_mmap {
	int prot;
	uint64_t off;
};

static int rie_mmap_child(void *arg)
{
	const struct rie_mmap *m = arg;

	if (personality(READ_IMPLIES_EXEC) < 0)
		return CHILD_SETUP + 1;
	return mmap_errno(E.fd, m->off, E.page, m->prot, MAP_SHARED);
}

/* Without CAP_SYS_RAWIO below vm.mmap_min_addr, which the parent raised. */
static int low_share_child(void *arg __attribute__((unused)))
{
	struct vidshare_share s;

	if (drop_privileges())
		return CHILD_SETUP + 1;
	return vs_share(E.fd, 0, E.page, VIDSHARE_SHARE_FIXED, E.page, &s);
}

static int low_mmap_child(void *arg __attribute__((unused)))
{
	void *p;

	if (drop_privileges())
		return CHILD_SETUP + 1;
	p = mmap((void *)(uintptr_t)E.page, E.page, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED_NOREPLACE, E.fd, 0);
	return p == MAP_FAILED ? errno : 0;
}

/* mlockall(MCL_FUTURE) under a one-page RLIMIT_MEMLOCK, without CAP_IPC_LOCK. */
static int mlock_child(void *arg)
{
	struct rlimit rl = { .rlim_cur = E.page, .rlim_max = E.page };
	struct vidshare_share s;

	if (setrlimit(RLIMIT_MEMLOCK, &rl) || drop_privileges())
		return CHILD_SETUP + 1;
	if (mlockall(MCL_FUTURE))
		return CHILD_SETUP + 2;
	if (arg)
		return mmap_errno(E.fd, 0, 2 * E.page, PROT_READ | PROT_WRITE, MAP_SHARED);
	return vs_share(E.fd, 0, 2 * E.page, 0, 0, &s);
}

static int rlimit_as_child(void *arg __attribute__((unused)))
{
	struct rlimit rl;
	struct vidshare_share s;
	unsigned long kb = 0;
	char *line;

	if (read_file("/proc/self/status", procbuf, sizeof(procbuf)) < 0)
		return CHILD_SETUP + 1;
	line = strstr(procbuf, "VmSize:");
	if (!line || sscanf(line, "VmSize: %lu kB", &kb) != 1)
		return CHILD_SETUP + 2;
	rl.rlim_cur = rl.rlim_max = kb * 1024;
	if (setrlimit(RLIMIT_AS, &rl))
		return CHILD_SETUP + 3;
	return vs_share(E.fd, 0, E.page, 0, 0, &s);
}

/*
 * vm.max_map_count below this process's mappings; set and restored here,
 * with nothing in between that could need a mapping.
 */
static int max_map_count_child(void *arg)
{
	unsigned long old = *(unsigned long *)arg;
	struct vidshare_share s;
	int n, err;

	n = count_vmas();
	if (n < 4)
		return CHILD_SETUP + 1;
	if (write_ulong(MAX_MAP_COUNT, n - 2))
		return CHILD_SETUP + 2;
	err = vs_share(E.fd, 0, E.page, 0, 0, &s);
	if (write_ulong(MAX_MAP_COUNT, old))
		return CHILD_SETUP + 3;
	return err;
}

TEST_F_TIMEOUT(input, open_modes_limits_and_process_state, 90)
{
	const uint64_t p = E.page;
	const uint32_t ro = VIDSHARE_SHARE_READONLY, rw = 0, uc = VIDSHARE_SHARE_UNCACHED;
	const uint32_t ro_uc = VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED;
	const int prot_rw = PROT_READ | PROT_WRITE;
	const struct rie_mmap rie_r = { PROT_READ, 0 }, rie_rw = { prot_rw, 0 };
	const struct rie_mmap rie_uc = { PROT_READ, UC };
	struct vidshare_share s, a, b;
	unsigned long min_addr = 16 * p;

	s = share_req(p + 1, p, 0, 0);
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE on O_RDONLY");
	s.flags = VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE UNCACHED on O_RDONLY");
	s.flags = VIDSHARE_SHARE_READONLY;
	share_case(_metadata, SHARE_FLAGS, E.rofd, &s, "SHARE READONLY on O_RDONLY");
	s.flags = VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_FLAGS, E.rofd, &s, "SHARE READONLY UNCACHED on O_RDONLY");
	s.flags = 0;
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE on O_WRONLY");
	s.flags = VIDSHARE_SHARE_READONLY;
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE READONLY on O_WRONLY");
	s.flags = VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE UNCACHED on O_WRONLY");
	s.flags = VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE READONLY UNCACHED on O_WRONLY");
	mmap_case(_metadata, MMAP_WRONLY, E.wofd, 0, p, PROT_READ, MAP_SHARED, UC | p,
		  "mmap uncached on O_WRONLY");

	/* max_shares is per file: fill the second file, keep the first for sanity */
	ASSERT_EQ(0, set_max_shares(2));
	ASSERT_EQ(0, vs_share(E.fd2, 0, p, 0, 0, &a));
	ASSERT_EQ(0, vs_share(E.fd2, p, p, 0, 0, &b));
	s = share_req(2 * p, p, 0, 0);
	share_case(_metadata, SHARE_MAX_SHARES, E.fd2, &s, "SHARE over max_shares");
	s.flags = VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_FIXED;
	s.requested_addr = free_range(1);
	share_case(_metadata, SHARE_MAX_SHARES, E.fd2, &s, "SHARE FIXED over max_shares");
	mmap_case(_metadata, MMAP_MAX_SHARES, E.fd2, 0, p, prot_rw, MAP_SHARED, 0,
		  "mmap over max_shares");
	/* the memory type is checked before max_shares */
	s = share_req(2 * p, p, VIDSHARE_SHARE_UNCACHED, 0);
	share_case(_metadata, SHARE_MAX_SHARES, E.fd2, &s, "SHARE UNCACHED over max_shares");
	mmap_case(_metadata, MMAP_MAX_SHARES, E.fd2, 0, p, PROT_READ, MAP_SHARED, UC | 2 * p,
		  "mmap uncached over max_shares");
	EXPECT_EQ(0, vs_unshare(E.fd2, a.virtual_addr));
	s = share_req(2 * p, p, 0, 0);
	share_case(_metadata, SHARE_OK, E.fd2, &s, "SHARE after an UNSHARE under max_shares");
	EXPECT_EQ(0, vs_unshare(E.fd2, b.virtual_addr));
	ASSERT_EQ(0, set_max_shares(self->max_shares));

	child_case(_metadata, SHARE_READ_IMPLIES_EXEC, rie_share_child, (void *)&rw,
		   "SHARE with READ_IMPLIES_EXEC");
	child_case(_metadata, SHARE_READ_IMPLIES_EXEC, rie_share_child, (void *)&ro,
		   "SHARE READONLY with READ_IMPLIES_EXEC");
	child_case(_metadata, MMAP_READ_IMPLIES_EXEC, rie_mmap_child, (void *)&rie_r,
		   "mmap PROT_READ with READ_IMPLIES_EXEC");
	child_case(_metadata, MMAP_READ_IMPLIES_EXEC, rie_mmap_child, (void *)&rie_rw,
		   "mmap PROT_READ | PROT_WRITE with READ_IMPLIES_EXEC");
	/* PROT_EXEC is refused before the memory type is looked at */
	child_case(_metadata, SHARE_READ_IMPLIES_EXEC, rie_share_child, (void *)&uc,
		   "SHARE UNCACHED with READ_IMPLIES_EXEC");
	child_case(_metadata, SHARE_READ_IMPLIES_EXEC, rie_share_child, (void *)&ro_uc,
		   "SHARE READONLY UNCACHED with READ_IMPLIES_EXEC");
	child_case(_metadata, MMAP_READ_IMPLIES_EXEC, rie_mmap_child, (void *)&rie_uc,
		   "mmap PROT_READ uncached with READ_IMPLIES_EXEC");

	/* below vm.mmap_min_addr: root (CAP_SYS_RAWIO) may, nobody else */
	if (self->mmap_min_addr > min_addr)
		min_addr = self->mmap_min_addr;
	ASSERT_EQ(0, write_ulong(MMAP_MIN_ADDR, min_addr));
	s = share_req(0, p, VIDSHARE_SHARE_FIXED, p);
	share_case_at(_metadata, SHARE_FIXED, E.fd, &s, p,
		      "SHARE FIXED below vm.mmap_min_addr as root");
	child_case(_metadata, SHARE_FIXED_LOW, low_share_child, NULL,
		   "SHARE FIXED below vm.mmap_min_addr without CAP_SYS_RAWIO");
	child_case(_metadata, MMAP_LOW, low_mmap_child, NULL,
		   "mmap MAP_FIXED below vm.mmap_min_addr without CAP_SYS_RAWIO");
	ASSERT_EQ(0, write_ulong(MMAP_MIN_ADDR, self->mmap_min_addr));

	child_case(_metadata, SHARE_MLOCK, mlock_child, NULL, "SHARE under mlockall(MCL_FUTURE)");
	child_case(_metadata, MMAP_MLOCK, mlock_child, (void *)1,
		   "mmap under mlockall(MCL_FUTURE)");
	child_case(_metadata, SHARE_RLIMIT_AS, rlimit_as_child, NULL, "SHARE at RLIMIT_AS");
	child_case(_metadata, SHARE_MAX_MAP_COUNT, max_map_count_child, &self->max_map_count,
		   "SHARE at vm.max_map_count");
}

/* ------------------------------------------------------------------ */
/* Containment                                                          */
/* ------------------------------------------------------------------ */

/*
 * Point every request at the register BAR and just past the frame buffer.
 * Each mapping that does get made anywhere in this program is checked to
 * show the frame-buffer bytes it should at both ends (check_data()), and
 * to leave PAT's memtype list alone; here the offsets of the register BAR
 * itself.
 */
TEST_F_TIMEOUT(input, no_request_reaches_the_register_bar, 60)
{
	const uint64_t p = E.page, fb = E.fb_size;
	uint64_t d, d_end, offs[8], lens[4];
	struct vidshare_share s;
	unsigned int i, j;

	if (!E.mmio_end)
		SKIP(return, "the adapter has no memory BAR but the frame buffer");
	/* the register BAR's distance from the frame buffer, modulo 2^64 */
	d = E.mmio_start - E.fb_phys;
	d_end = E.mmio_end - E.fb_phys;
	offs[0] = d;
	offs[1] = d + 1;
	offs[2] = d_end - 1;
	offs[3] = pg_down(d);
	offs[4] = fb;
	offs[5] = fb - p;
	offs[6] = 0;
	offs[7] = p;
	lens[0] = 1;
	lens[1] = p;
	lens[2] = d_end - pg_down(d);
	lens[3] = d_end;
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		for (j = 0; j < ARRAY_SIZE(lens); j++) {
			s = share_req(offs[i], lens[j], 0, 0);
			share_case(_metadata, share_view_cond(offs[i], lens[j], fb), E.fd, &s,
				   "SHARE toward the register BAR");
			s.flags = VIDSHARE_SHARE_UNCACHED | VIDSHARE_SHARE_READONLY;
			share_case(_metadata, share_view_cond(offs[i], lens[j], fb) == SHARE_OK ?
				   SHARE_FLAGS : share_view_cond(offs[i], lens[j], fb), E.fd, &s,
				   "SHARE toward the register BAR, uncached");
			mmap_case(_metadata, mmap_cond(offs[i], lens[j]), E.fd, 0, lens[j],
				  PROT_READ | PROT_WRITE, MAP_SHARED, offs[i],
				  "mmap toward the register BAR");
			mmap_case(_metadata, mmap_cond(offs[i] | UC, lens[j]), E.fd, 0, lens[j],
				  PROT_READ, MAP_SHARED, offs[i] | UC,
				  "mmap toward the register BAR, uncached");
		}
	}
}

/* ------------------------------------------------------------------ */
/* Fixture "revoked": the same requests once the adapter is gone        */
/* ------------------------------------------------------------------ */

FIXTURE(revoked) {
	char bdf[64];
};

FIXTURE_SETUP(revoked)
{
	const char *base;

	env_init(_metadata);
	base = strrchr(E.node, '/');
	ASSERT_EQ(0, class_dev_bdf(base ? base + 1 : E.node, self->bdf, sizeof(self->bdf)));
	ASSERT_TRUE(driver_bound(self->bdf)) TH_LOG("%s is not bound to vidshare", self->bdf);
	ASSERT_EQ(0, debugfs_count(E.node, 0));
}

/* In the parent: bind the adapter again, also when the test failed. */
FIXTURE_TEARDOWN_PARENT(revoked)
{
	char node[PATH_MAX];

	if (!self->bdf[0])
		return;
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)))
		TH_LOG("could not bind %s again", self->bdf);
}

TEST_F_TIMEOUT(revoked, every_request_after_revocation, 60)
{
	const uint64_t p = E.page, fb = E.fb_size;
	struct vidshare_share s, live;
	struct vidshare_unshare u;
	struct vidshare_mode m;
	struct vidshare_info info;
	char node[PATH_MAX];
	uint8_t *anon = anon_map(1);
	volatile uint8_t *mm;
	int oldfd;

	ASSERT_TRUE(anon != NULL);
	ASSERT_EQ(0, vs_share(E.fd, 3 * p + 5, 2 * p, 0, 0, &live));
	mm = dev_mmap(E.fd, 8 * p, p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(mm != NULL);
	/* SHARE filled its page-table entries; the mmap(2) gets them when touched */
	check_row(_metadata, pg_down(live.virtual_addr), live.shared_size, live.shared_offset,
		  PROT_READ | PROT_WRITE, true, "a share before the unbind");
	check_row(_metadata, (uintptr_t)mm, p, 8 * p, PROT_READ | PROT_WRITE, false,
		  "an mmap(2) before the unbind");
	EXPECT_EQ(0, probe_read(mm));
	check_row(_metadata, (uintptr_t)mm, p, 8 * p, PROT_READ | PROT_WRITE, true,
		  "a touched mmap(2) before the unbind");
	ASSERT_EQ(0, unbind_device(self->bdf));
	E.revoked = true;
	/* the adapter's memory type is given back, and nothing else was there */
	check_pat_adapter(_metadata, false, "unbound");

	memset(&info, 0xa5, sizeof(info));
	ioctl_case(_metadata, INFO_REVOKED, E.fd, VIDSHARE_IOC_INFO, &info, "INFO once revoked");
	EXPECT_EQ(VIDSHARE_INFO_REVOKED, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ(0U, info.width | info.height | info.bpp | info.stride);
	EXPECT_EQ(fb, info.fb_size);
	ioctl_case(_metadata, INFO_REVOKED, E.rofd, VIDSHARE_IOC_INFO, &info,
		   "INFO on O_RDONLY once revoked");

	ioctl_case(_metadata, mode_req(GET_MODE_REVOKED), E.fd, VIDSHARE_IOC_GET_MODE, &m,
		   "GET_MODE once revoked");
	ioctl_case(_metadata, mode_req(GET_MODE_REVOKED), E.fd, VIDSHARE_IOC_GET_MODE, NULL,
		   "GET_MODE into NULL once revoked");
	m = mode(640, 480, 32);
	set_mode_case(_metadata, SET_MODE_REVOKED, E.fd, &m, "SET_MODE once revoked");
	set_mode_case(_metadata, SET_MODE_RDONLY, E.rofd, &m, "SET_MODE on O_RDONLY once revoked");
	m.flags = 1;
	set_mode_case(_metadata, SET_MODE_FLAGS, E.fd, &m, "SET_MODE with flags once revoked");
	m = mode(640, 480, 7);
	set_mode_case(_metadata, SET_MODE_BPP, E.fd, &m, "SET_MODE of a bad depth once revoked");
	m = mode(641, 480, 32);
	set_mode_case(_metadata, SET_MODE_WIDTH, E.fd, &m, "SET_MODE of a bad width once revoked");
	ioctl_case(_metadata, SET_MODE_EFAULT, E.fd, VIDSHARE_IOC_SET_MODE, NULL,
		   "SET_MODE from NULL once revoked");

	s = share_req(p, p, 0, 0);
	share_case(_metadata, SHARE_REVOKED, E.fd, &s, "SHARE once revoked");
	s.flags = VIDSHARE_SHARE_READONLY;
	share_case(_metadata, SHARE_REVOKED, E.rofd, &s, "SHARE READONLY on O_RDONLY once revoked");
	/* the memory type is checked before the revocation */
	s.flags = VIDSHARE_SHARE_READONLY | VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_REVOKED, E.fd, &s, "SHARE once revoked");
	share_case(_metadata, SHARE_REVOKED, E.rofd, &s, "SHARE on O_RDONLY once revoked");
	s.flags = VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE UNCACHED on O_RDONLY once revoked");
	s.reserved = 1;
	share_case(_metadata, SHARE_RESERVED, E.fd, &s,
		   "SHARE UNCACHED with reserved set once revoked");
	s = share_req(fb - 1, 1, VIDSHARE_SHARE_FIXED, free_range(1));
	share_case(_metadata, SHARE_REVOKED, E.fd, &s, "SHARE FIXED once revoked");
	s.requested_addr = (uintptr_t)anon;
	share_case(_metadata, SHARE_FIXED_EXISTS, E.fd, &s,
		   "SHARE FIXED over a mapping once revoked");
	s.requested_addr = 0;
	share_case(_metadata, SHARE_FIXED_NULL, E.fd, &s, "SHARE FIXED at 0 once revoked");
	s.requested_addr = (uintptr_t)anon + 1;
	share_case(_metadata, SHARE_FIXED_UNALIGNED, E.fd, &s,
		   "SHARE FIXED unaligned once revoked");
	s = share_req(p, p, 1U << 3, 0);
	share_case(_metadata, SHARE_FLAGS_UNKNOWN, E.fd, &s,
		   "SHARE with an unknown flag once revoked");
	s = share_req(p, p, 0, 0);
	s.reserved = 1;
	share_case(_metadata, SHARE_RESERVED, E.fd, &s, "SHARE with reserved set once revoked");
	s = share_req(p, 0, 0, 0);
	share_case(_metadata, SHARE_SIZE_0, E.fd, &s, "SHARE of nothing once revoked");
	s = share_req(fb - p, p + 1, 0, 0);
	share_case(_metadata, SHARE_PAST_END, E.fd, &s, "SHARE past the end once revoked");
	s = share_req(p, U64_MAX, 0, 0);
	share_case(_metadata, SHARE_WRAP, E.fd, &s, "SHARE wrapping once revoked");
	s = share_req(p, p, 0, 0);
	share_case(_metadata, SHARE_RDONLY, E.rofd, &s, "SHARE on O_RDONLY once revoked");
	share_case(_metadata, SHARE_WRONLY, E.wofd, &s, "SHARE on O_WRONLY once revoked");
	ioctl_case(_metadata, SHARE_EFAULT_IN, E.fd, VIDSHARE_IOC_SHARE, NULL,
		   "SHARE from NULL once revoked");

	mmap_case(_metadata, MMAP_REVOKED, E.fd, 0, p, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
		  "mmap once revoked");
	mmap_case(_metadata, MMAP_REVOKED, E.rofd, 0, p, PROT_READ, MAP_SHARED, fb - p,
		  "mmap on O_RDONLY once revoked");
	mmap_case(_metadata, MMAP_REVOKED, E.rofd, 0, p, PROT_READ, MAP_SHARED, UC | (fb - p),
		  "mmap uncached on O_RDONLY once revoked");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, PROT_READ | PROT_EXEC, MAP_SHARED, UC,
		  "mmap PROT_EXEC uncached once revoked");
	mmap_case(_metadata, MMAP_PAST_END, E.fd, 0, 2 * p, PROT_READ, MAP_SHARED, UC | (fb - p),
		  "mmap uncached past the end once revoked");
	mmap_case(_metadata, MMAP_PAST_END, E.fd, 0, 2 * p, PROT_READ, MAP_SHARED, fb - p,
		  "mmap past the end once revoked");
	mmap_case(_metadata, MMAP_PRIVATE, E.fd, 0, p, PROT_READ, MAP_PRIVATE, 0,
		  "mmap MAP_PRIVATE once revoked");
	mmap_case(_metadata, MMAP_EXEC, E.fd, 0, p, PROT_READ | PROT_EXEC, MAP_SHARED, 0,
		  "mmap PROT_EXEC once revoked");
	mmap_case(_metadata, MMAP_LENGTH_0, E.fd, 0, 0, PROT_READ, MAP_SHARED, 0,
		  "mmap of length 0 once revoked");
	mmap_case(_metadata, MMAP_RDONLY, E.rofd, 0, p, PROT_WRITE, MAP_SHARED, 0,
		  "mmap PROT_WRITE on O_RDONLY once revoked");

	ioctl_case(_metadata, IOCTL_NR, E.fd, _IO(VIDSHARE_IOCTL_MAGIC, 0x05), NULL,
		   "an unknown ioctl once revoked");
	ioctl_case(_metadata, IOCTL_SHAPE, E.fd, _IOW(VIDSHARE_IOCTL_MAGIC, 0x01,
		   struct vidshare_share),
		   &s, "SHARE's number with another direction once revoked");
	ioctl_case(_metadata, IOCTL_TYPE, E.fd, _IOWR(VIDSHARE_IOCTL_MAGIC + 1, 0x01,
		   struct vidshare_share),
		   &s, "SHARE with another type once revoked");

	u = (struct vidshare_unshare){ .virtual_addr = live.virtual_addr, .flags = 1 };
	ioctl_case(_metadata, UNSHARE_FLAGS, E.fd, VIDSHARE_IOC_UNSHARE, &u,
		   "UNSHARE with flags once revoked");
	u = (struct vidshare_unshare){ .virtual_addr = live.virtual_addr, .reserved = 1 };
	ioctl_case(_metadata, UNSHARE_RESERVED, E.fd, VIDSHARE_IOC_UNSHARE, &u,
		   "UNSHARE with reserved set once revoked");
	u = (struct vidshare_unshare){ .virtual_addr = live.virtual_addr + 1 };
	ioctl_case(_metadata, UNSHARE_NOT_A_SHARE, E.fd, VIDSHARE_IOC_UNSHARE, &u,
		   "UNSHARE inside a share once revoked");
	ioctl_case(_metadata, UNSHARE_OTHER_FILE, E.fd2, VIDSHARE_IOC_UNSHARE,
		   &(struct vidshare_unshare){ .virtual_addr = live.virtual_addr },
		   "UNSHARE through another file once revoked");
	ioctl_case(_metadata, UNSHARE_EFAULT, E.fd, VIDSHARE_IOC_UNSHARE, NULL,
		   "UNSHARE from NULL once revoked");
	case_begin(_metadata);
	u = (struct vidshare_unshare){ .virtual_addr = live.virtual_addr };
	case_result(_metadata, UNSHARE_REVOKED, vs_ioctl(E.fd, VIDSHARE_IOC_UNSHARE, &u),
		    "UNSHARE of a revoked share");
	case_end_gone(_metadata, "UNSHARE of a revoked share", pg_down(live.virtual_addr));
	case_begin(_metadata);
	case_result(_metadata, MUNMAP_WHOLE, munmap((void *)mm, p) ? errno : 0,
		    "munmap of a revoked mmap(2)");
	case_end_gone(_metadata, "munmap of a revoked mmap(2)", (uintptr_t)mm);

	/* the node goes away (devtmpfs removes it asynchronously) */
	EXPECT_TRUE(wait_path(E.node, false, REBIND_TIMEOUT_MS));
	case_begin(_metadata);
	oldfd = open(E.node, O_RDWR | O_CLOEXEC);
	case_result(_metadata, OPEN_GONE, oldfd < 0 ? errno : 0, "open of the node once revoked");
	if (oldfd >= 0)
		close(oldfd);
	case_end(_metadata, "open of the node once revoked");

	/* bound again: a new device works, the old files stay revoked */
	oldfd = dup(E.fd);
	ASSERT_LE(0, oldfd);
	env_close();
	ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
	/* this checks PAT too: the adapter's entry is back */
	env_open(_metadata, node);
	ref_map(_metadata);
	s = share_req(fb - 1, 1, 0, 0);
	share_case(_metadata, SHARE_OK, E.fd, &s, "SHARE after binding again");
	mmap_case(_metadata, MMAP_OK, E.fd, 0, p, PROT_READ | PROT_WRITE, MAP_SHARED, fb - p,
		  "mmap after binding again");
	ioctl_case(_metadata, INFO_REVOKED, oldfd, VIDSHARE_IOC_INFO, &info,
		   "INFO on an old file after binding again");
	EXPECT_EQ(VIDSHARE_INFO_REVOKED, info.flags & VIDSHARE_INFO_REVOKED);
	s = share_req(0, p, 0, 0);
	share_case(_metadata, SHARE_REVOKED, oldfd, &s, "SHARE on an old file after binding again");
	s.flags = VIDSHARE_SHARE_UNCACHED;
	share_case(_metadata, SHARE_REVOKED, oldfd, &s,
		   "SHARE UNCACHED on an old file after binding again");
	close(oldfd);
	env_close();
	EXPECT_EQ(0, munmap(anon, p));
}

/* ------------------------------------------------------------------ */
/* Fixture "table": did every documented condition get a case?          */
/* ------------------------------------------------------------------ */

FIXTURE(table) {
	int unused;
};

FIXTURE_SETUP(table)
{
}

FIXTURE_TEARDOWN(table)
{
}

TEST_F(table, every_documented_condition_was_checked)
{
	struct __fixture_metadata *f;
	struct __test_metadata *t;
	unsigned int tests = 0, total = 0, na = 0, c;

	for (f = __fixture_list; f; f = f->next)
		for (t = f->tests; t && strcmp(f->name, "table"); t = t->next)
			tests++;
	if (*groups_run < tests)
		SKIP(return, "only %u of the %u other tests ran", *groups_run, tests);
	for (c = 0; c < NR_CONDS; c++) {
		total += hits[c].ran;
		EXPECT_LT(0U, hits[c].ran + hits[c].na)
			TH_LOG("no case checked: %s %s: %s", conds[c].req, errname(conds[c].err),
			       conds[c].what);
		EXPECT_EQ(0U, hits[c].failed)
			TH_LOG("%u of %u cases failed: %s %s: %s", hits[c].failed, hits[c].ran,
			       conds[c].req, errname(conds[c].err), conds[c].what);
		if (hits[c].ran || !hits[c].na)
			continue;
		na++;
		ksft_print_msg("not applicable here: %s %s: %s\n", conds[c].req,
			       errname(conds[c].err), conds[c].what);
	}
	ksft_print_msg("%u cases of %d documented conditions, %u of them not applicable here\n",
		       total, NR_CONDS, na);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--errno-table"))
		return print_errno_table();
	return test_harness_run(argc, argv);
}
