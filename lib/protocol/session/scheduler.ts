/**
 * The write scheduler: which stream's DATA goes next. Two modes:
 * - RFC 9218 (default): urgency buckets (0 first); within a bucket round robin for incremental
 *   streams and one-at-a-time for the others.
 * - RFC 7540 section 5.3 (once the peer sends PRIORITY frames or prioritised HEADERS, unless we
 *   advertised SETTINGS_NO_RFC7540_PRIORITIES): the dependency tree. A stream is served only when
 *   no ancestor has data ready; siblings share by weight (stride scheduling on a "pass" value).
 */
import type { PrioritySpec } from '../frame/types';
import type { Stream } from './stream';
import { IdMap } from './id-map';

/** Stride constant: a node of weight w advances its pass by sent * STRIDE / w. */
const STRIDE = 256;
/** Deepest dependency chain kept in the tree. */
const MAX_DEPTH = 100;

/**
 * A node of the RFC 7540 dependency tree (a stream, an idle "anchor" stream, or the root 0). Its
 * children form a doubly linked list in the order they were attached: a closing stream leaves its
 * parent in O(1). (With an array, nghttp's anchor holds every open request, ~100 under nghttpd:
 * indexOf and splice moved the rest, each element a write barrier, ~5k instructions per request,
 * 9% of `nghttp -n -m 20000`'s main thread under callgrind.)
 */
class PNode {
  parent: PNode | null = null;
  firstChild: PNode | null = null;
  lastChild: PNode | null = null;
  /** Siblings under the same parent. */
  prev: PNode | null = null;
  next: PNode | null = null;
  weight = 16;
  stream: Stream | null = null;
  /** The node's own stream has data ready. */
  ready = false;
  /** Ready nodes in this subtree, this node included. */
  readyBelow = 0;
  pass = 0;
  /** The cost at weight 1 of the last frame sent below this node (16 KiB until one is sent). */
  childCost = 16384 * STRIDE;
  constructor(readonly id: number) {}
}

/** Append `n` to the children of `parent` (n is in no list). */
function attach(n: PNode, parent: PNode): void {
  n.parent = parent;
  n.next = null;
  n.prev = parent.lastChild;
  if (parent.lastChild !== null) parent.lastChild.next = n;
  else parent.firstChild = n;
  parent.lastChild = n;
}

/** Take `n` out of its parent's children (its own children stay with it). */
function detach(n: PNode): void {
  const parent = n.parent!;
  if (n.prev !== null) n.prev.next = n.next;
  else parent.firstChild = n.next;
  if (n.next !== null) n.next.prev = n.prev;
  else parent.lastChild = n.prev;
  n.prev = n.next = null;
}

/** Placeholders for the tree of a scheduler not in tree mode (never used: every tree path enters tree mode first). */
const NO_ROOT = new PNode(0);
const NO_NODES = new IdMap<PNode>();

/** Ready streams, ordered by priority. Internal to the Session. */
export class WriteScheduler {
  /**
   * The RFC 9218 urgency buckets, made when a stream is first made ready: a client that only sends
   * requests without a body never has one ready (eight arrays, ~0.4 KB per connection).
   */
  private buckets: Stream[][] | null = null;
  private count = 0;
  /** RFC 7540 mode: the dependency tree decides. */
  private treeMode = false;
  /** The tree's root and nodes, made on entering tree mode (most connections never do: ~0.2 KB). */
  private root: PNode = NO_ROOT;
  private nodes: IdMap<PNode> = NO_NODES;

  /** @param maxNodes most tree nodes kept (blocks memory exhaustion by PRIORITY frames on idle streams). */
  constructor(private readonly maxNodes = 10000) {}

  get size(): number {
    return this.count;
  }

  /** Whether the RFC 7540 dependency tree is in use. */
  get usesTree(): boolean {
    return this.treeMode;
  }

  /** Make `s` ready (no-op when it already is). */
  add(s: Stream): void {
    if (s.scheduled) return;
    s.scheduled = true;
    this.count++;
    if (this.treeMode) {
      this.setReady(this.nodeOf(s), true);
      return;
    }
    (this.buckets ?? this.makeBuckets())[s.urgency].push(s);
  }

  private makeBuckets(): Stream[][] {
    this.buckets = [[], [], [], [], [], [], [], []];
    return this.buckets;
  }

  /** Take the next stream to serve (it is no longer scheduled; `requeue` puts it back). */
  pop(): Stream | undefined {
    if (this.count === 0) return undefined;
    if (this.treeMode) {
      const n = this.pick();
      if (n === null) return undefined;
      this.setReady(n, false);
      const s = n.stream!;
      s.scheduled = false;
      this.count--;
      return s;
    }
    // A stream was added (count > 0), so the buckets exist.
    const buckets = this.buckets as Stream[][];
    for (let u = 0; u < 8; u++) {
      const b = buckets[u];
      if (b.length === 0) continue;
      const s = b.shift()!;
      s.scheduled = false;
      this.count--;
      return s;
    }
    return undefined;
  }

  /**
   * Put back a stream that was just served `sent` octets and still has work: incremental streams
   * go to the back of their bucket (round robin), others stay in front (RFC 9218 section 4:
   * non-incremental responses are sent one after another). In tree mode the stream and its
   * ancestors are charged `sent` against their weights.
   */
  requeue(s: Stream, sent: number): void {
    if (s.scheduled) return;
    s.scheduled = true;
    this.count++;
    if (this.treeMode) {
      const n = this.nodeOf(s);
      for (let p: PNode | null = n; p !== null && p !== this.root; p = p.parent) {
        p.pass += Math.ceil(((sent + 1) * STRIDE) / p.weight);
        p.parent!.childCost = (sent + 1) * STRIDE;
      }
      this.setReady(n, true, false);
      return;
    }
    const b = (this.buckets ?? this.makeBuckets())[s.urgency];
    if (s.incremental) b.push(s);
    else b.unshift(s);
  }

  /** Remove `s` from the ready set (reset, blocked). */
  remove(s: Stream): void {
    if (!s.scheduled) return;
    s.scheduled = false;
    this.count--;
    if (this.treeMode) {
      const n = this.nodes.get(s.id);
      if (n !== undefined) this.setReady(n, false);
      return;
    }
    // It was scheduled (added), so the buckets exist.
    const b = (this.buckets as Stream[][])[s.urgency];
    const i = b.indexOf(s);
    if (i >= 0) b.splice(i, 1);
  }

  /** The stream closed: drop it, and its tree node (children move to its parent, RFC 7540 5.3.4). */
  closed(s: Stream): void {
    this.remove(s);
    if (!this.treeMode) return;
    const n = this.nodes.get(s.id);
    if (n === undefined) return;
    n.stream = null;
    this.removeNode(n);
  }

  /** Change a stream's RFC 9218 urgency, moving it between buckets if it is ready. */
  setUrgency(s: Stream, urgency: number, incremental: boolean): void {
    const was = s.scheduled;
    if (was) this.remove(s);
    s.urgency = urgency;
    s.incremental = incremental;
    if (was) this.add(s);
  }

  /**
   * Apply RFC 7540 priority information for `id` (an open stream or an idle one: nghttp's anchor
   * streams). Switches the scheduler into tree mode.
   */
  setPriority(id: number, p: PrioritySpec, s: Stream | null): void {
    if (!this.treeMode) this.enterTreeMode();
    let n = this.nodes.get(id);
    if (n === undefined) {
      if (this.nodes.size >= this.maxNodes) return;
      n = this.createNode(id, this.root);
    }
    if (s !== null) n.stream = s;
    n.weight = p.weight;
    let parent = p.dependsOn === 0 ? this.root : this.nodes.get(p.dependsOn);
    if (parent === undefined) {
      // RFC 7540 section 5.3.1: "A dependency on a stream that is not currently in the tree —
      // such as a stream in the "idle" state — results in that stream being given a default
      // priority". As nghttp2 does, the idle parent gets a default node so later streams can
      // depend on it too.
      if (this.nodes.size >= this.maxNodes) parent = this.root;
      else parent = this.createNode(p.dependsOn, this.root);
    }
    // A dependency chain deeper than MAX_DEPTH makes every ready/unready change walk it: a
    // "resource loop" attack on the tree (CVE-2019-9513). Deeper dependencies attach to the root.
    let depth = 0;
    for (let q: PNode | null = parent; q !== null && depth <= MAX_DEPTH; q = q.parent) depth++;
    if (depth > MAX_DEPTH) parent = this.root;
    // RFC 7540 section 5.3.3: "If a stream is made dependent on one of its own dependencies, the
    // formerly dependent stream is first moved to be dependent on the reprioritized stream's
    // previous parent. The moved dependency retains its weight."
    if (this.isAncestor(n, parent)) this.move(parent, n.parent!);
    this.move(n, parent);
    if (p.exclusive) {
      // RFC 7540 section 5.3.1: "An exclusive flag allows for the insertion of a new level of
      // dependencies. The exclusive flag causes the stream to become the sole dependency of its
      // parent stream, causing other dependencies to become dependent on the exclusive stream."
      for (let c = parent.firstChild; c !== null; ) {
        const next = c.next;
        if (c !== n) this.move(c, n);
        c = next;
      }
    }
  }

  // ---------------------------------------------------------------- tree internals

  private enterTreeMode(): void {
    this.treeMode = true;
    this.root = new PNode(0);
    this.nodes = new IdMap<PNode>();
    const ready: Stream[] = [];
    for (const b of this.buckets ?? []) {
      for (const s of b) ready.push(s);
      b.length = 0;
    }
    for (const s of ready) this.setReady(this.nodeOf(s), true);
  }

  private createNode(id: number, parent: PNode): PNode {
    const n = new PNode(id);
    attach(n, parent);
    this.nodes.set(id, n);
    return n;
  }

  private nodeOf(s: Stream): PNode {
    let n = this.nodes.get(s.id);
    if (n === undefined) n = this.createNode(s.id, this.root);
    n.stream = s;
    return n;
  }

  private isAncestor(a: PNode, b: PNode): boolean {
    for (let p = b.parent; p !== null; p = p.parent) if (p === a) return true;
    return false;
  }

  private adjust(from: PNode | null, delta: number): void {
    for (let p = from; p !== null; p = p.parent) p.readyBelow += delta;
  }

  private move(n: PNode, to: PNode): void {
    const old = n.parent!;
    if (old === to) return;
    detach(n);
    if (n.readyBelow) this.adjust(old, -n.readyBelow);
    attach(n, to);
    if (n.readyBelow) {
      this.adjust(to, n.readyBelow);
      this.catchUp(n);
    }
  }

  /** A node becoming active starts at its siblings' lowest pass: it neither starves them nor lags. */
  private catchUp(n: PNode): void {
    let min = Infinity;
    for (let c = n.parent!.firstChild; c !== null; c = c.next) if (c !== n && c.readyBelow > 0 && c.pass < min) min = c.pass;
    if (min !== Infinity && n.pass < min) n.pass = min;
  }

  private setReady(n: PNode, ready: boolean, fresh = true): void {
    if (n.ready === ready) return;
    n.ready = ready;
    if (ready && fresh && n.readyBelow === 0) this.catchUp(n);
    this.adjust(n, ready ? 1 : -1);
  }

  private removeNode(n: PNode): void {
    const parent = n.parent!;
    detach(n);
    if (n.readyBelow) this.adjust(parent, -n.readyBelow);
    // RFC 7540 section 5.3.4: "When a stream is removed from the dependency tree, its dependencies
    // can be moved to become dependent on the parent of the closed stream. The weights of new
    // dependencies are recalculated by distributing the weight of the dependency of the closed
    // stream proportionally based on the weights of its dependencies."
    let total = 0;
    for (let c = n.firstChild; c !== null; c = c.next) total += c.weight;
    for (let c = n.firstChild; c !== null; ) {
      const next = c.next;
      c.weight = Math.max(1, Math.floor((n.weight * c.weight) / (total || 1)));
      attach(c, parent);
      if (c.readyBelow) this.adjust(parent, c.readyBelow);
      c = next;
    }
    n.firstChild = n.lastChild = null;
    this.nodes.delete(n.id);
  }

  /**
   * Descend from the root: a ready node is served before its dependents; among siblings the one
   * whose next frame would finish first (pass + one frame's cost at its weight) goes first.
   */
  private pick(): PNode | null {
    let n = this.root;
    for (;;) {
      let best: PNode | null = null;
      let bestKey = Infinity;
      const cost = n.childCost;
      for (let c = n.firstChild; c !== null; c = c.next) {
        if (c.readyBelow === 0) continue;
        const key = c.pass + cost / c.weight;
        if (key < bestKey) {
          best = c;
          bestKey = key;
        }
      }
      if (best === null) return null;
      if (best.ready) return best;
      n = best;
    }
  }
}
