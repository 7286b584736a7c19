/*
 * dynstack: a Promela model of the waiting protocol (kernel/dynstack/wait.c,
 * and the hooks of patches 0007 and 0008 in kernel/sched/core.c and
 * kernel/signal.c).
 *
 * NT user tasks with stacks of NP detachable pages each and memory of
 * their own that they allocate while they run; a waker per task (whatever
 * a task waits for eventually happens); the switch-out detach; the
 * reclaimer (harvest, pending, release after its flush); kdynstackd with
 * its pool, sitting in the allocator until a page is free; the irq_work
 * that serves dying tasks from the exit reserve; the OOM killer (one live
 * victim at a time, no OOM reaper: a victim frees memory only by exiting)
 * and its victims' exit; the signal hook; the policy (dynstack.ko hands
 * out what it holds and keeps at most SCAP pages; with -DMISER it hands
 * out nothing and keeps nothing); and, with -DUNREG, dynstack_unregister()
 * at any point, with its repopulation. Pages are counted, not named: which
 * slot a page sits in, its PTE and the TLBs are the business of
 * proof/dynstack.pml (docs/proof.md says why the two compose).
 *
 * Switches: -DNT=2|3 tasks, -DUMAX=n pages a task may allocate, -DMISER,
 * -DNORECLAIM (no reclaimer), -DUNREG (unregister; not yet one of the
 * checks of scripts/proof.sh: its state space is too big so far), -DMEMCG
 * (the memcg charge, kernel/dynstack/charge.c: every user task is in one
 * memory cgroup whose memory.max is exactly what they hold at the start;
 * the reclaimer may settle a blocked task's charge down to its stack's
 * pages, which leaves room its tasks may allocate into; a wakeup whose
 * stack is charged short parks, and kdynstackd charges before it fills,
 * or, at the limit, runs the memcg OOM killer and moves the task to the
 * tail; dying tasks are filled without a charge).
 *
 * Every lock section of the code is one atomic step, and so is a section
 * under a task's pi_lock that nobody else can tell apart from one (the
 * completion's fill, unpark and enqueue); the steps between them (the
 * waker's on_cpu wait, the reclaimer's flush, kdynstackd between its pick
 * and its completion) are separate, so every other process may run in
 * between. Nothing is bounded in number: every process loops forever.
 *
 * Safety (the monitor, checked in every reachable state, and assertions):
 *  I1'  a task on a runqueue has its whole stack (and so does a task
 *       picked to run: the DEBUG_VM check in context_switch());
 *  ONCE a parked wakeup is completed exactly once: the enqueue finds the
 *       task TASK_WAKING, on no runqueue, off every CPU; the parked list
 *       holds exactly the parked tasks, each once;
 *  PAGES no page is lost or made up: the pages of stacks, the supply, the
 *       exit reserve, kdynstackd's pool, pages in flight, tasks' other
 *       memory and the free pages always add up to the same total;
 *  I6   after unregister no stack lacks a page and nothing is parked, and
 *       with the wakeup hook off no woken task lacks a page;
 *  I9   (-DMEMCG) a stack holds no more pages than it is charged for,
 *       unless its task is dying, and the memcg never goes above its
 *       memory.max.
 * Liveness (LTL, weak fairness):
 *  live    a parked task is eventually completed (queued to run);
 *  release a pending page is eventually reinstalled or released.
 *
 * Mutants (spin -DMUT_...), each a seeded bug that must be caught:
 *  MUT_NO_KICK         park() does not raise the irq_work (nobody wakes
 *                      kdynstackd): live
 *  MUT_SHORTCUT        the on_cpu wakelist shortcut for a task with a
 *                      dynamic stack: put on the wakelist while still on
 *                      its CPU, activated after its switch-out took pages,
 *                      without the hook (I1')
 *  MUT_DETACH_QUEUED   the switch-out detaches from a preempted task,
 *                      which stays on its runqueue (I1')
 *  MUT_COMPLETE_TWICE  try_complete() does not check that the task is
 *                      still parked, only TASK_WAKING: a completer that
 *                      picked it before another completed it queues it
 *                      again while it waits on a wakelist (ONCE)
 *  MUT_NO_RESERVE      dying tasks do not use the exit reserve: an OOM
 *                      victim parked behind memory only its exit frees
 *                      (live)
 *  MUT_NO_SIGNAL_HOOK  no dynstack_wake_dying(): a task killed after it
 *                      was parked waits behind the others (live)
 *  MUT_LAZY_RESERVE    dynstack_register() leaves the exit reserve to
 *                      kdynstackd, as the code before the model did: a
 *                      victim parked before it is full waits for memory
 *                      only its own exit frees (live; needs -DMISER
 *                      -DUMAX=3 for memory to run out first)
 *  MUT_CHARGE_NO_PARK  (-DMEMCG) the wakeup hook and try_complete() fill a
 *                      stack that is charged short (I9)
 *  MUT_CHARGE_DYING    (-DMEMCG) a dying task waits for its charge too:
 *                      an OOM victim waits for memory only its own exit
 *                      frees (live)
 */

#if defined(MEMCG) && defined(UNREG)
#error "-DMEMCG with -DUNREG: the forced recharge at unregister is not modelled"
#endif

#ifndef NT
#define NT	2	/* user tasks: 2 or 3 */
#endif
#define NP	2	/* detachable pages per stack (DYNSTACK_PAGES - 1) */
#define RT	2	/* exit reserve while registered: one stack's worth */
#define SCAP	1	/* the policy keeps at most this many (depot_high) */
#ifndef UMAX
#define UMAX	2	/* memory a task may allocate for itself */
#endif
#define FREE0	1	/* free pages at the start */
#define NONE	255

/* p->__state */
#define RUN	0	/* TASK_RUNNING */
#define INT	1	/* TASK_INTERRUPTIBLE (and KILLABLE: a fatal signal wakes it) */
#define UNINT	2	/* TASK_UNINTERRUPTIBLE: only its own waker */
#define WAKING	3	/* TASK_WAKING: being woken, or parked */
#define DEAD	4	/* TASK_DEAD */

/* Tasks. */
byte st[NT];
bool onrq[NT], oncpu[NT];
bool dying[NT];		/* dynstack_task_dying(): fatal signal, exiting, OOM victim */
bool exitwait[NT];	/* it has waited once on its way out */
byte pres[NT];		/* pages mapped (NP: the stack is whole) */
byte pend[NT];		/* pending pages: not mapped, still the stack's (I3) */
byte userp[NT];		/* other memory the task frees when it exits */
bool pilock[NT];	/* p->pi_lock */
bool dslock[NT];	/* ds->lock: each of its sections is one atomic step,
			 * so it is never seen held; the guards name it */
bool parked[NT];	/* !list_empty(&ds->park_node) */
bool wl[NT];		/* on a CPU's wakelist, not yet activated */

/* The parked list, head first (dynstack_parked_list, under park_lock). */
byte plist[NT];
byte plen;

/* Pages elsewhere. */
byte freemem;		/* the page allocator's free pages */
byte supply;		/* the policy's supply (magazines, depot) */
byte reserve;		/* the exit reserve */
byte rtarget;		/* reserve_target: RT while registered, else 0 */
byte pool;		/* kdynstackd's pool */
byte upool;		/* dynstack_repopulate_all()'s pool */

bool hook;		/* dynstack_switch_key: the wakeup hook */
bool detach;		/* dynstack_detach_key: the switch-out detach */
bool registered;	/* dynstack_policy != NULL */
bool polmutex;		/* dynstack_policy_mutex */
bool kickpend;		/* the irq_work is queued */
bool kwake;		/* kdynstackd is not (about to be) asleep */
bool unreg;		/* unregister has completed every parked wakeup */
#ifdef MEMCG
byte chg[NT];		/* ds->charged: detachable pages charged (0..NP) */
#endif

#define TOTAL	(NT * (NP + 1) + FREE0 + RT)

#define TASKP(t)	(pres[t] + pend[t] + userp[t])
#if NT == 3
#define SUM	(freemem + supply + reserve + pool + upool + \
		 TASKP(0) + TASKP(1) + TASKP(2))
#define ALL(P)	(P(0) && P(1) && P(2))
#define ANY(P)	(P(0) || P(1) || P(2))
#define NPARKED	(parked[0] + parked[1] + parked[2])
#else
#define SUM	(freemem + supply + reserve + pool + upool + \
		 TASKP(0) + TASKP(1))
#define ALL(P)	(P(0) && P(1))
#define ANY(P)	(P(0) || P(1))
#define NPARKED	(parked[0] + parked[1])
#endif

#ifdef MEMCG
/* memory.max: every stack full and one page of its own per task. */
#define MLIM		(NT * (NP + 1))
#define CHG(t)		(chg[t] + userp[t])
#if NT == 3
#define MUSED		(CHG(0) + CHG(1) + CHG(2))
#else
#define MUSED		(CHG(0) + CHG(1))
#endif
#define MROOM(n)	(MUSED + (n) <= MLIM)
/* I9 */
#define CHGOK(t)	(st[t] == DEAD || dying[t] || pres[t] + pend[t] <= chg[t])
#define MINV		(MUSED <= MLIM && ALL(CHGOK))
/* dynstack_charge_short() and not dying: only kdynstackd's charge fills it */
#ifdef MUT_CHARGE_DYING
#define SHORT(t)	(chg[t] < NP)
#elif defined(MUT_CHARGE_NO_PARK)
#define SHORT(t)	false
#else
#define SHORT(t)	(chg[t] < NP && !dying[t])
#endif
#else
#define MROOM(n)	true
#define MINV		true
#define SHORT(t)	false
#endif

#define VICTIM(t)	(dying[t] && st[t] != DEAD)	/* tsk_is_oom_victim(), alive */
#define QFULL(t)	(!onrq[t] || pres[t] == NP)
#define PCONS(t)	(!parked[t] || (st[t] == WAKING && !onrq[t] && !oncpu[t]))
#define WHOLE(t)	(st[t] == DEAD || pres[t] == NP)
#define INV	(SUM == TOTAL && ALL(QFULL) && ALL(PCONS) && plen == NPARKED && \
		 (!unreg || (plen == 0 && ALL(WHOLE))) && MINV)

/* Scratch of atomic steps: always 0 outside them. */
byte hk, hi;

/* dynstack_kick_queue(): irq_work_queue() */
#define KICK	kickpend = true

/*
 * park(): ds->lock and p->pi_lock held. Dying (and realtime) tasks go to
 * the head, everyone else to the tail.
 */
inline park(t)
{
	assert(!parked[t] && plen < NT);
	parked[t] = true;
	if
	:: dying[t] ->
		hi = plen;
		do
		:: hi > 0 -> plist[hi] = plist[hi - 1]; hi--
		:: hi == 0 -> break
		od;
		plist[0] = t
	:: else -> plist[plen] = t
	fi;
	plen++;
#ifndef MUT_NO_KICK
	KICK;
#endif
	hi = 0
}

/* list_del_init(&ds->park_node), under park_lock. */
inline unpark(t)
{
	hi = 0;
	do
	:: plist[hi] != t -> hi++
	:: plist[hi] == t -> break
	od;
	do
	:: hi + 1 < plen -> plist[hi] = plist[hi + 1]; hi++
	:: hi + 1 >= plen -> break
	od;
	plen--;
	plist[plen] = 0;
	parked[t] = false;
	hi = 0
}

/*
 * dynstack_populate(), ds->lock held: pending pages go back (I3), the rest
 * from the policy's supply: dynstack.ko hands out what it holds, up to
 * what is missing; with -DMISER the policy hands out nothing, ever, and
 * keeps nothing (every page it is given goes back to the allocator).
 */
inline populate(t)
{
	pres[t] = pres[t] + pend[t];
	pend[t] = 0;
#ifndef MISER
	if
	:: registered ->
		hk = NP - pres[t];
		if
		:: hk > supply -> hk = supply
		:: else -> skip
		fi;
		supply = supply - hk;
		pres[t] = pres[t] + hk;
		hk = 0
	:: else -> skip
	fi
#endif
}

/* ops->give_pages(): @n pages to the policy (freed without one). */
#ifdef MISER
#define GIVE(n)	freemem = freemem + (n)
#else
#define GIVE(n)	if :: registered -> supply = supply + (n) :: else -> freemem = freemem + (n) fi; \
		if :: supply > SCAP -> freemem = freemem + supply - SCAP; supply = SCAP :: else -> skip fi
#endif

/* dynstack_fill_from_reserve(): all the stack lacks, or nothing. */
inline from_reserve(t)
{
	if
	:: reserve >= NP - pres[t] ->
		reserve = reserve - (NP - pres[t]);
		pres[t] = NP;
		KICK		/* kdynstackd tops it up */
	:: else -> skip
	fi
}

/*
 * ttwu_queue() (also from sched_ttwu_parked()): activate at once, or put
 * the task on its CPU's wakelist, to be activated later by that CPU
 * (the Task's activation step); until then it stays TASK_WAKING, on no
 * runqueue and on no parked list, with its pi_lock free.
 */
inline enqueue(t)
{
	assert(st[t] == WAKING && !onrq[t] && !oncpu[t] && !wl[t]);
	if
	:: onrq[t] = true; st[t] = RUN		/* ttwu_do_activate() */
	:: wl[t] = true				/* __ttwu_queue_wakelist() */
	fi
}

/* dynstack_destroy() of a dead task's stack; and exit_mm() before it. */
inline free_stack(t)
{
	hk = pres[t] + pend[t];
	do
	:: hk > 0 && reserve < rtarget -> reserve++; hk--; KICK	/* dynstack_reserve_put() */
	:: hk > 0 && reserve >= rtarget -> freemem++; hk--
	:: hk == 0 -> break
	od;
	pres[t] = 0;
	pend[t] = 0;
	freemem = freemem + userp[t];
	userp[t] = 0;
#ifdef MEMCG
	chg[t] = 0		/* dynstack_charge_exit() */
#endif
}

/*
 * out_of_memory(): if no victim is still alive, kill one user task that is
 * alive (a fatal signal: it is dying from now on) and wake it as
 * signal_wake_up_state() does. @v is the caller's local.
 */
inline oom(v)
{
	atomic {
		if
		:: !ANY(VICTIM) ->
			if
			:: st[0] != DEAD -> v = 0
			:: st[1] != DEAD -> v = 1
			:: NT > 2 && st[NT - 1] != DEAD -> v = NT - 1
			:: else -> v = NONE
			fi;
			if
			:: v != NONE -> dying[v] = true
			:: else -> skip
			fi
		:: else -> v = NONE
		fi
	};
	if
	:: v != NONE -> signal_wake(v)
	:: else -> skip
	fi;
	v = NONE
}

/*
 * try_to_wake_up(@t): @kill is the signal's wakeup (TASK_WAKEKILL |
 * TASK_INTERRUPTIBLE: matches INT only), else wake_up_process() (matches
 * INT and UNINT). Sets @woke (the caller's local) if the state matched.
 *
 * A task is INT or UNINT only once it has left its runqueue (the model's
 * schedule() sets the state and dequeues in one step), so the on_rq branch
 * of try_to_wake_up() (ttwu_runnable(), which needs no page) is not here.
 * Under pi_lock: the state match and TASK_WAKING in one step; then the
 * on_cpu wait, the hook and the enqueue (or the park) in another: nothing
 * but the repopulation (which only adds) touches the stack of a
 * TASK_WAKING task that holds its pi_lock.
 */
inline ttwu(t, kill, woke)
{
	atomic {
		!pilock[t] ->
		if
		:: st[t] == INT || (!kill && st[t] == UNINT) ->
			woke = true;
			pilock[t] = true;
			st[t] = WAKING
		:: else -> woke = false
		fi
	};
	if
	:: woke ->
#ifdef MUT_SHORTCUT
		if
		:: oncpu[t] ->
			/* the wakelist: queued after the switch-out, no hook */
			atomic { !oncpu[t] -> enqueue(t); pilock[t] = false }
		:: else ->
#endif
		atomic {
			/* smp_cond_load_acquire(&p->on_cpu, !VAL) */
			!oncpu[t] && !dslock[t] ->
			if
			:: !hook ->
				/* I6: without a policy no stack lacks a page */
				assert(pres[t] == NP)
			:: hook && pres[t] == NP -> skip	/* fast path */
			:: hook && pres[t] < NP && SHORT(t) ->
				/* I9: charged short, kdynstackd charges first */
				park(t)
			:: hook && pres[t] < NP && !SHORT(t) ->
				/* __dynstack_wake_park(), under ds->lock */
				populate(t);
#ifndef MUT_NO_RESERVE
				if
				:: pres[t] < NP && dying[t] -> from_reserve(t)
				:: else -> skip
				fi;
#endif
				if
				:: pres[t] < NP -> park(t)
				:: else -> skip
				fi
			fi;
			if
			:: !parked[t] -> enqueue(t)	/* ttwu_place_and_queue() */
			:: else -> skip
			fi;
			pilock[t] = false
		}
#ifdef MUT_SHORTCUT
		fi
#endif
	:: else -> skip
	fi
}

/*
 * signal_wake_up_state() for a fatal signal (already recorded in dying[]):
 * wake it if it sleeps killably; if not, and it is parked, move it to the
 * head and raise the irq_work (dynstack_wake_dying(), patch 0008).
 */
inline signal_wake(v)
{
	ttwu(v, true, woke);
#ifndef MUT_NO_SIGNAL_HOOK
	if
	:: !woke && hook && st[v] == WAKING ->
		atomic {	/* __dynstack_wake_dying(), park_lock */
			if
			:: parked[v] ->
				unpark(v);
				dying[v] = true;	/* it is */
				park(v)			/* list_move() to the head */
			:: else -> skip
			fi
		}
	:: else -> skip
	fi;
#endif
	woke = false
}

/*
 * try_complete(@t): under p->pi_lock, ds->lock for the fill and the list,
 * then the enqueue (one step: the task is TASK_WAKING under our pi_lock
 * throughout, so nobody can tell the steps apart). @usepool: kdynstackd's pool; @useres: the exit reserve
 * for a dying task. Sets @done (the caller's local) if @t is not parked
 * any more.
 */
inline try_complete(t, usepool, useres, done)
{
	atomic {
		!pilock[t] && !dslock[t] ->
#ifdef MUT_COMPLETE_TWICE
		/* Bug: "still TASK_WAKING" taken for "still parked". */
		if
		:: st[t] != WAKING -> done = true
		:: else ->
#else
		if
		:: st[t] != WAKING || !parked[t] -> done = true
		:: st[t] == WAKING && parked[t] && SHORT(t) && pres[t] < NP ->
			done = false	/* I9: not before kdynstackd charged it */
		:: else ->
#endif
			populate(t);
			if
			:: usepool && pres[t] < NP ->
				hk = NP - pres[t];
				if
				:: hk > pool -> hk = pool
				:: else -> skip
				fi;
				pool = pool - hk;
				pres[t] = pres[t] + hk;
				hk = 0
			:: else -> skip
			fi;
#ifndef MUT_NO_RESERVE
			if
			:: useres && pres[t] < NP && dying[t] -> from_reserve(t)
			:: else -> skip
			fi;
#endif
			if
			:: pres[t] == NP ->
				if
				:: parked[t] -> unpark(t)
				:: else -> skip
				fi;
				/* sched_ttwu_parked(), after ds->lock */
				enqueue(t);
				done = true
			:: else -> done = false
			fi
		fi
	}
}

/* parked_head(): the first parked task (if @dyingonly, only a dying one). */
inline parked_head(dyingonly, p)
{
	atomic {
		if
		:: plen > 0 && (!dyingonly || dying[plist[0]]) -> p = plist[0]
		:: else -> p = NONE
		fi
	}
}

proctype Task(byte t)
{
end:	do
	/*
	 * Runs, then waits: set_current_state() and schedule()'s
	 * try_to_block_task() (dequeue) in one step. A killed task does not
	 * block in an interruptible (or killable) sleep (signal_pending_state())
	 * but may block uninterruptibly on its way out.
	 */
	:: atomic { oncpu[t] && onrq[t] && st[t] == RUN && !dying[t] -> st[t] = INT; onrq[t] = false }
	:: atomic { oncpu[t] && onrq[t] && st[t] == RUN && !dying[t] -> st[t] = UNINT; onrq[t] = false }
	/* On its way out a killed task may wait once (for I/O, say). */
	:: atomic {
		oncpu[t] && onrq[t] && st[t] == RUN && dying[t] && !exitwait[t] ->
		exitwait[t] = true; st[t] = UNINT; onrq[t] = false
	   }
#ifndef NOPREEMPT
	/*
	 * Preempted: stays on its runqueue, keeps its pages. (A killed task
	 * is not: it may be, but not forever, and Spin's fairness is per
	 * process, not per choice.)
	 */
	:: atomic {
		oncpu[t] && onrq[t] && !dying[t] && !dslock[t] ->
#ifdef MUT_DETACH_QUEUED
		if
		:: detach && !dying[t] && pres[t] > 0 ->
			pres[t]--;
			GIVE(1)
		:: skip
		fi;
#endif
		oncpu[t] = false
	   }
#endif
	/*
	 * Allocates memory for itself (and frees it when it exits); with
	 * -DMEMCG, charged to the memcg, and only below its memory.max.
	 */
	:: atomic { oncpu[t] && onrq[t] && freemem > 0 && userp[t] < UMAX && MROOM(1) -> freemem--; userp[t]++ }
	/* Its CPU activates it from the wakelist (sched_ttwu_pending()). */
	:: atomic { wl[t] -> wl[t] = false; onrq[t] = true; st[t] = RUN }
	/* Picked to run: context_switch() checks the stack (DEBUG_VM). */
	:: atomic { !oncpu[t] && onrq[t] -> assert(pres[t] == NP); oncpu[t] = true }
	/*
	 * A dying task exits: do_exit() (PF_EXITING), then do_task_dead():
	 * set_special_state(TASK_DEAD) under pi_lock, so that no wakeup
	 * that matched an earlier state overwrites it; then schedule().
	 */
	:: atomic {
		oncpu[t] && onrq[t] && st[t] == RUN && dying[t] && !pilock[t] ->
		st[t] = DEAD; onrq[t] = false
	   }
	/*
	 * Switch-out of a task that left its runqueue, under rq->lock:
	 * dynstack_switch_out() with ds->lock if the detach key is on and the
	 * core does not keep the task full (dying); the policy may say no,
	 * and any number of untouched pages may go to the supply
	 * (dynstack_supply_give() is after ds->lock in the code; a wakeup that finds
	 * the supply short in between parks, which -DMISER checks with a
	 * supply that is always short). Then finish_task(): on_cpu = 0, and
	 * a dead task's stack is freed.
	 */
	:: atomic {
		oncpu[t] && !onrq[t] && !dslock[t] ->
		if
		:: st[t] != DEAD && detach && !dying[t] && pres[t] > 0 ->
			hk = 0;
			do
			:: hk < pres[t] -> hk++
			:: hk > 0 -> break
			od;
			pres[t] = pres[t] - hk;
			GIVE(hk);
			hk = 0
		:: else -> skip
		fi;
		oncpu[t] = false;
		if
		:: st[t] == DEAD -> free_stack(t)
		:: else -> skip
		fi
	   }
	od
}

/* Whatever a task waits for eventually happens: its waker. */
proctype Waker(byte t)
{
	bool woke;
end:	do
	:: (st[t] == INT || st[t] == UNINT) -> ttwu(t, false, woke); woke = false
	od
}

/*
 * kdynstackd: serve the head of the list with its pool; otherwise allocate
 * one page (GFP_KERNEL: may invoke the OOM killer; for the reserve only,
 * __GFP_NORETRY: it does not), retrying after a failure.
 */
/*
 * dynstack_charge_parked() for the head task @p, then park_rotate() if it
 * failed (@cfail, the caller's local): the charge and its application are
 * one step here (the code charges without a lock and applies under
 * ds->lock, giving back what no longer fits, which only adds states that
 * end as these do). At the limit the memcg OOM killer runs first, as
 * try_charge_memcg() does, and may kill anyone in the memcg (every user
 * task), @p too.
 */
inline charge_parked(p, v, cfail)
{
#ifdef MEMCG
	atomic {
		if
		:: st[p] == WAKING && parked[p] && SHORT(p) ->
			if
			:: MROOM(NP - chg[p]) -> chg[p] = NP
			:: else -> cfail = true
			fi
		:: else -> skip
		fi
	};
	if
	:: cfail ->
		oom(v);
		atomic {	/* park_rotate(), under p->pi_lock and park_lock */
			!pilock[p] ->
			if
			:: st[p] == WAKING && parked[p] && !dying[p] -> unpark(p); park(p)
			:: else -> skip
			fi
		}
	:: else -> skip
	fi
#else
	skip
#endif
}

proctype Kdynstackd()
{
	byte p = NONE, v = NONE;
	bool done, woke, cfail;
	do
	:: kwake = false;		/* set_current_state(TASK_IDLE) */
		if
		:: plen == 0 && reserve >= rtarget ->
			if
			:: pool > 0 -> atomic { freemem = freemem + pool; pool = 0 }
			:: else -> endsleep: kwake	/* schedule() until woken */
			fi
		:: plen > 0 || reserve < rtarget ->
			kwake = true;	/* __set_current_state(TASK_RUNNING) */
			parked_head(false, p);
			if
			:: p != NONE -> charge_parked(p, v, cfail)
			:: else -> skip
			fi;
			if
			:: p != NONE && !cfail ->
				try_complete(p, true, true, done)
			:: else -> done = false
			fi;
			if
			:: cfail -> skip	/* rotated: the next round */
			:: !cfail && p != NONE && done -> skip
			:: else ->
				/*
				 * alloc_page(GFP_KERNEL): stays in the
				 * allocator, invoking the OOM killer, until a
				 * page is free; for the reserve alone
				 * (__GFP_NORETRY) it fails instead, and is
				 * retried after 10 ms.
				 */
				do
				:: atomic {
					freemem > 0 ->
					freemem--;
					if
					:: p != NONE && pool < NP -> pool++
					:: else ->
						if
						:: reserve < rtarget -> reserve++
						:: else -> freemem++
						fi
					fi
				   };
					break
				:: freemem == 0 && p == NONE -> break
				:: freemem == 0 && p != NONE -> oom(v)
				od
			fi
		fi;
		p = NONE; done = false; cfail = false
	od
}

/* dynstack_kick_fn(): dying tasks at the head from the reserve; wake kdynstackd. */
proctype IrqWork()
{
	byte p = NONE;
	bool done;
end:	do
	:: atomic { kickpend -> kickpend = false };
		do
		:: parked_head(true, p);
			if
			:: p == NONE -> break
			:: else ->
				try_complete(p, false, true, done);
				if
				:: !done -> break
				:: else -> skip
				fi
			fi
		od;
		kwake = true;		/* wake_up_process(kdynstackd) */
		p = NONE; done = false
	od
}

/*
 * dynstack_charge_settle(), under ds->lock in the same step as the detach:
 * the charge goes down to the pages the stack holds, if they went long
 * enough ago (a choice here). The uncharge after the lock only lowers the
 * memcg's usage later than this says, which can only delay a charge.
 */
#ifdef MEMCG
#define SETTLE(t)	if :: chg[t] > pres[t] + pend[t] -> chg[t] = pres[t] + pend[t] :: skip fi
#else
#define SETTLE(t)	skip
#endif

/*
 * One dynstack_reclaim() pass over one task, under the policy mutex:
 * task_call_func() (pi_lock) and ds->lock, a blocked task only; any of its
 * pages go, untouched ones to the supply, touched ones pending; then the
 * flush, then the release of the pending pages under ds->lock. The pass
 * picks tasks that look blocked without a lock, as its walk of the task
 * list does, so it does not spin on the pi_lock of a parked task (see
 * docs/proof.md on fairness).
 */
proctype Reclaimer()
{
	byte t;
end:	do
	:: atomic {
		registered && !polmutex ->
		polmutex = true;
#ifdef RECLAIM_ANY
		if
		:: st[0] == INT || st[0] == UNINT -> t = 0
		:: st[1] == INT || st[1] == UNINT -> t = 1
		:: NT > 2 && (st[NT - 1] == INT || st[NT - 1] == UNINT) -> t = NT - 1
		:: else -> t = NONE
		fi
#else
		if
		:: st[0] == INT || st[0] == UNINT -> t = 0
		:: else -> t = NONE
		fi
#endif
	   };
		if
		:: t != NONE ->
			atomic {
				!pilock[t] && !dslock[t] ->
				if
				:: !oncpu[t] && !onrq[t] && (st[t] == INT || st[t] == UNINT) &&
				   !dying[t] && pres[t] > 0 ->
					hk = 0;
					do
					:: hk < pres[t] -> hk++
					:: hk > 0 -> break
					od;
					pres[t] = pres[t] - hk;
					/*
					 * Untouched ones go to the supply,
					 * touched ones stay pending until the
					 * flush (a mix of both is the two in
					 * turn: no new state for this model).
					 */
					if
					:: pend[t] = pend[t] + hk
					:: GIVE(hk)
					fi;
					hk = 0;
					SETTLE(t)
#ifdef MEMCG
				:: !oncpu[t] && !onrq[t] && (st[t] == INT || st[t] == UNINT) &&
				   !dying[t] && pres[t] == 0 ->
					SETTLE(t)
#endif
				:: else -> skip
				fi
			};
			/* flush_tlb_all(), then dynstack_release_pending() */
			atomic {
				!dslock[t] ->
				GIVE(pend[t]);
				pend[t] = 0
			}
		:: else -> skip
		fi;
		atomic { t = 0; polmutex = false }
	od
}

#ifdef UNREG
/*
 * dynstack_unregister() (with the module's exit, which frees its supply),
 * once, at any point of everything else.
 */
proctype Admin()
{
	byte t, v = NONE, p = NONE;
	bool done, woke, nomem;
	atomic { registered && !polmutex -> polmutex = true };
	/* then synchronize_rcu(): no switch-out detaches any more */
	detach = false;
	/* dynstack_repopulate_all() */
	t = 0;
	do
	:: t < NT && st[t] == DEAD -> t++
	:: t < NT && st[t] != DEAD && upool < NP ->
		/* alloc_page(__GFP_NOFAIL): waits, may OOM-kill */
		atomic {
			if
			:: freemem > 0 -> freemem--; upool++
			:: else -> nomem = true
			fi
		};
		if
		:: nomem -> nomem = false; oom(v)
		:: else -> skip
		fi
	:: t < NT && st[t] != DEAD && upool >= NP ->
		atomic {
			!dslock[t];
			if
			:: st[t] != DEAD ->
				pres[t] = pres[t] + pend[t];
				pend[t] = 0;
				upool = upool - (NP - pres[t]);
				pres[t] = NP
			:: else -> skip
			fi
		};
		t++
	:: t == NT -> break
	od;
	atomic { freemem = freemem + upool; upool = 0 };
	/* dynstack_complete_all() */
	do
	:: parked_head(false, p);
		if
		:: p == NONE -> break
		:: else ->
			try_complete(p, false, false, done);
			assert(done)
		fi
	od;
	unreg = true;
	hook = false;
	/* dynstack_reserve_drain() */
	atomic { rtarget = 0; freemem = freemem + reserve; reserve = 0 };
	/* dynstack_policy = NULL; the module frees its supply */
	atomic {
		registered = false;
		freemem = freemem + supply;
		supply = 0
	};
	t = 0; p = NONE; done = false;
	polmutex = false
}
#endif

/*
 * The safety invariants, in every state outside an atomic step: the
 * monitor can step only when one is false, and then names it.
 */
proctype Monitor()
{
end:	atomic {
		!INV ->
		assert(SUM == TOTAL);			/* PAGES */
		assert(ALL(QFULL));			/* I1' */
		assert(ALL(PCONS) && plen == NPARKED);	/* ONCE */
		assert(!unreg || (plen == 0 && ALL(WHOLE)));	/* I6 */
		assert(MINV)				/* I9 */
	}
}

init
{
	byte i;
	atomic {
		i = 0;
		do
		:: i < NT ->
			/* running or queued, whole stack, some memory of its own */
			st[i] = RUN; onrq[i] = true; pres[i] = NP; userp[i] = 1;
#ifdef MEMCG
			chg[i] = NP;	/* fork charged THREAD_SIZE */
#endif
			i++
		:: i >= NT -> break
		od;
		i = 0;
		freemem = FREE0;
		kwake = true;
		/*
		 * A policy is registered: dynstack_register() filled the exit
		 * reserve before it turned the hooks on.
		 */
		registered = true; hook = true; detach = true;
		rtarget = RT;
#ifdef MUT_LAZY_RESERVE
		freemem = freemem + RT;		/* left to kdynstackd */
#else
		reserve = RT;
#endif
		run Task(0); run Task(1);
		run Waker(0); run Waker(1);
#if NT > 2
		run Task(2); run Waker(2);
#endif
		run Kdynstackd();
		run IrqWork();
#ifndef NORECLAIM
		run Reclaimer();
#endif
		run Monitor();
#ifdef UNREG
		run Admin()
#endif
	}
}

/* A parked task is eventually completed (queued to run). */
ltl live { [] (parked[0] -> <> !parked[0]) }
/* A pending page is eventually put back or released. */
ltl release { [] ((pend[0] > 0) -> <> (pend[0] == 0)) }
