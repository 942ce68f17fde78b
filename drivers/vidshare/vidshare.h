/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vidshare internals: shared by the PCI binding, the char device, the
 * mapping list, the memory types and the adapter models.
 */
#ifndef _VIDSHARE_H
#define _VIDSHARE_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pgtable.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/vidshare.h>

struct vidshare_device;

/**
 * struct vidshare_mode_ops - a mode-setting interface an adapter may have
 * @probe: check that the interface answers: 0 or -ENODEV
 * @get: read the current mode; leave it zero when no linear mode is set
 * @set: program a mode already checked by vidshare_mode_check()
 */
struct vidshare_mode_ops {
	int (*probe)(struct vidshare_device *vdev);
	void (*get)(struct vidshare_device *vdev, struct vidshare_mode *mode);
	void (*set)(struct vidshare_device *vdev, const struct vidshare_mode *mode);
};

/*
 * Depths a mode interface displays: VIDSHARE_BPP(8) | VIDSHARE_BPP(32)...
 * for the multiples of 8 up to 32.
 */
#define VIDSHARE_BPP(bpp)	BIT((bpp) / 8 - 1)

/**
 * struct vidshare_adapter - what vidshare knows about one adapter model
 * @name: human-readable model name
 * @fb_bar: frame-buffer BAR, or -1 to pick the largest prefetchable BAR
 * @regs_bar: BAR of the registers @vram_size and @mode_ops use, or -1
 * @regs_io: @regs_bar is an I/O BAR (else a memory BAR)
 * @regs_len: bytes of @regs_bar that @vram_size and @mode_ops touch; a
 *	shorter BAR, or one of the other type, is left alone
 * @vram_size: read the size of the usable video memory from @regs_bar;
 *	0 if the registers do not answer. NULL: @vram_fixed, else the BAR
 * @vram_fixed: size of the video memory of a model that has a fixed
 *	amount, else 0
 * @fb_bar_shared: the frame-buffer BAR holds more than video memory
 *	(command rings, registers) after it: when @vram_size cannot tell
 *	how much is video memory, nothing is shared
 * @mode_ops: mode interface, or NULL
 * @mode_bpp: VIDSHARE_BPP() of every depth the mode interface displays
 * @mode_min: smallest width and height it displays, if it has a limit
 *	beyond the rules of vidshare_mode_check()
 *
 * Each model's description hangs off &pci_device_id.driver_data of its
 * entries in vidshare_pci_ids[], which hold its PCI ids and, where two
 * models share them, its class.
 */
struct vidshare_adapter {
	const char *name;
	int fb_bar;
	int regs_bar;
	bool regs_io;
	u32 regs_len;
	u64 (*vram_size)(struct vidshare_device *vdev);
	u64 vram_fixed;
	bool fb_bar_shared;
	const struct vidshare_mode_ops *mode_ops;
	u8 mode_bpp;
	u16 mode_min;
};

/**
 * struct vidshare_bar_desc - the facts about one BAR that the BAR choice uses
 * @flags: IORESOURCE_* flags of the BAR
 * @len: length of the BAR in bytes, 0 if not implemented
 */
struct vidshare_bar_desc {
	unsigned long flags;
	u64 len;
};

/**
 * struct vidshare_device - one bound adapter
 * @pdev: the PCI device (reference held until the last user is gone)
 * @dev: the class device behind /dev/vidshareN; its release frees this
 * @cdev: the character device
 * @adapter: the adapter description, never NULL
 * @inode: anonymous inode whose address_space all opens share
 * @fb_bar: index of the frame-buffer BAR
 * @fb_phys: bus address of the frame buffer
 * @fb_size: bytes that can be shared, a multiple of PAGE_SIZE
 * @wc: shares are write-combining; else uncached. Every share of the
 *	adapter has this one memory type (see memtype.c)
 * @wc_reserved: the frame buffer's write-combining memory type is
 *	reserved (arch_io_reserve_memtype_wc())
 * @wc_cookie: arch_phys_wc_add() handle: positive while an MTRR makes the
 *	frame buffer write-combining on a machine without PAT
 * @type_known: @type_pteval holds the memory type PAT has for the reserved
 *	write-combining frame buffer (map.c looks it up once)
 * @type_pteval: a page-table entry the kernel wrote for the frame buffer
 * @regs: the mapped register BAR of the adapter (&vidshare_adapter.regs_bar),
 *	memory or I/O, or NULL
 * @mode_ops: the mode interface, if @regs answers it; else NULL
 * @ids: PCI ids reported by INFO (kept after the device is gone)
 * @revoke_sem: readers fill page tables and touch registers; the writer
 *	revokes
 * @revoked: the adapter is gone; only INFO, UNSHARE and close still work
 * @lock: protects @files
 * @files: open files, &vidshare_file.node
 * @mode_lock: serializes the mode interface
 * @next_file_id: id of the next open file (under @lock), for debugfs
 * @debugfs: the adapter's debugfs directory
 */
struct vidshare_device {
	struct pci_dev *pdev;
	struct device dev;
	struct cdev cdev;
	const struct vidshare_adapter *adapter;
	struct inode *inode;
	int fb_bar;
	phys_addr_t fb_phys;
	u64 fb_size;
	bool wc;
	bool wc_reserved;
	int wc_cookie;
	bool type_known;
	pteval_t type_pteval;
	void __iomem *regs;
	const struct vidshare_mode_ops *mode_ops;
	struct {
		u16 vendor, device, subsystem_vendor, subsystem_device;
	} ids;
	struct rw_semaphore revoke_sem;
	bool revoked;
	struct mutex lock;		/* protects @files */
	struct list_head files;
	struct mutex mode_lock;		/* serializes the mode interface */
	unsigned int next_file_id;
	struct dentry *debugfs;
};

/**
 * struct vidshare_file - per-open-file state
 * @vdev: the adapter (holds a reference on @vdev->dev)
 * @node: entry in &vidshare_device.files
 * @id: number of this open of the adapter, for debugfs
 * @lock: protects @maps, @nr_maps, @next_map_id and @pending
 * @maps: live shares made through this file, &vidshare_map.node
 * @nr_maps: number of entries in @maps
 * @next_map_id: id of the next share made through this file
 * @pending: SHAREs in vm_mmap() on this file, &vidshare_pending.node
 */
struct vidshare_file {
	struct vidshare_device *vdev;
	struct list_head node;
	unsigned int id;
	spinlock_t lock;		/* protects @maps, @nr_maps, @pending */
	struct list_head maps;
	unsigned int nr_maps;
	u64 next_map_id;
	struct list_head pending;
};

/**
 * struct vidshare_pending - a SHARE on its way through vm_mmap()
 * @node: entry in &vidshare_file.pending
 * @task: the task doing the SHARE; ->mmap() runs in its context
 * @sub: offset of the view inside the first page
 *
 * SHARE's only way to the VMA it makes is vm_mmap(), whose sole argument
 * for the driver is the file offset. The rest of the request waits here,
 * where ->mmap() finds it by task, so that everything about a share is
 * recorded before the VMA is visible to any other thread.
 */
struct vidshare_pending {
	struct list_head node;
	struct task_struct *task;
	u32 sub;
};

/**
 * struct vidshare_map - one live share (a VMA of the device)
 * @node: entry in &vidshare_file.maps
 * @vf: the file it was made through
 * @mm: the address space it lives in (not a reference; the VMA pins it)
 * @pid: thread group that made it, for debugfs
 * @id: number of this share among the shares of @vf
 * @start: user address of the first mapped page
 * @size: mapped bytes, a multiple of PAGE_SIZE
 * @offset: frame-buffer offset of @start, a multiple of PAGE_SIZE
 * @sub: offset of the shared view inside the first page (SHARE only)
 * @flags: VIDSHARE_SHARE_READONLY and VIDSHARE_SHARE_UNCACHED as mapped
 * @memtype: name of the memory type its page-table entries got, read
 *	back from them; NULL until they are filled
 * @unsharing: an UNSHARE has claimed it
 */
struct vidshare_map {
	struct list_head node;
	struct vidshare_file *vf;
	struct mm_struct *mm;
	pid_t pid;
	u64 id;
	unsigned long start;
	unsigned long size;
	u64 offset;
	u32 sub;
	u32 flags;
	const char *memtype;
	bool unsharing;
};

/**
 * struct vidshare_view - a checked SHARE request
 * @offset: page-aligned frame-buffer offset to map
 * @size: page-multiple length to map
 * @sub: view_offset % PAGE_SIZE
 */
struct vidshare_view {
	u64 offset;
	u64 size;
	u32 sub;
};

extern unsigned int vidshare_max_shares;

/* cdev.c */
struct vidshare_device *vidshare_device_alloc(struct pci_dev *pdev);
int vidshare_cdev_init(void);
void vidshare_cdev_exit(void);
int vidshare_cdev_add(struct vidshare_device *vdev);
void vidshare_cdev_del(struct vidshare_device *vdev);
void vidshare_do_info(struct vidshare_device *vdev, struct vidshare_info *info);

/* debugfs.c */
void vidshare_debugfs_init(void);
void vidshare_debugfs_exit(void);
void vidshare_debugfs_add(struct vidshare_device *vdev);
void vidshare_debugfs_remove(struct vidshare_device *vdev);

/* map.c */
int vidshare_share_check(const struct vidshare_share *req, u64 fb_size,
			 struct vidshare_view *view, const char **why);
int vidshare_map_insert(struct vidshare_file *vf, struct vidshare_map *map,
			unsigned int limit);
void vidshare_map_remove(struct vidshare_map *map);
int vidshare_mmap(struct file *file, struct vm_area_struct *vma);
unsigned long vidshare_get_unmapped_area(struct file *file, unsigned long addr,
					 unsigned long len, unsigned long pgoff,
					 unsigned long flags);
int vidshare_do_share(struct file *file, struct vidshare_share *req);
int vidshare_do_unshare(struct file *file, const struct vidshare_unshare *req);
void vidshare_revoke(struct vidshare_device *vdev);

/* memtype.c */
int vidshare_memtype_init(struct vidshare_device *vdev);
void vidshare_memtype_exit(struct vidshare_device *vdev);
pgprot_t vidshare_memtype_pgprot(const struct vidshare_device *vdev, pgprot_t prot);
pgprot_t vidshare_memtype_of_pte(pte_t pte, pgprot_t prot);
pgprot_t vidshare_memtype_of_pmd(pmd_t pmd, pgprot_t prot);
const char *vidshare_memtype_name(const struct vidshare_device *vdev, pgprot_t prot);

/* adapters.c */
extern const struct pci_device_id vidshare_pci_ids[];
const struct vidshare_adapter *vidshare_adapter_find(u16 vendor, u16 device, u32 class);
int vidshare_pick_fb_bar(const struct vidshare_bar_desc *bars, int nr, int preferred);
bool vidshare_regs_usable(const struct vidshare_adapter *adapter,
			  const struct vidshare_bar_desc *bar);
u64 vidshare_fb_size(const struct vidshare_adapter *adapter, u64 vram, u64 bar_len);
u64 vidshare_vram_size(struct vidshare_device *vdev, u64 bar_len);
int vidshare_mode_check(const struct vidshare_adapter *adapter,
			const struct vidshare_mode *mode, u64 fb_size, u32 *stride);
int vidshare_get_mode(struct vidshare_device *vdev, struct vidshare_mode *mode);
int vidshare_set_mode(struct vidshare_device *vdev, const struct vidshare_mode *mode);

#endif /* _VIDSHARE_H */
