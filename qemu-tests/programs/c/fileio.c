/* File I/O on the root filesystem (ramfs in the guest): open flags, the
 * read/write family, offsets and holes, sizes, stat in all its forms,
 * names (rename, link, symlink), access, umask, fcntl, dup, close_range,
 * sendfile. */
#include "check.h"

#include <fcntl.h>
#include <stdint.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>

/* struct statx as the kernel ABI has it (musl 1.2.3 has no statx()). */
struct statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};
struct statx_buf {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, pad;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t spare[14];
};
#define STATX_BASIC_STATS_MASK 0x7ffu
#define RENAME_NOREPLACE_FLAG 1

static void write_file(const char *path, const char *text)
{
	int fd = OK(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	CHECK_EQ(write(fd, text, strlen(text)), strlen(text));
	close(fd);
}

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void open_flags(void)
{
	char buf[32] = {0};
	ERR(open("missing", O_RDONLY), ENOENT);
	int fd = OK(open("a", O_RDWR | O_CREAT | O_EXCL, 0644));
	CHECK_EQ(write(fd, "hello", 5), 5);
	close(fd);
	ERR(open("a", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);

	fd = OK(openat(AT_FDCWD, "a", O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
	ERR(write(fd, "x", 1), EBADF);
	close(fd);

	fd = OK(open("a", O_WRONLY | O_APPEND));
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(write(fd, " world", 6), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 11);
	ERR(read(fd, buf, 1), EBADF);
	close(fd);
	CHECK_EQ(file_size("a"), 11);

	fd = OK(open("a", O_RDWR | O_TRUNC));
	CHECK_EQ(file_size("a"), 0);
	close(fd);

	int dir = OK(open(".", O_RDONLY | O_DIRECTORY));
	fd = OK(openat(dir, "b", O_RDWR | O_CREAT, 0600));
	CHECK(faccessat(AT_FDCWD, "b", F_OK, 0) == 0);
	ERR(openat(dir, "a", O_RDONLY | O_DIRECTORY), ENOTDIR);
	ERR(write(dir, "x", 1), EBADF);
	ERR(read(dir, buf, 1), EISDIR);
	close(fd);
	close(dir);
}

static void read_write_family(void)
{
	char buf[64] = {0};
	int fd = OK(open("rw", O_RDWR | O_CREAT | O_TRUNC, 0644));
	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_EQ(pread(fd, buf, 4, 3), 4);
	CHECK_MEM(buf, "3456", 4);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_EQ(pwrite(fd, "AB", 2, 8), 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 10);
	CHECK_EQ(pread(fd, buf, 20, 0), 10);
	CHECK_MEM(buf, "01234567AB", 10);
	CHECK_EQ(pread(fd, buf, 4, 100), 0);

	struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(writev(fd, out, 3), 5);
	char x[2] = {0}, y[8] = {0};
	struct iovec in[2] = {{x, 2}, {y, 8}};
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK_EQ(readv(fd, in, 2), 10);
	CHECK_MEM(x, "ab", 2);
	CHECK_MEM(y, "cde567AB", 8);
	CHECK_EQ(write(fd, buf, 0), 0);
	close(fd);
}

static void offsets_and_holes(void)
{
	char buf[16];
	int fd = OK(open("holes", O_RDWR | O_CREAT | O_TRUNC, 0644));
	CHECK_EQ(write(fd, "head", 4), 4);
	CHECK_EQ(lseek(fd, 8192, SEEK_SET), 8192);
	CHECK_EQ(file_size("holes"), 4);
	CHECK_EQ(write(fd, "tail", 4), 4);
	CHECK_EQ(file_size("holes"), 8196);
	CHECK_EQ(lseek(fd, -4, SEEK_END), 8192);
	CHECK_EQ(lseek(fd, -8192, SEEK_CUR), 0);
	ERR(lseek(fd, -1, SEEK_SET), EINVAL);
	ERR(lseek(fd, 0, 42), EINVAL);
	memset(buf, 'x', sizeof buf);
	CHECK_EQ(pread(fd, buf, sizeof buf, 4000), sizeof buf);
	static const char zeros[16];
	CHECK_MEM(buf, zeros, sizeof buf);
	/* SEEK_DATA and SEEK_HOLE: a filesystem may report no holes at all
	 * (the end of the file is always a hole), but data at 0 is data. */
	CHECK_EQ(lseek(fd, 0, SEEK_DATA), 0);
	long hole = lseek(fd, 0, SEEK_HOLE);
	CHECK(hole > 0 && hole <= 8196);
	ERR(lseek(fd, 9000, SEEK_DATA), ENXIO);

	CHECK_EQ(OK(ftruncate(fd, 2)), 0);
	CHECK_EQ(file_size("holes"), 2);
	CHECK_EQ(OK(truncate("holes", 100)), 0);
	CHECK_EQ(file_size("holes"), 100);
	CHECK_EQ(pread(fd, buf, 4, 0), 4);
	CHECK_MEM(buf, "he\0\0", 4);
	ERR(ftruncate(fd, -1), EINVAL);
	ERR(truncate("missing", 0), ENOENT);
	CHECK_EQ(OK(fsync(fd)), 0);
	CHECK_EQ(OK(fdatasync(fd)), 0);
	close(fd);
	int ro = OK(open("holes", O_RDONLY));
	ERR(ftruncate(ro, 0), EINVAL);
	close(ro);
}

static void stat_family(void)
{
	mode_t old = umask(022);
	int fd = OK(open("st", O_RDWR | O_CREAT | O_TRUNC, 0666));
	CHECK_EQ(write(fd, "12345", 5), 5);
	struct stat st, st2, st3;
	OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(st.st_nlink, 1);
	CHECK(st.st_blksize > 0);
	CHECK_EQ(st.st_uid, geteuid());
	OK(stat("st", &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	CHECK_EQ(st2.st_dev, st.st_dev);
	OK(fstatat(AT_FDCWD, "st", &st3, 0));
	CHECK_EQ(st3.st_ino, st.st_ino);
	CHECK(st.st_mtim.tv_sec > 1577836800); /* after 2020 */

	umask(077);
	int fd2 = OK(open("private", O_RDWR | O_CREAT, 0666));
	OK(fstat(fd2, &st2));
	CHECK_EQ(st2.st_mode & 07777, 0600);
	close(fd2);
	CHECK_EQ(umask(old), 077);

	OK(fchmod(fd, 0640));
	OK(fstat(fd, &st2));
	CHECK_EQ(st2.st_mode & 07777, 0640);
	OK(chmod("st", 0644));

	OK(symlink("st", "st-link"));
	OK(lstat("st-link", &st2));
	CHECK(S_ISLNK(st2.st_mode));
	CHECK_EQ(st2.st_size, 2);
	OK(stat("st-link", &st3));
	CHECK_EQ(st3.st_ino, st.st_ino);
	OK(fstatat(AT_FDCWD, "st-link", &st3, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(st3.st_mode));
	ERR(stat("missing", &st2), ENOENT);
	ERR(stat("st/x", &st2), ENOTDIR);
	OK(fstatat(fd, "", &st3, AT_EMPTY_PATH));
	CHECK_EQ(st3.st_ino, st.st_ino);

	struct statx_buf sx;
	memset(&sx, 0xff, sizeof sx);
	OK(syscall(SYS_statx, AT_FDCWD, "st", 0, STATX_BASIC_STATS_MASK, &sx));
	CHECK_EQ(sx.stx_mask & STATX_BASIC_STATS_MASK, STATX_BASIC_STATS_MASK);
	CHECK_EQ(sx.stx_size, 5);
	CHECK_EQ(sx.stx_ino, st.st_ino);
	CHECK_EQ(sx.stx_mode, st.st_mode);
	CHECK_EQ(sx.stx_nlink, 1);
	CHECK_EQ(sx.stx_mtime.tv_sec, st.st_mtim.tv_sec);
	OK(syscall(SYS_statx, AT_FDCWD, "st-link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS_MASK, &sx));
	CHECK((sx.stx_mode & S_IFMT) == S_IFLNK);

	struct statfs fs;
	OK(statfs(".", &fs));
	CHECK(fs.f_bsize > 0);
	OK(fstatfs(fd, &fs));
	close(fd);
}

static void names(void)
{
	char buf[64] = {0};
	struct stat st;
	write_file("n1", "one");
	write_file("n2", "two");
	OK(rename("n1", "n3"));
	ERR(stat("n1", &st), ENOENT);
	OK(rename("n3", "n2")); /* replaces n2 */
	int fd = OK(open("n2", O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 3);
	CHECK_MEM(buf, "one", 3);
	close(fd);
	write_file("n4", "four");
	ERR(syscall(SYS_renameat2, AT_FDCWD, "n4", AT_FDCWD, "n2", RENAME_NOREPLACE_FLAG), EEXIST);
	OK(syscall(SYS_renameat2, AT_FDCWD, "n4", AT_FDCWD, "n5", RENAME_NOREPLACE_FLAG));
	ERR(rename("missing", "n6"), ENOENT);
	OK(renameat(AT_FDCWD, "n5", AT_FDCWD, "n5")); /* same name: nothing happens */
	CHECK_EQ(file_size("n5"), 4);

	/* A link is the same inode; unlinking an open file keeps it usable. */
	OK(link("n2", "n2-link"));
	OK(stat("n2", &st));
	CHECK_EQ(st.st_nlink, 2);
	ERR(link("n2", "n5"), EEXIST);
	fd = OK(open("n2-link", O_RDWR));
	OK(unlink("n2"));
	OK(unlink("n2-link"));
	ERR(stat("n2-link", &st), ENOENT);
	OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(pwrite(fd, "ONE!", 4, 0), 4);
	CHECK_EQ(pread(fd, buf, sizeof buf, 0), 4);
	CHECK_MEM(buf, "ONE!", 4);
	close(fd);
	ERR(unlink("n2"), ENOENT);

	OK(symlink("n5", "sym"));
	OK(symlink("nowhere", "dangling"));
	CHECK_EQ(readlink("sym", buf, sizeof buf), 2);
	CHECK_MEM(buf, "n5", 2);
	CHECK_EQ(readlink("sym", buf, 1), 1); /* truncated, no NUL */
	ERR(readlink("n5", buf, sizeof buf), EINVAL);
	ERR(symlink("x", "sym"), EEXIST);
	ERR(open("dangling", O_RDONLY), ENOENT);
	fd = OK(open("sym", O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 4);
	close(fd);
	ERR(open("sym", O_RDONLY | O_NOFOLLOW), ELOOP);
	OK(unlink("sym"));
	CHECK_EQ(file_size("n5"), 4);

	CHECK(access("n5", F_OK) == 0);
	CHECK(access("n5", R_OK | W_OK) == 0);
	ERR(access("missing", F_OK), ENOENT);
	int dir = OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK(faccessat(dir, "n5", R_OK, 0) == 0);
	ERR(faccessat(dir, "missing", F_OK, 0), ENOENT);
	close(dir);
}

static void fcntl_and_dup(void)
{
	char buf[8] = {0};
	int fd = OK(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR);
	OK(fcntl(fd, F_SETFL, O_NONBLOCK | O_APPEND));
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_ACCMODE | O_APPEND | O_NONBLOCK), O_RDWR | O_APPEND | O_NONBLOCK);
	OK(fcntl(fd, F_SETFL, 0));
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_APPEND | O_NONBLOCK), 0);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);

	int d = OK(fcntl(fd, F_DUPFD, 50));
	CHECK(d >= 50);
	CHECK_EQ(fcntl(d, F_GETFD), 0); /* dups never inherit close-on-exec */
	int dc = OK(fcntl(fd, F_DUPFD_CLOEXEC, 50));
	CHECK(dc > d);
	CHECK_EQ(fcntl(dc, F_GETFD), FD_CLOEXEC);

	/* Dups share the open file: one offset. */
	CHECK_EQ(write(fd, "abcd", 4), 4);
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 4);
	CHECK_EQ(lseek(d, 1, SEEK_SET), 1);
	CHECK_EQ(read(fd, buf, 2), 2);
	CHECK_MEM(buf, "bc", 2);

	int low = OK(dup(fd));
	CHECK(low < d);
	CHECK_EQ(dup2(fd, 60), 60);
	CHECK_EQ(dup2(fd, fd), fd);
	CHECK_EQ(dup3(fd, 61, O_CLOEXEC), 61);
	CHECK_EQ(fcntl(61, F_GETFD), FD_CLOEXEC);
	ERR(dup3(fd, fd, 0), EINVAL);
	ERR(dup2(fd, -1), EBADF);
	CHECK_EQ(dup2(d, 60), 60); /* closes the old 60 silently */
	ERR(fcntl(999, F_GETFD), EBADF);
	ERR(dup(999), EBADF);
	int closed = OK(dup(fd));
	OK(close(closed));
	ERR(close(closed), EBADF);
	for (int i = 0; i < 3; i++)
		close((int[]){low, 60, 61}[i]);
	close(d);
	close(dc);
	close(fd);
}

/* close_range(2) as glibc's closefrom and Python's os.closerange use it. */
static void closing_ranges(void)
{
	int fd = OK(open("f", O_RDWR | O_CREAT, 0644));
	for (int i = 70; i < 76; i++)
		CHECK_EQ(dup2(fd, i), i);
	OK(syscall(SYS_close_range, 71, 72, 0));
	ERR(fcntl(71, F_GETFD), EBADF);
	ERR(fcntl(72, F_GETFD), EBADF);
	CHECK_EQ(fcntl(70, F_GETFD), 0);
	CHECK_EQ(fcntl(73, F_GETFD), 0);
	/* Marked close-on-exec, not closed. */
	OK(syscall(SYS_close_range, 73, 74, 4 /* CLOSE_RANGE_CLOEXEC */));
	CHECK_EQ(fcntl(73, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(74, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(75, F_GETFD), 0);
	/* A range past every open descriptor, and one to the end. */
	OK(syscall(SYS_close_range, 500, 600, 0));
	OK(syscall(SYS_close_range, 73, ~0U, 2 /* CLOSE_RANGE_UNSHARE: one thread */));
	ERR(fcntl(75, F_GETFD), EBADF);
	CHECK_EQ(fcntl(70, F_GETFD), 0);
	/* Bad arguments: a reversed range, unknown flags. */
	ERR(syscall(SYS_close_range, 71, 70, 0), EINVAL);
	ERR(syscall(SYS_close_range, 70, 70, 1), EINVAL);
	ERR(syscall(SYS_close_range, 70, 70, 0x80000000u), EINVAL);
	CHECK_EQ(fcntl(70, F_GETFD), 0);
	close(70);
	close(fd);
}

static void copying(void)
{
	char buf[16] = {0};
	write_file("src", "sendfile data");
	int in = OK(open("src", O_RDONLY));
	int out = OK(open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644));
	off_t off = 9;
	CHECK_EQ(sendfile(out, in, &off, 100), 4);
	CHECK_EQ(off, 13);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 0);
	CHECK_EQ(sendfile(out, in, NULL, 8), 8);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 8);
	CHECK_EQ(pread(out, buf, sizeof buf, 0), 12);
	CHECK_MEM(buf, "datasendfile", 12);
	close(in);
	close(out);
}

int main(void)
{
	check_start("fileio");
	char *dir = check_scratch_dir();
	open_flags();
	read_write_family();
	offsets_and_holes();
	stat_family();
	names();
	fcntl_and_dup();
	closing_ranges();
	copying();
	check_remove_scratch(dir);
	return check_done();
}
