/*
 * dynstack: a Promela model of stack pages across stacks and stack
 * lifetimes (kernel/dynstack/): pages that move from one stack to another
 * through the supply, stacks that are freed, cached and reused by a new
 * task, virtual areas that are destroyed and created again, and the
 * policy's unregistration with its repopulation (I6), at the level of PTEs
 * and TLBs.
 *
 * Two virtual areas (stacks) with one detachable slot each (a stack of two
 * pages: the top page never leaves and is not modelled), two pages that
 * belong to a stack, the policy's supply or the page allocator, two CPUs
 * with TLBs, speculative walks. Two task slots: each runs a task that
 * sleeps and runs again, or exits; its stack is freed by the last
 * reference (into the per-CPU cache if full and cache_put() takes it, else
 * destroyed) and a new
 * task is forked in its place with a cached stack or a new one: an
 * unbounded number of tasks over time, at most two alive at once. The
 * reclaim pass takes both tasks in one batch with one flush. The admin
 * unregisters the policy and registers it again, forever. A free page is
 * in the policy's supply (zeroed when it went there) or in the page
 * allocator (any content: a destroyed stack's pages go back as they are;
 * zeroed when allocated).
 *
 * Switches: -DNOADMIN (no unregister), -DNOEXIT (tasks never exit),
 * -DNORECLAIM (no reclaim pass), to look at one part at a time.
 *
 * proof/dynstack.pml has the single-stack protocol in more detail (three
 * pages, readers of another task's stack, wakers writing into a sleeping
 * task's frames, every lock section open to the hardware); this model
 * adds what one stack cannot show, with each lock section one step
 * (docs/proof.md, "Stacks and their lifetimes", says why that is sound).
 *
 * Every lock section or atomic instruction of the code is one atomic step;
 * the interleaving is sequentially consistent (docs/design.md, "Lock and
 * memory ordering", says which barriers make that sound).
 *
 * Safety (assertions and a monitor, in every reachable state):
 *  I1   a running task never walks to its slot without a PTE;
 *  TLB  no access through a TLB entry (or a walk) reaches a page that is
 *       not this stack's page for this slot: not one the supply holds, not
 *       one that moved to the other stack, not one of a destroyed stack;
 *  I4   a page the supply or the allocator hands to a stack is zero, and a
 *       reused stack holds none of its previous task's data;
 *  I6   when unregister turns the switch-in hook off, every stack is full;
 *  OWN  every page is in exactly one place, and a page is pending only
 *       while a reclaim pass is between its harvest and its release;
 *  I2   a TLB holds a translation of a present slot only if its Accessed
 *       bit is 1 or the slot is stale: what makes a detach on Accessed=0
 *       safe.
 *
 * Mutants (spin -DMUT_...): each a seeded bug that must be caught.
 *  MUT_UNREG_NO_SYNC     unregister does not wait (synchronize_rcu()) for
 *                        switch-outs that saw the detach key on (I1)
 *  MUT_UNREG_HOOK_FIRST  unregister turns the switch-in hook off before
 *                        it repopulates (I1)
 *  MUT_VA_NO_PURGE       a destroyed stack's virtual area is reused
 *                        without the lazy-purge TLB flush (I2, TLB)
 *  MUT_SCRUB_YOUNG_ONLY  scrub_reused() zeroes only pages with Accessed=1,
 *                        not pages reinstalled from pending (I4)
 *  MUT_LOCAL_FLUSH       the reclaim pass flushes only its own CPU's TLB
 *                        (I2, TLB)
 *
 * docs/proof.md maps every step to the code and says what is abstracted.
 */

#define NV	2		/* virtual areas (stacks) */
#define NPAGE	2		/* detachable pages: as many as slots */
#define NCPU	2
#define NONE	255

/* Where a page is: the page allocator, the policy's supply, a stack. */
#define BUDDY	0
#define SUPPLY	1
#define VA(v)	(2 + (v))

/* A virtual area: no stack on it; a task's stack; in the per-CPU cache. */
#define VFREE	0
#define VUSED	1
#define VCACHED	2
#define VNEW	3		/* being created, not on dynstack_all yet */

byte owner[NPAGE];
bool nonzero[NPAGE];

byte vstate[NV];
bool lazy[NV];			/* freed, its translations maybe cached */
bool P[NV];			/* the slot's PTE: present */
bool A[NV];			/* and Accessed */
byte pg[NV];			/* ds->pages[0], NONE if none */
bool pending[NV];
bool stale[NV];
bool dirty[NV];
byte refcnt[NV];		/* stack_refcount */

/* The task on a stack (while it is VUSED). */
bool running[NV];
bool dead[NV];			/* TASK_DEAD: its last switch-out is done */
bool live[NV];			/* the slot holds live frames (sp below it) */

/* tlb[cpu * NV + v]: the page the CPU caches for the slot of area v. */
byte tlb[NCPU * NV];

byte cache = NONE;		/* dynstack_cache: one entry is enough */
bool switch_key = true;		/* dynstack_switch_key */
bool detach_key = true;		/* dynstack_detach_key */
bool policy = true;		/* dynstack_policy != NULL */
bool mutex;			/* dynstack_policy_mutex */
byte inhook;			/* switch-outs that saw the detach key on */
bool inpass;			/* the reclaim pass holds pending pages */

/* Scratch of atomic steps: not part of the state. */
hidden byte hp;

/*
 * A free page into @hp: from the policy's supply, whose pages are zero (I4),
 * or from the page allocator, which zeroes it (__GFP_ZERO; for a switch-in
 * that is kdynstackd's allocation once the task has waited for it: the
 * waiting is proof/waiting.pml's). A slot without a page means its page
 * is free: the other stack holds at most one.
 */
inline take_free()
{
	if
	:: owner[0] == SUPPLY -> hp = 0; assert(!nonzero[hp])	/* I4 */
	:: owner[1] == SUPPLY -> hp = 1; assert(!nonzero[hp])	/* I4 */
	:: owner[0] == BUDDY -> hp = 0; nonzero[hp] = false
	:: owner[1] == BUDDY -> hp = 1; nonzero[hp] = false
	fi
}

/* What the monitor checks in every state (OWN). */
#define PAGE_OK(p)	(owner[p] < 2 || pg[owner[p] - 2] == p)
#define SLOT_OK(v)	(pg[v] == NONE || owner[pg[v]] == VA(v))
#define FULL(v)		(vstate[v] == VFREE || vstate[v] == VNEW || P[v])
#define OWNED		(PAGE_OK(0) && PAGE_OK(1) && SLOT_OK(0) && SLOT_OK(1))
#define PENDING_OK	((inpass || (!pending[0] && !pending[1])) && \
			 (!pending[0] || !P[0]) && (!pending[1] || !P[1]))
/* I2: a cached translation of a present slot: Accessed is 1, or stale. */
#define TLB_OK(c, v)	(tlb[(c) * NV + (v)] == NONE || !P[v] || A[v] || stale[v])
#define I2_PREMISE	(TLB_OK(0, 0) && TLB_OK(0, 1) && TLB_OK(1, 0) && TLB_OK(1, 1))
#define INV		(OWNED && PENDING_OK && I2_PREMISE)

/*
 * One access by @cpu to the slot of @v, through its TLB or a page walk
 * that sets Accessed and may cache the translation. @how: 1 writes data,
 * 2 writes zeroes (scrub_reused()'s memset()).
 */
inline access(cpu, v, how)
{
	if
	:: tlb[cpu * NV + v] != NONE ->
		assert(owner[tlb[cpu * NV + v]] == VA(v) &&
		       pg[v] == tlb[cpu * NV + v]);		/* TLB */
		nonzero[pg[v]] = (how == 1)
	:: else ->
		assert(P[v]);					/* I1 */
		A[v] = true;
		nonzero[pg[v]] = (how == 1);
		if
		:: tlb[cpu * NV + v] = pg[v]
		:: skip
		fi
	fi
}

/* slot_give_back(): to the supply, zeroed if it came back from pending. */
inline give_back(v)
{
	if
	:: dirty[v] -> nonzero[pg[v]] = false
	:: else -> skip
	fi;
	owner[pg[v]] = SUPPLY;
	pg[v] = NONE;
	dirty[v] = false
}

/* dynstack_install_pte() of a page now the stack's: one store, Accessed=0. */
inline install(v)
{
	owner[hp] = VA(v);
	pg[v] = hp; P[v] = true; A[v] = false;
	hp = 0
}

/*
 * dynstack_populate() (switch-in) and dynstack_refill() (unregister), under
 * ds->lock: the pending page back where it was, stale until the next
 * flush and dirty (I3); else a zero page (I4).
 */
inline populate(v)
{
	if
	:: !P[v] && pending[v] ->
		P[v] = true; A[v] = false;
		pending[v] = false; stale[v] = true; dirty[v] = true
	:: !P[v] && !pending[v] ->
		take_free(); install(v)
	:: P[v] -> skip
	fi
}

/*
 * The last put_task_stack() -> dynstack_free_task_stack(): cache_put()
 * takes only a full stack, and may refuse one (the exit reserve is short,
 * or this CPU's entries are taken); else dynstack_destroy() (after a
 * grace period, which changes nothing here): off dynstack_all, the PTE
 * cleared under ds->lock, the area to vmalloc's lazy purge (its
 * translations may stay cached until the purge's flush), the page back to
 * the allocator as it is. A freed stack has no pending page and no stale
 * slot: only a reclaim pass makes them, and it holds the stack until it
 * has released or retired them.
 */
inline put_stack(v)
{
	refcnt[v]--;
	if
	:: refcnt[v] == 0 ->
		assert(!pending[v] && !stale[v]);
		if
		:: cache == NONE && P[v] ->
			cache = v; vstate[v] = VCACHED
		:: true ->
			P[v] = false; A[v] = false;
			if
			:: pg[v] != NONE -> owner[pg[v]] = BUDDY; pg[v] = NONE
			:: else -> skip
			fi;
			dirty[v] = false;
			lazy[v] = true;
			vstate[v] = VFREE
		fi
	:: refcnt[v] > 0 -> skip
	fi
}

/* A task slot: a task runs and sleeps, or exits and a new one is forked. */
proctype Task(byte v0)
{
	byte v = v0, c;
	bool dk;
	do
	:: /* Switch-in: __dynstack_switch_in(), under ds->lock. */
		atomic {
			if
			:: switch_key -> populate(v)
			:: else -> skip
			fi;
			if
			:: c = 0
			:: c = 1
			fi;
			running[v] = true
		};
		/* Runs on CPU c: uses its stack. */
		do
		:: atomic { access(c, v, 1) }
		:: break
		od;
		if
		:: /*
		    * Sleeps. switch_to() saves a stack pointer: the slot holds
		    * live frames or not. The switch-out hook (IRQs off) sees
		    * the detach key on or off...
		    */
			atomic {
				if
				:: live[v] = true
				:: live[v] = false
				fi;
				if
				:: detach_key -> dk = true; inhook++
				:: else -> skip
				fi
			};
			/*
			 * ...and, under ds->lock, with no other reference
			 * (I7), takes the page if untouched: the cmpxchg of
			 * take_untouched() (I2). finish_task(); IRQs on.
			 */
			atomic {
				if
				:: dk && refcnt[v] == 1 && !live[v] &&
				   P[v] && !A[v] && !stale[v] ->
					P[v] = false;
					give_back(v)
				:: else -> skip
				fi;
				running[v] = false;
				if
				:: dk -> inhook--
				:: else -> skip
				fi;
				dk = false; c = 0
			}
#ifndef NOEXIT
		:: /* Exits: its last switch-out keeps the page (dynstack_task_dying()). */
			atomic { dead[v] = true; running[v] = false };
			/* finish_task_switch(): put_task_stack() */
			atomic { put_stack(v) };
			/*
			 * A new task in the slot: dynstack_alloc_task_stack()
			 * on CPU c. A cached stack, scrubbed without a lock
			 * (scrub_reused(): nobody else uses it); or a new
			 * one on a free area (vmalloc reuses an area only
			 * after the lazy purge's flush), with a zero page;
			 * also while a stack is cached (on another CPU).
			 */
			if
			:: atomic {
				cache != NONE ->
				v = cache; cache = NONE;
				if
				:: P[v] && A[v] -> access(c, v, 2)
#ifndef MUT_SCRUB_YOUNG_ONLY
				:: P[v] && !A[v] && dirty[v] ->
					nonzero[pg[v]] = false
#endif
				:: else -> skip
				fi;
				dirty[v] = false;
				/* I4: nothing of the previous task is left */
				assert(!P[v] || !nonzero[pg[v]]);
				refcnt[v] = 1; dead[v] = false; live[v] = true;
				vstate[v] = VUSED; c = 0
			   }
			:: atomic {
				vstate[0] == VFREE || vstate[1] == VFREE ->
				if
				:: vstate[0] == VFREE -> v = 0
				:: vstate[1] == VFREE -> v = 1
				fi;
#ifndef MUT_VA_NO_PURGE
				if
				:: lazy[v] -> tlb[v] = NONE; tlb[NV + v] = NONE
				:: else -> skip
				fi;
#endif
				lazy[v] = false;
				vstate[v] = VNEW
			   };
				/* dynstack_create(): a page, then on dynstack_all */
				atomic {
					take_free(); install(v);
					refcnt[v] = 1; dead[v] = false; live[v] = true;
					vstate[v] = VUSED; c = 0
				}
			fi
#endif
		fi
	od
}

/*
 * dynstack_reclaim() with ctl->touched: both tasks in one batch, one
 * flush for the batch, then the releases.
 */
proctype Reclaimer()
{
	bool held0, held1, cov0, cov1;
	do
	:: /* reclaim_chunk(): try_get_task_stack() on each task's stack */
		atomic {
			!mutex && policy -> mutex = true;
			if
			:: vstate[0] == VUSED && refcnt[0] > 0 -> refcnt[0]++; held0 = true
			:: else -> skip
			fi;
			if
			:: vstate[1] == VUSED && refcnt[1] > 0 -> refcnt[1]++; held1 = true
			:: else -> skip
			fi;
			inpass = true
		};
		/*
		 * reclaim_pinned(): pinned and under ds->lock; a task that is
		 * not running nor dead loses the page below its stack
		 * pointer (harvest_slot(): an xchg): untouched at once,
		 * touched kept pending; the snapshot the flush will cover.
		 * A stack with nothing to cover is put at once (not in the
		 * batch): reclaim_put().
		 */
#define HARVEST(v, held, cov)						\
		atomic {						\
			if						\
			:: held && !running[v] && !dead[v] && !live[v] && P[v] -> \
				P[v] = false;				\
				if					\
				:: !A[v] && !stale[v] -> give_back(v)	\
				:: else -> A[v] = false; pending[v] = true \
				fi					\
			:: else -> skip					\
			fi;						\
			cov = held && (pending[v] || stale[v]);		\
			if						\
			:: held && !cov -> put_stack(v); held = false	\
			:: else -> skip					\
			fi						\
		}
		HARVEST(0, held0, cov0);
		HARVEST(1, held1, cov1);
		/* flush_tlb_all(): completes on every CPU */
		atomic {
			if
			:: cov0 || cov1 ->
				tlb[0] = NONE; tlb[1] = NONE;
#ifndef MUT_LOCAL_FLUSH
				tlb[2] = NONE; tlb[3] = NONE
#endif
			:: else -> skip
			fi
		};
		/*
		 * dynstack_release_pending() under ds->lock: the snapshot's
		 * pending pages, zeroed, to the supply; its stale bits
		 * retired. Then reclaim_put().
		 */
#define RELEASE(v, held, cov)						\
		atomic {						\
			if						\
			:: held ->					\
				if					\
				:: pending[v] && cov ->			\
					nonzero[pg[v]] = false;		\
					owner[pg[v]] = SUPPLY;		\
					pg[v] = NONE;			\
					pending[v] = false;		\
					dirty[v] = false		\
				:: else -> skip				\
				fi;					\
				if					\
				:: cov -> stale[v] = false		\
				:: else -> skip				\
				fi;					\
				put_stack(v)				\
			:: else -> skip					\
			fi;						\
			held = false; cov = false			\
		}
		RELEASE(0, held0, cov0);
		atomic {
			RELEASE(1, held1, cov1);
			inpass = false;
			mutex = false
		}
	od
}

/* dynstack_unregister() and dynstack_register(), again and again. */
proctype Admin()
{
	do
	:: atomic { !mutex && policy -> mutex = true; detach_key = false };
#ifdef MUT_UNREG_HOOK_FIRST
		switch_key = false;
#endif
#ifndef MUT_UNREG_NO_SYNC
		/* synchronize_rcu(): switch-outs that saw the key on are done */
		inhook == 0;
#endif
		/*
		 * dynstack_repopulate_all(): each stack on dynstack_all
		 * under its ds->lock (allocated pages, __GFP_ZERO).
		 */
		atomic {
			if
			:: vstate[0] == VUSED || vstate[0] == VCACHED -> populate(0)
			:: else -> skip
			fi
		};
		atomic {
			if
			:: vstate[1] == VUSED || vstate[1] == VCACHED -> populate(1)
			:: else -> skip
			fi
		};
		/* The switch-in hook off, the policy gone. */
		atomic {
			assert(FULL(0) && FULL(1));		/* I6 */
			switch_key = false;
			policy = false;
			mutex = false
		};
		/* dynstack_register() */
		atomic {
			!mutex -> policy = true;
			switch_key = true;
			detach_key = true
		}
	od
}

/* Speculative walks, and TLBs dropping entries, at any time. */
proctype Hardware()
{
	do
	:: atomic {
		if :: hp = 0 :: hp = 1 fi;	/* the slot of area hp */
		if
		:: P[hp] && tlb[hp] == NONE -> A[hp] = true; tlb[hp] = pg[hp]
		:: P[hp] && tlb[NV + hp] == NONE -> A[hp] = true; tlb[NV + hp] = pg[hp]
		:: else -> skip
		fi;
		hp = 0
	   }
	:: atomic {
		if
		:: tlb[0] = NONE
		:: tlb[1] = NONE
		:: tlb[2] = NONE
		:: tlb[3] = NONE
		fi
	   }
	od
}

proctype Monitor()
{
end:	atomic {
		!INV ->
		assert(OWNED);			/* OWN */
		assert(PENDING_OK);		/* OWN */
		assert(I2_PREMISE)		/* I2 */
	}
}

init
{
	atomic {
		/* Two tasks, each with a full new stack. */
		owner[0] = VA(0); pg[0] = 0; P[0] = true;
		owner[1] = VA(1); pg[1] = 1; P[1] = true;
		vstate[0] = VUSED; vstate[1] = VUSED;
		refcnt[0] = 1; refcnt[1] = 1;
		live[0] = true; live[1] = true;
		tlb[0] = NONE; tlb[1] = NONE; tlb[2] = NONE; tlb[3] = NONE;
		run Task(0);
		run Task(1);
#ifndef NORECLAIM
		run Reclaimer();
#endif
#ifndef NOADMIN
		run Admin();
#endif
		run Hardware();
		run Monitor()
	}
}
