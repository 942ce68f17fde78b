/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The library of vidshare's userspace tests (vidshare_lib.c), linked into
 * the selftests, the bad-input, holdout and fault tests and the stress: the
 * ioctls, mappings, test patterns, access probes, /proc, sysfs and debugfs
 * readers, x86 PAT's memtype list, descriptor passing, finding the adapter,
 * and binding it again after an unbind.
 */
#ifndef VIDSHARE_LIB_H
#define VIDSHARE_LIB_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/vidshare.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define MAX_SHARES_PARAM	"/sys/module/vidshare/parameters/max_shares"
#define DRIVER_DIR		"/sys/bus/pci/drivers/vidshare"
#define CLASS_DIR		"/sys/class/vidshare"
#define PCI_DIR			"/sys/bus/pci/devices"
#define PCI_BARS		6
#define SZ_16M			(16ULL << 20)
#define REBIND_TIMEOUT_MS	5000

const char *dev_path(void);

uint64_t page_size(void);

uint64_t pg_down(uint64_t x);

uint64_t pg_up(uint64_t x);

int vs_ioctl(int fd, unsigned long cmd, void *arg);

/* SHARE exactly as given in @s; 0 or the errno. */
int vs_share_raw(int fd, struct vidshare_share *s);

int vs_share(int fd, uint64_t off, uint64_t size, uint32_t flags,
		    uint64_t req, struct vidshare_share *s);

int vs_unshare_raw(int fd, uint64_t addr, uint32_t flags, uint32_t reserved);

int vs_unshare(int fd, uint64_t addr);

int vs_info(int fd, struct vidshare_info *info);

int vs_get_mode(int fd, struct vidshare_mode *m);

int vs_set_mode(int fd, uint32_t width, uint32_t height, uint32_t bpp);

volatile uint8_t *share_ptr(const struct vidshare_share *s);

void *share_base(const struct vidshare_share *s);

/* mmap(2) of the device; NULL (errno set) on failure. */
volatile uint8_t *dev_mmap(int fd, uint64_t off, size_t len, int prot);

/* 0 if the mmap(2) succeeded (it is undone again), else its errno. */
int mmap_errno(int fd, uint64_t off, size_t len, int prot, int flags);

/* An anonymous read/write mapping of @pages pages. */
uint8_t *anon_map(size_t pages);

/* A page-aligned address with @pages free pages behind it. */
uint64_t free_range(size_t pages);

int open_dev(int flags);

/* Test patterns: distinct per call so stale frame-buffer bytes never match. */
uint32_t new_seed(void);

uint8_t pattern_byte(uint32_t seed, size_t i);

void fill(volatile uint8_t *p, size_t n, uint32_t seed);

/* Index of the first byte of @p that differs from the pattern, or -1. */
long mismatch(const volatile uint8_t *p, size_t n, uint32_t seed);

/*
 * Accesses with SIGSEGV and SIGBUS caught. probe_catch() installs
 * probe_handler() for both (the old actions in @old_segv and @old_bus
 * unless NULL); while a thread's probe_jmp points to its sigsetjmp()
 * buffer, a fault there jumps back with the signal in probe_sig, else it
 * kills the process as it would have without the handler.
 */
extern __thread sigjmp_buf *probe_jmp;
extern __thread volatile sig_atomic_t probe_sig;
extern volatile uint8_t probe_sink;

void probe_handler(int sig);
void probe_catch(struct sigaction *old_segv, struct sigaction *old_bus);
void probe_uncatch(const struct sigaction *old_segv, const struct sigaction *old_bus);

/* Access @p with SIGSEGV/SIGBUS caught: 0 if it worked, else the signal. */
int probe(volatile uint8_t *p, bool write);

int probe_read(volatile uint8_t *p);

int probe_write(volatile uint8_t *p);

/* 0 if the page holding @addr is mapped, ENOMEM if it is not. */
int mincore_errno(uint64_t addr);

/* A buffer for whole /proc and sysfs files (not thread-safe). */
extern char procbuf[1 << 18];

/* Read a whole (proc/sys) file into @buf; its length or -errno. */
ssize_t read_file(const char *path, char *buf, size_t size);

int write_file(const char *path, const char *str);

/*
 * The number of field @name ("VmSize", "VmPTE", "THP_enabled") of
 * /proc/self/status (kB for sizes), or -1. Uses procbuf.
 */
long self_status(const char *name);

int read_uint(const char *path, unsigned int *val);

int set_max_shares(unsigned int val);

#define PAT_MEMTYPE_LIST	"/sys/kernel/debug/x86/pat_memtype_list"

/* A BAR of a PCI function as sysfs's resource file shows it. */
struct pci_bar {
	unsigned long long start, end;	/* bus addresses [start, end); 0 if unused */
	unsigned long long flags;	/* IORESOURCE_* */
};

/*
 * The BARs of a PCI function from its resource file at @path, the adapter
 * behind device node (or class device) @node, or PCI address @bdf: the
 * number of lines read, or -errno.
 */
int read_bars(const char *path, struct pci_bar bars[PCI_BARS]);
int class_bars(const char *node, struct pci_bar bars[PCI_BARS]);
int pci_bars(const char *bdf, struct pci_bar bars[PCI_BARS]);

/*
 * Bus addresses [start, end) of BAR @bar of the adapter behind device node
 * @node; both 0 if it is not a memory BAR. 0, or -errno if the BAR cannot
 * be read.
 */
int bar_range(const char *node, int bar, uint64_t *start, uint64_t *end);

/*
 * Bus address of BAR @bar of the adapter behind device node @dev, or 0 if
 * it is not a memory BAR.
 */
uint64_t bar_phys(const char *dev, int bar);

/* One entry of x86 PAT's memtype list. */
struct pat_ent {
	unsigned long long start, end;	/* [start, end) */
	char type[32];
};

/*
 * The entries of x86 PAT's memtype list that overlap [start, end): at most
 * @max of them in @e, their number as the result, or -errno (-E2BIG when
 * the list does not fit in procbuf).
 */
int pat_overlapping(uint64_t start, uint64_t end, struct pat_ent *e, int max);

/*
 * The kernel log from now on: a /dev/kmsg reader at its end, or -errno.
 * kmsg_complaints() then reads what came since.
 */
int kmsg_open(void);

/*
 * What x86 PAT says when its bookkeeping goes wrong: a memory type freed
 * twice or never reserved, reservations that conflict, mappings with a type
 * other than the reserved one.
 */
bool pat_complaint(const char *line);

/*
 * Read the kernel log that came since kmsg_open(): the number of PAT
 * complaints in it (the first in @first), or -EPIPE if records were lost
 * before they could be read.
 */
int kmsg_complaints(int fd, char *first, size_t size);

/*
 * The memory type every share of an adapter has, as debugfs names it: its
 * frame buffer is write-combining, or uncached-minus (uncached on I/O
 * memory without a write-combining MTRR).
 */
const char *adapter_memtype(const struct vidshare_info *info);

/* The name PAT's memtype list gives a write-combining (@wc) or uncached adapter's type. */
const char *memtype_name(bool wc);

#define VIDSHARE_DEBUGFS	"/sys/kernel/debug/vidshare"

/* One line of /sys/kernel/debug/vidshare/vidshareN/shares. */
struct share_row {
	unsigned int file;
	int pid;
	unsigned long long start, size, offset;
	char flags[8];
};

/*
 * Call @fn for every live share that the debugfs list of device node @dev
 * shows; the number of rows or -errno. Streams the file: with thousands of
 * shares it is larger than procbuf.
 */
int for_each_share_row(const char *dev, void (*fn)(const struct share_row *, void *),
			      void *arg);

struct row_match {
	int pid;		/* 0: any */
	unsigned long long start;	/* 0: any */
	int n;
	struct share_row last;
};

void match_row(const struct share_row *r, void *arg);

/* Live shares of @pid (0: any process) in the debugfs list, or -errno. */
int debugfs_count(const char *dev, int pid);

/*
 * The debugfs row of the share starting at @start in this process: 0;
 * -ESRCH when the list has no such row; -errno when there is no list.
 */
int debugfs_row(const char *dev, uint64_t start, struct share_row *row);

/* Does @text hold @phys written in hex (any case, any zero padding) or decimal? */
bool mentions_phys(const char *text, uint64_t phys);

struct vma_desc {
	unsigned long start, end;
	char perms[8];
};

/* The VMA of /proc/self/maps holding @addr: 0, -ESRCH or -errno. */
int find_vma(uint64_t addr, struct vma_desc *v);

int count_vmas(void);

/*
 * The VmFlags of the VMA holding @addr, from /proc/self/smaps, padded with
 * spaces so " xx " finds a flag: 0, -ENOENT (no smaps), -ESRCH or -errno.
 */
int vma_flags(uint64_t addr, char *flags, size_t size);

bool has_flag(const char *flags, const char *flag);

/* Exit code of a child, 128 + signal if it was killed, -1 on error. */
int wait_child(pid_t pid);

/*
 * Send @len bytes of @data over the UNIX socket @sock, with descriptor @fd
 * (SCM_RIGHTS) unless it is negative: 0 or an errno.
 */
int send_fd(int sock, int fd, const void *data, size_t len);

/*
 * Receive what send_fd() sent: the @len bytes into @data, the descriptor
 * (close-on-exec) as the result; -1 if none came with them, or nothing did.
 */
int recv_fd(int sock, void *data, size_t len);

/* Unbinding and binding the adapter again */

/* The PCI BDF (basename of the realpath of .../device) of class device @name. */
int class_dev_bdf(const char *name, char *bdf, size_t size);

/* A vidshare class device bound to @bdf (any if NULL): 0 or -ENOENT. */
int find_class_dev(const char *bdf, char *name, size_t size);

int wait_class_dev(const char *bdf, char *name, size_t size, int timeout_ms);

/* Wait until @path does (@exists) or does not exist. */
bool wait_path(const char *path, bool exists, int timeout_ms);

bool driver_bound(const char *bdf);

int unbind_device(const char *bdf);

int bind_device(const char *bdf);

/* Bind @bdf again and wait for its class device; its /dev path in @node. */
int rebind_device(const char *bdf, char *node, size_t size);

/*
 * The adapter a test that unbinds it works on: its PCI address in @bdf and
 * its device node in @node. $VIDSHARE_PCI names it when there are several
 * (it is bound again if it is not bound, whatever its minor); else the
 * adapter behind dev_path(), or, when an earlier rebind gave it another
 * minor, the one vidshare device there is. 0 or -errno.
 */
int find_adapter(char *bdf, size_t bdf_size, char *node, size_t node_size);

#endif /* VIDSHARE_LIB_H */
