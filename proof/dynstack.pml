/*
 * dynstack: a Promela model of the stack-page protocol (kernel/dynstack/slots.c).
 *
 * One dynamic stack with NSLOT detachable slots (the top page never leaves
 * and is not modelled), its task, two CPUs with TLBs, a reader of the stack
 * (an unwinder: /proc/PID/stack, sysrq-t), a waker that writes into the
 * sleeping task's live frames, speculative page walks, and the reclaim
 * pass. Every step that the code does under a lock or with one atomic
 * instruction is one atomic step here. The interleaving is sequentially
 * consistent: the barriers the code relies on (docs/design.md, "Lock and
 * memory ordering") are what make that abstraction sound.
 *
 * Safety (assertions, checked exhaustively):
 *  I1  the task never walks to a slot without a PTE while it runs;
 *  I7  the reader never walks to a slot without a PTE while it holds the
 *      stack, from the stack pointer it read;
 *  TLB no access through any CPU's TLB (or a walk) reaches a page that is
 *      no longer this slot's: not given back to the supply, not moved to
 *      another slot (what I2 and I3 exist for);
 *  I4  a page handed to the stack from the supply is zero.
 *
 * Mutants (spin -DMUT_...): each a seeded protocol bug that must be caught.
 *  MUT_NO_READER_CHECK   detach although a reader holds the stack (I7)
 *  MUT_DETACH_STALE      switch-out takes a stale slot on Accessed=0 (I2);
 *                        see SWITCHOUT_IGNORES_RECLAIMER below
 *  MUT_RELEASE_EARLY     the reclaim pass releases before its flush (I3)
 *  MUT_RELEASE_ALL       switch-out exchanges after a plain read (may
 *                        leave a pending page) and the pass releases every
 *                        pending page, not only its snapshot (I3), as the
 *                        code before issue 18 did; see below
 *  MUT_SKIP_DIRTY_ZERO   a page reinstalled from pending leaves unzeroed (I4)
 *  MUT_REINSTALL_OTHER   switch-in maps a fresh page over a pending slot and
 *                        gives the pending page back at once (I3)
 *
 * docs/proof.md maps every step to the code and says what is abstracted.
 */

/*
 * The reclaim pass holds a reference on the stack from its harvest to its
 * release, so with the reader check a switch-out takes nothing in between:
 * another defence for I3. The stale bit and the flush snapshot are the
 * defences that do not depend on it, so their mutants also let the
 * switch-out ignore the reclaimer's reference (a reclaimer that pins its
 * tasks without holding their stacks; the code before I7 checked no
 * reference at all). Readers' references still count.
 */
#if defined(MUT_DETACH_STALE) || defined(MUT_RELEASE_ALL)
#define SWITCHOUT_IGNORES_RECLAIMER
#endif

#define NSLOT	2		/* detachable slots: 0 is the lowest */
#define NPAGE	3		/* the stack holds at most NSLOT: one always free */
#define NCPU	2
#define NONE	255

#define SUPPLY	0
#define STACK	1

/* Pages: who owns each, and whether its content is non-zero. */
byte owner[NPAGE];
bool nonzero[NPAGE];

/* The stack's slots (struct dynstack) and their PTEs. */
bool P[NSLOT];			/* PTE present */
bool A[NSLOT];			/* PTE Accessed */
byte pg[NSLOT];			/* ds->pages[i], NONE if the slot has none */
bool pending[NSLOT];
bool stale[NSLOT];
bool dirty[NSLOT];

/* TLB[cpu * NSLOT + slot]: the page a cached translation points to. */
byte tlb[NCPU * NSLOT];

/* The task: slots below sp are dead while it sleeps (0..NSLOT). */
byte sp;
bool running;
byte tcpu;
byte refcnt = 1;		/* stack_refcount: the task's own reference */
bool rheld;			/* one of them is the reclaim pass's */
bool dslock;			/* ds->lock (and, with !running, the pin) */

/* Scratch of steps that are atomic: not part of the state. */
hidden byte hc, hs;

#define LOCK	atomic { !dslock -> dslock = true }
#define UNLOCK	dslock = false

/*
 * One access by @cpu to @s: through its TLB, or a page walk that sets
 * Accessed and may cache the translation. A walk that finds no PTE is a
 * fault: I1 when the task does it, I7 when the reader does. @write makes
 * the page's content non-zero.
 */
inline access(cpu, s, write)
{
	atomic {
		if
		:: tlb[cpu * NSLOT + s] != NONE ->
			/* TLB: the cached page must still be this slot's. */
			assert(owner[tlb[cpu * NSLOT + s]] == STACK &&
			       pg[s] == tlb[cpu * NSLOT + s]);
			if
			:: write -> nonzero[tlb[cpu * NSLOT + s]] = true
			:: else -> skip
			fi
		:: else ->
			assert(P[s]);
			A[s] = true;
			assert(owner[pg[s]] == STACK);
			if
			:: write -> nonzero[pg[s]] = true
			:: else -> skip
			fi;
			if
			:: tlb[cpu * NSLOT + s] = pg[s]
			:: skip
			fi
		fi
	}
}

/* Give slot @s's page back to the supply, zeroing it if it held data. */
inline give_back(s, zero)
{
	if
	:: zero -> nonzero[pg[s]] = false
	:: else -> skip
	fi;
	owner[pg[s]] = SUPPLY;
	pg[s] = NONE;
	dirty[s] = false
}

/* dynstack_populate(): under ds->lock, at switch-in. */
inline populate()
{
	s = 0;
	do
	:: s < NSLOT && !P[s] && pending[s] ->
#ifdef MUT_REINSTALL_OTHER
		/* Bug: a fresh page instead, the pending one back at once. */
		owner[pg[s]] = SUPPLY;
		nonzero[pg[s]] = false;
		pending[s] = false;
		pg[s] = NONE;
#else
		/* I3: the same page goes back; stale until the next flush. */
		atomic { P[s] = true; A[s] = false };	/* set_pte_at() */
		pending[s] = false; stale[s] = true; dirty[s] = true;
		s++
#endif
	:: s < NSLOT && !P[s] && !pending[s] ->
		/* Any page of the supply (magazine, depot or reserve order). */
		p = 0;
		do
		:: p < NPAGE && owner[p] != SUPPLY -> p++
		:: p < NPAGE && owner[p] == SUPPLY -> break
		:: p < NPAGE && owner[p] == SUPPLY -> p++
		:: p == NPAGE -> p = 0
		od;
		assert(!nonzero[p]);		/* I4 */
		owner[p] = STACK;
		/* set_pte_at(): one store, Accessed=0 */
		atomic { pg[s] = p; P[s] = true; A[s] = false };
		s++
	:: s < NSLOT && P[s] -> s++
	:: s == NSLOT -> break
	od
}

/* The switch-out's detach (take_untouched()), under ds->lock. */
inline switch_out_detach()
{
	s = 0;
	do
	:: s < sp ->
#ifdef MUT_RELEASE_ALL
		/* The old code: a plain read, then an exchange. */
		if
		:: P[s] && !A[s] && !stale[s] ->
			/* a walk may set Accessed here */
			atomic {
				P[s] = false;
				if
				:: A[s] -> A[s] = false; pending[s] = true
				:: else -> give_back(s, dirty[s])
				fi
			}
		:: else -> skip
		fi;
#else
		atomic {
			if
#ifdef MUT_DETACH_STALE
			:: P[s] && !A[s] ->
#else
			:: P[s] && !A[s] && !stale[s] ->
#endif
				/* cmpxchg from the Accessed=0 value: I2 */
				P[s] = false;
#ifdef MUT_SKIP_DIRTY_ZERO
				give_back(s, false)
#else
				give_back(s, dirty[s])
#endif
			:: else -> skip
			fi
		};
#endif
		s++
	:: s >= sp -> break
	od
}

proctype Task()
{
	byte s, p;
	do
	:: /* Switch-in: every page mapped before the task runs (I1). */
		LOCK;
		populate();
		if
		:: tcpu = 0
		:: tcpu = 1
		fi;
		running = true;
		s = 0; p = 0;
		UNLOCK;
		/* Runs: uses any slot of its stack, writing. */
		do
		:: s = 0; access(tcpu, s, true)
		:: s = NSLOT - 1; access(tcpu, s, true)
		:: break
		od;
		/* Switch-out: switch_to() saves a stack pointer... */
		if
		:: sp = 0
		:: sp = 1
		:: sp = NSLOT
		fi;
		LOCK;
		/* ...and, after the barrier, the reader check (I7). */
#if defined(MUT_NO_READER_CHECK)
		switch_out_detach();
#elif defined(SWITCHOUT_IGNORES_RECLAIMER)
		if
		:: refcnt - rheld == 1 -> switch_out_detach()
		:: else -> skip
		fi;
#else
		if
		:: refcnt == 1 -> switch_out_detach()
		:: else -> skip
		fi;
#endif
		running = false;	/* finish_task(): on_cpu = 0 */
		s = 0;
		UNLOCK
	od
}

/* A reader of the sleeping (or running) task's stack, on CPU 1. */
proctype Reader()
{
	byte lvl, s;
	do
	:: atomic { refcnt++ };		/* try_get_task_stack() + barrier */
		lvl = sp;		/* thread.sp: stale once the task runs */
		s = lvl;
		do
		:: s < NSLOT -> access(1, s, false); s++
		:: s >= NSLOT -> break
		od;
		atomic { refcnt--; lvl = 0; s = 0 }	/* put_task_stack() */
	od
}

/* A waker writes into a live frame of the sleeping task, under its lock. */
proctype Waker()
{
	do
	:: atomic {
		!running && sp < NSLOT ->
		hs = sp;
		if
		:: hc = 0
		:: hc = 1
		fi;
		access(hc, hs, true);
		hc = 0; hs = 0
	   }
	od
}

/* Speculative walks, and TLBs dropping entries, at any time. */
proctype Hardware()
{
	do
	:: atomic {
		if :: hc = 0 :: hc = 1 fi;
		if :: hs = 0 :: hs = NSLOT - 1 fi;
		if
		:: P[hs] && tlb[hc * NSLOT + hs] == NONE ->
			A[hs] = true;
			tlb[hc * NSLOT + hs] = pg[hs]
		:: else -> skip
		fi;
		hc = 0; hs = 0
	   }
	:: atomic {
		if :: hc = 0 :: hc = 1 fi;
		if :: hs = 0 :: hs = NSLOT - 1 fi;
		tlb[hc * NSLOT + hs] = NONE;
		hc = 0; hs = 0
	   }
	od
}

/* The reclaim pass (dynstack_reclaim()), one task, touched pages too. */
proctype Reclaimer()
{
	byte s, i;
	bool covered[NSLOT];
	bool held;
	do
	:: atomic { refcnt++; rheld = true };	/* its try_get_task_stack() */
		/* reclaim_pinned(): task_call_func() + ds->lock, not running */
		atomic { !dslock && !running -> dslock = true };
#ifdef MUT_NO_READER_CHECK
		held = false;
#else
		held = refcnt > 2;
#endif
		s = 0;
		do
		:: !held && s < sp ->
			atomic {
				if
				:: P[s] ->
					/* harvest_slot(): xchg */
					P[s] = false;
					if
					:: !A[s] && !stale[s] -> give_back(s, dirty[s])
					:: else -> A[s] = false; pending[s] = true
					fi
				:: else -> skip
				fi
			};
			s++
		:: held || s >= sp -> break
		od;
		/* The snapshot the flush will cover. */
		i = 0;
		do
		:: i < NSLOT -> covered[i] = pending[i] || stale[i]; i++
		:: i >= NSLOT -> break
		od;
		UNLOCK;
#ifdef MUT_RELEASE_EARLY
		LOCK;
		i = 0;
		do
		:: i < NSLOT ->
			if
			:: pending[i] && covered[i] ->
				give_back(i, true); pending[i] = false
			:: else -> skip
			fi;
			i++
		:: i >= NSLOT -> break
		od;
		UNLOCK;
#endif
		/* flush_tlb_all(): completes on every CPU. */
		atomic {
			i = 0;
			do
			:: i < NCPU * NSLOT -> tlb[i] = NONE; i++
			:: i >= NCPU * NSLOT -> break
			od
		};
		/* dynstack_release_pending(): under ds->lock only. */
		LOCK;
		i = 0;
		do
		:: i < NSLOT ->
#ifdef MUT_RELEASE_ALL
			if
			:: pending[i] -> give_back(i, true); pending[i] = false
			:: else -> skip
			fi;
			stale[i] = false;
#else
			if
			:: pending[i] && covered[i] ->
				give_back(i, true); pending[i] = false
			:: else -> skip
			fi;
			if
			:: covered[i] -> stale[i] = false
			:: else -> skip
			fi;
#endif
			i++
		:: i >= NSLOT -> break
		od;
		UNLOCK;
		atomic {
			refcnt--; rheld = false;
			s = 0; i = 0; held = false;
			covered[0] = false; covered[1] = false
		}
	od
}

init
{
	byte i;
	atomic {
		/* A new stack: every slot populated, Accessed=0 (dynstack_create()). */
		i = 0;
		do
		:: i < NSLOT -> owner[i] = STACK; pg[i] = i; P[i] = true; i++
		:: i >= NSLOT -> break
		od;
		i = 0;
		do
		:: i < NCPU * NSLOT -> tlb[i] = NONE; i++
		:: i >= NCPU * NSLOT -> break
		od;
		sp = NSLOT;
		run Task();
		run Reader();
		run Waker();
		run Hardware();
		run Reclaimer()
	}
}
