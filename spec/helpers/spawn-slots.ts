/**
 * A bound on how many tool processes one spec worker runs at once. ava runs the tests of a file
 * concurrently: a file of thirty `nghttp` or `h2load` runs started thirty processes together,
 * and on a loaded 2-core machine each then outlived its kill timer (whole files failed in a
 * full-suite run that pass alone). Runs beyond the bound wait for a slot, and a run's kill timer
 * starts only once it has one, so the timer bounds the run, not the queue.
 */

/** Processes a worker runs at once (`SPEC_SPAWN_SLOTS` overrides; ava runs two workers). */
const SLOTS = Math.max(1, Number(process.env.SPEC_SPAWN_SLOTS) || 2);
let busy = 0;
const waiting: (() => void)[] = [];

/** Run `fn` (which spawns one process and resolves when it ends) once a slot is free. */
export async function withSpawnSlot<T>(fn: () => Promise<T>): Promise<T> {
  if (busy < SLOTS) busy++;
  else await new Promise<void>((resolve) => waiting.push(resolve));
  try {
    return await fn();
  } finally {
    // The slot passes straight to the next waiter, or is freed.
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}
