/*
 * startup.c - the least a Cortex-M4F program needs to run main() on QEMU's
 * mps2-an386 board with newlib and semihosting (--specs=rdimon.specs, linked
 * with -nostartfiles and mps2-an386.ld): the vector table, a reset handler
 * that enables the FPU, copies .data, zeroes .bss, opens semihosting's
 * stdin/stdout/stderr, reads the command line QEMU was given
 * (-semihosting-config arg=...) as argv and exits with main's status; and
 * the heap newlib's malloc grows (_sbrk).
 *
 * Built for a core without an FPU (no __ARM_FP: the Cortex-M0 of
 * tests/cross/cortex-m0/microbit.ld) it leaves the FPU alone; the vector
 * table's ARMv7-M fault entries are then reserved ones the core ignores.
 *
 * A fault ends the run at once (semihosting's "exit" with an error) rather
 * than hanging until the test's timeout.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int main(int argc, char **argv);
void initialise_monitor_handles(void);   /* newlib's librdimon */
void reset_handler(void);
void *_sbrk(ptrdiff_t incr);

/* from mps2-an386.ld */
extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[], __stack_top[];

/* A semihosting call (ARM's "Semihosting for AArch32 and AArch64": BKPT
 * 0xAB on M-profile): operation op, its parameter block arg. */
static int semihost(int op, void *arg)
{
    register int r0 __asm__("r0") = op;
    register void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

enum { SYS_GET_CMDLINE = 0x15, SYS_EXIT = 0x18 };
enum { ADP_STOPPED_RUNTIME_ERROR = 0x20023 };

/* Any exception but reset: a fault. Stop QEMU with an error. */
static void fault_handler(void)
{
    semihost(SYS_EXIT, (void *)ADP_STOPPED_RUNTIME_ERROR);
    for (;;)
        ;
}

/* The vector table (ARMv7-M: the initial stack pointer, then the handlers
 * from reset on); mps2-an386.ld puts it at address 0. */
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top,
    reset_handler,
    fault_handler,  /* NMI */
    fault_handler,  /* HardFault */
    fault_handler,  /* MemManage */
    fault_handler,  /* BusFault */
    fault_handler,  /* UsageFault */
    0, 0, 0, 0,     /* reserved */
    fault_handler,  /* SVCall */
    fault_handler,  /* DebugMonitor */
    0,              /* reserved */
    fault_handler,  /* PendSV */
    fault_handler,  /* SysTick */
};

/* argv from the command line QEMU holds ("prog arg ..."), split at spaces. */
static char cmdline[512];
static char *args[16];

static int read_args(void)
{
    struct { char *buf; int len; } block = {cmdline, (int)sizeof cmdline - 1};
    int argc = 0;
    if (semihost(SYS_GET_CMDLINE, &block) != 0)
        return 0;
    cmdline[block.len] = '\0';
    for (char *p = cmdline; *p && argc < (int)(sizeof args / sizeof *args) - 1;) {
        while (*p == ' ')
            *p++ = '\0';
        if (*p)
            args[argc++] = p;
        while (*p && *p != ' ')
            p++;
    }
    args[argc] = NULL;
    return argc;
}

/* After the FPU is on: memory, I/O, then main. Kept out of reset_handler so
 * that no floating-point instruction can run before the FPU is enabled. */
__attribute__((noinline, noreturn)) static void start(void)
{
    for (uint32_t *d = __data_start, *s = __data_load; d < __data_end;)
        *d++ = *s++;
    for (uint32_t *d = __bss_start; d < __bss_end;)
        *d++ = 0;
    initialise_monitor_handles();
    int argc = read_args();
    exit(main(argc, args));
}

void reset_handler(void)
{
#ifdef __ARM_FP
    /* CPACR: full access to coprocessors 10 and 11, the FPU */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88;
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    start();
}

/* exit() runs the .fini section's code through _fini, which crti.o gives
 * a hosted link; with -nostartfiles there is none to run. */
void _init(void);
void _fini(void);
void _init(void) {}
void _fini(void) {}

/* newlib's malloc asks for memory here: between .bss and the stack. */
void *_sbrk(ptrdiff_t incr)
{
    static char *brk = __heap_start;
    if (incr > __heap_end - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = brk;
    brk += incr;
    return old;
}
