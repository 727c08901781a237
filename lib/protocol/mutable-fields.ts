/**
 * End-of-life fields made mutable at birth.
 *
 * V8 (Node 20) tracks, per hidden class, whether a field was ever assigned again after its
 * initialiser ("const" fields). Optimized code that reads a const field registers a dependency on
 * it staying const; the first re-assignment on any object of that class deoptimizes all of that
 * code at once. A flag such as `ended` or `terminating` is assigned only when a connection ends:
 * with many connections, the first one to end threw away the optimized code of every hot function
 * that read its flags (h2load -c 10 -m 10: ~15 functions, the session's receive and send paths,
 * the client's request issuing), and the remaining connections' requests ran interpreted until it
 * was compiled again (~6.6% of a 200k-request run's instructions, callgrind).
 *
 * {@link unpinFields}, called in a constructor with such fields, assigns each one a value of the
 * same type and then its own value back: the class's field is mutable from its first object on,
 * before any code that reads it is optimized. The field's representation (small integer, object)
 * is kept, and the object's value is unchanged.
 * @module
 */

/**
 * Make the named fields of `obj` mutable in V8's view of its class; see the module comment. Each
 * field must already be initialised (a class field or an assignment before the call): naming one
 * that is not throws, as adding it here would change the object's shape.
 */
export function unpinFields(obj: object, ...names: string[]): void {
  const o = obj as Record<string, unknown>;
  for (const k of names) {
    if (!Object.hasOwn(o, k)) throw new Error(`unpinFields: no field ${k}`);
    const v = o[k];
    o[k] = other(v);
    o[k] = v;
  }
}

/** A value unlike `v` of the same kind (a boolean, a small integer, or no object). */
function other(v: unknown): unknown {
  if (typeof v === 'boolean') return !v;
  if (typeof v === 'number') return v === 0 ? 1 : 0;
  return v === null ? undefined : null;
}
