// SPDX-License-Identifier: GPL-2.0
/*
 * vidsharectl - drive /dev/vidshareN from the command line.
 *
 * Shares views of a PCI display adapter's frame buffer into this process
 * (IOCTL_VIDEO_SHARE_VIDEO_MEMORY / IOCTL_VIDEO_UNSHARE_VIDEO_MEMORY on
 * Windows), reads, writes and draws through them, and gets or sets the
 * adapter's mode. Commands chained with a lone '+' run in order in this one
 * process, so the shares one command makes stay alive for the next ones.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
enum { RC_OK, RC_FAIL, RC_USAGE, RC_NODEV };

/* Frame-buffer accesses at any byte offset. */
typedef __u32 __attribute__((aligned(1))) u32_un;
typedef __u16 __attribute__((aligned(1))) u16_un;

static int dev_fd = -1;
static bool json;

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

/* Options of commands; the share flags are their own bits. */
#define OPT_READONLY	VIDSHARE_SHARE_READONLY
#define OPT_FIXED	VIDSHARE_SHARE_FIXED
#define OPT_UNCACHED	VIDSHARE_SHARE_UNCACHED
#define OPT_HINT	(1U << 8)
#define OPT_KEEP	(1U << 9)
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
};

#define ARITY(n)	(1U << (n))

struct cmd {
	const struct cmd_desc *desc;
	int nargs;
	unsigned long long num[3];	/* numeric arguments, by position */
	struct vidshare_mode mode;	/* 'm' argument */
	const char *file;		/* 'f' argument */
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
	const char *sep = "";
	size_t i;

	if (xioctl(c, OP_INFO, VIDSHARE_IOC_INFO, &in))
		return RC_FAIL;
	out_begin(c->desc->name);
	out_num(F_DEC, "api_version", in.api_version);
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

static const struct cmd_desc cmd_table[] = {
	{ "info", "", ARITY(0), 0, cmd_info, "",
	  "print every field INFO reports about the adapter" },
	{ "mode", "m", ARITY(0) | ARITY(1), 0, cmd_mode, "[WxHxBPP]",
	  "print the current mode and stride (GET_MODE); with WxHxBPP, e.g.\n"
	  "      1024x768x32, set that mode first (SET_MODE)" },
	{ "share", "nn", ARITY(2), OPT_READONLY | OPT_UNCACHED | OPT_ADDR, cmd_share,
	  "OFFSET SIZE [--readonly] [--uncached] [--fixed ADDR | --hint ADDR]",
	  "share the view of SIZE bytes at OFFSET (SHARE) and print where it is;\n"
	  "      it becomes the current share and lives until unshare or exit" },
	{ "unshare", "n", ARITY(0) | ARITY(1), 0, cmd_unshare, "[ADDR]",
	  "UNSHARE the share whose virtual_addr is ADDR, by default the current one" },
	{ "fill", "wnn", ARITY(1) | ARITY(3), 0, cmd_fill, "VALUE32 [OFFSET SIZE]",
	  "fill the current share's view with the 32-bit VALUE32; with OFFSET SIZE\n"
	  "      fill that view through a share of its own, unshared at the end" },
	{ "pattern", "", ARITY(0), OPT_KEEP, cmd_pattern, "[--keep]",
	  "draw the test picture over the current mode (32 or 16 bpp) through the\n"
	  "      current share if it maps it all, else through a share of its own,\n"
	  "      unshared at the end unless --keep makes it the current share" },
	{ "read", "nc", ARITY(1) | ARITY(2), 0, cmd_read, "OFFSET [COUNT]",
	  "print COUNT (default 1) 32-bit words at OFFSET through the current share" },
	{ "write", "nw", ARITY(2), 0, cmd_write, "OFFSET VALUE32",
	  "store the 32-bit VALUE32 at OFFSET through the current share" },
	{ "wait", "f", ARITY(0) | ARITY(1), 0, cmd_wait, "[FILE]",
	  "print 'vidsharectl: waiting', then wait for a newline or EOF on FILE\n"
	  "      (default stdin; a terminal is read without echo)" },
	{ "sleep", "n", ARITY(1), 0, cmd_sleep, "SECONDS",
	  "sleep SECONDS seconds" },
};

static void usage(void)
{
	size_t i;

	printf("Usage: vidsharectl [-d DEVICE] [-r] [--json] COMMAND [ARGS] [+ COMMAND [ARGS]]...\n"
	       "\n"
	       "Share views of a PCI display adapter's frame buffer into this process through\n"
	       "/dev/vidshareN. Commands separated by a lone '+' run in order in one process,\n"
	       "so a share stays alive for the later commands until unshare or exit. The\n"
	       "current share is the most recent live one. A failing command ends the chain.\n"
	       "\n"
	       "Options:\n"
	       "  -d, --device DEVICE  device to open (default $VIDSHARE_DEV, else /dev/vidshare0)\n"
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
	       "  3  the device could not be opened\n");
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
 * of 1 to 2^32 - 1, 'w' 32-bit value, 'm' mode, 'f' file. Returns NULL, or
 * what was expected instead.
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

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev = getenv("VIDSHARE_DEV");
	int opt, i, start, err, ncmds = 0, rc = RC_OK;
	bool read_only = false;
	struct cmd *cmds;

	if (!dev || !*dev)
		dev = "/dev/vidshare0";
	while ((opt = getopt_long(argc, argv, "+:d:rh", options, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dev = optarg;
			break;
		case 'r':
			read_only = true;
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

	dev_fd = open(dev, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (dev_fd < 0) {
		err = errno;
		report("open", err, "%s: %s", dev, explain(OP_OPEN, err));
		return RC_NODEV;
	}
	for (i = 0; i < ncmds && rc == RC_OK; i++)
		rc = cmds[i].desc->run(&cmds[i]);
	return rc;
}
