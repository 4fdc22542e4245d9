/*
 * umlfpu.so: an LD_PRELOAD shim that lets Debian 12's User-Mode Linux 6.1
 * (tests/uml/umlrig.py) run on hosts with AMX.
 *
 * UML restores a guest process's FPU state with PTRACE_SETREGSET
 * NT_X86_XSTATE from a buffer of a fixed 2696 bytes (x87, SSE, AVX,
 * AVX-512, PKRU; upstream 6f602afda727).  The host kernel's
 * xstateregs_set() (arch/x86/kernel/fpu/regset.c) takes only a whole
 * buffer: it fails with EFAULT unless the length is exactly
 * fpu_user_cfg.max_size, 11008 bytes with AMX tile data.  UML then kills
 * the guest's init ("ptrace set fp regs failed, errno = 14").
 *
 * So a shorter XSTATE write is widened to the host's size here: UML's
 * bytes first, zeros after them.  The kernel loads only the components
 * named in the header's xstate_bv, which is UML's, and a component past
 * UML's buffer (AMX tiles) is never named: its use needs an
 * ARCH_REQ_XCOMP_PERM that no process of UML's asks for.  Where the
 * host's size is not larger than UML's buffer, every call passes through
 * as it is.  UML makes these calls from one thread only.
 */
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef long	 ptrace_fn(enum __ptrace_request, pid_t, void *, void *);

static unsigned char	 umlfpu_buf[65536];	/* any x86 XSAVE area so far */
static size_t		 umlfpu_size;		/* host's XSTATE size; 0: unknown */

/*
 * The host's XSTATE regset size: a GETREGSET trims the length to it.
 */
static size_t
umlfpu_probe(ptrace_fn *real, pid_t pid)
{
	struct iovec	 iov = { umlfpu_buf, sizeof(umlfpu_buf) };

	if (real(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) == -1 ||
	    iov.iov_len >= sizeof(umlfpu_buf)) {
		return 0;
	}
	return iov.iov_len;
}

long
ptrace(enum __ptrace_request req, ...)
{
	static ptrace_fn	*real;
	struct iovec		*iov, wide;
	va_list			 ap;
	pid_t			 pid;
	void			*addr, *data;

	va_start(ap, req);
	pid = va_arg(ap, pid_t);
	addr = va_arg(ap, void *);
	data = va_arg(ap, void *);
	va_end(ap);
	if (real == NULL) {
		real = (ptrace_fn *)dlsym(RTLD_NEXT, "ptrace");
	}
	if (req != PTRACE_SETREGSET || addr != (void *)NT_X86_XSTATE ||
	    data == NULL) {
		return real(req, pid, addr, data);
	}
	iov = data;
	if (umlfpu_size == 0) {
		umlfpu_size = umlfpu_probe(real, pid);
	}
	if (iov->iov_len >= umlfpu_size) {
		return real(req, pid, addr, data);
	}
	memcpy(umlfpu_buf, iov->iov_base, iov->iov_len);
	memset(umlfpu_buf + iov->iov_len, 0, umlfpu_size - iov->iov_len);
	wide.iov_base = umlfpu_buf;
	wide.iov_len = umlfpu_size;
	return real(req, pid, addr, &wide);
}
