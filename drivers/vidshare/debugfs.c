// SPDX-License-Identifier: GPL-2.0
/*
 * vidshare debugfs: /sys/kernel/debug/vidshare/vidshareN/shares lists every
 * live share of an adapter, one line each, for tests and for debugging.
 *
 * The directory lives as long as the adapter's state does, not only while
 * it is bound: the shares of a revoked adapter stay on their files' lists
 * until they are unmapped, and that is exactly what a test wants to see.
 * No physical address is shown.
 */

#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "compat.h"
#include "vidshare.h"

static struct dentry *vidshare_debugfs_root;

static int vidshare_shares_show(struct seq_file *s, void *unused)
{
	struct vidshare_device *vdev = s->private;
	bool revoked = READ_ONCE(vdev->revoked);
	struct vidshare_file *vf;
	struct vidshare_map *map;

	seq_puts(s, "file\tpid\tstart\tsize\toffset\tflags\n");
	mutex_lock(&vdev->lock);
	list_for_each_entry(vf, &vdev->files, node) {
		spin_lock(&vf->lock);
		list_for_each_entry(map, &vf->maps, node)
			seq_printf(s, "%u\t%d\t%#lx\t%#lx\t%#llx\t%s,%s\n",
				   vf->id, map->pid, map->start, map->size,
				   map->offset,
				   map->flags & VIDSHARE_SHARE_READONLY ? "ro" : "rw",
				   revoked ? "-" : READ_ONCE(map->memtype) ?: "-");
		spin_unlock(&vf->lock);
	}
	mutex_unlock(&vdev->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vidshare_shares);

/**
 * vidshare_debugfs_add() - create the debugfs directory of an adapter
 * @vdev: the adapter, named already
 *
 * debugfs is optional: failures are ignored, as everywhere in the kernel.
 */
void vidshare_debugfs_add(struct vidshare_device *vdev)
{
	vdev->debugfs = debugfs_create_dir(dev_name(&vdev->dev),
					   vidshare_debugfs_root);
	debugfs_create_file("shares", 0400, vdev->debugfs, vdev,
			    &vidshare_shares_fops);
}

/**
 * vidshare_debugfs_remove() - remove the debugfs directory of an adapter
 * @vdev: the adapter, about to be freed
 *
 * Waits for readers of its files to finish.
 */
void vidshare_debugfs_remove(struct vidshare_device *vdev)
{
	debugfs_remove(vdev->debugfs);
}

/**
 * vidshare_debugfs_init() - create /sys/kernel/debug/vidshare
 */
void vidshare_debugfs_init(void)
{
	vidshare_debugfs_root = debugfs_create_dir("vidshare", NULL);
}

/**
 * vidshare_debugfs_exit() - remove /sys/kernel/debug/vidshare
 */
void vidshare_debugfs_exit(void)
{
	debugfs_remove(vidshare_debugfs_root);
}
