// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare selftests: the userspace contract of /dev/vidshareN.
 *
 * Run as root with the vidshare module bound to a display adapter (the
 * reference setup is a QEMU std VGA, PCI 1234:1111, 16 MiB BAR0). The device
 * node is $VIDSHARE_DEV, /dev/vidshare0 if unset; $VIDSHARE_EXPECT says what
 * another adapter must report (see expected()), and $VIDSHARE_PCI, its PCI
 * address, keeps "revoke" on it when there are several.
 *
 * The fixtures run in declaration order: "vidshare" (one O_RDWR open),
 * "mode" (restores the display mode; adapters with a mode interface),
 * "nomode" (adapters without one), "limits" (changes and restores the
 * max_shares module parameter), "revoke" (unbinds the PCI device and binds
 * it again, also when a test fails) and, last, "module" (unloads vidshare
 * and loads $VIDSHARE_MODULE, default /lib/modules/vidshare.ko, again).
 * Shares are counted in /sys/kernel/debug/vidshare/vidshareN/shares.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/vidshare.h>

#include "vidshare_harness.h"

#include "vidshare_lib.h"

/*
 * Note: EXPECT_*() and ASSERT_*() expand to two statements (the check and an
 * optional handler loop), so a loop or if body using them needs braces.
 */

/*
 * Check what SHARE reported for a view of @size bytes at @off, and that the
 * process got exactly one VMA [page start, page start + shared_size).
 */
static void check_share_geometry(struct __test_metadata *_metadata,
				 const struct vidshare_share *s, uint64_t off, uint64_t size)
{
	uint64_t sub = off & (page_size() - 1);
	struct vma_desc v;

	EXPECT_EQ(pg_down(off), s->shared_offset);
	EXPECT_EQ(pg_up(off + size) - pg_down(off), s->shared_size);
	EXPECT_EQ(sub, s->virtual_addr & (page_size() - 1));
	ASSERT_EQ(0, find_vma(s->virtual_addr, &v));
	EXPECT_EQ(s->virtual_addr - sub, v.start);
	EXPECT_EQ(s->virtual_addr - sub + s->shared_size, v.end);
	EXPECT_EQ(0, probe_read((volatile uint8_t *)share_base(s)));
	EXPECT_EQ(0, probe_read((volatile uint8_t *)share_base(s) + s->shared_size - 1));
}

/* ------------------------------------------------------------------ */
/* Fixture "vidshare": one O_RDWR open of the device                    */
/* ------------------------------------------------------------------ */

FIXTURE(vidshare) {
	int fd;
	uint64_t page;
	uint64_t fb_size;
	struct vidshare_info info;
};

FIXTURE_SETUP(vidshare)
{
	self->page = page_size();
	self->fd = open_dev(O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) failed", dev_path());
	ASSERT_EQ(0, vs_info(self->fd, &self->info));
	self->fb_size = self->info.fb_size;
	/* The tests use views within the first and last 64 pages. */
	ASSERT_LE(128 * self->page, self->fb_size);
}

FIXTURE_TEARDOWN(vidshare)
{
	close(self->fd);
}

/* 6. INFO */

/*
 * What the adapter under test must report: $VIDSHARE_EXPECT, words
 * KEY=VALUE for vendor, device, bar, fb_size, wc (0/1) and modes (dispi or
 * none). Unset keys are those of the QEMU std VGA, the reference setup.
 */
struct expect {
	unsigned long vendor, device, bar, wc;
	unsigned long long fb_size;
	bool modes;
	const char *error;	/* a word that could not be parsed */
};

static const struct expect *expected(void)
{
	static struct expect e = {
		.vendor = 0x1234, .device = 0x1111, .bar = 0, .wc = 1,
		.fb_size = SZ_16M, .modes = true,
	};
	static char bad[64];
	static bool parsed;
	const char *s = getenv("VIDSHARE_EXPECT");
	char key[16], val[32];
	int n;

	if (parsed || !s)
		goto out;
	while (sscanf(s, " %15[a-z_]=%31s%n", key, val, &n) == 2) {
		if (!strcmp(key, "vendor"))
			e.vendor = strtoul(val, NULL, 0);
		else if (!strcmp(key, "device"))
			e.device = strtoul(val, NULL, 0);
		else if (!strcmp(key, "bar"))
			e.bar = strtoul(val, NULL, 0);
		else if (!strcmp(key, "wc"))
			e.wc = strtoul(val, NULL, 0);
		else if (!strcmp(key, "fb_size"))
			e.fb_size = strtoull(val, NULL, 0);
		else if (!strcmp(key, "modes") && (!strcmp(val, "dispi") || !strcmp(val, "none")))
			e.modes = !strcmp(val, "dispi");
		else
			break;
		s += n;
	}
	if (sscanf(s, " %63s", bad) == 1)
		e.error = bad;
out:
	parsed = true;
	return &e;
}

/* A hex id file of the PCI function behind the device node, or -1. */
static long pci_id(const char *what)
{
	const char *node = strrchr(dev_path(), '/');
	char path[PATH_MAX], buf[32];

	snprintf(path, sizeof(path), CLASS_DIR "/%s/device/%s", node ? node + 1 : dev_path(),
		 what);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 16);
}

TEST_F(vidshare, info_reports_the_adapter)
{
	const struct expect *e = expected();
	struct vidshare_info info;
	int i;

	ASSERT_EQ(NULL, e->error) TH_LOG("VIDSHARE_EXPECT: cannot parse \"%s\"", e->error);
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ((__u32)VIDSHARE_API_VERSION, info.api_version);
	EXPECT_EQ(e->vendor, info.vendor);
	EXPECT_EQ(e->device, info.device);
	EXPECT_EQ(pci_id("vendor"), info.vendor);
	EXPECT_EQ(pci_id("device"), info.device);
	EXPECT_EQ(pci_id("subsystem_vendor"), info.subsystem_vendor);
	EXPECT_EQ(pci_id("subsystem_device"), info.subsystem_device);
	EXPECT_EQ(e->bar, info.bar);
	EXPECT_EQ(e->fb_size, info.fb_size);
	EXPECT_EQ(e->wc ? VIDSHARE_INFO_WC : 0U, info.flags & VIDSHARE_INFO_WC);
	EXPECT_EQ(0U, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ(0U, info.flags & ~(VIDSHARE_INFO_WC | VIDSHARE_INFO_REVOKED));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0ULL, info.reserved[i]) TH_LOG("reserved[%d]", i);
	}
}

TEST_F(vidshare, info_max_shares_matches_module_parameter)
{
	struct vidshare_info info;
	unsigned int param;

	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &param));
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(param, info.max_shares);
}

TEST_F(vidshare, info_and_get_mode_work_on_readonly_fd)
{
	struct vidshare_info info;
	struct vidshare_mode m;
	int fd = open_dev(O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(self->fb_size, info.fb_size);
	EXPECT_EQ(self->info.vendor, info.vendor);
	EXPECT_EQ(expected()->modes ? 0 : EOPNOTSUPP, vs_get_mode(fd, &m));
	close(fd);
}

/* 1. SHARE geometry */

TEST_F(vidshare, share_aligned_view_maps_exact_range)
{
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 3 * self->page, 2 * self->page, 0, 0, &s));
	EXPECT_EQ(3 * self->page, s.shared_offset);
	EXPECT_EQ(2 * self->page, s.shared_size);
	EXPECT_EQ(0ULL, s.virtual_addr & (self->page - 1));
	check_share_geometry(_metadata, &s, 3 * self->page, 2 * self->page);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, share_unaligned_view_maps_rounded_range)
{
	const uint64_t p = self->page;
	const struct {
		uint64_t off, size, shared_offset, shared_size;
	} v[] = {
		{ 100, 50, 0, p },
		{ p - 1, 2, 0, 2 * p },
		{ p + 100, p, p, 2 * p },
		{ 3 * p - 1, 3 * p + 2, 2 * p, 5 * p },
		{ 0, 1, 0, p },
		{ 9 * p + 1, p - 2, 9 * p, p },
	};
	struct vidshare_share s;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		ASSERT_EQ(0, vs_share(self->fd, v[i].off, v[i].size, 0, 0, &s))
			TH_LOG("view %zu", i);
		EXPECT_EQ(v[i].shared_offset, s.shared_offset) TH_LOG("view %zu", i);
		EXPECT_EQ(v[i].shared_size, s.shared_size) TH_LOG("view %zu", i);
		EXPECT_EQ(v[i].off % p, s.virtual_addr % p) TH_LOG("view %zu", i);
		check_share_geometry(_metadata, &s, v[i].off, v[i].size);
		EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr)) TH_LOG("view %zu", i);
	}
}

TEST_F(vidshare, share_last_byte_of_frame_buffer)
{
	uint64_t off = self->fb_size - 1;
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, off, 1, 0, 0, &s));
	EXPECT_EQ(self->fb_size - self->page, s.shared_offset);
	EXPECT_EQ(self->page, s.shared_size);
	EXPECT_EQ(self->page - 1, s.virtual_addr & (self->page - 1));
	check_share_geometry(_metadata, &s, off, 1);

	m = dev_mmap(self->fd, self->fb_size - self->page, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s), 1, seed);
	EXPECT_EQ(-1, mismatch(m + self->page - 1, 1, seed));
	fill(m + self->page - 1, 1, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 1, ~seed));
	EXPECT_EQ(0, munmap((void *)m, self->page));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, share_whole_frame_buffer)
{
	const uint64_t last = self->fb_size - self->page;
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, 0, self->fb_size, 0, 0, &s));
	EXPECT_EQ(0ULL, s.shared_offset);
	EXPECT_EQ(self->fb_size, s.shared_size);
	check_share_geometry(_metadata, &s, 0, self->fb_size);

	/* Its first and last bytes are the frame buffer's, seen through mmap. */
	m = dev_mmap(self->fd, last, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s) + self->fb_size - 1, 1, seed);
	EXPECT_EQ(-1, mismatch(m + self->page - 1, 1, seed));
	EXPECT_EQ(0, munmap((void *)m, self->page));
	m = dev_mmap(self->fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s), 1, ~seed);
	EXPECT_EQ(-1, mismatch(m, 1, ~seed));
	EXPECT_EQ(0, munmap((void *)m, self->page));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

/* 2. Where the bytes go */

TEST_F(vidshare, share_write_visible_through_overlapping_share)
{
	const uint64_t p = self->page;
	const uint64_t off_a = 5 * p + 300, off_b = 5 * p + 100;
	struct vidshare_share a, b;
	uint32_t seed = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, off_a, 1000, 0, 0, &a));
	ASSERT_EQ(0, vs_share(self->fd, off_b, 2000, 0, 0, &b));
	ASSERT_NE(pg_down(a.virtual_addr), pg_down(b.virtual_addr));

	/* byte off_a is at a.virtual_addr and at b.virtual_addr + 200 */
	fill(share_ptr(&a), 1000, seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&b) + (off_a - off_b), 1000, seed));
	fill(share_ptr(&b) + (off_a - off_b), 1000, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&a), 1000, ~seed));
	EXPECT_EQ(0, vs_unshare(self->fd, a.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, b.virtual_addr));
}

TEST_F(vidshare, share_write_visible_through_device_mmap)
{
	const uint64_t p = self->page;
	const uint64_t off = self->fb_size - 3 * p + 17;
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, off, 2 * p, 0, 0, &s));
	m = dev_mmap(self->fd, self->fb_size - 4 * p, 4 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);

	fill(share_ptr(&s), 2 * p, seed);
	EXPECT_EQ(-1, mismatch(m + p + 17, 2 * p, seed));
	fill(m + p + 17, 2 * p, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 2 * p, ~seed));
	EXPECT_EQ(0, munmap((void *)m, 4 * p));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, share_distinct_offsets_map_distinct_bytes)
{
	const uint64_t p = self->page;
	struct vidshare_share a, b;
	volatile uint8_t *m;
	uint32_t seed_a = new_seed(), seed_b = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, 20 * p + 8, 64, 0, 0, &a));
	ASSERT_EQ(0, vs_share(self->fd, 21 * p + 8, 64, 0, 0, &b));
	fill(share_ptr(&a), 64, seed_a);
	fill(share_ptr(&b), 64, seed_b);
	m = dev_mmap(self->fd, 20 * p, 2 * p, PROT_READ);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(-1, mismatch(m + 8, 64, seed_a));
	EXPECT_EQ(-1, mismatch(m + p + 8, 64, seed_b));
	EXPECT_EQ(-1, mismatch(share_ptr(&a), 64, seed_a));
	EXPECT_EQ(0, munmap((void *)m, 2 * p));
	EXPECT_EQ(0, vs_unshare(self->fd, a.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, b.virtual_addr));
}

/*
 * The frame buffer's PAT entries in [bar start, bar end): the one
 * reservation a write-combining adapter holds for [fb, fb + fb_size), none
 * for an uncached one. 0 if that is what PAT holds, else -1 (logged).
 */
static int check_adapter_pat(struct __test_metadata *_metadata, const struct vidshare_info *info,
			     const char *when)
{
	const bool wc = info->flags & VIDSHARE_INFO_WC;
	uint64_t start, end;
	struct pat_ent e[8];
	int n, i;
	bool ok;

	if (bar_range(dev_path(), info->bar, &start, &end) || !start)
		return -1;
	n = pat_overlapping(start, end, e, 8);
	if (wc)
		ok = n == 1 && e[0].start == start && e[0].end == start + info->fb_size &&
		     !strcmp(e[0].type, memtype_name(true));
	else
		ok = n == 0;
	EXPECT_TRUE(ok) TH_LOG("%s: PAT should hold %s for the BAR at %#llx; it holds %d entries",
			       when, wc ? "one write-combining reservation of fb_size" : "nothing",
			       (unsigned long long)start, n);
	for (i = 0; !ok && i < n && i < 8; i++)
		TH_LOG("%s: PAT [%#llx-%#llx) %s", when, e[i].start, e[i].end, e[i].type);
	return ok ? 0 : -1;
}

TEST_F(vidshare, share_uncached_only_on_an_uncached_adapter)
{
	const uint64_t p = self->page, off = 7 * p + 40;
	int rows = debugfs_count(dev_path(), getpid()), vmas = count_vmas();
	struct vidshare_share uc, dflt;
	uint32_t seed = new_seed();

	if (self->info.flags & VIDSHARE_INFO_WC) {
		/*
		 * One memory type per adapter: an uncached share of a
		 * write-combining frame buffer is refused, never quietly
		 * write-combining, and leaves nothing behind.
		 */
		EXPECT_EQ(EOPNOTSUPP, vs_share(self->fd, off, 512, VIDSHARE_SHARE_UNCACHED, 0, &uc));
		EXPECT_EQ(EOPNOTSUPP, vs_share(self->fd, off, 512, VIDSHARE_SHARE_UNCACHED |
					       VIDSHARE_SHARE_READONLY, 0, &uc));
		EXPECT_EQ(EOPNOTSUPP, mmap_errno(self->fd, 7 * p | VIDSHARE_MMAP_UNCACHED, p,
						 PROT_READ, MAP_SHARED));
		EXPECT_EQ(rows, debugfs_count(dev_path(), getpid()));
		EXPECT_EQ(vmas, count_vmas());
		return;
	}
	/* An uncached adapter: the flag asks for what every share has. */
	ASSERT_EQ(0, vs_share(self->fd, off, 512, VIDSHARE_SHARE_UNCACHED, 0, &uc));
	check_share_geometry(_metadata, &uc, off, 512);
	ASSERT_EQ(0, vs_share(self->fd, off, 512, 0, 0, &dflt));
	fill(share_ptr(&uc), 512, seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&dflt), 512, seed));
	fill(share_ptr(&dflt), 512, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&uc), 512, ~seed));
	EXPECT_EQ(0, vs_unshare(self->fd, uc.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, dflt.virtual_addr));
}

TEST_F(vidshare, pat_holds_one_entry_per_adapter_never_one_per_share)
{
	const uint64_t p = self->page;
	struct vidshare_share s[40], whole;
	volatile uint8_t *m;
	struct share_row r;
	int i;

	if (access(PAT_MEMTYPE_LIST, R_OK))
		SKIP(return, "no %s: the kernel has no PAT or no debugfs", PAT_MEMTYPE_LIST);
	ASSERT_EQ(0, check_adapter_pat(_metadata, &self->info, "before"));

	/* The same page many times, overlapping views, the whole frame buffer. */
	for (i = 0; i < 40; i++)
		ASSERT_EQ(0, vs_share(self->fd, 40 * p + i, 1 + i * 100, i % 3 ?
				      0 : VIDSHARE_SHARE_READONLY, 0, &s[i]));
	ASSERT_EQ(0, vs_share(self->fd, 0, self->fb_size, 0, 0, &whole));
	m = dev_mmap(self->fd, 40 * p, p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(0, probe_write(m));
	EXPECT_EQ(0, check_adapter_pat(_metadata, &self->info, "with 42 shares"));

	/* Each share has the adapter's memory type, which PAT gave it. */
	ASSERT_EQ(0, debugfs_row(dev_path(), (uintptr_t)share_base(&s[1]), &r));
	EXPECT_STREQ(adapter_memtype(&self->info), strchr(r.flags, ',') + 1);
	ASSERT_EQ(0, debugfs_row(dev_path(), (uintptr_t)share_base(&whole), &r));
	EXPECT_STREQ(adapter_memtype(&self->info), strchr(r.flags, ',') + 1);
	ASSERT_EQ(0, debugfs_row(dev_path(), (uintptr_t)m, &r));
	EXPECT_STREQ(adapter_memtype(&self->info), strchr(r.flags, ',') + 1);

	for (i = 0; i < 40; i++)
		EXPECT_EQ(0, vs_unshare(self->fd, s[i].virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, whole.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, p));
	EXPECT_EQ(0, check_adapter_pat(_metadata, &self->info, "after"));
}

/*
 * Whatever one user shares, it cannot make another user's share fail: an
 * opener that holds a share and asks for an uncached neighbour, then a
 * second process that shares the whole frame buffer.
 */
TEST_F(vidshare, no_share_of_one_user_makes_another_users_share_fail)
{
	const uint64_t p = self->page;
	const bool wc = self->info.flags & VIDSHARE_INFO_WC;
	struct vidshare_share a, b;
	int rc;
	pid_t pid;

	ASSERT_EQ(0, vs_share(self->fd, 50 * p, p, 0, 0, &a));
	EXPECT_EQ(wc ? EOPNOTSUPP : 0, vs_share(self->fd, 51 * p, p, VIDSHARE_SHARE_UNCACHED,
						0, &b));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vidshare_share whole;
		struct share_row r;
		int fd = open_dev(O_RDWR);

		if (fd < 0)
			_exit(10);
		if (vs_share(fd, 0, self->fb_size, 0, 0, &whole))
			_exit(11);
		if (probe_write(share_ptr(&whole) + 51 * p) ||
		    probe_read(share_ptr(&whole) + self->fb_size - 1))
			_exit(12);
		if (debugfs_row(dev_path(), whole.virtual_addr, &r) ||
		    strcmp(strchr(r.flags, ',') + 1, adapter_memtype(&self->info)))
			_exit(13);
		_exit(vs_unshare(fd, whole.virtual_addr) ? 14 : 0);
	}
	rc = wait_child(pid);
	EXPECT_EQ(0, rc) TH_LOG("the other process's whole-frame-buffer share: step %d failed",
				 rc - 10);
	EXPECT_EQ(0, vs_unshare(self->fd, a.virtual_addr));
	if (!wc)
		EXPECT_EQ(0, vs_unshare(self->fd, b.virtual_addr));
}

/* 3. mmap(2) of the device */

TEST_F(vidshare, mmap_write_visible_through_share)
{
	const uint64_t p = self->page;
	struct vidshare_share s;
	volatile uint8_t *m;
	struct vma_desc v;
	uint32_t seed = new_seed();

	m = dev_mmap(self->fd, 30 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, find_vma((uintptr_t)m, &v));
	EXPECT_EQ((uintptr_t)m, v.start);
	EXPECT_EQ((uintptr_t)m + 2 * p, v.end);
	EXPECT_STREQ("rw-s", v.perms);
	ASSERT_EQ(0, vs_share(self->fd, 30 * p + 1, 2 * p - 1, 0, 0, &s));
	fill(m + 1, 2 * p - 1, seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 2 * p - 1, seed));
	EXPECT_EQ(0, munmap((void *)m, 2 * p));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, mmap_uncached_offset_only_on_an_uncached_adapter)
{
	const uint64_t off = 31 * self->page;
	volatile uint8_t *uc, *dflt;
	uint32_t seed = new_seed();

	uc = dev_mmap(self->fd, off | VIDSHARE_MMAP_UNCACHED, self->page,
		      PROT_READ | PROT_WRITE);
	if (self->info.flags & VIDSHARE_INFO_WC) {
		EXPECT_TRUE(uc == NULL);
		EXPECT_EQ(EOPNOTSUPP, errno);
		return;
	}
	ASSERT_TRUE(uc != NULL);
	dflt = dev_mmap(self->fd, off, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(dflt != NULL);
	fill(uc, self->page, seed);
	EXPECT_EQ(-1, mismatch(dflt, self->page, seed));
	fill(dflt, self->page, ~seed);
	EXPECT_EQ(-1, mismatch(uc, self->page, ~seed));
	EXPECT_EQ(0, munmap((void *)uc, self->page));
	EXPECT_EQ(0, munmap((void *)dflt, self->page));
}

TEST_F(vidshare, mmap_ended_by_unshare_of_start_address)
{
	const uint64_t p = self->page;
	volatile uint8_t *m;

	m = dev_mmap(self->fd, 2 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)m + p));
	EXPECT_EQ(0, mincore_errno((uintptr_t)m));
	EXPECT_EQ(0, vs_unshare(self->fd, (uintptr_t)m));
	EXPECT_EQ(ENOMEM, mincore_errno((uintptr_t)m));
	EXPECT_EQ(ENOMEM, mincore_errno((uintptr_t)m + p));
	EXPECT_EQ(SIGSEGV, probe_read(m));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)m));
}

TEST_F(vidshare, share_ended_by_munmap_of_page_range)
{
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 100, 50, 0, 0, &s));
	EXPECT_EQ(0, munmap(share_base(&s), s.shared_size));
	EXPECT_EQ(ENOMEM, mincore_errno(s.virtual_addr));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, mmap_private_fails_einval)
{
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, 0, self->page, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE));
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, 0, self->page, PROT_READ, MAP_PRIVATE));
}

TEST_F(vidshare, mmap_prot_exec_fails_eperm)
{
	EXPECT_EQ(EPERM, mmap_errno(self->fd, 0, self->page, PROT_READ | PROT_EXEC,
				    MAP_SHARED));
	EXPECT_EQ(EPERM, mmap_errno(self->fd, 0, self->page,
				    PROT_READ | PROT_WRITE | PROT_EXEC, MAP_SHARED));
}

TEST_F(vidshare, mmap_past_fb_size_fails_einval)
{
	const uint64_t p = self->page;
	int prot = PROT_READ | PROT_WRITE;

	EXPECT_EQ(EINVAL, mmap_errno(self->fd, self->fb_size, p, prot, MAP_SHARED));
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, self->fb_size - p, 2 * p, prot, MAP_SHARED));
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, 0, self->fb_size + p, prot, MAP_SHARED));
	EXPECT_EQ(EINVAL, mmap_errno(self->fd, self->fb_size | VIDSHARE_MMAP_UNCACHED, p,
				     prot, MAP_SHARED));
	/* the last page itself is fine */
	EXPECT_EQ(0, mmap_errno(self->fd, self->fb_size - p, p, prot, MAP_SHARED));
}

/* 4. UNSHARE */

TEST_F(vidshare, unshare_frees_the_range)
{
	struct vidshare_share s;
	void *again;

	ASSERT_EQ(0, vs_share(self->fd, 4 * self->page + 10, 2 * self->page, 0, 0, &s));
	EXPECT_EQ(0, mincore_errno(s.virtual_addr));
	ASSERT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(ENOMEM, mincore_errno(s.virtual_addr));
	EXPECT_EQ(SIGSEGV, probe_read(share_ptr(&s)));
	EXPECT_EQ(SIGSEGV, probe_read((volatile uint8_t *)share_base(&s) + 2 * self->page));
	again = mmap(share_base(&s), s.shared_size, PROT_READ,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_NE(MAP_FAILED, again);
	EXPECT_EQ((uintptr_t)share_base(&s), (uintptr_t)again);
	EXPECT_EQ(0, munmap(again, s.shared_size));
}

TEST_F(vidshare, unshare_twice_fails_enoent)
{
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, 0, 0, &s));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, unshare_never_shared_address_fails_enoent)
{
	uint8_t *anon = anon_map(1);
	int n;

	ASSERT_TRUE(anon != NULL);
	anon[0] = 0x42;
	n = count_vmas();
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)anon));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, free_range(1)));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, 0x10000));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)&n));
	EXPECT_EQ(n, count_vmas());
	EXPECT_EQ(0x42, anon[0]);
	EXPECT_EQ(0, munmap(anon, self->page));
}

TEST_F(vidshare, unshare_address_inside_share_fails_enoent)
{
	struct vidshare_share al, un;

	ASSERT_EQ(0, vs_share(self->fd, 6 * self->page, 2 * self->page, 0, 0, &al));
	ASSERT_EQ(0, vs_share(self->fd, 6 * self->page + 100, 50, 0, 0, &un));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, al.virtual_addr + self->page));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, al.virtual_addr + 1));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, pg_down(un.virtual_addr)));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, un.virtual_addr + 1));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, un.virtual_addr - 1));
	/* both shares are still there */
	EXPECT_EQ(0, probe_read(share_ptr(&al) + self->page));
	EXPECT_EQ(0, probe_read(share_ptr(&un)));
	EXPECT_EQ(0, vs_unshare(self->fd, al.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, un.virtual_addr));
}

TEST_F(vidshare, unshare_share_of_other_open_file_fails_enoent)
{
	struct vidshare_share s;
	volatile uint8_t *m;
	int fd2 = open_dev(O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vs_share(fd2, 100, 50, 0, 0, &s));
	m = dev_mmap(fd2, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)m));
	EXPECT_EQ(0, mincore_errno(s.virtual_addr));
	EXPECT_EQ(0, mincore_errno((uintptr_t)m));
	EXPECT_EQ(0, vs_unshare(fd2, s.virtual_addr));
	EXPECT_EQ(0, vs_unshare(fd2, (uintptr_t)m));
	EXPECT_EQ(0, close(fd2));
}

TEST_F(vidshare, unshare_through_dup_of_same_file_works)
{
	struct vidshare_share s;
	int fd2 = dup(self->fd);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vs_share(self->fd, 100, 50, 0, 0, &s));
	EXPECT_EQ(0, vs_unshare(fd2, s.virtual_addr));
	EXPECT_EQ(ENOMEM, mincore_errno(s.virtual_addr));
	EXPECT_EQ(0, close(fd2));
}

TEST_F(vidshare, unshare_of_parent_share_in_child_fails_enoent)
{
	struct vidshare_share s;
	uint32_t seed = new_seed();
	int pfd[2];
	pid_t pid;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t addr;

		close(pfd[1]);
		if (read(pfd[0], &addr, sizeof(addr)) != sizeof(addr))
			_exit(10);
		/* the parent's share, on the inherited (same) open file */
		if (vs_unshare(self->fd, addr) != ENOENT)
			_exit(11);
		_exit(0);
	}
	close(pfd[0]);
	ASSERT_EQ(0, vs_share(self->fd, 2 * self->page + 64, 100, 0, 0, &s));
	fill(share_ptr(&s), 100, seed);
	ASSERT_EQ((ssize_t)sizeof(s.virtual_addr),
		  write(pfd[1], &s.virtual_addr, sizeof(s.virtual_addr)));
	close(pfd[1]);
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 100, seed));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, unshare_of_child_share_in_parent_fails_enoent)
{
	int to_parent[2], to_child[2];
	uint64_t addr;
	pid_t pid;
	char c = 0;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vidshare_share s;

		close(to_parent[0]);
		close(to_child[1]);
		if (vs_share(self->fd, 3 * page_size() + 8, 16, 0, 0, &s))
			_exit(10);
		if (write(to_parent[1], &s.virtual_addr, sizeof(s.virtual_addr)) !=
		    sizeof(s.virtual_addr))
			_exit(11);
		if (read(to_child[0], &c, 1) != 1)
			_exit(12);
		/* the parent's attempt must not have removed it */
		if (probe_read(share_ptr(&s)))
			_exit(13);
		if (vs_unshare(self->fd, s.virtual_addr))
			_exit(14);
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ((ssize_t)sizeof(addr), read(to_parent[0], &addr, sizeof(addr)));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, addr));
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	EXPECT_EQ(0, wait_child(pid));
	close(to_parent[0]);
	close(to_child[1]);
}

TEST_F(vidshare, unshare_unknown_flags_or_reserved_fail_einval)
{
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, 0, 0, &s));
	EXPECT_EQ(EINVAL, vs_unshare_raw(self->fd, s.virtual_addr, 1, 0));
	EXPECT_EQ(EINVAL, vs_unshare_raw(self->fd, s.virtual_addr, 1U << 3, 0));
	EXPECT_EQ(EINVAL, vs_unshare_raw(self->fd, s.virtual_addr, 1U << 31, 0));
	EXPECT_EQ(EINVAL, vs_unshare_raw(self->fd, s.virtual_addr, 0, 1));
	EXPECT_EQ(EINVAL, vs_unshare_raw(self->fd, s.virtual_addr, 0, 1U << 31));
	EXPECT_EQ(0, mincore_errno(s.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

/* 5. Errors */

TEST_F(vidshare, unknown_ioctl_fails_enotty)
{
	union {
		struct vidshare_share s;
		char pad[256];
	} buf;
	int n = count_vmas();

	memset(&buf, 0, sizeof(buf));
	buf.s.view_size = self->page;	/* a valid request if misread */
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IO(VIDSHARE_IOCTL_MAGIC, 0x7f), &buf));
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IOWR(VIDSHARE_IOCTL_MAGIC, 0x05,
						   struct vidshare_share), &buf));
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE, VIDSHARE_IOCTL_MAGIC,
						  0x01, sizeof(struct vidshare_share) + 8), &buf));
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IOC(_IOC_READ | _IOC_WRITE, VIDSHARE_IOCTL_MAGIC,
						  0x01, sizeof(struct vidshare_share) - 8), &buf));
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IOC(_IOC_READ, VIDSHARE_IOCTL_MAGIC, 0x00,
						  sizeof(struct vidshare_info) - 8), &buf));
	EXPECT_EQ(ENOTTY, vs_ioctl(self->fd, _IOWR(VIDSHARE_IOCTL_MAGIC + 1, 0x01,
						   struct vidshare_share), &buf));
	EXPECT_EQ(n, count_vmas());
}

/* Every ioctl with @arg, an address it cannot use, fails with EFAULT. */
static void expect_efault_from_every_ioctl(struct __test_metadata *_metadata, int fd,
					   void *arg)
{
	EXPECT_EQ(EFAULT, vs_ioctl(fd, VIDSHARE_IOC_INFO, arg));
	EXPECT_EQ(EFAULT, vs_ioctl(fd, VIDSHARE_IOC_SHARE, arg));
	EXPECT_EQ(EFAULT, vs_ioctl(fd, VIDSHARE_IOC_UNSHARE, arg));
	/* Without a mode interface, GET_MODE fails before it writes. */
	EXPECT_EQ(expected()->modes ? EFAULT : EOPNOTSUPP,
		  vs_ioctl(fd, VIDSHARE_IOC_GET_MODE, arg));
	EXPECT_EQ(EFAULT, vs_ioctl(fd, VIDSHARE_IOC_SET_MODE, arg));
}

TEST_F(vidshare, null_argument_fails_efault)
{
	int n = count_vmas();

	expect_efault_from_every_ioctl(_metadata, self->fd, NULL);
	EXPECT_EQ(n, count_vmas());
}

TEST_F(vidshare, unmapped_argument_fails_efault)
{
	void *hole = (void *)(uintptr_t)free_range(1);
	int n;

	ASSERT_TRUE(hole != NULL);
	n = count_vmas();
	expect_efault_from_every_ioctl(_metadata, self->fd, hole);
	EXPECT_EQ(n, count_vmas());
}

TEST_F(vidshare, readonly_argument_fails_efault_and_maps_nothing)
{
	uint8_t *ro = anon_map(1);
	struct vidshare_share *s = (struct vidshare_share *)ro;
	int n;

	ASSERT_TRUE(ro != NULL);
	/* SHARE can read this valid request but cannot write the answer */
	s->view_offset = 0;
	s->view_size = self->page;
	ASSERT_EQ(0, mprotect(ro, self->page, PROT_READ));
	n = count_vmas();
	EXPECT_EQ(EFAULT, vs_ioctl(self->fd, VIDSHARE_IOC_SHARE, ro));
	EXPECT_EQ(n, count_vmas());
	EXPECT_EQ(EFAULT, vs_ioctl(self->fd, VIDSHARE_IOC_INFO, ro));
	EXPECT_EQ(expected()->modes ? EFAULT : EOPNOTSUPP,
		  vs_ioctl(self->fd, VIDSHARE_IOC_GET_MODE, ro));
	EXPECT_EQ(0, munmap(ro, self->page));
}

TEST_F(vidshare, share_unknown_flags_or_reserved_fail_einval)
{
	const uint32_t bad_flags[] = {
		1U << 3, 1U << 31, VIDSHARE_SHARE_READONLY | (1U << 3), ~VIDSHARE_SHARE_FLAGS,
	};
	struct vidshare_share s;
	int n = count_vmas();
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		memset(&s, 0, sizeof(s));
		s.view_size = self->page;
		s.flags = bad_flags[i];
		EXPECT_EQ(EINVAL, vs_share_raw(self->fd, &s)) TH_LOG("flags %#x", bad_flags[i]);
	}
	memset(&s, 0, sizeof(s));
	s.view_size = self->page;
	s.reserved = 1;
	EXPECT_EQ(EINVAL, vs_share_raw(self->fd, &s));
	s.reserved = 1U << 31;
	EXPECT_EQ(EINVAL, vs_share_raw(self->fd, &s));
	EXPECT_EQ(n, count_vmas());
}

TEST_F(vidshare, share_zero_size_fails_einval)
{
	struct vidshare_share s;
	int n = count_vmas();

	EXPECT_EQ(EINVAL, vs_share(self->fd, 0, 0, 0, 0, &s));
	EXPECT_EQ(EINVAL, vs_share(self->fd, 100, 0, 0, 0, &s));
	EXPECT_EQ(EINVAL, vs_share(self->fd, self->page, 0, VIDSHARE_SHARE_READONLY, 0, &s));
	EXPECT_EQ(n, count_vmas());
}

/* A view of the frame buffer: what SHARE is asked for. */
struct view {
	uint64_t off, size;
};

/* SHARE of each of the @n views @v fails with @err and maps nothing. */
static void expect_views_refused(struct __test_metadata *_metadata, int fd,
				 const struct view *v, size_t n, int err)
{
	struct vidshare_share s;
	int vmas = count_vmas();
	size_t i;

	for (i = 0; i < n; i++) {
		EXPECT_EQ(err, vs_share(fd, v[i].off, v[i].size, 0, 0, &s))
			TH_LOG("view %zu: offset %#llx size %#llx", i,
			       (unsigned long long)v[i].off, (unsigned long long)v[i].size);
	}
	EXPECT_EQ(vmas, count_vmas());
}

TEST_F(vidshare, share_view_outside_frame_buffer_fails_einval)
{
	const uint64_t fb = self->fb_size, p = self->page;
	const struct view v[] = {
		{ fb, 1 },
		{ fb - 1, 2 },
		{ 0, fb + 1 },
		{ fb - p, p + 1 },
		{ fb + p, p },
	};

	expect_views_refused(_metadata, self->fd, v, ARRAY_SIZE(v), EINVAL);
}

TEST_F(vidshare, share_offset_size_overflow_fails_einval)
{
	const uint64_t fb = self->fb_size, p = self->page;
	const struct view v[] = {
		{ 4096, UINT64_MAX },
		{ UINT64_MAX, 1 },
		{ fb - 1, UINT64_MAX - fb + 2 },	/* end wraps to exactly 0 */
		{ p, UINT64_MAX - p + 1 },		/* end wraps to exactly 0 */
		{ 1, UINT64_MAX - p + 1 },		/* page-rounded end wraps to 0 */
		{ UINT64_MAX - p + 1, p },		/* end wraps to exactly 0 */
		{ 2, UINT64_MAX },			/* end wraps to 1 */
	};

	expect_views_refused(_metadata, self->fd, v, ARRAY_SIZE(v), EINVAL);
}

TEST_F(vidshare, share_fixed_unaligned_address_fails_einval)
{
	uint64_t addr = free_range(2);
	struct vidshare_share s;

	ASSERT_NE(0ULL, (unsigned long long)addr);
	EXPECT_EQ(EINVAL, vs_share(self->fd, 0, self->page, VIDSHARE_SHARE_FIXED, addr + 1, &s));
	EXPECT_EQ(EINVAL, vs_share(self->fd, 0, self->page, VIDSHARE_SHARE_FIXED,
				   addr + self->page / 2, &s));
	EXPECT_EQ(ENOMEM, mincore_errno(addr));
	EXPECT_EQ(ENOMEM, mincore_errno(addr + self->page));
}

TEST_F(vidshare, share_fixed_null_address_fails_einval)
{
	struct vidshare_share s;
	int n = count_vmas();

	EXPECT_EQ(EINVAL, vs_share(self->fd, 0, self->page, VIDSHARE_SHARE_FIXED, 0, &s));
	EXPECT_EQ(EINVAL, vs_share(self->fd, 100, 50, VIDSHARE_SHARE_FIXED, 0, &s));
	EXPECT_EQ(n, count_vmas());
}

TEST_F(vidshare, share_fixed_over_existing_mapping_fails_eexist)
{
	uint8_t *anon = anon_map(2);
	struct vidshare_share s;
	struct vma_desc v;
	uint32_t seed = new_seed();
	int n;

	ASSERT_TRUE(anon != NULL);
	fill(anon, 2 * self->page, seed);
	n = count_vmas();
	EXPECT_EQ(EEXIST, vs_share(self->fd, 0, 2 * self->page, VIDSHARE_SHARE_FIXED,
				   (uintptr_t)anon, &s));
	EXPECT_EQ(EEXIST, vs_share(self->fd, 100, 50, VIDSHARE_SHARE_FIXED,
				   (uintptr_t)anon + self->page, &s));
	EXPECT_EQ(n, count_vmas());
	ASSERT_EQ(0, find_vma((uintptr_t)anon, &v));
	EXPECT_STREQ("rw-p", v.perms);
	EXPECT_EQ(-1, mismatch(anon, 2 * self->page, seed));
	EXPECT_EQ(0, probe_write(anon + self->page));
	EXPECT_EQ(0, munmap(anon, 2 * self->page));
}

TEST_F(vidshare, share_fixed_partial_overlap_fails_eexist)
{
	uint8_t *anon = anon_map(3);
	struct vidshare_share s;
	uint32_t seed = new_seed();

	ASSERT_TRUE(anon != NULL);
	/* [anon, +1 page) free, [anon + 1 page, +2 pages) still mapped */
	ASSERT_EQ(0, munmap(anon, self->page));
	fill(anon + self->page, 2 * self->page, seed);
	EXPECT_EQ(EEXIST, vs_share(self->fd, 0, 2 * self->page, VIDSHARE_SHARE_FIXED,
				   (uintptr_t)anon, &s));
	EXPECT_EQ(ENOMEM, mincore_errno((uintptr_t)anon));
	EXPECT_EQ(-1, mismatch(anon + self->page, 2 * self->page, seed));
	EXPECT_EQ(0, munmap(anon + self->page, 2 * self->page));
}

TEST_F(vidshare, share_fixed_at_free_address_maps_exactly_there)
{
	const uint64_t p = self->page;
	uint64_t addr = free_range(4);
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed = new_seed();

	ASSERT_NE(0ULL, (unsigned long long)addr);
	ASSERT_EQ(0, vs_share(self->fd, 7 * p + 123, 2 * p, VIDSHARE_SHARE_FIXED, addr, &s));
	EXPECT_EQ(addr + 123, s.virtual_addr);
	EXPECT_EQ(7 * p, s.shared_offset);
	EXPECT_EQ(3 * p, s.shared_size);
	check_share_geometry(_metadata, &s, 7 * p + 123, 2 * p);
	m = dev_mmap(self->fd, 7 * p, p, PROT_READ);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s), 64, seed);
	EXPECT_EQ(-1, mismatch(m + 123, 64, seed));
	EXPECT_EQ(0, munmap((void *)m, p));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));

	/* a page-aligned view lands exactly at the address too */
	ASSERT_EQ(0, vs_share(self->fd, p, p, VIDSHARE_SHARE_FIXED, addr + p, &s));
	EXPECT_EQ(addr + p, s.virtual_addr);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, share_requested_address_without_fixed_is_hint)
{
	const uint64_t p = self->page;
	uint8_t *anon = anon_map(1);
	uint64_t addr = free_range(2);
	struct vidshare_share s;
	uint32_t seed = new_seed();

	ASSERT_TRUE(anon != NULL);
	ASSERT_NE(0ULL, (unsigned long long)addr);
	fill(anon, p, seed);

	/* a free address */
	ASSERT_EQ(0, vs_share(self->fd, p + 5, 10, 0, addr, &s));
	check_share_geometry(_metadata, &s, p + 5, 10);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));

	/* an occupied address: mapped elsewhere, the old mapping untouched */
	ASSERT_EQ(0, vs_share(self->fd, p + 5, 10, 0, (uintptr_t)anon, &s));
	check_share_geometry(_metadata, &s, p + 5, 10);
	EXPECT_NE((uintptr_t)anon, pg_down(s.virtual_addr));
	EXPECT_EQ(-1, mismatch(anon, p, seed));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));

	/* an unaligned hint */
	ASSERT_EQ(0, vs_share(self->fd, 0, p, 0, addr + 123, &s));
	check_share_geometry(_metadata, &s, 0, p);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, munmap(anon, p));
}

TEST_F(vidshare, share_writable_on_readonly_fd_fails_eacces)
{
	struct vidshare_share s;
	int fd = open_dev(O_RDONLY);
	int n;

	ASSERT_LE(0, fd);
	n = count_vmas();
	EXPECT_EQ(EACCES, vs_share(fd, 0, self->page, 0, 0, &s));
	EXPECT_EQ(EACCES, vs_share(fd, 100, 50, VIDSHARE_SHARE_UNCACHED, 0, &s));
	EXPECT_EQ(n, count_vmas());
	close(fd);
}

TEST_F(vidshare, share_readonly_on_readonly_fd_works)
{
	struct vidshare_share rw, ro;
	struct vma_desc v;
	uint32_t seed = new_seed();
	int fd = open_dev(O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vs_share(self->fd, 8 * self->page + 1, 128, 0, 0, &rw));
	fill(share_ptr(&rw), 128, seed);
	ASSERT_EQ(0, vs_share(fd, 8 * self->page + 1, 128, VIDSHARE_SHARE_READONLY, 0, &ro));
	check_share_geometry(_metadata, &ro, 8 * self->page + 1, 128);
	ASSERT_EQ(0, find_vma(ro.virtual_addr, &v));
	EXPECT_STREQ("r--s", v.perms);
	EXPECT_EQ(-1, mismatch(share_ptr(&ro), 128, seed));
	EXPECT_EQ(-1, mprotect(share_base(&ro), ro.shared_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(SIGSEGV, probe_write(share_ptr(&ro)));
	EXPECT_EQ(0, vs_unshare(fd, ro.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, rw.virtual_addr));
	close(fd);
}

/* 7. VMAs */

TEST_F(vidshare, share_vma_flags_io_pfnmap_dontexpand_dontdump_dontcopy)
{
	const char *const must[] = { "io", "pf", "de", "dd", "dc" };
	struct vidshare_share rw, ro;
	volatile uint8_t *m;
	char flags[512];
	uint64_t addr[3];
	size_t i, j;

	if (access("/proc/self/smaps", R_OK))
		SKIP(return, "no /proc/self/smaps (CONFIG_PROC_PAGE_MONITOR=n)");
	ASSERT_EQ(0, vs_share(self->fd, 100, 50, 0, 0, &rw));
	ASSERT_EQ(0, vs_share(self->fd, 100, 50, VIDSHARE_SHARE_READONLY, 0, &ro));
	m = dev_mmap(self->fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	addr[0] = rw.virtual_addr;
	addr[1] = ro.virtual_addr;
	addr[2] = (uintptr_t)m;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vma_flags(addr[i], flags, sizeof(flags))) TH_LOG("vma %zu", i);
		for (j = 0; j < ARRAY_SIZE(must); j++) {
			EXPECT_TRUE(has_flag(flags, must[j]))
				TH_LOG("vma %zu lacks %s:%s", i, must[j], flags);
		}
		EXPECT_FALSE(has_flag(flags, "me")) TH_LOG("vma %zu:%s", i, flags);
		EXPECT_FALSE(has_flag(flags, "ex")) TH_LOG("vma %zu:%s", i, flags);
	}
	ASSERT_EQ(0, vma_flags(rw.virtual_addr, flags, sizeof(flags)));
	EXPECT_TRUE(has_flag(flags, "wr")) TH_LOG("%s", flags);
	EXPECT_TRUE(has_flag(flags, "mw")) TH_LOG("%s", flags);
	ASSERT_EQ(0, vma_flags(ro.virtual_addr, flags, sizeof(flags)));
	EXPECT_FALSE(has_flag(flags, "wr")) TH_LOG("%s", flags);
	EXPECT_FALSE(has_flag(flags, "mw")) TH_LOG("%s", flags);

	EXPECT_EQ(0, vs_unshare(self->fd, rw.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, ro.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, self->page));
}

TEST_F(vidshare, readonly_share_cannot_be_made_writable)
{
	struct vidshare_share ro;
	struct vma_desc v;

	ASSERT_EQ(0, vs_share(self->fd, 2 * self->page, self->page,
			      VIDSHARE_SHARE_READONLY, 0, &ro));
	ASSERT_EQ(0, find_vma(ro.virtual_addr, &v));
	EXPECT_STREQ("r--s", v.perms);
	EXPECT_EQ(-1, mprotect(share_base(&ro), ro.shared_size, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(share_base(&ro), ro.shared_size, PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ASSERT_EQ(0, find_vma(ro.virtual_addr, &v));
	EXPECT_STREQ("r--s", v.perms);
	EXPECT_EQ(0, probe_read(share_ptr(&ro)));
	EXPECT_EQ(0, vs_unshare(self->fd, ro.virtual_addr));
}

TEST_F(vidshare, readonly_share_write_faults_sigsegv)
{
	struct vidshare_share ro;
	pid_t pid;

	ASSERT_EQ(0, vs_share(self->fd, 2 * self->page + 3, 10, VIDSHARE_SHARE_READONLY, 0, &ro));
	EXPECT_EQ(SIGSEGV, probe_write(share_ptr(&ro)));
	EXPECT_EQ(0, probe_read(share_ptr(&ro)));
	EXPECT_EQ(0, vs_unshare(self->fd, ro.virtual_addr));

	/* the same, uncaught, in a child that makes its own share */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vidshare_share s;

		if (vs_share(self->fd, 2 * page_size() + 3, 10, VIDSHARE_SHARE_READONLY, 0, &s))
			_exit(10);
		*share_ptr(&s) = 1;
		_exit(0);
	}
	EXPECT_EQ(128 + SIGSEGV, wait_child(pid));
}

TEST_F(vidshare, share_cannot_be_made_executable)
{
	struct vidshare_share rw, ro;
	volatile uint8_t *m;

	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, 0, 0, &rw));
	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, VIDSHARE_SHARE_READONLY, 0, &ro));
	m = dev_mmap(self->fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);

	EXPECT_EQ(-1, mprotect(share_base(&rw), self->page, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(share_base(&rw), self->page,
			       PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect(share_base(&ro), self->page, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, mprotect((void *)m, self->page, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);

	/* nothing changed */
	EXPECT_EQ(0, probe_write(share_ptr(&rw)));
	EXPECT_EQ(0, probe_write(m));
	EXPECT_EQ(0, vs_unshare(self->fd, rw.virtual_addr));
	EXPECT_EQ(0, vs_unshare(self->fd, ro.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, self->page));
}

TEST_F(vidshare, fork_child_does_not_inherit_share)
{
	struct vidshare_share s;
	volatile uint8_t *m;
	uint32_t seed = new_seed();
	pid_t pid;

	ASSERT_EQ(0, vs_share(self->fd, 10 * self->page + 7, 100, 0, 0, &s));
	m = dev_mmap(self->fd, 11 * self->page, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s), 100, seed);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vma_desc v;

		if (mincore_errno(s.virtual_addr) != ENOMEM)
			_exit(10);
		if (mincore_errno((uintptr_t)m) != ENOMEM)
			_exit(11);
		if (find_vma(s.virtual_addr, &v) != -ESRCH)
			_exit(12);
		if (probe_read(share_ptr(&s)) != SIGSEGV)
			_exit(13);
		if (probe_read(m) != SIGSEGV)
			_exit(14);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 100, seed));
	fill(share_ptr(&s), 100, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 100, ~seed));
	EXPECT_EQ(0, probe_write(m));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, self->page));
}

/* Share @s is still one mapping, all of it, with permissions @perms. */
static void expect_share_whole(struct __test_metadata *_metadata,
			       const struct vidshare_share *s, const char *perms)
{
	uintptr_t base = (uintptr_t)share_base(s);
	struct vma_desc v;

	ASSERT_EQ(0, find_vma(s->virtual_addr, &v));
	EXPECT_EQ(base, v.start);
	EXPECT_EQ(base + s->shared_size, v.end);
	EXPECT_STREQ(perms, v.perms);
}

static int mprotect_readonly(void *addr, size_t len)
{
	return mprotect(addr, len, PROT_READ);
}

/*
 * @op on either page of a two-page share fails with EINVAL: the share stays
 * one mapping, writable, and keeps what was written to it.
 */
static void expect_half_refused(struct __test_metadata *_metadata, int fd,
				int (*op)(void *addr, size_t len))
{
	const uint64_t p = page_size();
	struct vidshare_share s;
	uint32_t seed = new_seed();
	uint8_t *base;

	ASSERT_EQ(0, vs_share(fd, 12 * p, 2 * p, 0, 0, &s));
	base = share_base(&s);
	fill(share_ptr(&s), 2 * p, seed);
	EXPECT_EQ(-1, op(base, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, op(base + p, p));
	EXPECT_EQ(EINVAL, errno);
	expect_share_whole(_metadata, &s, "rw-s");
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 2 * p, seed));
	fill(share_ptr(&s), 2 * p, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 2 * p, ~seed));
	EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
}

TEST_F(vidshare, munmap_of_part_of_share_fails_einval)
{
	expect_half_refused(_metadata, self->fd, munmap);
}

TEST_F(vidshare, mprotect_of_part_of_share_fails_einval)
{
	expect_half_refused(_metadata, self->fd, mprotect_readonly);
}

/* mremap() of all of share @s to @new_size with @flags fails with @err. */
static void expect_mremap_refused(struct __test_metadata *_metadata,
				  const struct vidshare_share *s, uint64_t new_size,
				  int flags, int err)
{
	EXPECT_EQ(MAP_FAILED, mremap(share_base(s), s->shared_size, new_size, flags));
	EXPECT_EQ(err, errno);
}

TEST_F(vidshare, mremap_grow_fails_efault)
{
	const uint64_t p = self->page;
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 12 * p, 2 * p, 0, 0, &s));
	expect_mremap_refused(_metadata, &s, 3 * p, 0, EFAULT);
	expect_mremap_refused(_metadata, &s, 3 * p, MREMAP_MAYMOVE, EFAULT);
	EXPECT_EQ(0, probe_write(share_ptr(&s) + 2 * p - 1));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, mremap_move_fails_einval)
{
	const uint64_t p = self->page;
	struct vidshare_share s;
	uint8_t *base;
	uint32_t seed = new_seed();
	uint64_t to;

	ASSERT_EQ(0, vs_share(self->fd, 12 * p + 1, 2 * p - 1, 0, 0, &s));
	/* only now: a hole found earlier could be where the share went */
	to = free_range(2);
	ASSERT_NE(0ULL, (unsigned long long)to);
	base = share_base(&s);
	fill(share_ptr(&s), 2 * p - 1, seed);
	EXPECT_EQ(MAP_FAILED, mremap(base, 2 * p, 2 * p, MREMAP_MAYMOVE | MREMAP_FIXED,
				     (void *)(uintptr_t)to));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(ENOMEM, mincore_errno(to));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 2 * p - 1, seed));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, mremap_shrink_fails_einval)
{
	const uint64_t p = self->page;
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 12 * p, 2 * p, 0, 0, &s));
	expect_mremap_refused(_metadata, &s, p, 0, EINVAL);
	EXPECT_EQ(0, probe_write(share_ptr(&s) + 2 * p - 1));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

#ifndef __NR_mseal
#define __NR_mseal 462
#endif

TEST_F(vidshare, unshare_of_sealed_share_fails_eperm_and_keeps_it)
{
	struct vidshare_share s;
	uint32_t seed = new_seed();

	ASSERT_EQ(0, vs_share(self->fd, 20 * self->page + 8, 64, 0, 0, &s));
	fill(share_ptr(&s), 64, seed);
	if (syscall(__NR_mseal, share_base(&s), s.shared_size, 0)) {
		ASSERT_EQ(ENOSYS, errno);
		SKIP(return, "kernel without mseal(2)");
	}
	/* Nothing changes: the share stays mapped, readable and writable. */
	EXPECT_EQ(EPERM, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 64, seed));
	EXPECT_EQ(0, probe_write(share_ptr(&s)));
	EXPECT_EQ(EPERM, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, unshare_inside_a_sealed_share_fails_enoent)
{
	const uint64_t p = self->page;
	struct vidshare_share s;

	ASSERT_EQ(0, vs_share(self->fd, 24 * p + 8, 2 * p, 0, 0, &s));
	if (syscall(__NR_mseal, share_base(&s), s.shared_size, 0)) {
		ASSERT_EQ(ENOSYS, errno);
		SKIP(return, "kernel without mseal(2)");
	}
	/* Not a share's address, sealed or not: no share of this address. */
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr + 1));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)share_base(&s)));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, (uintptr_t)share_base(&s) + p));
	EXPECT_EQ(EPERM, vs_unshare(self->fd, s.virtual_addr));
}

/* Turn vidshare's dev_dbg() lines off (a flood of refusals) or on again. */
static void set_dyndbg(bool on)
{
	write_file("/sys/kernel/debug/dynamic_debug/control",
		   on ? "module vidshare +p" : "module vidshare -p");
}

struct seal_race {
	pthread_barrier_t go;
	void *addr;
	size_t len;
	int sealed;		/* mseal(2)'s result: 0 or errno */
};

static void *seal_thread(void *arg)
{
	struct seal_race *r = arg;

	pthread_barrier_wait(&r->go);
	r->sealed = syscall(__NR_mseal, r->addr, r->len, 0) ? errno : 0;
	return NULL;
}

/*
 * One round: SHARE, then UNSHARE while another thread seals the share.
 * Either UNSHARE removed it (0: the range is free, no debugfs row), or it
 * failed and the share is intact: mapped, its data there, no SIGBUS.
 * Returns 0, or a code for what went wrong.
 */
static int seal_round(int fd, uint64_t off, uint32_t seed, int *unshared)
{
	struct seal_race r = {};
	struct vidshare_share s;
	struct share_row row;
	pthread_t t;
	int ret;

	if (vs_share(fd, off, 64, 0, 0, &s))
		return 1;
	fill(share_ptr(&s), 64, seed);
	r.addr = share_base(&s);
	r.len = s.shared_size;
	pthread_barrier_init(&r.go, NULL, 2);
	if (pthread_create(&t, NULL, seal_thread, &r))
		return 2;
	pthread_barrier_wait(&r.go);
	ret = vs_unshare(fd, s.virtual_addr);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&r.go);
	if (!ret) {
		*unshared += 1;
		if (mincore_errno(s.virtual_addr) != ENOMEM)
			return 3;	/* still mapped */
		if (!debugfs_row(dev_path(), (uintptr_t)r.addr, &row))
			return 4;	/* still listed */
		return 0;
	}
	if (ret != EPERM || r.sealed)
		return 5;		/* another error, or failed although not sealed */
	if (probe_read(share_ptr(&s)) || probe_write(share_ptr(&s) + 32))
		return 6;		/* the share lost its pages */
	*(share_ptr(&s) + 32) = pattern_byte(seed, 32);
	if (mismatch(share_ptr(&s), 64, seed) != -1)
		return 7;
	if (debugfs_row(dev_path(), (uintptr_t)r.addr, &row))
		return 8;		/* no longer listed */
	return vs_unshare(fd, s.virtual_addr) == EPERM ? 0 : 9;
}

/*
 * UNSHARE is all or nothing, whatever another thread of the process does
 * meanwhile: here it seals the share while UNSHARE runs. Sealed shares
 * stay until exit, so each batch of rounds runs in a child of its own.
 */
TEST_F_TIMEOUT(vidshare, unshare_racing_mseal_removes_the_share_or_leaves_it_whole, 90)
{
	volatile int *unshared = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const time_t end = time(NULL) + 20;
	int batch, rounds = 0, rc = 0;
	struct vidshare_share s;

	ASSERT_NE(MAP_FAILED, (void *)unshared);
	ASSERT_EQ(0, vs_share(self->fd, 0, 1, 0, 0, &s));
	if (syscall(__NR_mseal, share_base(&s), s.shared_size, 0)) {
		ASSERT_EQ(ENOSYS, errno);
		SKIP(return, "kernel without mseal(2)");
	}
	set_dyndbg(false);
	for (batch = 0; batch < 40 && !rc && time(NULL) < end; batch++) {
		pid_t pid;

		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			int fd = open_dev(O_RDWR), i, u = 0, err = 0;

			for (i = 0; i < 100 && !err && fd >= 0; i++)
				err = seal_round(fd, (i % 64) * page_size(), new_seed(), &u);
			*unshared += u;
			_exit(fd < 0 ? 20 : err);
		}
		rc = wait_child(pid);
		rounds += 100;
		EXPECT_EQ(0, debugfs_count(dev_path(), pid));
	}
	set_dyndbg(true);
	EXPECT_EQ(0, rc) TH_LOG("round failed with code %d (see seal_round())", rc);
	/* Both outcomes must have happened, or the race was not run. */
	EXPECT_LT(0, *unshared);
	EXPECT_LT(*unshared, rounds);
	ksft_print_msg("%d rounds, %d unshared, %d sealed first\n", rounds, *unshared,
		       rounds - *unshared);
}

struct fixup_race {
	int fd;
	uint64_t addr;		/* the one page both threads map at */
	volatile bool stop;
	unsigned int remapped;	/* mmap(2)s thread B made at addr */
	unsigned int wrong;	/* of those, UNSHAREs of B's own mmap that failed */
	int wrong_err;
};

/*
 * Thread B: once something (A's share) is mapped at the address, unmap it
 * and mmap(2) the device there; let A run a moment, then UNSHARE the
 * mapping at its start, which must work: a SHARE in flight in thread A
 * must never hand it A's in-page offset.
 */
static void *remap_thread(void *arg)
{
	struct fixup_race *r = arg;
	const size_t p = page_size();
	void *m;
	int err;

	while (!r->stop) {
		if (mincore_errno(r->addr)) {
			usleep(20);
			continue;
		}
		munmap((void *)(uintptr_t)r->addr, p);
		m = mmap((void *)(uintptr_t)r->addr, p, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED_NOREPLACE, r->fd, 0);
		if (m == MAP_FAILED)
			continue;
		r->remapped++;
		usleep(200);
		err = vs_unshare(r->fd, r->addr);
		if (err) {
			r->wrong++;
			r->wrong_err = err;
			munmap(m, p);
		}
	}
	return NULL;
}

/*
 * SHARE records everything about a share inside ->mmap(), before any other
 * thread can see the new mapping: thread A SHAREs a view with an in-page
 * offset at a fixed address while thread B keeps unmapping that address
 * (A's share, when A got there first) and mapping the device there itself.
 * A never unmaps anything (an UNSHARE in flight may unmap whatever is at its
 * address by then, as two racing munmap(2)s may), so B's UNSHARE of its
 * own mapping must always find it.
 *
 * Both run on one CPU, A as SCHED_IDLE: when B wakes up, A is preempted at
 * its next chance, and when B was waiting for the memory-map lock that A's
 * vm_mmap() held, that chance is where SHARE once went back to the mapping
 * to record the in-page offset: B then replaces A's share with its own
 * before A gets there.
 */
TEST_F_TIMEOUT(vidshare, share_in_flight_never_marks_another_threads_mapping, 60)
{
	const uint64_t p = self->page, sub = 123;
	struct fixup_race r = { .fd = self->fd };
	const time_t end = time(NULL) + 10;
	struct vidshare_share s;
	struct sched_param param = {};
	unsigned int shared = 0;
	void *guard;
	cpu_set_t cpu;
	pthread_t t;
	int err;

	/*
	 * A page between two reserved ones, so that no other mapping of the
	 * process (a thread's stack, say) lands where B unmaps.
	 */
	guard = mmap(NULL, 3 * p, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, guard);
	r.addr = (uintptr_t)guard + p;
	ASSERT_EQ(0, munmap((void *)(uintptr_t)r.addr, p));
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	set_dyndbg(false);	/* a refusal a microsecond */
	ASSERT_EQ(0, pthread_create(&t, NULL, remap_thread, &r));
	ASSERT_EQ(0, sched_setscheduler(0, SCHED_IDLE, &param));
	while (time(NULL) < end) {
		err = vs_share(self->fd, 5 * p + sub, 8, VIDSHARE_SHARE_FIXED, r.addr, &s);
		if (err) {
			EXPECT_EQ(EEXIST, err);
			if (err != EEXIST)
				break;
			continue;
		}
		shared++;
		EXPECT_EQ(r.addr + sub, s.virtual_addr);
	}
	r.stop = true;
	pthread_join(t, NULL);
	set_dyndbg(true);
	munmap(guard, 3 * p);
	EXPECT_EQ(0U, r.wrong) TH_LOG("%u of %u mmap(2)s could not be unshared at their start (%s)",
				      r.wrong, r.remapped, strerror(r.wrong_err));
	EXPECT_LT(0U, shared);
	EXPECT_LT(0U, r.remapped);
	ksft_print_msg("%u SHAREs by A, %u mmap(2)s by B\n", shared, r.remapped);
	EXPECT_EQ(0, debugfs_count(dev_path(), getpid()));
}

TEST_F(vidshare, close_with_live_share_keeps_it_usable)
{
	const uint64_t p = self->page;
	struct vidshare_share s;
	volatile uint8_t *m, *check;
	uint32_t seed = new_seed();
	int fd2 = open_dev(O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vs_share(fd2, 14 * p + 9, 100, 0, 0, &s));
	m = dev_mmap(fd2, 15 * p, p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, close(fd2));

	check = dev_mmap(self->fd, 14 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(check != NULL);
	fill(share_ptr(&s), 100, seed);
	EXPECT_EQ(-1, mismatch(check + 9, 100, seed));
	fill(m, 100, ~seed);
	EXPECT_EQ(-1, mismatch(check + p, 100, ~seed));
	/* it belongs to the closed file, not to this one */
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr));

	EXPECT_EQ(0, munmap(share_base(&s), s.shared_size));
	EXPECT_EQ(0, munmap((void *)m, p));
	EXPECT_EQ(ENOMEM, mincore_errno(s.virtual_addr));
	EXPECT_EQ(ENOMEM, mincore_errno((uintptr_t)m));
	EXPECT_EQ(0, munmap((void *)check, 2 * p));
}

TEST_F(vidshare, exiting_child_with_live_shares_leaves_device_usable)
{
	struct vidshare_share s;
	uint32_t seed = new_seed();
	pid_t pid;
	int fd2;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vidshare_share cs;
		int cfd = open_dev(O_RDWR), i;

		if (cfd < 0)
			_exit(10);
		for (i = 0; i < 3; i++) {
			if (vs_share(cfd, i * page_size() + 1, 10, 0, 0, &cs))
				_exit(11);
			fill(share_ptr(&cs), 10, i);
		}
		if (vs_share(self->fd, 5, 10, 0, 0, &cs))
			_exit(12);
		if (!dev_mmap(cfd, 0, page_size(), PROT_READ | PROT_WRITE))
			_exit(13);
		if (!dev_mmap(self->fd, 0, page_size(), PROT_READ | PROT_WRITE))
			_exit(14);
		/* exit without UNSHARE, munmap or close */
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));

	fd2 = open_dev(O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vs_share(fd2, 1, 10, 0, 0, &s));
	fill(share_ptr(&s), 10, seed);
	EXPECT_EQ(0, vs_unshare(fd2, s.virtual_addr));
	ASSERT_EQ(0, vs_share(self->fd, 1, 10, 0, 0, &s));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 10, seed));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, close(fd2));
}

/* 8. fd passing */

struct fd_msg {
	uint64_t parent_addr;
	uint64_t offset;
	uint32_t seed;
};

TEST_F(vidshare, passed_fd_shares_in_child_and_parent_sees_write)
{
	struct vidshare_share s;
	struct fd_msg msg;
	int sv[2], fd2;
	pid_t pid;

	memset(&msg, 0, sizeof(msg));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vidshare_share cs;
		struct fd_msg in;
		int rfd;

		close(sv[0]);
		close(self->fd);	/* use only what arrives over the socket */
		rfd = recv_fd(sv[1], &in, sizeof(in));
		if (rfd < 0)
			_exit(10);
		/*
		 * Before the child has a share of its own: its share may well
		 * land at the parent's address, and then that is its own.
		 */
		if (vs_unshare(rfd, in.parent_addr) != ENOENT)
			_exit(12);
		if (vs_share(rfd, in.offset, 256, 0, 0, &cs))
			_exit(11);
		fill(share_ptr(&cs), 256, in.seed);
		if (vs_unshare(rfd, cs.virtual_addr))
			_exit(13);
		_exit(0);
	}
	close(sv[1]);

	/* opened after the fork: the child can only get it over the socket */
	fd2 = open_dev(O_RDWR);
	ASSERT_LE(0, fd2);
	msg.offset = 16 * self->page + 33;
	msg.seed = new_seed();
	ASSERT_EQ(0, vs_share(fd2, msg.offset, 256, 0, 0, &s));
	fill(share_ptr(&s), 256, ~msg.seed);
	msg.parent_addr = s.virtual_addr;
	ASSERT_EQ(0, send_fd(sv[0], fd2, &msg, sizeof(msg)));
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 256, msg.seed));
	EXPECT_EQ(0, vs_unshare(fd2, s.virtual_addr));
	EXPECT_EQ(0, close(fd2));
	close(sv[0]);
}

/* 9. What debugfs, sysfs and the log show; who may open */

/* "ro," or "rw," and @memtype, as the debugfs list shows a share's flags. */
static const char *row_flags(bool ro, const char *memtype)
{
	static char buf[4][16];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s,%s", ro ? "ro" : "rw", memtype);
	return buf[i];
}

TEST_F(vidshare, debugfs_lists_every_share_with_owner_range_and_mode)
{
	const uint64_t p = self->page;
	const char *type = adapter_memtype(&self->info);
	struct share_row ra, rb, rm;
	struct vidshare_share a, b;
	volatile uint8_t *m;
	int fd2 = open_dev(O_RDWR);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, debugfs_count(dev_path(), getpid()));
	ASSERT_EQ(0, vs_share(self->fd, 5 * p + 7, p, VIDSHARE_SHARE_READONLY, 0, &a));
	ASSERT_EQ(0, vs_share(fd2, 9 * p, 3 * p, 0, 0, &b));
	m = dev_mmap(self->fd, 20 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);

	EXPECT_EQ(3, debugfs_count(dev_path(), getpid()));
	ASSERT_EQ(0, debugfs_row(dev_path(), pg_down(a.virtual_addr), &ra));
	EXPECT_EQ(2 * p, ra.size);
	EXPECT_EQ(5 * p, ra.offset);
	/* SHARE filled the page tables: the memory type they got */
	EXPECT_STREQ(row_flags(true, type), ra.flags);
	ASSERT_EQ(0, debugfs_row(dev_path(), b.virtual_addr, &rb));
	EXPECT_EQ(3 * p, rb.size);
	EXPECT_EQ(9 * p, rb.offset);
	EXPECT_STREQ(row_flags(false, type), rb.flags);
	/* an mmap(2) gets its page tables at the first touch */
	ASSERT_EQ(0, debugfs_row(dev_path(), (uintptr_t)m, &rm));
	EXPECT_EQ(2 * p, rm.size);
	EXPECT_EQ(20 * p, rm.offset);
	EXPECT_STREQ(row_flags(false, "-"), rm.flags);
	EXPECT_EQ(0, probe_read(m + p));
	ASSERT_EQ(0, debugfs_row(dev_path(), (uintptr_t)m, &rm));
	EXPECT_STREQ(row_flags(false, type), rm.flags);
	/* One id per open file. */
	EXPECT_EQ(ra.file, rm.file);
	EXPECT_NE(ra.file, rb.file);

	EXPECT_EQ(0, vs_unshare(self->fd, a.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, 2 * p));
	EXPECT_EQ(1, debugfs_count(dev_path(), getpid()));
	/* The share outlives its file, and stays listed until it is unmapped. */
	EXPECT_EQ(0, close(fd2));
	EXPECT_EQ(1, debugfs_count(dev_path(), getpid()));
	EXPECT_EQ(0, munmap(share_base(&b), 3 * p));
	EXPECT_EQ(0, debugfs_count(dev_path(), getpid()));
}

/*
 * The memory type debugfs shows is the one PAT has for the frame buffer:
 * with PAT, a write-combining adapter's reservation, or PAT's default for
 * I/O memory nobody reserved (uncached-minus).
 */
TEST_F(vidshare, debugfs_memtype_is_the_one_pat_gave)
{
	const uint64_t p = self->page;
	uint64_t start, end;
	struct vidshare_share s;
	struct share_row r;
	struct pat_ent e[4];
	int n;

	if (access(PAT_MEMTYPE_LIST, R_OK))
		SKIP(return, "no %s: the kernel has no PAT or no debugfs", PAT_MEMTYPE_LIST);
	ASSERT_EQ(0, bar_range(dev_path(), self->info.bar, &start, &end));
	ASSERT_EQ(0, vs_share(self->fd, 60 * p, p, VIDSHARE_SHARE_READONLY, 0, &s));
	ASSERT_EQ(0, debugfs_row(dev_path(), s.virtual_addr, &r));
	n = pat_overlapping(start + 60 * p, start + 61 * p, e, 4);
	if (!strcmp(r.flags, "ro,wc")) {
		EXPECT_EQ(1, n);
		EXPECT_STREQ(memtype_name(true), e[0].type);
	} else {
		EXPECT_STREQ("ro,uc-", r.flags);
		EXPECT_EQ(0, n);
	}
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

/*
 * Does /proc/mtrr list a write-combining range of @size bytes (0: of any
 * size) at @base? Its lines read "reg01: base=0x0fd000000 ( 4048MB), size=   16MB, count=1:
 * write-combining".
 */
static bool wc_mtrr(uint64_t base, uint64_t size)
{
	char *line, *save = NULL, *b, *z;

	if (read_file("/proc/mtrr", procbuf, sizeof(procbuf)) < 0)
		return false;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		b = strstr(line, "base=0x");
		z = strstr(line, "size=");
		if (b && z && strstr(line, "write-combining") &&
		    strtoull(b + 5, NULL, 16) == base &&
		    (!size || strtoull(z + 5, NULL, 10) << (strstr(z, "MB") ? 20 : 10) == size))
			return true;
	}
	return false;
}

/*
 * Without PAT (nopat) write-combining comes from an MTRR that vidshare adds
 * for the frame buffer: /proc/mtrr lists it while the adapter is bound.
 */
TEST_F(vidshare, without_pat_write_combining_comes_from_an_mtrr)
{
	uint64_t start, end;

	if (!access(PAT_MEMTYPE_LIST, R_OK))
		SKIP(return, "the kernel has PAT: no MTRR needed");
	if (access("/proc/mtrr", R_OK))
		SKIP(return, "no /proc/mtrr: no MTRRs");
	if (!(self->info.flags & VIDSHARE_INFO_WC))
		SKIP(return, "an uncached adapter needs no MTRR");
	ASSERT_EQ(0, bar_range(dev_path(), self->info.bar, &start, &end));
	EXPECT_TRUE(wc_mtrr(start, self->info.fb_size))
		TH_LOG("no write-combining MTRR for [%#llx, +%#llx) in /proc/mtrr",
		       (unsigned long long)start, (unsigned long long)self->info.fb_size);
}

/*
 * Share, touch and unshare (and mmap/munmap) as fast as possible until
 * SIGKILL; *@made counts the shares made, so the parent knows it worked.
 */
static void __attribute__((noreturn))
share_until_killed(int fd, uint64_t fb_size, uint32_t seed, volatile uint32_t *made)
{
	const uint64_t p = page_size(), pages = fb_size / p;
	struct vidshare_share s[4];
	bool live[4] = { false };
	void *m[4] = { NULL };
	uint64_t size, off;
	unsigned int i;

	if (seed & 1)
		fd = open_dev(O_RDWR);	/* a file of its own, released by exit */
	for (;;) {
		seed = seed * 1103515245 + 12345;
		i = (seed >> 16) % 4;
		if (live[i]) {
			vs_unshare(fd, s[i].virtual_addr);
			live[i] = false;
		} else if (m[i]) {
			munmap(m[i], p);
			m[i] = NULL;
		} else if (seed & (1 << 28)) {
			m[i] = mmap(NULL, p, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
				    (off_t)(((seed >> 4) % pages) * p));
			if (m[i] == MAP_FAILED)
				m[i] = NULL;
		} else {
			/* Now and then the whole frame buffer: a long mapping to land in. */
			size = (seed >> 24) % 8 ? ((seed >> 8) % 64 + 1) * p : fb_size;
			off = ((seed >> 4) % (pages - size / p + 1)) * p;
			if (!vs_share(fd, off, size, 0, 0, &s[i])) {
				live[i] = true;
				*share_ptr(&s[i]) = i;
				__atomic_add_fetch(made, 1, __ATOMIC_RELAXED);
			}
		}
	}
}

TEST_F(vidshare, sigkill_during_share_and_unshare_leaves_no_share_behind)
{
	volatile uint32_t *made = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int round, wait;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, (void *)made);
	for (round = 0; round < 40; round++) {
		*made = 0;
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid)
			share_until_killed(self->fd, self->fb_size, round * 2654435761u, made);
		/* Let it start, then kill it at some moment of its loop. */
		for (wait = 0; wait < 10000 && !__atomic_load_n(made, __ATOMIC_RELAXED); wait++)
			usleep(1000);
		usleep((round * 7919) % 20000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(128 + SIGKILL, wait_child(pid));
		EXPECT_LT(0U, *made);
		EXPECT_EQ(0, debugfs_count(dev_path(), pid)) TH_LOG("round %d", round);
	}
	EXPECT_EQ(0, debugfs_count(dev_path(), 0));
	munmap((void *)made, page_size());
}

TEST_F(vidshare, unprivileged_user_without_access_gets_eacces_at_open)
{
	struct stat st;
	pid_t pid;

	ASSERT_EQ(0, stat(dev_path(), &st));
	EXPECT_EQ(0660U, st.st_mode & 07777U);
	EXPECT_EQ(0U, st.st_uid);
	EXPECT_EQ(0U, st.st_gid);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
		unsigned int i;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		for (i = 0; i < ARRAY_SIZE(modes); i++)
			if (open(dev_path(), modes[i]) >= 0 || errno != EACCES)
				_exit(1 + i);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
}

static void expect_no_phys(struct __test_metadata *_metadata, const char *what,
			   const char *text, const uint64_t *phys, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		EXPECT_FALSE(mentions_phys(text, phys[i]))
			TH_LOG("%s shows BAR address %#llx: %s", what,
			       (unsigned long long)phys[i], text);
	}
}

TEST_F(vidshare, no_bar_address_in_info_sysfs_debugfs_or_kernel_log)
{
	const char *node = strrchr(dev_path(), '/') + 1;
	char path[PATH_MAX], buf[4096];
	uint64_t phys[6], words[sizeof(self->info) / 8];
	struct vidshare_share s;
	int nr = 0, bar, files = 0, lines = 0, i, kmsg;
	struct dirent *de;
	ssize_t r;
	DIR *dir;

	for (bar = 0; bar < 6; bar++) {
		phys[nr] = bar_phys(dev_path(), bar);
		if (phys[nr])
			nr++;
	}
	ASSERT_LT(0, nr);
	ASSERT_EQ(0, vs_share(self->fd, 3 * self->page + 1, 100, 0, 0, &s));

	/* INFO: no 64-bit word, nor either half of one, is a BAR address. */
	memcpy(words, &self->info, sizeof(words));
	for (i = 0; i < (int)ARRAY_SIZE(words); i++) {
		for (bar = 0; bar < nr; bar++) {
			EXPECT_NE(phys[bar], words[i]);
			EXPECT_NE((uint32_t)phys[bar], (uint32_t)words[i]);
			EXPECT_NE((uint32_t)phys[bar], (uint32_t)(words[i] >> 32));
		}
	}

	/* Every attribute of the class device. */
	snprintf(path, sizeof(path), CLASS_DIR "/%s", node);
	dir = opendir(path);
	ASSERT_TRUE(dir != NULL);
	while ((de = readdir(dir))) {
		if (de->d_type != DT_REG || !strcmp(de->d_name, "uevent"))
			continue;
		snprintf(path, sizeof(path), CLASS_DIR "/%s/%s", node, de->d_name);
		if (read_file(path, buf, sizeof(buf)) < 0)
			continue;
		expect_no_phys(_metadata, path, buf, phys, nr);
		files++;
	}
	closedir(dir);
	EXPECT_LE(5, files);

	/* debugfs, with a share on the list. */
	snprintf(path, sizeof(path), VIDSHARE_DEBUGFS "/%s/shares", node);
	ASSERT_LT(0, read_file(path, procbuf, sizeof(procbuf)));
	expect_no_phys(_metadata, path, procbuf, phys, nr);

	/* Every kernel log record of vidshare, at every level. */
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	while ((r = read(kmsg, buf, sizeof(buf) - 1)) != 0) {
		if (r < 0) {
			if (errno == EPIPE)	/* overwritten while we read */
				continue;
			break;
		}
		buf[r] = '\0';
		if (!strstr(buf, "vidshare"))
			continue;
		expect_no_phys(_metadata, "kernel log", buf, phys, nr);
		lines++;
	}
	close(kmsg);
	/* The probe message at least must be there. */
	EXPECT_LT(0, lines);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

/* ------------------------------------------------------------------ */
/* Huge entries: the 2 MiB blocks of a share are PMD entries (6.12 on) */
/* ------------------------------------------------------------------ */

#define BLOCK	(2ULL << 20)

/*
 * Whether this kernel maps the whole 2 MiB blocks of a share with huge
 * entries: 6.12 or later (huge pfn maps), with transparent huge pages.
 */
static bool huge_expected(void)
{
	unsigned int major, minor;
	struct utsname u;

	if (uname(&u) || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	if (major < 6 || (major == 6 && minor < 12))
		return false;
	/* THP_enabled is 0 for a process with PR_SET_THP_DISABLE */
	if (self_status("THP_enabled") != 1)
		return false;
	return access("/sys/kernel/mm/transparent_hugepage", F_OK) == 0;
}

/* This process's page tables (VmPTE), in pages, or -1. */
static long pt_pages(void)
{
	long kb = self_status("VmPTE");

	return kb < 0 ? -1 : kb * 1024 / (long)page_size();
}

/* Minor faults of this process so far. */
static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_minflt;
}

/* Write each page's offset into its first word, as a user's first touch. */
static void touch_pages(volatile uint8_t *p, uint64_t len)
{
	uint64_t o;

	for (o = 0; o < len; o += page_size())
		*(volatile uint32_t *)(p + o) = (uint32_t)(o ^ 0x5a5a0000);
}

/*
 * Minor faults while touch_pages() touches [@p, @p + @len). minflt() runs
 * once before, so that the count has none of its own: its first call at a
 * stack depth the process had not reached yet faulted.
 */
static long faults_of_touch(volatile uint8_t *p, uint64_t len)
{
	long flt;

	minflt();
	flt = minflt();
	touch_pages(p, len);
	return minflt() - flt;
}

/*
 * After touch_pages() of the @len bytes at @p, which map frame-buffer
 * offset @off: check pages at the edges and in every 2 MiB block through
 * a one-page share of the same frame-buffer page, so that an entry
 * pointing at the wrong frame-buffer page shows.
 */
static void expect_pages_where_they_belong(struct __test_metadata *_metadata, int fd,
					   uint64_t off, uint64_t len)
{
	const uint64_t p = page_size();
	uint64_t o, picks[64];
	struct vidshare_share one;
	unsigned int n = 0, i;

	picks[n++] = 0;
	picks[n++] = len - p;
	for (o = (BLOCK - off % BLOCK) % BLOCK; o < len && n < 60; o += BLOCK) {
		picks[n++] = o;
		if (o >= p)
			picks[n++] = o - p;
		if (o + BLOCK / 2 + 3 * p < len)
			picks[n++] = o + BLOCK / 2 + 3 * p;
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, vs_share(fd, off + picks[i], 4, VIDSHARE_SHARE_READONLY, 0, &one));
		EXPECT_EQ((uint32_t)(picks[i] ^ 0x5a5a0000), *(volatile uint32_t *)share_ptr(&one))
			TH_LOG("frame-buffer offset %#llx (share offset %#llx)",
			       (unsigned long long)(off + picks[i]), (unsigned long long)picks[i]);
		EXPECT_EQ(0, vs_unshare(fd, one.virtual_addr));
	}
}

/*
 * SHARE of a view at @off of @len bytes, with hint @hint: where it lands,
 * how many page-table pages it costs, and that touching it faults nothing.
 * Returns the share's page-table pages.
 */
static long share_and_touch(struct __test_metadata *_metadata, int fd, uint64_t off,
			    uint64_t len, uint64_t hint, struct vidshare_share *s)
{
	long pt;

	pt = pt_pages();
	EXPECT_LE(0, pt);
	if (vs_share(fd, off, len, 0, hint, s)) {
		EXPECT_EQ(0, errno) TH_LOG("SHARE %#llx+%#llx failed", (unsigned long long)off,
					   (unsigned long long)len);
		return -1;
	}
	pt = pt_pages() - pt;
	/* SHARE filled every entry: the first touch of each page is no fault. */
	EXPECT_EQ(0, faults_of_touch(share_base(s), s->shared_size));
	return pt;
}

TEST_F(vidshare, huge_share_of_16_mib_is_eight_pmd_entries)
{
	const uint64_t len = 8 * BLOCK;
	struct vidshare_share s;
	long pt;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 16 MiB");
	pt = share_and_touch(_metadata, self->fd, 0, len, 0, &s);
	ASSERT_LE(0, pt);
	if (huge_expected()) {
		/* a frame-buffer BAR is aligned to its size */
		EXPECT_EQ(0ULL, s.virtual_addr % BLOCK);
		/* no PTE page; at most a new PMD page */
		EXPECT_GE(1, pt);
	} else {
		/* a PTE page a block (a neighbour may share the first or last) */
		EXPECT_LE(7, pt);
	}
	expect_pages_where_they_belong(_metadata, self->fd, 0, len);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, huge_share_hint_moves_to_the_next_congruent_address)
{
	const uint64_t p = self->page, len = 4 * BLOCK;
	uint64_t hint = free_range(8 * BLOCK / p);
	struct vidshare_share s;
	long pt;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 8 MiB");
	ASSERT_NE(0ULL, hint);
	hint = (hint + BLOCK - 1) / BLOCK * BLOCK + BLOCK / 2 + p;
	pt = share_and_touch(_metadata, self->fd, 0, len, hint, &s);
	ASSERT_LE(0, pt);
	if (huge_expected()) {
		EXPECT_EQ((hint + BLOCK - 1) / BLOCK * BLOCK, s.virtual_addr);
		EXPECT_GE(1, pt);
	} else {
		EXPECT_EQ(hint, s.virtual_addr);
		EXPECT_LE(3, pt);
	}
	expect_pages_where_they_belong(_metadata, self->fd, 0, len);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, huge_share_unaligned_view_has_pte_edges_and_a_huge_body)
{
	const uint64_t p = self->page, off = BLOCK / 2 + 8, len = 3 * BLOCK;
	struct vidshare_share s;
	long pt;

	if (self->fb_size < off + len + p)
		SKIP(return, "the frame buffer is smaller than 8 MiB");
	pt = share_and_touch(_metadata, self->fd, off, len, 0, &s);
	ASSERT_LE(0, pt);
	if (huge_expected()) {
		EXPECT_EQ(off % BLOCK, s.virtual_addr % BLOCK);
		/* the head's and the tail's PTE pages, maybe a PMD page */
		EXPECT_GE(3, pt);
	} else {
		EXPECT_LE(2, pt);
	}
	expect_pages_where_they_belong(_metadata, self->fd, s.shared_offset, s.shared_size);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(vidshare, huge_mmap_first_touch_fills_the_body)
{
	const uint64_t len = 8 * BLOCK;
	volatile uint8_t *m;
	long pt, first, rest;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 16 MiB");
	pt = pt_pages();
	m = dev_mmap(self->fd, 0, len, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	first = faults_of_touch(m, self->page);
	rest = faults_of_touch(m, len);
	pt = pt_pages() - pt;
	EXPECT_EQ(1, first);
	if (huge_expected()) {
		EXPECT_EQ(0ULL, (uintptr_t)m % BLOCK);
		/* none, or one where the share spans two PUD entries */
		EXPECT_GE(1, rest);
		EXPECT_GE(1, pt);
	} else {
		/* the first fault filled the whole share */
		EXPECT_EQ(0, rest);
		EXPECT_LE(7, pt);
	}
	expect_pages_where_they_belong(_metadata, self->fd, 0, len);
	EXPECT_EQ(0, munmap((void *)m, len));
}

TEST_F(vidshare, huge_share_read_only_and_mprotect)
{
	const uint64_t len = 2 * BLOCK;
	struct vidshare_share s;
	volatile uint8_t *b;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 4 MiB");
	ASSERT_EQ(0, vs_share(self->fd, 0, len, VIDSHARE_SHARE_READONLY, 0, &s));
	b = share_base(&s);
	EXPECT_EQ(0, probe_read(b + BLOCK + 64));
	EXPECT_EQ(SIGSEGV, probe_write(b + BLOCK + 64));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));

	ASSERT_EQ(0, vs_share(self->fd, 0, len, 0, 0, &s));
	b = share_base(&s);
	touch_pages(b, len);
	ASSERT_EQ(0, mprotect((void *)b, len, PROT_NONE));
	EXPECT_EQ(SIGSEGV, probe_read(b + BLOCK));
	ASSERT_EQ(0, mprotect((void *)b, len, PROT_READ));
	EXPECT_EQ(SIGSEGV, probe_write(b + BLOCK));
	ASSERT_EQ(0, mprotect((void *)b, len, PROT_READ | PROT_WRITE));
	touch_pages(b, len);
	expect_pages_where_they_belong(_metadata, self->fd, 0, len);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

/* With transparent huge pages off for the process, shares are PTEs. */
/*
 * Soft-dirty tracking (clear_refs 4) write-protects a share's entries: the
 * write fault of a huge entry must make it writable, not insert the same
 * read-only entry again and again. In a child, under alarm(2): a
 * livelock is a SIGALRM.
 */
TEST_F(vidshare, huge_soft_dirty_write_protection_is_undone_by_a_write)
{
	const uint64_t len = 2 * BLOCK;
	struct vidshare_share s;
	volatile uint8_t *b, *m;
	pid_t pid;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 4 MiB");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(30);
		/* an mmap(2) whose entries come after the clear */
		m = dev_mmap(self->fd, 0, len, PROT_READ | PROT_WRITE);
		ASSERT_TRUE(m != NULL);
		ASSERT_EQ(0, write_file("/proc/self/clear_refs", "4"));
		touch_pages(m, len);
		expect_pages_where_they_belong(_metadata, self->fd, 0, len);
		EXPECT_EQ(0, munmap((void *)m, len));
		/* a filled share, write-protected by mprotect(2) after the clear */
		ASSERT_EQ(0, vs_share(self->fd, 0, len, 0, 0, &s));
		b = share_base(&s);
		ASSERT_EQ(0, write_file("/proc/self/clear_refs", "4"));
		ASSERT_EQ(0, mprotect((void *)b, len, PROT_READ));
		ASSERT_EQ(0, mprotect((void *)b, len, PROT_READ | PROT_WRITE));
		touch_pages(b, len);
		expect_pages_where_they_belong(_metadata, self->fd, 0, len);
		EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
		_exit(_metadata->exit_code == KSFT_PASS ? 0 : 1);
	}
	EXPECT_EQ(0, wait_child(pid)) TH_LOG("128 + %d is SIGALRM: a write faulted forever",
					     SIGALRM);
}

TEST_F(vidshare, huge_thp_off_process_gets_ptes)
{
	const uint64_t len = 4 * BLOCK;
	struct vidshare_share s;
	volatile uint8_t *m;
	bool huge;
	long pt;
	pid_t pid;

	if (self->fb_size < len)
		SKIP(return, "the frame buffer is smaller than 8 MiB");
	huge = huge_expected();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		ASSERT_EQ(0, prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
		pt = share_and_touch(_metadata, self->fd, 0, len, 0, &s);
		EXPECT_LE(4, pt);
		expect_pages_where_they_belong(_metadata, self->fd, 0, len);
		EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
		m = dev_mmap(self->fd, 0, len, PROT_READ | PROT_WRITE);
		ASSERT_TRUE(m != NULL);
		EXPECT_EQ(1, faults_of_touch(m, self->page));
		/* a fault a block where shares have a body, else none: all filled */
		EXPECT_EQ(huge ? (long)(len / BLOCK) - 1 : 0, faults_of_touch(m, len));
		expect_pages_where_they_belong(_metadata, self->fd, 0, len);
		EXPECT_EQ(0, munmap((void *)m, len));
		_exit(_metadata->exit_code == KSFT_PASS ? 0 : 1);
	}
	EXPECT_EQ(0, wait_child(pid));
}

/* ------------------------------------------------------------------ */
/* Fixture "mode": GET_MODE / SET_MODE, restoring the mode afterwards   */
/* ------------------------------------------------------------------ */

FIXTURE(mode) {
	int fd;
	struct vidshare_mode saved;
};

/* Open the device and save its mode, for a test that changes it. */
static void mode_open(struct __test_metadata *_metadata, int *fd, struct vidshare_mode *saved)
{
	if (!expected()->modes)
		SKIP(return, "the adapter has no mode interface that vidshare knows");
	*fd = open_dev(O_RDWR);
	ASSERT_LE(0, *fd) TH_LOG("open(%s) failed", dev_path());
	ASSERT_EQ(0, vs_get_mode(*fd, saved));
}

static void mode_restore(struct __test_metadata *_metadata, int fd,
			 const struct vidshare_mode *m)
{
	/* a disabled mode (all zero) cannot be set again; leave a valid one */
	if (m->width && m->height && m->bpp) {
		EXPECT_EQ(0, vs_set_mode(fd, m->width, m->height, m->bpp));
	}
	close(fd);
}

FIXTURE_SETUP(mode)
{
	mode_open(_metadata, &self->fd, &self->saved);
}

FIXTURE_TEARDOWN(mode)
{
	mode_restore(_metadata, self->fd, &self->saved);
}

static void expect_mode(struct __test_metadata *_metadata, int fd, uint32_t width,
			uint32_t height, uint32_t bpp, uint32_t stride)
{
	struct vidshare_mode m;

	ASSERT_EQ(0, vs_get_mode(fd, &m));
	EXPECT_EQ(width, m.width);
	EXPECT_EQ(height, m.height);
	EXPECT_EQ(bpp, m.bpp);
	EXPECT_EQ(stride, m.stride);
	EXPECT_EQ(0U, m.flags);
	EXPECT_EQ(0U, m.reserved);
}

TEST_F(mode, get_mode_matches_info)
{
	struct vidshare_info info;
	struct vidshare_mode m;

	ASSERT_EQ(0, vs_get_mode(self->fd, &m));
	EXPECT_EQ(0U, m.flags);
	EXPECT_EQ(0U, m.reserved);
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(info.width, m.width);
	EXPECT_EQ(info.height, m.height);
	EXPECT_EQ(info.bpp, m.bpp);
	EXPECT_EQ(info.stride, m.stride);
}

/* The modes SET_MODE must set, and the stride each must have. */
FIXTURE(mode_set) {
	int fd;
	struct vidshare_mode saved;
};

FIXTURE_VARIANT(mode_set) {
	uint32_t width, height, bpp, stride;
};

FIXTURE_VARIANT_ADD(mode_set, 640x480x32) {
	.width = 640, .height = 480, .bpp = 32, .stride = 2560,
};

FIXTURE_VARIANT_ADD(mode_set, 800x600x16) {
	.width = 800, .height = 600, .bpp = 16, .stride = 1600,
};

FIXTURE_SETUP(mode_set)
{
	mode_open(_metadata, &self->fd, &self->saved);
}

FIXTURE_TEARDOWN(mode_set)
{
	mode_restore(_metadata, self->fd, &self->saved);
}

TEST_F(mode_set, set_mode_reported_by_get_mode_and_info_with_its_stride)
{
	struct vidshare_info info;

	ASSERT_EQ(0, vs_set_mode(self->fd, variant->width, variant->height, variant->bpp));
	expect_mode(_metadata, self->fd, variant->width, variant->height, variant->bpp,
		    variant->stride);
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(variant->width, info.width);
	EXPECT_EQ(variant->height, info.height);
	EXPECT_EQ(variant->bpp, info.bpp);
	EXPECT_EQ(variant->stride, info.stride);
}

TEST_F(mode, set_mode_ignores_stride_argument)
{
	struct vidshare_mode m = { .width = 640, .height = 480, .bpp = 32, .stride = 12345 };

	ASSERT_EQ(0, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	expect_mode(_metadata, self->fd, 640, 480, 32, 2560);
}

TEST_F(mode, set_mode_unsupported_fails_einval)
{
	struct vidshare_info info;
	struct {
		uint32_t width, height, bpp;
	} bad[] = {
		{ 640, 480, 7 },
		{ 640, 480, 0 },
		{ 640, 480, 64 },
		{ 0, 480, 32 },
		{ 640, 0, 32 },
		{ 644, 480, 32 },
		{ 100000, 480, 32 },
		{ 1024, 0, 32 },		/* height set below: 1 line too many */
		{ 8192, 131073, 32 },		/* stride * height wraps 32 bits */
	};
	size_t i;

	ASSERT_EQ(0, vs_info(self->fd, &info));
	bad[7].height = (uint32_t)(info.fb_size / 4096) + 1;
	ASSERT_EQ(0, vs_set_mode(self->fd, 640, 480, 32));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(EINVAL, vs_set_mode(self->fd, bad[i].width, bad[i].height, bad[i].bpp))
			TH_LOG("%ux%ux%u", bad[i].width, bad[i].height, bad[i].bpp);
	}
	expect_mode(_metadata, self->fd, 640, 480, 32, 2560);
}

TEST_F(mode, set_mode_unknown_flags_or_reserved_fail_einval)
{
	struct vidshare_mode m = { .width = 800, .height = 600, .bpp = 32 };

	ASSERT_EQ(0, vs_set_mode(self->fd, 640, 480, 32));
	m.flags = 1;
	EXPECT_EQ(EINVAL, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	m.flags = 1U << 31;
	EXPECT_EQ(EINVAL, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	m.flags = 0;
	m.reserved = 1;
	EXPECT_EQ(EINVAL, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	m.reserved = 1U << 31;
	EXPECT_EQ(EINVAL, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	expect_mode(_metadata, self->fd, 640, 480, 32, 2560);
}

TEST_F(mode, set_mode_on_readonly_fd_fails_eacces)
{
	int fd = open_dev(O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vs_set_mode(self->fd, 640, 480, 32));
	EXPECT_EQ(EACCES, vs_set_mode(fd, 800, 600, 32));
	expect_mode(_metadata, self->fd, 640, 480, 32, 2560);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Fixture "nomode": adapters without a mode interface vidshare knows   */
/* ------------------------------------------------------------------ */

FIXTURE(nomode) {
	int fd;
};

FIXTURE_SETUP(nomode)
{
	if (expected()->modes)
		SKIP(return, "the adapter has a mode interface");
	self->fd = open_dev(O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) failed", dev_path());
}

FIXTURE_TEARDOWN(nomode)
{
	close(self->fd);
}

TEST_F(nomode, get_and_set_mode_fail_eopnotsupp_and_info_has_no_mode)
{
	struct vidshare_mode m = { .width = 640, .height = 480, .bpp = 32 };
	struct vidshare_info info;

	EXPECT_EQ(EOPNOTSUPP, vs_ioctl(self->fd, VIDSHARE_IOC_GET_MODE, &m));
	EXPECT_EQ(EOPNOTSUPP, vs_ioctl(self->fd, VIDSHARE_IOC_SET_MODE, &m));
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(0U, info.width);
	EXPECT_EQ(0U, info.height);
	EXPECT_EQ(0U, info.bpp);
	EXPECT_EQ(0U, info.stride);
}

/* ------------------------------------------------------------------ */
/* Fixture "limits": max_shares, saved and restored by the parent       */
/* ------------------------------------------------------------------ */

FIXTURE(limits) {
	unsigned int saved_max;
	bool saved;
	uint64_t page;
	uint64_t fb_size;
};

FIXTURE_SETUP(limits)
{
	struct vidshare_info info;
	int fd = open_dev(O_RDONLY);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vs_info(fd, &info));
	close(fd);
	self->fb_size = info.fb_size;
	self->page = page_size();
	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &self->saved_max));
	self->saved = true;
}

FIXTURE_TEARDOWN_PARENT(limits)
{
	unsigned int now;

	if (!self->saved)
		return;
	EXPECT_EQ(0, set_max_shares(self->saved_max));
	EXPECT_EQ(0, read_uint(MAX_SHARES_PARAM, &now));
	EXPECT_EQ(self->saved_max, now);
}

/* Sets max_shares to @max and opens the device read-write. */
static int open_limited(struct __test_metadata *_metadata, unsigned int max)
{
	int fd;

	ASSERT_EQ(0, set_max_shares(max));
	fd = open_dev(O_RDWR);
	ASSERT_LE(0, fd);
	return fd;
}

TEST_F(limits, max_shares_parameter_rejects_out_of_range)
{
	unsigned int now;

	ASSERT_EQ(0, set_max_shares(5));
	EXPECT_EQ(-EINVAL, set_max_shares(0));
	EXPECT_EQ(-EINVAL, set_max_shares(1048577));
	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &now));
	EXPECT_EQ(5U, now);
	EXPECT_EQ(0, set_max_shares(1048576));
	ASSERT_EQ(0, read_uint(MAX_SHARES_PARAM, &now));
	EXPECT_EQ(1048576U, now);
}

TEST_F(limits, info_max_shares_follows_parameter_change)
{
	struct vidshare_info info;
	int fd = open_dev(O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_max_shares(7));
	ASSERT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(7U, info.max_shares);
	ASSERT_EQ(0, set_max_shares(self->saved_max));
	ASSERT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(self->saved_max, info.max_shares);
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, share_beyond_max_shares_fails_enospc)
{
	struct vidshare_share s[3], extra;
	struct vidshare_info info;
	uint32_t seed = new_seed();
	int fd, i, n;

	fd = open_limited(_metadata, 3);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, vs_share(fd, i * self->page, 10, 0, 0, &s[i]));
	}
	n = count_vmas();
	EXPECT_EQ(ENOSPC, vs_share(fd, 3 * self->page, 10, 0, 0, &extra));
	EXPECT_EQ(ENOSPC, vs_share(fd, 0, 1, VIDSHARE_SHARE_READONLY, 0, &extra));
	EXPECT_EQ(n, count_vmas());

	/* the file keeps working */
	ASSERT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(3U, info.max_shares);
	fill(share_ptr(&s[2]), 10, seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s[2]), 10, seed));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, vs_unshare(fd, s[i].virtual_addr));
	}
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, unshare_makes_room_under_max_shares)
{
	struct vidshare_share a, b, c;
	int fd;

	fd = open_limited(_metadata, 2);
	ASSERT_EQ(0, vs_share(fd, 0, 10, 0, 0, &a));
	ASSERT_EQ(0, vs_share(fd, 100, 10, 0, 0, &b));
	EXPECT_EQ(ENOSPC, vs_share(fd, 200, 10, 0, 0, &c));
	ASSERT_EQ(0, vs_unshare(fd, a.virtual_addr));
	ASSERT_EQ(0, vs_share(fd, 200, 10, 0, 0, &c));
	EXPECT_EQ(ENOSPC, vs_share(fd, 300, 10, 0, 0, &a));
	EXPECT_EQ(0, vs_unshare(fd, b.virtual_addr));
	EXPECT_EQ(0, vs_unshare(fd, c.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, mmap_counts_toward_max_shares)
{
	struct vidshare_share a, b;
	volatile uint8_t *m;
	int fd;

	fd = open_limited(_metadata, 2);
	m = dev_mmap(fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, vs_share(fd, 0, 10, 0, 0, &a));
	EXPECT_EQ(ENOSPC, vs_share(fd, 0, 10, 0, 0, &b));
	EXPECT_EQ(ENOSPC, mmap_errno(fd, 0, self->page, PROT_READ | PROT_WRITE, MAP_SHARED));
	ASSERT_EQ(0, munmap((void *)m, self->page));
	ASSERT_EQ(0, vs_share(fd, 0, 10, 0, 0, &b));
	EXPECT_EQ(0, vs_unshare(fd, a.virtual_addr));
	EXPECT_EQ(0, vs_unshare(fd, b.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, munmap_of_whole_share_makes_room)
{
	struct vidshare_share a, refused;
	int fd;

	fd = open_limited(_metadata, 1);
	ASSERT_EQ(0, vs_share(fd, 100, 50, 0, 0, &a));
	EXPECT_EQ(ENOSPC, vs_share(fd, 0, 10, 0, 0, &refused));
	ASSERT_EQ(0, munmap(share_base(&a), a.shared_size));
	ASSERT_EQ(0, vs_share(fd, 100, 50, 0, 0, &a));
	EXPECT_EQ(0, vs_unshare(fd, a.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, max_shares_is_per_open_file)
{
	struct vidshare_share a, b, c;
	int fd1, fd2;

	fd1 = open_limited(_metadata, 1);
	fd2 = open_dev(O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, vs_share(fd1, 0, 10, 0, 0, &a));
	EXPECT_EQ(ENOSPC, vs_share(fd1, 0, 10, 0, 0, &c));
	ASSERT_EQ(0, vs_share(fd2, 0, 10, 0, 0, &b));
	EXPECT_EQ(ENOSPC, vs_share(fd2, 0, 10, 0, 0, &c));
	EXPECT_EQ(0, vs_unshare(fd1, a.virtual_addr));
	EXPECT_EQ(0, vs_unshare(fd2, b.virtual_addr));
	EXPECT_EQ(0, close(fd1));
	EXPECT_EQ(0, close(fd2));
}

TEST_F(limits, child_exit_releases_shares_of_inherited_file)
{
	struct vidshare_share a, b, refused;
	pid_t pid;
	int fd;

	fd = open_limited(_metadata, 2);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct vidshare_share cs;

		/* the count belongs to the open file, shared with the parent */
		if (vs_share(fd, 0, 10, 0, 0, &cs))
			_exit(10);
		if (!dev_mmap(fd, 0, page_size(), PROT_READ))
			_exit(11);
		if (vs_share(fd, 0, 10, 0, 0, &cs) != ENOSPC)
			_exit(12);
		_exit(0);	/* with both still live */
	}
	EXPECT_EQ(0, wait_child(pid));
	ASSERT_EQ(0, vs_share(fd, 0, 10, 0, 0, &a));
	ASSERT_EQ(0, vs_share(fd, 0, 10, 0, 0, &b));
	EXPECT_EQ(ENOSPC, vs_share(fd, 0, 10, 0, 0, &refused));
	EXPECT_EQ(0, vs_unshare(fd, a.virtual_addr));
	EXPECT_EQ(0, vs_unshare(fd, b.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, max_map_count_reached_gives_enomem_and_leaks_nothing)
{
	const uint64_t p = self->page;
	struct vidshare_share s[64];
	unsigned int saved;
	int fd, n = 0, ret = 0, vmas, mmap_ret, i;
	char buf[32];

	fd = open_dev(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_max_shares(1000));
	ASSERT_EQ(0, read_uint("/proc/sys/vm/max_map_count", &saved));
	vmas = count_vmas();
	ASSERT_LT(0, vmas);
	snprintf(buf, sizeof(buf), "%d\n", vmas + 16);
	ASSERT_EQ(0, write_file("/proc/sys/vm/max_map_count", buf));
	while (n < 64 && !(ret = vs_share(fd, n * p, p, 0, 0, &s[n])))
		n++;
	mmap_ret = mmap_errno(fd, 0, p, PROT_READ, MAP_SHARED);
	snprintf(buf, sizeof(buf), "%u\n", saved);
	ASSERT_EQ(0, write_file("/proc/sys/vm/max_map_count", buf));

	EXPECT_EQ(ENOMEM, ret);
	EXPECT_EQ(ENOMEM, mmap_ret);
	EXPECT_LT(0, n);
	EXPECT_GT(64, n);
	EXPECT_EQ(n, debugfs_count(dev_path(), getpid()));
	for (i = 0; i < n; i++) {
		EXPECT_EQ(0, vs_unshare(fd, s[i].virtual_addr));
	}
	EXPECT_EQ(0, debugfs_count(dev_path(), getpid()));
	/* The file works on. */
	ASSERT_EQ(0, vs_share(fd, 0, p, 0, 0, &s[0]));
	EXPECT_EQ(0, vs_unshare(fd, s[0].virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(limits, address_space_limit_gives_enomem_and_leaks_nothing)
{
	const uint64_t p = self->page;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct vidshare_share s;
		struct vidshare_info info;
		struct rlimit rl;
		int fd = open_dev(O_RDWR);
		long kb;

		if (fd < 0 || vs_info(fd, &info))
			_exit(10);
		kb = self_status("VmSize");
		if (kb <= 0)
			_exit(11);
		/* Room for a few pages, not for the whole frame buffer. */
		rl.rlim_cur = rl.rlim_max = kb * 1024 + 16 * p;
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(12);
		if (vs_share(fd, 0, info.fb_size, 0, 0, &s) != ENOMEM)
			_exit(1);
		if (mmap_errno(fd, 0, info.fb_size, PROT_READ, MAP_SHARED) != ENOMEM)
			_exit(2);
		if (vs_share(fd, p, p, 0, 0, &s))
			_exit(3);
		*share_ptr(&s) = 1;
		if (vs_unshare(fd, s.virtual_addr))
			_exit(4);
		_exit(0);
	}
	EXPECT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, debugfs_count(dev_path(), pid));
}

#define MANY_SHARES	10000

/* Under TCG with KASAN and lockdep, making 10,000 shares takes a while. */
TEST_F_TIMEOUT(limits, ten_thousand_live_shares_in_one_process, 300)
{
	const uint64_t p = self->page;
	struct vidshare_share *s = calloc(MANY_SHARES, sizeof(*s)), extra;
	uint64_t pages = self->fb_size / p;
	int fd, i;

	ASSERT_TRUE(s != NULL);
	fd = open_dev(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_max_shares(MANY_SHARES));
	for (i = 0; i < MANY_SHARES; i++) {
		ASSERT_EQ(0, vs_share(fd, (i % pages) * p + i % 61, p - 61, 0, 0, &s[i]))
			TH_LOG("share %d", i);
	}
	EXPECT_EQ(MANY_SHARES, debugfs_count(dev_path(), getpid()));
	EXPECT_EQ(ENOSPC, vs_share(fd, 0, p, 0, 0, &extra));
	for (i = 0; i < MANY_SHARES; i++) {
		*share_ptr(&s[i]) = (uint8_t)i;
		ASSERT_EQ((uint8_t)i, *share_ptr(&s[i])) TH_LOG("share %d", i);
	}
	for (i = 0; i < MANY_SHARES; i++) {
		ASSERT_EQ(0, vs_unshare(fd, s[i].virtual_addr)) TH_LOG("share %d", i);
	}
	EXPECT_EQ(0, debugfs_count(dev_path(), getpid()));
	EXPECT_EQ(0, close(fd));
	free(s);
}

#define SCALE_FEW	400
#define SCALE_MANY	40000
#define TIMED_UNSHARES	301

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A child holding @n one-page shares on a file of its own. It writes 'r'
 * to @out when they are made; then, for every 't' read from @in, it times
 * one UNSHARE of one of them, makes that share again (untimed) and writes
 * the nanoseconds (0 on error) to @out. Any other byte ends it.
 */
static int __attribute__((noreturn)) unshare_timer(int n, uint64_t fb_size, int in, int out)
{
	const uint64_t p = page_size(), pages = fb_size / p;
	struct vidshare_share *s = calloc(n, sizeof(*s)), again;
	struct timespec a, b;
	uint64_t ns;
	int fd = open_dev(O_RDWR), i, k;
	char c;

	/*
	 * Unaligned one-page views spread over the whole frame buffer, so
	 * that shares overlap little: x86 PAT keeps a tree of the memory
	 * types of overlapping ranges, and that is not vidshare's to measure.
	 */
	for (i = 0; i < n; i++)
		if (!s || fd < 0 || vs_share(fd, (i % pages) * p + i % 61, p - 61, 0, 0, &s[i]))
			_exit(1);
	if (write(out, "r", 1) != 1)
		_exit(2);
	for (i = 0; read(in, &c, 1) == 1 && c == 't'; i++) {
		k = (int)((i * 7919ULL) % n);
		clock_gettime(CLOCK_MONOTONIC, &a);
		ns = vs_unshare(fd, s[k].virtual_addr);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns = ns ? 0 : (b.tv_sec - a.tv_sec) * 1000000000ULL + b.tv_nsec - a.tv_nsec;
		again = s[k];
		if (vs_share(fd, again.view_offset, again.view_size, 0, 0, &s[k]))
			ns = 0;
		if (write(out, &ns, sizeof(ns)) != sizeof(ns))
			_exit(3);
	}
	_exit(0);
}

TEST_F_TIMEOUT(limits, unshare_time_does_not_grow_with_the_number_of_shares, 600)
{
	static const int n[2] = { SCALE_MANY, SCALE_FEW };
	uint64_t t[2][TIMED_UNSHARES], med[2];
	struct timespec start, made;
	int in[2][2], out[2][2], i, j, w;
	pid_t pid[2];
	double ratio;
	char c;

	ASSERT_EQ(0, set_max_shares(SCALE_MANY));
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (j = 0; j < 2; j++) {
		ASSERT_EQ(0, pipe(in[j]));
		ASSERT_EQ(0, pipe(out[j]));
		pid[j] = fork();
		ASSERT_LE(0, pid[j]);
		if (!pid[j])
			unshare_timer(n[j], self->fb_size, in[j][0], out[j][1]);
	}
	for (j = 0; j < 2; j++) {
		ASSERT_EQ(1, read(out[j][0], &c, 1)) TH_LOG("%d shares could not be made", n[j]);
	}
	clock_gettime(CLOCK_MONOTONIC, &made);
	TH_LOG("%d and %d shares made in %ld s", n[0], n[1], (long)(made.tv_sec - start.tv_sec));
	/*
	 * The two take turns, so whatever else the machine does slows both
	 * alike; who goes first alternates too.
	 */
	for (i = 0; i < TIMED_UNSHARES; i++) {
		for (w = 0; w < 2; w++) {
			j = (i + w) % 2;
			ASSERT_EQ(1, write(in[j][1], "t", 1));
			ASSERT_EQ((ssize_t)sizeof(t[j][i]), read(out[j][0], &t[j][i], sizeof(t[j][i])));
			ASSERT_NE(0ULL, t[j][i]) TH_LOG("UNSHARE %d with %d shares failed", i, n[j]);
		}
	}
	for (j = 0; j < 2; j++) {
		EXPECT_EQ(1, write(in[j][1], "q", 1));
		EXPECT_EQ(0, wait_child(pid[j]));
		EXPECT_EQ(0, debugfs_count(dev_path(), pid[j]));
		qsort(t[j], TIMED_UNSHARES, sizeof(t[j][0]), cmp_u64);
		med[j] = t[j][TIMED_UNSHARES / 2];
	}
	ratio = (double)med[0] / med[1];
	TH_LOG("median UNSHARE: %llu ns with %d live shares, %llu ns with %d: ratio %.2f",
	       (unsigned long long)med[0], n[0], (unsigned long long)med[1], n[1], ratio);
	/*
	 * A hundred times the shares. Walking a list of them in UNSHARE
	 * made this 2.75 here; lookups in the mm's maple tree make it 1.0.
	 */
	EXPECT_LT(ratio, 1.6);
}

/*
 * Objects in use in the kmalloc caches that memory cgroups are charged for
 * (kmalloc-cg-*, /proc/slabinfo), or -1 if the kernel has none.
 */
static long charged_kmalloc_objects(void)
{
	char *line, *save = NULL, name[64];
	long objs, total = -1;

	if (read_file("/proc/slabinfo", procbuf, sizeof(procbuf)) < 0)
		return -1;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%63s %ld", name, &objs) != 2 || strncmp(name, "kmalloc-cg-", 11))
			continue;
		total = (total < 0 ? 0 : total) + objs;
	}
	return total;
}

/*
 * What a share costs the kernel is charged to the memory cgroup of the
 * process that makes it (__GFP_ACCOUNT), like the VMA it comes with: a
 * process cannot pin unaccounted kernel memory by sharing.
 */
TEST_F(limits, shares_are_charged_to_the_memory_cgroup)
{
	const int n = 2000;
	struct vidshare_share *s = calloc(n, sizeof(*s));
	long before, after;
	int fd, i, made = 0;

	ASSERT_TRUE(s != NULL);
	if (charged_kmalloc_objects() < 0)
		SKIP(return, "no kmalloc-cg caches in /proc/slabinfo: no memory cgroups");
	fd = open_limited(_metadata, n + 16);
	before = charged_kmalloc_objects();
	for (i = 0; i < n; i++)
		made += !vs_share(fd, (i % 64) * self->page, 1, VIDSHARE_SHARE_READONLY, 0, &s[i]);
	after = charged_kmalloc_objects();
	for (i = 0; i < n; i++)
		vs_unshare(fd, s[i].virtual_addr);
	close(fd);
	free(s);
	EXPECT_EQ(n, made);
	/* Per-CPU slabs count as full: allow for some slack. */
	EXPECT_LE(n / 2, after - before)
		TH_LOG("%d shares added %ld charged kmalloc objects", n, after - before);
}

TEST_F(limits, sixty_four_open_files_share_at_once)
{
	const uint64_t p = self->page;
	struct vidshare_share s[64];
	struct share_row row;
	unsigned int ids[64];
	int fd[64], i, j;

	for (i = 0; i < 64; i++) {
		fd[i] = open_dev(O_RDWR);
		ASSERT_LE(0, fd[i]) TH_LOG("open %d", i);
		ASSERT_EQ(0, vs_share(fd[i], i * p + 4, 4, 0, 0, &s[i]));
		*(volatile uint32_t *)share_ptr(&s[i]) = 0x5eed0000 + i;
	}
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(0x5eed0000U + i, *(volatile uint32_t *)share_ptr(&s[i]));
		ASSERT_EQ(0, debugfs_row(dev_path(), pg_down(s[i].virtual_addr), &row));
		ids[i] = row.file;
		for (j = 0; j < i; j++) {
			EXPECT_NE(ids[j], ids[i]);
		}
	}
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(0, close(fd[i]));
	}
	EXPECT_EQ(64, debugfs_count(dev_path(), getpid()));
	for (i = 0; i < 64; i++) {
		EXPECT_EQ(0, munmap(share_base(&s[i]), p));
	}
	EXPECT_EQ(0, debugfs_count(dev_path(), getpid()));
}

/* ------------------------------------------------------------------ */
/* Fixture "revoke": unbind with live shares                            */
/* ------------------------------------------------------------------ */

FIXTURE(revoke) {
	char bdf[64];
	char node[PATH_MAX];
	int fd;
	uint64_t page;
	struct vidshare_info info;
};

FIXTURE_SETUP(revoke)
{
	self->page = page_size();
	ASSERT_EQ(0, find_adapter(self->bdf, sizeof(self->bdf), self->node, sizeof(self->node)))
		TH_LOG("no adapter bound to vidshare in " CLASS_DIR);
	ASSERT_TRUE(driver_bound(self->bdf)) TH_LOG("%s not bound to vidshare", self->bdf);
	self->fd = open(self->node, O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open(%s) failed", self->node);
	ASSERT_EQ(0, vs_info(self->fd, &self->info));
	ASSERT_EQ(0U, self->info.flags & VIDSHARE_INFO_REVOKED);
}

/* In the parent: runs even if the test died, so later tests find the device. */
FIXTURE_TEARDOWN_PARENT(revoke)
{
	char node[PATH_MAX];

	if (!self->bdf[0])
		return;
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)))
		TH_LOG("could not bind %s again", self->bdf);
}

TEST_F(revoke, revoke_share_and_mmap_access_raise_sigbus)
{
	const uint64_t p = self->page;
	struct vidshare_share s;
	volatile uint8_t *m;

	ASSERT_EQ(0, vs_share(self->fd, 3 * p + 10, 2 * p, 0, 0, &s));
	m = dev_mmap(self->fd, 8 * p, 2 * p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	/* fault in the first pages; leave the later ones untouched */
	ASSERT_EQ(0, probe_write(share_ptr(&s)));
	ASSERT_EQ(0, probe_write(m));

	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(SIGBUS, probe_read(share_ptr(&s)));
	EXPECT_EQ(SIGBUS, probe_write(share_ptr(&s)));
	EXPECT_EQ(SIGBUS, probe_read(share_ptr(&s) + p));
	EXPECT_EQ(SIGBUS, probe_read(m));
	EXPECT_EQ(SIGBUS, probe_write(m));
	EXPECT_EQ(SIGBUS, probe_read(m + p));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, 2 * p));
}

TEST_F(revoke, revoke_huge_share_and_mmap_raise_sigbus)
{
	const uint64_t len = 2 * BLOCK;
	struct vidshare_share s;
	volatile uint8_t *b, *m;

	if (self->info.fb_size < BLOCK + len)
		SKIP(return, "the frame buffer is smaller than 6 MiB");
	ASSERT_EQ(0, vs_share(self->fd, 0, len, 0, 0, &s));
	m = dev_mmap(self->fd, BLOCK, len, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	b = share_base(&s);
	/* the share is filled; the mmap(2) is, from its first touch */
	EXPECT_EQ(0, probe_write(b + BLOCK + 8));
	EXPECT_EQ(0, probe_write(m + 8));

	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(SIGBUS, probe_read(b));
	EXPECT_EQ(SIGBUS, probe_write(b + BLOCK + 8));
	EXPECT_EQ(SIGBUS, probe_read(b + len - 4));
	EXPECT_EQ(SIGBUS, probe_read(m + 8));
	EXPECT_EQ(SIGBUS, probe_write(m + BLOCK));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, len));
}

TEST_F(revoke, revoke_gives_back_memory_types)
{
	const uint64_t p = self->page;
	const bool wc = self->info.flags & VIDSHARE_INFO_WC;
	struct vidshare_share s;
	uint64_t start, end;
	struct pat_ent e[4];

	if (access(PAT_MEMTYPE_LIST, R_OK))
		SKIP(return, "no %s: the kernel has no PAT or no debugfs", PAT_MEMTYPE_LIST);
	ASSERT_EQ(0, bar_range(self->node, self->info.bar, &start, &end));
	ASSERT_NE(0ULL, start);
	ASSERT_EQ(0, vs_share(self->fd, 12 * p, 3 * p, 0, 0, &s));
	/* The adapter's one reservation, none for the share. */
	ASSERT_EQ(wc ? 1 : 0, pat_overlapping(start, end, e, 4));
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(0, pat_overlapping(start, end, e, 4));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, pat_overlapping(start, end, e, 4));
}

TEST_F(revoke, revoke_removes_the_write_combining_mtrr)
{
	uint64_t start, end;

	if (!access(PAT_MEMTYPE_LIST, R_OK))
		SKIP(return, "the kernel has PAT: no MTRR needed");
	if (!(self->info.flags & VIDSHARE_INFO_WC))
		SKIP(return, "an uncached adapter needs no MTRR");
	ASSERT_EQ(0, bar_range(self->node, self->info.bar, &start, &end));
	ASSERT_TRUE(wc_mtrr(start, self->info.fb_size));
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_FALSE(wc_mtrr(start, 0));
}

/*
 * One process of the race below: 64 one-page shares of the same page side
 * by side, all unmapped by one munmap(2) the moment the parent announces
 * an unbind in *@unbinds (or after 200 ms), the file closed; again and
 * again, with a failing mremap(2) of each share if @mremap_too.
 */
static void __attribute__((noreturn)) map_unmap_loop(const char *bdf, time_t end,
						     volatile int *unbinds, bool mremap_too)
{
	const size_t p = page_size();
	char name[64], node[PATH_MAX];
	uint64_t base, to;
	int fd, i, seen;

	while (time(NULL) < end) {
		if (find_class_dev(bdf, name, sizeof(name))) {
			usleep(1000);
			continue;
		}
		snprintf(node, sizeof(node), "/dev/%s", name);
		fd = open(node, O_RDWR);
		if (fd < 0)
			continue;
		base = free_range(65);
		to = base + 64 * p;
		for (i = 0; i < 64; i++)
			mmap((void *)(uintptr_t)(base + i * p), p, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
		for (i = 0; mremap_too && i < 64; i++)
			mremap((void *)(uintptr_t)(base + i * p), p, p,
			       MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)to);
		seen = *unbinds;
		for (i = 0; i < 2000 && *unbinds == seen; i++)
			usleep(100);
		munmap((void *)(uintptr_t)base, 64 * p);
		close(fd);
	}
	_exit(0);
}

/*
 * Revocation racing the owners' own unmaps must not free a memory type
 * twice, or reserve one that conflicts: four processes map 64 shares of
 * one page and unmap them in one call (one of them also has mremap(2)
 * fail on each) as the adapter is unbound, bound again 30 ms later. PAT
 * would complain in the kernel log ("freeing invalid memtype", "conflicting
 * memory types", ...).
 */
TEST_F_TIMEOUT(revoke, revoke_racing_unmaps_leaves_pat_bookkeeping_intact, 120)
{
	volatile int *unbinds = mmap(NULL, page_size(), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const time_t end = time(NULL) + 15;
	char node[PATH_MAX], first[512] = "";
	pid_t pids[4];
	int kmsg, i, binds = 0, n;

	ASSERT_NE(MAP_FAILED, (void *)unbinds);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);
	set_dyndbg(false);
	fflush(NULL);
	for (i = 0; i < 4; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			map_unmap_loop(self->bdf, end, unbinds, i == 3);
	}
	while (time(NULL) < end) {
		usleep(30 * 1000);
		/* the owners unmap as the unbind zaps */
		(*unbinds)++;
		if (unbind_device(self->bdf))
			break;
		usleep(30 * 1000);
		if (rebind_device(self->bdf, node, sizeof(node)))
			break;
		binds++;
	}
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	set_dyndbg(true);
	ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
	EXPECT_LT(10, binds);
	n = kmsg_complaints(kmsg, first, sizeof(first));
	EXPECT_EQ(0, n) TH_LOG("%d PAT complaints, the first: %s", n, first);
	close(kmsg);
	ksft_print_msg("%d unbinds and binds\n", binds);
}

/*
 * The regions inside the BARs of the adapter at PCI address @bdf that name
 * vidshare in /proc/iomem and /proc/ioports (other adapters may be bound
 * to vidshare too), or -1 if a file cannot be read whole. A region claimed
 * without devres outlives the unbind (and its name, in the module, the
 * rmmod), as pci_request_region() after pcim_enable_device() does from 6.16.
 */
static int vidshare_regions(const char *bdf)
{
	static const char *const files[] = { "/proc/iomem", "/proc/ioports" };
	struct pci_bar bars[PCI_BARS];
	unsigned long long start, end;
	char *line, *save = NULL;
	unsigned int i, b;
	int n = 0;

	if (pci_bars(bdf, bars) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		if (read_file(files[i], procbuf, sizeof(procbuf)) < 0)
			return -1;
		for (line = strtok_r(procbuf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			/* /proc shows the last address of a range, not its end */
			if (!strstr(line, ": vidshare") ||
			    sscanf(line, " %llx-%llx", &start, &end) != 2)
				continue;
			for (b = 0; b < PCI_BARS; b++)
				if (bars[b].end && start >= bars[b].start && end < bars[b].end)
					n++;
		}
	}
	return n;
}

TEST_F(revoke, unbind_releases_every_region)
{
	int before = vidshare_regions(self->bdf);

	/* The claim is there to be seen, so that its absence means something. */
	ASSERT_LT(0, before) TH_LOG("no region of %s names vidshare while bound", self->bdf);
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(0, vidshare_regions(self->bdf))
		TH_LOG("/proc/iomem and /proc/ioports still name vidshare after the unbind");
}

TEST_F(revoke, unbind_and_bind_three_times_in_a_row)
{
	const int regions = vidshare_regions(self->bdf);
	struct vidshare_share s;
	char node[PATH_MAX];
	int i, fd;

	ASSERT_LT(0, regions);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, unbind_device(self->bdf)) TH_LOG("unbind %d", i);
		EXPECT_EQ(0, vidshare_regions(self->bdf)) TH_LOG("after unbind %d", i);
		ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node))) TH_LOG("bind %d", i);
		EXPECT_EQ(regions, vidshare_regions(self->bdf)) TH_LOG("after bind %d", i);
		fd = open(node, O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("open(%s) after bind %d", node, i);
		ASSERT_EQ(0, vs_share(fd, i * self->page, self->page, 0, 0, &s));
		*share_ptr(&s) = 0x5a + i;
		EXPECT_EQ(0x5a + i, *share_ptr(&s));
		EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
		EXPECT_EQ(0, close(fd));
	}
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(0, vidshare_regions(self->bdf));
}

TEST_F(revoke, revoke_info_reports_revoked_flag)
{
	struct vidshare_share s;
	struct vidshare_info info;

	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, 0, 0, &s));
	ASSERT_EQ(0, unbind_device(self->bdf));
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(VIDSHARE_INFO_REVOKED, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ((__u32)VIDSHARE_API_VERSION, info.api_version);
	EXPECT_EQ(self->info.vendor, info.vendor);
	EXPECT_EQ(self->info.device, info.device);
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(revoke, revoke_share_fails_enodev)
{
	struct vidshare_share s, t;
	int n;

	ASSERT_EQ(0, vs_share(self->fd, 0, self->page, 0, 0, &s));
	ASSERT_EQ(0, unbind_device(self->bdf));
	n = count_vmas();
	EXPECT_EQ(ENODEV, vs_share(self->fd, 0, self->page, 0, 0, &t));
	EXPECT_EQ(ENODEV, vs_share(self->fd, 100, 50, VIDSHARE_SHARE_READONLY, 0, &t));
	EXPECT_EQ(n, count_vmas());
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
}

TEST_F(revoke, revoke_get_and_set_mode_fail_enodev)
{
	/* Without a mode interface they fail with EOPNOTSUPP, before and after. */
	const int after = expected()->modes ? ENODEV : EOPNOTSUPP;
	struct vidshare_mode m;

	ASSERT_EQ(expected()->modes ? 0 : EOPNOTSUPP, vs_get_mode(self->fd, &m));
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(after, vs_get_mode(self->fd, &m));
	EXPECT_EQ(after, vs_set_mode(self->fd, 640, 480, 32));
}

TEST_F(revoke, revoke_unshare_munmap_and_close_succeed)
{
	struct vidshare_share s;
	volatile uint8_t *m;

	ASSERT_EQ(0, vs_share(self->fd, 100, 50, 0, 0, &s));
	m = dev_mmap(self->fd, 0, self->page, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_EQ(0, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(ENOMEM, mincore_errno(s.virtual_addr));
	EXPECT_EQ(ENOENT, vs_unshare(self->fd, s.virtual_addr));
	EXPECT_EQ(0, munmap((void *)m, self->page));
	EXPECT_EQ(ENOMEM, mincore_errno((uintptr_t)m));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
}

TEST_F(revoke, revoke_removes_device_node)
{
	char name[64];

	ASSERT_EQ(0, unbind_device(self->bdf));
	EXPECT_TRUE(wait_path(self->node, false, REBIND_TIMEOUT_MS))
		TH_LOG("%s still exists", self->node);
	EXPECT_EQ(-ENOENT, find_class_dev(self->bdf, name, sizeof(name)));
	EXPECT_FALSE(driver_bound(self->bdf));
}

TEST_F(revoke, rebind_after_revoke_shares_again)
{
	const uint64_t p = self->page;
	struct vidshare_share old, s;
	struct vidshare_info info;
	volatile uint8_t *m;
	char node[PATH_MAX];
	uint32_t seed = new_seed();
	int fd;

	ASSERT_EQ(0, vs_share(self->fd, 100, 50, 0, 0, &old));
	ASSERT_EQ(0, unbind_device(self->bdf));
	ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open(%s) failed", node);
	ASSERT_EQ(0, vs_info(fd, &info));
	EXPECT_EQ(0U, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ(self->info.fb_size, info.fb_size);

	ASSERT_EQ(0, vs_share(fd, 2 * p + 77, 300, 0, 0, &s));
	m = dev_mmap(fd, 2 * p, p, PROT_READ | PROT_WRITE);
	ASSERT_TRUE(m != NULL);
	fill(share_ptr(&s), 300, seed);
	EXPECT_EQ(-1, mismatch(m + 77, 300, seed));
	fill(m + 77, 300, ~seed);
	EXPECT_EQ(-1, mismatch(share_ptr(&s), 300, ~seed));
	EXPECT_EQ(0, munmap((void *)m, p));
	EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
	EXPECT_EQ(0, close(fd));

	/* the share of the old binding is still revoked and can be ended */
	EXPECT_EQ(SIGBUS, probe_read(share_ptr(&old)));
	EXPECT_EQ(0, vs_unshare(self->fd, old.virtual_addr));
}

TEST_F(revoke, old_fd_stays_revoked_after_rebind)
{
	struct vidshare_share s;
	struct vidshare_info info;
	char node[PATH_MAX];

	ASSERT_EQ(0, unbind_device(self->bdf));
	ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
	ASSERT_EQ(0, vs_info(self->fd, &info));
	EXPECT_EQ(VIDSHARE_INFO_REVOKED, info.flags & VIDSHARE_INFO_REVOKED);
	EXPECT_EQ(ENODEV, vs_share(self->fd, 0, self->page, 0, 0, &s));
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
}

/* ------------------------------------------------------------------ */
/* Fixture "module": rmmod and insmod; after "revoke", the very last    */
/* ------------------------------------------------------------------ */

#define MODULE_DIR		"/sys/module/vidshare"

/* The vidshare.ko to load again: $VIDSHARE_MODULE, else /lib/modules/vidshare.ko. */
static const char *module_path(void)
{
	const char *p = getenv("VIDSHARE_MODULE");

	return p && *p ? p : "/lib/modules/vidshare.ko";
}

static int module_load(void)
{
	int fd = open(module_path(), O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = errno;
	close(fd);
	return ret;
}

/* rmmod: 0 or the errno; never waits for the module's users. */
static int module_unload(void)
{
	return syscall(SYS_delete_module, "vidshare", O_NONBLOCK) ? errno : 0;
}

/* Is anything of vidshare left once it is unloaded? NULL if not. */
static const char *module_leftover(const char *bdf)
{
	char path[PATH_MAX];

	if (!access(MODULE_DIR, F_OK))
		return MODULE_DIR;
	if (!access(CLASS_DIR, F_OK))
		return CLASS_DIR;
	if (!access(VIDSHARE_DEBUGFS, F_OK))
		return VIDSHARE_DEBUGFS;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (!access(path, F_OK))
		return "a driver for the adapter";
	if (read_file("/proc/iomem", procbuf, sizeof(procbuf)) < 0 || strstr(procbuf, "vidshare"))
		return "/proc/iomem";
	if (read_file("/proc/ioports", procbuf, sizeof(procbuf)) < 0 || strstr(procbuf, "vidshare"))
		return "/proc/ioports";
	return NULL;
}

FIXTURE(module) {
	char bdf[64];
	char node[PATH_MAX];
	uint64_t page;
};

FIXTURE_SETUP(module)
{
	char name[64];

	self->page = page_size();
	if (access(module_path(), R_OK))
		SKIP(return, "no %s to load again (set VIDSHARE_MODULE)", module_path());
	ASSERT_EQ(0, access(MODULE_DIR, F_OK)) TH_LOG("vidshare is not loaded");
	ASSERT_EQ(0, find_class_dev(NULL, name, sizeof(name)));
	ASSERT_EQ(0, class_dev_bdf(name, self->bdf, sizeof(self->bdf)));
	snprintf(self->node, sizeof(self->node), "/dev/%s", name);
}

/* In the parent: leave vidshare loaded and bound for whatever runs next. */
FIXTURE_TEARDOWN_PARENT(module)
{
	char node[PATH_MAX];
	int ret;

	if (!self->bdf[0])
		return;
	if (access(MODULE_DIR, F_OK)) {
		ret = module_load();
		EXPECT_EQ(0, ret) TH_LOG("could not load %s again", module_path());
	}
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
}

TEST_F(module, rmmod_fails_while_a_file_is_open)
{
	struct vidshare_share s;
	int fd = open(self->node, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(EWOULDBLOCK, module_unload());
	EXPECT_EQ(0, access(MODULE_DIR, F_OK));
	/* Nothing changed for the open file. */
	ASSERT_EQ(0, vs_share(fd, 0, self->page, 0, 0, &s));
	*share_ptr(&s) = 0x42;
	EXPECT_EQ(0x42, *share_ptr(&s));
	EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_F(module, rmmod_fails_while_a_share_outlives_its_file_then_succeeds)
{
	struct vidshare_share s;
	char node[PATH_MAX];
	int fd = open(self->node, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vs_share(fd, 2 * self->page, self->page, 0, 0, &s));
	ASSERT_EQ(0, close(fd));
	EXPECT_EQ(EWOULDBLOCK, module_unload());
	*share_ptr(&s) = 0x24;
	EXPECT_EQ(0x24, *share_ptr(&s));
	ASSERT_EQ(0, munmap(share_base(&s), self->page));

	ASSERT_EQ(0, module_unload());
	EXPECT_EQ(NULL, module_leftover(self->bdf));
	ASSERT_EQ(0, module_load());
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
}

TEST_F_TIMEOUT(module, load_and_unload_100_times_leaves_nothing, 300)
{
	const uint64_t phys = bar_phys(self->node, 0);
	const char *left;
	char node[PATH_MAX];
	struct vidshare_share s;
	int i, fd;

	ASSERT_NE(0ULL, phys);
	ASSERT_EQ(0, module_unload());
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, module_load()) TH_LOG("load %d", i);
		ASSERT_EQ(0, rebind_device(self->bdf, node, sizeof(node))) TH_LOG("load %d", i);
		fd = open(node, O_RDWR);
		ASSERT_LE(0, fd) TH_LOG("load %d", i);
		ASSERT_EQ(0, vs_share(fd, i * self->page, self->page, 0, 0, &s));
		*share_ptr(&s) = i;
		EXPECT_EQ(i, *share_ptr(&s));
		EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
		EXPECT_EQ(0, close(fd));
		ASSERT_EQ(0, module_unload()) TH_LOG("unload %d", i);
		left = module_leftover(self->bdf);
		ASSERT_EQ(NULL, left) TH_LOG("after unload %d: %s is left", i, left);
	}
	/* No memory type of the frame buffer stays reserved either. */
	if (!access(PAT_MEMTYPE_LIST, R_OK)) {
		ASSERT_LE(0, read_file(PAT_MEMTYPE_LIST, procbuf, sizeof(procbuf)));
		EXPECT_FALSE(mentions_phys(procbuf, phys));
	}
	ASSERT_EQ(0, module_load());
	EXPECT_EQ(0, rebind_device(self->bdf, node, sizeof(node)));
}

TEST_F(module, reload_binds_the_adapter_again_and_leaves_proc_readable)
{
	char name[64], node[PATH_MAX];
	struct vidshare_share s;
	int fd;

	ASSERT_LT(0, vidshare_regions(self->bdf));
	ASSERT_EQ(0, module_unload());
	/* Both files read whole, with nothing of vidshare: no name of its. */
	EXPECT_EQ(0, vidshare_regions(self->bdf)) TH_LOG("/proc/iomem or /proc/ioports after rmmod");
	EXPECT_EQ(NULL, module_leftover(self->bdf));
	ASSERT_EQ(0, module_load());
	/* The module's own id table binds the adapter: nothing else asks it to. */
	ASSERT_EQ(0, wait_class_dev(self->bdf, name, sizeof(name), REBIND_TIMEOUT_MS))
		TH_LOG("%s was not bound again by the reloaded module", self->bdf);
	snprintf(node, sizeof(node), "/dev/%s", name);
	ASSERT_TRUE(wait_path(node, true, REBIND_TIMEOUT_MS));
	EXPECT_LT(0, vidshare_regions(self->bdf));
	fd = open(node, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, vs_share(fd, 0, self->page, 0, 0, &s));
	*share_ptr(&s) = 0x77;
	EXPECT_EQ(0x77, *share_ptr(&s));
	EXPECT_EQ(0, vs_unshare(fd, s.virtual_addr));
	EXPECT_EQ(0, close(fd));
}

TEST_HARNESS_MAIN
