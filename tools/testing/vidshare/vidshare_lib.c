// SPDX-License-Identifier: GPL-2.0
/*
 * The library of vidshare's userspace tests: see vidshare_lib.h.
 */
#include "vidshare_lib.h"

char procbuf[1 << 18];

const char *dev_path(void)
{
	const char *p = getenv("VIDSHARE_DEV");

	return p && *p ? p : "/dev/vidshare0";
}

uint64_t page_size(void)
{
	static uint64_t ps;

	if (!ps)
		ps = (uint64_t)sysconf(_SC_PAGESIZE);
	return ps;
}

uint64_t pg_down(uint64_t x)
{
	return x & ~(page_size() - 1);
}

uint64_t pg_up(uint64_t x)
{
	return pg_down(x + page_size() - 1);
}

int vs_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

/*
 * An ioctl on an argument of @type built in place from designated
 * initializers, the rest of it zero.
 */
#define VS_IOCTL_ON(fd, cmd, type, ...) \
	vs_ioctl(fd, cmd, &(type) { __VA_ARGS__ })

int vs_share_raw(int fd, struct vidshare_share *s)
{
	return vs_ioctl(fd, VIDSHARE_IOC_SHARE, s);
}

int vs_share(int fd, uint64_t off, uint64_t size, uint32_t flags,
		    uint64_t req, struct vidshare_share *s)
{
	memset(s, 0, sizeof(*s));
	s->view_offset = off;
	s->view_size = size;
	s->requested_addr = req;
	s->flags = flags;
	return vs_share_raw(fd, s);
}

int vs_unshare_raw(int fd, uint64_t addr, uint32_t flags, uint32_t reserved)
{
	return VS_IOCTL_ON(fd, VIDSHARE_IOC_UNSHARE, struct vidshare_unshare,
			   .virtual_addr = addr, .flags = flags, .reserved = reserved);
}

int vs_unshare(int fd, uint64_t addr)
{
	return vs_unshare_raw(fd, addr, 0, 0);
}

/*
 * An ioctl that fills in *@arg: the driver must write every byte it
 * reports, so what it leaves alone stays 0xa5 for the test to see.
 */
static int vs_ioctl_out(int fd, unsigned long cmd, void *arg, size_t size)
{
	memset(arg, 0xa5, size);
	return vs_ioctl(fd, cmd, arg);
}

int vs_info(int fd, struct vidshare_info *info)
{
	return vs_ioctl_out(fd, VIDSHARE_IOC_INFO, info, sizeof(*info));
}

int vs_get_mode(int fd, struct vidshare_mode *m)
{
	return vs_ioctl_out(fd, VIDSHARE_IOC_GET_MODE, m, sizeof(*m));
}

int vs_set_mode(int fd, uint32_t width, uint32_t height, uint32_t bpp)
{
	return VS_IOCTL_ON(fd, VIDSHARE_IOC_SET_MODE, struct vidshare_mode,
			   .width = width, .height = height, .bpp = bpp);
}

volatile uint8_t *share_ptr(const struct vidshare_share *s)
{
	return (volatile uint8_t *)(uintptr_t)s->virtual_addr;
}

void *share_base(const struct vidshare_share *s)
{
	return (void *)(uintptr_t)pg_down(s->virtual_addr);
}

volatile uint8_t *dev_mmap(int fd, uint64_t off, size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

int mmap_errno(int fd, uint64_t off, size_t len, int prot, int flags)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p == MAP_FAILED)
		return errno;
	munmap(p, len);
	return 0;
}

uint8_t *anon_map(size_t pages)
{
	void *p = mmap(NULL, pages * page_size(), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

uint64_t free_range(size_t pages)
{
	uint8_t *p = anon_map(pages);

	if (!p)
		return 0;
	munmap(p, pages * page_size());
	return (uintptr_t)p;
}

int open_dev(int flags)
{
	return open(dev_path(), flags);
}

uint32_t new_seed(void)
{
	static uint32_t n;
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((uint32_t)getpid() << 12) ^ (uint32_t)ts.tv_nsec ^ (++n * 0x9e3779b9u);
}

uint8_t pattern_byte(uint32_t seed, size_t i)
{
	uint32_t x = seed + (uint32_t)i * 0x9e3779b9u;

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	return (uint8_t)x;
}

void fill(volatile uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pattern_byte(seed, i);
	/* Drain write-combining buffers before anyone looks elsewhere. */
	__sync_synchronize();
}

long mismatch(const volatile uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	__sync_synchronize();
	for (i = 0; i < n; i++)
		if (p[i] != pattern_byte(seed, i))
			return (long)i;
	return -1;
}

__thread sigjmp_buf *probe_jmp;
__thread volatile sig_atomic_t probe_sig;
volatile uint8_t probe_sink;

void probe_handler(int sig)
{
	if (!probe_jmp) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	probe_sig = sig;
	siglongjmp(*probe_jmp, 1);
}

void probe_catch(struct sigaction *old_segv, struct sigaction *old_bus)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = probe_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, old_segv);
	sigaction(SIGBUS, &sa, old_bus);
}

void probe_uncatch(const struct sigaction *old_segv, const struct sigaction *old_bus)
{
	sigaction(SIGSEGV, old_segv, NULL);
	sigaction(SIGBUS, old_bus, NULL);
}

int probe(volatile uint8_t *p, bool write)
{
	struct sigaction old_segv, old_bus;
	sigjmp_buf env;

	probe_catch(&old_segv, &old_bus);
	probe_sig = 0;
	if (!sigsetjmp(env, 1)) {
		probe_jmp = &env;
		if (write)
			*p = 0x5a;
		else
			probe_sink = *p;
		__sync_synchronize();
	}
	probe_jmp = NULL;
	probe_uncatch(&old_segv, &old_bus);
	return probe_sig;
}

int probe_read(volatile uint8_t *p)
{
	return probe(p, false);
}

int probe_write(volatile uint8_t *p)
{
	return probe(p, true);
}

int mincore_errno(uint64_t addr)
{
	unsigned char vec;

	return mincore((void *)(uintptr_t)pg_down(addr), page_size(), &vec) ? errno : 0;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		r = read(fd, buf + len, size - 1 - len);
		if (r < 0) {
			r = -errno;
			close(fd);
			return r;
		}
		if (!r)
			break;
		len += r;
	}
	buf[len] = '\0';
	close(fd);
	return len;
}

long self_status(const char *name)
{
	size_t n = strlen(name);
	const char *l;

	if (read_file("/proc/self/status", procbuf, sizeof(procbuf)) < 0)
		return -1;
	for (l = procbuf; l; l = strchr(l, '\n')) {
		if (*l == '\n')
			l++;
		if (!strncmp(l, name, n) && l[n] == ':')
			return strtol(l + n + 1, NULL, 10);
	}
	return -1;
}

int write_file(const char *path, const char *str)
{
	ssize_t len = strlen(str), r;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	r = write(fd, str, len);
	if (r < 0)
		err = -errno;
	else if (r != len)
		err = -EIO;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

int read_uint(const char *path, unsigned int *val)
{
	char buf[64];
	ssize_t r = read_file(path, buf, sizeof(buf));

	if (r < 0)
		return r;
	return sscanf(buf, "%u", val) == 1 ? 0 : -EINVAL;
}

int set_max_shares(unsigned int val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u\n", val);
	return write_file(MAX_SHARES_PARAM, buf);
}

int read_bars(const char *path, struct pci_bar bars[PCI_BARS])
{
	char buf[2048], *line = buf;
	unsigned long long s, e;
	int n;

	memset(bars, 0, PCI_BARS * sizeof(*bars));
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -ENOENT;
	for (n = 0; n < PCI_BARS && line; n++) {
		if (sscanf(line, "%llx %llx %llx", &s, &e, &bars[n].flags) != 3)
			break;
		if (s && e > s) {
			bars[n].start = s;
			bars[n].end = e + 1;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return n;
}

int class_bars(const char *node, struct pci_bar bars[PCI_BARS])
{
	const char *base = strrchr(node, '/');
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), CLASS_DIR "/%s/device/resource",
		     base ? base + 1 : node) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return read_bars(path, bars);
}

int pci_bars(const char *bdf, struct pci_bar bars[PCI_BARS])
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), PCI_DIR "/%s/resource", bdf) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return read_bars(path, bars);
}

int bar_range(const char *node, int bar, uint64_t *start, uint64_t *end)
{
	struct pci_bar bars[PCI_BARS];
	int n = class_bars(node, bars);

	*start = *end = 0;
	if (n < 0)
		return n;
	if (bar < 0 || bar >= n)
		return -ENOENT;
	if (bars[bar].start && (bars[bar].flags & 0x200)) {	/* IORESOURCE_MEM */
		*start = bars[bar].start;
		*end = bars[bar].end;
	}
	return 0;
}

uint64_t bar_phys(const char *dev, int bar)
{
	uint64_t start, end;

	return bar_range(dev, bar, &start, &end) ? 0 : start;
}

int pat_overlapping(uint64_t start, uint64_t end, struct pat_ent *e, int max)
{
	unsigned long long s, stop;
	char t[32], *line, *save = NULL;
	ssize_t r;
	int n = 0;

	r = read_file(PAT_MEMTYPE_LIST, procbuf, sizeof(procbuf));
	if (r < 0)
		return r;
	/* A list that fills the buffer may go on: never judge half of it. */
	if (r >= (ssize_t)sizeof(procbuf) - 1)
		return -E2BIG;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		/* the list shows [start, end) */
		if (sscanf(line, "PAT: [mem 0x%llx-0x%llx] %31s", &s, &stop, t) != 3)
			continue;
		if (s >= end || stop <= start)
			continue;
		if (n < max) {
			e[n].start = s;
			e[n].end = stop;
			snprintf(e[n].type, sizeof(e[n].type), "%s", t);
		}
		n++;
	}
	return n;
}

int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

bool pat_complaint(const char *line)
{
	static const char *const what[] = {
		"failed", "invalid memtype", "conflicting memory types", "map pfn",
		"Incorrect memtype",
	};
	const char *pat = strstr(line, "x86/PAT: ");
	size_t i;

	for (i = 0; pat && i < sizeof(what) / sizeof(what[0]); i++)
		if (strstr(pat, what[i]))
			return true;
	return false;
}

int kmsg_complaints(int fd, char *first, size_t size)
{
	char rec[2048];
	int n = 0, lost = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE) {
			lost = 1;	/* overwritten before we read it; go on */
			continue;
		}
		if (r <= 0)
			break;
		rec[r] = '\0';
		if (pat_complaint(rec) && !n++ && size) {
			size_t len = strlen(rec) < size - 1 ? strlen(rec) : size - 1;

			memcpy(first, rec, len);
			first[len] = '\0';
		}
	}
	return n ? n : lost ? -EPIPE : 0;
}

const char *adapter_memtype(const struct vidshare_info *info)
{
	return info->flags & VIDSHARE_INFO_WC ? "wc" : "uc-";
}

const char *memtype_name(bool wc)
{
	return wc ? "write-combining" : "uncached-minus";
}

int for_each_share_row(const char *dev, void (*fn)(const struct share_row *, void *),
			      void *arg)
{
	const char *node = strrchr(dev, '/');
	char path[PATH_MAX], line[256];
	struct share_row r;
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), VIDSHARE_DEBUGFS "/%s/shares", node ? node + 1 : dev);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strncmp(line, "file\tpid\tstart\tsize\toffset\tflags\n", 33)) {
		fclose(f);
		return -EPROTO;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u\t%d\t%llx\t%llx\t%llx\t%7s", &r.file, &r.pid, &r.start,
			   &r.size, &r.offset, r.flags) != 6) {
			fclose(f);
			return -EPROTO;
		}
		if (fn)
			fn(&r, arg);
		n++;
	}
	fclose(f);
	return n;
}

void match_row(const struct share_row *r, void *arg)
{
	struct row_match *m = arg;

	if ((!m->pid || r->pid == m->pid) && (!m->start || r->start == m->start)) {
		m->n++;
		m->last = *r;
	}
}

int debugfs_count(const char *dev, int pid)
{
	struct row_match m = { .pid = pid };
	int ret = for_each_share_row(dev, match_row, &m);

	return ret < 0 ? ret : m.n;
}

int debugfs_row(const char *dev, uint64_t start, struct share_row *row)
{
	struct row_match m = { .pid = getpid(), .start = start };
	int ret = for_each_share_row(dev, match_row, &m);

	if (ret < 0)
		return ret;
	if (m.n != 1)
		return -ESRCH;
	*row = m.last;
	return 0;
}

bool mentions_phys(const char *text, uint64_t phys)
{
	char hex[24], dec[24];
	const char *p;

	snprintf(hex, sizeof(hex), "%llx", (unsigned long long)phys);
	snprintf(dec, sizeof(dec), "%llu", (unsigned long long)phys);
	for (p = text; *p; p++)
		if (!strncasecmp(p, hex, strlen(hex)) || !strncmp(p, dec, strlen(dec)))
			return true;
	return false;
}

int find_vma(uint64_t addr, struct vma_desc *v)
{
	ssize_t r = read_file("/proc/self/maps", procbuf, sizeof(procbuf));
	char *line, *save;

	if (r < 0)
		return r;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx-%lx %7s", &v->start, &v->end, v->perms) != 3)
			continue;
		if (addr >= v->start && addr < v->end)
			return 0;
	}
	return -ESRCH;
}

int count_vmas(void)
{
	ssize_t r = read_file("/proc/self/maps", procbuf, sizeof(procbuf));
	int n = 0;
	char *c;

	if (r < 0)
		return r;
	for (c = procbuf; *c; c++)
		n += *c == '\n';
	return n;
}

int vma_flags(uint64_t addr, char *flags, size_t size)
{
	ssize_t r = read_file("/proc/self/smaps", procbuf, sizeof(procbuf));
	unsigned long start, end;
	bool in_vma = false;
	char *line, *save;

	if (r < 0)
		return r;
	for (line = strtok_r(procbuf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			in_vma = addr >= start && addr < end;
			continue;
		}
		if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			snprintf(flags, size, " %s ", line + 8);
			return 0;
		}
	}
	return -ESRCH;
}

bool has_flag(const char *flags, const char *flag)
{
	char needle[8];

	snprintf(needle, sizeof(needle), " %s ", flag);
	return strstr(flags, needle) != NULL;
}

int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int send_fd(int sock, int fd, const void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(cbuf, 0, sizeof(cbuf));
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	n = sendmsg(sock, &msg, 0);
	if (n < 0)
		return errno;
	return n == (ssize_t)len ? 0 : EIO;
}

int recv_fd(int sock, void *data, size_t len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)len)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int)))
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

int class_dev_bdf(const char *name, char *bdf, size_t size)
{
	char path[PATH_MAX], real[PATH_MAX];
	const char *base;

	snprintf(path, sizeof(path), CLASS_DIR "/%s/device", name);
	if (!realpath(path, real))
		return -errno;
	base = strrchr(real, '/');
	base = base ? base + 1 : real;
	if (strlen(base) >= size)
		return -ENAMETOOLONG;
	snprintf(bdf, size, "%s", base);
	return 0;
}

int find_class_dev(const char *bdf, char *name, size_t size)
{
	struct dirent *de;
	char b[64];
	DIR *dir;
	int ret = -ENOENT;

	dir = opendir(CLASS_DIR);
	if (!dir)
		return -ENOENT;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= size)
			continue;
		if (class_dev_bdf(de->d_name, b, sizeof(b)))
			continue;
		if (bdf && strcmp(b, bdf))
			continue;
		snprintf(name, size, "%s", de->d_name);
		ret = 0;
		break;
	}
	closedir(dir);
	return ret;
}

int wait_class_dev(const char *bdf, char *name, size_t size, int timeout_ms)
{
	int waited;

	for (waited = 0; ; waited += 50) {
		if (!find_class_dev(bdf, name, size))
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(50 * 1000);
	}
}

bool wait_path(const char *path, bool exists, int timeout_ms)
{
	int waited;

	for (waited = 0; ; waited += 50) {
		if ((access(path, F_OK) == 0) == exists)
			return true;
		if (waited >= timeout_ms)
			return false;
		usleep(50 * 1000);
	}
}

bool driver_bound(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), DRIVER_DIR "/%s", bdf);
	return !access(path, F_OK);
}

int unbind_device(const char *bdf)
{
	return write_file(DRIVER_DIR "/unbind", bdf);
}

int bind_device(const char *bdf)
{
	return write_file(DRIVER_DIR "/bind", bdf);
}

int rebind_device(const char *bdf, char *node, size_t size)
{
	char name[64];
	int ret;

	if (!driver_bound(bdf)) {
		ret = bind_device(bdf);
		if (ret)
			return ret;
	}
	ret = wait_class_dev(bdf, name, sizeof(name), REBIND_TIMEOUT_MS);
	if (ret)
		return ret;
	snprintf(node, size, "/dev/%s", name);
	return wait_path(node, true, REBIND_TIMEOUT_MS) ? 0 : -ETIMEDOUT;
}

int find_adapter(char *bdf, size_t bdf_size, char *node, size_t node_size)
{
	const char *path = dev_path(), *base = strrchr(path, '/');
	const char *pci = getenv("VIDSHARE_PCI");
	char name[64];
	int ret;

	if (pci && *pci) {
		snprintf(bdf, bdf_size, "%s", pci);
		return rebind_device(bdf, node, node_size);
	}
	if (!class_dev_bdf(base ? base + 1 : path, bdf, bdf_size)) {
		snprintf(node, node_size, "%s", path);
		return 0;
	}
	ret = find_class_dev(NULL, name, sizeof(name));
	if (!ret)
		ret = class_dev_bdf(name, bdf, bdf_size);
	if (!ret)
		snprintf(node, node_size, "/dev/%s", name);
	return ret;
}
