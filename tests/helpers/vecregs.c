/*
 * vecregs: do a process's vector registers survive its kernel switching
 * between its threads?  tests/uml runs it (statically linked) in a
 * User-Mode Linux guest, where both threads of one process run in one
 * host process: each switch saves and restores their FPU state with
 * PTRACE_GETREGSET/SETREGSET, on hosts with AMX through
 * tests/helpers/umlfpu.c.
 *
 * Each of two threads fills every vector register the CPU has (zmm0-31
 * and k0-7 with AVX-512, else ymm0-15, else xmm0-15) with a pattern of
 * its own, makes N sched_yield calls without touching them, then stores
 * and compares them.  Prints "LEVEL ok", or what differs and exits 1.
 *
 *	vecregs N
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define VR_EACH8(m)	m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)
#define VR_EACH16(m)	VR_EACH8(m) m(8) m(9) m(10) m(11) m(12) m(13) \
			m(14) m(15)
#define VR_EACH32(m)	VR_EACH16(m) m(16) m(17) m(18) m(19) m(20) m(21) \
			m(22) m(23) m(24) m(25) m(26) m(27) m(28) m(29) \
			m(30) m(31)
#define VR_ZL(i)	"vmovdqu64 " #i "*64(%[in]), %%zmm" #i "\n\t"
#define VR_ZS(i)	"vmovdqu64 %%zmm" #i ", " #i "*64(%[out])\n\t"
#define VR_KL(i)	"kmovw 2048+" #i "*2(%[in]), %%k" #i "\n\t"
#define VR_KS(i)	"kmovw %%k" #i ", 2048+" #i "*2(%[out])\n\t"
#define VR_YL(i)	"vmovdqu " #i "*32(%[in]), %%ymm" #i "\n\t"
#define VR_YS(i)	"vmovdqu %%ymm" #i ", " #i "*32(%[out])\n\t"
#define VR_XL(i)	"movdqu " #i "*16(%[in]), %%xmm" #i "\n\t"
#define VR_XS(i)	"movdqu %%xmm" #i ", " #i "*16(%[out])\n\t"
#define VR_YIELD					\
	"1:\n\t"					\
	"movl $24, %%eax\n\t"	/* sched_yield */	\
	"syscall\n\t"					\
	"dec %[n]\n\t"					\
	"jnz 1b\n\t"
#define VR_OPS		[n] "+r" (n) : [in] "r" (in), [out] "r" (out)
#define VR_CLOB16	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", \
	"xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", \
	"xmm14", "xmm15", "rax", "rcx", "r11", "memory", "cc"
#define VR_SIZE		(32 * 64 + 8 * 2)	/* zmm0-31, then k0-7 */

typedef void	 vecregs_fn(const unsigned char *, unsigned char *, long);

struct vecregs_thread {
	pthread_t	 tid;
	int		 index;
	long		 n;
	vecregs_fn	*run;
	size_t		 size;		/* bytes of register state */
	int		 failed;
};

__attribute__((target("avx512f"))) static void
vecregs_avx512(const unsigned char *in, unsigned char *out, long n)
{
	__asm__ volatile(VR_EACH32(VR_ZL) VR_EACH8(VR_KL) VR_YIELD
	    VR_EACH32(VR_ZS) VR_EACH8(VR_KS)
	    : VR_OPS
	    : VR_CLOB16, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20",
	    "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
	    "xmm28", "xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4",
	    "k5", "k6", "k7");
}

__attribute__((target("avx"))) static void
vecregs_avx(const unsigned char *in, unsigned char *out, long n)
{
	__asm__ volatile(VR_EACH16(VR_YL) VR_YIELD VR_EACH16(VR_YS)
	    : VR_OPS : VR_CLOB16);
}

static void
vecregs_sse(const unsigned char *in, unsigned char *out, long n)
{
	__asm__ volatile(VR_EACH16(VR_XL) VR_YIELD VR_EACH16(VR_XS)
	    : VR_OPS : VR_CLOB16);
}

static void *
vecregs_main(void *arg)
{
	struct vecregs_thread	*t = arg;
	unsigned char		 in[VR_SIZE], out[VR_SIZE];
	size_t			 i;

	for (i = 0; i < t->size; i++) {
		in[i] = (unsigned char)(t->index * 97 + i * 7 + 1);
		out[i] = 0;
	}
	t->run(in, out, t->n);
	for (i = 0; i < t->size; i++) {
		if (in[i] != out[i]) {
			printf("thread %d: byte %zu of the registers is "
			    "%#x, not %#x\n", t->index, i, out[i], in[i]);
			t->failed = 1;
			break;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct vecregs_thread	 t[2];
	const char		*level;
	vecregs_fn		*run;
	size_t			 size;
	long			 n;
	int			 i, failed = 0;

	n = argc == 2 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: vecregs N\n");
		return 2;
	}
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f")) {
		level = "avx512", run = vecregs_avx512, size = VR_SIZE;
	} else if (__builtin_cpu_supports("avx")) {
		level = "avx", run = vecregs_avx, size = 16 * 32;
	} else {
		level = "sse", run = vecregs_sse, size = 16 * 16;
	}
	for (i = 0; i < 2; i++) {
		t[i].index = i;
		t[i].n = n;
		t[i].run = run;
		t[i].size = size;
		t[i].failed = 0;
		if (pthread_create(&t[i].tid, NULL, vecregs_main, &t[i]) != 0) {
			fprintf(stderr, "vecregs: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < 2; i++) {
		pthread_join(t[i].tid, NULL);
		failed |= t[i].failed;
	}
	printf("%s %s\n", level, failed ? "FAILED" : "ok");
	return failed;
}
