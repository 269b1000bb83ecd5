/* A test-and-test-and-set spinlock; portable (GCC atomics), no interrupt masking. */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H
#include "kernel/types.h"

struct spinlock { volatile u32 locked; };
#define SPINLOCK_INIT { 0 }

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif
