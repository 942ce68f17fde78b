// SPDX-License-Identifier: GPL-2.0
/*
 * vidsharectl - drive /dev/vidshareN from the command line.
 *
 * Shares views of a PCI display adapter's frame buffer into this process
 * (IOCTL_VIDEO_SHARE_VIDEO_MEMORY / IOCTL_VIDEO_UNSHARE_VIDEO_MEMORY on
 * Windows), reads, writes and draws through them, and gets or sets the
 * adapter's mode. Commands chained with a lone '+' run in order in this one
 * process, so the shares one command makes stay alive for the next ones.
 * Lists the display adapters and moves one to vidshare and back through
 * sysfs.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <linux/vidshare.h>

/* The project's version, from dkms.conf (tools/vidshare/Makefile). */
#ifndef VIDSHARE_VERSION
#define VIDSHARE_VERSION "unknown"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Exit status, see usage(). */
enum { RC_OK, RC_FAIL, RC_USAGE, RC_NODEV, RC_CONSOLE };

/* Frame-buffer accesses at any byte offset. */
typedef __u32 __attribute__((aligned(1))) u32_un;
typedef __u16 __attribute__((aligned(1))) u16_un;

static int dev_fd = -1;
static bool json;

/* What to open: a device node, or the node of the adapter at a PCI address. */
static const char *dev_path;
static const char *slot;
static bool dev_read_only;

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"
#define BDF_LEN		24	/* "DDDDDDDD:BB:DD.F" and its NUL, with room */

/* A live share made by this process; the newest one is the current share. */
struct share {
	struct share *next;
	struct vidshare_share s;
};

static struct share *shares;

/* Requests whose errno gets a specific explanation. */
enum {
	OP_OPEN		= 1 << 0,
	OP_INFO		= 1 << 1,
	OP_SHARE	= 1 << 2,
	OP_UNSHARE	= 1 << 3,
	OP_GET_MODE	= 1 << 4,
	OP_SET_MODE	= 1 << 5,
	OP_MODE		= OP_GET_MODE | OP_SET_MODE,
	OP_IOCTL	= OP_INFO | OP_SHARE | OP_UNSHARE | OP_MODE,
};

static const struct {
	unsigned int ops;
	int err;
	const char *msg;
} explanations[] = {
	{ OP_OPEN, ENOENT, "no such device (is vidshare loaded and bound?)" },
	{ OP_OPEN, ENXIO, "no such device (is vidshare loaded and bound?)" },
	{ OP_OPEN, EACCES, "permission denied" },
	{ OP_SHARE, EINVAL, "bad view, flags or address: the view must lie inside [0, fb_size), "
			    "size > 0, FIXED needs a page-aligned address" },
	{ OP_SHARE, EEXIST, "FIXED address overlaps an existing mapping" },
	{ OP_SHARE, EACCES, "writable share on a read-only open; use --readonly" },
	{ OP_SHARE, ENOSPC, "too many live shares on this file (max_shares)" },
	{ OP_SHARE, ENOMEM, "out of memory or of address space for the mapping" },
	{ OP_SHARE, EPERM, "address not permitted (below vm.mmap_min_addr or denied by a "
			   "security policy)" },
	{ OP_UNSHARE, ENOENT, "not a live share of this file in this process" },
	{ OP_MODE, EOPNOTSUPP, "this adapter has no known mode interface" },
	{ OP_SET_MODE, EINVAL, "unsupported mode" },
	{ OP_OPEN | OP_IOCTL, ENODEV, "the adapter is gone (unbound or unplugged)" },
	{ OP_IOCTL, ENOTTY, "not a vidshare device (unknown ioctl)" },
};

#define E(e)	{ e, #e }
static const struct {
	int err;
	const char *name;
} errnames[] = {
	E(EPERM), E(ENOENT), E(EINTR), E(EIO), E(ENXIO), E(EBADF), E(EAGAIN), E(ENOMEM),
	E(EACCES), E(EFAULT), E(EBUSY), E(EEXIST), E(ENODEV), E(EINVAL), E(ENOTTY),
	E(ENOSPC), E(ERANGE), E(EOVERFLOW), E(EOPNOTSUPP),
};

#undef E

static const char *errname(int err)
{
	static char buf[24];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnames); i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static const char *explain(unsigned int op, int err)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(explanations); i++)
		if ((explanations[i].ops & op) && explanations[i].err == err)
			return explanations[i].msg;
	return strerror(err);
}

/*
 * Output: one "key: value" line per fact, or with --json one object per
 * command on one line; addresses are hex strings there, all else numbers.
 */
enum fmt {
	F_DEC,		/* decimal */
	F_HEX,		/* hex in text */
	F_ID,		/* 0x%04x in text */
	F_ADDR,		/* hex in text, hex string in JSON */
};

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void out_begin(const char *cmd)
{
	if (json) {
		printf("{\"cmd\":");
		json_str(cmd);
	}
}

static void out_str(const char *key, const char *val)
{
	if (json) {
		printf(",\"%s\":", key);
		json_str(val);
	} else {
		printf("%s: %s\n", key, val);
	}
}

/* A string that may be missing (""): "none" in text, null in JSON. */
static void out_opt(const char *key, const char *val)
{
	if (json && !*val)
		printf(",\"%s\":null", key);
	else
		out_str(key, *val ? val : "none");
}

static void out_num(enum fmt f, const char *key, unsigned long long v)
{
	if (json)
		printf(f == F_ADDR ? ",\"%s\":\"0x%llx\"" : ",\"%s\":%llu", key, v);
	else if (f == F_DEC)
		printf("%s: %llu\n", key, v);
	else
		printf(f == F_ID ? "%s: 0x%04llx\n" : "%s: 0x%llx\n", key, v);
}

static void out_end(void)
{
	if (json)
		printf("}\n");
	fflush(stdout);
}

static void out_mode(const struct vidshare_mode *m)
{
	char buf[40];

	if (json) {
		out_num(F_DEC, "width", m->width);
		out_num(F_DEC, "height", m->height);
		out_num(F_DEC, "bpp", m->bpp);
	} else {
		snprintf(buf, sizeof(buf), "%ux%ux%u", m->width, m->height, m->bpp);
		out_str("mode", buf);
	}
	out_num(F_DEC, "stride", m->stride);
}

static void out_share(const struct vidshare_share *s)
{
	out_num(F_ADDR, "virtual_addr", s->virtual_addr);
	out_num(F_DEC, "shared_offset", s->shared_offset);
	out_num(F_DEC, "shared_size", s->shared_size);
	out_num(F_DEC, "view_offset", s->view_offset);
	out_num(F_DEC, "view_size", s->view_size);
}

/* Report that command @cmd failed with @err; returns RC_FAIL. */
static int __attribute__((format(printf, 3, 4)))
report(const char *cmd, int err, const char *fmt, ...)
{
	const char *name = errname(err);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fflush(stdout);
	fprintf(stderr, "vidsharectl: %s: %s (%s)\n", cmd, msg, name);
	if (json) {
		out_begin(cmd);
		out_str("error", name);
		out_num(F_DEC, "errno", err);
		out_str("message", msg);
		out_end();
	}
	return RC_FAIL;
}

/*
 * sysfs: the PCI functions of display adapters (class 0x03xxxx), which
 * driver holds each, and the vidshare device of those vidshare holds.
 */
struct adapter {
	char bdf[BDF_LEN];	/* PCI address, as sysfs names it */
	unsigned int vendor, device, class;
	bool boot_vga;		/* the adapter the firmware booted on */
	char driver[64];	/* the driver that holds it, "" for none */
	char firmware[32];	/* with no driver, the firmware framebuffer on it */
	char node[32];		/* "vidshare0" if vidshare holds it, else "" */
	char model[256];
};

/* Copy @src into @dst of @size bytes, cut to fit. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The first line of file @path, without its newline, in @buf; 0 or -errno. */
static int read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	buf[0] = '\0';
	if (!f)
		return -errno;
	if (!fgets(buf, size, f) && ferror(f))
		err = errno ? -errno : -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

/* Write @s to the sysfs file @path in one write(2); 0 or -errno. */
static int write_sysfs(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(s);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, len);
	err = n < 0 ? -errno : (size_t)n == len ? 0 : -EIO;
	close(fd);
	return err;
}

/* The path of file @name of PCI function @bdf, in @path. */
static char *pci_file(char *path, size_t size, const char *bdf, const char *name)
{
	snprintf(path, size, PCI_DEVICES "/%s/%s", bdf, name);
	return path;
}

/* The last component of where symlink @path points, in @buf; "" if no link. */
static void link_name(const char *path, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	buf[0] = '\0';
	if (n <= 0)
		return;
	target[n] = '\0';
	base = strrchr(target, '/');
	copy_str(buf, size, base ? base + 1 : target);
}

/* The vidshareN of PCI function @bdf in @buf, "" if vidshare has none. */
static void vidshare_node(const char *bdf, char *buf, size_t size)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	buf[0] = '\0';
	d = opendir(pci_file(path, sizeof(path), bdf, "vidshare"));
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, "vidshare", 8)) {
			copy_str(buf, size, e->d_name);
			break;
		}
	}
	closedir(d);
}

/* "XXXX  Name" of the PCI ids database: the id, and the name in @name. */
static bool ids_line(char *s, unsigned int *id, char **name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	if (s[4] != ' ' || s[5] != ' ')
		return false;
	s[4] = '\0';
	*id = strtoul(s, NULL, 16);
	*name = s + 6;
	(*name)[strcspn(*name, "\n")] = '\0';
	return true;
}

/*
 * "Vendor Device" from the PCI ids database (pci.ids of the pci.ids or
 * hwdata package) in @buf: its vendor lines "XXXX  Name", each followed by
 * its device lines "<TAB>XXXX  Name". False when it is not installed or
 * does not know the vendor.
 */
static bool pci_ids_name(unsigned int vendor, unsigned int device, char *buf, size_t size)
{
	static const char *const paths[] = {
		"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids",
	};
	char line[512], vname[256] = "", *name;
	FILE *f = NULL;
	unsigned int id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(paths) && !f; i++)
		f = fopen(paths[i], "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		/* The device classes ("C 03  Display controller") end the list. */
		if (line[0] == 'C' && line[1] == ' ')
			break;
		if (line[0] != '\t') {
			if (*vname)
				break;
			if (ids_line(line, &id, &name) && id == vendor)
				copy_str(vname, sizeof(vname), name);
		} else if (*vname && line[1] != '\t' && ids_line(line + 1, &id, &name) &&
			   id == device) {
			snprintf(buf, size, "%s %s", vname, name);
			fclose(f);
			return true;
		}
	}
	fclose(f);
	if (*vname)
		snprintf(buf, size, "%s Device %04x", vname, device);
	return *vname;
}

/*
 * The model of @a: what vidshare took it for if it holds it, else its name
 * in the PCI ids database, else its ids.
 */
static void model_name(struct adapter *a)
{
	char path[PATH_MAX];

	if (a->node[0]) {
		snprintf(path, sizeof(path), "/sys/class/vidshare/%s/adapter", a->node);
		if (!read_line(path, a->model, sizeof(a->model)) && a->model[0])
			return;
	}
	if (!pci_ids_name(a->vendor, a->device, a->model, sizeof(a->model)))
		snprintf(a->model, sizeof(a->model), "%04x:%04x", a->vendor, a->device);
}

/* A hex number from sysfs file @name of PCI function @bdf; 0 if unreadable. */
static unsigned int pci_hex(const char *bdf, const char *name)
{
	char path[PATH_MAX], buf[32];

	if (read_line(pci_file(path, sizeof(path), bdf, name), buf, sizeof(buf)))
		return 0;
	return strtoul(buf, NULL, 16);
}

/*
 * The firmware framebuffer driver (vesafb, efifb, simplefb, simpledrm...)
 * that holds memory of one of the BARs of PCI function @bdf, in @buf, ""
 * for none: the range such a driver requests, named after it, nested in
 * /proc/iomem under the BAR's range, which has the function's name. The
 * nesting is there for users other than root too, who read every address
 * as 0.
 */
static void firmware_fb(const char *bdf, char *buf, size_t size)
{
	static const char *const drivers[] = {
		"vesafb", "efifb", "simplefb", "simpledrm", "vesadrm", "efidrm", "ofdrm", "offb",
	};
	FILE *f = fopen("/proc/iomem", "re");
	char line[256], *name;
	int depth, bar = -1;	/* the depth of the BAR line we are under */
	size_t i;

	buf[0] = '\0';
	if (!f)
		return;
	while (!*buf && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		depth = strspn(line, " ");
		name = strstr(line, " : ");
		if (!name)
			continue;
		name += 3;
		if (bar >= 0 && depth <= bar)
			bar = -1;
		if (bar < 0) {
			if (!strcmp(name, bdf))
				bar = depth;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(drivers); i++)
			if (!strcmp(name, drivers[i]))
				copy_str(buf, size, name);
	}
	fclose(f);
}

/* @a, for PCI function @bdf; 0, or -ENOENT if there is no such function. */
static int adapter_read(const char *bdf, struct adapter *a)
{
	char path[PATH_MAX], buf[8];

	memset(a, 0, sizeof(*a));
	if (access(pci_file(path, sizeof(path), bdf, "class"), F_OK))
		return -ENOENT;
	copy_str(a->bdf, sizeof(a->bdf), bdf);
	a->class = pci_hex(bdf, "class");
	a->vendor = pci_hex(bdf, "vendor");
	a->device = pci_hex(bdf, "device");
	a->boot_vga = !read_line(pci_file(path, sizeof(path), bdf, "boot_vga"), buf,
				 sizeof(buf)) && buf[0] == '1';
	link_name(pci_file(path, sizeof(path), bdf, "driver"), a->driver, sizeof(a->driver));
	if (!strcmp(a->driver, "vidshare"))
		vidshare_node(bdf, a->node, sizeof(a->node));
	if (!*a->driver && a->class >> 16 == 0x03)
		firmware_fb(bdf, a->firmware, sizeof(a->firmware));
	model_name(a);
	return 0;
}

static bool is_display(const struct adapter *a)
{
	return a->class >> 16 == 0x03;
}

/*
 * A PCI address, [DOMAIN:]BUS:DEV.FN in hex (domain 0 when left out), as
 * sysfs names it, in @out; -1 if @s is none.
 */
static int parse_bdf(const char *s, char *out, size_t size)
{
	unsigned int dom = 0, bus, dev, fn;
	int n = -1;

	if (!isxdigit((unsigned char)*s) ||
	    strspn(s, "0123456789abcdefABCDEF:.") != strlen(s))
		return -1;
	if (sscanf(s, "%8x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &n) != 4 || s[n]) {
		dom = 0;
		n = -1;
		if (sscanf(s, "%2x:%2x.%1x%n", &bus, &dev, &fn, &n) != 3 || s[n])
			return -1;
	}
	if (dev > 0x1f || fn > 7)
		return -1;
	snprintf(out, size, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

/* Options of commands; the share flags are their own bits. */
#define OPT_READONLY	VIDSHARE_SHARE_READONLY
#define OPT_FIXED	VIDSHARE_SHARE_FIXED
#define OPT_UNCACHED	VIDSHARE_SHARE_UNCACHED
#define OPT_HINT	(1U << 8)
#define OPT_KEEP	(1U << 9)
#define OPT_FORCE	(1U << 10)
#define OPT_ADDR	(OPT_FIXED | OPT_HINT)	/* options that take an ADDR */

static const struct {
	const char *name;
	unsigned int bit;
} cmd_opts[] = {
	{ "--readonly", OPT_READONLY },
	{ "--uncached", OPT_UNCACHED },
	{ "--fixed", OPT_FIXED },
	{ "--hint", OPT_HINT },
	{ "--keep", OPT_KEEP },
	{ "--force", OPT_FORCE },
};

struct cmd;

struct cmd_desc {
	const char *name;
	const char *types;	/* type of each positional argument, see parse_arg() */
	unsigned int arities;	/* bit n set: n positional arguments are accepted */
	unsigned int opts;	/* OPT_* accepted */
	int (*run)(struct cmd *c);
	const char *args;
	const char *help;
	bool no_device;		/* runs without opening the device */
};

#define ARITY(n)	(1U << (n))

struct cmd {
	const struct cmd_desc *desc;
	int nargs;
	unsigned long long num[3];	/* numeric arguments, by position */
	struct vidshare_mode mode;	/* 'm' argument */
	const char *file;		/* 'f' argument */
	char bdf[BDF_LEN];		/* 'p' argument */
	unsigned int opts;		/* OPT_* given */
	unsigned long long addr;	/* ADDR of --fixed or --hint */
};

static int xioctl(const struct cmd *c, unsigned int op, unsigned long req, void *arg)
{
	int err;

	if (!ioctl(dev_fd, req, arg))
		return RC_OK;
	err = errno;
	return report(c->desc->name, err, "%s", explain(op, err));
}

static int do_share(const struct cmd *c, __u64 off, __u64 size, __u32 flags, __u64 addr,
		    struct share **out)
{
	struct share *s = calloc(1, sizeof(*s));

	if (!s)
		return report(c->desc->name, ENOMEM, "out of memory");
	s->s.view_offset = off;
	s->s.view_size = size;
	s->s.requested_addr = addr;
	s->s.flags = flags;
	if (xioctl(c, OP_SHARE, VIDSHARE_IOC_SHARE, &s->s)) {
		free(s);
		return RC_FAIL;
	}
	s->next = shares;
	shares = s;
	*out = s;
	return RC_OK;
}

static int do_unshare(const struct cmd *c, __u64 addr)
{
	struct vidshare_unshare u = { .virtual_addr = addr };
	struct share **p, *s;

	if (xioctl(c, OP_UNSHARE, VIDSHARE_IOC_UNSHARE, &u))
		return RC_FAIL;
	for (p = &shares; *p; p = &(*p)->next) {
		if ((*p)->s.virtual_addr == addr) {
			s = *p;
			*p = s->next;
			free(s);
			break;
		}
	}
	return RC_OK;
}

/* Where frame-buffer byte @off is mapped by @s. */
static void *share_at(const struct share *s, __u64 off)
{
	return (void *)(uintptr_t)(s->s.virtual_addr + off - s->s.view_offset);
}

/* Whether @s maps frame-buffer bytes [@off, @off + @len), @len > 0. */
static bool covers(const struct share *s, __u64 off, __u64 len)
{
	__u64 rel = off - s->s.shared_offset;

	return off >= s->s.shared_offset && rel <= s->s.shared_size &&
	       len <= s->s.shared_size - rel;
}

/*
 * The current share, writable if @write, mapping [@off, @off + @len) unless
 * @len is 0; NULL after reporting why @c cannot use it.
 */
static struct share *current_share(const struct cmd *c, bool write, __u64 off, __u64 len)
{
	struct share *s = shares;

	if (!s)
		report(c->desc->name, ENOENT, "no current share: make one with share first");
	else if (write && (s->s.flags & VIDSHARE_SHARE_READONLY))
		report(c->desc->name, EACCES, "the current share is read-only");
	else if (len && !covers(s, off, len))
		report(c->desc->name, ERANGE,
		       "%llu bytes at 0x%llx are not all inside the current share [0x%llx, 0x%llx)",
		       (unsigned long long)len, (unsigned long long)off,
		       (unsigned long long)s->s.shared_offset,
		       (unsigned long long)(s->s.shared_offset + s->s.shared_size));
	else
		return s;
	return NULL;
}

/* 32-bit stores of @v over @len bytes at @dst, the tail as byte stores. */
static void fill32(void *dst, __u64 len, __u32 v)
{
	volatile u32_un *w = dst;
	volatile __u8 *b;

	for (; len >= 4; len -= 4)
		*w++ = v;
	for (b = (volatile __u8 *)w; len; len--, v >>= 8)
		*b++ = v;
}

static const __u32 bar_rgb[8] = {
	0xFFFFFF, 0xFFFF00, 0x00FFFF, 0x00FF00, 0xFF00FF, 0xFF0000, 0x0000FF, 0x000000,
};

/* The test picture: 8 color bars over the top 3/4, a gray ramp below. */
static __u32 pattern_rgb(const struct vidshare_mode *m, __u32 x, __u32 y)
{
	__u32 v;

	if (y < (__u64)m->height * 3 / 4)
		return bar_rgb[(__u64)x * 8 / m->width];
	v = m->width > 1 ? (__u64)x * 255 / (m->width - 1) : 0;
	return v * 0x010101;
}

static __u16 rgb565(__u32 rgb)
{
	return ((rgb >> 8) & 0xf800) | ((rgb >> 5) & 0x07e0) | ((rgb >> 3) & 0x001f);
}

static void draw_pattern(char *fb, const struct vidshare_mode *m)
{
	__u32 x, y;

	for (y = 0; y < m->height; y++) {
		char *line = fb + (size_t)y * m->stride;

		for (x = 0; x < m->width; x++) {
			__u32 rgb = pattern_rgb(m, x, y);

			if (m->bpp == 32)
				((volatile u32_un *)line)[x] = rgb;
			else
				((volatile u16_un *)line)[x] = rgb565(rgb);
		}
	}
}

/*
 * The PCI address and the model of the adapter of the open device, from
 * sysfs (/sys/dev/char/MAJOR:MINOR is its class device); "unknown" where
 * sysfs does not tell.
 */
static void dev_adapter(char *bdf, size_t bsize, char *model, size_t msize)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(bdf, bsize, "unknown");
	snprintf(model, msize, "unknown");
	if (fstat(dev_fd, &st) || !S_ISCHR(st.st_mode))
		return;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	link_name(path, bdf, bsize);
	if (!*bdf)
		snprintf(bdf, bsize, "unknown");
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/adapter",
		 major(st.st_rdev), minor(st.st_rdev));
	if (read_line(path, model, msize) || !*model)
		snprintf(model, msize, "unknown");
}

static int cmd_info(struct cmd *c)
{
	static const struct {
		__u32 bit;
		const char *name;
	} flags[] = {
		{ VIDSHARE_INFO_WC, "wc" },
		{ VIDSHARE_INFO_REVOKED, "revoked" },
	};
	struct vidshare_info in = { 0 };
	char bdf[BDF_LEN], model[256];
	const char *sep = "";
	size_t i;

	if (xioctl(c, OP_INFO, VIDSHARE_IOC_INFO, &in))
		return RC_FAIL;
	dev_adapter(bdf, sizeof(bdf), model, sizeof(model));
	out_begin(c->desc->name);
	out_num(F_DEC, "api_version", in.api_version);
	out_str("pci", bdf);
	out_str("model", model);
	if (json)
		printf(",\"flags\":%u,\"flag_names\":[", in.flags);
	else
		printf("flags: 0x%x", in.flags);
	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		if (in.flags & flags[i].bit) {
			printf(json ? "%s\"%s\"" : "%s %s", sep, flags[i].name);
			sep = json ? "," : "";
		}
	}
	printf(json ? "]" : "\n");
	out_num(F_ID, "vendor", in.vendor);
	out_num(F_ID, "device", in.device);
	out_num(F_ID, "subsystem_vendor", in.subsystem_vendor);
	out_num(F_ID, "subsystem_device", in.subsystem_device);
	out_num(F_DEC, "bar", in.bar);
	out_num(F_DEC, "max_shares", in.max_shares);
	out_num(F_DEC, "fb_size", in.fb_size);
	out_num(F_DEC, "width", in.width);
	out_num(F_DEC, "height", in.height);
	out_num(F_DEC, "bpp", in.bpp);
	out_num(F_DEC, "stride", in.stride);
	out_end();
	return RC_OK;
}

static int cmd_mode(struct cmd *c)
{
	struct vidshare_mode m = { 0 };

	if (c->nargs && xioctl(c, OP_SET_MODE, VIDSHARE_IOC_SET_MODE, &c->mode))
		return RC_FAIL;
	if (xioctl(c, OP_GET_MODE, VIDSHARE_IOC_GET_MODE, &m))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_mode(&m);
	out_end();
	return RC_OK;
}

static int cmd_share(struct cmd *c)
{
	struct share *s;

	if (do_share(c, c->num[0], c->num[1], c->opts & VIDSHARE_SHARE_FLAGS, c->addr, &s))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_share(&s->s);
	out_end();
	return RC_OK;
}

static int cmd_unshare(struct cmd *c)
{
	__u64 addr;

	if (c->nargs)
		addr = c->num[0];
	else if (shares)
		addr = shares->s.virtual_addr;
	else
		return report(c->desc->name, ENOENT, "no current share to unshare");
	if (do_unshare(c, addr))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_num(F_ADDR, "virtual_addr", addr);
	out_end();
	return RC_OK;
}

static int cmd_fill(struct cmd *c)
{
	bool own = c->nargs == 3;
	struct vidshare_share view;
	struct share *s = own ? NULL : current_share(c, true, 0, 0);

	if (own ? do_share(c, c->num[1], c->num[2], 0, 0, &s) : !s)
		return RC_FAIL;
	view = s->s;
	fill32(share_at(s, view.view_offset), view.view_size, c->num[0]);
	if (own && do_unshare(c, view.virtual_addr))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_num(F_DEC, "view_offset", view.view_offset);
	out_num(F_DEC, "view_size", view.view_size);
	out_num(F_HEX, "value", c->num[0]);
	out_end();
	return RC_OK;
}

static int cmd_pattern(struct cmd *c)
{
	struct vidshare_mode m = { 0 };
	struct share *s = shares;
	bool own, live;
	__u64 size;

	if (xioctl(c, OP_GET_MODE, VIDSHARE_IOC_GET_MODE, &m))
		return RC_FAIL;
	if (!m.width || !m.height)
		return report(c->desc->name, EOPNOTSUPP,
			      "no mode is set (%ux%u): set one with mode WxHxBPP",
			      m.width, m.height);
	if (m.bpp != 32 && m.bpp != 16)
		return report(c->desc->name, EOPNOTSUPP,
			      "the mode has %u bpp; the pattern needs 32 or 16", m.bpp);
	if (m.stride < (__u64)m.width * (m.bpp / 8))
		return report(c->desc->name, EINVAL,
			      "stride %u is shorter than a line of %u pixels", m.stride, m.width);
	size = (__u64)m.stride * m.height;
	own = !s || (s->s.flags & VIDSHARE_SHARE_READONLY) || !covers(s, 0, size);
	if (own && do_share(c, 0, size, 0, 0, &s))
		return RC_FAIL;
	draw_pattern(share_at(s, 0), &m);
	live = !own || (c->opts & OPT_KEEP);
	if (!live && do_unshare(c, s->s.virtual_addr))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_mode(&m);
	if (live)
		out_share(&s->s);
	out_end();
	return RC_OK;
}

static int cmd_read(struct cmd *c)
{
	__u64 off = c->num[0], n = c->nargs > 1 ? c->num[1] : 1, i;
	struct share *s = current_share(c, false, off, n * 4);
	const volatile u32_un *p;

	if (!s)
		return RC_FAIL;
	p = share_at(s, off);
	out_begin(c->desc->name);
	if (json)
		printf(",\"offset\":%llu,\"values\":[", (unsigned long long)off);
	for (i = 0; i < n; i++) {
		__u32 v = p[i];

		if (json)
			printf("%s%u", i ? "," : "", v);
		else
			printf("0x%llx: 0x%08x\n", (unsigned long long)(off + i * 4), v);
	}
	if (json)
		printf("]");
	out_end();
	return RC_OK;
}

static int cmd_write(struct cmd *c)
{
	struct share *s = current_share(c, true, c->num[0], 4);

	if (!s)
		return RC_FAIL;
	*(volatile u32_un *)share_at(s, c->num[0]) = c->num[1];
	out_begin(c->desc->name);
	out_num(F_DEC, "offset", c->num[0]);
	out_num(F_HEX, "value", c->num[1]);
	out_end();
	return RC_OK;
}

static int cmd_wait(struct cmd *c)
{
	const char *path = c->file ? c->file : "stdin";
	struct termios old, raw;
	int fd = 0, err = 0;
	ssize_t n;
	bool tty;
	char ch;

	if (c->file) {
		fd = open(c->file, O_RDONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			err = errno;
			return report(c->desc->name, err, "%s: %s", path, strerror(err));
		}
	}
	/*
	 * On a terminal: no echo and no line editing, so the one byte we wait
	 * for arrives at once; CR still maps to NL and ^C still interrupts.
	 */
	tty = !tcgetattr(fd, &old);
	if (tty) {
		raw = old;
		raw.c_lflag &= ~(ICANON | ECHO | ECHONL | IEXTEN);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		tcsetattr(fd, TCSANOW, &raw);
	}
	printf("vidsharectl: waiting\n");
	fflush(stdout);
	do
		n = read(fd, &ch, 1);
	while ((n < 0 && errno == EINTR) || (n > 0 && ch != '\n'));
	if (n < 0)
		err = errno;
	if (tty)
		tcsetattr(fd, TCSANOW, &old);
	if (c->file)
		close(fd);
	if (err)
		return report(c->desc->name, err, "reading %s: %s", path, strerror(err));
	out_begin(c->desc->name);
	out_str("input", n ? "newline" : "eof");
	out_end();
	return RC_OK;
}

static int cmd_sleep(struct cmd *c)
{
	struct timespec ts = { .tv_sec = c->num[0] };
	int err;

	while (nanosleep(&ts, &ts)) {
		err = errno;
		if (err != EINTR)
			return report(c->desc->name, err, "%s", strerror(err));
	}
	out_begin(c->desc->name);
	out_num(F_DEC, "seconds", c->num[0]);
	out_end();
	return RC_OK;
}

/*
 * The displays on PCI function @apath (a resolved sysfs path): @dir's
 * devices named PREFIX<number> (/sys/class/graphics/fbN: framebuffers,
 * /sys/class/drm/cardN: DRM devices) whose device is @apath or below it
 * (6.12 puts a firmware framebuffer's platform device there) set @on_it;
 * those on a platform device elsewhere (vesafb, efifb, simplefb,
 * simpledrm: a firmware framebuffer, on the boot adapter) set @firmware;
 * the others are on other devices and count in @others.
 */
static void find_displays(const char *dir, const char *prefix, const char *apath,
			  bool *on_it, bool *firmware, int *others)
{
	char path[PATH_MAX], target[PATH_MAX];
	size_t len = strlen(prefix), alen = strlen(apath);
	const char *num;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		num = e->d_name + len;
		if (strncmp(e->d_name, prefix, len) || !*num ||
		    strspn(num, "0123456789") != strlen(num))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", dir, e->d_name);
		if (!realpath(path, target))
			continue;
		if (!strncmp(target, apath, alen) && (!target[alen] || target[alen] == '/'))
			*on_it = true;
		else if (strstr(target, "/platform/"))
			*firmware = true;
		else
			(*others)++;
	}
	closedir(d);
}

/*
 * Whether the VGA text console (vgacon, whose /sys/class/vtconsole/vtconN
 * is named "(S) VGA+") is bound: it shows on the boot adapter, through
 * the legacy VGA ranges, whichever driver holds the adapter, or none.
 */
static bool vga_text_console(void)
{
	char path[PATH_MAX], buf[128];
	DIR *d = opendir("/sys/class/vtconsole");
	bool found = false;
	struct dirent *e;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, "vtcon", 5))
			continue;
		snprintf(path, sizeof(path), "/sys/class/vtconsole/%s/name", e->d_name);
		if (read_line(path, buf, sizeof(buf)) || !strstr(buf, "VGA+"))
			continue;
		snprintf(path, sizeof(path), "/sys/class/vtconsole/%s/bind", e->d_name);
		found = !read_line(path, buf, sizeof(buf)) && buf[0] == '1';
	}
	closedir(d);
	return found;
}

/*
 * Why taking @a from its driver would leave this machine without a
 * console, in @buf; NULL if it would not. It would when a console is on @a
 * (a DRM device or a framebuffer of its own; on the boot adapter, a
 * firmware framebuffer or the VGA text console), no other display adapter
 * has a driver, and the kernel's consoles are all virtual terminals (no
 * serial console).
 */
static const char *only_console(const struct adapter *a, char *buf, size_t size)
{
	char path[PATH_MAX], apath[PATH_MAX], active[256], *p, *w;
	bool on_it = false, firmware = false, vgacon;
	struct dirent **names;
	struct adapter o;
	int i, n, others = 0;

	if (!realpath(pci_file(path, sizeof(path), a->bdf, ""), apath))
		return NULL;
	find_displays("/sys/class/graphics", "fb", apath, &on_it, &firmware, &others);
	find_displays("/sys/class/drm", "card", apath, &on_it, &firmware, &others);
	vgacon = a->boot_vga && vga_text_console();
	if (!on_it && !(firmware && a->boot_vga) && !vgacon)
		return NULL;
	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	for (i = 0; i < n; i++) {
		if (*names[i]->d_name != '.' && strcmp(names[i]->d_name, a->bdf) &&
		    !adapter_read(names[i]->d_name, &o) && is_display(&o) && *o.driver &&
		    strcmp(o.driver, "vidshare"))
			others++;
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (others)
		return NULL;
	if (!read_line("/sys/class/tty/console/active", active, sizeof(active))) {
		for (p = active; (w = strsep(&p, " "));)
			if (*w && (strncmp(w, "tty", 3) || !isdigit((unsigned char)w[3])))
				return NULL;
	}
	snprintf(buf, size, "%s (%s) shows this machine's only console (on %s%s; the "
		 "kernel's consoles: %s): without it there would be none. Use a serial console "
		 "or another display adapter, or --force", a->bdf, a->model,
		 *a->driver ? "driver " : on_it || firmware ? "a firmware framebuffer" :
		 "the VGA text console", *a->driver ? a->driver : "", *active ? active : "none");
	return buf;
}

/*
 * Put back the driver_override @old (sysfs shows none as "(null)") in the
 * file @path, except a stale "vidshare": that would keep every other
 * driver off the adapter that claim just failed to give to vidshare.
 */
static void restore_override(const char *path, const char *old)
{
	write_sysfs(path, *old && strcmp(old, "vidshare") ? old : "\n");
}

/*
 * Move @a to vidshare: driver_override, unbind, bind. If vidshare does not
 * take it, it goes back to the driver that held it, and its
 * driver_override back to @old.
 */
static int bind_vidshare(const struct cmd *c, const struct adapter *a, const char *old)
{
	const char *name = c->desc->name, *bdf = a->bdf;
	char override[PATH_MAX], path[PATH_MAX], now[64];
	int err, back = 0;

	pci_file(override, sizeof(override), bdf, "driver_override");
	err = write_sysfs(override, "vidshare");
	if (err)
		return report(name, -err, "writing %s: %s", override, strerror(-err));
	if (*a->driver) {
		err = write_sysfs(pci_file(path, sizeof(path), bdf, "driver/unbind"), bdf);
		if (err) {
			restore_override(override, old);
			return report(name, -err, "%s did not let go of %s: %s", a->driver, bdf,
				      strerror(-err));
		}
	}
	err = write_sysfs(PCI_DRIVERS "/vidshare/bind", bdf);
	link_name(pci_file(path, sizeof(path), bdf, "driver"), now, sizeof(now));
	if (!strcmp(now, "vidshare"))
		return RC_OK;
	if (!err)
		err = -ENODEV;
	/*
	 * As it was: its driver (bound with no override, which might name
	 * another driver), then its override.
	 */
	write_sysfs(override, "\n");
	if (*a->driver) {
		snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind", a->driver);
		back = write_sysfs(path, bdf);
		link_name(pci_file(path, sizeof(path), bdf, "driver"), now, sizeof(now));
	}
	restore_override(override, old);
	if (!*a->driver)
		return report(name, -err, "vidshare did not take %s (%s; the kernel log says "
			      "why): left it without a driver, as it was", bdf, strerror(-err));
	if (!strcmp(now, a->driver))
		return report(name, -err, "vidshare did not take %s (%s; the kernel log says "
			      "why): gave it back to %s", bdf, strerror(-err), a->driver);
	return report(name, -err, "vidshare did not take %s (%s; the kernel log says why), "
		      "and %s did not take it back (%s): try 'echo %s > "
		      "/sys/bus/pci/drivers_probe'", bdf, strerror(-err), a->driver,
		      strerror(back ? -back : ENODEV), bdf);
}

/*
 * The driver that held an adapter before claim, for release: one file a
 * PCI address in RUN_DIR (a tmpfs: it is gone after a reboot, as the
 * binding is), holding the driver's name.
 */
#define RUN_DIR		"/run/vidshare"

static char *record_path(char *path, size_t size, const char *bdf)
{
	snprintf(path, size, RUN_DIR "/%s", bdf);
	return path;
}

/*
 * Remember that @driver held @bdf: written to a temporary file, then
 * renamed over the record, so a reader never sees half of it. 0 or -errno.
 */
static int record_driver(const char *bdf, const char *driver)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	int fd, err = 0;

	if ((mkdir("/run", 0755) && errno != EEXIST) ||
	    (mkdir(RUN_DIR, 0755) && errno != EEXIST))
		return -errno;
	snprintf(tmp, sizeof(tmp), RUN_DIR "/.%s.tmp", bdf);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (dprintf(fd, "%s\n", driver) < 0)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, record_path(path, sizeof(path), bdf)))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void forget_driver(const char *bdf)
{
	char path[PATH_MAX];

	unlink(record_path(path, sizeof(path), bdf));
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Whether @a is before @b. */
static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Wait, up to 10 s, for the device node of the vidshare device of @bdf
 * and, where udev runs (/run/udev/control exists), for udev's database
 * entry of it, /run/udev/data/cMAJOR:MINOR, which udev writes once it has
 * applied its rules: the node's group and mode. devtmpfs makes the node
 * before that, and udev's queue may not even exist yet. An entry last
 * written before @since (when claim bound the adapter; all times count if
 * NULL) is an earlier device's with the same numbers, whose removal udev
 * has not processed yet. The node in @node; false if there is none.
 */
static bool wait_node(const char *bdf, const struct timespec *since, char *node, size_t size)
{
	bool udev = !access("/run/udev/control", F_OK), entry = false;
	char name[32], path[PATH_MAX], dev[32] = "";
	struct stat st;
	int i;

	for (i = 0; i < 100; i++) {
		vidshare_node(bdf, name, sizeof(name));
		snprintf(node, size, "/dev/%s", name);
		if (*name && udev) {
			snprintf(path, sizeof(path), PCI_DEVICES "/%s/vidshare/%s/dev", bdf, name);
			if (!read_line(path, dev, sizeof(dev)) && *dev) {
				snprintf(path, sizeof(path), "/run/udev/data/c%s", dev);
				entry = !stat(path, &st) && (!since || !ts_before(&st.st_mtim, since));
			}
		}
		if (*name && !stat(node, &st) && (!udev || entry))
			return true;
		sleep_ms(100);
	}
	if (!*name || stat(node, &st))
		return false;
	fprintf(stderr, "vidsharectl: claim: udev has not processed %s yet (no %s after 10 s): "
		"its group and mode may not be set\n", node, *dev ? path : "/run/udev/data entry");
	return true;
}

static int cmd_claim(struct cmd *c)
{
	const char *name = c->desc->name, *bdf = c->bdf;
	char why[1024], prev[64], node[64], override[PATH_MAX], old[64];
	struct timespec since, *bound = NULL;
	struct adapter a;
	int rc, err;

	if (adapter_read(bdf, &a))
		return report(name, ENOENT, "no PCI device %s (vidsharectl list lists the "
			      "adapters)", bdf);
	if (!is_display(&a))
		return report(name, EINVAL, "%s is not a display adapter (class 0x%06x)", bdf,
			      a.class);
	if (access(PCI_DRIVERS "/vidshare", F_OK))
		return report(name, ENOENT, "vidshare is not loaded: load it with 'modprobe "
			      "vidshare', then claim %s again", bdf);
	copy_str(prev, sizeof(prev), a.driver);
	read_line(pci_file(override, sizeof(override), bdf, "driver_override"), old, sizeof(old));
	if (!strcmp(old, "(null)"))
		*old = '\0';
	if (strcmp(a.driver, "vidshare")) {
		/* Someone keeps it for another driver (vfio-pci, for a VM, say). */
		if (!(c->opts & OPT_FORCE) && *old && strcmp(old, "vidshare"))
			return report(name, EBUSY, "%s's driver_override is \"%s\": it is kept for "
				      "that driver; --force replaces it", bdf, old);
		if (!(c->opts & OPT_FORCE) && only_console(&a, why, sizeof(why))) {
			report(name, EBUSY, "%s", why);
			return RC_CONSOLE;
		}
		clock_gettime(CLOCK_REALTIME_COARSE, &since);
		bound = &since;
		rc = bind_vidshare(c, &a, old);
		if (rc)
			return rc;
		/* For release: the driver to give the adapter back to. */
		err = *a.driver ? record_driver(bdf, a.driver) : 0;
		if (!*a.driver)
			forget_driver(bdf);
		else if (err)
			fprintf(stderr, "vidsharectl: claim: could not record in %s that %s held "
				"%s (%s): release gives it to the driver the kernel picks\n",
				RUN_DIR, a.driver, bdf, strerror(-err));
	}
	if (!wait_node(bdf, bound, node, sizeof(node)))
		return report(name, ENOENT, "vidshare holds %s, but %s did not appear (is "
			      "devtmpfs mounted on /dev?)", bdf, node);
	adapter_read(bdf, &a);
	out_begin(name);
	out_str("pci", bdf);
	out_str("model", a.model);
	out_opt("previous_driver", prev);
	out_opt("driver", a.driver);
	out_opt("node", node);
	out_end();
	return RC_OK;
}

/* The driver of @bdf in @buf, "" for none. */
static void driver_of(const char *bdf, char *buf, size_t size)
{
	char path[PATH_MAX];

	link_name(pci_file(path, sizeof(path), bdf, "driver"), buf, size);
}

/* Bind @bdf to @driver through its bind file; whether @driver holds it. */
static bool try_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], now[64];

	snprintf(path, sizeof(path), PCI_DRIVERS "/%s/bind", driver);
	if (write_sysfs(path, bdf))
		return false;
	driver_of(bdf, now, sizeof(now));
	return !strcmp(now, driver);
}

/* modprobe -q the modalias of @bdf: loads the module of its driver. */
static void modprobe_alias(const char *bdf)
{
	char path[PATH_MAX], alias[256];
	int status;
	pid_t pid;

	if (read_line(pci_file(path, sizeof(path), bdf, "modalias"), alias, sizeof(alias)) ||
	    !*alias)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		char *argv[] = { "modprobe", "-q", "--", alias, NULL };
		int null = open("/dev/null", O_WRONLY);

		/* Whether a driver took it is what counts: that is checked. */
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		execvp(argv[0], argv);
		execv("/sbin/modprobe", argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

/*
 * Give @bdf, which has no driver and no driver_override, to a driver other
 * than vidshare: @prev, the driver that held it before claim, if it takes
 * it; else every other PCI driver through its bind file (the kernel
 * refuses, with ENODEV, the drivers whose id tables do not match it); else,
 * once the module of its modalias is loaded, the same again. Not through
 * drivers_probe: that tries the drivers in the order they registered, and
 * vidshare, whose own id table matches some models (and ids= others), may
 * come before the driver that held it. The driver that took it in @now;
 * false if none did.
 */
static bool give_back(const char *bdf, const char *prev, char *now, size_t size)
{
	struct dirent **names;
	bool done = false;
	int round, i, n;

	for (round = 0; round < 2 && !done; round++) {
		if (round) {
			/* The new driver takes the adapter when it registers. */
			modprobe_alias(bdf);
			driver_of(bdf, now, size);
			if (*now && strcmp(now, "vidshare"))
				return true;
		}
		if (*prev && strcmp(prev, "vidshare") && try_bind(bdf, prev))
			break;
		n = scandir(PCI_DRIVERS, &names, NULL, alphasort);
		for (i = 0; i < n; i++) {
			const char *d = names[i]->d_name;

			if (!done && *d != '.' && strcmp(d, "vidshare") && strcmp(d, prev))
				done = try_bind(bdf, d);
			free(names[i]);
		}
		if (n >= 0)
			free(names);
	}
	driver_of(bdf, now, size);
	return *now && strcmp(now, "vidshare");
}

static int cmd_release(struct cmd *c)
{
	const char *name = c->desc->name, *bdf = c->bdf;
	char override[PATH_MAX], path[PATH_MAX], now[64], old[64], prev[64];
	struct adapter a;
	bool held, claimed;
	int err;

	if (adapter_read(bdf, &a))
		return report(name, ENOENT, "no PCI device %s (vidsharectl list lists the "
			      "adapters)", bdf);
	pci_file(override, sizeof(override), bdf, "driver_override");
	read_line(override, old, sizeof(old));
	held = !strcmp(a.driver, "vidshare");
	claimed = !strcmp(old, "vidshare");
	/*
	 * Claimed, but vidshare does not hold it: vidshare was unloaded (or
	 * removed) after claim, or its bind never happened. With no driver,
	 * it is given back as if vidshare held it; another driver keeps it.
	 */
	if (!held && (!claimed || *a.driver)) {
		if (claimed)
			write_sysfs(override, "\n");
		forget_driver(bdf);
		return report(name, ENODEV, "vidshare does not hold %s (%s%s)", bdf,
			      *a.driver ? "driver " : "no driver holds it", a.driver);
	}
	read_line(record_path(path, sizeof(path), bdf), prev, sizeof(prev));
	if (held) {
		err = write_sysfs(PCI_DRIVERS "/vidshare/unbind", bdf);
		if (err)
			return report(name, -err, "unbinding %s from vidshare: %s", bdf,
				      strerror(-err));
	}
	err = write_sysfs(override, "\n");
	if (err)
		return report(name, -err, "writing %s: %s", override, strerror(-err));
	forget_driver(bdf);
	if (!held)
		fprintf(stderr, "vidsharectl: release: vidshare did not hold %s, but its "
			"driver_override named vidshare: cleared it\n", bdf);
	if (!give_back(bdf, prev, now, sizeof(now)))
		return report(name, ENODEV, "no driver took %s%s%s, which has no driver now; "
			      "once the kernel's driver for it is loaded, 'echo %s > "
			      "/sys/bus/pci/drivers_probe' gives it to that driver", bdf,
			      *prev ? ", not even " : "", prev, bdf);
	out_begin(name);
	out_str("pci", bdf);
	out_opt("driver", now);
	out_end();
	return RC_OK;
}

/* One adapter of list: a line of its table, or an object of its array. */
static void out_adapter(const struct adapter *a, bool first)
{
	char node[40], driver[64];

	snprintf(node, sizeof(node), "/dev/%s", a->node);
	if (!json) {
		if (*a->driver)
			copy_str(driver, sizeof(driver), a->driver);
		else if (*a->firmware)
			snprintf(driver, sizeof(driver), "%s (firmware)", a->firmware);
		else
			copy_str(driver, sizeof(driver), "none");
		printf("%-12s  %04x:%04x  %-20s  %-14s  %s\n", a->bdf, a->vendor, a->device,
		       driver, *a->node ? node : "-", a->model);
		return;
	}
	printf("%s{\"pci\":", first ? "" : ",");
	json_str(a->bdf);
	out_num(F_ID, "vendor", a->vendor);
	out_num(F_ID, "device", a->device);
	out_num(F_HEX, "class", a->class);
	out_num(F_DEC, "boot_vga", a->boot_vga);
	out_opt("driver", a->driver);
	out_opt("firmware", a->firmware);
	out_opt("node", *a->node ? node : "");
	out_str("model", a->model);
	printf("}");
}

static int cmd_list(struct cmd *c)
{
	struct dirent **names;
	struct adapter a;
	bool first = true;
	int i, n, err;

	n = scandir(PCI_DEVICES, &names, NULL, alphasort);
	if (n < 0) {
		err = errno;
		return report(c->desc->name, err, "%s: %s", PCI_DEVICES, strerror(err));
	}
	out_begin(c->desc->name);
	if (json)
		printf(",\"adapters\":[");
	else
		printf("%-12s  %-9s  %-20s  %-14s  %s\n", "PCI", "IDS", "DRIVER", "NODE", "MODEL");
	for (i = 0; i < n; i++) {
		if (*names[i]->d_name != '.' && !adapter_read(names[i]->d_name, &a) &&
		    is_display(&a)) {
			out_adapter(&a, first);
			first = false;
		}
		free(names[i]);
	}
	free(names);
	if (json)
		printf("]");
	out_end();
	return RC_OK;
}

static const struct cmd_desc cmd_table[] = {
	{ "info", "", ARITY(0), 0, cmd_info, "",
	  "print every field INFO reports about the adapter", false },
	{ "mode", "m", ARITY(0) | ARITY(1), 0, cmd_mode, "[WxHxBPP]",
	  "print the current mode and stride (GET_MODE); with WxHxBPP, e.g.\n"
	  "      1024x768x32, set that mode first (SET_MODE)", false },
	{ "share", "nn", ARITY(2), OPT_READONLY | OPT_UNCACHED | OPT_ADDR, cmd_share,
	  "OFFSET SIZE [--readonly] [--uncached] [--fixed ADDR | --hint ADDR]",
	  "share the view of SIZE bytes at OFFSET (SHARE) and print where it is;\n"
	  "      it becomes the current share and lives until unshare or exit", false },
	{ "unshare", "n", ARITY(0) | ARITY(1), 0, cmd_unshare, "[ADDR]",
	  "UNSHARE the share whose virtual_addr is ADDR, by default the current one", false },
	{ "fill", "wnn", ARITY(1) | ARITY(3), 0, cmd_fill, "VALUE32 [OFFSET SIZE]",
	  "fill the current share's view with the 32-bit VALUE32; with OFFSET SIZE\n"
	  "      fill that view through a share of its own, unshared at the end", false },
	{ "pattern", "", ARITY(0), OPT_KEEP, cmd_pattern, "[--keep]",
	  "draw the test picture over the current mode (32 or 16 bpp) through the\n"
	  "      current share if it maps it all, else through a share of its own,\n"
	  "      unshared at the end unless --keep makes it the current share", false },
	{ "read", "nc", ARITY(1) | ARITY(2), 0, cmd_read, "OFFSET [COUNT]",
	  "print COUNT (default 1) 32-bit words at OFFSET through the current share", false },
	{ "write", "nw", ARITY(2), 0, cmd_write, "OFFSET VALUE32",
	  "store the 32-bit VALUE32 at OFFSET through the current share", false },
	{ "wait", "f", ARITY(0) | ARITY(1), 0, cmd_wait, "[FILE]",
	  "print 'vidsharectl: waiting', then wait for a newline or EOF on FILE\n"
	  "      (default stdin; a terminal is read without echo)", false },
	{ "sleep", "n", ARITY(1), 0, cmd_sleep, "SECONDS",
	  "sleep SECONDS seconds", false },
	{ "list", "", ARITY(0), 0, cmd_list, "",
	  "list every PCI display adapter: its address, ids, the driver that holds\n"
	  "      it, its device if vidshare holds it, its model", true },
	{ "claim", "p", ARITY(1), OPT_FORCE, cmd_claim, "BDF [--force]",
	  "move the adapter at PCI address BDF from its driver to vidshare\n"
	  "      (driver_override, unbind, bind) and print its device; refused when it\n"
	  "      shows the only console, unless --force; if vidshare does not take it,\n"
	  "      it goes back to its driver", true },
	{ "release", "p", ARITY(1), 0, cmd_release, "BDF",
	  "give the adapter at BDF back: unbind it from vidshare, clear its\n"
	  "      driver_override, bind the driver that held it before claim, else the\n"
	  "      one the kernel picks (never vidshare), and print which did", true },
};

static void usage(void)
{
	size_t i;

	printf("Usage: vidsharectl [-d DEVICE | -s BDF] [-r] [--json] COMMAND [ARGS]\n"
	       "                   [+ COMMAND [ARGS]]...\n"
	       "\n"
	       "Share views of a PCI display adapter's frame buffer into this process through\n"
	       "/dev/vidshareN. Commands separated by a lone '+' run in order in one process,\n"
	       "so a share stays alive for the later commands until unshare or exit. The\n"
	       "current share is the most recent live one. A failing command ends the chain.\n"
	       "\n"
	       "Options:\n"
	       "  -d, --device DEVICE  device to open (default $VIDSHARE_DEV, else /dev/vidshare0)\n"
	       "  -s, --slot BDF       open the device of the adapter at PCI address BDF\n"
	       "                       ([DOMAIN:]BUS:DEV.FN in hex, as list shows it)\n"
	       "  -r, --read-only      open the device read-only (then only --readonly shares)\n"
	       "      --json           print one JSON object on one line per command, errors too\n"
	       "  -h, --help           print this help\n"
	       "      --version        print the version of vidshare and of its API\n"
	       "\n"
	       "Commands:\n");
	for (i = 0; i < ARRAY_SIZE(cmd_table); i++)
		printf("  %s%s%s\n      %s\n", cmd_table[i].name, *cmd_table[i].args ? " " : "",
		       cmd_table[i].args, cmd_table[i].help);
	printf("\n"
	       "OFFSET is a byte offset into the frame buffer, ADDR a virtual address. Numbers\n"
	       "are decimal or 0x hex, with an optional K, M or G suffix (binary: x1024...).\n"
	       "The device is opened before the first command that uses it.\n"
	       "\n"
	       "ioctls:\n"
	       "  SHARE     VIDSHARE_IOC_SHARE     IOCTL_VIDEO_SHARE_VIDEO_MEMORY\n"
	       "  UNSHARE   VIDSHARE_IOC_UNSHARE   IOCTL_VIDEO_UNSHARE_VIDEO_MEMORY\n"
	       "  GET_MODE  VIDSHARE_IOC_GET_MODE  IOCTL_VIDEO_QUERY_CURRENT_MODE\n"
	       "  SET_MODE  VIDSHARE_IOC_SET_MODE  IOCTL_VIDEO_SET_CURRENT_MODE\n"
	       "  INFO      VIDSHARE_IOC_INFO      no Windows equivalent\n"
	       "\n"
	       "Exit status:\n"
	       "  0  all commands succeeded\n"
	       "  1  a command failed (an ioctl or system call error)\n"
	       "  2  usage error (bad command line)\n"
	       "  3  the device could not be opened, or vidshare does not hold the adapter -s\n"
	       "     names\n"
	       "  4  claim refused: the adapter shows the only console (see --force)\n");
}

/* Report a bad command line, about command @d if not NULL; returns RC_USAGE. */
static int __attribute__((format(printf, 2, 3)))
usage_err(const struct cmd_desc *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "vidsharectl: ");
	if (d)
		fprintf(stderr, "%s: ", d->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (d)
		fprintf(stderr, "\nusage: vidsharectl [OPTIONS] %s%s%s\n", d->name,
			*d->args ? " " : "", d->args);
	else
		fprintf(stderr, "\nTry 'vidsharectl --help'.\n");
	return RC_USAGE;
}

/* Decimal or 0x hex, with an optional binary K, M or G suffix. */
static int parse_num(const char *s, unsigned long long *v)
{
	static const char suffixes[] = "KMG";
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *sfx;
	int shift = 0;
	char *end;

	if (!(hex ? isxdigit((unsigned char)s[2]) : isdigit((unsigned char)s[0])))
		return -1;
	errno = 0;
	*v = strtoull(s, &end, hex ? 16 : 10);
	if (errno)
		return -1;
	sfx = *end ? strchr(suffixes, toupper((unsigned char)*end)) : NULL;
	if (sfx) {
		shift = 10 * (sfx - suffixes + 1);
		end++;
	}
	if (*end || *v > ~0ULL >> shift)
		return -1;
	*v <<= shift;
	return 0;
}

/* WxHxBPP, all decimal. */
static int parse_mode(const char *s, struct vidshare_mode *m)
{
	__u32 *field[] = { &m->width, &m->height, &m->bpp };
	unsigned long v;
	char *end;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(field); i++, s = end + 1) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || v > UINT32_MAX || *end != (i < ARRAY_SIZE(field) - 1 ? 'x' : '\0'))
			return -1;
		*field[i] = v;
	}
	return 0;
}

/*
 * Parse positional argument @s of type @type into @c: 'n' number, 'c' count
 * of 1 to 2^32 - 1, 'w' 32-bit value, 'm' mode, 'f' file, 'p' PCI address.
 * Returns NULL, or what was expected instead.
 */
static const char *parse_arg(struct cmd *c, char type, const char *s)
{
	unsigned long long *v = &c->num[c->nargs];

	switch (type) {
	case 'm':
		return parse_mode(s, &c->mode) ? "a mode WxHxBPP" : NULL;
	case 'f':
		c->file = s;
		return NULL;
	case 'p':
		return parse_bdf(s, c->bdf, sizeof(c->bdf)) ?
		       "a PCI address [DOMAIN:]BUS:DEV.FN" : NULL;
	case 'w':
		return parse_num(s, v) || *v > UINT32_MAX ? "a 32-bit value" : NULL;
	case 'c':
		return parse_num(s, v) || !*v || *v > UINT32_MAX ?
		       "a count of 1 to 2^32 - 1" : NULL;
	default:
		return parse_num(s, v) ? "a number" : NULL;
	}
}

static int parse_cmd(struct cmd *c, char **argv, int argc)
{
	const struct cmd_desc *d = NULL;
	const char *want;
	unsigned int bit;
	size_t i;
	int a;

	for (i = 0; i < ARRAY_SIZE(cmd_table); i++)
		if (!strcmp(argv[0], cmd_table[i].name))
			d = &cmd_table[i];
	if (!d)
		return usage_err(NULL, "unknown command '%s'", argv[0]);
	c->desc = d;
	for (a = 1; a < argc; a++) {
		if (!strncmp(argv[a], "--", 2)) {
			for (bit = 0, i = 0; i < ARRAY_SIZE(cmd_opts); i++)
				if (!strcmp(argv[a], cmd_opts[i].name))
					bit = cmd_opts[i].bit & d->opts;
			if (!bit)
				return usage_err(d, "unknown option '%s'", argv[a]);
			if ((c->opts & bit) || ((bit & OPT_ADDR) && (c->opts & OPT_ADDR)))
				return usage_err(d, "'%s' conflicts with an earlier option",
						 argv[a]);
			c->opts |= bit;
			if ((bit & OPT_ADDR) && (++a == argc || parse_num(argv[a], &c->addr)))
				return usage_err(d, "'%s' needs an ADDR", argv[a - 1]);
			continue;
		}
		if (c->nargs >= (int)strlen(d->types))
			return usage_err(d, "too many arguments");
		want = parse_arg(c, d->types[c->nargs], argv[a]);
		if (want)
			return usage_err(d, "'%s' is not %s", argv[a], want);
		c->nargs++;
	}
	if (!(d->arities & ARITY(c->nargs)))
		return usage_err(d, "wrong number of arguments");
	return RC_OK;
}

/*
 * The name of user or group @id in @path (/etc/passwd or /etc/group, lines
 * "name:x:id:rest") in @name, and the rest of its line (a group's members)
 * in @rest. The files, not NSS: a static vidsharectl has no NSS modules,
 * and the groups of device nodes are local ones.
 */
static bool etc_lookup(const char *path, unsigned int id, char *name, size_t size,
		       char *rest, size_t rsize)
{
	char line[1024], *field[4], *p, *end;
	bool found = false;
	FILE *f = fopen(path, "re");
	int i;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		p = line;
		for (i = 0; i < 4; i++)
			field[i] = strsep(&p, ":");
		if (!field[3] || !isdigit((unsigned char)*field[2]) ||
		    strtoul(field[2], &end, 10) != id || *end)
			continue;
		copy_str(name, size, field[0]);
		if (rest)
			copy_str(rest, rsize, field[3]);
		found = true;
	}
	fclose(f);
	return found;
}

/* Whether the comma-separated @list has @word. */
static bool in_list(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (; *list; list += strcspn(list, ","), list += !!*list)
		if (!strncmp(list, word, len) && (list[len] == ',' || !list[len]))
			return true;
	return false;
}

/*
 * Why opening @path failed with EACCES, in @buf: the group the device node
 * is for, whether that group may open it as asked (read, and write unless
 * @read_only), and how to join the group.
 */
static const char *access_hint(const char *path, bool read_only, char *buf, size_t size)
{
	char owner[64], group[64], members[512], user[64], join[400], ogm[140];
	gid_t groups[NGROUPS_MAX];
	bool in_session;
	struct stat st;
	int i, n;

	if (stat(path, &st))
		return "permission denied";
	if (!etc_lookup("/etc/passwd", st.st_uid, owner, sizeof(owner), NULL, 0))
		snprintf(owner, sizeof(owner), "%u", (unsigned int)st.st_uid);
	if (!etc_lookup("/etc/group", st.st_gid, group, sizeof(group), members, sizeof(members))) {
		snprintf(group, sizeof(group), "%u", (unsigned int)st.st_gid);
		*members = '\0';
	}
	if (!etc_lookup("/etc/passwd", getuid(), user, sizeof(user), NULL, 0))
		snprintf(user, sizeof(user), "USER");
	snprintf(ogm, sizeof(ogm), "%s:%s %04o", owner, group, (unsigned int)st.st_mode & 07777);
	if (!st.st_gid || !(st.st_mode & S_IRGRP)) {
		snprintf(buf, size,
			 "permission denied: %s is %s, for no group: vidshare's udev rule "
			 "(60-vidshare.rules) gives it to group video, mode 0660", path, ogm);
		return buf;
	}
	n = getgroups(ARRAY_SIZE(groups), groups);
	in_session = getegid() == st.st_gid;
	for (i = 0; i < n; i++)
		in_session |= groups[i] == st.st_gid;
	if (in_session)
		snprintf(join, sizeof(join), "this process is in group %s", group);
	else if (in_list(members, user))
		snprintf(join, sizeof(join), "%s is in group %s, but this login session is not "
			 "yet: log in again", user, group);
	else
		snprintf(join, sizeof(join), "add the user to it with 'usermod -aG %s %s' (as "
			 "root) and log in again", group, user);
	/* The open needs read, and write unless read-only: the group lacks write. */
	if (!read_only && !(st.st_mode & S_IWGRP))
		snprintf(buf, size, "permission denied: %s is %s: group %s may read it but not "
			 "write it, so only -r (read-only shares) opens it; vidshare's udev rule "
			 "(60-vidshare.rules) makes it 0660; %s", path, ogm, group, join);
	else if (in_session)
		snprintf(buf, size, "permission denied: %s is %s, and %s, which may open it: "
			 "something else denies it (an ACL or a security module?)", path, ogm, join);
	else
		snprintf(buf, size, "permission denied: %s is for group %s (%s); %s", path, group,
			 ogm, join);
	return buf;
}

/*
 * The device node of the adapter at PCI address @bdf, in @path; RC_NODEV
 * after saying why there is none.
 */
static int slot_node(const char *bdf, char *path, size_t size)
{
	struct adapter a;

	if (adapter_read(bdf, &a)) {
		report("open", ENOENT, "no PCI device %s (vidsharectl list lists the adapters)",
		       bdf);
		return RC_NODEV;
	}
	if (!*a.node) {
		if (!is_display(&a))
			report("open", ENODEV, "%s is not a display adapter (class 0x%06x)", bdf,
			       a.class);
		else if (!strcmp(a.driver, "vidshare"))
			report("open", ENODEV, "%s (%s): vidshare holds it but has no device for it",
			       bdf, a.model);
		else
			report("open", ENODEV, "vidshare does not hold %s (%s): %s%s%s; "
			       "'vidsharectl claim %s' gives it to vidshare", bdf, a.model,
			       *a.driver ? "driver " : "no driver holds it", a.driver,
			       *a.driver ? " holds it" : "", bdf);
		return RC_NODEV;
	}
	snprintf(path, size, "/dev/%s", a.node);
	return RC_OK;
}

/* Open the device the options name; RC_NODEV after saying why it cannot. */
static int open_dev(void)
{
	char node[PATH_MAX], hint[1024];
	const char *path = dev_path;
	int err;

	if (slot) {
		if (slot_node(slot, node, sizeof(node)))
			return RC_NODEV;
		path = node;
	}
	dev_fd = open(path, (dev_read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (dev_fd >= 0)
		return RC_OK;
	err = errno;
	report("open", err, "%s: %s", path, err == EACCES ?
	       access_hint(path, dev_read_only, hint, sizeof(hint)) : explain(OP_OPEN, err));
	return RC_NODEV;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "slot", required_argument, NULL, 's' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char slot_bdf[BDF_LEN];
	const char *dev = NULL;
	int opt, i, start, ncmds = 0, rc = RC_OK;
	struct cmd *cmds;

	while ((opt = getopt_long(argc, argv, "+:d:s:rh", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 's':
			if (parse_bdf(optarg, slot_bdf, sizeof(slot_bdf)))
				return usage_err(NULL, "'%s' is not a PCI address "
						 "[DOMAIN:]BUS:DEV.FN", optarg);
			slot = slot_bdf;
			break;
		case 'r':
			dev_read_only = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage();
			return RC_OK;
		case 'V':
			printf("vidsharectl %s\nvidshare API version %d\n", VIDSHARE_VERSION,
			       VIDSHARE_API_VERSION);
			return RC_OK;
		case ':':
			return usage_err(NULL, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return usage_err(NULL, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (dev && slot)
		return usage_err(NULL, "-d and -s both name the device: give one of them");
	if (!dev)
		dev = getenv("VIDSHARE_DEV");
	dev_path = dev && *dev ? dev : "/dev/vidshare0";
	if (optind == argc)
		return usage_err(NULL, "no command");

	cmds = calloc(argc - optind, sizeof(*cmds));
	if (!cmds) {
		perror("vidsharectl");
		return RC_FAIL;
	}
	for (start = i = optind; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], "+"))
			continue;
		if (i == start)
			return usage_err(NULL, "empty command around '+'");
		if (parse_cmd(&cmds[ncmds++], argv + start, i - start))
			return RC_USAGE;
		start = i + 1;
	}

	/* The device is opened for the first command that uses it. */
	for (i = 0; i < ncmds && rc == RC_OK; i++) {
		if (!cmds[i].desc->no_device && dev_fd < 0 && open_dev())
			return RC_NODEV;
		rc = cmds[i].desc->run(&cmds[i]);
	}
	return rc;
}
