/**
 * The write scheduler: which stream's DATA goes next. RFC 9218 urgency buckets (0 first), within a
 * bucket round robin for incremental streams and one-at-a-time for the others; RFC 7540 weights
 * (when the peer uses them) shape the order inside a bucket through a stride "pass" value.
 */
import type { Stream } from './stream';

/** Stride constant: a stream of weight w advances its pass by STRIDE / w per frame. */
const STRIDE = 65536;

/** Ready streams, by urgency. Internal to the Session. */
export class WriteScheduler {
  private readonly buckets: Stream[][] = [[], [], [], [], [], [], [], []];
  private count = 0;
  /** Set when any stream carries an RFC 7540 weight: inside a bucket the lowest pass goes first. */
  weighted = false;

  get size(): number {
    return this.count;
  }

  /** Make `s` ready (no-op when it already is). */
  add(s: Stream): void {
    if (s.scheduled) return;
    s.scheduled = true;
    const b = this.buckets[s.urgency];
    if (this.weighted && b.length > 0) {
      // A newly ready stream starts at the bucket's lowest pass so it neither starves nor jumps.
      let min = b[0].pass;
      for (let i = 1; i < b.length; i++) if (b[i].pass < min) min = b[i].pass;
      if (s.pass < min) s.pass = min;
    }
    b.push(s);
    this.count++;
  }

  /** Take the next stream to serve (it is no longer scheduled; `requeue` puts it back). */
  pop(): Stream | undefined {
    if (this.count === 0) return undefined;
    for (let u = 0; u < 8; u++) {
      const b = this.buckets[u];
      if (b.length === 0) continue;
      let s: Stream;
      if (this.weighted && b.length > 1) {
        let k = 0;
        for (let i = 1; i < b.length; i++) if (b[i].pass < b[k].pass) k = i;
        s = b[k];
        b.splice(k, 1);
      } else {
        s = b.shift()!;
      }
      s.scheduled = false;
      this.count--;
      return s;
    }
    return undefined;
  }

  /**
   * Put back a stream that was just served `sent` octets and still has work: incremental streams
   * go to the back of their bucket (round robin), others stay in front (RFC 9218 section 4:
   * non-incremental responses are sent one after another).
   */
  requeue(s: Stream, sent: number): void {
    if (s.scheduled) return;
    s.scheduled = true;
    this.count++;
    const b = this.buckets[s.urgency];
    if (this.weighted) {
      const w = s.priority ? s.priority.weight : 16;
      s.pass += Math.ceil(((sent + 1) * STRIDE) / (w * 1024));
      b.push(s);
    } else if (s.incremental) {
      b.push(s);
    } else {
      b.unshift(s);
    }
  }

  /** Remove `s` (closed or reset). */
  remove(s: Stream): void {
    if (!s.scheduled) return;
    const b = this.buckets[s.urgency];
    const i = b.indexOf(s);
    if (i >= 0) b.splice(i, 1);
    s.scheduled = false;
    this.count--;
  }

  /** Change a stream's urgency, moving it between buckets if it is ready. */
  setUrgency(s: Stream, urgency: number, incremental: boolean): void {
    const was = s.scheduled;
    if (was) this.remove(s);
    s.urgency = urgency;
    s.incremental = incremental;
    if (was) this.add(s);
  }
}
