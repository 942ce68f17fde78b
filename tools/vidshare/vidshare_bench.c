// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare_bench - time mappings of a display adapter's frame buffer.
 *
 * One interface a run:
 *
 *   vidshare_bench [--runs R] [--scaling] IFACE [--dev PATH] [--pci BDF]
 *
 * IFACE is share (VIDSHARE_IOC_SHARE/UNSHARE of --dev /dev/vidshareN),
 * mmap (mmap(2)/munmap(2) of --dev /dev/vidshareN), fb0 (mmap of --dev
 * /dev/fbN), resource0 (mmap of /sys/bus/pci/devices/BDF/resource0) or vfio
 * (VFIO type1: mmap of BAR0 through the device fd of --pci BDF).
 *
 * Every cell is the median of R runs (default 21, after one run that is not
 * counted) of: map, one 32-bit store per 4 KiB page, unmap, timed with
 * CLOCK_MONOTONIC. With --scaling, also the time of one map+store+unmap of
 * 4 KiB while N other 4 KiB mappings (each stored to once) are live. And the
 * page tables one 16 MiB kernel-placed mapping costs, touched everywhere.
 *
 * The output is one JSON document on stdout: medians, every sample, labels.
 * It judges nothing. The exit status is 1 when the interface could not be
 * opened at all (the document then says why), else 0; a cell that failed
 * has "error" instead of a median.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/fb.h>
#include <linux/vfio.h>
#include <linux/vidshare.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define PAGE		4096UL
#define KIB		1024UL
#define MIB		(1024UL * 1024UL)
#define HUGE		(2 * MIB)
#define MAX_RUNS	1001

struct bench;

/* An interface: how to map a view of the frame buffer and unmap it. */
struct iface {
	const char *name;
	const char *label;
	int (*open)(struct bench *b, char *why, size_t len);
	/* NULL on failure, errno set */
	void *(*map)(struct bench *b, void *hint, unsigned long off, unsigned long len);
	int (*unmap)(struct bench *b, void *addr, unsigned long len);
};

struct bench {
	const struct iface *iface;
	const char *dev;
	const char *pci;
	int fd;			/* what is mapped: device, file or VFIO device fd */
	int container;		/* VFIO */
	int group;		/* VFIO */
	unsigned long base;	/* file offset of frame-buffer byte 0 */
	unsigned long size;	/* bytes that can be mapped */
	unsigned int runs;
	/* Where the counted runs of a cell mapped (see run_cell()). */
	void *last_addr;
	unsigned int at_2m;	/* runs whose mapping began on a 2 MiB boundary */
	unsigned int at_hint;	/* runs whose mapping began at the hint */
	bool wc;		/* vidshare: INFO says write-combining */
	/* For --check: */
	unsigned int at_2m_16m;	/* counted 16 MiB kernel-placed runs at 2 MiB */
	long pte_pages;		/* VmPTE of one 16 MiB mapping, pages; -1 unknown */
};

/* ---- interfaces ---- */

static void *mmap_map(struct bench *b, void *hint, unsigned long off, unsigned long len)
{
	void *p = mmap(hint, len, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd,
		       (off_t)(b->base + off));

	return p == MAP_FAILED ? NULL : p;
}

static int mmap_unmap(struct bench *b, void *addr, unsigned long len)
{
	(void)b;
	return munmap(addr, len);
}

static void *share_map(struct bench *b, void *hint, unsigned long off, unsigned long len)
{
	struct vidshare_share req = {
		.view_offset = off,
		.view_size = len,
		.requested_addr = (uintptr_t)hint,
	};

	if (ioctl(b->fd, VIDSHARE_IOC_SHARE, &req))
		return NULL;
	return (void *)(uintptr_t)req.virtual_addr;
}

static int share_unmap(struct bench *b, void *addr, unsigned long len)
{
	struct vidshare_unshare req = { .virtual_addr = (uintptr_t)addr };

	(void)len;
	return ioctl(b->fd, VIDSHARE_IOC_UNSHARE, &req);
}

static int vidshare_open(struct bench *b, char *why, size_t len)
{
	struct vidshare_info info;

	if (!b->dev) {
		snprintf(why, len, "--dev /dev/vidshareN is needed");
		return -1;
	}
	b->fd = open(b->dev, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || ioctl(b->fd, VIDSHARE_IOC_INFO, &info)) {
		snprintf(why, len, "%s: %s", b->dev, strerror(errno));
		return -1;
	}
	b->size = info.fb_size;
	b->wc = info.flags & VIDSHARE_INFO_WC;
	return 0;
}

static int fb_open(struct bench *b, char *why, size_t len)
{
	struct fb_fix_screeninfo fix;

	if (!b->dev) {
		snprintf(why, len, "--dev /dev/fbN is needed");
		return -1;
	}
	b->fd = open(b->dev, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || ioctl(b->fd, FBIOGET_FSCREENINFO, &fix)) {
		snprintf(why, len, "%s: %s", b->dev, strerror(errno));
		return -1;
	}
	/* fb_mmap maps smem_len bytes from the page of smem_start. */
	b->size = (fix.smem_len + (fix.smem_start & (PAGE - 1))) & ~(PAGE - 1);
	return 0;
}

static int resource_open(struct bench *b, char *why, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	if (!b->pci) {
		snprintf(why, len, "--pci BDF is needed");
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", b->pci);
	b->fd = open(path, O_RDWR | O_CLOEXEC);
	if (b->fd < 0 || fstat(b->fd, &st)) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	b->size = st.st_size;
	return 0;
}

static int vfio_open(struct bench *b, char *why, size_t len)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info region = {
		.argsz = sizeof(region),
		.index = VFIO_PCI_BAR0_REGION_INDEX,
	};
	char link[PATH_MAX], target[PATH_MAX], path[PATH_MAX];
	const char *step;
	ssize_t n;

	if (!b->pci) {
		snprintf(why, len, "--pci BDF is needed");
		return -1;
	}
	step = "/dev/vfio/vfio";
	b->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (b->container < 0)
		goto fail;
	step = "VFIO_GET_API_VERSION";
	if (ioctl(b->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION)
		goto fail;
	step = "VFIO_CHECK_EXTENSION(VFIO_TYPE1_IOMMU)";
	if (ioctl(b->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) <= 0)
		goto fail;
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", b->pci);
	step = link;
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		goto fail;
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
	step = path;
	b->group = open(path, O_RDWR | O_CLOEXEC);
	if (b->group < 0)
		goto fail;
	step = "VFIO_GROUP_GET_STATUS";
	if (ioctl(b->group, VFIO_GROUP_GET_STATUS, &status))
		goto fail;
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, len, "%s is not viable (a device of the group has another driver)",
			 path);
		return -1;
	}
	step = "VFIO_GROUP_SET_CONTAINER";
	if (ioctl(b->group, VFIO_GROUP_SET_CONTAINER, &b->container))
		goto fail;
	step = "VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU)";
	if (ioctl(b->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU))
		goto fail;
	step = "VFIO_GROUP_GET_DEVICE_FD";
	b->fd = ioctl(b->group, VFIO_GROUP_GET_DEVICE_FD, b->pci);
	if (b->fd < 0)
		goto fail;
	step = "VFIO_DEVICE_GET_REGION_INFO(BAR0)";
	if (ioctl(b->fd, VFIO_DEVICE_GET_REGION_INFO, &region))
		goto fail;
	if (!(region.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		snprintf(why, len, "BAR0 of %s cannot be mmapped through VFIO", b->pci);
		return -1;
	}
	b->base = region.offset;
	b->size = region.size;
	return 0;
fail:
	snprintf(why, len, "%s: %s", step, strerror(errno));
	return -1;
}

static const struct iface ifaces[] = {
	{ "share", "vidshare SHARE/UNSHARE", vidshare_open, share_map, share_unmap },
	{ "mmap", "vidshare mmap(2)/munmap(2)", vidshare_open, mmap_map, mmap_unmap },
	{ "fb0", "fbdev /dev/fb0 mmap (vesafb)", fb_open, mmap_map, mmap_unmap },
	{ "resource0", "sysfs resource0 mmap", resource_open, mmap_map, mmap_unmap },
	{ "vfio", "VFIO type1 BAR0 mmap", vfio_open, mmap_map, mmap_unmap },
};

/* ---- measuring ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* One 32-bit store in every 4 KiB page of [p, p + len). */
static void touch(void *p, unsigned long len)
{
	unsigned long off;

	for (off = 0; off < len; off += PAGE)
		__atomic_store_n((uint32_t *)((char *)p + off), (uint32_t)off, __ATOMIC_RELAXED);
}

/*
 * A hint that the kernel can honour but that is 2 MiB + 4 KiB past a 2 MiB
 * boundary: an address range of len bytes that is free now (reserved, then
 * given back).
 */
static void *misaligned_hint(unsigned long len)
{
	unsigned long span = len + 2 * HUGE + PAGE;
	uintptr_t start;
	void *r;

	r = mmap(NULL, span + HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	munmap(r, span + HUGE);
	start = ((uintptr_t)r + HUGE - 1) & ~(uintptr_t)(HUGE - 1);
	return (void *)(start + HUGE + PAGE);
}

enum hint_kind { HINT_NONE, HINT_MISALIGNED };

/* Time one map (+ touch) + unmap; 0 or -errno, the time in *ns. */
static int time_once(struct bench *b, enum hint_kind hk, unsigned long off,
		     unsigned long len, bool do_touch, uint64_t *ns)
{
	void *hint = hk == HINT_MISALIGNED ? misaligned_hint(len) : NULL;
	uint64_t t0, t1;
	void *p;

	if (hk == HINT_MISALIGNED && !hint)
		return -errno;
	t0 = now_ns();
	p = b->iface->map(b, hint, off, len);
	if (!p)
		return -errno;
	if (do_touch)
		touch(p, len);
	if (b->iface->unmap(b, p, len))
		return -errno;
	t1 = now_ns();
	*ns = t1 - t0;
	b->last_addr = p;
	b->at_2m += !((uintptr_t)p & (HUGE - 1));
	b->at_hint += hint && p == hint;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_us(const uint64_t *ns, unsigned int n)
{
	uint64_t s[MAX_RUNS];

	memcpy(s, ns, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	if (n % 2)
		return s[n / 2] / 1000.0;
	return (s[n / 2 - 1] + s[n / 2]) / 2000.0;
}

/* ---- JSON output ---- */

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* "median_us": M, "samples_us": [...] or "error": "..." */
static void json_result(int err, const uint64_t *ns, unsigned int n)
{
	unsigned int i;

	if (err) {
		printf("\"median_us\": null, \"error\": ");
		json_str(strerror(-err));
		return;
	}
	printf("\"median_us\": %.3f, \"samples_us\": [", median_us(ns, n));
	for (i = 0; i < n; i++)
		printf("%s%.3f", i ? ", " : "", ns[i] / 1000.0);
	putchar(']');
}

/* ---- the mapping table ---- */

struct cell {
	const char *key;
	const char *label;
	unsigned long len;
	enum hint_kind hint;
	bool touch;
};

static const struct cell cells[] = {
	{ "16M", "16 MiB, kernel-placed", 16 * MIB, HINT_NONE, true },
	{ "16M_hint", "16 MiB, hint 2 MiB + 4 KiB", 16 * MIB, HINT_MISALIGNED, true },
	{ "1M", "1 MiB", MIB, HINT_NONE, true },
	{ "4K", "4 KiB", PAGE, HINT_NONE, true },
	{ "16M_notouch", "map+unmap 16 MiB, no touch", 16 * MIB, HINT_NONE, false },
};

/* Time one cell: one run not counted, then b->runs runs. */
static int run_cell(struct bench *b, const struct cell *c, uint64_t *ns)
{
	unsigned int i;
	uint64_t warm;
	int err;

	if (c->len > b->size)
		return -EFBIG;
	err = time_once(b, c->hint, 0, c->len, c->touch, &warm);
	b->at_2m = 0;
	b->at_hint = 0;
	for (i = 0; !err && i < b->runs; i++)
		err = time_once(b, c->hint, 0, c->len, c->touch, &ns[i]);
	return err;
}

static void mapping_table(struct bench *b)
{
	uint64_t ns[MAX_RUNS];
	unsigned int i;
	int err;

	printf(",\n \"cells\": {");
	for (i = 0; i < ARRAY_SIZE(cells); i++) {
		err = run_cell(b, &cells[i], ns);
		printf("%s\n  \"%s\": {\"label\": ", i ? "," : "", cells[i].key);
		json_str(cells[i].label);
		printf(", \"bytes\": %lu, \"touched\": %s, ", cells[i].len,
		       cells[i].touch ? "true" : "false");
		json_result(err, ns, b->runs);
		if (!err && i == 0)
			b->at_2m_16m = b->at_2m;
		if (!err) {
			printf(", \"last_address\": \"%p\", \"runs_at_2m_boundary\": %u",
			       b->last_addr, b->at_2m);
			if (cells[i].hint == HINT_MISALIGNED)
				printf(", \"runs_at_hint\": %u", b->at_hint);
		}
		putchar('}');
		fflush(stdout);
	}
	printf("\n }");
}

/* ---- page tables ---- */

/* A "Name:   N kB" line of a /proc file, in KiB; -1 if absent. */
static long proc_kib(const char *path, const char *name)
{
	size_t n = strlen(name);
	char line[256];
	long v = -1;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ':') {
			v = strtol(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* PageTables of /proc/meminfo, with the per-CPU counters folded in first. */
static long page_tables_kib(void)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY | O_CLOEXEC);

	ssize_t n;

	/* Unprivileged, this fails: the counters as they are. */
	if (fd >= 0) {
		n = write(fd, "1", 1);
		(void)n;
		close(fd);
	}
	return proc_kib("/proc/meminfo", "PageTables");
}

static void json_kib(const char *key, long before, long after)
{
	printf("\"%s\": {\"before_kib\": %ld, \"after_kib\": %ld, ", key, before, after);
	printf("\"delta_kib\": %ld, \"delta_pages\": %ld}", after - before,
	       (after - before) * (long)KIB / (long)PAGE);
}

static void page_table_cost(struct bench *b)
{
	long pte0, pte1, pt0, pt1;
	unsigned long len = 16 * MIB;
	void *p;

	printf(",\n \"page_tables\": {\"label\": ");
	json_str("one 16 MiB kernel-placed mapping, every page touched");
	printf(", ");
	if (len > b->size) {
		printf("\"error\": ");
		json_str(strerror(EFBIG));
		printf("}");
		return;
	}
	pte0 = proc_kib("/proc/self/status", "VmPTE");
	pt0 = page_tables_kib();
	p = b->iface->map(b, NULL, 0, len);
	if (!p) {
		printf("\"error\": ");
		json_str(strerror(errno));
		printf("}");
		return;
	}
	touch(p, len);
	pte1 = proc_kib("/proc/self/status", "VmPTE");
	pt1 = page_tables_kib();
	printf("\"address\": \"%p\", ", p);
	b->iface->unmap(b, p, len);
	if (pte0 >= 0 && pte1 >= 0)
		b->pte_pages = (pte1 - pte0) * (long)KIB / (long)PAGE;
	json_kib("VmPTE", pte0, pte1);
	printf(", ");
	json_kib("PageTables", pt0, pt1);
	printf("}");
}

/* ---- scaling ---- */

static const unsigned int scale_n[] = { 0, 100, 1000, 10000 };
#define SCALE_MAX	10000

struct scale_mode {
	const char *key;
	const char *label;
	bool distinct;
};

static const struct scale_mode scale_modes[] = {
	{ "same", "same page: all N live mappings and the timed one at page 0", false },
	{ "distinct",
	  "distinct pages: live mapping i at page i mod fb pages, timed one at page N mod fb pages",
	  true },
};

static void scaling_table(struct bench *b)
{
	static void *live[SCALE_MAX];
	unsigned long pages = b->size / PAGE, off;
	uint64_t ns[MAX_RUNS], t0;
	unsigned int m, s, i, n = 0, k;
	void *lo, *hi;
	int err;

	printf(",\n \"scaling\": {\"label\": ");
	json_str("4 KiB map + store + unmap, N other 4 KiB mappings live (each stored to once)");
	printf(", \"frame_buffer_pages\": %lu", pages);
	for (m = 0; m < ARRAY_SIZE(scale_modes); m++) {
		printf(",\n  \"%s\": {\"label\": ", scale_modes[m].key);
		json_str(scale_modes[m].label);
		err = 0;
		n = 0;
		for (s = 0; s < ARRAY_SIZE(scale_n); s++) {
			/* Grow the live mappings to scale_n[s]. */
			t0 = now_ns();
			for (; !err && n < scale_n[s]; n++) {
				off = scale_modes[m].distinct ? (n % pages) * PAGE : 0;
				live[n] = b->iface->map(b, NULL, off, PAGE);
				if (!live[n]) {
					err = -errno;
					break;
				}
				touch(live[n], PAGE);
			}
			printf(",\n   \"%u\": {\"live\": %u, \"setup_us\": %.3f, ", scale_n[s], n,
			       (now_ns() - t0) / 1000.0);
			lo = NULL;
			hi = NULL;
			for (k = 0; k < n; k++) {
				lo = !lo || live[k] < lo ? live[k] : lo;
				hi = !hi || live[k] > hi ? live[k] : hi;
			}
			if (n)
				printf("\"live_lowest\": \"%p\", \"live_highest\": \"%p\", ",
				       lo, hi);
			off = scale_modes[m].distinct ? (scale_n[s] % pages) * PAGE : 0;
			if (!err) {
				uint64_t warm;

				err = time_once(b, HINT_NONE, off, PAGE, true, &warm);
				for (i = 0; !err && i < b->runs; i++)
					err = time_once(b, HINT_NONE, off, PAGE, true, &ns[i]);
			}
			printf("\"offset\": %lu, ", off);
			json_result(err, ns, b->runs);
			if (!err)
				printf(", \"last_address\": \"%p\"", b->last_addr);
			putchar('}');
			fflush(stdout);
		}
		t0 = now_ns();
		for (k = 0; k < n; k++)
			b->iface->unmap(b, live[k], PAGE);
		printf(",\n   \"teardown_us\": %.3f}", (now_ns() - t0) / 1000.0);
	}
	printf("\n }");
}

/* ---- main ---- */

/* ---- --check: the structure of vidshare's mappings ---- */

/*
 * Whether this kernel maps the 2 MiB blocks of a vidshare mapping with
 * huge entries: 6.12 or later, with transparent huge pages.
 */
static bool huge_expected(void)
{
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	if (major < 6 || (major == 6 && minor < 12))
		return false;
	/* 0 for a process with PR_SET_THP_DISABLE */
	if (proc_kib("/proc/self/status", "THP_enabled") != 1)
		return false;
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

/*
 * The memory type debugfs gives the live vidshare mapping at @p ("wc",
 * "uc-", ...) into @type; 0, or -1 when there is no such row.
 */
static int debugfs_memtype(struct bench *b, void *p, char *type, size_t size)
{
	const char *node = strrchr(b->dev, '/');
	unsigned long long start;
	char path[PATH_MAX], line[256], flags[32];
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/vidshare/%s/shares",
		 node ? node + 1 : b->dev);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (ret && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*u\t%*d\t%llx\t%*x\t%*x\t%31s", &start, flags) != 2 ||
		    start != (uintptr_t)p || !strchr(flags, ','))
			continue;
		snprintf(type, size, "%s", strchr(flags, ',') + 1);
		ret = 0;
	}
	fclose(f);
	return ret;
}

/* One failed check: a line on stderr. */
static bool check_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("vidshare_bench: check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return false;
}

/*
 * What make check asks of the short bench: only the structure, never a
 * time. Where huge entries are expected, a 16 MiB kernel-placed mapping
 * starts on a 2 MiB boundary and costs at most one page-table page (a new
 * PMD table); elsewhere it costs a PTE page a 2 MiB block (at least 7 of
 * 8: a neighbour may have made one). Its memory type is the adapter's,
 * and SHARE of an uncached view of a write-combining adapter is refused.
 */
static bool check_structure(struct bench *b)
{
	bool huge = huge_expected(), ok = true;
	const char *want = b->wc ? "wc" : "uc-";
	struct vidshare_share req = {
		.view_size = PAGE,
		.flags = VIDSHARE_SHARE_UNCACHED,
	};
	char type[32];
	void *p;

	if (huge && b->at_2m_16m != b->runs)
		ok = check_fail("%u of %u 16 MiB mappings at a 2 MiB boundary",
				b->at_2m_16m, b->runs);
	if (b->pte_pages < 0)
		ok = check_fail("no VmPTE figure");
	else if (huge ? b->pte_pages > 1 : b->pte_pages < 7)
		ok = check_fail("a 16 MiB mapping cost %ld page-table pages; expected %s",
				b->pte_pages, huge ? "at most 1" : "at least 7");
	p = b->iface->map(b, NULL, 0, 16 * MIB);
	if (!p) {
		ok = check_fail("16 MiB mapping: %s", strerror(errno));
	} else {
		/* an mmap(2) has its entries, and their type, once touched */
		touch(p, 16 * MIB);
		if (debugfs_memtype(b, p, type, sizeof(type)))
			ok = check_fail("no debugfs row for the mapping at %p", p);
		else if (strcmp(type, want))
			ok = check_fail("memory type %s, expected %s", type, want);
		b->iface->unmap(b, p, 16 * MIB);
	}
	if (b->iface->map == share_map) {
		if (!ioctl(b->fd, VIDSHARE_IOC_SHARE, &req)) {
			p = (void *)(uintptr_t)req.virtual_addr;
			if (b->wc)
				ok = check_fail("uncached SHARE of a write-combining adapter");
			else if (debugfs_memtype(b, p, type, sizeof(type)) || strcmp(type, want))
				ok = check_fail("uncached SHARE is not %s", want);
			share_unmap(b, p, PAGE);
		} else if (!b->wc || errno != EOPNOTSUPP) {
			ok = check_fail("uncached SHARE: %s", strerror(errno));
		}
	}
	fprintf(stderr, "vidshare_bench: check: %s: huge entries %s, ", b->iface->name,
		huge ? "expected" : "not expected");
	fprintf(stderr, "16 MiB at 2 MiB %u/%u, %ld page-table pages, memory type %s: %s\n",
		b->at_2m_16m, b->runs, b->pte_pages, want, ok ? "ok" : "FAILED");
	return ok;
}

static void print_usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: vidshare_bench [--runs R] [--scaling] [--check] IFACE [--dev PATH]\n"
		"                      [--pci BDF]\n"
		"--check: (share and mmap) exit 1 unless the mappings have the structure\n"
		"         make check expects: huge entries, page tables, memory type\n"
		"IFACE:\n");
	for (i = 0; i < ARRAY_SIZE(ifaces); i++)
		fprintf(f, "  %-10s %s\n", ifaces[i].name, ifaces[i].label);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "scaling", no_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'c' },
		{ "dev", required_argument, NULL, 'd' },
		{ "pci", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench b = { .fd = -1, .container = -1, .group = -1, .runs = 21,
			   .pte_pages = -1 };
	bool scale = false, check = false;
	char why[512];
	unsigned int i;
	int c;

	while ((c = getopt_long(argc, argv, "r:scd:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			b.runs = strtoul(optarg, NULL, 0);
			if (b.runs < 1 || b.runs > MAX_RUNS - 1) {
				fprintf(stderr, "vidshare_bench: --runs takes 1 to %d\n",
					MAX_RUNS - 1);
				return 2;
			}
			break;
		case 's':
			scale = true;
			break;
		case 'c':
			check = true;
			break;
		case 'd':
			b.dev = optarg;
			break;
		case 'p':
			b.pci = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return 0;
		default:
			print_usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		print_usage(stderr);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(ifaces); i++)
		if (!strcmp(argv[optind], ifaces[i].name))
			b.iface = &ifaces[i];
	if (!b.iface || (check && b.iface->open != vidshare_open)) {
		print_usage(stderr);
		return 2;
	}

	printf("{\"interface\": \"%s\", \"label\": ", b.iface->name);
	json_str(b.iface->label);
	printf(", \"dev\": ");
	json_str(b.dev ? b.dev : "");
	printf(", \"pci\": ");
	json_str(b.pci ? b.pci : "");
	printf(", \"runs\": %u, \"warmup_runs\": 1, \"clock\": \"CLOCK_MONOTONIC\"", b.runs);
	if (b.iface->open(&b, why, sizeof(why))) {
		printf(", \"error\": ");
		json_str(why);
		printf("}\n");
		return 1;
	}
	printf(", \"size\": %lu, \"file_offset\": %lu", b.size, b.base);
	mapping_table(&b);
	page_table_cost(&b);
	if (scale)
		scaling_table(&b);
	printf("\n}\n");
	fflush(stdout);
	return check && !check_structure(&b);
}
