/* A wild write to an unmapped address: the process must die of SIGSEGV
 * (exit status 139 from a shell or from Ringo's launcher) after saying it
 * got that far. Exiting normally is the failure. */
#include "check.h"

/* Far from anything a loader maps, and canonical: a page fault, not #GP. */
#define WILD_ADDRESS 0x00000dead0000000UL

int main(void)
{
	check_start("segv");
	printf("segv: writing to %#lx\n", WILD_ADDRESS);
	fflush(stdout);
	*(volatile int *)WILD_ADDRESS = 42;
	fprintf(stderr, "FAIL: segv: the write to %#lx did not fault\n", WILD_ADDRESS);
	return 1;
}
