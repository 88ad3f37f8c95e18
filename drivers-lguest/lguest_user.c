// SPDX-License-Identifier: GPL-2.0
/*
 * H:030 /dev/lguest: the Launcher's handle on a guest.
 *
 * Opening the device makes an empty guest; LGUEST_SETUP gives it memory
 * and a start address and binds it to the calling thread, which alone may
 * then LGUEST_RUN it.  Other threads of the Launcher may raise interrupts
 * (LGUEST_IRQ) or pull the running thread out (LGUEST_BREAK) at any time;
 * those two take no lock, so they never wait for a running guest.
 * Closing the file, or the Launcher dying, frees everything.
 *
 * A guest that has stopped (it shut down, or we killed it) may be set up
 * afresh on the same file: that is a reboot, and it works even after the
 * Launcher gave up the privileges it needed to open /dev/lguest.
 */
#define pr_fmt(fmt) "lguest: " fmt

#include <linux/module.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/nospec.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/mm.h>
#include <linux/cpufeature.h>
#include "lg.h"

/* One ABI for 32- and 64-bit Launchers: no implicit padding anywhere. */
static_assert(sizeof(struct lguest_setup) == 40);
static_assert(sizeof(struct lguest_vcpu_regs) == 64);
static_assert(sizeof(struct lguest_exit) == 160);
static_assert(sizeof(struct lguest_hcall_args) == 20);
static_assert(sizeof(struct lguest_data) == 1440);
/* x86/core.c writes the two in one go. */
static_assert(offsetof(struct lguest_data, cr2_unshadowed) ==
	      offsetof(struct lguest_data, cr2) + sizeof(u32));
static_assert(sizeof(struct lguest_stats) == 648);

/*
 * What each guest has done, in debugfs too: lguest/<pid>/stats, named
 * after the thread that runs it, for watching a guest from outside its
 * Launcher.  The counters are read without the guest's lock, which a
 * running guest holds: on a 32-bit host one may be read half updated.
 */
static struct dentry *lguest_debugfs;

static int stats_show(struct seq_file *m, void *unused)
{
	struct lguest *lg = m->private;
	const struct lguest_stats *st = &lg->stats;
	unsigned int i;

	seq_printf(m, "runs %llu\nexits_irq %llu\nexits_syscall %llu\n",
		   READ_ONCE(st->runs), READ_ONCE(st->exits_irq), READ_ONCE(st->exits_syscall));
	for (i = 0; i < ARRAY_SIZE(st->exits); i++)
		if (READ_ONCE(st->exits[i]))
			seq_printf(m, "exit %u %llu\n", i, READ_ONCE(st->exits[i]));
	for (i = 0; i < ARRAY_SIZE(st->hcalls); i++)
		if (READ_ONCE(st->hcalls[i]))
			seq_printf(m, "hcall %u %llu\n", i, READ_ONCE(st->hcalls[i]));
	seq_printf(m, "faults_fixed %llu\nfaults_reflected %llu\nmmio_exits %llu\n",
		   READ_ONCE(st->faults_fixed), READ_ONCE(st->faults_reflected),
		   READ_ONCE(st->mmio_exits));
	seq_printf(m, "faults_fixed_kernel %llu\nfaults_around %llu\n",
		   READ_ONCE(st->faults_fixed_kernel), READ_ONCE(st->faults_around));
	seq_printf(m, "pgdir_kept %llu\npgdir_dropped %llu\nshadow_flushes %llu\n",
		   READ_ONCE(st->pgdir_kept), READ_ONCE(st->pgdir_dropped),
		   READ_ONCE(st->shadow_flushes));
	seq_printf(m, "pins %llu\nswitcher_nmis %llu\n",
		   READ_ONCE(st->pins), READ_ONCE(st->switcher_nmis));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static void stats_debugfs_add(struct lguest *lg)
{
	static atomic_t seq = ATOMIC_INIT(0);
	char name[24];

	snprintf(name, sizeof(name), "%d", task_pid_nr(current));
	lg->debugfs = debugfs_create_dir(name, lguest_debugfs);
	/* A second guest of the same thread gets a name of its own. */
	if (IS_ERR(lg->debugfs)) {
		snprintf(name, sizeof(name), "%d-%d", task_pid_nr(current),
			 atomic_inc_return(&seq));
		lg->debugfs = debugfs_create_dir(name, lguest_debugfs);
	}
	debugfs_create_file("stats", 0400, lg->debugfs, lg, &stats_fops);
}

static int lguest_open(struct inode *inode, struct file *file)
{
	struct lguest *lg = kzalloc_obj(*lg, GFP_KERNEL_ACCOUNT);

	if (!lg)
		return -ENOMEM;
	mutex_init(&lg->lock);
	file->private_data = lg;
	return 0;
}

/* Free what one boot of the guest holds, and forget all of it. */
static void lguest_end_boot(struct lguest *lg)
{
	/*
	 * The timer exists once lg->tsk does (both come with the first setup that
	 * succeeds).  Stop it before irqs_pending is cleared below, or an old
	 * tick could reach the next boot.
	 */
	if (lg->tsk)
		hrtimer_cancel(&lg->timer);
	lguest_free_pagetables(lg);
	kfree(lg->fpu);
	/* This also forgets the pointers just freed. */
	memset(&lg->boot, 0, sizeof(lg->boot));
}

/* Forget a stopped guest before it boots again on the same file. */
static int lguest_reset(struct lguest *lg)
{
	if (!lg->dead && !lg->stopped)
		return -EBUSY;
	if (lg->tsk != current)
		return -EPERM;
	/*
	 * LGUEST_IRQ and LGUEST_BREAK refuse from now on.  One already past its
	 * check sets a bit that the clearing below may or may not catch, and
	 * lg->tsk, outside the boot group, stays valid for its wake-up.
	 */
	WRITE_ONCE(lg->set_up, false);
	lguest_end_boot(lg);
	return 0;
}

/* Is what the Launcher asks for a guest the host can run? */
static bool setup_ok(const struct lguest_setup *s)
{
	u64 mem_end = (u64)s->mem_pages << PAGE_SHIFT;
	u64 mmio_end = (u64)s->mmio_base + s->mmio_size;

	/*
	 * Unknown flags are refused, so they can be given a meaning later.  The
	 * guest's memory must be whole pages of the Launcher's user address
	 * space: every later access is a user copy or a pin from there.
	 */
	if (s->flags || s->reserved || !s->mem_pages || (s->mem_base & ~PAGE_MASK) ||
	    !access_ok((void __user *)(unsigned long)s->mem_base, mem_end) ||
	    s->mem_base + mem_end > TASK_SIZE)
		return false;
	/* The guest's memory and its MMIO window stay below the Switcher. */
	if (mem_end > lguest_guest_top() || mmio_end > lguest_guest_top() ||
	    ((s->mmio_base | s->mmio_size) & ~PAGE_MASK) ||
	    (s->mmio_size && s->mmio_base < mem_end) ||
	    (s->page_offset & ~PAGE_MASK))
		return false;
	/*
	 * Both are guest-physical, as the guest has no page tables yet: its
	 * first instruction and its boot parameters must be in its memory.
	 */
	return s->entry < mem_end && s->boot_params < mem_end;
}

/*
 * H:040 The first LGUEST_SETUP binds the file to the calling thread and its
 * memory; later ones (a reboot) must come from the same thread.  A setup
 * that fails leaves nothing of this boot behind, so it may be retried.
 */
static int lguest_setup(struct lguest *lg, const struct lguest_setup __user *arg)
{
	struct lguest_setup s;
	int err;

	/* Checked and used from this one copy only. */
	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (lg->set_up) {
		err = lguest_reset(lg);
		if (err)
			return err;
	}
	/* The pins are charged to one memory: the Launcher's, for good. */
	if ((lg->tsk && lg->tsk != current) || (lg->mm && lg->mm != current->mm))
		return -EPERM;
	if (!setup_ok(&s))
		return -EINVAL;

	if (!lg->regs_page) {
		/*
		 * Kept across reboots.  It is zeroed because it is mapped into the guest
		 * as its register page.
		 */
		lg->regs_page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!lg->regs_page)
			return -ENOMEM;
		/*
		 * struct lguest_regs ends at the end of the page, where the CPU's trap
		 * frame lands (x86/switcher.h).
		 */
		lg->regs = page_address(lg->regs_page) + LGP_REGS;
	}
	if (!lg->mm) {
		lg->mm = current->mm;
		/*
		 * mmgrab() keeps the mm_struct, not the address space: enough to
		 * uncharge the pins from when the file is closed, perhaps after the
		 * Launcher has exited, and no later process can get an mm at the
		 * same address and pass the checks above.
		 */
		mmgrab(lg->mm);
	}

	/* lguest_init_pagetables() and the guest setup below work from these. */
	lg->mem_base = s.mem_base;
	lg->mem_pages = s.mem_pages;
	lg->mmio_base = s.mmio_base;
	lg->mmio_size = s.mmio_size;
	lg->page_offset = s.page_offset;
	err = lguest_init_pagetables(lg);
	if (!err)
		err = lguest_arch_setup_guest(lg, s.entry, s.boot_params);
	if (err) {
		lguest_end_boot(lg);
		return err;
	}

	if (!lg->tsk) {
		lguest_setup_timer(lg);
		/*
		 * The reference keeps the task_struct for other threads' wake-ups, and the
		 * timer's, even after this thread exits.
		 */
		lg->tsk = get_task_struct(current);
		stats_debugfs_add(lg);
	}
	/* LGUEST_IRQ and LGUEST_BREAK may use lg->tsk once they see this. */
	smp_store_release(&lg->set_up, true);
	return 0;
}

static long lguest_run(struct lguest *lg, struct lguest_exit __user *arg)
{
	struct lguest_exit exit;
	int err;

	if (!lg->set_up)
		return -ENOENT;
	/* After an execve() the memory the guest was set up with is gone. */
	if (lg->tsk != current || lg->mm != current->mm)
		return -EPERM;
	/*
	 * A guest that shut down stays down until the Launcher sets it up again;
	 * a dead one only reports why (lguest_run_guest()).
	 */
	if (lg->stopped)
		return -ESHUTDOWN;
	err = lguest_run_guest(lg, &exit);
	if (err)
		return err;
	return copy_to_user(arg, &exit, sizeof(exit)) ? -EFAULT : 0;
}

static void regs_to_user(const struct lguest_regs *r, struct lguest_vcpu_regs *u)
{
	*u = (struct lguest_vcpu_regs) {
		.eax = r->eax, .ebx = r->ebx, .ecx = r->ecx, .edx = r->edx,
		.esi = r->esi, .edi = r->edi, .ebp = r->ebp, .esp = r->esp,
		.eip = r->eip, .eflags = r->eflags,
		.cs = r->cs, .ss = r->ss, .ds = r->ds, .es = r->es,
		.fs = r->fs, .gs = r->gs,
	};
}

/* The Launcher may change anything a guest could, nothing more. */
static int regs_from_user(struct lguest *lg, const struct lguest_vcpu_regs *u)
{
	/*
	 * Work on a copy: trapnum and errcode are kept, and a refusal leaves the
	 * registers as they were.
	 */
	struct lguest_regs r = *lg->regs;

	r.eax = u->eax;
	r.ebx = u->ebx;
	r.ecx = u->ecx;
	r.edx = u->edx;
	r.esi = u->esi;
	r.edi = u->edi;
	r.ebp = u->ebp;
	r.esp = u->esp;
	r.eip = u->eip;
	r.eflags = u->eflags;
	r.cs = u->cs;
	r.ss = u->ss;
	r.ds = u->ds;
	r.es = u->es;
	r.fs = u->fs;
	r.gs = u->gs;
	/*
	 * The same test the next entry applies (sanitize_regs()), so the Launcher
	 * hears of a bad %cs, %ss or eip now, as -EINVAL, rather than through a
	 * dead guest.  Bad data selectors are cleared at entry, and eflags is
	 * masked there, as for the guest itself.
	 */
	if (!lguest_iret_ok(lg, r.cs, r.ss, r.eip))
		return -EINVAL;
	*lg->regs = r;
	return 0;
}

static long lguest_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lguest *lg = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct lguest_vcpu_regs uregs;
	u32 irq;
	long ret;

	/* The calls that must not wait for a running guest. */
	switch (cmd) {
	case LGUEST_GET_ABI_VERSION:
		return LGUEST_ABI_VERSION;
	case LGUEST_IRQ:
		if (get_user(irq, (u32 __user *)uarg))
			return -EFAULT;
		if (irq >= LGUEST_IRQS)
			return -EINVAL;
		/* Pairs with lguest_setup(): lg->tsk is valid once set_up is. */
		if (!smp_load_acquire(&lg->set_up))
			return -ENOENT;
		/*
		 * irq comes from user space: no out-of-bounds bit under speculation
		 * either.  A halted guest is woken; a running one takes the interrupt at
		 * its next exit.
		 */
		set_bit(array_index_nospec(irq, LGUEST_IRQS), lg->irqs_pending);
		wake_up_process(lg->tsk);
		return 0;
	case LGUEST_BREAK:
		/* As for LGUEST_IRQ. */
		if (!smp_load_acquire(&lg->set_up))
			return -ENOENT;
		WRITE_ONCE(lg->break_out, true);
		/*
		 * The wake-up is for a halted guest.  A running one gets an IPI: the
		 * interrupt takes the CPU out of the guest, and the run loop checks
		 * break_out before it enters again.
		 */
		wake_up_process(lg->tsk);
		kick_process(lg->tsk);
		return 0;
	}

	/*
	 * The rest need the lock, which LGUEST_RUN holds for the whole run: the
	 * guest is not running while its registers are read or replaced, and a
	 * second thread waiting here can still be interrupted.
	 */
	if (mutex_lock_interruptible(&lg->lock))
		return -EINTR;
	switch (cmd) {
	case LGUEST_SETUP:
		ret = lguest_setup(lg, uarg);
		break;
	case LGUEST_RUN:
		ret = lguest_run(lg, uarg);
		break;
	case LGUEST_GET_REGS:
		ret = -ENOENT;
		/* Before a setup succeeds, lg->regs may not even exist. */
		if (!lg->set_up)
			break;
		regs_to_user(lg->regs, &uregs);
		ret = copy_to_user(uarg, &uregs, sizeof(uregs)) ? -EFAULT : 0;
		break;
	case LGUEST_GET_STATS:
		ret = -ENOENT;
		if (!lg->set_up)
			break;
		/* Under the lock, so consistent, unlike the debugfs file. */
		ret = copy_to_user(uarg, &lg->stats, sizeof(lg->stats)) ? -EFAULT : 0;
		break;
	case LGUEST_SET_REGS:
		ret = -ENOENT;
		if (!lg->set_up)
			break;
		ret = -EFAULT;
		if (copy_from_user(&uregs, uarg, sizeof(uregs)))
			break;
		ret = regs_from_user(lg, &uregs);
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	mutex_unlock(&lg->lock);
	return ret;
}

static int lguest_release(struct inode *inode, struct file *file)
{
	struct lguest *lg = file->private_data;

	/*
	 * Removing the stats file waits for any reader still in stats_show(),
	 * which uses lg.  The timer, which uses lg->tsk, is stopped in
	 * lguest_end_boot() before the reference to the task is dropped, and the
	 * CPUs' pages must forget lg before it is freed.
	 */
	debugfs_remove_recursive(lg->debugfs);
	lguest_end_boot(lg);
	lguest_arch_forget(lg);
	if (lg->tsk)
		put_task_struct(lg->tsk);
	if (lg->mm)
		mmdrop(lg->mm);
	if (lg->regs_page)
		__free_page(lg->regs_page);
	kfree(lg);
	return 0;
}

static const struct file_operations lguest_fops = {
	.owner		= THIS_MODULE,
	.open		= lguest_open,
	.release	= lguest_release,
	.unlocked_ioctl	= lguest_ioctl,
	/*
	 * The ABI's structures are the same for 32- and 64-bit Launchers, so a
	 * 32-bit one on a 64-bit host needs only its pointers widened.
	 */
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice lguest_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "lguest",
	.fops	= &lguest_fops,
};

static int __init lguest_device_init(void)
{
	int err = misc_register(&lguest_dev);

	if (!err)
		lguest_debugfs = debugfs_create_dir("lguest", NULL);
	return err;
}

static void lguest_device_remove(void)
{
	misc_deregister(&lguest_dev);
	debugfs_remove_recursive(lguest_debugfs);
}

/*
 * H:025 Loading the module builds the house from the ground up: the
 * Switcher's pages, the page table that maps them into guests, each CPU's
 * GDT slots and state pages, and only then the door, /dev/lguest.
 */
static int __init lguest_init(void)
{
	int err;

	if (boot_cpu_has(X86_FEATURE_LGUEST)) {
		pr_err("cannot run guests inside a guest\n");
		return -EPERM;
	}
	err = lguest_switcher_init();
	if (err)
		return err;
	err = lguest_switcher_pte_init();
	if (err)
		goto unmap;
	err = lguest_arch_host_init();
	if (err)
		goto free_ptes;
	err = lguest_device_init();
	if (err)
		goto arch_fini;
	return 0;

arch_fini:
	lguest_arch_host_fini();
free_ptes:
	lguest_switcher_pte_fini();
unmap:
	lguest_switcher_fini();
	return err;
}

static void __exit lguest_exit(void)
{
	lguest_device_remove();
	lguest_arch_host_fini();
	lguest_switcher_pte_fini();
	lguest_switcher_fini();
}

module_init(lguest_init);
module_exit(lguest_exit);
MODULE_DESCRIPTION("lguest: a hypervisor for 32-bit paravirtualized Linux guests");
MODULE_LICENSE("GPL");
