/* kfs.h: the file-system steps every folder and durable file of kefu takes.
 *
 * A file made or renamed into a folder is only on disk, after a machine
 * crash, once the folder itself is synced: the log's segments, a store's
 * marks, the site clock, the log's secret, the site key, a terminal's
 * spool. One helper for them all, and one for making a site's folders
 * (0700: a site's stores and keys are its operator's alone).
 */
#ifndef KEFU_KFS_H
#define KEFU_KFS_H

/* fsync(2) of folder dir. Returns 0 or errno. */
int kfs_sync_dir(const char *dir);
/* fsync(2) of the folder holding path ("." for a bare name). Returns 0 or
 * errno (ENAMETOOLONG for a path over PATH_MAX). */
int kfs_sync_parent(const char *path);

/* mkdir(2) of path with mode 0700 that accepts a folder already there.
 * Returns 0 or errno (ENOTDIR if path exists and is not a folder). */
int kfs_mkdir(const char *path);

#endif
