/* The smallest program: one write(2) and exit_group(0), for the strace
 * test and the loader's good case. (printf would go through writev.) */
#include <unistd.h>

int main(void)
{
	static const char line[] = "hello\n";
	return write(1, line, sizeof line - 1) == sizeof line - 1 ? 0 : 1;
}
