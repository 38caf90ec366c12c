/* Directories: creating and removing them, listing with getdents64, and
 * the current directory. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>

struct dirent64_raw {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct listing {
	int count;
	char names[16][32];
	unsigned char types[16];
};

/* Reads the whole directory with a buffer small enough that several calls
 * are needed. */
static void list_dir(const char *path, struct listing *l)
{
	int fd = OK(open(path, O_RDONLY | O_DIRECTORY));
	char buf[96] __attribute__((aligned(8)));
	l->count = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
		if (n < 0) {
			check_fail(__LINE__, "getdents64 succeeds", n, errno);
			break;
		}
		if (n == 0)
			break;
		for (long at = 0; at < n;) {
			struct dirent64_raw *d = (struct dirent64_raw *)(buf + at);
			CHECK(d->d_reclen % 8 == 0 && d->d_reclen >= offsetof(struct dirent64_raw, d_name) + strlen(d->d_name) + 1);
			CHECK(d->d_ino != 0);
			if (l->count < 16) {
				snprintf(l->names[l->count], sizeof l->names[0], "%s", d->d_name);
				l->types[l->count] = d->d_type;
			}
			l->count++;
			at += d->d_reclen;
		}
	}
	/* A finished listing stays finished. */
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof buf), 0);
	close(fd);
}

/* The d_type listed for `name`, or -1 when it is not listed. */
static int listed_type(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->count && i < 16; i++)
		if (strcmp(l->names[i], name) == 0)
			return l->types[i];
	return -1;
}

static void create_and_list(void)
{
	OK(mkdir("d", 0755));
	ERR(mkdir("d", 0755), EEXIST);
	ERR(mkdir("missing/d", 0755), ENOENT);
	int d = OK(open("d", O_RDONLY | O_DIRECTORY));
	OK(mkdirat(d, "sub", 0700));
	int fd = OK(openat(d, "file", O_WRONLY | O_CREAT, 0644));
	close(fd);
	OK(symlinkat("file", d, "link"));

	/* Exactly these, each with its d_type (Linux's ramfs and tmpfs fill
	 * it in). */
	struct listing l;
	list_dir("d", &l);
	CHECK_EQ(l.count, 5);
	CHECK_EQ(listed_type(&l, "."), DT_DIR);
	CHECK_EQ(listed_type(&l, ".."), DT_DIR);
	CHECK_EQ(listed_type(&l, "sub"), DT_DIR);
	CHECK_EQ(listed_type(&l, "file"), DT_REG);
	CHECK_EQ(listed_type(&l, "link"), DT_LNK);

	struct stat st;
	OK(stat("d/sub", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0700 & ~0022 & 0777);
	OK(stat("d", &st));
	CHECK_EQ(st.st_nlink, 3); /* ".", its name, and sub's ".." */

	ERR(rmdir("d"), ENOTEMPTY);
	ERR(rmdir("d/file"), ENOTDIR);
	ERR(unlink("d/sub"), EISDIR);
	ERR(unlinkat(d, "file", AT_REMOVEDIR), ENOTDIR);
	ERR(rmdir("d/."), EINVAL);
	OK(unlinkat(d, "sub", AT_REMOVEDIR));
	OK(unlinkat(d, "file", 0));
	OK(unlinkat(d, "link", 0));
	list_dir("d", &l);
	CHECK_EQ(l.count, 2);
	close(d);
	OK(rmdir("d"));
	ERR(stat("d", &st), ENOENT);
}

static void current_directory(const char *scratch)
{
	char cwd[256], want[256];
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK(strcmp(cwd, scratch) == 0);
	OK(mkdir("a", 0755));
	OK(mkdir("a/b", 0755));
	OK(chdir("a/b"));
	snprintf(want, sizeof want, "%s/a/b", scratch);
	CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, want) == 0);
	ERR(syscall(SYS_getcwd, cwd, 3), ERANGE);

	/* Relative paths follow the new directory. */
	int fd = OK(open("here", O_WRONLY | O_CREAT, 0644));
	close(fd);
	struct stat st;
	OK(stat("../b/here", &st));
	OK(chdir(".."));
	OK(stat("b/here", &st));

	int top = OK(open(scratch, O_RDONLY | O_DIRECTORY));
	OK(chdir("/"));
	CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
	OK(fchdir(top));
	CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, scratch) == 0);
	OK(stat("a/b/here", &st));
	ERR(chdir("a/b/here"), ENOTDIR);
	ERR(chdir("missing"), ENOENT);
	int file = OK(open("a/b/here", O_RDONLY));
	ERR(fchdir(file), ENOTDIR);
	close(file);
	close(top);

	/* ".." of the root is the root. */
	OK(chdir("/.."));
	CHECK(getcwd(cwd, sizeof cwd) && strcmp(cwd, "/") == 0);
	OK(chdir(scratch));
}

int main(void)
{
	check_start("dirs");
	char *scratch = check_scratch_dir();
	umask(022);
	create_and_list();
	current_directory(scratch);
	check_remove_scratch(scratch);
	return check_done();
}
