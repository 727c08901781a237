/**
 * nghttpx's per-frontend-connection dispatch limit: at most N requests of one connection are with
 * backends at once (`--backend-connections-per-frontend`, or per origin host with `-s` and
 * `--backend-connections-per-host`); the others wait, in arrival order, for one to finish.
 */

/** One frontend connection's requests, by key (the origin host under `-s`, else one shared key). */
export class DispatchLimiter {
  private readonly slots = new Map<string, { active: number; waiting: (() => void)[] }>();

  /** `limit` 0: no limit. */
  constructor(private readonly limit: number) {}

  /**
   * Run `start` now if `key` has a free slot, else once one frees. `start` gets `release`, to call
   * once when the request is over (answered, reset, or given up before it started).
   */
  run(key: string, start: (release: () => void) => void): void {
    if (this.limit <= 0) return start(() => undefined);
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = { active: 0, waiting: [] }));
    const slot = s;
    const go = () => {
      slot.active++;
      let released = false;
      start(() => {
        if (released) return;
        released = true;
        slot.active--;
        const next = slot.waiting.shift();
        if (next) next();
        else if (slot.active === 0) this.slots.delete(key);
      });
    };
    if (slot.active < this.limit) go();
    else slot.waiting.push(go);
  }
}
