// sync_file_range(2) for the log writer (LogFilePages): a Linux call that Swift's Glibc module does not carry (it is
// built without _GNU_SOURCE), and no package we use wraps it. Elsewhere these do nothing and return 0.
#pragma once

/// Starts writing back the dirty pages of [offset, offset + length) of `fd` without waiting for them. 0 or -1 with
/// errno.
int wk_start_writeback(int fd, long long offset, long long length);

/// Writes back [offset, offset + length) of `fd` and waits until none of its pages is dirty or under writeback, so
/// that posix_fadvise(POSIX_FADV_DONTNEED) can drop them all. 0 or -1 with errno.
int wk_finish_writeback(int fd, long long offset, long long length);
